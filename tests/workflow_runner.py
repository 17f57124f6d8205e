"""Run one job of a GitHub Actions workflow file on this machine, the way a GitHub runner does.

Why a runner of our own: the shipped workflow is code, and its `run:` steps are the part that
breaks for a user (a wrong path, a lost exit code, a key in the wrong place). This runs them as
GitHub does -- the script in a file under `bash --noprofile --norc -eo pipefail` (or `bash -e`
without `defaults.run.shell: bash`), the workflow's, job's and step's `env:` with their
`${{ }}` expressions evaluated, GITHUB_OUTPUT / GITHUB_ENV / GITHUB_PATH / GITHUB_STEP_SUMMARY
files, a job that stops at the first failed step -- and each `uses:` step by a local stand-in the
caller names per action. An action without a stand-in, an unknown step or job key, or an
expression this evaluator does not know fails loudly, so the workflow cannot grow a part the test
silently skips.

Expressions: contexts (`github`, `vars`, `secrets`, `steps`, `runner`, `env`), string, number and
boolean literals, `==`, `!=`, `!`, `&&`, `||` and parentheses, with GitHub's semantics
(`a || b` is the first truthy operand; strings compare case-insensitively; a missing property is
null, which interpolates as ''). No functions: a step `if:` is implicitly `success() && (...)`,
which is what stopping at the first failure does.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||!|\(|\))"
                   r"|(?P<name>[A-Za-z_][\w-]*(?:\.[\w-]+|\[\d+\])*))")
RUN_KEYS = {"name", "id", "if", "env", "run", "shell"}
USES_KEYS = {"name", "id", "if", "env", "uses", "with"}
JOB_KEYS = {"if", "runs-on", "concurrency", "environment", "permissions", "env", "steps", "defaults"}
SHELLS = {None: ["bash", "-e"], "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"]}


class WorkflowError(AssertionError):
    """The workflow uses something this runner does not model: teach it, do not skip it."""


def _truthy(value: Any) -> bool:
    return value not in (None, False, "", 0)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return a == b


class _Parser:
    """Recursive descent over GitHub's expression grammar (the subset above)."""

    def __init__(self, text: str, contexts: dict[str, Any]) -> None:
        self.tokens = self._tokenize(text)
        self.pos = 0
        self.contexts = contexts

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        tokens, pos = [], 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise WorkflowError(f"expression not understood at {text[pos:]!r} in {text!r}")
            kind = m.lastgroup or ""
            tokens.append((kind, m.group(kind)))
            pos = m.end()
        return tokens

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def parse(self) -> Any:
        value = self._or()
        if self.pos != len(self.tokens):
            raise WorkflowError(f"unexpected {self._peek()!r} in expression")
        return value

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self.pos += 1
            right = self._and()
            value = value if _truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._cmp()
        while self._peek() == "&&":
            self.pos += 1
            right = self._cmp()
            value = right if _truthy(value) else value
        return value

    def _cmp(self) -> Any:
        value = self._unary()
        while self._peek() in ("==", "!="):
            op = self.tokens[self.pos][1]
            self.pos += 1
            right = self._unary()
            value = _equal(value, right) if op == "==" else not _equal(value, right)
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self.pos += 1
            return not _truthy(self._unary())
        if self._peek() == "(":
            self.pos += 1
            value = self._or()
            if self._peek() != ")":
                raise WorkflowError("missing ) in expression")
            self.pos += 1
            return value
        if self.pos >= len(self.tokens):
            raise WorkflowError("expression ends early")
        kind, text = self.tokens[self.pos]
        self.pos += 1
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "name":
            if self._peek() == "(":
                raise WorkflowError(f"function {text}() is not modelled by the local runner")
            return self._lookup(text)
        raise WorkflowError(f"unexpected {text!r} in expression")

    def _lookup(self, path: str) -> Any:
        literals = {"true": True, "false": False, "null": None}
        if path in literals:
            return literals[path]
        head, *rest = path.split(".")
        if head not in self.contexts:
            raise WorkflowError(f"context {head!r} is not modelled by the local runner")
        value: Any = self.contexts[head]
        for key in rest:
            value = value.get(key) if isinstance(value, dict) else None
        return value


def evaluate(expression: str, contexts: dict[str, Any]) -> Any:
    return _Parser(expression, contexts).parse()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def interpolate(text: str, contexts: dict[str, Any]) -> str:
    """Replace every ${{ expr }} in `text` by its value, as GitHub does before a step runs."""
    return EXPR.sub(lambda m: _text(evaluate(m.group(1), contexts)), text)


def condition(text: Any, contexts: dict[str, Any]) -> bool:
    """A job's or step's `if:` (the ${{ }} is optional there)."""
    if text is None:
        return True
    body = str(text).strip()
    m = EXPR.fullmatch(body)
    return _truthy(evaluate(m.group(1) if m else body, contexts))


def read_commands_file(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT / GITHUB_ENV: `name=value` lines and `name<<DELIM ... DELIM` blocks."""
    values: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            end = lines.index(delim, i + 1)
            values[name] = "\n".join(lines[i + 1:end])
            i = end + 1
            continue
        if line:
            name, _, value = line.partition("=")
            values[name] = value
        i += 1
    return values


@dataclass
class StepResult:
    name: str
    outcome: str  # success | failure | skipped
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    env: dict[str, str] = field(default_factory=dict)  # what the step's process was given


@dataclass
class JobResult:
    name: str
    ran: bool  # False: the job's `if:` was false for this event
    steps: list[StepResult] = field(default_factory=list)
    summary: str = ""
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # step id -> outputs

    @property
    def ok(self) -> bool:
        return self.ran and all(s.outcome != "failure" for s in self.steps)

    def step(self, needle: str) -> StepResult:
        return next(s for s in self.steps if needle in s.name)


Action = Callable[["JobRun", dict[str, str]], dict[str, str] | None]
"""A stand-in for a `uses:` action: gets the run and the evaluated `with:`; returns env to export."""


@dataclass
class JobRun:
    """One run of one job: `JobRun(...).run()` is what a runner does with the job."""

    workflow: dict[str, Any]
    job_name: str
    workspace: Path
    temp: Path
    github: dict[str, Any]
    vars: dict[str, str]
    secrets_by_environment: dict[str, dict[str, str]]
    actions: dict[str, Action]
    base_env: dict[str, str]
    timeout: float = 600.0
    exported: dict[str, str] = field(default_factory=dict)
    path_prefix: list[str] = field(default_factory=list)

    @property
    def job(self) -> dict[str, Any]:
        return self.workflow["jobs"][self.job_name]

    def _contexts(self, outputs: dict[str, dict[str, str]], env: dict[str, str]) -> dict[str, Any]:
        secrets = self.secrets_by_environment.get(self.job.get("environment") or "", {})
        return {"github": self.github, "vars": self.vars, "secrets": secrets, "env": env,
                "runner": {"temp": str(self.temp), "os": "Linux"},
                "steps": {k: {"outputs": v, "outcome": "success"} for k, v in outputs.items()}}

    def _env_block(self, block: dict[str, Any] | None, contexts: dict[str, Any]) -> dict[str, str]:
        return {k: interpolate(_text(v), contexts) for k, v in (block or {}).items()}

    def _github_env(self) -> dict[str, str]:
        g = self.github
        return {"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(self.workspace),
                "GITHUB_REPOSITORY": g["repository"], "GITHUB_SERVER_URL": g["server_url"],
                "GITHUB_EVENT_NAME": g["event_name"], "GITHUB_REF": g["ref"],
                "GITHUB_RUN_ID": str(g["run_id"]), "GITHUB_JOB": self.job_name, "RUNNER_TEMP": str(self.temp)}

    def run(self) -> JobResult:
        unknown = set(self.job) - JOB_KEYS
        if unknown:
            raise WorkflowError(f"job keys not modelled by the local runner: {sorted(unknown)}")
        result = JobResult(self.job_name, ran=False)
        workflow_env = self._env_block(self.workflow.get("env"), self._contexts({}, {}))
        if not condition(self.job.get("if"), self._contexts({}, workflow_env)):
            return result
        result.ran = True
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.temp.mkdir(parents=True, exist_ok=True)
        job_env = {**workflow_env, **self._env_block(self.job.get("env"), self._contexts({}, workflow_env))}
        failed = False
        for index, step in enumerate(self.job["steps"]):
            name = step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0]
            env = {**job_env, **self.exported}
            contexts = self._contexts(result.outputs, env)
            if failed or not condition(step.get("if"), contexts):
                result.steps.append(StepResult(name, "skipped"))
                continue
            env.update(self._env_block(step.get("env"), contexts))
            outcome = (self._uses(step, env, contexts) if "uses" in step
                       else self._run(step, env, contexts, index, result))
            outcome.name = name
            result.steps.append(outcome)
            failed = outcome.outcome == "failure"
        return result

    def _uses(self, step: dict[str, Any], env: dict[str, str], contexts: dict[str, Any]) -> StepResult:
        unknown = set(step) - USES_KEYS
        if unknown:
            raise WorkflowError(f"step keys not modelled by the local runner: {sorted(unknown)}")
        action = step["uses"].split("@", 1)[0]
        if action not in self.actions:
            raise WorkflowError(f"no local stand-in for the action {action!r}: add one to the test")
        inputs = {k: interpolate(_text(v), contexts) for k, v in (step.get("with") or {}).items()}
        exported = self.actions[action](self, inputs) or {}
        self.exported.update(exported)
        return StepResult(action, "success", env=env)

    def _run(self, step: dict[str, Any], env: dict[str, str], contexts: dict[str, Any], index: int,
             result: JobResult) -> StepResult:
        unknown = set(step) - RUN_KEYS
        if unknown:
            raise WorkflowError(f"step keys not modelled by the local runner: {sorted(unknown)}")
        shell = step.get("shell") or ((self.job.get("defaults") or self.workflow.get("defaults") or {})
                                      .get("run", {}).get("shell"))
        if shell not in SHELLS:
            raise WorkflowError(f"shell {shell!r} is not modelled by the local runner")
        script = self.temp / f"step-{index}.sh"
        script.write_text(interpolate(step["run"], contexts))
        files = {name: self.temp / f"{name.lower()}-{index}" for name in
                 ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")}
        for path in files.values():
            path.write_text("")
        path = os.pathsep.join([*self.path_prefix, self.base_env.get("PATH", "")])
        proc_env = {**self.base_env, **self._github_env(), **env, "PATH": path,
                    **{k: str(v) for k, v in files.items()}}
        proc = subprocess.run([*SHELLS[shell], str(script)], cwd=self.workspace, env=proc_env,
                              capture_output=True, text=True, timeout=self.timeout, check=False)
        result.summary += files["GITHUB_STEP_SUMMARY"].read_text()
        if step.get("id"):
            result.outputs[step["id"]] = read_commands_file(files["GITHUB_OUTPUT"])
        self.exported.update(read_commands_file(files["GITHUB_ENV"]))
        self.path_prefix[:0] = [p for p in files["GITHUB_PATH"].read_text().splitlines() if p]
        return StepResult("", "success" if proc.returncode == 0 else "failure", proc.returncode,
                          proc.stdout, proc.stderr, env=env)
