"""What a reviewer reads in a plan (issue 23): a changed rule beside its unchanged context, openings
that list only what is new, long values folded, membership changes as traffic changes, and a switch
of membership mode named without counting flows that do not change."""

from __future__ import annotations

from generator.panos.review.markdown import render_markdown
from generator.panos.review.plan_render import render_text
from tests.panos.helpers import unfold
from tests.panos.review_estate import hostile_plan, hostile_state, plan_between

NAMES = ["web", "app", "db", "lb", "web-1", "web-2", "HTTP, redirects " * 12, "SSH from the office",
         "partner API", "partners"]
SSH = "sg-0a1b2c3d4e5f60001-tcp-22"


def _section(text: str, title: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return lines[start:end]


def test_a_changed_rule_shows_what_changed_beside_its_destinations_and_service():
    text = unfold(render_text(hostile_plan(NAMES)))
    body = _section(text, f"~ change rule {SSH}")
    assert body[0] == f"~ change rule {SSH} (2 flows opened, 1 flow closed)"
    assert "      from untrust to trust" in body  # unchanged context: two spaces after the indent
    assert "    + source 192.0.2.77/32" in body and "      source 203.0.113.0/24" in body
    assert "      destination sg-0a1b2c3d4e5f60001 -> i-0a00000000000a001 (web-1) 10.10.1.10" in body
    assert "    - destination sg-0a1b2c3d4e5f60001 -> i-0a00000000000a002 (web-2) 10.10.1.11" in body
    assert "      application ssh; service application-default" in body
    md = render_markdown(hostile_plan(NAMES))
    block = md.split(f"<code>{SSH}</code>")[1].split("</details>")[0]
    assert "  destination sg-0a1b2c3d4e5f60001 -> i-0a00000000000a001 (web-1) 10.10.1.10" in block


def test_openings_list_only_the_new_source_of_a_changed_rule():
    doc = hostile_plan(NAMES)
    opened = next(e for e in doc["openings"] if e["rule"] == SSH)
    assert opened["sources"] == ["192.0.2.77/32"]  # not 203.0.113.0/24, which was already open
    assert {a["ip"] for a in opened["destinations"]} == {"10.10.1.10", "2600:1f18:1234:5601::10"}
    closed = next(e for e in doc["closings"] if e["rule"] == SSH)
    assert closed["sources"] == ["203.0.113.0/24"]
    assert [a["ip"] for a in closed["destinations"]] == ["10.10.1.11"]


def test_a_long_description_folds_instead_of_running_sideways():
    text = render_text(hostile_plan(NAMES))
    assert "~ description:" in text
    assert max(len(line) for line in text.splitlines()) <= 120 + 8
    assert any(line.lstrip().startswith("↳ ") for line in text.splitlines())


def test_a_stop_in_dynamic_membership_names_the_instance_in_the_headline():
    doc = hostile_plan(NAMES, "dynamic")
    headline = unfold(render_text(doc)).splitlines()[0]
    assert "flows: 3 opened, 12 closed" in headline
    assert "closed to i-0a00000000000a002 (web-2) 10.10.1.11, 10.20.1.20, 10.20.1.21" in headline
    assert "registrations: 0 to register, 3 to unregister" in headline
    web2 = {d["ip"]: d for d in doc["destinations"] if (d["owner"] or {}).get("id") == "i-0a00000000000a002"}
    assert set(web2) == {"10.10.1.11", "10.20.1.20", "10.20.1.21"}
    assert all(d["flows_closed"] and not d["flows_opened"] for d in web2.values())
    assert doc["summary"]["registrations"] == {"register": 0, "unregister": 3}
    assert "`i-0a00000000000a002` (`web-2`) `10.10.1.11`" in render_markdown(doc).split("\n")[2]


def test_a_switch_of_membership_mode_that_keeps_the_members_opens_and_closes_nothing():
    state = hostile_state(NAMES, after=False)
    for old, new in (("static", "dynamic"), ("dynamic", "static")):
        doc = plan_between(state, state, new, old_membership=old)
        s = doc["summary"]
        assert (s["flows_opened"], s["flows_closed"]) == (0, 0), (old, new)
        assert s["membership"] == {"before": old, "after": new, "switch": True}
        text = unfold(render_text(doc))
        assert f"MEMBERSHIP {old} -> {new}" in text.splitlines()[0]
        assert f"WARNING: membership changes from {old} to {new} (rules.membership)" in text
        summary = unfold(render_text(doc, mode="summary"))  # what push prints
        assert f"WARNING: membership changes from {old} to {new}" in summary
        assert "(widest first)" not in render_markdown(doc)  # no opening, no closing
    same = plan_between(state, state, "dynamic")
    assert same["summary"]["membership"]["switch"] is False and not same["summary"]["has_changes"]
