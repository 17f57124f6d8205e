"""HA pairs: talk to the active peer only, and refuse when that is not clear.

Active/passive VM-Series pairs are common in transit VPCs. Configuration is made on the active
peer and HA config sync carries it to the passive one; PAN-OS does not refuse a change made on
the passive peer, but the next sync overwrites it (or, worse, syncs it over the active one):
"always make configuration changes on the active (active/passive) or active-primary
(active/active) peer" (PAN-OS Administrator's Guide, "Reference: HA Synchronization"). So
awspan asks `show high-availability state` before anything else, on every URL it is given:

- one URL: HA off, or this device active → use it; any other state (passive, suspended,
  initial, ...) → refuse before any change, naming the state and the fix (point firewall.url at
  the active peer, or list both peers);
- two URLs (`firewall.url: [a, b]`): exactly one peer must be active; none or two (split brain)
  is a refusal naming each peer's state.

The local state is read where pan-os-python reads it (`panos/base.py`
`show_highavailability_state`): `result/group/local-info/state` on a firewall,
`result/local-info/state` on Panorama (`result/enabled` `no`: HA off). What "active" is spelled
depends on the device, told apart by that same shape:

- a firewall: `active` (active/passive) or `active-primary` (active/active; its peer
  `active-secondary` also forwards traffic but is not where configuration is made);
- Panorama: its state joins the configured priority and the role, and after a failover the
  secondary is the active one: `primary-active`, `secondary-active` (live answers:
  cdot65/pan-os-upgrade `tests/test_flatten_xml_to_dict.py`), worded `active-primary`,
  `active-secondary` in the Panorama Administrator's Guide ("Priority and Failover on Panorama
  in HA"). Every spelling holding the word `active` is active; `primary-passive`,
  `secondary-passive`, `passive-primary`, `secondary-suspended`, ... are not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from generator.errors import AwspanError, quote
from generator.panos.xmlapi.client import PanosClient, PanosError

FIREWALL_ACTIVE = frozenset({"active", "active-primary"})
HA_STATE = "<show><high-availability><state></state></high-availability></show>"


@dataclass(frozen=True)
class HaState:
    """One device's own HA state: `disabled` when HA is off; `panorama` from the answer's shape."""

    state: str
    panorama: bool = False

    @property
    def enabled(self) -> bool:
        return self.state != "disabled"

    @property
    def active(self) -> bool:
        if self.panorama:
            return "active" in self.state.split("-")
        return self.state in FIREWALL_ACTIVE

    @property
    def usable(self) -> bool:
        """Configuration may be made here: HA off, or the active peer."""
        return not self.enabled or self.active


def ha_state(client: PanosClient) -> HaState:
    """One request: `show high-availability state`."""
    root = client.op(HA_STATE)
    enabled = (root.findtext("result/enabled") or "").strip()
    if enabled in ("", "no"):
        return HaState("disabled")
    firewall = root.findtext("result/group/local-info/state")
    if firewall is not None:
        return HaState(firewall.strip() or "unknown")
    return HaState((root.findtext("result/local-info/state") or "unknown").strip(), panorama=True)


def _one(url: str, connect: Callable[[str], PanosClient]) -> PanosClient:
    client = connect(url)
    state = ha_state(client)
    if state.usable:
        return client
    raise AwspanError(f"{quote(client.endpoint)} is the {quote(state.state)} peer of an HA pair: "
                      "configuration made there is overwritten by the next HA sync, so awspan talks only "
                      "to the active peer; set firewall.url (or PANOS_URL) to the active peer, or list both "
                      "peers (firewall.url: [peer-a, peer-b]) and awspan picks the active one; nothing was "
                      "changed")


def choose_active(urls: Sequence[str], connect: Callable[[str], PanosClient]) -> PanosClient:
    """The client of the one active (or stand-alone) device among `urls`."""
    if len(urls) == 1:
        return _one(urls[0], connect)
    states: list[tuple[str, str, PanosClient | None]] = []
    active: list[PanosClient] = []
    for url in urls:
        try:
            client = connect(url)
            state = ha_state(client)
        except PanosError as exc:  # an unreachable peer is not active; say so, decide on the other
            states.append((url, f"unreachable ({exc})", None))
            continue
        states.append((url, state.state, client))
        if state.enabled and state.active:
            active.append(client)
    listing = "; ".join(f"{url}: {state}" for url, state, _ in states)
    if len(active) == 1:
        return active[0]
    if not active:
        raise AwspanError(f"no peer of the HA pair is active ({listing}); awspan pushes only to the active "
                          "peer, nothing was changed")
    raise AwspanError(f"both peers of the HA pair say they are active ({listing}): a split brain; fix HA "
                      "before pushing, nothing was changed")
