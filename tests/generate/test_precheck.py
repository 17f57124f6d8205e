"""The already-allowed check wired into generate (generator.rulematch does the matching)."""

from __future__ import annotations

import yaml
from lxml import etree

from tests.generate.helpers import GOLDEN, generate_cli

SNAPSHOT = """\
<config>
  <devices>
    <entry name="localhost.localdomain">
      <vsys>
        <entry name="vsys1">
          <address>
            <entry name="web-net"><ip-netmask>10.10.1.0/24</ip-netmask></entry>
            <entry name="web-net6"><ip-netmask>2600:1f18:1234:5601::/64</ip-netmask></entry>
          </address>
          <service>
            <entry name="https-obj"><protocol><tcp><port>443</port></tcp></protocol></entry>
          </service>
          <rulebase>
            <security>
              <rules>
                <entry name="allow-web">
                  <from><member>untrust</member></from><to><member>trust</member></to>
                  <source><member>any</member></source>
                  <destination><member>web-net</member><member>web-net6</member></destination>
                  <source-user><member>any</member></source-user><category><member>any</member></category>
                  <application><member>any</member></application><service><member>https-obj</member></service>
                  <action>allow</action>
                </entry>
                <entry name="deny-scanner">
                  <from><member>any</member></from><to><member>any</member></to>
                  <source><member>192.0.2.10/32</member></source><destination><member>any</member></destination>
                  <source-user><member>any</member></source-user><category><member>any</member></category>
                  <application><member>any</member></application><service><member>any</member></service>
                  <action>deny</action>
                </entry>
                <entry name="clean-up">
                  <from><member>any</member></from><to><member>any</member></to>
                  <source><member>any</member></source><destination><member>any</member></destination>
                  <source-user><member>any</member></source-user><category><member>any</member></category>
                  <application><member>any</member></application><service><member>any</member></service>
                  <action>deny</action>
                </entry>
              </rules>
            </security>
          </rulebase>
        </entry>
      </vsys>
    </entry>
  </devices>
</config>
"""

WEB_443 = "sg-0a1b2c3d4e5f60001-tcp-443"
SCANNER = "sg-0a1b2c3d4e5f60002-any"
ALB_443, ALB_80 = "sg-0a1b2c3d4e5f60004-tcp-443", "sg-0a1b2c3d4e5f60004-tcp-80"  # a load balancer's


def _run(capsys, tmp_path, rulebase_text: str):
    """generate on the examples against a rulebase snapshot holding `rulebase_text`."""
    rulebase = tmp_path / "rulebase.xml"
    rulebase.write_text(rulebase_text)
    out = tmp_path / "fragment.xml"
    rc, _, err = generate_cli(capsys, out, "--rulebase", str(rulebase))
    return rc, out, err


def _generate(capsys, tmp_path):
    rc, out, err = _run(capsys, tmp_path, SNAPSHOT)
    assert rc == 0, err
    return out, err


def test_already_allowed_and_blocked_rules_are_left_out_and_explained(tmp_path, capsys):
    out, err = _generate(capsys, tmp_path)
    root = etree.fromstring(out.read_bytes())
    rules = [e.get("name") for e in root.iterfind(".//rules/entry")]
    golden_rules = [e.get("name") for e in etree.fromstring(GOLDEN.read_bytes()).iterfind(".//rules/entry")]
    assert WEB_443 not in rules and SCANNER not in rules
    # the load balancer's interface (10.10.1.50) sits in allow-web's 10.10.1.0/24 too
    assert rules == [r for r in golden_rules if r not in (WEB_443, ALB_443, SCANNER)]  # the rest, in order
    assert f"left out {WEB_443}: already allowed by rule(s) allow-web" in err
    assert f"left out {ALB_443}: already allowed by rule(s) allow-web" in err
    assert f"BLOCKED {SCANNER}: denied by rule(s) deny-scanner" in err
    services = [e.get("name") for e in root.iterfind(".//service/entry")]
    assert "tcp-443" not in services  # no rule uses it any more: pruned

    report = yaml.safe_load((tmp_path / "precheck.yaml").read_text())
    assert report["version"] == 1
    by_rule = {d["rule"]: d for d in report["decisions"]}
    assert by_rule[WEB_443]["verdict"] == "allowed" and by_rule[WEB_443]["covering"] == ["allow-web"]
    assert by_rule[SCANNER]["verdict"] == "blocked" and by_rule[SCANNER]["covering"] == ["deny-scanner"]
    assert [d["rule"] for d in report["decisions"]] == sorted(by_rule)
    assert set(by_rule) == set(golden_rules)


def test_precheck_output_is_deterministic(tmp_path, capsys):
    out, _ = _generate(capsys, tmp_path)
    first = out.read_bytes(), (tmp_path / "precheck.yaml").read_bytes()
    out, _ = _generate(capsys, tmp_path)
    assert (out.read_bytes(), (tmp_path / "precheck.yaml").read_bytes()) == first


def test_broken_rulebase_is_an_error_and_writes_nothing(tmp_path, capsys):
    rc, out, err = _run(capsys, tmp_path, "<config><devices>")
    assert rc == 1 and "rulebase.xml" in err and "Traceback" not in err
    assert not out.exists() and not (tmp_path / "precheck.yaml").exists()


DENY_ONE_HOST = """
                <entry name="deny-one-web-host">
                  <from><member>any</member></from><to><member>any</member></to>
                  <source><member>any</member></source><destination><member>10.10.1.10/32</member></destination>
                  <source-user><member>any</member></source-user><category><member>any</member></category>
                  <application><member>any</member></application><service><member>any</member></service>
                  <action>deny</action>
                </entry>"""


def test_a_candidate_decided_in_part_by_allow_and_in_part_by_deny_is_shadowed_and_left_out(tmp_path, capsys):
    """Issue 10: all its flows are decided by rules above (one host denied, the rest allowed)."""
    snapshot = SNAPSHOT.replace('<rules>\n                <entry name="allow-web">',
                                "<rules>" + DENY_ONE_HOST + '\n                <entry name="allow-web">', 1)
    assert "deny-one-web-host" in snapshot
    rc, out, err = _run(capsys, tmp_path, snapshot)
    assert rc == 0, err
    rules = [e.get("name") for e in etree.fromstring(out.read_bytes()).iterfind(".//rules/entry")]
    assert WEB_443 not in rules
    assert f"left out {WEB_443}: shadowed by rule(s) deny-one-web-host, allow-web" in err
    by_rule = {d["rule"]: d for d in yaml.safe_load((tmp_path / "precheck.yaml").read_text())["decisions"]}
    assert by_rule[WEB_443]["verdict"] == "shadowed"
    assert "adds nothing" in by_rule[WEB_443]["reason"]


INTERFACES = GOLDEN.parents[2] / "tests" / "generate" / "golden" / "features" / "interfaces"
PODS_443 = "sg-0a1b2c3d4e5f60006-tcp-443"


def _allow_443_to(*destinations: str) -> str:
    members = "".join(f"<member>{d}</member>" for d in destinations)
    rule = f"""
                <entry name="allow-https">
                  <from><member>untrust</member></from><to><member>trust</member></to>
                  <source><member>any</member></source><destination>{members}</destination>
                  <source-user><member>any</member></source-user><category><member>any</member></category>
                  <application><member>any</member></application><service><member>https-obj</member></service>
                  <action>allow</action>
                </entry>"""
    start = SNAPSHOT.index('                <entry name="allow-web">')
    end = SNAPSHOT.index('                <entry name="deny-scanner">')
    return SNAPSHOT[:start] + rule.lstrip("\n") + "\n" + SNAPSHOT[end:]


def _decisions(capsys, tmp_path, snapshot: str) -> dict[str, str]:
    rulebase = tmp_path / "rulebase.xml"
    rulebase.write_text(snapshot)
    out = tmp_path / "fragment.xml"
    rc, _, err = generate_cli(capsys, out, "--rulebase", str(rulebase), policy=INTERFACES / "policy.yaml",
                              state=INTERFACES / "state.yaml")
    assert rc == 0, err
    report = yaml.safe_load((tmp_path / "precheck.yaml").read_text())
    return {d["rule"]: d["verdict"] for d in report["decisions"]}


def test_interfaces_and_delegated_prefixes_are_checked_as_the_networks_they_are(tmp_path, capsys):
    """The pods' rule reaches the EKS node's address, its /28 and /80 prefixes: an allow rule above
    covers it only when it covers every one of them, the prefixes whole (issue 27)."""
    everything = _decisions(capsys, tmp_path, _allow_443_to("10.10.1.0/24", "2600:1f18:1234:5601::/64"))
    assert everything[PODS_443] == everything[ALB_443] == "allowed"  # a load balancer's interface too
    assert everything[ALB_80] == "uncovered"
    # half of the IPv4 prefix only: the pods' rule still adds flows; the load balancer's is covered
    half = _decisions(capsys, tmp_path, _allow_443_to("10.10.1.20/32", "10.10.1.32/29", "10.10.1.50/32",
                                                      "2600:1f18:1234:5601::/64"))
    assert (half[PODS_443], half[ALB_443]) == ("partial", "allowed")
    # the node's IPv6 address but not its /80 prefix
    v6_host = _decisions(capsys, tmp_path, _allow_443_to("10.10.1.0/24", "2600:1f18:1234:5601::20/128"))
    assert v6_host[PODS_443] == "partial"
