"""What kind of device the emulator plays: version, vsys mode, lock and HA behaviour, managed firewalls.

Each option stands for a behaviour real devices differ in (docs/panos-fidelity.md):

- `sw_version`: `show system info` reports it. Below 10.0 there is no multi-config (the request
  is refused as an unknown action); on 10.0 multi-config is disabled until the op command
  `request multi-config enabled` (XML API guide 10.0, "Multi-config Request (API)"); from 10.1
  it is on.
- `multi_vsys`: `show system info` reports `multi-vsys: on|off`.
- `serial`: `show system info` reports it; every device has its own (a saved plan is bound to it).
- `release_config_locks_on_commit`: whether a successful commit releases the committer's config
  locks. Public evidence does not settle it for every version, so awspan must work either way.
- `ha_state`: `show high-availability state` answers `enabled: no` (None) or the local state,
  like pan-os-python reads it: a firewall's `active`, `passive`, `active-primary`,
  `active-secondary`, `initial`, `suspended`, ...; Panorama's `primary-active`,
  `secondary-passive`, and after a failover `secondary-active`, `primary-passive` (emulator/ha.py
  has the evidence). A passive peer still accepts configuration: PAN-OS does not refuse it (the
  admin guide only says to make changes on the active peer), so clients must check the state.
- `max_request_bytes`: the XML API's request size limit, 5 MB ("Structure of a PAN-OS XML API
  Request": "limit the request size to 5MB"), read as 5,000,000 bytes of form-encoded request on
  the wire (the stricter reading); a larger request is answered HTTP 413 (emulator/server.py).
- `ipv6_text`: how `show object registered-ip` spells IPv6 addresses, `compressed` or
  `exploded` (not documented; clients must compare addresses, not their text).
- `managed_devices`: on Panorama, the serials of the firewalls it manages (emulator/fleet.py;
  the shipped Panorama config assigns both to device group dg1); `failing_devices` fail their
  commit of a push; `disconnected_devices` are not connected to Panorama.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class DeviceProfile:
    sw_version: str = "10.1.0"
    multi_vsys: bool = False
    serial: str = "007000000000001"
    release_config_locks_on_commit: bool = False
    ha_state: str | None = None
    ha_peer: str = ""
    managed_devices: tuple[str, ...] = ("007051000000001", "007051000000002")
    failing_devices: tuple[str, ...] = ()
    disconnected_devices: tuple[str, ...] = ()
    max_request_bytes: int = 5_000_000
    ipv6_text: str = "compressed"
    multi_config_enabled: bool = field(default=False)

    def __post_init__(self) -> None:
        self.multi_config_enabled = self.version >= (10, 1)

    @property
    def version(self) -> tuple[int, int]:
        m = re.match(r"(\d+)\.(\d+)", self.sw_version)
        return (int(m.group(1)), int(m.group(2))) if m else (0, 0)

    @property
    def locks_need_vsys(self) -> bool:
        """From 9.1 `show config-locks` / `show commit-locks` need a `<vsys>` (pango issue #88)."""
        return self.version >= (9, 1)

    def multi_config_refusal(self) -> str | None:
        """Why a multi-config request is refused on this version, or None."""
        if self.version < (10, 0):
            return "Unknown config action: multi-config"
        if not self.multi_config_enabled:
            return "multi-config is not enabled (request multi-config enabled)"
        return None
