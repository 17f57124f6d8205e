"""The User-ID API's IP tag registrations, and dynamic address group (DAG) filters.

What a firewall does, and where we learnt it:
- `type=user-id` with `cmd` holding a `uid-message` (version 1.0 or 2.0, type `update`) whose
  payload holds `register` / `unregister` entries `<entry ip="..."><tag><member>t</member>...`
  (PAN-OS XML API guide, "Apply User-ID Mapping and Populate Dynamic Groups (API)"; pan-os-python
  `panos/userid.py`). Registrations are runtime state: no commit, effective at once.
- An entry's ip is a host address (IPv4 or IPv6) or, from PAN-OS 10.0 on, an IPv4 network or
  range; IPv6 networks and ranges are not supported (PAN-OS 10.0 New Features, "IP Range and
  Subnet Support in Dynamic Address Groups"; api-lab.paloaltonetworks.com, "Register and
  Unregister - DAG Objects"). A registered network puts every address in it into the DAGs its
  tags match. The emulator takes hosts and IPv4 networks (a network with host bits, a range or
  an IPv6 network is refused as malformed: the evidence does not say what a firewall makes of
  them, and awspan sends none).
- Requests are limited to 5 MB (same page).
- Registering a tag an IP already has, or unregistering one it does not have, is reported as
  an error per entry ("... already exists, ignore" / "... does not exist, ignore unreg"); the
  rest of the message is still applied (pan-os-python's `ignore_dup_errors` exists for this).
- `show object registered-ip` lists `<entry ip="..." from_agent="0" persistent="1"><tag>
  <member>..`, filtered by `<ip>` or `<tag><entry name=".."/></tag>`, paged by `<limit>` and
  `<start-point>` (PAN-OS 8.0+, as pan-os-python pages it).
- A DAG's `<dynamic><filter>` is tags in single quotes combined with `and`, `or` and
  parentheses; its members are the registered IPs and the address objects whose tags satisfy
  it (PAN-OS admin guide, "Dynamic Address Groups").
"""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Callable, Iterable

from lxml import etree

from emulator.responses import CODE_MALFORMED, ApiError, result_success
from generator.addresses import AddressError, canonical_address, sort_key
from generator.xmlsafe import safe_parser

MAX_REQUEST_BYTES = 5 * 1024 * 1024
_PARSER = safe_parser()


class Registry:
    """Registered IP -> tags, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tags: dict[str, set[str]] = {}

    def snapshot(self) -> dict[str, frozenset[str]]:
        with self._lock:
            return {ip: frozenset(tags) for ip, tags in self._tags.items() if tags}

    def tags_of(self, ip: str) -> frozenset[str]:
        """The tags of `ip`: its own and those of every registered IPv4 network holding it."""
        address = ipaddress.ip_address(_canonical(ip))
        with self._lock:
            out = set(self._tags.get(str(address), ()))
            for key, tags in self._tags.items():
                if "/" in key and address in ipaddress.ip_network(key):
                    out |= tags
            return frozenset(out)

    def apply(self, message: str) -> list[tuple[str, str, str]]:
        """Apply one uid-message; return the per-entry complaints (kind, ip, message)."""
        if len(message.encode()) > MAX_REQUEST_BYTES:
            raise ApiError(CODE_MALFORMED, "User-ID request is larger than the 5 MB limit")
        try:
            root = etree.fromstring(message.strip().encode(), _PARSER)
        except etree.XMLSyntaxError as exc:
            raise ApiError(CODE_MALFORMED, f"Malformed uid-message: {exc}") from None
        if root.tag != "uid-message" or (root.findtext("version") or "").strip() not in ("1.0", "2.0"):
            raise ApiError(CODE_MALFORMED, "expected a uid-message of version 1.0 or 2.0")
        if (root.findtext("type") or "").strip() != "update" or root.find("payload") is None:
            raise ApiError(CODE_MALFORMED, "a uid-message needs <type>update</type> and a <payload>")
        work: list[tuple[str, str, list[str]]] = []
        for kind in ("unregister", "register"):
            for entry in root.iterfind(f"payload/{kind}/entry"):
                ip = entry.get("ip")
                tags = [(m.text or "").strip() for m in entry.iterfind("tag/member")]
                if not ip or not tags or not all(tags):
                    raise ApiError(CODE_MALFORMED, f"{kind}: every entry needs an ip and tag members")
                try:
                    work.append((kind, _canonical(ip), tags))
                except AddressError:
                    raise ApiError(CODE_MALFORMED, f"{kind}: {ip!r} is not an IP address") from None
        complaints: list[tuple[str, str, str]] = []
        with self._lock:
            for kind, ip, tags in work:
                have = self._tags.setdefault(ip, set())
                for tag in tags:
                    if kind == "register":
                        if tag in have:
                            complaints.append((kind, ip, f"tag {tag} already exists, ignore"))
                        have.add(tag)
                    else:
                        if tag not in have:
                            complaints.append((kind, ip, f"tag {tag} does not exist, ignore unreg"))
                        have.discard(tag)
                if not have:
                    del self._tags[ip]
        return complaints


def _canonical(ip: str) -> str:
    """A host address, or an IPv4 network without host bits, in canonical text."""
    text = ip.strip()
    if "/" not in text:
        return canonical_address(text)
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        raise AddressError(f"{text!r} is not a network") from None
    if network.version != 4:
        raise AddressError("IPv6 networks are not supported in dynamic address groups")
    return str(network)


def user_id_response(registry: Registry, message: str | None) -> etree._Element:
    """The answer to one `type=user-id` request: success, or an error listing each complaint
    in a uid-response (the rest of the message was applied)."""
    if not message:
        raise ApiError(CODE_MALFORMED, "type=user-id needs a cmd holding a uid-message")
    complaints = registry.apply(message)
    if not complaints:
        return result_success()
    root = etree.Element("response", status="error")
    line = etree.SubElement(etree.SubElement(root, "msg"), "line")
    response = etree.SubElement(line, "uid-response")
    etree.SubElement(response, "version").text = "2.0"
    payload = etree.SubElement(response, "payload")
    for kind, ip, text in complaints:
        holder = payload.find(kind)
        if holder is None:
            holder = etree.SubElement(payload, kind)
        etree.SubElement(holder, "entry", ip=ip, message=text)
    return root


def show_registered(registry: Registry, cmd: etree._Element) -> etree._Element:
    """`show object registered-ip [ip X | tag entry N | all] [limit L start-point S]`."""
    node = cmd.find("object/registered-ip")
    assert node is not None
    want_ip = (node.findtext("ip") or "").strip()
    want_tag = node.find("tag/entry")
    tag = want_tag.get("name") if want_tag is not None else None
    try:
        limit = int((node.findtext("limit") or "0").strip() or 0)
        start = int((node.findtext("start-point") or "1").strip() or 1)
    except ValueError:
        raise ApiError(
            CODE_MALFORMED, "show object registered-ip: limit and start-point are numbers"
        ) from None
    rows = sorted(registry.snapshot().items(), key=lambda kv: sort_key(kv[0]))
    if want_ip:
        rows = [r for r in rows if r[0] == _canonical(want_ip)]
    if tag:
        rows = [r for r in rows if tag in r[1]]
    rows = rows[max(start, 1) - 1 :]
    if limit > 0:
        rows = rows[:limit]
    entries = []
    for ip, tags in rows:
        entry = etree.Element("entry", ip=ip, from_agent="0", persistent="1")
        holder = etree.SubElement(entry, "tag")
        for t in sorted(tags):
            etree.SubElement(holder, "member").text = t
        entries.append(entry)
    count = etree.Element("count")
    count.text = str(len(entries))
    return result_success([*entries, count])


# -- DAG filters ---------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(?:(\()|(\))|'([^']*)'|\"([^\"]*)\"|([^\s()'\"]+))")


def compile_filter(text: str) -> Callable[[frozenset[str]], bool]:
    """A predicate over a tag set for a DAG filter ('a' and ('b' or 'c')); ValueError if malformed."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"cannot parse the filter at {text[pos : pos + 20]!r}")
        pos = m.end()
        if m.group(1):
            tokens.append(("(", "("))
        elif m.group(2):
            tokens.append((")", ")"))
        else:
            word = next(g for g in m.group(3, 4, 5) if g is not None)
            quoted = m.group(5) is None
            low = word.lower()
            tokens.append(("op", low) if not quoted and low in ("and", "or") else ("tag", word))
    at = 0

    def chain(word: str, operand: Callable[[], Callable[[frozenset[str]], bool]],
              fold: Callable[[Iterable[bool]], bool]) -> Callable[[frozenset[str]], bool]:
        """operand (word operand)*: `or` binds looser than `and`, as in PAN-OS filters."""
        nonlocal at
        parts = [operand()]
        while at < len(tokens) and tokens[at] == ("op", word):
            at += 1
            parts.append(operand())
        return parts[0] if len(parts) == 1 else (lambda tags: fold(p(tags) for p in parts))

    def expr() -> Callable[[frozenset[str]], bool]:
        return chain("or", term, any)

    def term() -> Callable[[frozenset[str]], bool]:
        return chain("and", atom, all)

    def atom() -> Callable[[frozenset[str]], bool]:
        nonlocal at
        if at >= len(tokens):
            raise ValueError("the filter ends too early")
        kind, value = tokens[at]
        at += 1
        if kind == "tag":
            return lambda tags: value in tags
        if kind == "(":
            inner = expr()
            if at >= len(tokens) or tokens[at][0] != ")":
                raise ValueError("a parenthesis is not closed")
            at += 1
            return inner
        raise ValueError(f"unexpected {value!r}")

    if not tokens:
        raise ValueError("the filter is empty")
    result = expr()
    if at != len(tokens):
        raise ValueError(f"unexpected {tokens[at][1]!r}")
    return result
