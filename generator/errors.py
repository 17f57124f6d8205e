"""The one exception type the command line turns into a readable message and exit 1.

Every expected failure (bad input, an AWS call that failed, a firewall that answered an
error) is raised as an AwspanError so that users see one line that names the file and
key path, never a traceback (unless --debug).
"""

from __future__ import annotations

from collections.abc import Iterable


class AwspanError(Exception):
    """A failure with a message meant for the user.

    `where` is the file (and, when known, the key path or line) the message is about.
    """

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


def key_path(parts: Iterable[str | int]) -> str:
    """Join a JSON path (keys and list indexes) as `rules.applications[2].name`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            part = shorten(part, 60)  # a key is user input too
            out += f".{part}" if out else part
    return out or "(top level)"


QUOTE_LIMIT = 120
MESSAGE_LIMIT = 1000
"""The longest error line the command line prints (values in it are cut at QUOTE_LIMIT already)."""
_CONTROL = {i: f"\\x{i:02x}" for i in (*range(0x20), *range(0x7F, 0xA0))}
_CONTROL.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029"})
# bidi controls and zero-width characters reorder or hide what a reader sees (an AWS Name tag can
# hold them): shown as escapes too
_CONTROL.update({i: f"\\u{i:04x}" for i in (0x061C, *range(0x200B, 0x2010), *range(0x202A, 0x202F),
                                              *range(0x2066, 0x206A), 0xFEFF)})


def shorten(text: object, limit: int = QUOTE_LIMIT) -> str:
    """`text` made safe for a one-line message: control characters escaped (a value cannot forge
    a second line or colour a terminal), cut at `limit` characters with "… (N more)".

    Why: error messages echo values from users, AWS and the firewall; a 10 MB description
    must not become a 10 MB line, and an escape sequence must not reach the terminal raw.
    """
    s = text if isinstance(text, str) else str(text)
    more = len(s) - limit
    if more > 0:
        s = s[:limit]
    s = s.translate(_CONTROL)
    return f"{s}… ({more:,} more)" if more > 0 else s


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """A value as it appears in an error message: quoted, escaped and truncated (see `shorten`)."""
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    return f"'{shorten(value, limit)}'"
