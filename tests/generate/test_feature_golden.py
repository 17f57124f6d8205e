"""Per-feature golden files, Aerleon style: golden/features/<feature>/ holds one small state.yaml
and policy.yaml that exercise one feature, and the fragment.xml generate must make of them. A
change in one feature's rendering shows in its own small file (out of the end-to-end golden, where
it would be one hunk among many). On a mismatch the output is written beside it as *.actual."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.policy import parse_policy
from generator.yamlio import load_yaml_file
from tests.generate.helpers import compare_golden, expected_pairs, fragment_pairs, generate_cli

FEATURES = Path(__file__).parent / "golden" / "features"
CASES = sorted(p for p in FEATURES.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_feature_golden(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fragment.xml"
    rc, _, err = generate_cli(capsys, out, "--no-rulebase", policy=case / "policy.yaml",
                              state=case / "state.yaml")
    assert rc == 0, err
    data = out.read_bytes()
    # the golden is also what the independent oracle says the firewall must allow
    state = load_yaml_file(case / "state.yaml", "state")
    policy = parse_policy(load_yaml_file(case / "policy.yaml", "policy"), "policy.yaml")
    assert fragment_pairs(data) == expected_pairs(state, policy)
    compare_golden(data, case / "fragment.xml")


def test_each_feature_has_its_inputs_and_golden() -> None:
    assert [p.name for p in CASES] == ["icmp-type-code", "interfaces", "ipv6-any", "layout-instance",
                                       "prefix-list", "protocol-all"]
    for case in CASES:
        assert sorted(p.name for p in case.iterdir() if not p.name.endswith(".actual")) == [
            "fragment.xml", "policy.yaml", "state.yaml"], case.name
