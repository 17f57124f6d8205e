"""The markdown plan is a pull-request body: under GitHub's 65,536 characters however large the
change or hostile its names, each section cut by its own cap with counts, and the body says where
the full plan is (issue 23)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from generator.generate.model import build_fragment
from generator.generate.render import render_fragment
from generator.generate.state import parse_state
from generator.location import Location
from generator.panos.config.fragment import parse_fragment
from generator.panos.config.view import parse_container
from generator.panos.plan.changes import build_plan
from generator.panos.plan.document import build_document
from generator.panos.plan.inventory import Inventory
from generator.panos.review.markdown import CAPS, MD_LIMIT, render_markdown
from generator.panos.review.plan_render import render_json, render_text
from generator.policy import parse_policy
from generator.resources import load_json_schema
from generator.yamlio import load_yaml_file
from tests.panos.helpers import fragment, rule
from tests.panos.review_estate import big_state, plan_of_states
from tests.panos.test_plan_hostile import check_safe, gfm

LOC = Location()
FULL = "[`out/plan.json`](https://github.com/org/policy/blob/awspan/update/out/plan.json) in this branch"
HOSTILE = "\u202e\u200b@team [x](https://e.example) #1 `|`\n" * 6  # ~50 characters, 6x wider escaped


def units(text: str) -> int:
    """Length as GitHub may count it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _plan(frag_xml: str):
    device = parse_container(etree.fromstring(fragment([rule("clean-up", tag=None)]).encode())
                             .xpath(LOC.base_xpath)[0], LOC)
    frag = parse_fragment(frag_xml.encode(), LOC, "awspan", "f.xml")
    plan = build_plan(frag, device, tag="awspan", bottom_rule="clean-up", admin=None)
    return build_document(plan, frag, device)


def test_a_huge_plan_fits_a_pull_request_body_and_says_where_the_rest_is():
    names = [f"sg-{i:017d}-tcp-{i % 65535}" for i in range(3000)]
    doc = _plan(fragment([rule(n, source=[f"198.51.{i // 250}.{i % 250}/32", "any"]) for i, n in
                          enumerate(names)]))
    md = render_markdown(doc)
    assert units(md) < MD_LIMIT
    assert "| opened | 3000 | 6000 |" in md  # the summary counts everything, not only what is listed
    cut = [line for line in md.splitlines() if "more changes not shown here" in line]
    assert len(cut) == 1
    listed = md.count("<details><summary>+ create rule ")
    assert cut[0].startswith(f"**{3000 - listed} more changes not shown here")
    assert listed > 50
    assert "| 2" in md and "more rules: see the full plan |" in md  # the openings table's own cap
    data = json.loads(render_json(doc))
    schema = load_json_schema("plan.schema.json")
    jsonschema.validators.validator_for(schema)(schema).validate(data)
    assert len(data["rules"]) == 3000  # the JSON keeps everything


def test_600_rules_keep_their_tail_where_the_reviewer_is():
    """The issue's case: 600 rules. The body stays under the limit with margin, says at the top and
    at its end where the full plan is (the workflow's committed out/plan.json), and counts the cut."""
    doc = plan_of_states(None, big_state(600))
    md = render_markdown(doc, FULL)
    assert units(md) < MD_LIMIT < 65_536 - 5_000
    head = md[:3000]
    assert f"Full plan (nothing cut): {FULL}" in head
    assert md.rstrip().endswith(f"the full plan is {FULL}")
    shown = md.count("<details><summary>")
    cut = int(md.split("**")[-2].split()[0]) if "more changes not shown here" in md else 0
    assert shown + cut == len(doc["rules"]) + len(doc["objects"])
    assert "awspan plan --format json" not in md  # the PR reader is told where the file is, not a command


def _pathological(hostile: str) -> dict:
    """3,000 rules whose every name is long and hostile, and every other section huge too."""
    long = (hostile * 6)[:255]
    doc = plan_of_states(None, big_state(3000, lambda kind, i: f"{long}{kind}{i}"))
    owner = {"kind": "instance", "id": "i-0abc", "name": long, "interface": None, "vpc": None}
    doc["warnings"] = [f"warning {i}: {long}" for i in range(2000)]
    doc["blockers"] = [f"blocker {i}: {long}" for i in range(500)]
    doc["pending"] = [{"kind": "rules", "name": f"r{i}", "state": "changed", "admins": [long], "ours": False,
                       "fields": [{"field": "description", "before": long, "after": long}]}
                      for i in range(2000)]
    doc["membership"] = {"before": "dynamic", "after": "dynamic", "registered": 5000,
                         "register": [{"ip": f"10.1.{i // 250}.{i % 250}", "owner": owner, "tags": [long]}
                                      for i in range(5000)], "unregister": []}
    doc["precheck"] = {"path": "out/precheck.yaml", "warnings": [long] * 1000,
                       "decisions": [{"rule": f"x{i}", "verdict": "allowed", "covering": [long],
                                      "reason": long}
                                     for i in range(5000)]}
    return doc


@pytest.mark.slow
@pytest.mark.parametrize("hostile", [HOSTILE, "x", "\U0001f600"])
def test_a_pathological_estate_still_fits_with_every_cut_counted(hostile: str):
    doc = _pathological(hostile)
    md = render_markdown(doc, FULL)
    assert units(md) < MD_LIMIT
    for what in ("more lines: see the full plan", "more destinations: see the full plan",
                 "more rules: see the full plan", "more changes not shown here"):
        assert what in md, what
    sections = md.split("\n#### ")
    for section in sections:
        title = section.split("\n")[0]
        cap = {"Destinations whose flows change": CAPS["destinations"],
               "Opened (widest first)": CAPS["openings"],
               "Membership": CAPS["membership"], "Already-allowed check": CAPS["precheck"]}.get(title)
        if cap is not None:  # (the last section also holds the closing line)
            assert units(section) <= cap + 300, title
    assert md.rstrip().endswith(f"the full plan is {FULL}")


def test_the_plan_says_what_owns_an_interface_and_its_aws_text_stays_text():
    """Issue 27: a load balancer's or a task's address says what owns it (from state.yaml's fields,
    as generate labels it), and an interface's description — anyone's text when it is no
    documented shape — renders as data in every format."""
    case = Path(__file__).parents[1] / "generate" / "golden" / "features" / "interfaces"
    state = load_yaml_file(case / "state.yaml", "state")
    evil = "x```\n</details><img src=x onerror=alert(1)>| **bold** @team #12"
    state["vpcs"][0]["interfaces"][1]["description"] = evil  # the task's: no documented shape now
    policy = parse_policy(load_yaml_file(case / "policy.yaml", "policy"), "policy.yaml")
    data, _ = render_fragment(build_fragment(parse_state(copy.deepcopy(state)), policy))
    frag = parse_fragment(data, LOC, "awspan", "fragment.xml")
    device = parse_container(etree.fromstring(fragment([rule("clean-up", action="deny", tag=None)])).xpath(
        LOC.base_xpath)[0], LOC)
    plan = build_plan(frag, device, tag="awspan", bottom_rule="clean-up", admin=None, max_delete_percent=100)
    doc = build_document(plan, frag, device, inventory=Inventory.from_state(state))
    owners = {a["ip"]: a["owner"]
              for r in doc["rules"] for d in r["after"]["destinations"] for a in d["addresses"]}
    assert owners["10.10.1.50"] == {"kind": "interface", "id": "eni-0a00000000000a010",
                                    "name": "load balancer web-alb", "interface": "eni-0a00000000000a010",
                                    "vpc": "vpc-0a11b22c33d44e55f"}
    text = render_text(doc)
    assert "load balancer web-alb" in text and "\n</details>" not in text
    check_safe(gfm(render_markdown(doc)))
