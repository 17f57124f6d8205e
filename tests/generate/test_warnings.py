"""Valid but suspicious results are said on stderr (and by `awspan validate`): a state without the
firewall instance, no protected interface, a listed region without a VPC. The control: the
example estate warns about nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.yamlio import dump_yaml
from tests.generate.helpers import example_state_data, generate_cli
from tests.policies import example_policy

FW = "i-0f1e2d3c4b5a69780"


def _files(tmp_path: Path, state: dict, policy: dict | None = None) -> tuple[Path, Path]:
    state_file, policy_file = tmp_path / "state.yaml", tmp_path / "policy.yaml"
    state_file.write_text(dump_yaml(state))
    policy_file.write_text(dump_yaml(policy or example_policy()))
    return state_file, policy_file


def _warnings(capsys: pytest.CaptureFixture[str], tmp_path: Path, state: dict, policy: dict | None = None
              ) -> list[str]:
    state_file, policy_file = _files(tmp_path, state, policy)
    rc, _, err = generate_cli(capsys, tmp_path / "fragment.xml", "--no-rulebase", policy=policy_file,
                              state=state_file)
    assert rc == 0, err
    return [line for line in err.splitlines() if line.startswith("warning: ")]


def test_the_example_estate_warns_about_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _warnings(capsys, tmp_path, example_state_data()) == []


def test_firewall_missing_from_the_state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = example_policy()
    policy["firewall"]["instance_id"] = "i-00000000000000001"
    policy["firewall"]["route_targets"] = []
    warnings = _warnings(capsys, tmp_path, example_state_data(), policy)
    assert warnings[0].startswith("warning: firewall.instance_id i-00000000000000001 is not in the state")
    assert warnings[1].startswith("warning: no protected interface: ")
    assert "so the fragment has no rules" in warnings[1]
    assert len(warnings) == 2


def test_zero_protected_interfaces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = example_state_data()
    for vpc in state["vpcs"]:
        for inst in vpc["instances"]:
            if inst["id"] != FW:
                inst["state"] = "stopped"
        for eni in vpc["interfaces"]:
            if eni["instance"] is None:  # a load balancer's, a task's: attached to nothing now
                eni["status"] = "available"
    warnings = _warnings(capsys, tmp_path, state)
    assert len(warnings) == 1 and warnings[0].startswith("warning: no protected interface: ")


def test_a_region_without_a_vpc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = example_policy()
    policy["aws"]["regions"] = ["us-east-1", "eu-west-1"]
    warnings = _warnings(capsys, tmp_path, example_state_data(), policy)
    assert warnings == ["warning: aws.regions: the state holds no VPC in eu-west-1 (is the region right? "
                        "is it enabled for the account? was collect run after it was added?)"]
