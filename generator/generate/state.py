"""Load state.yaml: fast YAML, fast schema check, then the checks a schema cannot express.

This is generate's hot path (a 50,000-instance estate is tens of MB of YAML), so:
- the text is parsed with yaml_rs when installed; its result is kept only when it passes the
  schema check and is certainly what PyYAML (the reference, YAML 1.1 where yaml_rs is 1.2)
  reads from the same text (see `fast_result_usable`); otherwise PyYAML parses the file, so
  whatever we report or accept is what PyYAML reads;
- the schema check is schemas/state.schema.json compiled to Python (schemacheck.py);
  jsonschema runs only to word the message once the fast check has said "invalid";
- addresses and CIDRs are parsed once here, checked (family, host bits, syntax), and replaced
  in place by their canonical text, so later steps compare plain strings.
Every error names the file and the key path, e.g. `vpcs[0].security_groups[2].ingress[1].to_port`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from generator.addresses import (
    AddressError,
    canonical_address,
    canonical_cidr,
    canonical_v4_cidr,
    is_canonical_v4,
)
from generator.errors import AwspanError
from generator.generate.consistency import check_consistency
from generator.generate.schemacheck import Check, compile_schema
from generator.resources import load_json_schema
from generator.validate import validate_document
from generator.vocab import PORT_RANGE, STATE_FIELDS, STATE_PROTOCOLS
from generator.yamlio import (
    PYYAML_FIRST,
    PYYAML_TYPED,
    appears_plain,
    load_yaml_text,
    read_text,
    yaml12_int_suspect,
)

SCHEMA = "state.schema.json"
VERSION_1 = (
    "version: 1 is the state file of an older awspan, whose interfaces sat inside their instances "
    "and which knew no other interface (load balancers, tasks, endpoints); this awspan reads "
    "version 2: re-run `awspan collect` to write it"
)
"""Why version 1 is refused rather than upgraded: it never listed the interfaces that are not an
instance's, so generate would silently leave their traffic out (an outage), and every key path
in a message would name a place the file does not have."""


@lru_cache(maxsize=1)
def _fast_check() -> Check:
    return compile_schema(load_json_schema(SCHEMA))


def fast_result_usable(text: str, data: Any) -> bool:
    """True when yaml_rs's `data` is certainly what PyYAML would read from `text`, and valid.

    yaml_rs implements YAML 1.2, PyYAML 1.1: `on`, `012`, `1_000`, `1:30`, `2024-01-01` are
    strings for the first and booleans/numbers/dates for the second, while `0o17` and `1e3` are
    numbers for the first and strings for the second. The schema check collects every string
    PyYAML's resolvers would type differently if it were written plain (account ids such as
    "111122223333" are the usual ones) and refuses every float (`1e3`: state.yaml's numbers are
    ports, written as integers); the document is usable only if none of those strings appears
    unquoted in the text and no plain `012` or `0o17` does (yaml12_int_suspect).
    """
    if yaml12_int_suspect(text):
        return False
    ambiguous: set[str] = set()

    def guard(value: str) -> bool:  # called only for the strings PYYAML_TYPED matches
        ambiguous.add(value)
        return True

    check = compile_schema(
        load_json_schema(SCHEMA), guard, guard_first=PYYAML_FIRST, guard_when=PYYAML_TYPED, reject_floats=True
    )
    if not check(data):
        return False
    return not any(appears_plain(text, value) for value in ambiguous)


def load_state(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read, validate and normalize state.yaml; AwspanError names the file and key path.

    yaml_rs parses the text when installed and its result is kept only when
    `fast_result_usable`; otherwise PyYAML, the reference, reads the file.
    """
    where = str(path)
    text = read_text(path, "state file")
    verdicts: list[bool] = []  # fast_result_usable's verdict: the schema check it ran need not run again

    def usable(text: str, data: Any) -> bool:
        if _version_1(data) and not yaml12_int_suspect(text):  # PyYAML reads the same 1: refuse now
            raise AwspanError(VERSION_1, where=where)
        verdicts.append(fast_result_usable(text, data))
        return verdicts[-1]

    data = load_yaml_text(text, where, fast=True, usable=usable)
    return parse_state(data, where, checked=verdicts == [True])


def parse_state(data: Any, where: str = "state.yaml", *, checked: bool = False) -> dict[str, Any]:
    """Validate plain data (from YAML) and normalize it in place; returns it.

    `checked`: the schema check has already passed (fast_result_usable runs it)."""
    if data is None:
        raise AwspanError("the file is empty", where=where)
    if _version_1(data):
        raise AwspanError(VERSION_1, where=where)
    if not checked and not _fast_check()(data):
        validate_document(data, SCHEMA, where)  # raises with jsonschema's key path and wording
    check_consistency(data, where)
    _normalize(data, where)
    return data


def _version_1(data: Any) -> bool:
    """An older awspan's state file (see VERSION_1); `version: true` is no version 1."""
    return isinstance(data, dict) and type(data.get("version")) in (int, float) and data["version"] == 1


def _fail(where: str, path: str, message: str) -> AwspanError:
    return AwspanError(f"{path}: {message}", where=where)


def _cidr(value: str, version: int | None, where: str, path: str) -> str:
    try:
        return canonical_cidr(value, version)
    except AddressError as exc:
        raise _fail(where, path, str(exc)) from None


def _address(value: str, version: int, where: str, path: str) -> str:
    try:
        return canonical_address(value, version)
    except AddressError as exc:
        raise _fail(where, path, str(exc)) from None


def _normalize_list(values: list[str], version: int | None, where: str, path: str, fn: Any) -> None:
    for i, value in enumerate(values):
        values[i] = fn(value, version, where, f"{path}[{i}]")


def _check_ports(perm: dict[str, Any], where: str, path: str) -> None:
    """from_port/to_port as generator.vocab.STATE_FIELDS says the protocol holds them."""
    proto = STATE_PROTOCOLS.get(perm["protocol"], perm["protocol"])  # AWS may give a number
    perm["protocol"] = proto
    for key in ("from_port", "to_port"):
        if isinstance(perm.get(key), float):  # JSON Schema's integer admits 443.0
            perm[key] = int(perm[key])
    fields = STATE_FIELDS.get(proto)
    if fields is None:
        return
    low, high = perm.get("from_port"), perm.get("to_port")
    for key, value in (("from_port", low), ("to_port", high)):
        problem = fields.problem(value)
        if problem is not None:
            raise _fail(where, f"{path}.{key}", f"{proto} {problem}")
    if fields.is_range and low > high:
        raise _fail(where, f"{path}.from_port", f"from_port {low} is greater than to_port {high}")


def _ports_plain(perm: dict[str, Any]) -> bool:
    """The common permission, already as _check_ports leaves it: a port range, int ports in order."""
    low, high = perm.get("from_port"), perm.get("to_port")
    return (
        STATE_FIELDS.get(perm["protocol"]) is PORT_RANGE
        and type(low) is int
        and type(high) is int
        and PORT_RANGE.low <= low <= high <= PORT_RANGE.high
    )


def _normalize(data: dict[str, Any], where: str) -> None:
    """Canonical addresses everywhere; ports checked per protocol. Walks every record once.

    The usual value is already canonical (collect writes canonical text): it is recognised
    without building a key path (about 300,000 lists at 50,000 instances); a list holding
    anything else goes through _normalize_list, which names the exact key on an error."""
    cidr_cache: dict[str, str] = {}

    def cidr(value: str, version: int | None, where: str, path: str) -> str:
        if version != 6 and canonical_v4_cidr(value):
            return value  # already canonical IPv4 (the common case): nothing to parse
        hit = cidr_cache.get(value)
        if hit is None or version is not None and (":" in hit) != (version == 6):
            hit = _cidr(value, version, where, path)
            cidr_cache[value] = hit
        return hit

    v4_seen: set[str] = set()  # canonical IPv4 CIDRs met so far (office ranges repeat)

    def v4_list_canonical(values: list[str]) -> bool:
        for value in values:
            if value not in v4_seen:
                if not canonical_v4_cidr(value):
                    return False
                v4_seen.add(value)
        return True

    for v, vpc in enumerate(data["vpcs"]):
        vp = f"vpcs[{v}]"
        _normalize_list(vpc.get("cidrs", []), None, where, f"{vp}.cidrs", cidr)
        for t, table in enumerate(vpc.get("route_tables", [])):
            for r, route in enumerate(table.get("routes", [])):
                dest = route["destination"]
                if not dest.startswith("pl-"):
                    route["destination"] = cidr(
                        dest, None, where, f"{vp}.route_tables[{t}].routes[{r}].destination"
                    )
        for s, subnet in enumerate(vpc.get("subnets", [])):
            for key, version in (("cidr", 4), ("ipv6_cidr", 6)):
                if subnet.get(key) is not None:
                    subnet[key] = cidr(subnet[key], version, where, f"{vp}.subnets[{s}].{key}")
        for g, group in enumerate(vpc.get("security_groups", [])):
            for p, perm in enumerate(group.get("ingress", [])):
                plain = _ports_plain(perm)
                cidrs, v6 = perm.get("cidrs"), perm.get("ipv6_cidrs")
                if plain and (not cidrs or v4_list_canonical(cidrs)) and not v6:
                    continue
                pp = f"{vp}.security_groups[{g}].ingress[{p}]"
                if not plain:
                    _check_ports(perm, where, pp)
                _normalize_list(perm.get("cidrs", []), 4, where, f"{pp}.cidrs", cidr)
                _normalize_list(perm.get("ipv6_cidrs", []), 6, where, f"{pp}.ipv6_cidrs", cidr)
        for p, plist in enumerate(vpc.get("prefix_lists", [])):
            _normalize_list(plist.get("cidrs", []), None, where, f"{vp}.prefix_lists[{p}].cidrs", cidr)
        for n, eni in enumerate(vpc.get("interfaces", [])):
            ips, ips6 = eni.get("private_ips"), eni.get("ipv6_addresses")
            p4, p6 = eni.get("ipv4_prefixes"), eni.get("ipv6_prefixes")
            if (not ips or all(map(is_canonical_v4, ips))) and not ips6 and not p4 and not p6:
                continue
            ip = f"{vp}.interfaces[{n}]"
            _normalize_list(eni.get("private_ips", []), 4, where, f"{ip}.private_ips", _address)
            _normalize_list(eni.get("ipv6_addresses", []), 6, where, f"{ip}.ipv6_addresses", _address)
            _normalize_list(eni.get("ipv4_prefixes", []), 4, where, f"{ip}.ipv4_prefixes", cidr)
            _normalize_list(eni.get("ipv6_prefixes", []), 6, where, f"{ip}.ipv6_prefixes", cidr)
