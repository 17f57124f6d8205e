"""Membership dynamic on Panorama: each firewall of the device group gets registrations.yaml.

The DAGs are in the device group, so they reach every firewall of the group (and of its
descendants) with the push; what fills them are the IP tags each firewall holds in its own
User-ID table. awspan registers them on every connected firewall, through Panorama, with the
User-ID API's `target=SERIAL` (PAN-OS and Panorama API guide, "Query a Firewall from Panorama
(API)"; pan-python `PanXapi(serial=...)`, pan-os-python `Firewall(serial=...)` under a Panorama,
pan-os-ansible `provider.serial_number`, terraform-provider-panos `panos_ip_tag` location
`target_device`). The other mechanism, registering on Panorama and letting it redistribute, is
not used: it needs each firewall configured to take IP-tag mappings from Panorama (User-ID
redistribution, PAN-OS 10.0+), which awspan can neither set up nor verify, and a firewall's
own table is what its DAGs match (docs/membership.md "Panorama" has the evidence).

Per firewall, as on a single firewall (registrations.py): read awspan's tags, unregister what
must go before the config push, register what is missing after it, read back. Firewalls are
reconciled one after the other, each on its own: a firewall that joined holds nothing and gets
the whole map; one that is not connected is named and skipped; one that fails mid-way (it
disconnected, it refused a message) is named, and the others still get theirs. push exits 1
naming every firewall left behind, after the rest succeeded.

Requests: per connected firewall, 2 x ceil(N / 500) pages of `show object registered-ip` (read,
read back) plus the User-ID messages (one per 4.5 MB of changes; a start or stop is one), on
top of the fleet read (xmlapi/fleet.py: 2 + number of groups). Never per rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from generator.errors import AwspanError
from generator.location import Location
from generator.panos.plan.fleet import FirewallRegistry, shared_before
from generator.panos.plan.membership import Delta, delta
from generator.panos.push.registrations import MembershipPush, Target, read_registered, send, uid_messages
from generator.panos.xmlapi.client import PanosClient, PanosError
from generator.panos.xmlapi.fleet import Fleet, ManagedDevice
from generator.registrations_file import Desired, Tags
from generator.safety import Guarded, Safety

log = logging.getLogger(__name__)


@dataclass
class DeviceRegistrations:
    """One firewall's registrations: what it held, what was sent, and why it was left behind."""

    device: ManagedDevice
    current: Tags = field(default_factory=dict)
    error: str | None = None  # why it was not (wholly) reconciled
    registered: int = 0
    unregistered: int = 0
    messages: int = 0
    after: Tags | None = None
    taken: Tags = field(default_factory=dict)  # what `unregister` asked it to remove

    @property
    def target(self) -> Target:
        return Target(self.device.vsys, self.device.serial)

    @property
    def ok(self) -> bool:
        return self.error is None


class FleetRegistrations:
    """registrations.yaml onto every connected firewall of the device group, one by one."""

    def __init__(self, client: PanosClient, fleet: Fleet, desired: Desired) -> None:
        self.client = client
        self.fleet = fleet
        self.desired = desired
        self.states = [DeviceRegistrations(d) for d in fleet.connected]
        self.current: Tags = {}  # what every firewall read holds (plan/fleet.py shared_before)

    def _each(self, what: str, step: Any) -> None:
        """Run `step(state)` for every firewall still on track; a failing one is named, not fatal."""
        for st in self.states:
            if not st.ok:
                continue
            try:
                step(st)
            except (PanosError, AwspanError) as exc:
                st.error = f"{what} failed: {exc}"
                log.warning("firewall %s: %s", st.device.describe(), st.error)

    def read(self) -> Tags:
        """Each firewall's registrations; returns what all of them hold (push's "before", and what a
        saved plan binds: plan/fleet.py)."""
        def one(st: DeviceRegistrations) -> None:
            st.current = read_registered(self.client, st.target, self.desired.prefix)
        self._each("reading its registrations", one)
        self.current = shared_before(self.registries())
        return self.current

    def delta(self, st: DeviceRegistrations) -> Delta:
        return delta(self.desired.tags, st.current)

    def guards(self, safety: Safety) -> list[Guarded]:
        """The mass-unregistration guard, firewall by firewall (a partial collect shows on each)."""
        out: list[Guarded] = []
        for st in self.states:
            leaving = sum(1 for ip in st.current if not self.desired.tags.get(ip))
            for guard in safety.registration_guards(len(st.current), leaving):
                out.append(type(guard)(f"firewall {st.device.describe()}: {guard.reason}"))
        return out

    def _send(self, st: DeviceRegistrations, d: Delta) -> None:
        messages = uid_messages(d, vsys=st.device.vsys, target=st.device.serial)
        send(self.client, st.target, messages)
        st.messages += len(messages)

    def unregister(self) -> None:
        """What must go, before the config push (less is always safe)."""
        def one(st: DeviceRegistrations) -> None:
            d = Delta(unregister=self.delta(st).unregister)
            if d.unregister:
                st.taken = d.unregister  # before sending: a message that fails half-way is restored too
                self._send(st, d)
                st.unregistered = d.count()[1]
                st.current = {ip: tags - d.unregister.get(ip, frozenset()) for ip, tags in st.current.items()}
                st.current = {ip: tags for ip, tags in st.current.items() if tags}
        self._each("unregistering", one)

    def register(self) -> None:
        """What is missing, after the config push; then read each firewall back."""
        def one(st: DeviceRegistrations) -> None:
            d = Delta(register=self.delta(st).register)
            if d.register:
                self._send(st, d)
                st.registered = d.count()[0]
            if not st.messages:
                st.after = st.current
                return
            st.after = read_registered(self.client, st.target, self.desired.prefix)
            left = delta(self.desired.tags, st.after)
            if not left.empty:
                a, b = left.count()
                raise AwspanError(f"its registrations are not what awspan sent: {a} tag(s) still missing and "
                                  f"{b} still registered after reconciling")
        self._each("registering", one)

    def binding(self) -> tuple[Tags, Tags]:
        """(desired, held) of every firewall read, keyed `SERIAL/VSYS IP`: a saved plan binds each
        firewall's registrations (plan/binding.py), so a change on one firewall since the plan, or a
        firewall that joined, refuses push --plan naming it."""
        want: dict[str, frozenset[str]] = {}
        held: dict[str, frozenset[str]] = {}
        for st in self.states:
            if st.ok:
                prefix = f"{st.device.serial}/{st.device.vsys} "
                want.update((prefix + ip, tags) for ip, tags in self.desired.tags.items())
                held.update((prefix + ip, tags) for ip, tags in st.current.items())
        return want, held

    @property
    def taken(self) -> Tags:
        """What `unregister` took away, over the firewalls (apply.py restores when it is not empty)."""
        out: dict[str, frozenset[str]] = {}
        for st in self.states:
            for ip, tags in st.taken.items():
                out[ip] = out.get(ip, frozenset()) | tags
        return out

    def restore(self) -> str:
        """Register again what `unregister` took away, firewall by firewall (the push failed, running
        is unchanged): a failed push leaves every firewall's registrations as it found them."""
        taken = [st for st in self.states if st.taken]
        if not taken:
            return ""
        failed = []
        for st in taken:
            try:
                self._send(st, Delta(register=st.taken))
                st.taken = {}
            except (PanosError, AwspanError) as exc:
                failed.append(f"{st.device.describe()} ({exc})")
        n = sum(sum(map(len, st.taken.values())) for st in taken)
        if failed:
            return (f"and {n} registration(s) it had removed could not be put back on firewall(s) "
                    f"{'; '.join(failed)}: the next push restores them")
        return f"the registrations it had removed were put back on {len(taken)} firewall(s)"

    def problems(self) -> list[str]:
        """Every firewall left behind, named: not connected, or failed on the way."""
        out = [f"firewall {d.describe()} of device group {d.device_group} is not connected to Panorama: "
               "its registrations were not reconciled (it converges at the first push after it reconnects)"
               for d in self.fleet.disconnected]
        out += [f"firewall {st.device.describe()}: {st.error}" for st in self.states if st.error]
        return out

    def note(self) -> str:
        done = [st for st in self.states if st.ok]
        reg, unreg = sum(st.registered for st in done), sum(st.unregistered for st in done)
        msgs = sum(st.messages for st in self.states)
        return (f"registrations on {len(done)} of {len(self.fleet.devices)} firewall(s) of device group "
                f"{self.fleet.device_group}: {reg} tag(s) registered, {unreg} unregistered ({msgs} User-ID "
                "message(s), no commit)")

    def registries(self) -> list[FirewallRegistry]:
        """Every firewall of the fleet as the plan shows it (plan/fleet.py), in the hierarchy's order."""
        by_device = {st.device: st for st in self.states}
        out = []
        for device in self.fleet.devices:
            st = by_device.get(device)
            row = {"serial": device.serial, "name": device.name or None, "device_group": device.device_group,
                   "vsys": device.vsys, "connected": device.connected}
            read = st is not None and st.ok
            out.append(FirewallRegistry(row, device.describe(), st.current if read else None,
                                        st.error if st is not None else None))
        return out


def membership_step(client: PanosClient, location: Location, desired: Desired, fleet: Fleet | None
                    ) -> MembershipPush | FleetRegistrations:
    """push's registrations step (apply.py): a firewall's, or on Panorama each firewall's of the fleet."""
    if fleet is not None:
        return FleetRegistrations(client, fleet, desired)
    return MembershipPush(client, location, desired)
