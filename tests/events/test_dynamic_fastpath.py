"""Membership `dynamic`: a start or stop is answered with the User-ID delta only (issue 25).

Against the PAN-OS emulator over real HTTP and a moto server: after one full push, a stop and a
start read the instance by id and send only its registrations: no config read, no batch, no
commit, counted on the emulator's request log. A group change still takes the full push.
"""

from __future__ import annotations

import boto3
import pytest
import yaml

from devtools.seed import policy_for, seed_estate
from generator.collect.collector import collect
from generator.errors import AwspanError
from generator.events import handler
from generator.location import Location
from generator.yamlio import dump_yaml
from tests.events.conftest import load_event
from tests.events.test_reactions import FIXTURE_INSTANCE, SECRET, TRAIL_BUCKET

pytestmark = pytest.mark.slow  # a moto server and the emulator


def registered(emu, prefix: str = "awspan.") -> dict[str, frozenset[str]]:
    """awspan's registrations as the emulator holds them, read over its API."""
    from generator.panos.push.registrations import read_registered
    from generator.panos.xmlapi.client import PanosClient

    client = PanosClient(emu.url, api_key=emu.api_key("automation"))
    return read_registered(client, Location(vsys="vsys1"), prefix)


def kinds(emu) -> list[str]:
    """What each request since the last reset did: its type, and the command or action."""
    return [f"{r['type']} {r.get('action') or r.get('cmd') or ''}".strip() for r in emu.requests]


def dynamic_estate(aws, emu, tmp_path, monkeypatch, safety=None):
    estate = seed_estate(aws)
    boto3.client("secretsmanager", region_name=estate.region).create_secret(
        Name=SECRET, SecretString=emu.api_key("automation"))
    doc = policy_for(estate, url=emu.url, events={
        "mode": "push", "work_dir": str(tmp_path / "work"), "api_key_secret": SECRET,
        "trail_buckets": [TRAIL_BUCKET]})
    doc["rules"]["membership"] = "dynamic"
    if safety is not None:
        doc["safety"] = safety
    path = tmp_path / "policy.yaml"
    path.write_text(dump_yaml(doc))
    monkeypatch.setenv("AWSPAN_CONFIG", str(path))
    return estate, boto3.client("ec2", region_name=estate.region)


def assert_journal_exact(work):
    """state.yaml, with the journal the fast path kept instead of rewriting it, is byte for byte what a
    full collect writes now (the next reaction builds on it)."""
    import os

    from generator.collect.normalize import build_state
    from generator.collect.step import state_bytes
    from generator.events import journal
    from generator.policy import load_policy

    state = yaml.safe_load((work / "state.yaml").read_text())
    assert journal.read(work), "the fast path wrote no journal"
    assert journal.apply(state, work)
    fresh = collect(load_policy(os.environ["AWSPAN_CONFIG"]))
    got, want = state_bytes(build_state(state["vpcs"])).decode(), state_bytes(fresh).decode()
    assert got.splitlines() == want.splitlines()


def test_a_stop_and_a_start_send_only_the_user_id_delta(aws, emu, tmp_path, monkeypatch):
    estate, ec2 = dynamic_estate(aws, emu, tmp_path, monkeypatch)
    batch, batch_ip = estate.instances["batch-1"], estate.private_ips["batch-1"]
    ec2.start_instances(InstanceIds=[batch])
    first = handler(load_event("start_instances", {FIXTURE_INSTANCE: batch}), None)
    assert first["reaction"] == "push" and first["collected"] == "all"  # no state yet: the full loop
    before = registered(emu)
    assert batch_ip in before
    commits = sum(1 for r in emu.requests if r["type"] == "commit")

    ec2.stop_instances(InstanceIds=[batch])
    emu.reset_counters()
    stopped = handler(load_event("stop_instances", {FIXTURE_INSTANCE: batch}), None)
    assert stopped["reaction"] == "registrations", stopped
    assert (stopped["registered"], stopped["messages"]) == (0, 1) and stopped["unregistered"] >= 1
    seen = kinds(emu)
    # connect's HA check (pipeline.connect), one User-ID message and the read-back of the one
    # address: no config read, no batch, no commit
    assert seen == ["op show high-availability state", "user-id", "op show object registered-ip"], seen
    after = registered(emu)
    assert batch_ip not in after
    assert {ip: t for ip, t in before.items() if ip != batch_ip} == after, "the others are untouched"
    assert sum(1 for r in emu.requests if r["type"] == "commit") == 0 < commits
    assert_journal_exact(tmp_path / "work")

    ec2.start_instances(InstanceIds=[batch])
    emu.reset_counters()
    started = handler(load_event("start_instances", {FIXTURE_INSTANCE: batch}), None)
    assert started["reaction"] == "registrations" and started["unregistered"] == 0
    assert len(emu.requests) == 3
    assert registered(emu) == before
    assert_journal_exact(tmp_path / "work")


def test_a_change_of_configuration_still_takes_the_full_push(aws, emu, tmp_path, monkeypatch):
    """A group's new permission changes rules: the full loop (snapshot, batch, commit). A stop of an
    instance whose groups changed without an event reaching awspan (a lost event) is more than a
    stop: the full loop again, which gives it its new group's rules. Then a start is served by the
    fast path from the baseline that push recorded; a policy changed since is pushed in full."""
    estate, ec2 = dynamic_estate(aws, emu, tmp_path, monkeypatch)
    batch, batch_sg = estate.instances["batch-1"], estate.security_groups["batch"]
    ec2.start_instances(InstanceIds=[batch])
    handler(load_event("start_instances", {FIXTURE_INSTANCE: batch}), None)
    ec2.authorize_security_group_ingress(GroupId=batch_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443, "IpRanges": [{"CidrIp": "198.51.100.0/24"}]}])
    emu.reset_counters()
    event = load_event("authorize_security_group_ingress")
    event["detail"]["requestParameters"]["groupId"] = batch_sg
    changed = handler(event, None)
    assert changed["reaction"] == "push", changed
    assert any(r["type"] == "commit" for r in emu.requests)

    web_sg, batch_ip = estate.security_groups["web"], estate.private_ips["batch-1"]
    ec2.modify_instance_attribute(InstanceId=batch, Groups=[batch_sg, web_sg])  # no event for this one
    ec2.stop_instances(InstanceIds=[batch])
    stopped = handler(load_event("stop_instances", {FIXTURE_INSTANCE: batch}), None)
    assert stopped["reaction"] == "push", stopped
    ec2.start_instances(InstanceIds=[batch])
    emu.reset_counters()
    started = handler(load_event("start_instances", {FIXTURE_INSTANCE: batch}), None)
    assert started["reaction"] == "registrations", started
    web_tag = f"awspan.{web_sg}"
    assert web_tag in registered(emu)[batch_ip], "the start registers the group awspan learnt of by the push"

    policy = tmp_path / "policy.yaml"
    doc = yaml.safe_load(policy.read_text())
    doc["safety"]["max_delete_percent"] = 60
    policy.write_text(dump_yaml(doc))
    ec2.stop_instances(InstanceIds=[batch])
    assert handler(load_event("stop_instances", {FIXTURE_INSTANCE: batch}), None)["reaction"] == "push"


def test_a_stop_over_the_unregistration_guard_is_left_to_the_full_push_which_refuses(
        aws, emu, tmp_path, monkeypatch):
    """The fast path holds the guard push holds: a stop that would take more than
    safety.max_delete_percent of awspan's registered addresses off the firewall is not sent as a
    delta; the full push reads the firewall, refuses, and the address stays registered."""
    estate, ec2 = dynamic_estate(aws, emu, tmp_path, monkeypatch,
                                 safety={"max_delete_percent": 10, "min_existing": 1})
    batch, batch_ip = estate.instances["batch-1"], estate.private_ips["batch-1"]
    ec2.start_instances(InstanceIds=[batch])
    assert handler(load_event("start_instances", {FIXTURE_INSTANCE: batch}), None)["reaction"] == "push"
    before = registered(emu)
    assert batch_ip in before and 100 / len(before) > 10, before  # one address is over 10 %

    ec2.stop_instances(InstanceIds=[batch])
    emu.reset_counters()
    with pytest.raises(AwspanError, match=r"would unregister 1 of \d+ addresses"):
        handler(load_event("stop_instances", {FIXTURE_INSTANCE: batch}), None)
    assert "user-id" not in kinds(emu), "no User-ID message was sent"
    assert registered(emu) == before


def test_a_refused_user_id_message_leaves_the_next_reaction_to_the_full_push(aws, emu, tmp_path, monkeypatch):
    """The firewall refuses the delta: the reaction fails, the index of the last push is dropped
    (the firewall may hold either side), and the next event pushes in full from the state the
    journal kept, which registers exactly what AWS says."""
    estate, ec2 = dynamic_estate(aws, emu, tmp_path, monkeypatch)
    batch, batch_ip = estate.instances["batch-1"], estate.private_ips["batch-1"]
    ec2.start_instances(InstanceIds=[batch])
    handler(load_event("start_instances", {FIXTURE_INSTANCE: batch}), None)
    before = registered(emu)

    ec2.stop_instances(InstanceIds=[batch])
    emu.fail("user-id")
    with pytest.raises(AwspanError, match="push"):
        handler(load_event("stop_instances", {FIXTURE_INSTANCE: batch}), None)
    assert registered(emu) == before, "the refused message changed nothing"
    assert not (tmp_path / "work" / "fastpath.sqlite").exists()

    web = estate.instances["web-1"]
    ec2.stop_instances(InstanceIds=[web])
    again = handler(load_event("stop_instances", {FIXTURE_INSTANCE: web}), None)
    assert again["reaction"] == "push", again
    now = registered(emu)
    assert batch_ip not in now and estate.private_ips["web-1"] not in now
    assert set(now) == set(before) - {batch_ip, estate.private_ips["web-1"]}
