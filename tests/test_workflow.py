"""The GitOps workflow of the policy-repository template (deploy/policy-repo/): the properties
docs/gitops.md promises, checked on the file, and the shell of its decisive steps run with a
stand-in `awspan` (exit 0, 1 or 2) to see what each outcome does. The whole workflow is run against
moto and the emulator in tests/test_workflow_run.py.

- it lints clean with the GitHub-workflow schema (check-jsonschema's vendored copy), and its
  `run:` scripts with shellcheck;
- every `awspan ...` line is a valid command line of this version's CLI;
- propose and apply have separate concurrency groups; required reviewers can sit on apply's
  environment alone; a firewall key reaches only the steps that talk to the firewall;
- awspan is installed from one pinned source (AWSPAN_PACKAGE), by default this version's tag;
- every third-party action is pinned by a full commit SHA;
- propose opens the pull request only when the plan has changes, with the plan as its body and a
  link to the full plan; apply pushes the saved plan (`push --plan`) or refuses and reports.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator import __version__
from generator.cli.main import build_parser
from generator.policy import Pipeline
from tests.workflow_runner import SHELLS

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "policy-repo"
WORKFLOW = TEMPLATE / ".github" / "workflows" / "awspan.yml"
DOCS = " ".join((ROOT / "docs" / "gitops.md").read_text().split())  # line breaks as spaces
SHA = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
FIREWALL_COMMANDS = re.compile(r"^awspan (snapshot|plan|push) ", re.M)


@pytest.fixture(scope="module")
def wf() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _on(wf: dict) -> dict:
    return wf.get("on", wf.get(True))  # PyYAML reads the bare key `on` as True


def _step(job: dict, needle: str) -> dict:
    return next(s for s in job["steps"] if needle in s.get("name", "") + s.get("run", ""))


def _lint(path: Path) -> subprocess.CompletedProcess:
    """check-jsonschema with its vendored GitHub-workflow schema (no download), as `make test` runs it."""
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.github-workflows", str(path)], capture_output=True, text=True, timeout=120)


def test_the_workflow_lints_clean_and_the_linter_would_catch_a_broken_one(tmp_path: Path) -> None:
    result = _lint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "awspan.yml"
    broken.write_text(WORKFLOW.read_text().replace("cancel-in-progress: true", "cancel-in-progress: maybe"))
    assert _lint(broken).returncode != 0


def test_every_run_script_passes_shellcheck(wf: dict, tmp_path: Path) -> None:
    """What actionlint adds to the schema: shellcheck over each `run:` script, as the bash it runs in."""
    shellcheck = Path(sys.executable).parent / "shellcheck"
    scripts = [s["run"] for job in wf["jobs"].values() for s in job["steps"] if "run" in s]
    assert len(scripts) >= 9
    for i, script in enumerate(scripts):
        path = tmp_path / f"step-{i}.sh"
        path.write_text(script)
        result = subprocess.run([str(shellcheck), "--shell=bash", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, script + result.stdout
    path.write_text('if [ $? -eq 0 ]; then echo $UNQUOTED; fi\n')  # and it would catch a sloppy one
    assert subprocess.run([str(shellcheck), "--shell=bash", str(path)], capture_output=True).returncode != 0


def test_triggers_and_which_job_runs_on_each(wf: dict) -> None:
    on = _on(wf)
    assert on["schedule"] and "workflow_dispatch" in on
    assert on["repository_dispatch"]["types"] == [Pipeline().event_type]  # what the Lambda sends
    assert on["push"] == {"branches": ["main"], "paths": ["policy.yaml", "out/**"]}
    assert wf["jobs"]["apply"]["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert wf["jobs"]["propose"]["if"] == "github.event_name != 'push'"


def _awspan_commands(wf: dict) -> list[tuple[str, list[str]]]:
    """(job, argv after `awspan`) for each awspan command line in a `run:` script."""
    found = []
    for job_name, job in wf["jobs"].items():
        for step in job["steps"]:
            for line in step.get("run", "").replace("\\\n", " ").splitlines():
                words = shlex.split(line, comments=True)
                if not words:  # blank, or a comment
                    continue
                if words[0] == "if":  # `if awspan ...; then`
                    words = words[1:]
                if words[0] != "awspan":
                    # keep every awspan call at the start of a line, where this test can check it
                    assert not re.search(r"(^|[\s;&|(!])awspan\s", line), f"hidden awspan call: {line}"
                    continue
                argv = []
                for word in words[1:]:
                    if word in (">", ">>", "|", "&&", "||", ";", "2>", "2>&1"):
                        break
                    argv.append(word)
                found.append((job_name, argv))
    return found


def test_every_awspan_command_exists_with_its_options(wf: dict) -> None:
    parser = build_parser()
    by_job: dict[str, list[str]] = {}
    for job, argv in _awspan_commands(wf):
        try:
            args = parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"job {job}: `awspan {' '.join(argv)}` is not a valid command line")
        by_job.setdefault(job, []).append(args.command)
    assert by_job == {"propose": ["collect", "snapshot", "generate", "plan"], "apply": ["plan", "push"]}


def test_propose_and_apply_have_separate_concurrency(wf: dict) -> None:
    propose, apply = wf["jobs"]["propose"], wf["jobs"]["apply"]
    assert "concurrency" not in wf  # no workflow-wide group: a propose must never displace an apply
    assert propose["concurrency"] == {"group": "awspan-propose", "cancel-in-progress": True}
    assert apply["concurrency"] == {"group": "awspan-apply", "cancel-in-progress": False}
    # a pending apply that replaced an older one applies main as it is now, not its trigger commit
    for job in (propose, apply):
        checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
        assert checkout["with"]["ref"] == "main"


def test_required_reviewers_can_gate_apply_alone(wf: dict) -> None:
    assert wf["jobs"]["apply"]["environment"] == "firewall"
    assert wf["jobs"]["propose"]["environment"] == "awspan-plan"
    assert wf["permissions"] == wf["jobs"]["apply"]["permissions"] == {"contents": "read"}


def test_a_firewall_key_reaches_only_the_steps_that_talk_to_the_firewall(wf: dict) -> None:
    """Not the workflow's or a job's env (pip's build hooks and the setup actions would see it), not a
    `with:`, not a script: the `env:` of the steps that run awspan snapshot, plan or push."""
    assert "secrets." not in yaml.safe_dump(wf.get("env", {}))
    given: dict[str, list[str]] = {}
    for name, job in wf["jobs"].items():
        assert "secrets." not in yaml.safe_dump(job.get("env", {})), f"job {name} gives every step a secret"
        for step in job["steps"]:
            outside_env = {k: v for k, v in step.items() if k != "env"}
            assert "secrets." not in yaml.safe_dump(outside_env) and "github.token" not in step.get("run", "")
            env = step.get("env", {})
            if any("secrets." in str(v) for v in env.values()):
                assert env["PANOS_API_KEY"] == "${{ secrets.PANOS_API_KEY }}" and len(env) == 1
                assert FIREWALL_COMMANDS.search(step["run"]), step["name"]
                given.setdefault(name, []).append(step["name"].split(" ")[0])
            if "github.token" in str(env):
                assert env == {"GH_TOKEN": "${{ github.token }}"} and step["run"].startswith("gh pr close ")
    assert given == {"propose": ["Snapshot", "Plan"], "apply": ["Push"]}


def test_scripts_take_values_from_the_environment_only(wf: dict) -> None:
    for job in wf["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), f"expressions in scripts invite injection: {step}"


def test_awspan_is_installed_from_one_pinned_source(wf: dict) -> None:
    """One variable; its default is this version's release tag of the repository pyproject names."""
    tag = f"v{__version__}"
    assert wf["env"]["AWSPAN_PACKAGE"] == (
        f"${{{{ vars.AWSPAN_PACKAGE || 'git+https://github.com/awspan/awspan@{tag}' }}}}")
    for job in wf["jobs"].values():
        assert _step(job, "Install awspan") == {"name": "Install awspan",
                                                 "run": 'python -m pip install "$AWSPAN_PACKAGE"'}
    # the template's policy.yaml names the schema of the same release, for the user's editor
    first = (TEMPLATE / "policy.yaml").read_text().splitlines()[0]
    assert first == ("# yaml-language-server: $schema=https://raw.githubusercontent.com/awspan/awspan/"
                     f"{tag}/schemas/policy.schema.json")
    assert f"/blob/{tag}/docs/gitops.md" in (TEMPLATE / "README.md").read_text()
    assert f"@{tag}" in DOCS


def test_every_action_is_pinned_by_a_full_commit_sha(wf: dict) -> None:
    uses = [s["uses"] for job in wf["jobs"].values() for s in job["steps"] if "uses" in s]
    assert len(uses) >= 6
    for ref in uses:
        assert SHA.match(ref), f"{ref} is not pinned by a full commit SHA"
    # the comment beside each pin names the release, for whoever updates it; the docs list them
    text = WORKFLOW.read_text()
    assert all(re.search(re.escape(ref) + r" # v\d+\.\d+\.\d+", text) for ref in uses)
    assert all(ref.split("@")[1] in DOCS for ref in uses)


def test_the_docs_name_every_setting_the_workflow_reads(wf: dict) -> None:
    text = WORKFLOW.read_text()
    for name in set(re.findall(r"\b(?:vars|secrets)\.(\w+)", text)):
        assert name in DOCS, name
    for job in wf["jobs"].values():  # the OIDC trust condition of each job's environment
        assert f"repo:ORG/REPO:environment:{job['environment']}" in DOCS
    assert "Allow GitHub Actions to create and approve pull requests" in DOCS


def test_the_template_commits_out_but_not_the_firewall_snapshot(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text((TEMPLATE / ".gitignore").read_text())
    names = ["out/state.yaml", "out/fragment.xml", "out/precheck.yaml", "out/registrations.yaml",
             "out/plan.json", "out/rulebase.xml", "policy.yaml", ".github/workflows/awspan.yml"]
    res = subprocess.run(["git", "check-ignore", *names], cwd=tmp_path, capture_output=True, text=True)
    assert res.stdout.split() == ["out/rulebase.xml"]


def test_the_pull_request_is_opened_only_when_the_plan_has_changes(wf: dict) -> None:
    steps = wf["jobs"]["propose"]["steps"]
    pr = next(s for s in steps if s.get("uses", "").startswith("peter-evans/create-pull-request@"))
    assert pr["if"] == "steps.plan.outputs.changes == 'true'"
    assert pr["with"]["body-path"] == "${{ runner.temp }}/pr-body.md"
    assert _step(wf["jobs"]["propose"], "Write the pull request body")["if"] == pr["if"]
    plan = _step(wf["jobs"]["propose"], "awspan plan")
    assert plan["id"] == "plan" and "--out out/plan.json" in plan["run"]
    assert "--detailed-exitcode" in plan["run"] and "--format markdown" in plan["run"]
    assert pr["with"]["add-paths"].split("#")[0].strip() == "out"  # the saved plan travels in the PR


def test_apply_pushes_the_saved_plan(wf: dict) -> None:
    push = _step(wf["jobs"]["apply"], "awspan push")
    assert "--plan out/plan.json" in push["run"]
    assert "--force" not in push["run"]


FAKE = """#!/bin/sh
echo "$1" >> calls
case "$1" in
  plan) echo 'the plan'; echo '{plan_err}' >&2; exit {plan} ;;
  push) echo 'the push report'; echo '```<b>@team'; echo '{push_err}' >&2; exit {push} ;;
esac
exit 9
"""


def _run(script: str, tmp_path: Path, *, plan: int = 0, push: int = 0, plan_err: str = "",
         push_err: str = "", files: tuple[str, ...] = ()) -> tuple[int, str, str, list[str]]:
    """Run a step's script as the runner does, with a stand-in awspan; (exit, outputs, summary, calls)."""
    bindir, temp = tmp_path / "bin", tmp_path / "temp"
    bindir.mkdir(exist_ok=True)
    temp.mkdir(exist_ok=True)
    fake = bindir / "awspan"
    fake.write_text(FAKE.format(plan=plan, push=push, plan_err=plan_err, push_err=push_err))
    fake.chmod(0o755)
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    out, summary, step = tmp_path / "output", tmp_path / "summary", tmp_path / "step.sh"
    out.write_text("")
    summary.write_text("")
    step.write_text(script)
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary),
           "GITHUB_REPOSITORY": "org/policy", "RUNNER_TEMP": str(temp)}
    res = subprocess.run([*SHELLS["bash"], str(step)], cwd=tmp_path, env=env, capture_output=True, text=True)
    calls = (tmp_path / "calls").read_text().split() if (tmp_path / "calls").exists() else []
    return res.returncode, out.read_text(), summary.read_text(), calls


@pytest.mark.parametrize(("code", "changes", "step_exit"), [(0, "false", 0), (2, "true", 0), (1, None, 1)])
def test_propose_plan_step_decides_on_the_exit_code(wf, tmp_path: Path, code, changes, step_exit):
    script = _step(wf["jobs"]["propose"], "awspan plan")["run"]
    rc, output, summary, _calls = _run(script, tmp_path, plan=code)
    assert rc == step_exit
    assert output == ("" if changes is None else f"changes={changes}\n")
    assert "the plan" in summary  # the plan is in the job summary whatever the outcome
    assert (tmp_path / "temp" / "plan.md").read_text() == "the plan\n"


def _git_repo(path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=path, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q",
                    "--allow-empty", "-m", "x"], cwd=path, check=True)


def test_apply_refuses_and_reports_when_the_firewall_moved(wf, tmp_path: Path):
    script = _step(wf["jobs"]["apply"], "awspan push")["run"]
    _git_repo(tmp_path)
    moved = ("awspan push: error: push refused, nothing was changed: the saved plan out/plan.json no longer "
             "matches: x; make and review a new plan")
    rc, _out, summary, calls = _run(script, tmp_path, plan=2, push=1, push_err=moved,
                                    files=("out/plan.json",))
    assert rc == 1 and calls == ["plan", "push"]
    assert "refused or failed" in summary and f"    {moved}" in summary


def test_apply_pushes_and_shows_the_report_as_literal_text(wf, tmp_path: Path):
    script = _step(wf["jobs"]["apply"], "awspan push")["run"]
    _git_repo(tmp_path)
    rc, _out, summary, calls = _run(script, tmp_path, plan=2, push=0, files=("out/plan.json",))
    assert rc == 0 and calls == ["plan", "push"] and "refused" not in summary
    head, _, report = summary.partition("\n\n")
    assert head == "**awspan pushed the reviewed plan:**"
    # an indented code block: a backtick fence, HTML or an @mention in a name stays text
    assert report.splitlines() == ["    the push report", "    ```<b>@team"]


def test_apply_with_the_firewall_already_there_pushes_nothing(wf, tmp_path: Path):
    script = _step(wf["jobs"]["apply"], "awspan push")["run"]
    _git_repo(tmp_path)
    rc, _out, summary, calls = _run(script, tmp_path, plan=0, files=("out/plan.json",))
    assert rc == 0 and calls == ["plan"] and "nothing to apply" in summary


def test_apply_without_a_saved_plan_applies_nothing(wf, tmp_path: Path):
    script = _step(wf["jobs"]["apply"], "awspan push")["run"]
    rc, _out, summary, calls = _run(script, tmp_path)
    assert rc == 1 and calls == [] and "nothing reviewed to apply" in summary
