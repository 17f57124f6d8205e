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
            out += f".{part}" if out else str(part)
    return out or "(top level)"
