"""Address groups as PAN-OS holds them: what a group contains, read in one place.

A static group lists members (addresses or other groups, `<static><member>`); a dynamic one
holds a tag filter (`<dynamic><filter>'awspan.sg-0abc' or 'x'</filter>`) and contains whatever
addresses or registered IPs carry a quoted tag. The plan (traffic), the snapshot and rulematch
each expand groups; they read a group here and stop nesting at one depth, so that a group one
of them resolves is never empty to another.
"""

from __future__ import annotations

import re
from typing import Any

GROUP_DEPTH = 32
"""Static groups nested deeper than this are treated as a loop (PAN-OS refuses a loop when it is
written; a snapshot or a candidate config may still hold one, so every expander stops here)."""

_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")


def static_members(group: Any) -> list[str] | None:
    """The member names of a static group, stripped; None when the group is not static."""
    holder = group.find("static")
    return None if holder is None else [(m.text or "").strip() for m in holder.iterfind("member")]


def filter_tags(group: Any) -> list[str] | None:
    """The tags a dynamic group's filter names, in order ('…' or "…" quoted, as PAN-OS accepts);
    None when the group is not dynamic. awspan writes `'a' or 'b'`; what an admin writes may use
    `and` or `not`: a reader that needs the group's exact meaning treats it as vague instead."""
    text = group.findtext("dynamic/filter")
    return None if text is None else [a or b for a, b in _QUOTED.findall(text)]
