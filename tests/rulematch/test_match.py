"""The already-allowed check, feature by feature: each test builds a small firewall config and a
fragment, and asserts the verdict a firewall engineer would expect from PAN-OS first match."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from generator.errors import AwspanError
from generator.location import Location
from generator.rulematch import (
    Flow,
    FlowMatch,
    RuleBase,
    RuleVerdict,
    first_match,
    load_rulebase,
)
from tests.rulematch.build import BOTTOM, TAG, Objects, Rule, check, config, rule_element, to_bytes

FRAGMENT_OBJECTS = Objects(
    address={
        "web-1": ("ip-netmask", "10.0.1.5"),
        "web-2": ("ip-netmask", "10.0.2.5"),
        "web-v6": ("ip-netmask", "2600:1f18:1:2::5"),
        "span": ("ip-range", "10.0.1.250-10.0.2.3"),
    },
    groups={"sg-web": ("web-1", "web-2")},
    services={
        "tcp-443": ("tcp", "443"),
        "tcp-22": ("tcp", "22"),
        "tcp-80-90": ("tcp", "80-90"),
        "udp-53": ("udp", "53"),
        "tcp-8080": ("tcp", "8080"),
    },
)


def cand(
    name: str,
    dst: str = "web-1",
    svc: tuple[str, ...] = ("tcp-443",),
    app: tuple[str, ...] = ("any",),
    src: tuple[str, ...] = ("any",),
) -> Rule:
    return Rule(name, src=src, dst=(dst,), svc=svc, app=app, tags=(TAG,))


def run(
    fw_rules: list[Rule],
    candidates: list[Rule],
    fw_objects: Objects | None = None,
    shared: Objects | None = None,
    below: list[Rule] | None = None,
    location: Location | None = None,
    bottom: str | None = BOTTOM,
    fragment_objects: Objects = FRAGMENT_OBJECTS,
) -> tuple[dict[str, RuleVerdict], list[str]]:
    location = location or Location()
    firewall = config(fw_rules, fw_objects, shared, below=below, location=location, bottom=bottom)
    fragment = config(candidates, fragment_objects, location=location, bottom=None)
    decisions, warnings = check(fragment, RuleBase(firewall, "rulebase.xml"), location)
    assert [d.rule for d in decisions] == [c.name for c in candidates]  # one per candidate, in order
    return {d.rule: d for d in decisions}, warnings


def verdict(fw_rules: list[Rule], candidate: Rule, **kw: object) -> RuleVerdict:
    return run(fw_rules, [candidate], **kw)[0][candidate.name]


# ---- allow / deny above, first match ---------------------------------------------------------


def test_allow_rule_above_covers_and_is_named() -> None:
    d = verdict([Rule("dmz-web", dst=("10.0.1.0/24",), svc=("service-https",))], cand("c"))
    assert (d.verdict, d.covering) == ("allowed", ("dmz-web",))
    assert "dmz-web" in d.reason


@pytest.mark.parametrize("action", ["deny", "drop", "reset-client", "reset-server", "reset-both"])
def test_every_blocking_action_blocks(action: str) -> None:
    d = verdict([Rule("no-web", dst=("10.0.0.0/16",), action=action)], cand("c"))
    assert (d.verdict, d.covering) == ("blocked", ("no-web",))


def test_first_match_wins_deny_above_allow() -> None:
    rules = [Rule("deny-first", dst=("10.0.1.5",), action="deny"), Rule("allow-later", dst=("10.0.0.0/8",))]
    assert verdict(rules, cand("c")).verdict == "blocked"
    rules.reverse()
    d = verdict(rules, cand("c"))
    assert (d.verdict, d.covering) == ("allowed", ("allow-later",))


def test_traffic_split_between_allow_and_deny_is_shadowed() -> None:
    """Every flow is decided above (web-2 denied, the rest allowed): the candidate adds nothing."""
    rules = [
        Rule("deny-web-2", dst=("web-2-fw",), action="deny"),
        Rule("allow-all-web", dst=("10.0.0.0/16",)),
    ]
    objs = Objects(address={"web-2-fw": ("ip-netmask", "10.0.2.5/32")})
    d = verdict(rules, cand("c", dst="sg-web"), fw_objects=objs)
    assert d.verdict == "shadowed"
    assert d.covering == ("deny-web-2", "allow-all-web")
    assert "allowed in part by allow-all-web" in d.reason and "blocked in part by deny-web-2" in d.reason
    # the same split with part of the traffic left to the rules below is partial: kept whole
    narrow = [rules[0], Rule("allow-web-1", dst=("10.0.1.0/24",), svc=("tcp-443",))]
    assert verdict(narrow, cand("c", dst="sg-web"), fw_objects=objs).verdict == "partial"


def test_several_rules_together_cover_all_pieces() -> None:
    rules = [
        Rule("a", dst=("10.0.1.0/24",), svc=("fw-80-85",)),
        Rule("b", dst=("10.0.1.5",), svc=("fw-86-90",)),
    ]
    objs = Objects(services={"fw-80-85": ("tcp", "80-85"), "fw-86-90": ("tcp", "86-90")})
    d = verdict(rules, cand("c", svc=("tcp-80-90",)), fw_objects=objs)
    assert (d.verdict, d.covering) == ("allowed", ("a", "b"))


def test_some_ports_covered_is_partial_and_nothing_is_uncovered() -> None:
    objs = Objects(services={"fw-80": ("tcp", "80")})
    decisions, _ = run(
        [Rule("web80", dst=("10.0.1.0/24",), svc=("fw-80",))],
        [cand("some", svc=("tcp-80-90",)), cand("none", svc=("tcp-443",)), cand("udp", svc=("udp-53",))],
        fw_objects=objs,
    )
    assert decisions["some"].verdict == "partial"
    assert decisions["none"].verdict == "uncovered" and decisions["none"].covering == ()
    assert decisions["udp"].verdict == "uncovered"  # tcp/53 is not udp/53


# ---- which rules count ------------------------------------------------------------------------


def test_rules_below_the_bottom_rule_never_count() -> None:
    d = verdict([], cand("c"), below=[Rule("after-cleanup", dst=("any",))])
    assert d.verdict == "uncovered"


def test_the_bottom_rule_itself_never_counts() -> None:
    # the bottom rule is a deny-any: were it counted, every candidate would be "blocked"
    assert verdict([], cand("c")).verdict == "uncovered"


def test_disabled_rules_are_ignored() -> None:
    d = verdict([Rule("off", dst=("any",), disabled=True)], cand("c"))
    assert d.verdict == "uncovered"
    d = verdict(
        [Rule("off", dst=("any",), action="deny", disabled=True), Rule("on", dst=("any",))], cand("c")
    )
    assert (d.verdict, d.covering) == ("allowed", ("on",))


def test_managed_rules_carrying_the_tag_never_count() -> None:
    d = verdict([Rule("old-managed", dst=("any",), tags=(TAG, "other"))], cand("c"))
    assert d.verdict == "uncovered"
    d = verdict([Rule("unmanaged", dst=("any",), tags=("other",))], cand("c"))
    assert d.verdict == "allowed"


def test_missing_bottom_rule_warns_and_nothing_counts() -> None:
    decisions, warnings = run([Rule("all", dst=("any",))], [cand("c")], bottom=None)
    assert decisions["c"].verdict == "uncovered"
    assert any(BOTTOM in w and "not in the snapshot" in w for w in warnings)
    assert BOTTOM in decisions["c"].reason


# ---- zones -----------------------------------------------------------------------------------


def test_zones_must_match_and_any_matches() -> None:
    assert verdict([Rule("from-dmz", from_=("dmz",), dst=("any",))], cand("c")).verdict == "uncovered"
    assert verdict([Rule("to-dmz", to=("dmz",), dst=("any",))], cand("c")).verdict == "uncovered"
    assert (
        verdict([Rule("any-any", from_=("any",), to=("any",), dst=("any",))], cand("c")).verdict == "allowed"
    )
    assert verdict([Rule("multi", from_=("dmz", "untrust"), dst=("any",))], cand("c")).verdict == "allowed"


def test_rule_type_intrazone_never_matches_between_zones() -> None:
    rule = Rule("intra", from_=("any",), to=("any",), dst=("any",), rule_type="intrazone")
    assert verdict([rule], cand("c")).verdict == "uncovered"
    rule = Rule("inter", from_=("any",), to=("any",), dst=("any",), rule_type="interzone")
    assert verdict([rule], cand("c")).verdict == "allowed"


# ---- addresses ---------------------------------------------------------------------------------


def test_negate_source_excludes_the_named_sources() -> None:
    rule = Rule("not-bad", src=("192.0.2.0/24",), negate_source=True, dst=("any",))
    decisions, _ = run(
        [rule],
        [
            cand("from-bad", src=("192.0.2.7/32",)),
            cand("from-good", src=("198.51.100.0/24",)),
            cand("from-any", src=("any",)),
        ],
    )
    assert decisions["from-bad"].verdict == "uncovered"
    assert decisions["from-good"].verdict == "allowed"
    assert decisions["from-any"].verdict == "partial"


def test_negate_destination() -> None:
    rule = Rule("not-web-1", dst=("10.0.1.5",), negate_destination=True, action="deny")
    decisions, _ = run([rule], [cand("one"), cand("two", dst="web-2"), cand("both", dst="sg-web")])
    assert [decisions[n].verdict for n in ("one", "two", "both")] == ["uncovered", "blocked", "partial"]


def test_nested_static_groups_resolve() -> None:
    objs = Objects(
        address={"a": ("ip-netmask", "10.0.1.5"), "b": ("ip-netmask", "10.0.2.0/24")},
        groups={"inner": ("a",), "middle": ("inner", "b"), "outer": ("middle",)},
    )
    d = verdict([Rule("nested", dst=("outer",))], cand("c", dst="sg-web"), fw_objects=objs)
    assert (d.verdict, d.covering) == ("allowed", ("nested",))


def test_group_loop_is_reported_not_followed_forever() -> None:
    objs = Objects(groups={"loop-a": ("loop-b",), "loop-b": ("loop-a",)})
    decisions, warnings = run([Rule("loopy", dst=("loop-a",))], [cand("c")], fw_objects=objs)
    assert decisions["c"].verdict == "uncovered"
    assert any("loopy" in w and "loop" in w for w in warnings)


def test_ip_range_objects_and_literal_ranges() -> None:
    objs = Objects(address={"rng": ("ip-range", "10.0.1.1-10.0.1.9")})
    assert verdict([Rule("r", dst=("rng",))], cand("c")).verdict == "uncovered"  # not in the snapshot
    assert verdict([Rule("r", dst=("rng",))], cand("c"), fw_objects=objs).verdict == "allowed"
    assert verdict([Rule("lit", dst=("10.0.1.5-10.0.1.6",))], cand("c")).verdict == "allowed"
    # a candidate range that crosses the edge of the rule's range is only partly covered
    assert verdict([Rule("r", dst=("10.0.1.0/24",))], cand("c", dst="span")).verdict == "partial"
    assert verdict([Rule("r", dst=("10.0.1.250-10.0.2.3",))], cand("c", dst="span")).verdict == "allowed"


def test_ipv6_and_ipv4_never_cover_each_other() -> None:
    rules = [Rule("v4-any", dst=("0.0.0.0/0",))]
    decisions, _ = run(rules, [cand("v4"), cand("v6", dst="web-v6")])
    assert (decisions["v4"].verdict, decisions["v6"].verdict) == ("allowed", "uncovered")
    d = verdict([Rule("v6", dst=("2600:1f18::/32",))], cand("v6", dst="web-v6"))
    assert d.verdict == "allowed"


def test_fqdn_never_covers_and_makes_a_rule_above_doubtful() -> None:
    objs = Objects(address={"site": ("fqdn", "www.example.com")})
    d = verdict([Rule("by-name", dst=("site",))], cand("c"), fw_objects=objs)
    assert d.verdict == "uncovered"
    assert "fqdn" in d.reason
    # a deny rule on an fqdn above an allow: the fqdn may resolve to the candidate, so not "allowed"
    d = verdict(
        [Rule("deny-name", dst=("site",), action="deny"), Rule("ok", dst=("any",))],
        cand("c"),
        fw_objects=objs,
    )
    # every flow is decided above (by the fqdn rule or by ok), so not "allowed", but shadowed
    assert (d.verdict, d.covering) == ("shadowed", ("ok",))
    assert "deny-name may match (fqdn address site)" in d.reason
    # ... but only for the traffic it may match: its service is tcp/80, the candidate's tcp/80-90
    d = verdict(
        [Rule("deny-name", dst=("site",), svc=("service-http",), action="deny"), Rule("ok", dst=("any",))],
        cand("c", svc=("tcp-80-90",)),
        fw_objects=objs,
    )
    assert (d.verdict, d.covering) == ("shadowed", ("ok",))


def test_dynamic_group_and_wildcard_never_cover() -> None:
    objs = Objects(address={"wild": ("ip-wildcard", "10.0.0.0/0.0.255.0")}, dynamic_groups={"dag": "'web'"})
    assert verdict([Rule("w", dst=("wild",))], cand("c"), fw_objects=objs).verdict == "uncovered"
    assert verdict([Rule("d", dst=("dag",))], cand("c"), fw_objects=objs).verdict == "uncovered"


def test_shared_objects_and_location_objects_shadow_shared() -> None:
    shared = Objects(address={"web-net": ("ip-netmask", "10.0.1.0/24")}, services={"https": ("tcp", "443")})
    d = verdict([Rule("shared-objs", dst=("web-net",), svc=("https",))], cand("c"), shared=shared)
    assert d.verdict == "allowed"
    local = Objects(address={"web-net": ("ip-netmask", "10.9.9.0/24")})
    d = verdict(
        [Rule("shadowed", dst=("web-net",), svc=("https",))], cand("c"), shared=shared, fw_objects=local
    )
    assert d.verdict == "uncovered"


# ---- services ------------------------------------------------------------------------------------


def test_service_groups_nested_and_predefined_services() -> None:
    objs = Objects(
        services={"fw-443": ("tcp", "443"), "fw-22": ("tcp", "22")},
        service_groups={"inner": ("fw-443", "service-http"), "outer": ("inner", "fw-22")},
    )
    decisions, _ = run(
        [Rule("grp", dst=("any",), svc=("outer",))],
        [
            cand("https"),
            cand("ssh", svc=("tcp-22",)),
            cand("alt", svc=("tcp-8080",)),
            cand("http-range", svc=("tcp-80-90",)),
        ],
        fw_objects=objs,
    )
    assert [decisions[n].verdict for n in ("https", "ssh", "alt", "http-range")] == [
        "allowed",
        "allowed",
        "allowed",
        "partial",
    ]  # service-http is tcp/80 and tcp/8080


def test_port_lists_and_ranges_in_one_service() -> None:
    objs = Objects(services={"list": ("tcp", "22,80-89,90,443")})
    decisions, _ = run(
        [Rule("l", svc=("list",))],
        [cand("range", svc=("tcp-80-90",)), cand("udp", svc=("udp-53",))],
        fw_objects=objs,
    )
    assert (decisions["range"].verdict, decisions["udp"].verdict) == ("allowed", "uncovered")


def test_source_port_limited_service_never_covers() -> None:
    objs = Objects(services={"from-high": ("tcp", "443", "1024-65535")})
    assert verdict([Rule("sp", svc=("from-high",))], cand("c"), fw_objects=objs).verdict == "uncovered"


# ---- applications ----------------------------------------------------------------------------


def test_application_default_counts_only_for_the_same_application() -> None:
    rule = Rule("ssh-default", app=("ssh",), svc=("application-default",), dst=("any",))
    decisions, _ = run(
        [rule],
        [
            cand("ssh-app", app=("ssh",), svc=("application-default",)),
            cand("ssh-port", svc=("tcp-22",)),
            cand("ssh-app-port", app=("ssh",), svc=("tcp-22",)),
            cand("ssl-app", app=("ssl",), svc=("application-default",)),
        ],
    )
    assert decisions["ssh-app"].verdict == "allowed"
    assert decisions["ssh-port"].verdict == "uncovered"  # any application on tcp/22: only ssh is allowed
    assert decisions["ssh-app-port"].verdict == "uncovered"  # is tcp/22 ssh's default port? not known offline
    assert decisions["ssl-app"].verdict == "uncovered"


def test_application_any_with_application_default_is_not_trusted() -> None:
    rule = Rule("any-default", svc=("application-default",), dst=("any",))
    d = verdict([rule], cand("icmp", app=("icmp",), svc=("application-default",)))
    assert d.verdict == "uncovered" and "application-default" in d.reason


def test_icmp_candidate_and_application_lists() -> None:
    icmp = cand("icmp", app=("icmp",), svc=("application-default",))
    assert verdict([Rule("all", dst=("any",))], icmp).verdict == "allowed"
    assert verdict([Rule("icmp-any-svc", app=("icmp", "ping"), dst=("any",))], icmp).verdict == "allowed"
    assert verdict([Rule("other-app", app=("ssl",), dst=("any",))], icmp).verdict == "uncovered"
    # a port-based rule cannot match icmp (no doubt), a tcp candidate any-app is only partly ssl
    assert verdict([Rule("https", svc=("service-https",), dst=("any",))], icmp).verdict == "uncovered"
    assert verdict([Rule("ssl", app=("ssl",), dst=("any",))], cand("c")).verdict == "partial"


def test_application_groups_expand() -> None:
    objs = Objects(app_groups={"remote": ("ssh", "ms-rdp")})
    rule = Rule("remote", app=("remote",), svc=("application-default",), dst=("any",))
    d = verdict([rule], cand("ssh", app=("ssh",), svc=("application-default",)), fw_objects=objs)
    assert d.verdict == "allowed"


# ---- what awspan cannot know -------------------------------------------------------------------


def test_unknown_reference_warns_and_never_covers() -> None:
    decisions, warnings = run(
        [Rule("typo", dst=("no-such-object",)), Rule("fine", dst=("10.0.2.0/24",))],
        [cand("one"), cand("two", dst="web-2")],
    )
    assert decisions["one"].verdict == "uncovered"
    assert decisions["two"].verdict == "allowed"
    assert warnings == [w for w in warnings if "typo" in w] and len(warnings) == 1
    assert "no-such-object" in warnings[0]


def test_unknown_deny_rule_above_makes_allow_uncertain() -> None:
    d = verdict([Rule("typo-deny", dst=("ghost",), action="deny"), Rule("ok", dst=("any",))], cand("c"))
    assert d.verdict == "shadowed" and "typo-deny" in d.reason  # decided above either way
    # an unknown allow rule above a sure allow: allowed either way
    d = verdict([Rule("typo-allow", dst=("ghost",)), Rule("ok", dst=("any",))], cand("c"))
    assert (d.verdict, d.covering) == ("allowed", ("ok",))


def test_rules_matching_on_users_or_schedules_never_cover() -> None:
    d = verdict([Rule("users", dst=("any",), extra={"source-user": ("corp\\alice",)})], cand("c"))
    assert d.verdict == "uncovered" and "source-user" in d.reason
    d = verdict([Rule("urls", dst=("any",), extra={"category": ("news",)})], cand("c"))
    assert d.verdict == "uncovered"


def test_candidate_with_unknown_reference_warns() -> None:
    # the unknown service is taken as any: only a rule for every service could cover it
    decisions, warnings = run(
        [Rule("https", dst=("10.0.1.0/24",), svc=("service-https",))], [cand("c", svc=("missing-svc",))]
    )
    assert decisions["c"].verdict == "partial"
    assert any("'c'" in w and "missing-svc" in w for w in warnings)


# ---- Panorama --------------------------------------------------------------------------------


def test_panorama_pre_rulebase_counts_shared_pre_rules() -> None:
    location = Location(vsys=None, device_group="aws", rulebase="pre")
    firewall = config([Rule("dg-rule", dst=("10.0.2.0/24",))], location=location)
    shared_rules = etree.SubElement(
        etree.SubElement(etree.SubElement(firewall, "shared"), "pre-rulebase"), "security"
    )
    rule_element(etree.SubElement(shared_rules, "rules"), Rule("global", dst=("10.0.1.0/24",)))
    fragment = config(
        [cand("one"), cand("two", dst="web-2")], FRAGMENT_OBJECTS, location=location, bottom=None
    )
    decisions, _ = check(fragment, RuleBase(firewall, "x"), location)
    assert [(d.verdict, d.covering) for d in decisions] == [
        ("allowed", ("global",)),
        ("allowed", ("dg-rule",)),
    ]


def test_panorama_post_rulebase_is_never_sure_of_local_rules() -> None:
    location = Location(vsys=None, device_group="aws", rulebase="post")
    decisions, warnings = run([Rule("post-allow", dst=("any",))], [cand("c")], location=location)
    d = decisions["c"]
    assert any("local rules" in w for w in warnings)
    # the firewall's own rules sit between pre- and post-rules and are not in a Panorama snapshot:
    # not sure to be allowed, but every flow is decided above the candidate
    assert (d.verdict, d.covering) == ("shadowed", ("post-allow",))
    assert "local device rules" in d.reason


# ---- reading the snapshot ------------------------------------------------------------------------


def test_load_rulebase_reads_a_snapshot_file(tmp_path: Path) -> None:
    path = tmp_path / "rulebase.xml"
    path.write_bytes(to_bytes(config([Rule("all", dst=("10.0.0.0/8",))])))
    rulebase = load_rulebase(path)
    fragment = config([cand("c")], FRAGMENT_OBJECTS, bottom=None)
    decisions, warnings = check(fragment, rulebase)
    assert (decisions[0].verdict, warnings) == ("allowed", [])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        (b"<config><devices>", "not well-formed"),
        (b"<response status='success'/>", "expected a <config> document"),
    ],
)
def test_load_rulebase_errors_name_the_file(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "rulebase.xml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AwspanError) as info:
        load_rulebase(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_external_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top-secret")
    path = tmp_path / "rulebase.xml"
    path.write_bytes(f'<!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]><config>&e;</config>'.encode())
    with pytest.raises(AwspanError, match="DTD") as info:  # refused outright, not just unresolved
        load_rulebase(path)
    assert "top-secret" not in str(info.value)


def test_cli_style_error_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(AwspanError) as info:
        load_rulebase(tmp_path / "missing.xml")
    assert "\n" not in str(info.value) and "awspan snapshot" in str(info.value)


def test_rule_missing_a_required_field_never_covers() -> None:
    firewall = config([Rule("ok", dst=("any",))])
    rules = firewall.find(".//rules")
    rules[0].remove(rules[0].find("service"))  # a rule without <service>: malformed, may match anything
    fragment = config([cand("c")], FRAGMENT_OBJECTS, bottom=None)
    decisions, _ = check(fragment, RuleBase(firewall, "x"))
    assert decisions[0].verdict == "uncovered" and "no <service> members" in decisions[0].reason


def test_gre_candidate_is_not_doubted_by_port_rules() -> None:
    gre = cand("gre", app=("gre",), svc=("application-default",))
    d = verdict([Rule("https", svc=("service-https",), dst=("any",)), Rule("all", dst=("any",))], gre)
    assert (d.verdict, d.covering) == ("allowed", ("all",))


# ---- single flows ------------------------------------------------------------------------------


def test_first_match_for_single_flows() -> None:
    objs = Objects(address={"site": ("fqdn", "www.example.com")})
    firewall = config(
        [
            Rule("web", dst=("10.0.1.0/24",), svc=("service-https",)),
            Rule("by-name", dst=("site",), action="deny"),
            Rule("ssh", app=("ssh",), svc=("application-default",), dst=("10.0.2.0/24",)),
        ],
        objs,
    )
    rulebase = RuleBase(firewall, "x")

    def match(dst: str, proto: str = "tcp", port: int | None = 443, app: str | None = "ssl") -> FlowMatch:
        flow = Flow("untrust", "trust", "203.0.113.9", dst, proto, port, app)
        return first_match(rulebase, flow, location=Location(), bottom_rule=BOTTOM, tag=TAG)

    assert match("10.0.1.7") == FlowMatch("web", "allow", True)
    unsure = match("10.0.3.7")  # the fqdn rule may resolve to it
    assert (unsure.rule, unsure.certain) == ("by-name", False) and "fqdn" in unsure.reason
    assert match("10.0.1.7", port=444).rule == "by-name"
    assert match("10.0.1.7", "icmp", None, "icmp").rule == "by-name"
    with pytest.raises(AwspanError):
        match("not-an-ip")
    with pytest.raises(AwspanError):
        match("10.0.1.7", port=None)
    # below the bottom rule nothing matches; the bottom rule itself is not reported
    below = config([], below=[Rule("late", dst=("any",))])
    flow = Flow("untrust", "trust", "203.0.113.9", "10.0.1.7", "tcp", 443, "ssl")
    result = first_match(RuleBase(below, "y"), flow, location=Location(), bottom_rule=BOTTOM, tag=TAG)
    assert result == FlowMatch(None, None, True)


def test_candidate_zones_any_and_several() -> None:
    wide = Rule("c-any", dst=("web-1",), svc=("tcp-443",), from_=("any",), tags=(TAG,))
    two = Rule("c-two", dst=("web-1",), svc=("tcp-443",), from_=("untrust", "dmz"), tags=(TAG,))
    decisions, _ = run([Rule("from-untrust", dst=("any",))], [wide, two])
    assert decisions["c-any"].verdict == "uncovered" and "zones" in decisions["c-any"].reason
    assert decisions["c-two"].verdict == "partial"  # dmz -> trust is not covered
    decisions, _ = run([Rule("from-both", from_=("dmz", "untrust"), dst=("any",))], [wide, two])
    assert (decisions["c-any"].verdict, decisions["c-two"].verdict) == ("uncovered", "allowed")
    decisions, _ = run([Rule("from-any", from_=("any",), dst=("any",))], [wide, two])
    assert (decisions["c-any"].verdict, decisions["c-two"].verdict) == ("allowed", "allowed")
