"""The Lambda's push reaction on a Panorama device group (issue 26): a start reaches every connected
firewall's registrations without a commit, and a firewall that is not connected fails the
reaction by name after the other one got everything."""

from __future__ import annotations

import boto3
import pytest

from devtools.seed import policy_for, seed_estate
from emulator import EmulatorServer
from emulator.device import DeviceProfile
from generator.errors import AwspanError
from generator.events import handler
from generator.yamlio import dump_yaml
from tests.events.conftest import load_event

SECRET = "awspan/panos-api-key"
FIXTURE_INSTANCE = "i-0a1b2c3d4e5f60718"  # the instance id in start_instances.json
FW1, FW2 = "007051000000001", "007051000000002"


@pytest.mark.slow
def test_a_start_reaches_every_connected_firewall_and_a_disconnected_one_is_named(aws, tmp_path, monkeypatch):
    with EmulatorServer(panorama=True, device=DeviceProfile(disconnected_devices=(FW2,))) as emu:
        estate = seed_estate(aws)
        boto3.client("secretsmanager", region_name=estate.region).create_secret(
            Name=SECRET, SecretString=emu.api_key("automation"))
        doc = policy_for(estate, url=emu.url, events={"mode": "push", "work_dir": str(tmp_path / "work"),
                                                       "api_key_secret": SECRET})
        doc["firewall"].update(location={"device_group": "dg1", "rulebase": "pre"}, push_to_devices=True)
        doc["rules"]["membership"] = "dynamic"
        path = tmp_path / "policy.yaml"
        path.write_text(dump_yaml(doc))
        monkeypatch.setenv("AWSPAN_CONFIG", str(path))
        batch, batch_ip = estate.instances["batch-1"], estate.private_ips["batch-1"]
        boto3.client("ec2", region_name=estate.region).start_instances(InstanceIds=[batch])
        with pytest.raises(AwspanError, match=f"firewall {FW2} .* is not connected to Panorama"):
            handler(load_event("start_instances", {FIXTURE_INSTANCE: batch}), None)
        assert batch_ip in emu.fleet[FW1].registry.snapshot()  # the connected firewall got it
        assert emu.fleet[FW2].registry.snapshot() == {}
        emu.fleet.set_connected(FW2, True)
        emu.reset_counters()
        result = handler(load_event("start_instances", {FIXTURE_INSTANCE: batch}), None)
        assert result["reaction"] == "push"
        assert emu.fleet[FW2].registry.snapshot() == emu.fleet[FW1].registry.snapshot()
        assert [r["action"] for r in emu.requests if r["type"] == "commit"] == ["all"]  # FW2 was out of sync
