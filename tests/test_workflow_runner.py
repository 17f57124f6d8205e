"""tests/workflow_runner.py, the local runner the workflow test relies on: expressions evaluate as
GitHub's do, a failed step stops the job, and anything it does not model fails loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workflow_runner import JobRun, WorkflowError, condition, evaluate, interpolate

GITHUB = {"event_name": "push", "ref": "refs/heads/main", "repository": "o/r", "server_url": "https://g",
          "run_id": 1}
CONTEXTS = {"vars": {"SET": "x", "EMPTY": ""}, "github": GITHUB,
            "steps": {"plan": {"outputs": {"changes": "true"}}}, "secrets": {}, "env": {}, "runner": {}}


@pytest.mark.parametrize(("expression", "value"), [
    ("vars.SET || 'default'", "x"),
    ("vars.EMPTY || 'default'", "default"),  # '' is falsy: the documented `||` default idiom
    ("vars.MISSING || 'default'", "default"),  # a missing property is null
    ("github.event_name == 'push' && github.ref == 'refs/heads/main'", True),
    ("github.event_name != 'push'", False),
    ("github.event_name == 'PUSH'", True),  # string comparison ignores case
    ("steps.plan.outputs.changes == 'true'", True),
    ("!(vars.SET == 'x')", False),
    ("'it''s'", "it's"),
])
def test_expressions_evaluate_as_on_github(expression: str, value: object) -> None:
    assert evaluate(expression, CONTEXTS) == value


def test_interpolation_and_conditions() -> None:
    assert interpolate("${{ vars.MISSING }}/${{ vars.SET }}-${{ github.event_name == 'push' }}", CONTEXTS) \
        == "/x-true"
    assert condition("${{ vars.SET == 'x' }}", CONTEXTS) and not condition("vars.EMPTY", CONTEXTS)


@pytest.mark.parametrize("expression", ["always()", "secrets.X || hashFiles('a')", "inputs.x", "a ="])
def test_what_is_not_modelled_fails_loudly(expression: str) -> None:
    with pytest.raises(WorkflowError):
        evaluate(expression, CONTEXTS)


def _job(tmp_path: Path, steps: list[dict], actions: dict | None = None) -> JobRun:
    workflow = {"env": {"W": "${{ vars.SET }}"}, "defaults": {"run": {"shell": "bash"}},
                "jobs": {"j": {"env": {"J": "j"}, "steps": steps}}}
    return JobRun(workflow, "j", tmp_path / "ws", tmp_path / "temp", CONTEXTS["github"], CONTEXTS["vars"], {},
                  actions or {}, {"PATH": "/usr/bin:/bin"})


def test_steps_run_in_order_with_outputs_env_and_summary(tmp_path: Path) -> None:
    result = _job(tmp_path, [
        {"id": "a", "run": 'echo "v=$W$J" >> "$GITHUB_OUTPUT"; echo "E=e" >> "$GITHUB_ENV"\n'
                           'echo hi >> "$GITHUB_STEP_SUMMARY"'},
        {"if": "steps.a.outputs.v == 'xj'", "name": "second", "run": 'test "$E" = e'},
        {"if": "steps.a.outputs.v == 'no'", "name": "not this", "run": "exit 3"},
        {"name": "pipefail", "run": "false | true"},
        {"name": "after a failure", "run": "true"},
    ]).run()
    assert [(s.name, s.outcome) for s in result.steps][1:] == [
        ("second", "success"), ("not this", "skipped"), ("pipefail", "failure"),
        ("after a failure", "skipped")]
    assert result.outputs["a"] == {"v": "xj"} and result.summary == "hi\n" and not result.ok


def test_an_action_without_a_stand_in_or_an_unknown_key_fails(tmp_path: Path) -> None:
    with pytest.raises(WorkflowError, match="no local stand-in"):
        _job(tmp_path, [{"uses": "actions/cache@0123"}]).run()
    with pytest.raises(WorkflowError, match="working-directory"):
        _job(tmp_path, [{"run": "true", "working-directory": "x"}]).run()
