"""Every class of bad input: exit 1, one line naming the file and key path, no traceback,
and the previous output file untouched."""

from __future__ import annotations

import subprocess
import sys

import pytest

from generator.yamlio import dump_yaml
from tests.generate.helpers import POLICY, ROOT, example_state_data, generate_argv, generate_cli

SENTINEL = b"<previous fragment/>\n"


def _perm(state):
    return state["vpcs"][0]["security_groups"][0]["ingress"][0]


def _set(path_fn, value):
    def mutate(state):
        obj, key = path_fn(state)
        obj[key] = value
        return state

    return mutate


CASES = {
    "unknown key": (
        lambda s: (_perm(s).__setitem__("bogus", 1), s)[1],
        ["vpcs[0].security_groups[0].ingress[0]", "unknown key 'bogus'"],
    ),
    "wrong type": (
        _set(lambda s: (_perm(s), "from_port"), "443"),
        ["vpcs[0].security_groups[0].ingress[0].from_port"],
    ),
    "bad CIDR": (
        _set(lambda s: (_perm(s), "cidrs"), ["10.0.0.300/24"]),
        ["vpcs[0].security_groups[0].ingress[0].cidrs[0]", "not a valid CIDR"],
    ),
    "host bits": (
        _set(lambda s: (_perm(s), "cidrs"), ["203.0.113.9/24"]),
        ["vpcs[0].security_groups[0].ingress[0].cidrs[0]", "203.0.113.0/24"],
    ),
    "IPv6 in cidrs": (
        _set(lambda s: (_perm(s), "cidrs"), ["2001:db8::/32"]),
        ["vpcs[0].security_groups[0].ingress[0].cidrs[0]", "IPv4"],
    ),
    "bad address": (
        _set(lambda s: (s["vpcs"][0]["interfaces"][0], "private_ips"), ["10.1.2"]),
        ["vpcs[0].interfaces[0].private_ips[0]"],
    ),
    "delegated prefix with host bits": (
        _set(lambda s: (s["vpcs"][0]["interfaces"][0], "ipv4_prefixes"), ["10.10.1.17/28"]),
        ["vpcs[0].interfaces[0].ipv4_prefixes[0]", "10.10.1.16/28"],
    ),
    "IPv4 prefix among the IPv6 prefixes": (
        _set(lambda s: (s["vpcs"][0]["interfaces"][0], "ipv6_prefixes"), ["10.10.1.16/28"]),
        ["vpcs[0].interfaces[0].ipv6_prefixes[0]", "IPv6"],
    ),
    "interface without a status": (
        lambda s: (s["vpcs"][0]["interfaces"][0].pop("status"), s)[1],
        ["vpcs[0].interfaces[0]", "status"],
    ),
    "port over 65535": (
        _set(lambda s: (_perm(s), "to_port"), 70000),
        ["vpcs[0].security_groups[0].ingress[0].to_port"],
    ),
    "from_port > to_port": (
        lambda s: (_perm(s).update(from_port=500, to_port=400), s)[1],
        ["vpcs[0].security_groups[0].ingress[0].from_port", "greater than"],
    ),
    "tcp without ports": (
        _set(lambda s: (_perm(s), "from_port"), None),
        ["vpcs[0].security_groups[0].ingress[0].from_port"],
    ),
    "icmp type over 255": (
        lambda s: (_perm(s).update(protocol="icmp", from_port=256, to_port=-1), s)[1],
        ["vpcs[0].security_groups[0].ingress[0].from_port", "icmp needs a type/code -1..255, not 256"],
    ),
    "icmp given as its number, code over 255": (
        lambda s: (_perm(s).update(protocol="1", from_port=8, to_port=300), s)[1],
        ["vpcs[0].security_groups[0].ingress[0].to_port", "icmp needs a type/code -1..255"],
    ),
    "bad instance state": (
        _set(lambda s: (s["vpcs"][0]["instances"][0], "state"), "sleeping"),
        ["vpcs[0].instances[0].state"],
    ),
    "missing prefix list": (
        _set(lambda s: (_perm(s), "prefix_lists"), ["pl-0123456789abcdef0"]),
        ["vpcs[0].security_groups[0].ingress[0].prefix_lists[0]", "pl-0123456789abcdef0"],
    ),
    "unknown protocol": (
        _set(lambda s: (_perm(s), "protocol"), "99"),
        ["vpcs[0].security_groups[0].ingress[0].protocol"],
    ),
    "over-long name": (
        lambda s: _rename_group(s, "sg-" + "0" * 58),
        ["vpcs[0].security_groups[0]", "sg-" + "0" * 58, "over PAN-OS's 63"],
    ),
    "unknown group on an interface": (
        _set(
            lambda s: (s["vpcs"][0]["interfaces"][0], "security_groups"),
            ["sg-0deadbeef0000000"],
        ),
        ["sg-0deadbeef0000000", "vpcs[0].interfaces[0].security_groups"],
    ),
}


def _rename_group(state, new_id):
    group = state["vpcs"][0]["security_groups"][0]
    old = group["id"]
    group["id"] = new_id
    for eni in state["vpcs"][0]["interfaces"]:
        eni["security_groups"] = [new_id if g == old else g for g in eni["security_groups"]]
    return state


def _run(capsys, tmp_path, state_text: str | None = None, config=None):
    state = tmp_path / "state.yaml"
    if state_text is not None:
        state.write_text(state_text)
    out = tmp_path / "fragment.xml"
    out.write_bytes(SENTINEL)
    rc, stdout, err = generate_cli(capsys, out, "--no-rulebase", policy=config or POLICY, state=state)
    assert rc == 1
    assert out.read_bytes() == SENTINEL, "the previous output must stay untouched"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_state(tmp_path, capsys, case):
    mutate, expected = CASES[case]
    err = _run(capsys, tmp_path, dump_yaml(mutate(example_state_data())))
    assert str(tmp_path / "state.yaml") in err
    for fragment in expected:
        assert fragment in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 1\nvpcs: [\n", "invalid YAML: line"),
        ("", "empty"),
        ("- just\n- a list\n", "(top level)"),
        ("version: 3\nvpcs: []\n", "version"),
        # an older awspan's state: refused with the fix, never read as if nothing were in use
        ("version: 1\nvpcs: []\n", "version: 1 is the state file of an older awspan"),
        ("version: 1\nvpcs: []\n", "re-run `awspan collect`"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
            "g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
            "refused",
        ),
    ],
)
def test_bad_yaml(tmp_path, capsys, text, expected):
    err = _run(capsys, tmp_path, text)
    assert expected in err and "state.yaml" in err


def test_missing_state_file(tmp_path, capsys):
    err = _run(capsys, tmp_path)
    assert "state file not found" in err and str(tmp_path / "state.yaml") in err


def test_missing_and_bad_policy(tmp_path, capsys):
    state_text = dump_yaml(example_state_data())
    err = _run(capsys, tmp_path, state_text, config=tmp_path / "nope.yaml")
    assert "not found" in err and "nope.yaml" in err
    bad = tmp_path / "policy.yaml"
    bad.write_text(POLICY.read_text().replace("  layout: group", "  layuot: group"))
    err = _run(capsys, tmp_path, state_text, config=bad)
    assert "rules" in err and "layuot" in err and str(bad) in err


def test_bad_input_in_a_real_process_has_no_traceback(tmp_path):
    state = tmp_path / "state.yaml"
    state.write_text(dump_yaml(CASES["port over 65535"][0](example_state_data())))
    out = tmp_path / "fragment.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "generator", *generate_argv(out, state=state)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("awspan generate: error: ") and "Traceback" not in proc.stderr
    assert "to_port" in proc.stderr
    assert not out.exists()
