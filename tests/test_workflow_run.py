"""The shipped GitOps workflow, run as code: docs/gitops.md's worked example, step by step.

A policy repository is made from the template (deploy/policy-repo/) the way the docs say, pushed
to a bare git repository that plays GitHub's remote, and the workflow's propose and apply jobs
are run by tests/workflow_runner.py -- every `run:` step, in order, under bash as a GitHub runner
runs it -- against a moto server seeded with the example estate (devtools.seed) and the PAN-OS
emulator. What a user sees is asserted: the pull request branch holds the regenerated out/, the
PR body is the markdown plan and says where the full plan is, apply pushes exactly the reviewed
plan and refuses a stale one, a run with no AWS change opens no pull request.

The GitHub-only actions and their local stand-ins (tests/github_standin.py):
- actions/checkout: `git clone --branch <ref>` of the bare remote into the job's workspace;
- actions/setup-python: a fresh venv made once per module (the runner's Python), its bin put first
  on PATH. GitHub gives each job a fresh runner; here the venv is shared across jobs for time, so
  the install step installs from scratch in the first job and reinstalls over it after;
- aws-actions/configure-aws-credentials: exports moto's fake credentials, the region, and
  AWS_ENDPOINT_URL (the moto server); it checks that the job may request an OIDC token;
- peter-evans/create-pull-request: `git add <add-paths>`, commit, force-push the branch, and a
  pull-request record (title, body from body-path) kept beside the remote; nothing staged and
  delete-branch: the branch is deleted;
- the `gh` CLI (a `run:` step): a stand-in on PATH that closes that record and deletes the branch;
- actions/upload-artifact: not used (the full plan is committed in the pull request's branch).
The install step runs as written, with vars.AWSPAN_PACKAGE = `git+file://<this checkout>@<HEAD
commit>`: pip clones, builds and installs awspan in the fresh venv, as from the git URL a policy
repository pins (uncommitted changes of this checkout are not in it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

import boto3
import pytest
import yaml
from lxml import etree

from devtools.moto_server import MotoServer, moto_env
from devtools.seed import Estate, seed_estate
from emulator import EmulatorServer
from generator.location import Location
from tests.github_standin import BOT, FakeGitHub, git, stand_ins
from tests.workflow_runner import Action, JobResult, JobRun

pytestmark = pytest.mark.slow  # one install of awspan from git (~20 s) and eight jobs

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "policy-repo"
REPO = "acme/firewall-policy"
SERVER = "https://github.example"
BRANCH = "awspan/update"
USERS = {"admin": "admin", "automation": "automation", "reader": "reader"}
LOC = Location(vsys="vsys1")
WORKFLOW = ".github/workflows/awspan.yml"
_SCRUB = ("PANOS_", "AWS_", "AWSPAN_", "GITHUB_", "RUNNER_", "ACTIONS_", "VIRTUAL_ENV", "PYTHON")


@dataclass
class World:
    github: FakeGitHub
    aws_url: str
    estate: Estate
    emulator: EmulatorServer
    python_bin: Path
    work: Path
    vars: dict[str, str]
    actions: dict[str, Action]
    runs: int = 0
    jobs: list[JobResult] = field(default_factory=list)

    def job(self, name: str, event: str) -> JobResult:
        """One run of one job of the workflow on main, for `event`, in a fresh workspace."""
        self.runs += 1
        workflow = yaml.safe_load(self.github.show("main", WORKFLOW))
        run_dir = self.work / f"run-{self.runs}-{name}"
        secrets = {"awspan-plan": {"PANOS_API_KEY": self.emulator.api_key("reader")},
                   "firewall": {"PANOS_API_KEY": self.emulator.api_key("automation")}}
        github = {"event_name": event, "ref": "refs/heads/main", "repository": REPO, "server_url": SERVER,
                  "run_id": 1000 + self.runs, "token": "ghs_stand-in"}
        result = JobRun(workflow, name, run_dir / "workspace", run_dir / "temp", github, self.vars, secrets,
                        self.actions, base_env(self.github.bin), timeout=300).run()
        self.jobs.append(result)
        return result

    def workspace(self) -> Path:
        """The workspace of the last job run."""
        return self.work / f"run-{self.runs}-{self.jobs[-1].name}" / "workspace"

    def running_awspan_rules(self) -> dict[str, bytes]:
        entries = self.emulator.running().xpath(LOC.rules_xpath + "/entry")
        return {e.get("name"): etree.tostring(e) for e in entries if "awspan" in e.xpath("tag/member/text()")}

    def commit_jobs(self) -> list[tuple[str, str]]:
        """(admin, description) of every commit job the firewall ran, oldest first."""
        jobs = sorted(self.emulator.store.jobs.values(), key=lambda j: j.id)
        return [(j.user, j.description) for j in jobs]


def base_env(gh_bin: Path) -> dict[str, str]:
    """This machine's environment less anything that reaches a real AWS, firewall or GitHub, and less
    any other `awspan` on PATH (the one the install step installs must be the one that runs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUB)}
    path = [d for d in env.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "awspan").exists()]
    env["PATH"] = os.pathsep.join([str(gh_bin), *path])
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_EC2_METADATA_DISABLED="true")
    return env


@pytest.fixture(scope="module")
def runner_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runner's Python (what setup-python provides): a fresh venv, pip and nothing else."""
    where = tmp_path_factory.mktemp("runner") / "python"
    venv.create(where, with_pip=True)
    return where / "bin"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, runner_python: Path) -> Iterator[World]:
    root = tmp_path_factory.mktemp("gitops")
    head = git(ROOT, "rev-parse", "HEAD").strip()
    with MotoServer() as aws_url, EmulatorServer(users=USERS) as emulator:
        with pytest.MonkeyPatch.context() as mp:  # the seed's boto3 clients reach moto only
            for key, value in moto_env().items():
                mp.setenv(key, value)
            estate = seed_estate(aws_url)
        github = FakeGitHub(root)
        variables = {"AWSPAN_PACKAGE": f"git+file://{ROOT}@{head}",
                     "AWSPAN_AWS_ROLE_ARN": "arn:aws:iam::111122223333:role/awspan-gitops",
                     "AWS_REGION": estate.region, "PANOS_URL": emulator.url}
        world = World(github, aws_url, estate, emulator, runner_python, root, variables,
                      stand_ins(github, runner_python, aws_url))
        start_policy_repository(world, root / "laptop")
        yield world


def start_policy_repository(world: World, laptop: Path) -> None:
    """docs/gitops.md, "From an empty policy repository": copy the template, edit policy.yaml, validate
    it, push.
    (firewall.url stays the template's: vars.PANOS_URL, the emulator, wins over it.)"""
    git(world.work, "clone", "-q", str(world.github.origin), str(laptop))
    shutil.copytree(TEMPLATE, laptop, dirs_exist_ok=True)
    policy_file = laptop / "policy.yaml"
    policy = yaml.safe_load(policy_file.read_text())
    policy["firewall"]["instance_id"] = world.estate.firewall_instance_id  # the EDIT lines
    policy["firewall"]["route_targets"] = sorted(world.estate.route_targets)
    policy["aws"]["regions"] = [world.estate.region]
    policy_file.write_text(yaml.safe_dump(policy, sort_keys=False))
    subprocess.run([sys.executable, "-m", "generator", "validate", "--config", "policy.yaml"], cwd=laptop,
                   env=base_env(world.github.bin), check=True, capture_output=True)
    git(laptop, "add", ".")
    git(laptop, *BOT, "commit", "-q", "-m", "awspan policy repository")
    git(laptop, "push", "-q", "origin", "HEAD:main")


# -- what a user sees ----------------------------------------------------------------------------------
def _plan_json(world: World, ref: str) -> dict:
    return json.loads(world.github.show(ref, "out/plan.json"))


def _rules(plan: dict, action: str) -> set[str]:
    return {r["name"] for r in plan["rules"] if r["action"] == action}


def _explain(result: JobResult) -> str:
    return "\n".join(f"{s.name}: {s.outcome} {s.returncode}\n{s.stdout[-2000:]}\n{s.stderr[-2000:]}"
                     for s in result.steps if s.outcome != "skipped")


def _propose(world: World, event: str) -> JobResult:
    assert not world.job("apply", event).ran  # only a push to main applies
    result = world.job("propose", event)
    assert result.ok, _explain(result)
    return result


def _merge_and_apply(world: World, scratch: str) -> JobResult:
    """Merge the pull request; its push to main (which the workflow's path filter must see) runs apply."""
    changed = world.github.merge(BRANCH, world.work / scratch)
    paths = _on(yaml.safe_load(world.github.show("main", WORKFLOW)))["push"]["paths"]
    assert any(fnmatch(name, p) for name in changed for p in paths)
    assert not world.job("propose", "push").ran  # a push to main never proposes
    return world.job("apply", "push")


def _on(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # PyYAML reads the bare key `on` as True


def _markdown_plan(world: World) -> str:
    """What `awspan plan --format markdown` says of the last job's files now (the installed awspan)."""
    env = {**base_env(world.github.bin), "PANOS_URL": world.emulator.url,
           "PANOS_API_KEY": world.emulator.api_key("reader")}
    note = f"[`out/plan.json`]({SERVER}/{REPO}/blob/{BRANCH}/out/plan.json) in this pull request's branch"
    return subprocess.run([str(world.python_bin / "awspan"), "plan", "--config", "policy.yaml", "--fragment",
                           "out/fragment.xml", "--format", "markdown", "--full-plan-note", note],
                          cwd=world.workspace(), env=env, capture_output=True, text=True, check=True).stdout


def _reader_only_read(world: World) -> None:
    """The plan key (environment awspan-plan) never wrote to the firewall."""
    writes = [r for r in world.emulator.requests if r.get("admin") == "reader" and not (
        (r["type"] == "config" and r["action"] in ("get", "show"))
        or (r["type"] == "op" and str(r.get("cmd", "")).startswith("<show>")))]
    assert writes == []


def _first_propose(world: World) -> set[str]:
    """The first scheduled propose: a pull request with the regenerated out/ and the plan as its body."""
    gh = world.github
    first = _propose(world, "schedule")
    install = first.step("Install awspan").stdout
    assert "Successfully installed" in install and "awspan-0.1.0" in install.split()
    assert first.outputs["plan"] == {"changes": "true"}
    assert gh.branches() == {"main", BRANCH}
    out = gh.tree(BRANCH, "out")
    assert {"out/state.yaml", "out/fragment.xml", "out/plan.json"} <= set(out) <= {
        "out/state.yaml", "out/fragment.xml", "out/precheck.yaml", "out/registrations.yaml", "out/plan.json"}
    assert all(out[name] == (world.workspace() / name).read_bytes() for name in out)  # the firewall
    # snapshot stays out; the body is the markdown plan of the committed files, as awspan renders it,
    # and a footer that says where the full plan is (the markdown cuts itself to fit 65,536 characters)
    plan_md = _markdown_plan(world)
    pr = gh.pulls[BRANCH]
    assert pr["title"] == "awspan: firewall policy update" and pr["labels"] == "awspan"
    assert plan_md.strip() and pr["body"].startswith(plan_md) and len(pr["body"]) <= 65_536
    footer = pr["body"][len(plan_md):]
    assert f"[`out/plan.json`]({SERVER}/{REPO}/blob/{BRANCH}/out/plan.json)" in footer
    assert f"({SERVER}/{REPO}/actions/runs/{1000 + world.runs})" in footer and len(footer) < 1_000
    assert plan_md in first.summary
    created = _rules(_plan_json(world, BRANCH), "create")
    assert created and all(name in plan_md for name in created)  # the body names every rule it opens
    assert world.running_awspan_rules() == {}  # propose changes nothing on the firewall
    return created


def _apply_pushes_the_reviewed_plan(world: World, expected_rules: set[str]) -> None:
    commits_before = len(world.commit_jobs())
    applied = _merge_and_apply(world, f"merge-{world.runs}")
    assert applied.ok, _explain(applied)
    assert "pushed the reviewed plan" in applied.summary
    assert set(world.running_awspan_rules()) == expected_rules
    sha = git(world.github.origin, "rev-parse", "--short=12", "main").strip()
    assert world.commit_jobs()[commits_before:] == [("automation", f"awspan {sha} from {REPO}")]


def test_the_workflow_from_an_empty_policy_repository(world: World) -> None:
    gh, emulator = world.github, world.emulator
    assert gh.show("main", WORKFLOW) == (TEMPLATE / WORKFLOW).read_bytes()

    # 1-2. propose opens the pull request; its merge runs apply, which pushes exactly the reviewed plan
    created = _first_propose(world)
    _apply_pushes_the_reviewed_plan(world, created)

    # 3. AWS changes; the Lambda dispatches awspan-aws-change: a new pull request shows that change
    ec2 = boto3.client("ec2", endpoint_url=world.aws_url, region_name=world.estate.region,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    ec2.revoke_security_group_ingress(GroupId=world.estate.security_groups["app"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443, "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}])
    _propose(world, "repository_dispatch")
    summary = _plan_json(world, BRANCH)["summary"]
    assert summary["rules_closed"] >= 1 and summary["rules_opened"] == 0
    assert "203.0.113.0/24" in gh.pulls[BRANCH]["body"]

    # 4. before the merge, an admin edits one of awspan's rules on the firewall: apply refuses the
    #    stale plan and changes nothing
    rule = sorted(created)[0]
    emulator.edit_as("admin", "set", LOC.entry_xpath("rules", rule), "<description>by hand</description>")
    assert emulator.commit_as("admin")
    running_before, commits_before = emulator.running_xml(), world.commit_jobs()
    refused = _merge_and_apply(world, "merge-stale")
    assert not refused.ok and refused.step("Push the reviewed plan").returncode == 1
    assert "refused or failed" in refused.summary and "no longer matches" in refused.summary
    assert f"rule {rule!r}" in refused.summary  # the refusal names the rule edited by hand
    assert emulator.running_xml() == running_before and world.commit_jobs() == commits_before
    assert emulator.pending_admins() == []  # nothing half-applied in the candidate either

    # 5. the next propose (by hand) plans again: the AWS change, and the edited rule put back
    _propose(world, "workflow_dispatch")
    assert rule in _rules(_plan_json(world, BRANCH), "change")
    fragment_rules = set(etree.fromstring(gh.show(BRANCH, "out/fragment.xml")).xpath("//rules/entry/@name"))
    _apply_pushes_the_reviewed_plan(world, fragment_rules)
    assert b"by hand" not in world.running_awspan_rules()[rule]

    # 6. an hour later, nothing changed in AWS: no pull request, no branch left over
    pulls_before = gh.pulls
    quiet = _propose(world, "schedule")
    assert quiet.outputs["plan"] == {"changes": "false"}
    assert quiet.step("Open or update the pull request").outcome == "skipped"
    assert gh.branches() == {"main"} and gh.pulls == pulls_before
    assert gh.gh_calls()[-1] == {"argv": ["pr", "close", BRANCH, "--delete-branch", "--comment",
                                          "The firewall already matches; nothing to apply."], "token": True}

    # 7. apply run again on the same main (a re-run): nothing to apply, no commit, a green run
    commits_before = world.commit_jobs()
    again = world.job("apply", "push")
    assert again.ok and "nothing to apply" in again.summary and world.commit_jobs() == commits_before

    # over every job: the plan key only read, and a firewall key was in the environment of the steps
    # that talk to the firewall only (not the install step, not the actions)
    _reader_only_read(world)
    keys = {emulator.api_key("reader"), emulator.api_key("automation")}
    given = {s.name.split(" ")[0] for job in world.jobs for s in job.steps if keys & set(s.env.values())}
    assert given == {"Snapshot", "Plan", "Push"}
