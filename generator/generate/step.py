"""The generate step as a library call: policy.yaml + state.yaml -> fragment.xml's bytes (and
precheck.yaml's, registrations.yaml's).

`generate` computes the files' contents; pipeline.generate writes them and
generator.cli.generate is the command.

Nothing is written until everything has been read, checked, rendered and validated, and
then atomically: a failed run leaves the previous fragment exactly as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from generator.gcpause import paused_gc
from generator.generate.membership import checked, to_dynamic
from generator.generate.model import build
from generator.generate.objects import Built
from generator.generate.precheck import run_precheck
from generator.generate.render import render_fragment
from generator.generate.state import load_state
from generator.generate.suspicious import suspicious
from generator.policy import Policy, load_policy

log = logging.getLogger(__name__)


def generate(
    config: str | Policy,
    state_file: str,
    *,
    rulebase: str | None = None,
    templates: str | None = None,
    sink: Callable[[bytes], None] | None = None,
) -> tuple[bytes, str | None, dict[str, int], str | None]:
    """(fragment bytes, precheck.yaml text or None, counts by singular noun, registrations.yaml
    text or None with membership dynamic); writes nothing itself. `config`: policy.yaml or its
    Policy. `sink`: takes the fragment's bytes piece by piece as they are rendered (then the
    bytes returned may be b""; see render_fragment), good only if this returns.

    Runs with the cyclic garbage collector paused (generator.gcpause: millions of objects, no
    cycles)."""
    with paused_gc():
        return _generate(config, state_file, rulebase=rulebase, templates=templates, sink=sink)


def _generate(
    config: str | Policy,
    state_file: str,
    *,
    rulebase: str | None,
    templates: str | None,
    sink: Callable[[bytes], None] | None,
) -> tuple[bytes, str | None, dict[str, int], str | None]:
    policy = config if isinstance(config, Policy) else load_policy(config)
    state = load_state(state_file)
    for warning in suspicious(state, policy):
        log.warning("warning: %s", warning)
    built = build(state, policy, where=state_file)
    fragment = built.fragment
    del state  # the model holds all that is needed: let the parsed YAML go before rendering
    report = None
    if rulebase is not None:  # the already-allowed check, on the model: then one render
        # (on the static form: membership dynamic allows the same traffic)
        fragment, report = run_precheck(fragment, rulebase, policy)
    registrations = None
    if policy.rules.membership == "dynamic":
        fragment, regs = to_dynamic(Built(fragment, built.members), policy.rules.tag, where=state_file)
        registrations = checked(regs, state_file).to_yaml()
    data, _ = render_fragment(fragment, templates, sink=sink)
    counts = {
        "rule": len(fragment.rules),
        "address": len(fragment.addresses),
        "address group": len(fragment.groups),
        "service": len(fragment.services),
    }
    if registrations is not None:
        counts["registered address"] = len(regs.entries)
    return data, report, counts, registrations
