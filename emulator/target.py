"""Requests Panorama redirects to one of its firewalls: the `target=SERIAL` parameter.

"The target parameter on Panorama allows you to redirect queries to a managed firewall" (PAN-OS
and Panorama API guide, "Query a Firewall from Panorama (API)"). pan-python sends `target` for
keygen, config, commit, user_id (dynamic object updates), op, export and report requests when
`PanXapi(serial=...)` is set (`doc/pan.xapi.rst`, `lib/pan/xapi.py`); pan-os-python does the same
for a Firewall(serial=...) added to a Panorama (`panos/firewall.py` `generate_xapi`), so
`fw.userid.register(...)` goes through Panorama to that firewall; pan-os-ansible's
`provider.serial_number` and terraform-provider-panos' `panos_ip_tag` location `target_device
{serial, vsys}` use the same path. The User-ID API through Panorama with `target` needed its
`vsys` on Panorama 8.0.2 and worked without from 8.0.9 (pan-python issue #27, PAN-77290);
clients send it.

What the emulator answers for a target (its firewall's own state, fleet.py):
- `type=user-id`: the firewall's registrations (one registry per firewall);
- `type=op`: `show object registered-ip`, `test security-policy-match` (against the firewall's
  pushed policy and its registrations), `show system info`;
- anything else for a target is refused as not modelled.
A serial Panorama does not manage, or a firewall that is not connected, is an error (code 13);
the wording is the emulator's own (no published answer): clients must not depend on it.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from emulator.fleet import ManagedFirewall
from emulator.policy_match import Flow, Matcher, result_entry
from emulator.pushed import pushed_scope
from emulator.responses import (
    CODE_INVALID_COMMAND,
    CODE_MALFORMED,
    CODE_OP_FAILED,
    ApiError,
    result_success,
)
from emulator.store import Store
from emulator.userid import show_registered, user_id_response


def target_firewall(store: Store, serial: str) -> ManagedFirewall:
    if not store.panorama:
        raise ApiError(CODE_INVALID_COMMAND, "target is a Panorama parameter: this is a firewall")
    fw = store.fleet.get(serial)
    if fw is None:
        raise ApiError(CODE_OP_FAILED, f"device {serial} is not a managed device of this Panorama")
    if not fw.connected:
        raise ApiError(CODE_OP_FAILED, f"device {serial} is not connected")
    return fw


def user_id(fw: ManagedFirewall, message: str | None) -> etree._Element:
    return user_id_response(fw.registry, message)


def _policy_match(fw: ManagedFirewall, cmd: etree._Element, exploded: bool) -> etree._Element:
    query = cmd.find("security-policy-match")
    try:
        flow = Flow.from_xml(query)
    except ValueError as exc:
        raise ApiError(CODE_MALFORMED, f"test security-policy-match: {exc}") from None
    rules = etree.Element("rules")
    scope = pushed_scope(fw.pushed)
    if scope is not None:
        try:
            hits = Matcher(scope, None, fw.registry).matches(flow)
        except ValueError as exc:
            raise ApiError(CODE_MALFORMED, f"test security-policy-match: {exc}") from None
        if (query.findtext("show-all") or "").strip() != "yes":
            hits = hits[:1]
        for index, rule in hits:
            rules.append(result_entry(index, rule))
    return result_success([rules])


def _system_info(fw: ManagedFirewall, cmd: etree._Element, exploded: bool) -> etree._Element:
    system = etree.Element("system")
    for tag, value in (("hostname", fw.hostname), ("ip-address", "192.0.2.1"), ("model", "PA-VM"),
                       ("serial", fw.serial), ("sw-version", "10.1.4"), ("multi-vsys", "off")):
        etree.SubElement(system, tag).text = value
    return result_success([system])


HANDLERS: dict[str, Callable[[ManagedFirewall, etree._Element, bool], etree._Element]] = {
    "show object registered-ip": lambda fw, cmd, exploded: show_registered(fw.registry, cmd, exploded),
    "test security-policy-match": _policy_match,
    "show system info": _system_info,
}


def op(fw: ManagedFirewall, path: str, cmd: etree._Element, exploded: bool) -> etree._Element:
    handler = HANDLERS.get(path)
    if handler is None:
        raise ApiError(CODE_INVALID_COMMAND,
                       f"Invalid command: {path} for a target firewall is not implemented by the emulator")
    return handler(fw, cmd, exploded)
