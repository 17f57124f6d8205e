"""What the device is, read before anything else: `show system info`, the version gate, the lock scope.

- **Version gate.** awspan's batch goes in `multi-config` requests. The XML API guide's page
  "Multi-config Request (API)" exists from PAN-OS 10.0; on 10.0 it says "Multi-config support
  is disabled by default" and names the CLI command `request multi-config enabled`; from 10.1
  on the sentence is gone (enabled). Below 10.0 push and plan refuse, naming the version and
  the minimum. On 10.0 the setting cannot be read through the API, so push sends its batch and,
  when PAN-OS refuses the request as a whole (no per-operation lines: nothing was applied),
  names the command that enables it (`multi_config_hint`).
- **Lock scope.** On a firewall with `multi-vsys: off`, pan-os-python takes the config lock in
  the `shared` scope (panos/base.py `add_config_lock(scope="shared")`): a vsys-scoped lock on a
  single-vsys firewall is not what other tools check. awspan does the same; on a multi-vsys
  firewall it locks the vsys, on Panorama the device group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.errors import AwspanError
from generator.location import Location
from generator.panos.xmlapi.client import PanosClient

MINIMUM = (10, 0)
ENABLE_MULTI_CONFIG = "request multi-config enabled"
_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class SystemInfo:
    """The fields of `show system info` awspan uses."""

    sw_version: str
    multi_vsys: bool
    model: str
    serial: str
    hostname: str = ""

    @property
    def version(self) -> tuple[int, int, int]:
        m = _VERSION.match(self.sw_version)
        if not m:
            raise AwspanError(f"the device reports sw-version {self.sw_version!r}, which awspan cannot read")
        return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)

    @property
    def is_panorama(self) -> bool:
        return self.model.lower().startswith("panorama") or self.model.upper().startswith("M-")

    def describe(self) -> str:
        what = "Panorama" if self.is_panorama else self.model or "PAN-OS device"
        vsys = "" if self.is_panorama else f", multi-vsys {'on' if self.multi_vsys else 'off'}"
        return f"{what} {self.serial or '?'} PAN-OS {self.sw_version}{vsys}"


def read_system_info(client: PanosClient) -> SystemInfo:
    """One request: `show system info`."""
    root = client.op("<show><system><info></info></system></show>")
    node = root.find("result/system")
    if node is None:
        raise AwspanError("`show system info` answered without <system>; is this a PAN-OS device?")

    def text(tag: str) -> str:
        return (node.findtext(tag) or "").strip()

    return SystemInfo(sw_version=text("sw-version"), multi_vsys=text("multi-vsys") == "on",
                      model=text("model"), serial=text("serial"), hostname=text("hostname"))


def check_version(info: SystemInfo) -> list[str]:
    """Refuse a device without multi-config; return warnings (10.0: it must have been enabled)."""
    major, minor, _ = info.version
    if (major, minor) < MINIMUM:
        raise AwspanError(f"{info.describe()}: awspan needs PAN-OS {MINIMUM[0]}.{MINIMUM[1]} or later (its "
                          "one atomic batch is a multi-config request, which older versions do not have); "
                          "nothing was changed")
    if (major, minor) == MINIMUM:
        return [f"PAN-OS {info.sw_version}: multi-config is disabled by default on 10.0; if push is refused, "
                f"run `{ENABLE_MULTI_CONFIG}` on the device"]
    return []


def multi_config_hint(info: SystemInfo | None, lines: list[str]) -> str | None:
    """On 10.0, a multi-config refused as a whole most likely means it is not enabled."""
    if info is None or info.version[:2] != MINIMUM or any(line.startswith("[") for line in lines):
        return None
    return (f"PAN-OS {info.sw_version} refused the multi-config request as a whole: multi-config is "
            f"disabled by default on 10.0; enable it with `{ENABLE_MULTI_CONFIG}` on the device")


@dataclass(frozen=True)
class LockTarget:
    """Where push takes the config lock; quacks like Location for the lock helpers (scope, describe)."""

    scope: str
    label: str

    def describe(self) -> str:
        return self.label


def lock_target(info: SystemInfo | None, location: Location) -> LockTarget:
    """`shared` on a single-vsys firewall (as pan-os-python), else the location's own scope."""
    if info is not None and not location.is_panorama and not info.multi_vsys:
        return LockTarget("shared", f"shared (single-vsys firewall, {location.describe()})")
    return LockTarget(location.scope, location.describe())
