"""The library pipeline: the steps run from Python with credentials passed in, never through the
environment (the Lambda's secret must not land in os.environ), and credentials never print."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator import EmulatorServer
from generator import pipeline
from generator.errors import AwspanError
from generator.policy import load_policy
from tests.policies import example_policy, write_policy

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmulatorServer):
    for var in ("PANOS_URL", "PANOS_HOSTNAME", "PANOS_API_KEY", "PANOS_USERNAME", "PANOS_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    return emu, load_policy(str(write_policy(tmp_path, emu.url, base=example_policy()))), tmp_path


def test_generate_plan_push_with_credentials_and_no_environment(setup):
    emu, policy, tmp = setup
    out = str(tmp / "out" / "fragment.xml")
    (tmp / "out").mkdir()
    pipeline.generate(policy, str(ROOT / "examples" / "state.yaml"), out)
    creds = pipeline.Credentials(urls=(emu.url,), api_key=emu.api_key("automation"))
    planned = pipeline.plan(policy, creds, out)
    assert planned.document["summary"]["rules_opened"] > 0
    pushed = pipeline.push(policy, creds, out)
    assert pushed.result.committed
    again = pipeline.plan(policy, creds, out)
    assert not again.document["summary"]["has_changes"]  # what was pushed is what was planned


def test_credentials_never_show_their_secrets():
    creds = pipeline.Credentials(urls=("https://fw",), api_key="SECRET-KEY", username="u",
                                 password="SECRET-PW")
    assert "SECRET" not in repr(creds) and "SECRET" not in str(creds)


def test_missing_credentials_name_what_to_set(setup):
    emu, policy, tmp = setup
    with pytest.raises(AwspanError, match="PANOS_API_KEY"):
        pipeline.snapshot(policy, pipeline.Credentials(urls=(emu.url,)), str(tmp / "rulebase.xml"))
