"""`awspan validate`: check policy.yaml, state.yaml, the fragment and registrations.yaml offline.

What `terraform validate` is to a Terraform user: every input file is checked the way the
steps that read it check it (schema, values, names that PAN-OS would refuse, the fragment
against schemas/fragment.xsd), and the suspicious-result warnings are shown, without any
call to AWS or the firewall. Every file is checked even when an earlier one failed, so one
run shows everything to fix. Exit 0 when all are valid (warnings allowed), 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from generator.errors import AwspanError
from generator.policy import Policy, load_policy
from generator.registrations_file import registrations_path
from generator.text import count

DEFAULT_STATE = "out/state.yaml"
DEFAULT_FRAGMENT = "out/fragment.xml"


def _say(status: str, what: str, detail: str) -> None:
    print(f"{status:<7} {what}: {detail}")


def check_policy(path: str, warnings: list[str]) -> Policy:
    """The policy as every step reads it, and its region names against the AWS SDK's list."""
    from generator.collect.regions import region_problems

    policy = load_policy(path)
    problems = region_problems(policy)
    fatal = [message for message, is_fatal in problems if is_fatal]
    if fatal:
        raise AwspanError("; ".join(fatal), where=path)
    warnings += [message for message, _ in problems]
    regions = set(policy.aws.regions).union(*(a.regions or () for a in policy.aws.accounts))
    accounts = count(len(policy.aws.accounts), "account") if policy.aws.accounts else "the default account"
    _say("ok", path, f"firewall {policy.firewall.instance_id}, {policy.firewall.location.describe()}, "
         f"{count(len(regions), 'region')} of {accounts}")
    return policy


def check_state(path: str, policy: Policy | None) -> list[str]:
    """Load and check the state; with a valid policy also build the fragment (names, protocols)
    and return the suspicious-result warnings."""
    from generator.generate.state import load_state
    from generator.generate.suspicious import protected_count, summary, suspicious

    state = load_state(path)
    if policy is None:
        _say("ok", path, summary(state) + " (not checked against the policy, which is invalid)")
        return []
    from generator.generate.model import build_fragment

    fragment = build_fragment(state, policy, where=path)
    _say("ok", path, f"{summary(state)}; {count(protected_count(state, policy), 'protected interface')}, "
         f"{count(len(fragment.rules), 'rule')} before the already-allowed check")
    return suspicious(state, policy)


def check_fragment(path: str, policy: Policy | None) -> None:
    """The fragment against schemas/fragment.xsd; with a valid policy also its location and tag."""
    from lxml import etree

    from generator.generate.render import XSD, _schema
    from generator.xmlsafe import safe_parser

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise AwspanError(f"cannot read the file ({exc.strerror})", where=path) from None
    try:
        etree.fromstring(data, safe_parser(huge_tree=True, schema=_schema()))
    except etree.XMLSyntaxError as exc:
        raise AwspanError(f"malformed or not valid against {XSD}: {exc}", where=path) from None
    detail = f"valid against {XSD}"
    if policy is not None:
        from generator.panos.config.fragment import load_fragment

        fragment = load_fragment(path, policy.firewall.location, policy.rules.tag)
        detail += f", for {policy.firewall.location.describe()}, {count(len(fragment.rules), 'rule')}"
    _say("ok", path, detail)


def check_registrations(fragment_path: str, state_path: str, policy: Policy) -> None:
    """Membership dynamic: registrations.yaml beside the fragment, as plan and push check it:
    each entry, and exactly what generate derives from the state for the fragment's rules."""
    from generator.generate.membership import agreed_registrations
    from generator.panos.config.fragment import load_fragment

    path = registrations_path(fragment_path)
    fragment = load_fragment(fragment_path, policy.firewall.location, policy.rules.tag)
    desired = agreed_registrations(policy, path, state_path, fragment.rule_names)
    _say("ok", str(path), f"{count(len(desired.tags), 'registered address')}, as generate derives them "
         f"from {state_path}")


def _present(path: str, default: str, what: str) -> bool:
    """An absent file is skipped when it is the default path, an error when named explicitly."""
    if Path(path).exists():
        return True
    if path == default:
        _say("skipped", path, f"not found (no {what} yet)")
        return False
    raise AwspanError("not found", where=path)


def run(args: argparse.Namespace) -> int:
    failed = 0
    warnings: list[str] = []

    def attempt(what: str, fn: Any, *fn_args: Any) -> Any:
        nonlocal failed
        try:
            return fn(*fn_args)
        except AwspanError as exc:
            failed += 1
            text = str(exc)
            _say("invalid", what, text[len(what) + 2:] if text.startswith(f"{what}: ") else text)
            return None

    policy = attempt(args.config, check_policy, args.config, warnings)
    if attempt(args.state, _present, args.state, DEFAULT_STATE, "state: run `awspan collect`"):
        warnings += attempt(args.state, check_state, args.state, policy) or []
    if attempt(args.fragment, _present, args.fragment, DEFAULT_FRAGMENT, "fragment: run `awspan generate`"):
        attempt(args.fragment, check_fragment, args.fragment, policy)
        if policy is not None and policy.rules.membership == "dynamic":
            regs = str(registrations_path(args.fragment))
            attempt(regs, check_registrations, args.fragment, args.state, policy)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if failed:
        print(f"awspan validate: error: {count(failed, 'file')} invalid (listed above)", file=sys.stderr)
        return 1
    return 0
