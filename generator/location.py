"""Where on the device awspan's objects live: a vsys, or a Panorama device group.

generate builds the fragment along this path (so that `load config partial` works on it),
push and plan read and write these xpaths, snapshot reads the rules there. One class, so
the three never disagree about a path.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.kinds import OBJECT_KINDS

DEVICE = "localhost.localdomain"


def xpath_literal(value: str) -> str:
    """Quote a name for an xpath predicate (names never hold both quote kinds: PAN-OS forbids quotes)."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise ValueError(f"name cannot be quoted in an xpath: {value!r}")


@dataclass(frozen=True)
class Location:
    """A vsys on a firewall (`vsys`) or a device group on Panorama (`device_group` + `rulebase`)."""

    vsys: str | None = "vsys1"
    device_group: str | None = None
    rulebase: str = "pre"

    @classmethod
    def from_policy(cls, raw: dict | None) -> Location:
        if not raw:
            return cls()
        if "device_group" in raw:
            return cls(
                vsys=None, device_group=raw["device_group"], rulebase=raw.get("rulebase", cls.rulebase)
            )
        return cls(vsys=raw["vsys"], device_group=None)

    @property
    def is_panorama(self) -> bool:
        return self.device_group is not None

    @property
    def scope(self) -> str:
        """The config-lock scope: the vsys or the device group."""
        return self.device_group if self.device_group else str(self.vsys)

    def path_elements(self) -> list[tuple[str, str | None]]:
        """The element path from <config> to the container of the objects: (tag, entry name)."""
        if self.device_group:
            return [
                ("devices", None),
                ("entry", DEVICE),
                ("device-group", None),
                ("entry", self.device_group),
            ]
        return [("devices", None), ("entry", DEVICE), ("vsys", None), ("entry", str(self.vsys))]

    def rulebase_elements(self) -> list[str]:
        """The element path from the container to the security <rules>."""
        first = f"{self.rulebase}-rulebase" if self.device_group else "rulebase"
        return [first, "security", "rules"]

    @property
    def base_xpath(self) -> str:
        parts = ["/config"]
        for tag, name in self.path_elements():
            parts.append(f"{tag}[@name={xpath_literal(name)}]" if name else tag)
        return "/".join(parts)

    def xpath(self, kind: str) -> str:
        """The xpath of a container: an object kind of OBJECT_KINDS, or `rules`."""
        if kind == "rules":
            return self.rules_xpath
        if kind not in OBJECT_KINDS:
            raise ValueError(f"unknown object kind {kind!r}")
        return f"{self.base_xpath}/{kind}"

    @property
    def rules_xpath(self) -> str:
        return self.base_xpath + "/" + "/".join(self.rulebase_elements())

    def entry_xpath(self, kind: str, name: str) -> str:
        return f"{self.xpath(kind)}/entry[@name={xpath_literal(name)}]"

    def describe(self) -> str:
        if self.device_group:
            return f"device-group {self.device_group} ({self.rulebase}-rulebase)"
        return f"vsys {self.vsys}"


SHARED_XPATH = "/config/shared"
