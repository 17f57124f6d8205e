"""Each step of generate timed on its own, in this process (`python -m bench generate --profile`).

The steps are those generator.generate.step.generate runs, called one by one, with the cyclic
garbage collector paused as generate pauses it; the render step is split into Jinja2 (the
template's text) and the checks of that text."""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path

from generator.gcpause import paused_gc
from generator.generate import render
from generator.generate.model import build_fragment
from generator.generate.precheck import run_precheck
from generator.generate.state import load_state
from generator.policy import load_policy
from generator.resources import templates_dir


def profile_steps(state_file: Path, policy_file: Path, rulebase: Path | None) -> dict[str, float]:
    with paused_gc():
        return _steps(state_file, policy_file, rulebase)


def _steps(state_file: Path, policy_file: Path, rulebase: Path | None) -> dict[str, float]:
    steps: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        steps[name] = now - t
        t = now

    policy = load_policy(str(policy_file))
    lap("policy")
    state = load_state(str(state_file))
    lap("state.yaml (load + check + normalise)")
    fragment = build_fragment(state, policy, where=str(state_file))
    del state
    lap("model")
    if rulebase is not None:
        with contextlib.redirect_stderr(io.StringIO()):  # one line per decided rule: not for the bench
            fragment, _ = run_precheck(fragment, rulebase, policy)
        lap("already-allowed check")
    directory = str(templates_dir())
    template = render._template(directory, directory)
    data = render._render(template, fragment, directory)
    lap("Jinja2")
    render._check_well_formed(data, directory)
    lap("well-formed, no comment or PI (all)")
    render._validate(render._render(template, render.sample(fragment), directory), directory)
    lap("XSD (sample)")
    render._validate(data, directory)
    lap("(XSD on all, for comparison)")
    return steps
