"""The set algebra of the already-allowed check: integer interval sets, application sets, boxes.

Every piece of traffic is a point in four dimensions: source address, destination address,
service (protocol + port) and application. A rule matches a *box* (a product of one set per
dimension), and a candidate rule's traffic is a box too. First-match coverage is then box
intersection and box difference, which stays exact without enumerating addresses or ports.

Addresses and services are mapped onto one integer line each so that a plain sorted tuple of
closed intervals describes any set (IPv4 and IPv6 never overlap; tcp/udp/sctp ports never
overlap). Applications are a finite set of names or its complement (`any` minus a few), because
the list of PAN-OS applications is not in the config and must not be assumed.
"""

from __future__ import annotations

from collections.abc import Iterable

from generator.vocab import PORT_PROTOCOLS

Interval = tuple[int, int]
Intervals = tuple[Interval, ...]

# ---- address line: IPv4 as is, IPv6 shifted above it ---------------------------------------
V4_LAST = (1 << 32) - 1
V6_BASE = 1 << 32
V6_LAST = V6_BASE + (1 << 128) - 1
ADDR_V4: Intervals = ((0, V4_LAST),)
ADDR_V6: Intervals = ((V6_BASE, V6_LAST),)
ADDR_ALL: Intervals = ((0, V6_LAST),)

# ---- service line ------------------------------------------------------------------------------
# the protocols with ports on PAN-OS (tcp, udp, sctp: vocab.PORT_PROTOCOLS) each get 65536 points;
# other IP protocols (icmp, esp, ...) one point per protocol number; two symbolic points stand for
# "the default ports of the application" because awspan does not know App-ID's default ports and
# must not guess them (see docs/already-allowed.md).
PORTS = 65536
PROTO_BASE = {name: i * PORTS for i, name in enumerate(PORT_PROTOCOLS.values())}
OTHER_BASE = len(PROTO_BASE) * PORTS   # + IP protocol number (0..255), for port-less traffic
DEFAULT_PORTED = OTHER_BASE + 256      # "application-default" of an application that uses ports
DEFAULT_PORTLESS = OTHER_BASE + 257    # "application-default" of icmp, ipv6-icmp, ...
SVC_REAL: Intervals = ((0, OTHER_BASE + 255),)
SVC_ALL: Intervals = ((0, DEFAULT_PORTLESS),)
SVC_DEFAULTS: Intervals = ((DEFAULT_PORTED, DEFAULT_PORTLESS),)
EMPTY: Intervals = ()


def normalize(pairs: Iterable[Interval]) -> Intervals:
    """Sort and merge overlapping or adjacent intervals."""
    out: list[list[int]] = []
    for lo, hi in sorted(pairs):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1][1] = hi
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def iv_and(a: Intervals, b: Intervals) -> Intervals:
    """Intersection of two normalized interval sets."""
    if not a or not b:
        return EMPTY
    if len(a) == 1 and len(b) == 1:  # the common case: one block each
        lo = max(a[0][0], b[0][0])
        hi = min(a[0][1], b[0][1])
        return ((lo, hi),) if lo <= hi else EMPTY
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def iv_sub(a: Intervals, b: Intervals) -> Intervals:
    """a minus b, both normalized."""
    if not a or not b:
        return a
    out = []
    j = 0
    for lo, hi in a:
        cur = lo
        while j < len(b) and b[j][1] < cur:
            j += 1
        k = j
        while k < len(b) and b[k][0] <= hi:
            if b[k][0] > cur:
                out.append((cur, b[k][0] - 1))
            cur = max(cur, b[k][1] + 1)
            if cur > hi:
                break
            k += 1
        if cur <= hi:
            out.append((cur, hi))
    return tuple(out)


def iv_overlaps(a: Intervals, b: Intervals) -> bool:
    if not a or not b:
        return False
    if len(a) == 1 and len(b) == 1:
        return a[0][0] <= b[0][1] and b[0][0] <= a[0][1]
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i][0] <= b[j][1] and b[j][0] <= a[i][1]:
            return True
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return False


def iv_contains_point(a: Intervals, point: int) -> bool:
    return any(lo <= point <= hi for lo, hi in a)


# ---- application sets: (cofinite, names) -------------------------------------------------------
# (False, {a, b}) is exactly {a, b}; (True, {a}) is every application except a; (True, {}) is any.
AppSet = tuple[bool, frozenset]
APP_ANY: AppSet = (True, frozenset())
APP_NONE: AppSet = (False, frozenset())


def app_set(names: Iterable[str]) -> AppSet:
    return (False, frozenset(names))


def app_and(a: AppSet, b: AppSet) -> AppSet:
    if a[0]:
        if b[0]:
            return (True, a[1] | b[1])
        return (False, b[1] - a[1])
    if b[0]:
        return (False, a[1] - b[1])
    return (False, a[1] & b[1])


def app_sub(a: AppSet, b: AppSet) -> AppSet:
    return app_and(a, (not b[0], b[1]))


def app_empty(a: AppSet) -> bool:
    return not a[0] and not a[1]


# ---- boxes ---------------------------------------------------------------------------------------
# (source, destination, service, application)
Box = tuple[Intervals, Intervals, Intervals, AppSet]


def box_and(a: Box, b: Box) -> Box | None:
    """The intersection, or None when it is empty."""
    src = iv_and(a[0], b[0])
    if not src:
        return None
    dst = iv_and(a[1], b[1])
    if not dst:
        return None
    svc = iv_and(a[2], b[2])
    if not svc:
        return None
    app = app_and(a[3], b[3])
    if app_empty(app):
        return None
    return (src, dst, svc, app)


def box_overlaps(a: Box, b: Box) -> bool:
    return (
        iv_overlaps(a[1], b[1])
        and iv_overlaps(a[2], b[2])
        and iv_overlaps(a[0], b[0])
        and not app_empty(app_and(a[3], b[3]))
    )


def box_sub(a: Box, b: Box) -> list[Box]:
    """a minus b as disjoint boxes (at most four): peel off one dimension at a time."""
    if not box_overlaps(a, b):
        return [a]
    out: list[Box] = []
    src, dst, svc, app = a
    rest = iv_sub(src, b[0])
    if rest:
        out.append((rest, dst, svc, app))
    src = iv_and(src, b[0])
    rest = iv_sub(dst, b[1])
    if rest:
        out.append((src, rest, svc, app))
    dst = iv_and(dst, b[1])
    rest = iv_sub(svc, b[2])
    if rest:
        out.append((src, dst, rest, app))
    svc = iv_and(svc, b[2])
    rest_app = app_sub(app, b[3])
    if not app_empty(rest_app):
        out.append((src, dst, svc, rest_app))
    return out
