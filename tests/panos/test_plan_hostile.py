"""AWS strings in the plan are data, never markup (issue 22): rendered with GitHub's own renderer
(cmark-gfm), a plan whose security-group names, Name tags, permission descriptions and prefix-list
names are hostile has exactly the HTML skeleton of the same plan with harmless strings of the same
visible length: no link, mention, issue reference, HTML element, table cell or line comes from
AWS data. The text plan has the same lines; the JSON holds the strings whole.

The twin of a hostile string keeps each character's visible width (an `x` for a plain character,
a character escaped to the same width for an escaped one), so clipping and folding cut both at
the same places and only the content of code spans and blocks differs.
"""

from __future__ import annotations

import json
import re

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from generator.panos.review.markdown import render_markdown
from generator.panos.review.plan_render import render_json, render_text
from generator.text import visible
from tests.panos.helpers import unfold
from tests.panos.review_estate import SLOTS, hostile_plan

ATTACKS = [
    "vpn) in vpc-0a11b22c33d44e55f 111122223333 us-east-1: tcp 22 as ssh (ok",  # a forged origin
    "web\n+ destination 10.9.9.9 (i-0fake)",  # a fake line
    "pay\u202eroll\u2066x\u2069", "ad\u200bmin\ufeff", "\U000e0041\U000e0042",  # bidi, zero-width, tags
    "[click](https://evil.example)", "<https://evil.example>", "www.evil.example", "https://evil.example/x",
    "@octo-org/team", "@admin", "#1234", "octo/repo#12", "GH-99", "ffffffffffffffffffffffffffffffffffffffff",
    "<img src=x onerror=alert(1)>", "</details><details open>", "<!--", "&lt;b&gt;", "<b>bold</b>",
    "```", "~~~", "`code`", "| a | b |", "\\|", "**bold** _it_ ~~s~~", "> quote", "# heading", "- [ ] task",
    "\r\n\r\n<script>x</script>", ":+1:", "![i](x.png)", "[ref]: https://evil.example", "\t\t- item",
]
SPECIALS = list("\n\r\t`|<>[]()@#!*_~:&\\/ -\u202e\u2066\u200b\u200f\u2028\xa0\x85")
# what XML 1.0 (the fragment) can carry: everything but C0 controls other than tab/newline/CR,
# surrogates and U+FFFE/U+FFFF (generate replaces those with U+FFFD in descriptions)
XML_CHARS = st.characters(min_codepoint=0x20, blacklist_categories=("Cs",),
                          blacklist_characters="\ufffe\uffff")
HOSTILE = st.one_of(st.sampled_from(ATTACKS),
                    st.text(st.one_of(st.sampled_from(SPECIALS), XML_CHARS), min_size=1, max_size=40))
TWIN = {2: "\t", 4: "\x7f", 6: "\u200b", 10: "\U000e0020"}
ALLOWED_TAGS = {"div", "h3", "h4", "p", "strong", "code", "pre", "table", "thead", "tbody", "tr", "th", "td",
                "details", "summary"}


def twin(value: str) -> str:
    """A harmless string that every view shows as wide as `value`, character by character."""
    return "".join("x" if visible(c) == c else TWIN[len(visible(c))] for c in value)


def gfm(markdown: str) -> lxml_html.HtmlElement:
    """The body as GitHub renders it: cmark-gfm with its extensions, raw HTML kept (GitHub's own
    sanitizer then allows details/summary/code)."""
    return lxml_html.fragment_fromstring(
        cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE),
        create_parent="div")


def _logical_lines(text: str) -> int:
    """Lines of a code block or text plan, a folded line counting once (continuations start with ↳)."""
    return sum(1 for line in text.split("\n") if not line.lstrip(" ").startswith("↳"))


def skeleton(node: lxml_html.HtmlElement) -> list:
    """Every element with its attributes and the text outside code; code and pre as their line count."""
    if node.tag in ("code", "pre"):
        return [node.tag, _logical_lines(node.text_content())]
    return [node.tag, sorted(node.attrib.items()), node.text or "",
            [[skeleton(child), child.tail or ""] for child in node]]


def prose(node: lxml_html.HtmlElement) -> str:
    """The text GitHub post-processes (mentions, references, autolinks, emoji): all but code and pre."""
    if node.tag in ("code", "pre"):
        return ""
    return (node.text or "") + "".join(prose(c) + (c.tail or "") for c in node)


def check_safe(root: lxml_html.HtmlElement) -> None:
    for el in root.iter():
        assert el.tag in ALLOWED_TAGS, el.tag
        assert set(el.attrib) <= {"align", "lang"}, el.attrib  # lang: the code block's info string
    text = prose(root)
    assert "@" not in text and not re.search(r"#\d|https?:|www\.|GH-\d", text), text


@pytest.mark.parametrize("membership", ["static", "dynamic"])
@given(names=st.lists(HOSTILE, min_size=SLOTS, max_size=SLOTS))
@example(names=ATTACKS[:SLOTS])
@example(names=ATTACKS[SLOTS:2 * SLOTS])
@example(names=ATTACKS[2 * SLOTS:3 * SLOTS])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_aws_strings_render_as_data_in_every_format(membership: str, names: list[str]):
    doc, doc_twin = hostile_plan(names, membership), hostile_plan([twin(n) for n in names], membership)
    md, md_twin = render_markdown(doc), render_markdown(doc_twin)
    page, page_twin = gfm(md), gfm(md_twin)
    check_safe(page_twin)
    assert skeleton(page) == skeleton(page_twin)  # so check_safe holds for the hostile page too
    check_safe(page)
    text, text_twin = render_text(doc), render_text(doc_twin)
    assert _logical_lines(text) == _logical_lines(text_twin)
    for line in text.split("\n"):  # every line starts with awspan's words, never with a value
        assert not any(ch in line for ch in "\r\u2028\u2029\x85\u202e\u2066\u200b"), repr(line)
    assert json.loads(render_json(doc)) == doc  # the JSON holds every string whole
    assert not re.search("[\u202a-\u202e\u2066-\u2069\u200b-\u200f]", render_json(doc))


FORGED = "vpn) in vpc-0b22c33d44e55f66a 444455556666 us-west-2: tcp 22 as ssh (ok"


def test_a_forged_origin_shows_the_real_account_and_vpc_and_the_name_as_a_quoted_value():
    """A security group named to look like another account's (the issue's case): the origin's VPC,
    account and region come from state.yaml, and the name is one quoted value."""
    names = [FORGED, *("n" + str(i) for i in range(1, SLOTS))]
    text = unfold(render_text(hostile_plan(names)))
    origins = [line.strip() for line in text.splitlines()
               if "origin: security group sg-0a1b2c3d4e5f60001" in line]
    assert origins
    for line in origins:
        assert line == (f'origin: security group sg-0a1b2c3d4e5f60001 ("{FORGED}") in vpc-0a11b22c33d44e55f, '
                        "account 111122223333, us-east-1")
    quoted = re.compile(r'"(?:[^"\\]|\\.)*"')  # values in text: the name, the descriptions that hold it
    assert "444455556666" not in quoted.sub("", text)
    md = render_markdown(hostile_plan(names))
    assert "444455556666" not in re.sub(r"`[^`]*`", "", quoted.sub("", md))


def test_a_newline_in_a_name_tag_adds_no_line():
    names = ["g0", "g1", "g2", "g3", "web\n+ destination 10.9.9.9", "w2", "d6", "d7", "d8", "pl"]
    text = render_text(hostile_plan(names))
    assert "\n+ destination 10.9.9.9" not in text and '("web\\n+ destination 10.9.9.9")' in text
    assert not any(line.lstrip().startswith("+ destination 10.9.9.9") for line in text.splitlines())


def test_pending_warnings_refusals_and_registrations_make_no_link_mention_or_reference():
    """The issue's pending-changes case (a name that rendered as a live link, an @team mention and an
    issue reference), and every other section that carries names: refusals, warnings, the
    already-allowed check, registrations."""
    doc = hostile_plan(ATTACKS[:SLOTS], "dynamic")
    doc["pending"] = [{"kind": "rules", "name": a, "state": "changed", "admins": [a], "ours": False,
                       "fields": [{"field": "description", "before": a, "after": a}]} for a in ATTACKS]
    doc["blockers"] = [f"rule {a!r} is in the way" for a in ATTACKS]
    doc["warnings"] = list(ATTACKS)
    doc["precheck"] = {"path": "out/precheck.yaml", "warnings": list(ATTACKS),
                       "decisions": [{"rule": a, "verdict": a, "covering": [a], "reason": a}
                                     for a in ATTACKS]}
    doc["membership"]["unregister"] = [{"ip": "10.9.9.9", "tags": list(ATTACKS), "owner": {
        "kind": "instance", "id": "i-0abc", "name": a, "interface": None, "vpc": None}} for a in ATTACKS]
    check_safe(gfm(render_markdown(doc)))
