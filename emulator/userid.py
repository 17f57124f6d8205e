"""The User-ID API's IP tag registrations, and dynamic address group (DAG) filters.

What a firewall does, and where we learnt it:
- `type=user-id` with `cmd` holding a `uid-message` (version 1.0 or 2.0, type `update`) whose
  payload holds `register` / `unregister` entries `<entry ip="..."><tag><member>t</member>...`
  (PAN-OS XML API guide, "Apply User-ID Mapping and Populate Dynamic Groups (API)"; pan-os-python
  `panos/userid.py`). Registrations are runtime state: no commit, effective at once.
- An entry's ip is an address or, from PAN-OS 10.0 on, an IPv4 network (or range); IPv6
  networks and ranges are not supported (PAN-OS 10.0 New Features, "IP Range and Subnet Support
  in Dynamic Address Groups"; api-lab.paloaltonetworks.com, "Register and Unregister - DAG
  Objects"). A registered network puts every address in it into the DAGs its tags match. The
  emulator takes addresses and IPv4 networks; a range, an IPv6 network or a network with host
  bits is refused as malformed (awspan sends none; what a device makes of them is not said).
- Requests are limited to 5 MB (same page); the limit is enforced on the wire for every request
  (emulator/server.py), not here.
- Registering a tag an IP already has, or unregistering one it does not have, is reported as
  an error per entry ("... already exists, ignore" / "... does not exist, ignore unreg"); the
  rest of the message is still applied (pan-os-python's `ignore_dup_errors` exists for this).
- `show object registered-ip` lists `<entry ip="..." from_agent="0" persistent="1"><tag>
  <member>..`, filtered by `<ip>` or `<tag><entry name=".."/></tag>`, paged by `<limit>` and
  `<start-point>` (PAN-OS 8.0+, as pan-os-python `panos/userid.py` pages it: `limit` 500,
  `start-point` from 1, a short page is the last); `<count>` is the number of entries in that
  answer. How a device spells an IPv6 address there is not documented: the device profile's
  `ipv6_text` picks compressed (default) or exploded, so that clients compare addresses, not text.
- A DAG's `<dynamic><filter>` is tags in single quotes combined with `and`, `or` and
  parentheses; its members are the registered IPs and the address objects whose tags satisfy
  it (PAN-OS admin guide, "Dynamic Address Groups").
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable

from lxml import etree

from emulator.ipaddr import address_key, in_registered, registered_key, spell
from emulator.responses import CODE_MALFORMED, ApiError, result_success
from emulator.xmlparse import parse, parser

_PARSER = parser()
Key = tuple[int, ...]  # an address (version, value) or an IPv4 network (4, first, length)


class Registry:
    """Registered IP -> tags, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tags: dict[Key, set[str]] = {}
        self._rows: list[tuple[Key, frozenset[str]]] | None = None  # sorted, until the next change
        self._networks: set[Key] = set()  # the registered networks among the keys

    def snapshot(self) -> dict[str, frozenset[str]]:
        """IP (compressed text) -> tags."""
        return {spell(key): tags for key, tags in self.rows()}

    def rows(self) -> list[tuple[Key, frozenset[str]]]:
        """(address key, tags) in address order (IPv4 first, then numerically); kept between
        changes, so that paging through 50,000 addresses does not sort them once per page."""
        with self._lock:
            if self._rows is None:
                self._rows = sorted((key, frozenset(tags)) for key, tags in self._tags.items() if tags)
            return self._rows

    def tags_of(self, ip: str) -> frozenset[str]:
        """The tags of `ip`: its own and those of every registered network holding it."""
        key = address_key(ip)
        with self._lock:
            tags = set(self._tags.get(key, ()))
            for net in self._networks:
                if in_registered(net, key):
                    tags |= self._tags[net]
            return frozenset(tags)

    def apply(self, message: str) -> list[tuple[str, Key, str]]:
        """Apply one uid-message; return the per-entry complaints (kind, ip, message)."""
        try:
            root = parse(message.strip().encode(), _PARSER)
        except etree.XMLSyntaxError as exc:
            raise ApiError(CODE_MALFORMED, f"Malformed uid-message: {exc}") from None
        if root.tag != "uid-message" or (root.findtext("version") or "").strip() not in ("1.0", "2.0"):
            raise ApiError(CODE_MALFORMED, "expected a uid-message of version 1.0 or 2.0")
        if (root.findtext("type") or "").strip() != "update" or root.find("payload") is None:
            raise ApiError(CODE_MALFORMED, "a uid-message needs <type>update</type> and a <payload>")
        work: list[tuple[str, Key, list[str]]] = []
        for kind in ("unregister", "register"):
            for entry in root.iterfind(f"payload/{kind}/entry"):
                ip = entry.get("ip")
                tags = [(m.text or "").strip() for m in entry.iterfind("tag/member")]
                if not ip or not tags or not all(tags):
                    raise ApiError(CODE_MALFORMED, f"{kind}: every entry needs an ip and tag members")
                try:
                    work.append((kind, registered_key(ip), tags))
                except ValueError:
                    raise ApiError(CODE_MALFORMED, f"{kind}: {ip!r} is not an IP address") from None
        complaints: list[tuple[str, Key, str]] = []
        with self._lock:
            self._rows = None
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
                    self._networks.discard(ip)
                elif len(ip) == 3:
                    self._networks.add(ip)
        return complaints


def user_id_response(registry: Registry, message: str | None) -> etree._Element:
    """The answer to one `type=user-id` request: success, or an error listing each complaint
    in a uid-response (the rest of the message was applied)."""
    if not message:
        raise ApiError(CODE_MALFORMED, "type=user-id needs a cmd holding a uid-message")
    complaints = [(kind, spell(key), text) for kind, key, text in registry.apply(message)]
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


def show_registered(registry: Registry, cmd: etree._Element, exploded: bool = False) -> etree._Element:
    """`show object registered-ip [ip X | tag entry N | all] [limit L start-point S]`; `exploded`
    spells IPv6 addresses with every group in full (DeviceProfile.ipv6_text)."""
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
    rows = registry.rows()
    if want_ip:
        try:
            wanted = registered_key(want_ip)
        except ValueError:
            raise ApiError(CODE_MALFORMED,
                           f"show object registered-ip: {want_ip!r} is not an IP address") from None
        rows = [r for r in rows if r[0] == wanted]
    if tag:
        rows = [r for r in rows if tag in r[1]]
    first = max(start, 1) - 1
    rows = rows[first : first + limit] if limit > 0 else rows[first:]
    entries = []
    for key, tags in rows:
        entry = etree.Element("entry", ip=spell(key, exploded), from_agent="0", persistent="1")
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
