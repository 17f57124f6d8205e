"""Text and JSON views of the plan document (plan/document.py); markdown is markdown.py.

One set of lines per change (lines.py) feeds the terminal, the pull request and push's summary,
so they say the same thing. `render_text(doc)` is `awspan plan`'s full text; `mode="summary"` is
the short form push prints (the headline, what it refuses, one line per change, cut at a limit).
AWS strings are Data (markup.py): shown with visible escapes, one line each, long lines folded.
"""

from __future__ import annotations

import json
import re
from typing import Any

from generator.panos.review import fleet_render as F
from generator.panos.review import lines as L
from generator.panos.review.markdown import render_markdown
from generator.panos.review.markup import Line, Message, text_lines

MEMBERSHIP_LINES = 200
"""Registration lines shown in the text plan; the JSON plan and registrations.yaml hold all."""


def _invisible_in_json(match: re.Match[str]) -> str:
    return "".join(f"\\u{u:04x}" for u in _utf16(match.group()))


def _utf16(char: str) -> list[int]:
    code = ord(char)
    if code < 0x10000:
        return [code]
    code -= 0x10000
    return [0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)]


# format characters (bidi, zero-width, tags), separators and the C1 controls: JSON may carry them raw,
# but a reader of the file (an editor, a diff on GitHub) would be shown reordered or hidden text
_JSON_INVISIBLE = re.compile("[\x7f-\x9f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e"
                             "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\U000e0000-\U000e007f]")


def render_json(doc: dict[str, Any]) -> str:
    """The document as JSON: names as UTF-8, but characters that would hide or reorder text escaped."""
    return _JSON_INVISIBLE.sub(_invisible_in_json, json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"


def render_text(doc: dict[str, Any], *, mode: str = "plan", limit: int | None = None) -> str:
    """The plan for a terminal or a CI log. `mode="summary"`: push's short form, one line per change
    (at most `limit`), the registrations counted, not listed."""
    out = text_lines([("awspan plan for ", Message(doc["location"]), ": ", *L.headline(doc))])
    out += text_lines([L.objects_line(doc)], "  ")
    if doc.get("device"):
        out += text_lines([("device: ", Message(doc["device"]))], "  ")
    if doc.get("devices") is not None and mode != "summary":
        out += text_lines(F.devices_lines(doc["devices"]), "  ")
    out += text_lines(L.status_lines(doc), "  ")
    changes = [(L.rule_title(r, mode == "summary"), r, L.rule_body) for r in doc["rules"]]
    changes += [(L.object_title(o, mode == "summary"), o, L.object_body) for o in doc["objects"]]
    if mode == "summary":
        shown = changes if limit is None else changes[:limit]
        if len(shown) < len(changes):
            out.append(f"  ({len(changes) - len(shown)} more changes not listed: see `awspan plan`)")
        out += text_lines([title for title, _, _ in shown], "  ")
        if doc.get("membership") is not None:
            out += text_lines([F.membership_head(doc["membership"])], "  ")
        return "\n".join(out) + "\n"
    out += _section("opened (widest first):", [L.exposure_line(e) for e in doc["openings"]])
    out += _section("closed:", [L.exposure_line(e) for e in doc["closings"]])
    out += _section("destinations whose flows change:", [L.destination_line(d) for d in doc["destinations"]])
    for title, item, body in changes:
        out += text_lines([title])
        out += text_lines(body(item), "    ")
    if doc.get("membership") is not None:
        out += _membership(doc["membership"])
    decisions, warnings = L.precheck_rest(doc)
    if doc.get("precheck") is not None:
        total = len(doc["precheck"].get("decisions", []))
        out += text_lines([(f"already-allowed check ({doc['precheck'].get('path', 'precheck.yaml')}): "
                            f"{L.plural(total, 'decision')}",)])
        out += text_lines([("= ", *L.decision(d)) for d in decisions], "  ")
        out += text_lines([("warning: ", Message(str(w))) for w in warnings], "  ")
    return "\n".join(out) + "\n"


def _section(head: str, rows: list[Line]) -> list[str]:
    return [head, *text_lines(rows, "  ")] if rows else []


def _membership(m: dict[str, Any]) -> list[str]:
    rows = F.membership_lines(m)
    out = text_lines([F.membership_head(m)]) + text_lines(rows[:MEMBERSHIP_LINES], "  ")
    if len(rows) > MEMBERSHIP_LINES:
        out.append(f"  and {len(rows) - MEMBERSHIP_LINES} more: see the JSON plan")
    return out


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
