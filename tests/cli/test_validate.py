"""`awspan validate`: every input file checked offline, all problems of all files in one run."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli.main import main
from tests.generate.helpers import GOLDEN, POLICY, STATE


def _validate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["validate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Anything that tried AWS or the firewall would fail loudly here."""
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    monkeypatch.setenv("PANOS_URL", "https://127.0.0.1:9")
    monkeypatch.delenv("PANOS_API_KEY", raising=False)


def test_the_examples_are_valid(offline: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _validate(capsys, "--config", str(POLICY), "--state", str(STATE),
                               "--fragment", str(GOLDEN))
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith(f"ok      {POLICY}: firewall i-0f1e2d3c4b5a69780, vsys vsys1, 1 region")
    assert lines[1] == (f"ok      {STATE}: 3 VPCs, 9 security groups, 8 instances, 14 network interfaces; "
                        "7 protected interfaces, 14 rules before the already-allowed check")
    assert lines[2] == f"ok      {GOLDEN}: valid against fragment.xsd, for vsys vsys1, 14 rules"
    assert err == ""


def test_every_invalid_file_is_reported_in_one_run(offline: None, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    policy, state, fragment = tmp_path / "policy.yaml", tmp_path / "state.yaml", tmp_path / "fragment.xml"
    policy.write_text(POLICY.read_text().replace("from_zone: untrust", "from_zone: untrust\n  colour: blue"))
    state.write_text(STATE.read_text().replace("version: 2", "version: 7"))
    fragment.write_text(GOLDEN.read_text().replace("<action>allow</action>", "<action>maybe</action>", 1))
    code, out, err = _validate(capsys, "--config", str(policy), "--state", str(state),
                               "--fragment", str(fragment))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"invalid {policy}: rules.colour: unknown key 'colour'"
    assert lines[1].startswith(f"invalid {state}: version:")
    assert lines[2].startswith(f"invalid {fragment}: malformed or not valid against fragment.xsd")
    assert "maybe" in lines[2]
    assert err == "awspan validate: error: 3 files invalid (listed above)\n"


def test_default_files_that_do_not_exist_yet_are_skipped(offline: None, tmp_path: Path, monkeypatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = _validate(capsys, "--config", str(POLICY))
    assert code == 0
    assert "skipped out/state.yaml: not found (no state: run `awspan collect` yet)" in out
    assert "skipped out/fragment.xml: not found (no fragment: run `awspan generate` yet)" in out
    code, out, _ = _validate(capsys, "--config", str(POLICY), "--state", "elsewhere.yaml")
    assert code == 1 and "invalid elsewhere.yaml: not found" in out  # named explicitly: an error


def test_suspicious_results_are_warnings_not_failures(offline: None, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.read_text().replace("regions: [us-east-1]", "regions: [us-east-1, eu-west-1]"))
    code, _, err = _validate(capsys, "--config", str(policy), "--state", str(STATE),
                             "--fragment", str(GOLDEN))
    assert code == 0
    assert err == ("warning: aws.regions: the state holds no VPC in eu-west-1 (is the region right? is it "
                   "enabled for the account? was collect run after it was added?)\n")


def test_a_region_typo_is_caught_offline(offline: None, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.read_text().replace("regions: [us-east-1]", "regions: [us-eats-1]"))
    code, out, _ = _validate(capsys, "--config", str(policy), "--state", str(tmp_path / "none.yaml"))
    assert code == 1
    assert (f"invalid {policy}: aws.regions[0]: 'us-eats-1' is not an AWS region; "
            "did you mean 'us-east-1'?") in out
