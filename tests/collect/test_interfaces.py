"""Every interface behind the firewall, not only instances': collect + generate on a moto estate.

The estate (issue 27's "done when"): a workload subnet routed via the firewall holding an
instance, a load balancer's interface (443 from anywhere, 80 from 203.0.113.0/24) and a Fargate
task's interface (8080 from 198.51.100.0/24); an interface that is `available`; a service's
interface in a subnet that is not routed via the firewall; an EKS node whose interface carries
delegated prefixes.

What moto cannot do, and how the test stands in for AWS (in-process moto only):
- only Elastic Load Balancing can create a requester-managed interface, and moto's elbv2 creates
  none: the load balancer's interface is created with CreateNetworkInterface and its moto
  record is then given what EC2 reports for one (in-use, RequesterManaged, RequesterId
  amazon-elb);
- moto's ECS RunTask (awsvpc, FARGATE) does create the task's in-use interface with the task's
  groups, through the API; its description is set to the attachment ARN, as ECS writes it;
- moto ignores Ipv4Prefix/Ipv6Prefix in AssignPrivateIpAddresses/AssignIpv6Addresses, but
  returns Ipv4Prefixes/Ipv6Prefixes set on its record: collect reads them from the real
  DescribeNetworkInterfaces answer.
The fragment is then compared with what each group allows, written out by hand here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import netaddr
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ec2.models import ec2_backends

from generator.collect.step import collect_to_file
from generator.generate.model import build_fragment
from generator.generate.render import render_fragment
from generator.generate.state import load_state
from generator.policy import load_policy
from tests.collect.estate import AMI, find
from tests.generate.helpers import fragment_pairs
from tests.policies import write_policy

REGION = "us-east-1"


def _moto_eni(eni_id: str) -> Any:
    return ec2_backends[DEFAULT_ACCOUNT_ID][REGION].enis[eni_id]


def _group(ec2: Any, vpc: str, name: str, perms: list[tuple[int, str]]) -> str:
    sg = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}
        for port, cidr in perms])
    return sg


def build(ec2: Any, ecs: Any) -> dict[str, str]:
    ids: dict[str, str] = {}
    ids["vpc"] = vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # moto's ECS needs DNS names
    fw_sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    ids["workload"] = work = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    ids["plain"] = plain = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]

    ids["fw"] = fw = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=fw_sn)["Instances"][0][
        "InstanceId"]
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rt, SubnetId=work)
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", InstanceId=fw)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                              {"Name": "association.main", "Values": ["true"]}])
    ec2.create_route(RouteTableId=main["RouteTables"][0]["RouteTableId"], DestinationCidrBlock="0.0.0.0/0",
                     GatewayId=igw)

    sg_web = _group(ec2, vpc, "web", [(22, "198.51.100.7/32")])
    ids["sg_alb"] = sg_alb = _group(ec2, vpc, "web-alb", [(443, "0.0.0.0/0"), (80, "203.0.113.0/24")])
    sg_task = _group(ec2, vpc, "orders-task", [(8080, "198.51.100.0/24")])
    sg_pods = _group(ec2, vpc, "eks-pods", [(443, "192.0.2.0/24")])

    web = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=work, SecurityGroupIds=[sg_web],
                            PrivateIpAddress="10.0.1.10")["Instances"][0]
    ids["web"] = web["InstanceId"]

    def service_eni(subnet: str, ip: str, description: str) -> str:
        eni = ec2.create_network_interface(SubnetId=subnet, Groups=[sg_alb], PrivateIpAddress=ip,
                                           Description=description)["NetworkInterface"]["NetworkInterfaceId"]
        record = _moto_eni(eni)  # what EC2 reports for an interface Elastic Load Balancing made
        record.status, record.requester_managed, record.requester_id = "in-use", True, "amazon-elb"
        return eni

    ids["alb"] = service_eni(work, "10.0.1.50", "ELB app/web-alb/50dc6c495c0c9188")
    ids["alb_plain"] = service_eni(plain, "10.0.2.50", "ELB app/web-alb/50dc6c495c0c9188")
    spare = ec2.create_network_interface(SubnetId=work, Groups=[sg_alb], PrivateIpAddress="10.0.1.60")
    ids["available"] = spare["NetworkInterface"]["NetworkInterfaceId"]

    ecs.create_cluster(clusterName="prod")
    ecs.register_task_definition(
        family="orders", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": "orders", "cpu": 256, "memory": 512}])
    task = ecs.run_task(cluster="prod", taskDefinition="orders", launchType="FARGATE", count=1,
                        networkConfiguration={"awsvpcConfiguration": {"subnets": [work],
                                                                      "securityGroups": [sg_task]}})
    [attachment] = task["tasks"][0]["attachments"]
    details = {d["name"]: d["value"] for d in attachment["details"]}
    ids["task"], ids["task_ip"] = details["networkInterfaceId"], details["privateIPv4Address"]
    arn = f"arn:aws:ecs:{REGION}:{DEFAULT_ACCOUNT_ID}:attachment/{attachment['id']}"
    _moto_eni(ids["task"]).description = arn
    ids["attachment"] = attachment["id"]

    node = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=work, SecurityGroupIds=[sg_pods],
                             PrivateIpAddress="10.0.1.20")["Instances"][0]
    ids["node"], ids["node_eni"] = node["InstanceId"], node["NetworkInterfaces"][0]["NetworkInterfaceId"]
    _moto_eni(ids["node_eni"]).ipv4_prefixes = [{"Ipv4Prefix": "10.0.1.32/28"}]
    return ids


@pytest.fixture
def collected(mocked: None, tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    ids = build(boto3.client("ec2", region_name=REGION), boto3.client("ecs", region_name=REGION))
    policy = write_policy(tmp_path, aws={"regions": [REGION]}, firewall={"instance_id": ids["fw"]})
    state = tmp_path / "state.yaml"
    collect_to_file(load_policy(policy), state)
    return ids, policy, state


def test_each_interface_is_collected_with_its_owner_status_and_prefixes(collected: Any) -> None:
    ids, _, path = collected
    vpc = find(load_state(path)["vpcs"], ids["vpc"])
    alb = find(vpc["interfaces"], ids["alb"])
    assert {k: alb[k] for k in ("subnet", "instance", "status", "requester_managed", "requester_id",
                                "description", "private_ips", "security_groups")} == {
        "subnet": ids["workload"], "instance": None, "status": "in-use", "requester_managed": True,
        "requester_id": "amazon-elb", "description": "ELB app/web-alb/50dc6c495c0c9188",
        "private_ips": ["10.0.1.50"], "security_groups": [ids["sg_alb"]]}
    assert find(vpc["interfaces"], ids["available"])["status"] == "available"
    task = find(vpc["interfaces"], ids["task"])
    assert (task["status"], task["instance"]) == ("in-use", None)
    node = find(vpc["interfaces"], ids["node_eni"])
    assert (node["instance"], node["ipv4_prefixes"]) == (ids["node"], ["10.0.1.32/28"])
    assert node["ipv6_prefixes"] == []
    assert find(vpc["instances"], ids["web"]) == {"id": ids["web"], "name": None, "state": "running"}
    assert [e["id"] for e in vpc["interfaces"]] == sorted(e["id"] for e in vpc["interfaces"])


def test_the_fragment_allows_exactly_each_interfaces_groups(collected: Any) -> None:
    ids, policy_path, path = collected
    data, _ = render_fragment(build_fragment(load_state(path), load_policy(policy_path)))
    tcp = lambda port: ("tcp", port, port)  # noqa: E731
    net = netaddr.IPSet
    assert fragment_pairs(data) == {
        ("10.0.1.10", tcp(22)): net(["198.51.100.7/32"]),          # the instance
        ("10.0.1.50", tcp(443)): net(["0.0.0.0/0"]),               # the load balancer
        ("10.0.1.50", tcp(80)): net(["203.0.113.0/24"]),
        (ids["task_ip"], tcp(8080)): net(["198.51.100.0/24"]),     # the Fargate task
        ("10.0.1.32/28", tcp(443)): net(["192.0.2.0/24"]),         # the node's delegated prefix
        ("10.0.1.20", tcp(443)): net(["192.0.2.0/24"]),            # ... and its own address
    }  # nothing for the available interface (10.0.1.60) nor the one in the unrouted subnet (10.0.2.50)
    text = data.decode()
    assert f"{ids['alb']} (load balancer web-alb) in {ids['vpc']}" in text
    assert f"(ECS task attachment {ids['attachment']})" in text
    assert "<ip-netmask>10.0.1.32/28</ip-netmask>" in text
