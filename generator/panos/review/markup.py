"""Lines of the plan made of awspan's own words and data, and how each format shows them.

A plan line mixes awspan's words (`+ destination`, `flows opened`) with values it did not choose:
AWS names, tags and descriptions, names on the firewall. A value is wrapped in `Data` where the
line is made, and every format shows Data as data, never as markup:

- text and code blocks: `visible()` escapes (a newline is `\\n`, a bidi override `\\u202e`), so a
  value is one line that reads in the order it is stored; a long line folds, each continuation
  starting with `↳`, so no value can start a line of its own;
- markdown prose and table cells: a code span (GitHub does not turn a code span into a link,
  a mention, an issue reference or HTML), with `|` escaped in tables;
- HTML (`<summary>`): escaped, inside `<code>`;
- a fenced code block: a fence longer than any run of backticks in its lines, so nothing inside
  can close it.

A value shown inline is clipped (`…(+N)`); the JSON plan holds it whole.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from generator.text import visible

INLINE_LIMIT = 80
"""Characters of one value shown inline in markdown (a cell, a summary line, the headline)."""
WIDTH = 120
"""Characters of a line in text and code blocks before it folds."""
FOLD = "↳ "


class Data(str):
    """A value awspan did not write (an AWS name, a tag, a description, a firewall name): shown,
    never interpreted. In text, a value with anything but letters, digits and `._:/=+-` is quoted,
    so its ends are plain to see: a Name tag `web) in vpc-…` cannot pass for awspan's own words."""

    __slots__ = ()


class Message(Data):
    """awspan's message that holds values (a refusal, a warning): escaped like Data, never quoted."""

    __slots__ = ()


_PLAIN = re.compile(r"[\w.:/=+-]+")


def shown(value: Data) -> str:
    """A value as text: visible escapes, and quoted unless plain (`"vpn) in vpc-…"`)."""
    text = visible(value)
    if isinstance(value, Message) or _PLAIN.fullmatch(text):
        return text
    return '"' + text.replace('"', '\\"') + '"'


Part = str  # a str is awspan's words; a Data is a value
Line = tuple[Part, ...]


def line(*parts: object) -> Line:
    """A line from parts: str as it is (awspan's words), Data kept as data, anything else as words."""
    return tuple(p if isinstance(p, str) else str(p) for p in parts)


def join(items: Iterable[Line], sep: str = ", ") -> Line:
    out: list[Part] = []
    for i, item in enumerate(items):
        if i:
            out.append(sep)
        out.extend(item)
    return tuple(out)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, the cut said: `abc…(+12)`."""
    return text if len(text) <= limit else text[:limit] + f"…(+{len(text) - limit})"


# --- text -------------------------------------------------------------------------------------

def as_text(parts: Line) -> str:
    return "".join(shown(p) if isinstance(p, Data) else p for p in parts)


def fold(text: str, indent: str = "", width: int = WIDTH) -> list[str]:
    """A long line as several: the first as it is, the rest `indent` + `↳ ` + up to `width`
    characters, cut at a space near the end where there is one."""
    if len(text) <= width:
        return [text]
    out, rest, room = [], text, width
    while len(rest) > room + 8:  # a few characters over the width do not make a line of their own
        cut = rest.rfind(" ", room - 30, room)
        cut = room if cut <= 0 else cut + 1
        out.append(rest[:cut].rstrip(" "))
        rest = rest[cut:]
        room = width - len(indent) - len(FOLD)
    out.append(rest)
    return [out[0], *(f"{indent}{FOLD}{x}" for x in out[1:])]


def text_lines(lines: Iterable[Line], indent: str = "") -> list[str]:
    """Lines as text, each prefixed with `indent`, long ones folded."""
    out: list[str] = []
    for parts in lines:
        shown = indent + as_text(parts)
        lead = shown[: len(shown) - len(shown.lstrip(" "))]
        out += fold(shown, lead + "  ")
    return out


# --- markdown -----------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~#!$])")


def md_words(text: str) -> str:
    """awspan's own words in markdown prose: every character markdown could read as syntax escaped."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def code_span(value: str, table: bool = False) -> str:
    """A code span holding `value` exactly: delimited by more backticks than any run inside it."""
    runs = [len(r) for r in re.findall("`+", value)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or value.strip(" ") == "" else ""
    text = f"{fence}{pad}{value}{pad}{fence}"
    return text.replace("|", "\\|") if table else text


def as_markdown(parts: Line, *, table: bool = False, limit: int = INLINE_LIMIT) -> str:
    """A line in markdown prose or a table cell: words escaped, each value a code span."""
    out = []
    for p in parts:
        if isinstance(p, Data):
            out.append(code_span(clip(visible(p), limit), table) if p else "")
        else:
            out.append(md_words(p))
    return "".join(out)


def as_html(parts: Line, limit: int = INLINE_LIMIT) -> str:
    """A line inside HTML (`<summary>`): escaped, each value in `<code>`."""
    return "".join(f"<code>{html.escape(clip(visible(p), limit))}</code>" if isinstance(p, Data)
                   else html.escape(p) for p in parts)


def code_block(lines: list[str], info: str = "text") -> list[str]:
    """A fenced code block that no line inside can close."""
    runs = [len(r) for ln in lines for r in re.findall("`{3,}", ln)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return [f"{fence}{info}", *lines, fence]
