"""The markdown plan is a pull-request body: under GitHub's 65,536 characters however large the
change, with the cut said in words, and AWS strings that cannot break out of their blocks."""

from __future__ import annotations

import json

import jsonschema
from lxml import etree

from generator.location import Location
from generator.panos.config.fragment import parse_fragment
from generator.panos.config.view import parse_container
from generator.panos.plan.changes import build_plan
from generator.panos.plan.document import build_document
from generator.panos.review.plan_render import render_json, render_markdown, render_text
from generator.resources import load_json_schema
from tests.panos import plan_scenarios as sc
from tests.panos.helpers import fragment, rule

LOC = Location()


def _plan(frag_xml: str):
    device = parse_container(etree.fromstring(fragment([rule("clean-up", tag=None)]).encode())
                             .xpath(LOC.base_xpath)[0], LOC)
    frag = parse_fragment(frag_xml.encode(), LOC, "awspan", "f.xml")
    plan = build_plan(frag, device, tag="awspan", bottom_rule="clean-up", admin=None)
    return build_document(plan, frag, device)


def _assert_only_fenced(md: str, needle: str) -> None:
    """`needle` appears only inside code blocks (where it is text), and no line closes one early."""
    fenced = False
    for line in md.splitlines():
        if line in ("```text", "```"):
            fenced = not fenced
            continue
        if needle in line:
            assert fenced, line
        if fenced:
            assert "```" not in line
    assert not fenced


def test_a_huge_plan_fits_a_pull_request_body_and_says_where_the_rest_is():
    names = [f"sg-{i:017d}-tcp-{i % 65535}" for i in range(3000)]
    doc = _plan(fragment([rule(n, source=[f"198.51.{i // 250}.{i % 250}/32", "any"]) for i, n in
                          enumerate(names)]))
    md = render_markdown(doc)
    assert len(md) < 65_536
    assert "| opened | 3000 | 6000 |" in md  # the summary counts everything, not only what is listed
    cut = [line for line in md.splitlines() if "more changes: see the JSON plan" in line]
    assert len(cut) == 1
    listed = md.count("<details><summary>+ create rule ")
    assert cut[0].startswith(f"**{3000 - listed} more changes")
    assert listed > 100
    data = json.loads(render_json(doc))
    schema = load_json_schema("plan.schema.json")
    jsonschema.validators.validator_for(schema)(schema).validate(data)
    assert len(data["rules"]) == 3000  # the JSON keeps everything


def test_aws_strings_cannot_inject_markdown_or_html():
    """A Name tag is anyone's text: it must not close the code fence or the <details> section."""
    evil = "x```\n</details><img src=x onerror=alert(1)>| **bold**"
    frag = sc.estate().replace("(web-1)", "(" + evil.replace("\n", " ").replace("<", "&lt;")
                               .replace(">", "&gt;") + ")")
    md = render_markdown(_plan(frag))
    assert "<img src=x onerror=alert(1)>" in md  # shown, as text
    _assert_only_fenced(md, "<img")
    text = render_text(_plan(frag))
    assert "onerror" in text  # the terminal shows the name as it is


def test_origin_is_read_back_from_generates_descriptions():
    from generator.panos.plan.traffic import origin

    sg = origin("awspan: security group sg-0abc (web (public)) in vpc-0def 111122223333 eu-west-3: tcp 443")
    assert sg["security_groups"] == [{"id": "sg-0abc", "name": "web (public)"}]
    assert (sg["vpc"], sg["account"], sg["region"]) == ("vpc-0def", "111122223333", "eu-west-3")
    inst = origin("awspan: instance i-0aa (db-1) in vpc-0def eni-0bb: sg-01: tcp 5432; sg-02: tcp 5432 (ops)")
    assert (inst["instance"], inst["instance_name"], inst["vpc"]) == ("i-0aa", "db-1", "vpc-0def")
    assert [g["id"] for g in inst["security_groups"]] == ["sg-01", "sg-02"]
    other = origin("allow the partner")  # an operator's text is shown as it is, not guessed at
    assert other == {"security_groups": [], "vpc": None, "account": None, "region": None,
                     "note": "allow the partner"}


def test_the_plan_says_what_owns_an_interface_and_its_aws_text_stays_text():
    """Issue 27: a load balancer's or a task's address says what owns it, and an interface's
    description (anyone's text, when it is no documented shape) cannot break out of the markdown."""
    from pathlib import Path

    from generator.generate.model import build_fragment
    from generator.generate.render import render_fragment
    from generator.generate.state import parse_state
    from generator.policy import parse_policy
    from generator.yamlio import load_yaml_file

    case = Path(__file__).parents[1] / "generate" / "golden" / "features" / "interfaces"
    state = load_yaml_file(case / "state.yaml", "state")
    evil = "x```\n</details><img src=x onerror=alert(1)>| **bold**"
    state["vpcs"][0]["interfaces"][1]["description"] = evil  # the task's
    policy = parse_policy(load_yaml_file(case / "policy.yaml", "policy"), "policy.yaml")
    data, _ = render_fragment(build_fragment(parse_state(state), policy))
    doc = _plan(data.decode())
    text = render_text(doc)
    assert "eni-0a00000000000a010 (load balancer web-alb) 10.10.1.50" in text
    md = render_markdown(doc)
    assert "eni-0a00000000000a010 (load balancer web-alb) 10.10.1.50" in md
    assert "<img src=x onerror=alert(1)>" in md
    _assert_only_fenced(md, "<img")
