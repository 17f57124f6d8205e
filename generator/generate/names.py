"""PAN-OS object names: legal, stable, unique, never cut.

PAN-OS's rule for names is generator.vocab.OBJECT_NAME (63 characters). Every name
awspan makes is derived from AWS ids (stable across runs) and checked here; a name that
cannot be made legal is an error, because a shortened name could collide with another
one or stop matching the object push created last time.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from generator.errors import AwspanError
from generator.vocab import MAX_DESCRIPTION, OBJECT_NAME

MAX_NAME = OBJECT_NAME.max_length
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""XML 1.0 cannot carry these characters even escaped; AWS text can hold them."""


def check_name(name: str, what: str | Callable[[], str], where: str) -> str:
    """Return `name` if PAN-OS accepts it, else raise naming the AWS object it came from.

    `what` may be a function giving that text: the model checks 100,000s of names and words a
    message only for a name that fails."""
    if len(name) <= MAX_NAME and OBJECT_NAME.accepts(name):
        return name
    said = what if isinstance(what, str) else what()
    if len(name) > MAX_NAME:
        raise AwspanError(
            f"{said}: the name {name!r} is {len(name)} characters, over PAN-OS's {MAX_NAME}", where=where
        )
    raise AwspanError(f"{said}: the name {name!r} has characters PAN-OS does not allow", where=where)


def service_name(protocol: str, low: int, high: int) -> str:
    """`tcp-443`, `udp-8000-8100`."""
    return f"{protocol}-{low}" if low == high else f"{protocol}-{low}-{high}"


def clip_description(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """PAN-OS keeps descriptions up to 1023 characters; a description (unlike a name) may be cut."""
    text = _NOT_XML.sub("\ufffd", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."
