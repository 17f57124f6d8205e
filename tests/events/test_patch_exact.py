"""Exactness of the reaction's reads by id (issue 25 "Exactness first").

Random sequences of EC2 changes are made in a moto estate; after each, the CloudTrail record the
change would produce goes through classify and the reaction's collect (partial_collect:
targets -> reads by id -> patch of the last state), and the state.yaml it writes must be
byte-identical to what a fresh full collect writes. A change the patch cannot make exact (a VPC
the state never saw) must be read whole, with the reason logged.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.collect.step import collect_to_file
from generator.events.classify import classify
from generator.events.partial_collect import Collected, collect_changed, mark_full
from generator.policy import load_policy
from tests.collect.conftest import mocked_module  # noqa: F401  (the fixture, shared)
from tests.collect.estate import AMI, build_estate
from tests.policies import write_policy

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account

OPS = ("stop", "start", "terminate", "run", "authorize", "revoke", "rule_change", "eni_groups",
       "instance_groups", "create_route", "delete_route", "replace_association", "associate",
       "disassociate")


def record(name: str, request: dict[str, Any], response: dict[str, Any] | None = None) -> dict[str, Any]:
    """A CloudTrail record as an EC2 call writes it (only what classify and the reaction read)."""
    return {"eventVersion": "1.09", "eventSource": "ec2.amazonaws.com", "eventName": name,
            "awsRegion": REGION, "recipientAccountId": ACCOUNT, "eventID": f"ev-{name}",
            "requestParameters": request, "responseElements": response}


def _items(key: str, values: list[str]) -> dict[str, Any]:
    return {"items": [{key: v} for v in values]}


class Estate:
    """The moto estate and the changes a test makes to it, each returning its CloudTrail record."""

    def __init__(self, ec2: Any, ids: dict[str, str]) -> None:
        self.ec2, self.ids = ec2, ids

    def _instances(self, states: set[str]) -> list[str]:
        out = [i["InstanceId"] for r in self.ec2.describe_instances()["Reservations"] for i in r["Instances"]
               if i["State"]["Name"] in states and i["InstanceId"] != self.ids["i_fw"]]
        return sorted(out)

    def _groups(self) -> list[str]:
        return sorted(self.ids[k] for k in ("sg_web", "sg_db", "sg_extra"))

    def _tables(self) -> list[str]:
        return sorted(self.ids[k] for k in ("rtb_protected", "rtb_extra"))

    def change(self, op: str, pick: int) -> dict[str, Any] | None:
        """Make the change `op` (on the `pick`-th candidate); its record, or None when nothing fits."""
        ec2, ids = self.ec2, self.ids

        def choose(options: list[str]) -> str | None:
            return options[pick % len(options)] if options else None

        if op in ("stop", "start", "terminate"):
            wanted = {"stop": {"running"}, "start": {"stopped"}, "terminate": {"running", "stopped"}}[op]
            if (i := choose(self._instances(wanted))) is None:
                return None
            getattr(ec2, f"{op}_instances")(InstanceIds=[i])
            name = f"{op.capitalize()}Instances"
            return record(name, {"instancesSet": _items("instanceId", [i])},
                          {"instancesSet": _items("instanceId", [i])})
        if op == "run":
            subnet = choose([ids["sn_protected"], ids["sn_plain"], ids["sn_second"]])
            group = choose(self._groups())
            made = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=subnet,
                                     SecurityGroupIds=[group])["Instances"][0]
            return record("RunInstances", {"instancesSet": {"items": [{"imageId": AMI}]}},
                          {"instancesSet": {"items": [{
                              "instanceId": made["InstanceId"], "subnetId": subnet, "vpcId": ids["vpc"],
                              "groupSet": _items("groupId", [group]),
                              "networkInterfaceSet": _items("networkInterfaceId", [
                                  n["NetworkInterfaceId"] for n in made["NetworkInterfaces"]])}]}})
        if op in ("authorize", "revoke", "rule_change"):
            group = choose(self._groups())
            assert group is not None
            port = 1000 + pick % 3
            perm = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                    "IpRanges": [{"CidrIp": f"198.18.{pick % 3}.0/24"}]}
            if op == "authorize" or op == "rule_change":  # a rule change: the rule moves to another group
                try:
                    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[perm])
                except ec2.exceptions.ClientError:
                    return None  # already there: the call fails, CloudTrail says errorCode
                name = "AuthorizeSecurityGroupIngress" if op == "authorize" else "ModifySecurityGroupRules"
                return record(name, {"groupId": group}, {"_return": True})
            try:
                ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[perm])
            except ec2.exceptions.ClientError:
                return None
            return record("RevokeSecurityGroupIngress", {"groupId": group}, {"_return": True})
        if op == "eni_groups":
            eni = choose(sorted(ids[k] for k in ("eni_web1", "eni_loose")))
            groups = [g for n, g in enumerate(self._groups()) if (pick >> n) & 1] or [ids["sg_db"]]
            ec2.modify_network_interface_attribute(NetworkInterfaceId=eni, Groups=groups)
            return record("ModifyNetworkInterfaceAttribute",
                          {"networkInterfaceId": eni, "groupSet": _items("groupId", groups)})
        if op == "instance_groups":
            if (i := choose(self._instances({"running", "stopped"}))) is None:
                return None
            groups = [g for n, g in enumerate(self._groups()) if (pick >> n) & 1] or [ids["sg_web"]]
            ec2.modify_instance_attribute(InstanceId=i, Groups=groups)
            return record("ModifyInstanceAttribute",
                          {"instanceId": i, "groupSet": _items("groupId", groups)})
        if op in ("create_route", "delete_route"):
            table = choose(self._tables())
            cidr = f"203.0.{113 + pick % 2}.0/24"
            try:
                if op == "create_route":
                    ec2.create_route(RouteTableId=table, DestinationCidrBlock=cidr, InstanceId=ids["i_fw"])
                else:
                    ec2.delete_route(RouteTableId=table, DestinationCidrBlock=cidr)
            except ec2.exceptions.ClientError:
                return None
            name = "CreateRoute" if op == "create_route" else "DeleteRoute"
            return record(name, {"routeTableId": table, "destinationCidrBlock": cidr})
        subnet = choose([ids["sn_protected"], ids["sn_plain"], ids["sn_second"]])
        assoc = self._association(subnet)
        if op == "replace_association" and assoc is not None:
            table = choose(self._tables())
            new = ec2.replace_route_table_association(AssociationId=assoc, RouteTableId=table)
            return record("ReplaceRouteTableAssociation", {"associationId": assoc, "routeTableId": table},
                          {"newAssociationId": new["NewAssociationId"]})
        if op == "associate" and assoc is None:
            table = choose(self._tables())
            new = ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
            return record("AssociateRouteTable", {"routeTableId": table, "subnetId": subnet},
                          {"associationId": new["AssociationId"]})
        if op == "disassociate" and assoc is not None:
            ec2.disassociate_route_table(AssociationId=assoc)
            return record("DisassociateRouteTable", {"associationId": assoc}, {"_return": True})
        return None

    def _association(self, subnet: str | None) -> str | None:
        for table in self.ec2.describe_route_tables()["RouteTables"]:
            for assoc in table.get("Associations", []):
                if assoc.get("SubnetId") == subnet and not assoc.get("Main"):
                    return assoc["RouteTableAssociationId"]
        return None


@pytest.fixture(scope="module")
def estate(mocked_module: None,  # noqa: F811
           tmp_path_factory: pytest.TempPathFactory) -> tuple[Estate, Any, Path]:
    """The estate of tests/collect/estate.py, plus a group, a route table and a loose interface for
    the changes to move things between."""
    ec2 = boto3.client("ec2", region_name=REGION)
    ids = build_estate(ec2, REGION)
    ids["sg_extra"] = ec2.create_security_group(GroupName="extra", Description="x",
                                                VpcId=ids["vpc"])["GroupId"]
    ids["rtb_extra"] = ec2.create_route_table(VpcId=ids["vpc"])["RouteTable"]["RouteTableId"]
    ids["eni_loose"] = ec2.create_network_interface(SubnetId=ids["sn_plain"], Groups=[ids["sg_web"]])[
        "NetworkInterface"]["NetworkInterfaceId"]
    tmp = tmp_path_factory.mktemp("exact")
    policy = load_policy(write_policy(tmp, firewall={"instance_id": ids["i_fw"]}, aws={"regions": [REGION]}))
    return Estate(ec2, ids), policy, tmp


def react(policy: Any, work: Path, rec: dict[str, Any]) -> Collected | None:
    decision = classify(rec)
    assert decision.relevant, decision.reason
    return collect_changed(policy, work, [decision])


def full(policy: Any, tmp: Path) -> bytes:
    out = tmp / "fresh" / "state.yaml"
    collect_to_file(policy, out)
    return out.read_bytes()


EXAMPLES = int(os.environ.get("AWSPAN_EXACT_EXAMPLES", "8"))
"""Sequences tried per run: few, so that the test takes well under a minute (each step is a full
collect to compare with); AWSPAN_EXACT_EXAMPLES=80 for a longer search (80 passed, ~5 min)."""


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 15)), min_size=1, max_size=4))
def test_the_patched_state_equals_a_fresh_full_collect(estate, steps):
    """After every event of a random sequence, the state the reads by id patched is the state a
    full collect writes, byte for byte, and it was patched (not read whole)."""
    world, policy, tmp = estate
    work = tmp / "work"
    collect_to_file(policy, work / "state.yaml")
    mark_full(work, policy)
    for op, pick in steps:
        rec = world.change(op, pick)
        if rec is None:
            continue
        done = react(policy, work, rec)
        assert done is not None and not done.whole, (op, done)
        assert list(done.patched) == [f"- {REGION}"]
        assert (work / "state.yaml").read_bytes() == full(policy, tmp), f"{op} {pick}: patch differs"


def test_a_change_in_a_vpc_the_state_never_saw_is_read_whole_and_says_why(estate, caplog):
    """RunInstances in a new VPC: the patch cannot place it, so the region is read whole, the
    reason logged, and the state is still exactly a full collect's."""
    world, policy, tmp = estate
    work = tmp / "work-new-vpc"
    collect_to_file(policy, work / "state.yaml")
    mark_full(work, policy)
    ec2 = world.ec2
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24")["Subnet"]["SubnetId"]
    made = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]
    rec = record("RunInstances", {}, {"instancesSet": _items("instanceId", [made["InstanceId"]])})
    with caplog.at_level(logging.INFO, logger="generator.events.partial_collect"):
        done = react(policy, work, rec)
    assert done is not None and not done.patched
    why = done.whole[f"- {REGION}"]
    assert f"VPC {vpc}" in why and "does not hold" in why
    assert any("read whole" in r.getMessage() and vpc in r.getMessage() for r in caplog.records)
    assert (work / "state.yaml").read_bytes() == full(policy, tmp)


def test_an_event_without_the_id_its_read_needs_is_read_whole(estate, caplog):
    """A DetachNetworkInterface names only its attachment: nothing to read by id, so the region is
    read whole (and the reason logged), never a state that silently missed the change."""
    world, policy, tmp = estate
    work = tmp / "work-detach"
    collect_to_file(policy, work / "state.yaml")
    mark_full(work, policy)
    ec2, ids = world.ec2, world.ids
    attachment = ec2.describe_network_interfaces(NetworkInterfaceIds=[ids["eni_web1"]])[
        "NetworkInterfaces"][0]["Attachment"]["AttachmentId"]
    ec2.detach_network_interface(AttachmentId=attachment)
    rec = record("DetachNetworkInterface", {"attachmentId": attachment}, {"_return": True})
    with caplog.at_level(logging.INFO, logger="generator.events.partial_collect"):
        done = react(policy, work, rec)
    assert done is not None and "names no interface id" in done.whole[f"- {REGION}"]
    assert any("read whole" in r.getMessage() for r in caplog.records)
    assert (work / "state.yaml").read_bytes() == full(policy, tmp)
    ec2.attach_network_interface(NetworkInterfaceId=ids["eni_web1"], InstanceId=ids["i_web"], DeviceIndex=1)
