"""The shortcuts that make `awspan plan` fast at 20,000 rules give the answers of the exact paths.

- `covers` (contain.py) settles an entry on its bytes when the device answered awspan's
  children byte for byte plus its own defaults; it must agree with `fast_equal or holds` on
  every shape of entry, including the ones that are not decorations.
- The client takes the running answer's tree from the candidate's when the device answered
  the same bytes (only the envelope differs); any other answer is parsed and checked.
- The fragment's ownership check looks the tag up per container; the first bad entry is still
  the one reported, with its first problem.
"""

from __future__ import annotations

import itertools

import pytest
from lxml import etree

from emulator import EmulatorServer
from generator.errors import AwspanError
from generator.location import Location
from generator.panos.config.canonical import fast_equal
from generator.panos.config.contain import covers, holds
from generator.panos.config.fragment import parse_fragment
from generator.panos.config.view import read_view
from generator.panos.plan.pending import find_pending
from generator.panos.xmlapi.client import PanosClient, PanosError
from generator.panos.xmlapi.read_config import read_location
from tests.hostile.server import HostileServer, xml
from tests.panos.helpers import fragment, rule

WANT = rule("r1", source=["10.0.0.0/8", "192.0.2.1/32"], service=["tcp-443"], description="awspan: x")
DEFAULTS = ("<rule-type>universal</rule-type><negate-source>no</negate-source>"
            "<negate-destination>no</negate-destination><log-end>yes</log-end>")

# What a device (or an operator) may do to the entry awspan sent: each alone and in combination.
MUTATIONS = {
    "uuid": lambda s: s.replace('<entry name="r1">', '<entry name="r1" uuid="u-1">', 1),
    "defaults": lambda s: s.replace("</entry>", DEFAULTS + "</entry>"),
    "negated": lambda s: s.replace("</entry>", "<negate-source>yes</negate-source></entry>"),
    "profile": lambda s: s.replace("</entry>", "<profile-setting><group><member>strict</member></group>"
                                              "</profile-setting></entry>"),
    "second description": lambda s: s.replace("</entry>", "<description>other</description></entry>"),
    "member order": lambda s: s.replace("<member>10.0.0.0/8</member><member>192.0.2.1/32</member>",
                                        "<member>192.0.2.1/32</member><member>10.0.0.0/8</member>"),
    "member more": lambda s: s.replace("<member>192.0.2.1/32</member>",
                                       "<member>192.0.2.1/32</member><member>203.0.113.9/32</member>"),
    "admin stamp": lambda s: s.replace('<entry name="r1"', '<entry name="r1" admin="bob" dirtyId="4"', 1),
    "service changed": lambda s: s.replace("tcp-443", "tcp-8443"),
    "comment": lambda s: s.replace("</entry>", "<!-- device note --></entry>"),
    "child order": lambda s: s.replace("<action>allow</action>", "").replace("</entry>",
                                                                             "<action>allow</action></entry>"),
    "disabled": lambda s: s.replace("</entry>", "<disabled>no</disabled></entry>"),
}

WANTS = {
    "rule": WANT,
    "rule with a duplicated field": WANT.replace("</entry>", "<description>again</description></entry>"),
    "rule with a trailing comment": WANT.replace("</entry>", "<!-- c --></entry>"),
}


def _el(text: str) -> etree._Element:
    return etree.fromstring(text)


@pytest.mark.parametrize("want_name", sorted(WANTS))
def test_covers_agrees_with_the_exact_comparison_on_every_combination(want_name: str):
    want = WANTS[want_name]
    seen = set()
    for n in range(len(MUTATIONS) + 1):
        for combo in itertools.combinations(sorted(MUTATIONS), n):
            if n > 3:
                break
            have = want
            for m in combo:
                have = MUTATIONS[m](have)
            h, w = _el(have), _el(want)
            exact = fast_equal(h, w) or holds(h, w, "rules")
            assert covers(h, w, "rules") == exact, (want_name, combo)
            seen.add(exact)
    assert seen == {True, False}  # both outcomes were exercised


def test_what_a_device_adds_is_no_change_and_what_widens_a_rule_is_one():
    want = _el(WANT)
    decorated = MUTATIONS["defaults"](MUTATIONS["uuid"](WANT))
    assert covers(_el(decorated), want, "rules")
    negated = decorated.replace("<negate-source>no", "<negate-source>yes")
    assert not covers(_el(negated), want, "rules")  # negate-source yes: other traffic
    assert not covers(_el(MUTATIONS["member more"](decorated)), want, "rules")
    assert not covers(_el(MUTATIONS["profile"](decorated)), want, "rules")  # a field awspan stopped setting
    assert not covers(None, want, "rules") and covers(None, None, "rules")


# -- the running answer read once ------------------------------------------------------------

VSYS = Location().base_xpath
PAYLOAD = ('<entry name="vsys1"><address><entry name="a1" uuid="u"><ip-netmask>10.0.0.1/32</ip-netmask>'
           '<tag><member>awspan</member></tag></entry></address></entry>')


def _firewall(running_payload: str, running_status: str = "success"):
    def behave(form: dict[str, str]):
        if form.get("action") == "get":
            return xml(f'<response status="success" code="19"><result total-count="1" count="1">'
                       f"{PAYLOAD}</result></response>")
        return xml(f'<response status="{running_status}"><result>{running_payload}</result></response>')
    return HostileServer(behave)


def test_a_running_answer_equal_to_the_candidate_is_read_once_and_counted():
    with _firewall(PAYLOAD) as fw:
        client = PanosClient(fw.url, api_key="k")
        cand = read_location(client, Location())
        run = read_location(client, Location(), running=True)
        assert client.request_count == 2 and len(fw.requests) == 2  # both requests still sent
    assert run.objects["address"]["a1"] is cand.objects["address"]["a1"]
    assert not find_pending(cand, run, "awspan", {"address": {"a1"}})


def test_a_running_answer_that_differs_is_parsed_and_its_difference_is_pending():
    other = PAYLOAD.replace("10.0.0.1/32", "10.0.0.2/32")
    with _firewall(other) as fw:
        client = PanosClient(fw.url, api_key="k")
        cand = read_location(client, Location())
        run = read_location(client, Location(), running=True)
    assert run.objects["address"]["a1"].findtext("ip-netmask") == "10.0.0.2/32"
    pending = find_pending(cand, run, "awspan", {"address": {"a1"}})
    assert [(p.name, p.state) for p in pending.items] == [("a1", "changed")]


def test_an_error_envelope_around_the_same_bytes_is_still_an_error():
    with _firewall(PAYLOAD, running_status="error") as fw:
        client = PanosClient(fw.url, api_key="k")
        read_location(client, Location())
        with pytest.raises(PanosError, match="config/show failed"):
            read_location(client, Location(), running=True)


@pytest.mark.emulator(bare=True)
def test_against_the_emulator_candidate_and_running_agree_without_a_second_parse(emu: EmulatorServer):
    client = PanosClient(emu.url, api_key=emu.api_key("automation"))
    cand = read_location(client, Location())
    run = read_location(client, Location(), running=True)
    assert cand.rule_names == run.rule_names and cand.rules[0] is run.rules[0]
    emu.edit_as("admin", "set", Location().xpath("address"),
                '<entry name="hand"><ip-netmask>10.9.9.9/32</ip-netmask></entry>')
    cand2 = read_location(client, Location())
    run2 = read_location(client, Location(), running=True)  # pending: a separate tree
    assert "hand" in cand2.objects["address"] and "hand" not in run2.objects["address"]


# -- the fragment's checks -------------------------------------------------------------------

def _parse(text: str):
    return parse_fragment(text.encode(), Location(), "awspan", "out/fragment.xml")


def test_a_tag_member_with_spaces_around_it_still_owns_the_entry():
    frag = _parse(fragment([rule("r1").replace("<member>awspan</member>", "<member> awspan\n</member>")]))
    assert frag.rule_names == ["r1"]


def test_the_first_bad_entry_is_reported_with_its_first_problem():
    untagged_then_dup = fragment([rule("r1", tag=None), rule("r1")])
    with pytest.raises(AwspanError, match="r1'\\]: does not carry the ownership tag"):
        _parse(untagged_then_dup)
    dup_then_untagged = fragment([rule("r1"), rule("r1", tag=None)])
    with pytest.raises(AwspanError, match="r1'\\]: the name appears twice"):
        _parse(dup_then_untagged)
    with pytest.raises(AwspanError, match="r2'\\]: does not carry"):
        _parse(fragment([rule("r1"), rule("r2", tag="other"), rule("r" * 64)]))


def test_the_rules_by_name_follow_a_new_rules_list():
    view = read_view(_el(fragment([rule("r1"), rule("r2")]))[0][0][0][0], Location())
    assert list(view.entries("rules")) == ["r1", "r2"] == view.rule_names
    view.rules = view.rules[:1]
    assert list(view.entries("rules")) == ["r1"] == view.rule_names
