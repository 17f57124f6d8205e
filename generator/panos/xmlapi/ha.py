"""HA pairs: push to the active peer only, and refuse when that is not clear.

Active/passive VM-Series pairs are common in transit VPCs. Configuration is made on the active
peer and HA config sync carries it to the passive one; a change pushed to the passive peer is
overwritten by the next sync (or, worse, synced over the active one). `firewall.url` may name
both peers; awspan asks each `show high-availability state` and reads the local state where
pan-os-python does (`result/group/local-info/state` on a firewall, `result/local-info/state` on
Panorama; `result/enabled` `no` means HA is off). Exactly one peer must be active
(`active`, or `active-primary` in an active/active pair); none or two active (split brain) is a
refusal naming each peer's state, before anything is read or changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from generator.errors import AwspanError
from generator.panos.xmlapi.client import PanosClient, PanosError

ACTIVE = frozenset({"active", "active-primary"})


def ha_state(client: PanosClient) -> str:
    """The local HA state: `active`, `passive`, `initial`, ..., or `disabled`."""
    root = client.op("<show><high-availability><state></state></high-availability></show>")
    enabled = (root.findtext("result/enabled") or "").strip()
    if enabled in ("", "no"):
        return "disabled"
    state = root.findtext("result/group/local-info/state") or root.findtext("result/local-info/state")
    return (state or "unknown").strip()


def choose_active(urls: Sequence[str], connect: Callable[[str], PanosClient]) -> PanosClient:
    """The client of the one active peer among `urls` (one URL: that device, unasked)."""
    if len(urls) == 1:
        return connect(urls[0])
    states: list[tuple[str, str, PanosClient | None]] = []
    for url in urls:
        try:
            client = connect(url)
            states.append((url, ha_state(client), client))
        except PanosError as exc:  # an unreachable peer is not active; say so, decide on the other
            states.append((url, f"unreachable ({exc})", None))
    active = [(url, client) for url, state, client in states if state in ACTIVE and client is not None]
    listing = "; ".join(f"{url}: {state}" for url, state, _ in states)
    if len(active) == 1:
        return active[0][1]
    if not active:
        raise AwspanError(f"no peer of the HA pair is active ({listing}); awspan pushes only to the active "
                          "peer, nothing was changed")
    raise AwspanError(f"both peers of the HA pair say they are active ({listing}): a split brain; fix HA "
                      "before pushing, nothing was changed")
