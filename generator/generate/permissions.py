"""What one security-group ingress permission allows: its sources and its service.

Sources: IPv4, IPv6 and prefix-list entries, minus everything wholly inside the group's
VPC (the union of all its CIDR blocks, secondary ones too) or inside `rules.internal_cidrs`
(that traffic never crosses the internet gateway), minus group references (they name
instances, which are inside by definition). Containment is netaddr arithmetic, not text.

Service: tcp/udp port ranges become service objects (`tcp-8000-8100`) unless
`rules.applications` maps the exact range to an App-ID; icmp/icmpv6 for every type become
`icmp` + `ping` (`ipv6-icmp` + `ping`; never `traceroute`, whose default ports include UDP
33434-33534), one type/code a custom application
(generator/icmp.py); `all` becomes application any + service any; IP protocols 47, 50
and 51 map to the `gre`, `ipsec-esp` and `ipsec-ah` applications; any other protocol number
is an error naming the permission (see docs/generate.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.addresses import RangeSet
from generator.errors import AwspanError
from generator.generate.names import service_name
from generator.icmp import ALL_ICMP6_APPS, ALL_ICMP_APPS, IcmpApp, icmp_app
from generator.vocab import ALL_PROTOCOLS, PROTOCOL_APPS, STATE_ICMP_PROTOCOLS, STATE_PORT_PROTOCOLS

APP_DEFAULT = "application-default"


@dataclass(frozen=True)
class ServiceObject:
    name: str
    protocol: str
    port: str  # "443" or "8000-8100", as PAN-OS writes it


@dataclass(frozen=True)
class Offer:
    """The protocol part of a rule: shared by every permission with the same protocol and ports."""

    order: tuple[int, str, int, int]  # sorts rules of one owner: any, tcp, udp, icmp, icmpv6, others
    suffix: str  # rule-name suffix
    label: str  # for descriptions: "tcp 443", "icmp", "all traffic"
    applications: tuple[str, ...]
    services: tuple[str, ...]
    service_object: ServiceObject | None
    application_object: IcmpApp | None = None  # a custom ICMP type/code application the rule needs


_ORDER = {p: i for i, p in enumerate((ALL_PROTOCOLS, *STATE_PORT_PROTOCOLS, *STATE_ICMP_PROTOCOLS))}
"""Rules of one owner in this order: all, tcp, udp, icmp, icmpv6, then protocols allowed by App-ID."""
_SUPPORTED = ", ".join((*STATE_PORT_PROTOCOLS, *STATE_ICMP_PROTOCOLS, ALL_PROTOCOLS, *PROTOCOL_APPS))


class OfferTable:
    """Offers built once per distinct (protocol, from_port, to_port): 100k permissions, few offers."""

    def __init__(self, applications: dict[str, str]) -> None:
        self._apps = applications
        self._cache: dict[tuple[str, Any, Any], Offer] = {}

    def offer(self, perm: dict[str, Any], where: str, path: object) -> Offer:
        """`path`: the permission's key path, or an object whose str() is it (made only for a message)."""
        proto = perm["protocol"]
        key = (proto, perm.get("from_port"), perm.get("to_port"))
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._build(*key, where=where, path=path)
        return hit

    def _build(self, proto: str, low: Any, high: Any, *, where: str, path: object) -> Offer:
        if proto == ALL_PROTOCOLS:
            return Offer((_ORDER[proto], "", 0, 0), "any", "all traffic", ("any",), ("any",), None)
        if proto in STATE_PORT_PROTOCOLS:
            port = str(low) if low == high else f"{low}-{high}"
            app = self._apps.get(f"{proto}/{port}") or self._apps.get(f"{proto}/{low}-{high}")
            name = service_name(proto, low, high)
            if app:
                return Offer(
                    (_ORDER[proto], "", low, high),
                    name,
                    f"{proto} {port} as {app}",
                    (app,),
                    (APP_DEFAULT,),
                    None,
                )
            return Offer(
                (_ORDER[proto], "", low, high),
                name,
                f"{proto} {port}",
                ("any",),
                (name,),
                ServiceObject(name, proto, port),
            )
        if proto in STATE_ICMP_PROTOCOLS:
            return self._icmp(proto, low, high, where=where, path=path)
        if proto in PROTOCOL_APPS:
            suffix, app = PROTOCOL_APPS[proto]
            return Offer(
                (len(_ORDER), suffix, 0, 0), suffix, f"ip protocol {proto} as {app}", (app,), (APP_DEFAULT,),
                None,
            )
        raise AwspanError(
            f"{path}.protocol: IP protocol {proto} has no PAN-OS mapping (supported: {_SUPPORTED}); "
            f"remove the permission or extend generator/vocab.py's PROTOCOLS",
            where=where,
        )


    @staticmethod
    def _icmp(proto: str, low: Any, high: Any, *, where: str, path: object) -> Offer:
        try:
            app = icmp_app(proto, low, high)
        except (TypeError, ValueError) as exc:
            raise AwspanError(f"{path}: {exc}", where=where) from None
        if app is None:
            apps = ALL_ICMP_APPS if proto == "icmp" else ALL_ICMP6_APPS
            return Offer((_ORDER[proto], "", -1, -1), proto, proto, apps, (APP_DEFAULT,), None)
        code = -1 if app.code is None else app.code
        code_text = "every code" if app.code is None else f"code {app.code}"
        return Offer((_ORDER[proto], "", app.type, code), app.name, f"{proto} type {app.type} {code_text}",
                     app.applications(), (APP_DEFAULT,), None, app)


class SourceResolver:
    """Sources of one VPC's permissions, outside-only, as canonical CIDR text per family."""

    def __init__(self, vpc: dict[str, Any], internal_cidrs: tuple[str, ...]) -> None:
        self._inside = RangeSet([*vpc.get("cidrs", []), *internal_cidrs])
        self._prefix_lists = {pl["id"]: pl.get("cidrs", []) for pl in vpc.get("prefix_lists", [])}
        self._outside: dict[str, bool] = {}

    def _outside_of(self, cidrs: list[str]) -> set[str]:
        """The CIDRs of `cidrs` not wholly inside, each decided once per resolver."""
        known = self._outside
        out = set()
        for cidr in cidrs:
            hit = known.get(cidr)
            if hit is None:
                hit = known[cidr] = not self._inside.covers(cidr)
            if hit:
                out.add(cidr)
        return out

    def sources(self, perm: dict[str, Any], where: str, path: object) -> tuple[set[str], set[str]]:
        """(IPv4 sources, IPv6 sources) of one permission after dropping internal ones."""
        v4 = self._outside_of(perm.get("cidrs") or ())
        v6 = self._outside_of(perm.get("ipv6_cidrs") or ())
        for k, pl_id in enumerate(perm.get("prefix_lists", ())):
            entries = self._prefix_lists.get(pl_id)
            if entries is None:
                raise AwspanError(
                    f"{path}.prefix_lists[{k}]: prefix list {pl_id} is not in this VPC's "
                    f"prefix_lists (re-run collect)",
                    where=where,
                )
            for cidr in self._outside_of(entries):
                (v6 if ":" in cidr else v4).add(cidr)
        return v4, v6
