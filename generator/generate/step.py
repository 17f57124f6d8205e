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
from typing import Any

from generator.gcpause import paused_gc
from generator.generate.membership import checked, dynamic_form, registrations_of
from generator.generate.model import build
from generator.generate.objects import Built
from generator.generate.precheck import run_precheck
from generator.generate.render import render_fragment
from generator.generate.start_stop import StartStop, entries
from generator.generate.state import load_state
from generator.generate.suspicious import suspicious
from generator.policy import Policy, load_policy

log = logging.getLogger(__name__)

StartStopSink = Callable[[dict[str, Any], dict[str, StartStop], int], None]
"""Takes the state, generate.start_stop's entries and the number of addresses registered."""


def generate(
    config: str | Policy,
    state_file: str,
    *,
    rulebase: str | None = None,
    templates: str | None = None,
    sink: Callable[[bytes], None] | None = None,
    start_stop: StartStopSink | None = None,
) -> tuple[bytes, str | None, dict[str, int], str | None]:
    """(fragment bytes, precheck.yaml text or None, counts by singular noun, registrations.yaml
    text or None with membership dynamic); writes nothing itself. `config`: policy.yaml or its
    Policy. `sink`: takes the fragment's bytes piece by piece as they are rendered (then the
    bytes returned may be b""; see render_fragment), good only if this returns. `start_stop`
    (membership dynamic): given the state and generate.start_stop's entries for the fragment
    generated, from the model in hand (the event reaction indexes them: events.fastpath).

    Runs with the cyclic garbage collector paused (generator.gcpause: millions of objects, no
    cycles)."""
    with paused_gc():
        return _generate(config, state_file, rulebase=rulebase, templates=templates, sink=sink,
                         start_stop=start_stop)


def _generate(
    config: str | Policy,
    state_file: str,
    *,
    rulebase: str | None,
    templates: str | None,
    sink: Callable[[bytes], None] | None,
    start_stop: StartStopSink | None,
) -> tuple[bytes, str | None, dict[str, int], str | None]:
    policy = config if isinstance(config, Policy) else load_policy(config)
    state = load_state(state_file)
    for warning in suspicious(state, policy):
        log.warning("warning: %s", warning)
    built = build(state, policy, where=state_file)
    fragment = built.fragment
    held = state if start_stop is not None else None  # the instances, for start_stop's entries
    del state  # the model holds all that is needed: let the parsed YAML go before rendering
    report = None
    if rulebase is not None:  # the already-allowed check, on the model: then one render
        # (on the static form: membership dynamic allows the same traffic)
        fragment, report = run_precheck(fragment, rulebase, policy)
    registrations = None
    if policy.rules.membership == "dynamic":
        kept = Built(fragment, built.members)
        fragment, tags_by_address = dynamic_form(kept, policy.rules.tag, where=state_file)
        regs = registrations_of(kept, tags_by_address, policy.rules.tag)
        registrations = checked(regs, state_file).to_yaml()
        if start_stop is not None and held is not None:
            start_stop(held, *entries(held, built.members, tags_by_address))
    del held
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
