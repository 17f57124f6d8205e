"""normalize.py on AWS-shaped responses for the cases moto cannot produce (terminated
instances without a VPC, instance routes that also carry the ENI, dead associations)."""

from __future__ import annotations

from typing import Any

import netaddr
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.collect.normalize import ingress_entries, normalize_region, route, route_table, vpc_cidrs
from generator.collect.read_ec2 import RawRegion, referenced_prefix_lists


def test_an_instance_route_names_the_instance_not_its_eni() -> None:
    # DescribeRouteTables returns both ids for a route created with InstanceId
    raw = {"DestinationCidrBlock": "0.0.0.0/0", "InstanceId": "i-0aa", "InstanceOwnerId": "123456789012",
           "NetworkInterfaceId": "eni-0bb", "Origin": "CreateRoute", "State": "active"}
    assert route(raw) == {"destination": "0.0.0.0/0", "target": "i-0aa", "state": "active"}
    assert route({"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-01"}) == {
        "destination": "::/0", "target": "eigw-01", "state": "active"}
    blackhole = {"DestinationCidrBlock": "10.9.0.0/16", "TransitGatewayId": "tgw-01", "State": "blackhole"}
    assert route(blackhole) == {"destination": "10.9.0.0/16", "target": "tgw-01",
                                "state": "blackhole"}  # kept with its state; generate decides


def test_an_unknown_target_field_is_ignored_with_a_warning_never_taken_for_a_target(caplog) -> None:
    raw = {"DestinationCidrBlock": "0.0.0.0/0", "OdbNetworkArn": "arn:aws:odb:us-east-1:1:odb-network/x",
           "State": "active"}
    assert route(raw, "rtb-9") == {"destination": "0.0.0.0/0", "target": None, "state": "active"}
    assert "rtb-9" in caplog.text and "OdbNetworkArn" in caplog.text and "ignored" in caplog.text


def test_route_table_keeps_explicit_associations_only() -> None:
    raw = {"RouteTableId": "rtb-1", "Routes": [], "Associations": [
        {"Main": True, "AssociationState": {"State": "associated"}},
        {"Main": False, "SubnetId": "subnet-b", "AssociationState": {"State": "associated"}},
        {"Main": False, "SubnetId": "subnet-a", "AssociationState": {"State": "associated"}},
        {"Main": False, "SubnetId": "subnet-gone", "AssociationState": {"State": "disassociated"}},
        {"Main": False, "GatewayId": "igw-1", "AssociationState": {"State": "associated"}},  # edge
    ]}
    assert route_table(raw) == {"id": "rtb-1", "main": True, "subnets": ["subnet-a", "subnet-b"],
                                "routes": []}


def test_vpc_blocks_skip_disassociated_ones() -> None:
    raw = {"CidrBlock": "10.0.0.0/16", "CidrBlockAssociationSet": [
        {"CidrBlock": "10.2.0.0/16", "CidrBlockState": {"State": "associated"}},
        {"CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}},
        {"CidrBlock": "10.3.0.0/16", "CidrBlockState": {"State": "disassociated"}}],
        "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2600:1f18:1234:5600::/56",
                                         "Ipv6CidrBlockState": {"State": "associated"}}]}
    assert vpc_cidrs(raw) == ["10.0.0.0/16", "10.2.0.0/16", "2600:1f18:1234:5600::/56"]


def test_permission_sources_grouped_by_description() -> None:
    perm = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "IpRanges": [{"CidrIp": "198.51.100.0/24", "Description": "office"},
                         {"CidrIp": "192.0.2.0/24", "Description": "vpn"},
                         {"CidrIp": "203.0.113.0/24", "Description": "office"}],
            "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32", "Description": "vpn"}],
            "PrefixListIds": [], "UserIdGroupPairs": [{"GroupId": "sg-9", "UserId": "123456789012"}]}
    entries = {e["description"]: e for e in ingress_entries(perm)}
    assert set(entries) == {"office", "vpn", None}
    assert entries["office"]["cidrs"] == ["198.51.100.0/24", "203.0.113.0/24"]
    assert (entries["vpn"]["cidrs"], entries["vpn"]["ipv6_cidrs"]) == (["192.0.2.0/24"], ["2001:db8::/32"])
    assert entries[None]["groups"] == ["sg-9"] and entries[None]["cidrs"] == []
    assert all((e["protocol"], e["from_port"], e["to_port"]) == ("tcp", 22, 22) for e in entries.values())


def test_protocol_numbers_and_names() -> None:
    def proto(p: str, **ports: int) -> tuple[object, object, object]:
        [e] = ingress_entries({"IpProtocol": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}], **ports})
        return e["protocol"], e["from_port"], e["to_port"]

    assert proto("-1") == ("all", None, None)
    assert proto("6", FromPort=80, ToPort=81) == ("tcp", 80, 81)
    assert proto("17", FromPort=53, ToPort=53) == ("udp", 53, 53)
    assert proto("1", FromPort=3, ToPort=4) == ("icmp", 3, 4)
    assert proto("icmpv6", FromPort=-1, ToPort=-1) == ("icmpv6", -1, -1)
    assert proto("47") == ("47", None, None)  # GRE: a number as a string, no ports
    # left out, the fields mean "all of them"; a protocol without fields on AWS has none
    assert proto("tcp") == ("tcp", 0, 65535)
    assert proto("58") == ("icmpv6", -1, -1)
    assert proto("132", FromPort=5, ToPort=6) == ("132", None, None)  # AWS allows every sctp port


def test_terminated_instance_without_network_data_is_left_out() -> None:
    raw = RawRegion(
        vpcs=[{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16"}],
        instances=[
            {"InstanceId": "i-gone", "State": {"Name": "terminated"}, "NetworkInterfaces": []},
            {"InstanceId": "i-2", "State": {"Name": "running"}, "VpcId": "vpc-1",
             "Tags": [{"Key": "env", "Value": "x"}, {"Key": "Name", "Value": "b"}],
             "NetworkInterfaces": [{"NetworkInterfaceId": "eni-2", "SubnetId": "subnet-1"}]},
        ],
    )
    [vpc] = normalize_region(raw, "123456789012", "us-east-1")
    assert vpc["cidrs"] == ["10.0.0.0/16"]
    assert vpc["instances"] == [{"id": "i-2", "name": "b", "state": "running"}]


def test_interfaces_are_the_vpcs_own_list_with_owner_status_addresses_and_prefixes() -> None:
    """DescribeNetworkInterfaces entries as AWS answers them (a load balancer's, an EKS node's, an
    available one): every field state.yaml keeps, as data, canonical and sorted."""
    raw = RawRegion(
        vpcs=[{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16"}],
        interfaces=[
            {"NetworkInterfaceId": "eni-b", "SubnetId": "subnet-1", "VpcId": "vpc-1", "Status": "in-use",
             "InterfaceType": "interface", "RequesterManaged": True, "RequesterId": "amazon-elb",
             "Description": "ELB app/web-alb/50dc6c495c0c9188",
             "Attachment": {"InstanceOwnerId": "amazon-elb", "Status": "attached"},
             "PrivateIpAddress": "10.0.1.50", "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.50"}],
             "Groups": [{"GroupId": "sg-2"}, {"GroupId": "sg-1"}]},
            {"NetworkInterfaceId": "eni-a", "SubnetId": "subnet-1", "VpcId": "vpc-1", "Status": "in-use",
             "InterfaceType": "interface", "RequesterManaged": False, "Description": "",
             "Attachment": {"InstanceId": "i-1", "InstanceOwnerId": "123456789012", "Status": "attached"},
             "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.9"}, {"PrivateIpAddress": "10.0.1.10"}],
             "Ipv6Addresses": [{"Ipv6Address": "2600:1f18:0:1:0:0:0:10"}],
             "Ipv4Prefixes": [{"Ipv4Prefix": "10.0.1.48/28"}, {"Ipv4Prefix": "10.0.1.32/28"}],
             "Ipv6Prefixes": [{"Ipv6Prefix": "2600:1f18:0:1:1:0:0:0/80"}],
             "Association": {"PublicIp": "54.0.0.1"}, "Groups": [{"GroupId": "sg-1"}]},
            {"NetworkInterfaceId": "eni-c", "SubnetId": "subnet-1", "VpcId": "vpc-1", "Status": "available",
             "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.60"}]},
            {"NetworkInterfaceId": "eni-x", "SubnetId": "subnet-9", "VpcId": "vpc-9", "Status": "in-use"},
        ],
    )
    [vpc] = normalize_region(raw, "123456789012", "us-east-1")
    assert vpc["interfaces"] == [
        {"id": "eni-a", "subnet": "subnet-1", "instance": "i-1", "status": "in-use", "type": "interface",
         "requester_managed": False, "requester_id": None, "description": None,
         "private_ips": ["10.0.1.9", "10.0.1.10"], "ipv6_addresses": ["2600:1f18:0:1::10"],
         "ipv4_prefixes": ["10.0.1.32/28", "10.0.1.48/28"], "ipv6_prefixes": ["2600:1f18:0:1:1::/80"],
         "public_ip": "54.0.0.1", "security_groups": ["sg-1"]},
        {"id": "eni-b", "subnet": "subnet-1", "instance": None, "status": "in-use", "type": "interface",
         "requester_managed": True, "requester_id": "amazon-elb",
         "description": "ELB app/web-alb/50dc6c495c0c9188",
         "private_ips": ["10.0.1.50"], "ipv6_addresses": [], "ipv4_prefixes": [], "ipv6_prefixes": [],
         "public_ip": None, "security_groups": ["sg-1", "sg-2"]},
        {"id": "eni-c", "subnet": "subnet-1", "instance": None, "status": "available", "type": None,
         "requester_managed": False, "requester_id": None, "description": None,
         "private_ips": ["10.0.1.60"], "ipv6_addresses": [], "ipv4_prefixes": [], "ipv6_prefixes": [],
         "public_ip": None, "security_groups": []},
    ]  # eni-x is in a VPC DescribeVpcs did not return: left out with a warning, like any object


def test_referenced_prefix_lists_are_distinct() -> None:
    groups = [{"IpPermissions": [{"PrefixListIds": [{"PrefixListId": "pl-2"}, {"PrefixListId": "pl-1"}]}]},
              {"IpPermissions": [{"PrefixListIds": [{"PrefixListId": "pl-2"}]}]}, {"IpPermissions": []}]
    assert referenced_prefix_lists(groups) == ["pl-1", "pl-2"]


_cidr4 = st.tuples(st.integers(0, 2**32 - 1), st.integers(8, 32)).map(
    lambda t: str(netaddr.IPNetwork(f"{netaddr.IPAddress(t[0])}/{t[1]}").cidr))
_desc = st.sampled_from([None, "office", "vpn", "partner </entry>"])


@settings(max_examples=60, deadline=None)
@given(ranges=st.lists(st.tuples(_cidr4, _desc), max_size=12, unique_by=lambda t: t[0]),
       groups=st.lists(st.tuples(st.sampled_from(["sg-1", "sg-2", "sg-3"]), _desc), max_size=3,
                       unique_by=lambda t: t[0]),
       order=st.randoms(use_true_random=False))
def test_split_by_description_keeps_every_source_once_whatever_the_order(
    ranges: list[tuple[str, str | None]], groups: list[tuple[str, str | None]], order: Any
) -> None:
    def perm(rs: list[tuple[str, str | None]]) -> dict[str, Any]:
        return {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                "IpRanges": [{"CidrIp": c, **({"Description": d} if d else {})} for c, d in rs],
                "UserIdGroupPairs": [{"GroupId": g, **({"Description": d} if d else {})} for g, d in groups]}

    entries = ingress_entries(perm(ranges))
    described = {(c, d) for e in entries for c in e["cidrs"] for d in [e["description"]]}
    assert described == set(ranges)  # every source once, under its own description
    assert {(g, e["description"]) for e in entries for g in e["groups"]} == set(groups)
    assert len({e["description"] for e in entries}) == len(entries)
    shuffled = list(ranges)
    order.shuffle(shuffled)
    assert sorted(ingress_entries(perm(shuffled)), key=str) == sorted(entries, key=str)
    def numeric(c: str) -> tuple[int, int]:
        return netaddr.IPNetwork(c).first, netaddr.IPNetwork(c).prefixlen

    assert all(e["cidrs"] == sorted(e["cidrs"], key=numeric) for e in entries)
