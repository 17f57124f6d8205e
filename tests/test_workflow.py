"""deploy/github/awspan.yml: the properties docs/gitops.md promises, checked on the file, and the
shell of its two decisive steps run with a stand-in `awspan` (exit 0, 1 or 2) to see what they do.

- propose and apply have separate concurrency groups: a propose may cancel an older propose,
  an apply is never cancelled and checks out main as it is when it starts;
- required reviewers can sit on apply's environment alone (propose uses another one);
- awspan is installed from this checkout by default;
- every third-party action is pinned by a full commit SHA;
- propose opens or updates the pull request only when the plan has changes, and fails when push
  would refuse; apply pushes the saved plan (`push --plan`) or refuses and reports.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "deploy" / "github" / "awspan.yml"
SHA = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


@pytest.fixture(scope="module")
def wf() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _step(job: dict, needle: str) -> dict:
    return next(s for s in job["steps"] if needle in s.get("name", "") + s.get("run", ""))


def test_propose_and_apply_have_separate_concurrency(wf):
    propose, apply = wf["jobs"]["propose"], wf["jobs"]["apply"]
    assert "concurrency" not in wf  # no workflow-wide group: a propose must never displace an apply
    assert propose["concurrency"] == {"group": "awspan-propose", "cancel-in-progress": True}
    assert apply["concurrency"] == {"group": "awspan-apply", "cancel-in-progress": False}
    # a pending apply that replaced an older one applies main as it is now, not its trigger commit
    checkout = next(s for s in apply["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["ref"] == "main"


def test_required_reviewers_can_gate_apply_alone(wf):
    assert wf["jobs"]["apply"]["environment"] == "firewall"
    assert wf["jobs"]["propose"]["environment"] not in ("firewall", None)


def test_awspan_comes_from_this_checkout_by_default(wf):
    assert wf["env"]["AWSPAN_PACKAGE"] == "${{ vars.AWSPAN_PACKAGE || '.' }}"
    for job in wf["jobs"].values():
        assert _step(job, "Install awspan")["run"] == 'python -m pip install "$AWSPAN_PACKAGE"'


def test_every_action_is_pinned_by_a_full_commit_sha(wf):
    uses = [s["uses"] for job in wf["jobs"].values() for s in job["steps"] if "uses" in s]
    assert len(uses) >= 6
    for ref in uses:
        assert SHA.match(ref), f"{ref} is not pinned by a full commit SHA"
    # the comment beside each pin names the release, for whoever updates it
    text = WORKFLOW.read_text()
    assert all(re.search(re.escape(ref) + r" # v\d+\.\d+\.\d+", text) for ref in uses)


def test_the_pull_request_is_opened_only_when_the_plan_has_changes(wf):
    steps = wf["jobs"]["propose"]["steps"]
    pr = next(s for s in steps if s.get("uses", "").startswith("peter-evans/create-pull-request@"))
    assert pr["if"] == "steps.plan.outputs.changes == 'true'"
    plan = _step(wf["jobs"]["propose"], "awspan plan")
    assert plan["id"] == "plan" and "--out out/plan.json" in plan["run"]
    assert "--detailed-exitcode" in plan["run"]
    assert pr["with"]["add-paths"].split("#")[0].strip() == "out"  # the saved plan travels in the PR


def test_apply_pushes_the_saved_plan(wf):
    push = _step(wf["jobs"]["apply"], "awspan push")
    assert "--plan out/plan.json" in push["run"]
    assert "--force" not in push["run"]


def _run(script: str, code: int, tmp_path: Path, *, stderr: str = "", files: tuple[str, ...] = ()):
    """Run a step's script with a stand-in awspan that prints and exits with `code`."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    fake = bindir / "awspan"
    fake.write_text(f"#!/bin/sh\necho 'the plan'\necho '{stderr}' >&2\nexit {code}\n")
    fake.chmod(0o755)
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    out, summary = tmp_path / "output", tmp_path / "summary"
    out.write_text("")
    summary.write_text("")
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}", GITHUB_OUTPUT=str(out),
               GITHUB_STEP_SUMMARY=str(summary), GITHUB_REPOSITORY="org/policy")
    res = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    return res.returncode, out.read_text(), summary.read_text()


@pytest.mark.parametrize(("code", "changes", "step_exit"), [(0, "false", 0), (2, "true", 0), (1, None, 1)])
def test_propose_plan_step_decides_on_the_exit_code(wf, tmp_path: Path, code, changes, step_exit):
    script = _step(wf["jobs"]["propose"], "awspan plan")["run"]
    rc, output, summary = _run(script, code, tmp_path)
    assert rc == step_exit
    assert output == ("" if changes is None else f"changes={changes}\n")
    assert "the plan" in summary  # the plan is in the job summary whatever the outcome


def test_apply_refuses_and_reports_when_the_firewall_moved(wf, tmp_path: Path):
    script = _step(wf["jobs"]["apply"], "awspan push")["run"]
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q",
                    "--allow-empty", "-m", "x"], cwd=tmp_path, check=True)
    moved = ("awspan push: error: push refused, nothing was changed: the saved plan out/plan.json no longer "
             "matches: x; make and review a new plan")
    rc, _out, summary = _run(script, 1, tmp_path, stderr=moved, files=("out/plan.json",))
    assert rc == 1 and "refused or failed" in summary and moved in summary
    rc, _out, summary = _run(script, 0, tmp_path, files=("out/plan.json",))
    assert rc == 0 and "refused" not in summary


def test_apply_without_a_saved_plan_applies_nothing(wf, tmp_path: Path):
    script = _step(wf["jobs"]["apply"], "awspan push")["run"]
    rc, _out, summary = _run(script, 0, tmp_path)
    assert rc == 1 and "nothing reviewed to apply" in summary
