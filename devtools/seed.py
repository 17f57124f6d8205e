"""Seed an AWS-compatible endpoint (a moto server) with a small example estate.

Why an estate built through boto3 rather than a canned state.yaml: the demo and the event
tests must exercise `awspan collect` against real EC2 API answers, and then change AWS
the way a user would (stop an instance, revoke a rule) so the next loop has something to
show. The estate is small but has every case the firewall engineer cares about:

- VPC `prod` (10.0.0.0/16): the PAN-OS gateway instance `pan-fw-1` in the `fw-untrust`
  subnet; subnets `web` and `app` route 0.0.0.0/0 to the firewall instance (protected);
  subnet `mgmt` routes straight to the internet gateway (not protected).
- VPC `dev` (10.1.0.0/16): subnet `dev-web` routes 0.0.0.0/0 to a Gateway Load Balancer
  endpoint in front of the firewall (a `firewall.route_targets` entry); subnet `dev-db`
  keeps the main table, which has no default route (not protected).
- Instances: web-1, web-2 (group web), app-1 (app), batch-1 (batch, *stopped*), in prod;
  bastion-1 in prod/mgmt; dev-web-1 and dev-db-1 in dev.
- Groups allow from the internet, from partner ranges, from inside the VPC (never a
  firewall rule) and from other groups (never a firewall rule).

    python -m devtools.seed --endpoint-url http://127.0.0.1:PORT
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

import boto3

REGION = "us-east-1"
FALLBACK_IMAGE = "ami-0abcdef1234567890"
"""moto's image list can be empty (after a reset); it accepts any image id then."""
GWLB_SERVICE = "com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718"


@dataclass
class Estate:
    """The ids moto assigned, by the names the seed gave (so tests and the demo can act on them)."""

    region: str
    firewall_instance_id: str
    route_targets: list[str]
    vpcs: dict[str, str] = field(default_factory=dict)
    subnets: dict[str, str] = field(default_factory=dict)
    route_tables: dict[str, str] = field(default_factory=dict)
    security_groups: dict[str, str] = field(default_factory=dict)
    instances: dict[str, str] = field(default_factory=dict)
    private_ips: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _tag(name: str) -> list[dict[str, Any]]:
    return [{"Key": "Name", "Value": name}]


def _tags(resource_type: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": _tag(name)}]


def _cidr_perm(proto: str, low: int, high: int, cidrs: list[tuple[str, str]]) -> dict[str, Any]:
    return {"IpProtocol": proto, "FromPort": low, "ToPort": high,
            "IpRanges": [{"CidrIp": c, "Description": d} for c, d in cidrs]}


# group name -> (vpc, description, ingress permissions); "sg:NAME" marks a group reference
GROUPS: dict[str, tuple[str, str, list[Any]]] = {
    "fw-untrust": ("prod", "PAN-OS untrust interface", [
        _cidr_perm("-1", -1, -1, [("0.0.0.0/0", "the firewall filters")]),
    ]),
    "web": ("prod", "public web servers", [
        _cidr_perm("tcp", 443, 443, [("0.0.0.0/0", "HTTPS from anywhere")]),
        _cidr_perm("tcp", 80, 80, [("0.0.0.0/0", "HTTP redirect")]),
        _cidr_perm("tcp", 22, 22, [("10.0.0.0/16", "ssh from inside the VPC")]),
    ]),
    "app": ("prod", "application tier", [
        _cidr_perm("tcp", 8443, 8443, [("203.0.113.0/24", "partner API")]),
        _cidr_perm("icmp", 8, -1, [("198.51.100.0/24", "monitoring pings")]),
        "sg:web:tcp:8080",
    ]),
    "batch": ("prod", "batch workers", [
        _cidr_perm("tcp", 9000, 9010, [("192.0.2.0/24", "job submitters")]),
    ]),
    "bastion": ("prod", "jump host", [
        _cidr_perm("tcp", 22, 22, [("192.0.2.0/24", "office")]),
    ]),
    "dev-web": ("dev", "dev web", [
        _cidr_perm("tcp", 8080, 8080, [("0.0.0.0/0", "dev site")]),
    ]),
    "dev-db": ("dev", "dev database", [
        _cidr_perm("tcp", 5432, 5432, [("0.0.0.0/0", "too open, but not routed via the firewall")]),
    ]),
}

# instance name -> (subnet, groups, private ip, running?)
INSTANCES: dict[str, tuple[str, list[str], str, bool]] = {
    "pan-fw-1": ("fw-untrust", ["fw-untrust"], "10.0.0.10", True),
    "web-1": ("web", ["web"], "10.0.1.11", True),
    "web-2": ("web", ["web"], "10.0.1.12", True),
    "app-1": ("app", ["app"], "10.0.2.21", True),
    "batch-1": ("app", ["batch"], "10.0.2.31", False),
    "bastion-1": ("mgmt", ["bastion"], "10.0.3.5", True),
    "dev-web-1": ("dev-web", ["dev-web"], "10.1.1.10", True),
    "dev-db-1": ("dev-db", ["dev-db"], "10.1.2.10", True),
}

SUBNETS = {  # name -> (vpc, cidr)
    "fw-untrust": ("prod", "10.0.0.0/24"),
    "web": ("prod", "10.0.1.0/24"),
    "app": ("prod", "10.0.2.0/24"),
    "mgmt": ("prod", "10.0.3.0/24"),
    "dev-web": ("dev", "10.1.1.0/24"),
    "dev-db": ("dev", "10.1.2.0/24"),
}


def seed_estate(endpoint_url: str | None, region: str = REGION) -> Estate:
    """Create the example estate and return its ids. Run it once on an empty endpoint."""
    ec2 = boto3.client("ec2", endpoint_url=endpoint_url, region_name=region)
    vpcs = {name: ec2.create_vpc(CidrBlock=cidr, TagSpecifications=_tags("vpc", name))["Vpc"]["VpcId"]
            for name, cidr in (("prod", "10.0.0.0/16"), ("dev", "10.1.0.0/16"))}
    subnets = {
        name: ec2.create_subnet(VpcId=vpcs[vpc], CidrBlock=cidr, AvailabilityZone=f"{region}a",
                                TagSpecifications=_tags("subnet", name))["Subnet"]["SubnetId"]
        for name, (vpc, cidr) in SUBNETS.items()
    }
    groups: dict[str, str] = {}
    for name, (vpc, description, _perms) in GROUPS.items():
        groups[name] = ec2.create_security_group(
            GroupName=name, Description=description, VpcId=vpcs[vpc],
            TagSpecifications=_tags("security-group", name))["GroupId"]
    for name, (_vpc, _description, perms) in GROUPS.items():
        ip_permissions = []
        for perm in perms:
            if isinstance(perm, str):  # "sg:OTHER:proto:port": a group reference
                _, other, proto, port = perm.split(":")
                ip_permissions.append({"IpProtocol": proto, "FromPort": int(port), "ToPort": int(port),
                                       "UserIdGroupPairs": [{"GroupId": groups[other],
                                                             "Description": f"from {other}"}]})
            else:
                ip_permissions.append(perm)
        ec2.authorize_security_group_ingress(GroupId=groups[name], IpPermissions=ip_permissions)

    images = ec2.describe_images(Owners=["amazon"]).get("Images") or [{"ImageId": FALLBACK_IMAGE}]
    image = images[0]["ImageId"]
    instances: dict[str, str] = {}
    for name, (subnet, sgs, ip, _running) in INSTANCES.items():
        reservation = ec2.run_instances(
            ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
            SubnetId=subnets[subnet], PrivateIpAddress=ip, SecurityGroupIds=[groups[g] for g in sgs],
            TagSpecifications=_tags("instance", name))
        instances[name] = reservation["Instances"][0]["InstanceId"]
    stopped = [instances[n] for n, (*_, running) in INSTANCES.items() if not running]
    if stopped:
        ec2.stop_instances(InstanceIds=stopped)

    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpcs["prod"])
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpcs["dev"], ServiceName=GWLB_SERVICE, VpcEndpointType="GatewayLoadBalancer",
        SubnetIds=[subnets["dev-web"]])["VpcEndpoint"]["VpcEndpointId"]

    def table(name: str, vpc: str, target: dict[str, str] | None, members: list[str]) -> str:
        rtb = ec2.create_route_table(VpcId=vpcs[vpc], TagSpecifications=_tags("route-table", name))
        rtb_id = rtb["RouteTable"]["RouteTableId"]
        if target:
            ec2.create_route(RouteTableId=rtb_id, DestinationCidrBlock="0.0.0.0/0", **target)
        for subnet in members:
            ec2.associate_route_table(RouteTableId=rtb_id, SubnetId=subnets[subnet])
        return rtb_id

    route_tables = {
        "public": table("public", "prod", {"GatewayId": igw}, ["fw-untrust", "mgmt"]),
        "via-firewall": table("via-firewall", "prod", {"InstanceId": instances["pan-fw-1"]}, ["web", "app"]),
        "dev-via-gwlb": table("dev-via-gwlb", "dev", {"VpcEndpointId": endpoint}, ["dev-web"]),
    }
    return Estate(
        region=region,
        firewall_instance_id=instances["pan-fw-1"],
        route_targets=[endpoint],
        vpcs=vpcs,
        subnets=subnets,
        route_tables=route_tables,
        security_groups=groups,
        instances=instances,
        private_ips={name: ip for name, (_s, _g, ip, _r) in INSTANCES.items()},
    )


def policy_for(estate: Estate, *, url: str | None = None, admin: str = "automation",
               events: dict[str, Any] | None = None) -> dict[str, Any]:
    """A policy.yaml document for the estate (the ids moto assigned) and the emulator's default config."""
    firewall: dict[str, Any] = {
        "instance_id": estate.firewall_instance_id,
        "route_targets": sorted(estate.route_targets),
        "location": {"vsys": "vsys1"},
        "admin": admin,
    }
    if url:
        firewall["url"] = url
    doc: dict[str, Any] = {
        "firewall": firewall,
        "rules": {
            "bottom_rule": "clean-up",
            "from_zone": "untrust",
            "to_zone": "trust",
            "profile_group": "strict",
            "tag": "awspan",
            "layout": "group",
        },
        "aws": {"regions": [estate.region]},
        "safety": {"max_delete_percent": 50},
    }
    if events:
        doc["events"] = events
    return doc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Seed a moto server with the example estate; print its ids.")
    parser.add_argument("--endpoint-url", required=True, help="the moto server, e.g. http://127.0.0.1:5000")
    parser.add_argument("--region", default=REGION)
    args = parser.parse_args(argv)
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        os.environ.setdefault(key, value)
    print(json.dumps(seed_estate(args.endpoint_url, args.region).as_dict(), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
