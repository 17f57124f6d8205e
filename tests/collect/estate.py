"""A small AWS estate in moto that holds every case design.md's state.yaml describes.

Shared by the collect tests (in-process `mock_aws`) and the end-to-end test (a moto
server): `build_estate(ec2)` works with any EC2 client and returns the ids it made, so
tests assert on real ids instead of hard-coded ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3

from generator.collect.step import collect_to_file
from generator.policy import load_policy
from generator.yamlio import load_yaml_file
from tests.policies import write_policy

AMI = "ami-12c6146b"  # any ami- id: moto does not check it (its default images are not loaded)


def _name(ec2: Any, resource_id: str, name: str) -> None:
    ec2.create_tags(Resources=[resource_id], Tags=[{"Key": "Name", "Value": name}])


def build_estate(ec2: Any, region: str = "us-east-1") -> dict[str, str]:
    """Create the estate; return {role: id}."""
    ids: dict[str, str] = {}
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    ids["vpc"] = vpc_id = vpc["VpcId"]
    ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="10.1.0.0/16")  # secondary IPv4 block
    described = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    ids["vpc_ipv6"] = v6 = described["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]

    # subnets: "protected" has an explicit table; "plain" uses the main table; "second" is in 10.1/16
    ids["sn_protected"] = ec2.create_subnet(
        VpcId=vpc_id, CidrBlock="10.0.1.0/24", Ipv6CidrBlock=v6.replace("/56", "/64")
    )["Subnet"]["SubnetId"]
    ids["sn_plain"] = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    ids["sn_second"] = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    ids["sn_fw"] = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/28")["Subnet"]["SubnetId"]

    # prefix list referenced by a group
    ids["pl"] = ec2.create_managed_prefix_list(
        PrefixListName="office", MaxEntries=5, AddressFamily="IPv4",
        Entries=[{"Cidr": "198.51.100.0/24", "Description": "hq"}, {"Cidr": "192.0.2.0/25"}],
    )["PrefixList"]["PrefixListId"]
    ids["pl_unused"] = ec2.create_managed_prefix_list(
        PrefixListName="unused", MaxEntries=5, AddressFamily="IPv4", Entries=[{"Cidr": "203.0.113.0/24"}],
    )["PrefixList"]["PrefixListId"]

    ids["sg_fw"] = ec2.create_security_group(GroupName="firewall", Description="fw", VpcId=vpc_id)["GroupId"]
    ids["sg_db"] = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc_id)["GroupId"]
    ids["sg_web"] = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=ids["sg_web"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "world"}, {"CidrIp": "203.0.113.0/24"},
                      {"CidrIp": "10.0.0.0/8"}],
         "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "world"}],
         "PrefixListIds": [{"PrefixListId": ids["pl"]}]},
        {"IpProtocol": "6", "FromPort": 8000, "ToPort": 8099, "IpRanges": [{"CidrIp": "192.0.2.0/24"}]},
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": ids["sg_db"]}]},
        {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "58", "FromPort": -1, "ToPort": -1, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        {"IpProtocol": "17", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "50", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "198.51.100.7/32"}]},
    ])

    # the firewall instance (two ENIs), a multi-ENI web server, a stopped and a terminated instance
    fw = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=ids["sn_fw"],
                           SecurityGroupIds=[ids["sg_fw"]])["Instances"][0]
    ids["i_fw"] = fw["InstanceId"]
    ids["eni_fw0"] = fw["NetworkInterfaces"][0]["NetworkInterfaceId"]
    ids["eni_fw1"] = ec2.create_network_interface(SubnetId=ids["sn_fw"], Groups=[ids["sg_fw"]])[
        "NetworkInterface"]["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=ids["eni_fw1"], InstanceId=ids["i_fw"], DeviceIndex=1)
    _name(ec2, ids["i_fw"], "pan-fw")

    web = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=ids["sn_protected"],
                            SecurityGroupIds=[ids["sg_web"]], Ipv6AddressCount=1)["Instances"][0]
    ids["i_web"] = web["InstanceId"]
    ids["eni_web0"] = web["NetworkInterfaces"][0]["NetworkInterfaceId"]
    ids["eni_web1"] = ec2.create_network_interface(
        SubnetId=ids["sn_second"], Groups=[ids["sg_db"]],
        PrivateIpAddresses=[{"PrivateIpAddress": "10.1.0.20", "Primary": True},
                            {"PrivateIpAddress": "10.1.0.9", "Primary": False}],
    )["NetworkInterface"]["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=ids["eni_web1"], InstanceId=ids["i_web"], DeviceIndex=1)
    eip = ec2.allocate_address(Domain="vpc")
    ids["public_ip"] = eip["PublicIp"]
    ec2.associate_address(AllocationId=eip["AllocationId"], NetworkInterfaceId=ids["eni_web0"])
    _name(ec2, ids["i_web"], "web-1")

    ids["i_stopped"] = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=ids["sn_plain"],
                                         SecurityGroupIds=[ids["sg_web"]])["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[ids["i_stopped"]])
    ids["i_terminated"] = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=ids["sn_plain"])[
        "Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[ids["i_terminated"]])

    # a Gateway Load Balancer endpoint and the protected subnet's own route table
    ids["vpce"] = ec2.create_vpc_endpoint(
        VpcId=vpc_id, ServiceName=f"com.amazonaws.vpce.{region}.vpce-svc-0123456789abcdef0",
        VpcEndpointType="GatewayLoadBalancer", SubnetIds=[ids["sn_fw"]],
    )["VpcEndpoint"]["VpcEndpointId"]
    ids["rtb_protected"] = rt = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rt, SubnetId=ids["sn_protected"])
    ec2.associate_route_table(RouteTableId=rt, SubnetId=ids["sn_second"])
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", InstanceId=ids["i_fw"])
    ec2.create_route(RouteTableId=rt, DestinationIpv6CidrBlock="::/0", NetworkInterfaceId=ids["eni_fw1"])
    ec2.create_route(RouteTableId=rt, DestinationPrefixListId=ids["pl"], VpcEndpointId=ids["vpce"])
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="192.0.2.0/24", VpcEndpointId=ids["vpce"])

    # the main table sends the default route to an internet gateway
    ids["igw"] = igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    ids["rtb_main"] = main = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    return ids


def find(items: list[dict[str, Any]], obj_id: str) -> dict[str, Any]:
    """The object with this id in a state.yaml list (fails the test when missing)."""
    matches = [item for item in items if item["id"] == obj_id]
    assert len(matches) == 1, f"{obj_id} appears {len(matches)} times"
    return matches[0]


def collect_estate(tmp_path: Path) -> dict[str, Any]:
    """Build the estate in us-east-1 (inside mock_aws) and collect it to tmp_path/out/state.yaml."""
    ec2 = boto3.client("ec2", region_name="us-east-1")
    ids = build_estate(ec2)
    policy = load_policy(write_policy(tmp_path, firewall={"instance_id": ids["i_fw"]}))
    out = tmp_path / "out" / "state.yaml"
    collect_to_file(policy, out)
    state = load_yaml_file(out, "state")
    return {"ec2": ec2, "ids": ids, "policy": policy, "out": out, "state": state,
            "vpc": find(state["vpcs"], ids["vpc"])}
