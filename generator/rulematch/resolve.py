"""Turn the names in a rule into sets: addresses, services and applications.

Every name resolves to two sets, `under` and `over`: traffic the name surely matches, and
traffic it may match. They differ only where awspan cannot know the truth offline (an fqdn
object, a dynamic address group, a wildcard mask, an application filter, a name that is not in
the snapshot). Coverage is decided with `under`, doubt with `over`, so an unknown never turns
into "already allowed" nor into "blocked".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from lxml import etree

from generator.addresses import AddressError, interval_of
from generator.errors import quote
from generator.groups import GROUP_DEPTH, static_members
from generator.rulematch.config import Tables, members, text_of
from generator.rulematch.sets import (
    ADDR_ALL,
    ADDR_V4,
    ADDR_V6,
    APP_ANY,
    EMPTY,
    PORTS,
    PROTO_BASE,
    SVC_ALL,
    V6_BASE,
    AppSet,
    Interval,
    Intervals,
    app_set,
    normalize,
)
from generator.vocab import PREDEFINED_SERVICES

_T = TypeVar("_T")

MAX_DEPTH = GROUP_DEPTH  # nested groups deeper than this are treated as a loop (generator.groups)


class Resolved(NamedTuple):  # a tuple: made for each of 100,000s of names, where a dataclass costs 5x
    """What a list of names covers: surely (`under`) and possibly (`over`), with what went wrong."""

    under: Intervals
    over: Intervals
    unknown: tuple[str, ...] = ()  # names found nowhere (or broken): the rule cannot count
    vague: tuple[str, ...] = ()    # names whose set is not knowable offline (fqdn, dynamic, ...)


class ResolvedApps(NamedTuple):
    under: AppSet
    over: AppSet
    unknown: tuple[str, ...] = ()
    vague: tuple[str, ...] = ()


_ANY_APPS = ResolvedApps(APP_ANY, APP_ANY)


@dataclass(frozen=True)
class OwnObjects:
    """The candidates' own objects, read straight from generate's model instead of an XML tree.

    They come first, as the fragment's vsys would in a tree (an address before a group of the
    same name), and nothing else of the fragment is read: it holds no shared objects, service
    groups or application groups. Values are what the tree's elements would hold."""

    addresses: Mapping[str, str] = field(default_factory=dict)          # name -> ip-netmask
    groups: Mapping[str, Sequence[str]] = field(default_factory=dict)   # name -> static members
    services: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # name -> (protocol, ports)


def ip_interval(text: str) -> Interval:
    """`10.0.0.0/24`, `10.0.0.1`, `10.0.0.1-10.0.0.9` or IPv6 forms -> an interval on the address line."""
    text = text.strip()
    try:
        version, lo, hi, _ = interval_of(text)
    except AddressError:
        raise ValueError(text) from None
    if version == 6:
        return (lo + V6_BASE, hi + V6_BASE)
    return (lo, hi)


def port_intervals(protocol: str, ports: str) -> list[Interval]:
    """`22,80-90` on tcp -> intervals on the service line; ValueError on anything else."""
    base = PROTO_BASE[protocol]
    out = []
    for part in ports.split(","):
        part = part.strip()
        lo_s, sep, hi_s = part.partition("-")
        lo = int(lo_s)
        hi = int(hi_s) if sep else lo
        if not 0 <= lo <= hi < PORTS:
            raise ValueError(part)
        out.append((base + lo, base + hi))
    return out


def _combine(parts: list[Resolved], exact: list[Interval] | None = None) -> Resolved:
    """The union of several names' sets, and of `exact` intervals (names that stand for exactly
    one interval: in both `under` and `over`)."""
    under: list[Interval] = list(exact or ())
    over: list[Interval] = list(under)
    unknown: list[str] = []
    vague: list[str] = []
    for res in parts:
        under += res.under
        over += res.over
        if res.unknown:
            unknown += res.unknown
        if res.vague:
            vague += res.vague
    under_set = normalize(under)
    return Resolved(under_set, under_set if over == under else normalize(over), tuple(unknown), tuple(vague))


def _memo(cache: dict[str, _T], compute: Callable[[str, int], _T], name: str, depth: int) -> _T:
    """The resolution of `name`, computed once per resolver (keyed by name: depth only stops loops)."""
    found = cache.get(name)
    if found is None:
        found = cache[name] = compute(name, depth)
    return found


def _any_or_loop(name: str, depth: int, everything: Intervals, groups: str) -> Resolved | None:
    """`any` is everything; a name nested deeper than MAX_DEPTH is a loop of `groups` (unknown)."""
    if name == "any":
        return Resolved(everything, everything)
    if depth > MAX_DEPTH:
        return Resolved(EMPTY, everything, unknown=(f"{name} ({groups} nested in a loop)",))
    return None


class Resolver:
    """Resolves names against one set of Tables, caching each name (a snapshot reuses them a lot)."""

    def __init__(self, tables: Tables, own: OwnObjects | None = None) -> None:
        self.tables = tables
        self.own = own
        self._addr: dict[str, Resolved] = {}
        self._svc: dict[str, Resolved] = {}
        self._apps: dict[str, ResolvedApps] = {}
        # whole member lists, as rules repeat them (a candidate's sources, a common service pair)
        self._addr_lists: dict[tuple[str, ...], Resolved] = {}
        self._plain_names: set[str] = set()  # resolved by _address_list without a cache entry
        self._svc_lists: dict[tuple[str, ...], Resolved] = {}
        self._app_lists: dict[tuple[str, ...], ResolvedApps] = {}

    @staticmethod
    def _union(
        names: Sequence[str], lists: dict[tuple[str, ...], Resolved], one: Callable[[str, int], Resolved]
    ) -> Resolved:
        """The union of `one(name, 0)` over `names`, cached per whole list in `lists`."""
        if len(names) == 1:
            return one(names[0], 0)
        key = tuple(names)
        found = lists.get(key)
        if found is None:
            found = lists[key] = _combine([one(name, 0) for name in names])
        return found

    # ---- addresses ---------------------------------------------------------------------
    def addresses(self, names: Sequence[str]) -> Resolved:
        """The union of the addresses `names` stand for, cached per list (a candidate's sources are
        often a list seen once, of names seen once: _union, made for that)."""
        if len(names) == 1:
            found = self._addr.get(names[0])
            return found if found is not None else self._address(names[0], 0)
        key = tuple(names)
        found = self._addr_lists.get(key)
        if found is None:
            found = self._addr_lists[key] = self._address_list(key, 0)
        return found

    def _address_list(self, names: Sequence[str], depth: int) -> Resolved:
        """The union of `names` at `depth`. A name that _address_uncached would resolve to one exact
        interval (an address of the candidates' own, or a literal that no object shadows) is taken
        here without a cache entry of its own: 100,000s of sources are literals named once."""
        cache = self._addr
        own_addresses = self.own.addresses if self.own is not None else {}
        own_groups = self.own.groups if self.own is not None else {}
        objects = self.tables.first_of(("address", "address-group"))
        plain = depth <= MAX_DEPTH
        exact: list[Interval] = []
        parts: list[Resolved] = []
        for name in names:
            res = cache.get(name)
            if res is None:
                text = None
                if plain and name != "any":
                    text = own_addresses.get(name)
                    if text is None and name not in own_groups and name not in objects:
                        text = name
                if text is not None:
                    try:
                        version, lo, hi, _ = interval_of(text.strip())
                    except AddressError:
                        pass  # the slow path says why
                    else:
                        self._plain_names.add(name)
                        exact.append((lo + V6_BASE, hi + V6_BASE) if version == 6 else (lo, hi))
                        continue
                res = cache[name] = self._address_uncached(name, depth)
            parts.append(res)
        return _combine(parts, exact)

    def _address(self, name: str, depth: int) -> Resolved:
        return _memo(self._addr, self._address_uncached, name, depth)

    def _address_uncached(self, name: str, depth: int) -> Resolved:
        # A name resolved before is not in a loop, whatever the depth (the cache is by name); names
        # _address_list found plain are not cached, so they are remembered here.
        if name == "any" or (depth > MAX_DEPTH and name not in self._plain_names):
            trivial = _any_or_loop(name, depth, ADDR_ALL, "address groups")
            if trivial is not None:
                return trivial
        if self.own is not None:
            value = self.own.addresses.get(name)
            if value is not None:
                return self._address_value(name, "ip-netmask", value.strip())
            group = self.own.groups.get(name)
            if group is not None:
                return self._static_group([m.strip() for m in group], depth)
        kind, entry = self.tables.find_first(("address", "address-group"), name)
        if entry is None:
            try:  # a rule may hold a literal address instead of an object name
                version, lo, hi, _ = interval_of(name.strip())  # ip_interval, inlined: the hot path
            except AddressError:
                return Resolved(EMPTY, ADDR_ALL, unknown=(f"address {name}",))
            ivs = ((lo + V6_BASE, hi + V6_BASE),) if version == 6 else ((lo, hi),)
            return Resolved(ivs, ivs)
        if kind == "address":
            return self._address_object(name, entry)
        static = static_members(entry)
        if static is not None:
            return self._static_group(static, depth)
        return Resolved(EMPTY, ADDR_ALL, vague=(f"dynamic address group {name}",))

    def _static_group(self, names: list[str], depth: int) -> Resolved:
        return self._address_list(names, depth + 1)

    @staticmethod
    def _address_value(name: str, kind: str, value: str) -> Resolved:
        try:
            version, lo, hi, _ = interval_of(value.strip())  # ip_interval, inlined
        except AddressError:
            problem = f"address {name} ({kind} {quote(value)} is unreadable)"
            return Resolved(EMPTY, ADDR_ALL, unknown=(problem,))
        ivs = ((lo + V6_BASE, hi + V6_BASE),) if version == 6 else ((lo, hi),)
        return Resolved(ivs, ivs)

    def _address_object(self, name: str, entry: etree._Element) -> Resolved:
        for kind in ("ip-netmask", "ip-range"):
            value = text_of(entry, kind)
            if value is not None:
                return self._address_value(name, kind, value)
        wildcard = text_of(entry, "ip-wildcard")
        if wildcard is not None:  # a non-contiguous set: known family, unknown members
            family = ADDR_V6 if ":" in wildcard else ADDR_V4
            return Resolved(EMPTY, family, vague=(f"ip-wildcard address {name}",))
        if entry.find("fqdn") is not None:  # resolves at run time, to anything: never covers
            return Resolved(EMPTY, ADDR_ALL, vague=(f"fqdn address {name}",))
        return Resolved(EMPTY, ADDR_ALL, unknown=(f"address {name} (no ip-netmask, ip-range or fqdn)",))

    # ---- services ----------------------------------------------------------------------
    def services(self, names: Sequence[str]) -> Resolved:
        return self._union(names, self._svc_lists, self._service)

    def _service(self, name: str, depth: int) -> Resolved:
        return _memo(self._svc, self._service_uncached, name, depth)

    def _service_uncached(self, name: str, depth: int) -> Resolved:
        trivial = _any_or_loop(name, depth, SVC_ALL, "service groups")
        if trivial is not None:
            return trivial
        if self.own is not None:
            found = self.own.services.get(name)
            if found is not None:
                return self._port_service(name, found[0], found[1].strip(), None)
        kind, entry = self.tables.find_first(("service", "service-group"), name)
        if entry is None:
            if name in PREDEFINED_SERVICES:
                ivs = normalize(iv for proto, ports in PREDEFINED_SERVICES[name]
                                for iv in port_intervals(proto, ports))
                return Resolved(ivs, ivs)
            return Resolved(EMPTY, SVC_ALL, unknown=(f"service {name}",))
        if kind == "service-group":
            return _combine([self._service(member, depth + 1) for member in members(entry, "members")])
        protocol = entry.find("protocol")
        if protocol is None or len(protocol) != 1:
            return self._port_service(name, None, "", None)
        proto = protocol[0]
        ports = text_of(proto, "port") or ""
        return self._port_service(name, proto.tag, ports, text_of(proto, "source-port"))

    @staticmethod
    def _port_service(name: str, protocol: object, ports: str, source_port: str | None) -> Resolved:
        if protocol not in PROTO_BASE:
            return Resolved(EMPTY, SVC_ALL, unknown=(f"service {name} (no tcp, udp or sctp protocol)",))
        try:
            ivs = normalize(port_intervals(str(protocol), ports))
        except ValueError:
            return Resolved(EMPTY, SVC_ALL, unknown=(f"service {name} (unreadable port list)",))
        if source_port:  # matches only some source ports: never the whole traffic
            return Resolved(EMPTY, ivs, vague=(f"service {name} (source-port limited)",))
        return Resolved(ivs, ivs)

    # ---- applications ------------------------------------------------------------------
    def applications(self, names: Sequence[str]) -> ResolvedApps:
        if "any" in names:
            return _ANY_APPS
        key = tuple(names)
        found = self._app_lists.get(key)
        if found is None:
            found = self._app_lists[key] = self._union_apps([self._application(name, 0) for name in names])
        return found

    @staticmethod
    def _union_apps(parts: list[ResolvedApps]) -> ResolvedApps:
        """Union of finite application sets; one vague part makes the `over` side `any`."""
        under: set[str] = set()
        over: set[str] = set()
        over_any = False
        unknown: list[str] = []
        vague: list[str] = []
        for res in parts:
            under |= res.under[1]
            over_any = over_any or res.over[0]
            over |= res.over[1]
            unknown.extend(res.unknown)
            vague.extend(res.vague)
        over_set = APP_ANY if over_any else app_set(over)
        return ResolvedApps(app_set(under), over_set, tuple(unknown), tuple(vague))

    def _application(self, name: str, depth: int) -> ResolvedApps:
        return _memo(self._apps, self._application_uncached, name, depth)

    def _application_uncached(self, name: str, depth: int) -> ResolvedApps:
        if depth > MAX_DEPTH:
            problem = f"{name} (application groups nested in a loop)"
            return ResolvedApps(app_set(()), APP_ANY, unknown=(problem,))
        kind, entry = self.tables.find_first(("application-group", "application-filter"), name)
        if entry is None:
            # A predefined application: the config does not list them, so any name is taken at its word.
            return ResolvedApps(app_set((name,)), app_set((name,)))
        if kind == "application-filter":
            return ResolvedApps(app_set(()), APP_ANY, vague=(f"application filter {name}",))
        return self._union_apps([self._application(m, depth + 1) for m in members(entry, "members")])
