"""The shipped GitOps workflow, run as code: docs/gitops.md's worked example, step by step.

A policy repository is made from the template (deploy/policy-repo/) the way the docs say, pushed
to a bare git repository that plays GitHub's remote, and the workflow's propose and apply jobs
are run by tests/workflow_runner.py -- every `run:` step, in order, under bash as a GitHub runner
runs it -- against a moto server seeded with the example estate (devtools.seed) and the PAN-OS
emulator. What a user sees is asserted: the pull request branch holds the regenerated out/, the
PR body is the markdown plan and says where the full plan is, apply pushes exactly the reviewed
plan and refuses a stale one, a run with no AWS change opens no pull request.

The GitHub-only actions and their local stand-ins (`ACTIONS` below):
- actions/checkout: `git clone --branch <ref>` of the bare remote into the job's workspace;
- actions/setup-python: a fresh venv made once per module (the runner's Python), its bin put first
  on PATH. GitHub gives each job a fresh runner; here the venv is shared across jobs for time, so
  the install step installs from scratch in the first job and finds awspan installed after;
- aws-actions/configure-aws-credentials: exports moto's fake credentials, the region, and
  AWS_ENDPOINT_URL (the moto server); it checks that the job may request an OIDC token;
- peter-evans/create-pull-request: `git add <add-paths>`, commit, force-push the branch, and a
  pull-request record (title, body from body-path) kept beside the remote; nothing staged and
  delete-branch: the branch is deleted;
- the `gh` CLI (a `run:` step): a stand-in on PATH that closes that record and deletes the branch.
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

from devtools.moto_server import MotoServer, moto_env
from devtools.seed import Estate, seed_estate
from emulator import EmulatorServer
from generator.location import Location
from tests.workflow_runner import JobResult, JobRun

pytestmark = pytest.mark.slow  # one install of awspan from git (~20 s) and eight jobs

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "policy-repo"
REPO = "acme/firewall-policy"
SERVER = "https://github.example"
BRANCH = "awspan/update"
BOT = ["-c", "user.name=github-actions[bot]", "-c", "user.email=bot@example.invalid"]
USERS = {"admin": "admin", "automation": "automation", "reader": "reader"}
LOC = Location(vsys="vsys1")
_SCRUB = ("PANOS_", "AWS_", "AWSPAN_", "GITHUB_", "RUNNER_", "ACTIONS_", "VIRTUAL_ENV", "PYTHON")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


GH_STAND_IN = '''#!{python}
"""`gh pr close BRANCH --delete-branch --comment TEXT`, on the test's pull-request records."""
import json, os, subprocess, sys
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(json.dumps({{"argv": args, "token": bool(os.environ.get("GH_TOKEN"))}}) + "\\n")
if args[:2] != ["pr", "close"] or not os.environ.get("GH_TOKEN"):
    sys.exit("gh stand-in: only an authenticated `gh pr close` is modelled")
branch = args[2]
pulls = json.load(open({pulls!r}))
pr = pulls.get(branch)
if not pr or pr["state"] != "open":
    sys.exit(f'no pull requests found for branch "{{branch}}"')
pr["state"], pr["comment"] = "closed", args[args.index("--comment") + 1]
if "--delete-branch" in args:
    subprocess.run(["git", "push", "-q", "origin", "--delete", branch], check=True)
json.dump(pulls, open({pulls!r}, "w"))
'''


@dataclass
class GitHub:
    """What GitHub keeps for the policy repository: the remote, the pull requests, the runs."""

    root: Path
    runs: int = 0
    jobs: list[JobResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.origin = self.root / "origin.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.origin)], check=True)
        self.pulls_file = self.root / "pulls.json"
        self.pulls_file.write_text("{}")
        self.gh_log = self.root / "gh.log"
        self.bin = self.root / "bin"
        self.bin.mkdir()
        gh = self.bin / "gh"
        gh.write_text(GH_STAND_IN.format(python=sys.executable, log=str(self.gh_log),
                                         pulls=str(self.pulls_file)))
        gh.chmod(0o755)

    @property
    def pulls(self) -> dict:
        return json.loads(self.pulls_file.read_text())

    def save_pulls(self, pulls: dict) -> None:
        self.pulls_file.write_text(json.dumps(pulls))

    def branches(self) -> set[str]:
        out = git(self.origin, "for-each-ref", "--format=%(refname:short)", "refs/heads")
        return set(out.split())

    def tree(self, ref: str, folder: str = "out") -> dict[str, bytes]:
        names = git(self.origin, "ls-tree", "-r", "--name-only", ref, "--", folder).split()
        return {n: subprocess.run(["git", "show", f"{ref}:{n}"], cwd=self.origin, check=True,
                                  capture_output=True).stdout for n in names}

    def merge(self, scratch: Path) -> list[str]:
        """Merge the open awspan pull request into main (a merge commit); the files it changed."""
        pulls = self.pulls
        assert pulls[BRANCH]["state"] == "open"
        shutil.rmtree(scratch, ignore_errors=True)
        git(self.root, "clone", "-q", "--branch", "main", str(self.origin), str(scratch))
        git(scratch, "fetch", "-q", "origin", BRANCH)
        git(scratch, *BOT, "merge", "-q", "--no-ff", "-m", "Merge pull request: awspan update", "FETCH_HEAD")
        git(scratch, "push", "-q", "origin", "main")
        git(scratch, "push", "-q", "origin", "--delete", BRANCH)  # "delete branch on merge"
        pulls[BRANCH]["state"] = "merged"
        self.save_pulls(pulls)
        return git(scratch, "diff", "--name-only", "HEAD^1", "HEAD").split()


@dataclass
class World:
    github: GitHub
    aws_url: str
    estate: Estate
    emulator: EmulatorServer
    python_bin: Path
    work: Path
    vars: dict[str, str]

    def job(self, name: str, event: str) -> JobResult:
        """One run of one job of the workflow on main, for `event`, in a fresh workspace."""
        gh = self.github
        gh.runs += 1
        workflow = yaml.safe_load(git(gh.origin, "show", "main:.github/workflows/awspan.yml"))
        run_dir = self.work / f"run-{gh.runs}-{name}"
        secrets = {"awspan-plan": {"PANOS_API_KEY": self.emulator.api_key("reader")},
                   "firewall": {"PANOS_API_KEY": self.emulator.api_key("automation")}}
        github = {"event_name": event, "ref": "refs/heads/main", "repository": REPO, "server_url": SERVER,
                  "run_id": 1000 + gh.runs, "token": "ghs_stand-in"}
        run = JobRun(workflow, name, run_dir / "workspace", run_dir / "temp", github, self.vars, secrets,
                     ACTIONS, base_env(gh.bin), timeout=300)
        run.world = self  # type: ignore[attr-defined] - for the stand-ins
        result = run.run()
        gh.jobs.append(result)
        return result

    def running_awspan_rules(self) -> dict[str, bytes]:
        from lxml import etree
        return {e.get("name"): etree.tostring(e) for e in self.emulator.running().xpath(LOC.rules_xpath + "/entry")
                if "awspan" in e.xpath("tag/member/text()")}

    def commit_jobs(self) -> list:
        return sorted(self.emulator.store.jobs.values(), key=lambda j: j.id)


def base_env(gh_bin: Path) -> dict[str, str]:
    """This machine's environment less anything that reaches a real AWS, firewall or GitHub, and less
    any other `awspan` on PATH (the one the install step installs must be the one that runs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUB)}
    path = [d for d in env.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "awspan").exists()]
    env["PATH"] = os.pathsep.join([str(gh_bin), *path])
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_EC2_METADATA_DISABLED="true")
    return env


# -- the stand-ins of the GitHub-only actions ----------------------------------------------------------
def checkout(run: JobRun, inputs: dict[str, str]) -> None:
    git(run.workspace, "clone", "-q", "--branch", inputs.get("ref") or "main", str(run.world.github.origin), ".")


def setup_python(run: JobRun, inputs: dict[str, str]) -> None:
    assert inputs["python-version"].startswith("3.")
    run.path_prefix.insert(0, str(run.world.python_bin))


def aws_credentials(run: JobRun, inputs: dict[str, str]) -> dict[str, str]:
    assert run.job["permissions"].get("id-token") == "write", "OIDC needs id-token: write"
    assert inputs["role-to-assume"] == run.vars["AWSPAN_AWS_ROLE_ARN"]
    region = inputs["aws-region"]
    return {**moto_env(region), "AWS_REGION": region, "AWS_ENDPOINT_URL": run.world.aws_url}


def create_pull_request(run: JobRun, inputs: dict[str, str]) -> None:
    perms = run.job["permissions"]
    assert perms.get("contents") == "write" and perms.get("pull-requests") == "write"
    gh, ws, branch = run.world.github, run.workspace, inputs["branch"]
    git(ws, "checkout", "-q", "-B", branch)
    git(ws, "add", "--", *[p.strip() for p in inputs["add-paths"].replace("\n", ",").split(",") if p.strip()])
    pulls = gh.pulls
    if not git(ws, "diff", "--cached", "--name-only").strip():
        if inputs.get("delete-branch") == "true" and branch in gh.branches():
            git(ws, "push", "-q", "origin", "--delete", branch)
        return
    git(ws, *BOT, "commit", "-q", "-m", inputs["commit-message"])
    git(ws, "push", "-q", "--force", "origin", branch)
    previous = pulls.get(branch) if pulls.get(branch, {}).get("state") == "open" else None
    pulls[branch] = {"number": previous["number"] if previous else len(gh.jobs) + 1, "state": "open",
                     "title": inputs["title"], "body": (ws / inputs["body-path"]).read_text(),
                     "labels": inputs.get("labels", ""), "head": git(ws, "rev-parse", "HEAD").strip()}
    gh.save_pulls(pulls)


ACTIONS = {"actions/checkout": checkout, "actions/setup-python": setup_python,
           "aws-actions/configure-aws-credentials": aws_credentials,
           "peter-evans/create-pull-request": create_pull_request}


# -- the world: servers, the estate, the policy repository from the template ---------------------------
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
        gh = GitHub(root)
        world = World(gh, aws_url, estate, emulator, runner_python, root, {
            "AWSPAN_PACKAGE": f"git+file://{ROOT}@{head}",
            "AWSPAN_AWS_ROLE_ARN": "arn:aws:iam::111122223333:role/awspan-gitops",
            "AWS_REGION": estate.region,
            "PANOS_URL": emulator.url,
        })
        start_policy_repository(world, root / "laptop")
        yield world


def start_policy_repository(world: World, laptop: Path) -> None:
    """docs/gitops.md, "From an empty policy repository": copy the template, edit policy.yaml, push."""
    git(world.work, "clone", "-q", str(world.github.origin), str(laptop))
    shutil.copytree(TEMPLATE, laptop, dirs_exist_ok=True)
    policy_file = laptop / "policy.yaml"
    policy = yaml.safe_load(policy_file.read_text())
    policy["firewall"]["instance_id"] = world.estate.firewall_instance_id  # the EDIT lines, nothing else
    policy["firewall"]["route_targets"] = sorted(world.estate.route_targets)
    policy["aws"]["regions"] = [world.estate.region]
    policy_file.write_text(yaml.safe_dump(policy, sort_keys=False))
    git(laptop, "add", ".")
    git(laptop, *BOT, "commit", "-q", "-m", "awspan policy repository")
    git(laptop, "push", "-q", "origin", "HEAD:main")


# -- what a user sees ----------------------------------------------------------------------------------
def _plan_json(world: World, ref: str) -> dict:
    return json.loads(world.github.tree(ref)["out/plan.json"])


def _created_rules(plan: dict) -> set[str]:
    return {r["name"] for r in plan["rules"] if r["action"] == "create"}


def _propose(world: World, event: str) -> JobResult:
    apply = world.job("apply", event)
    assert not apply.ran  # only a push to main applies
    result = world.job("propose", event)
    assert result.ok, _explain(result)
    return result


def _apply(world: World) -> JobResult:
    assert not world.job("propose", "push").ran  # a push to main never proposes
    return world.job("apply", "push")


def _explain(result: JobResult) -> str:
    return "\n".join(f"{s.name}: {s.outcome} {s.returncode}\n{s.stdout[-2000:]}\n{s.stderr[-2000:]}"
                     for s in result.steps if s.outcome != "skipped")


def _reader_only_read(world: World) -> None:
    writes = [r for r in world.emulator.requests if r.get("admin") == "reader" and not (
        (r["type"] == "config" and r["action"] in ("get", "show"))
        or (r["type"] == "op" and str(r.get("cmd", "")).startswith("<show>")))]
    assert writes == []


def test_the_workflow_from_an_empty_policy_repository(world: World) -> None:
    gh, emulator = world.github, world.emulator
    pushed_file = ".github/workflows/awspan.yml"
    assert git(gh.origin, "show", f"main:{pushed_file}") == (TEMPLATE / pushed_file).read_text()

    # 1. the first scheduled propose: a pull request with the regenerated out/ and the plan as its body
    first = _propose(world, "schedule")
    install = first.step("Install awspan")
    assert "Successfully installed" in install.stdout and "awspan-0.1.0" in install.stdout.replace(" ", "\n")
    assert first.outputs["plan"] == {"changes": "true"}
    assert gh.branches() == {"main", BRANCH}
    out = gh.tree(BRANCH)
    assert set(out) >= {"out/state.yaml", "out/fragment.xml", "out/plan.json"}
    assert set(out) <= {"out/state.yaml", "out/fragment.xml", "out/precheck.yaml", "out/registrations.yaml",
                        "out/plan.json"}  # the firewall snapshot stays out of the repository
    workspace = world.work / f"run-{gh.runs}-propose" / "workspace"
    assert all(out[name] == (workspace / name).read_bytes() for name in out)
    # the body is the markdown plan of the committed files, as awspan itself renders it, and a footer
    # that says where the full plan is (the markdown cuts itself to fit GitHub's 65,536 characters)
    plan_md = subprocess.run([str(world.python_bin / "awspan"), "plan", "--config", "policy.yaml",
                              "--fragment", "out/fragment.xml", "--format", "markdown"], cwd=workspace,
                             env={**base_env(gh.bin), "PANOS_URL": emulator.url,
                                  "PANOS_API_KEY": emulator.api_key("reader")},
                             capture_output=True, text=True, check=True).stdout
    body = gh.pulls[BRANCH]["body"]
    assert plan_md.strip() and body.startswith(plan_md) and len(body) <= 65_536
    footer = body[len(plan_md):]
    assert f"[`out/plan.json`]({SERVER}/{REPO}/blob/{BRANCH}/out/plan.json)" in footer
    assert f"({SERVER}/{REPO}/actions/runs/{1000 + gh.runs})" in footer and len(footer) < 1_000
    assert plan_md in first.summary
    created = _created_rules(_plan_json(world, BRANCH))
    assert created and all(name in plan_md for name in created)  # the body names every rule it opens
    assert world.running_awspan_rules() == {}  # propose changes nothing on the firewall
    _reader_only_read(world)

    # 2. merge: the push to main runs apply, which pushes exactly the reviewed plan
    changed = gh.merge(world.work / "merge-1")
    paths = yaml.safe_load((TEMPLATE / pushed_file).read_text())[True]["push"]["paths"]
    assert any(fnmatch(name, p) for name in changed for p in paths)  # the merge triggers apply
    jobs_before = len(world.commit_jobs())
    applied = _apply(world)
    assert applied.ok, _explain(applied)
    assert set(world.running_awspan_rules()) == created
    commits = world.commit_jobs()[jobs_before:]
    sha = git(gh.origin, "rev-parse", "--short=12", "main").strip()
    assert [(j.user, j.description) for j in commits] == [("automation", f"awspan {sha} from {REPO}")]
    assert "pushed the reviewed plan" in applied.summary

    # 3. AWS changes; the Lambda dispatches awspan-aws-change: a new pull request shows that change
    ec2 = boto3.client("ec2", endpoint_url=world.aws_url, region_name=world.estate.region, **_fake_keys())
    ec2.revoke_security_group_ingress(GroupId=world.estate.security_groups["app"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443, "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}])
    _propose(world, "repository_dispatch")
    plan2 = _plan_json(world, BRANCH)
    assert plan2["summary"]["rules_closed"] >= 1 and plan2["summary"]["rules_opened"] == 0
    assert "203.0.113.0/24" in gh.pulls[BRANCH]["body"]

    # 4. before the merge, someone edits one of awspan's rules on the firewall: apply refuses
    rule = sorted(created)[0]
    emulator.edit_as("admin", "set", LOC.entry_xpath("rules", rule), "<description>edited by hand</description>")
    assert emulator.commit_as("admin")
    running_before, jobs_before = emulator.running_xml(), len(world.commit_jobs())
    gh.merge(world.work / "merge-2")
    refused = _apply(world)
    assert not refused.ok and refused.step("Push the reviewed plan").returncode == 1
    assert "refused or failed" in refused.summary and "changed since this plan was made" in refused.summary
    assert emulator.running_xml() == running_before and len(world.commit_jobs()) == jobs_before
    assert emulator.pending_admins() == []  # and nothing half-applied in the candidate

    # 5. the next propose (by hand) plans again: the change, and the edited rule put back
    _propose(world, "workflow_dispatch")
    plan3 = _plan_json(world, BRANCH)
    assert rule in {r["name"] for r in plan3["rules"] if r["action"] == "change"}
    gh.merge(world.work / "merge-3")
    applied = _apply(world)
    assert applied.ok, _explain(applied)
    fragment_rules = set(_rule_names(gh.tree("main")["out/fragment.xml"]))
    assert set(world.running_awspan_rules()) == fragment_rules
    assert b"edited by hand" not in world.running_awspan_rules()[rule]

    # 6. an hour later, nothing changed in AWS: no pull request, and no branch left over
    pulls_before = gh.pulls
    quiet = _propose(world, "schedule")
    assert quiet.outputs["plan"] == {"changes": "false"}
    assert quiet.step("Open or update the pull request").outcome == "skipped"
    assert gh.branches() == {"main"} and gh.pulls == pulls_before
    assert json.loads(gh.gh_log.read_text().splitlines()[-1])["argv"][:3] == ["pr", "close", BRANCH]

    # 7. apply run again on the same main (a re-run): nothing to apply, no commit, a green run
    jobs_before = len(world.commit_jobs())
    again_apply = _apply(world)
    assert again_apply.ok and "nothing to apply" in again_apply.summary
    assert len(world.commit_jobs()) == jobs_before
    _reader_only_read(world)

    # over all eight jobs: a firewall key was in the environment of the steps that talk to the firewall only
    keys = {emulator.api_key("reader"), emulator.api_key("automation")}
    given = {s.name for job in gh.jobs for s in job.steps if keys & set(s.env.values())}
    assert given == {"Snapshot the firewall's rules (for the already-allowed check; not committed)",
                     "Plan (saved to out/plan.json for apply)", "Push the reviewed plan, or refuse"}


def _rule_names(fragment: bytes) -> list[str]:
    from lxml import etree
    return etree.fromstring(fragment).xpath("//rules/entry/@name")


def _fake_keys() -> dict[str, str]:
    env = moto_env()
    return {"aws_access_key_id": env["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"]}
