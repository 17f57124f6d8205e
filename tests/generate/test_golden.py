"""The committed examples/out/fragment.xml is exactly what generate makes of the examples, every time."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from lxml import etree

from generator.policy import parse_policy
from tests.generate.helpers import (
    BUILTIN_TEMPLATE,
    GOLDEN,
    ROOT,
    compare_golden,
    example_state_data,
    generate_argv,
    generate_bytes,
    generate_cli,
    policy_with,
    shuffle_lists,
    site_templates,
)
from tests.policies import example_policy


def test_golden_fragment(tmp_path, capsys):
    out = tmp_path / "fragment.xml"
    rc, _, err = generate_cli(capsys, out, "--no-rulebase")
    assert rc == 0, err
    assert "14 rules" in err
    compare_golden(out.read_bytes(), GOLDEN)


def test_golden_examples_cover_what_the_issue_lists():
    """The examples exercise each case they claim to (so the golden file means something)."""
    text = GOLDEN.read_text()
    assert "i-0a00000000000a002-10.20.1.20" in text  # multi-ENI instance, secondary IPv4 block
    assert "i-0a00000000000a001-2600-1f18-1234-5601--10" in text  # IPv6 address via ::/0 -> firewall ENI
    assert "i-0a00000000000a003-10.10.5.30" in text  # vpce- route target from route_targets
    assert "10.10.9.40" not in text  # subnet routed to a NAT gateway
    assert "10.10.1.12" not in text  # stopped instance
    assert "172.31.2.9" not in text  # main table routes to a transit gateway
    assert "10.99." not in text  # the firewall's own interfaces
    assert "198.18.0.0/15" in text  # prefix-list entry
    assert "eni-0a00000000000a010-10.10.1.50" in text  # a load balancer's interface (issue 27)
    assert "eni-0a00000000000a011-10.10.1.77" in text  # a Fargate task's
    assert "10.10.1.60" not in text  # an available interface: attached to nothing
    assert "10.10.9.50" not in text  # a service's interface in the NAT-routed subnet
    assert "<member>ipsec-esp</member>" in text and "<member>ipv6-icmp</member>" in text


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("layout", ["group", "instance"])
def test_reordering_any_list_gives_identical_bytes(seed, layout):
    policy = policy_with(layout=layout)
    state = example_state_data()
    reference = generate_bytes(state, policy)
    assert generate_bytes(shuffle_lists(state, random.Random(seed)), policy) == reference


def test_instance_layout_names_rules_after_instances():
    data = generate_bytes(example_state_data(), policy_with(layout="instance")).decode()
    assert '<entry name="i-0a00000000000a001-tcp-443">' in data
    assert 'name="sg-0a1b2c3d4e5f60001"' not in data  # no address groups in this layout
    # only one of web-2's interfaces allows tcp/22: the rule is named after the instance
    assert '<entry name="i-0a00000000000a002-eni-0a00000000000a002-tcp-22">' not in data
    assert '<entry name="i-0a00000000000a002-tcp-22">' in data


def test_python_dash_m_generator_in_a_subprocess(tmp_path):
    out = tmp_path / "sub" / "fragment.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "generator", *generate_argv(out, "--rulebase", str(tmp_path / "absent.xml"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == GOLDEN.read_bytes()
    assert not (out.parent / "precheck.yaml").exists()


def test_stale_precheck_file_is_removed_when_no_rulebase_is_used(tmp_path, capsys):
    out = tmp_path / "fragment.xml"
    (tmp_path / "precheck.yaml").write_text("version: 1\ndecisions: []\nwarnings: []\n")
    rc, _, err = generate_cli(capsys, out, "--no-rulebase")
    assert rc == 0, err
    assert not (tmp_path / "precheck.yaml").exists()


def test_custom_templates_directory(tmp_path, capsys):
    """--templates DIR replaces the built-in templates; its output is still validated."""
    src = BUILTIN_TEMPLATE.read_text()
    custom = site_templates(tmp_path, src.replace("managed by awspan:", "owned by the cloud team:"))
    out = tmp_path / "fragment.xml"
    rc, _, err = generate_cli(capsys, out, "--no-rulebase", "--templates", str(custom))
    assert rc == 0, err
    assert "owned by the cloud team:" in out.read_text()

    site_templates(tmp_path, src.replace("<action>allow</action>", "<!-- x --><action>allow</action>"))
    rc, _, err = generate_cli(capsys, out, "--no-rulebase", "--templates", str(custom))
    assert rc == 1
    assert "comment" in err and "fragment.xml.j2" in err
    assert "owned by the cloud team:" in out.read_text()  # the previous output is untouched


def test_panorama_device_group_location():
    data = example_policy()
    data["firewall"]["location"] = {"device_group": "aws-vpcs", "rulebase": "post"}
    fragment = generate_bytes(example_state_data(), parse_policy(data, "policy.yaml"))
    root = etree.fromstring(fragment)
    container = root.find("devices/entry/device-group/entry[@name='aws-vpcs']")
    assert container is not None
    assert len(container.findall("post-rulebase/security/rules/entry")) == 14
    assert container.find("rulebase") is None and container.find("pre-rulebase") is None


def test_an_estate_with_nothing_behind_the_firewall_gives_an_empty_but_valid_fragment():
    fragment = generate_bytes({"version": 2, "vpcs": []}, policy_with())
    root = etree.fromstring(fragment)
    assert root.find(".//tag/entry").get("name") == "awspan"
    assert root.findall(".//rules/entry") == [] and root.find(".//rules") is not None


def test_template_output_that_breaks_the_fragment_schema_is_refused(tmp_path, capsys):
    src = BUILTIN_TEMPLATE.read_text()
    custom = site_templates(tmp_path, src.replace("<action>allow</action>", "<action>deny</action>"))
    out = tmp_path / "fragment.xml"
    rc, _, err = generate_cli(capsys, out, "--no-rulebase", "--templates", str(custom))
    assert rc == 1 and "fragment.xsd" in err and "deny" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no fragment.xml.j2"),
        ("{% for x in %}", "template syntax error"),
        ("{{ nope.x }}", "template error"),
    ],
)
def test_broken_site_templates_are_readable_errors(tmp_path, capsys, content, expected):
    custom = site_templates(tmp_path, content)
    out = tmp_path / "fragment.xml"
    rc, _, err = generate_cli(capsys, out, "--no-rulebase", "--templates", str(custom))
    assert rc == 1 and expected in err and str(custom) in err and "Traceback" not in err
    assert not out.exists()


def test_log_setting_and_profile_group_appear_only_when_set():
    with_log = etree.fromstring(generate_bytes(example_state_data(), policy_with(log_setting="to-siem")))
    rules = with_log.findall(".//rules/entry")
    assert rules and all(r.findtext("log-setting") == "to-siem" for r in rules)
    assert all(r.findtext("profile-setting/group/member") == "strict" for r in rules)
    bare = etree.fromstring(generate_bytes(example_state_data(), policy_with(profile_group=None)))
    rules = bare.findall(".//rules/entry")
    assert rules and all(r.find("log-setting") is None and r.find("profile-setting") is None for r in rules)
