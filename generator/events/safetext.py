"""Event-derived text made safe for one log line.

CloudTrail fields hold whatever a caller sent: a `userAgent`, a tag or an id can carry a
newline (a forged second log line) or an ANSI escape (a rewritten terminal). Everything an
event contributes to a log line or a message goes through `clean` first.
"""

from __future__ import annotations

import re
import reprlib
from typing import Any

MAX_SHOWN = 120
"""Characters of one value shown in a log line; the rest is counted, not printed."""

# C0 and C1 controls, DEL, and the Unicode line/paragraph separators and bidi controls
# that some log viewers honour as line breaks or use to reorder text.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{ord(char):02x}" if ord(char) < 0x100
                                                        else f"\\u{ord(char):04x}")


def clean(value: Any, limit: int = MAX_SHOWN) -> str:
    """`value` as one printable line: controls escaped, cut at `limit` characters with a count."""
    text = value if isinstance(value, str) else reprlib.repr(value)  # bounded for a huge value
    more = len(text) - limit
    if more > 0:
        text = text[:limit]
    text = _UNSAFE.sub(_escape, text)
    return f"{text}… ({more} more)" if more > 0 else text
