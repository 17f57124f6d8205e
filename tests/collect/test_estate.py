"""collect against a moto estate that holds every case of design.md, asserting on the written YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import netaddr
import pytest

from generator.collect.step import collect_to_file
from generator.validate import validate_document
from generator.yamlio import load_yaml_file
from tests.collect.estate import collect_estate, find


@pytest.fixture(scope="module")
def estate(mocked_module: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Read-only tests share one estate; a test that changes AWS builds its own (below)."""
    return collect_estate(tmp_path_factory.mktemp("estate"))


def test_output_matches_the_state_schema_and_the_fast_loader(estate: dict[str, Any]) -> None:
    validate_document(estate["state"], "state.schema.json", str(estate["out"]))
    assert estate["state"]["version"] == 2
    assert load_yaml_file(estate["out"], "state", fast=True) == estate["state"]


def test_vpc_blocks_subnets_and_keys_in_design_order(estate: dict[str, Any]) -> None:
    vpc, ids = estate["vpc"], estate["ids"]
    assert list(vpc) == ["id", "account", "region", "cidrs", "route_tables", "subnets",
                         "security_groups", "prefix_lists", "instances", "interfaces"]
    assert (vpc["account"], vpc["region"]) == ("123456789012", "us-east-1")
    v6 = netaddr.IPNetwork(ids["vpc_ipv6"])
    assert vpc["cidrs"] == ["10.0.0.0/16", "10.1.0.0/16", f"{v6.ip}/56"]  # secondary IPv4 + IPv6
    assert find(vpc["subnets"], ids["sn_protected"]) == {
        "id": ids["sn_protected"], "cidr": "10.0.1.0/24", "ipv6_cidr": f"{v6.ip}/64"}
    assert find(vpc["subnets"], ids["sn_second"])["cidr"] == "10.1.0.0/24"
    assert find(vpc["subnets"], ids["sn_plain"])["ipv6_cidr"] is None


def test_route_tables_explicit_associations_main_flag_and_targets(estate: dict[str, Any]) -> None:
    vpc, ids = estate["vpc"], estate["ids"]
    own = find(vpc["route_tables"], ids["rtb_protected"])
    main = find(vpc["route_tables"], ids["rtb_main"])
    assert own["main"] is False and main["main"] is True
    assert own["subnets"] == sorted([ids["sn_protected"], ids["sn_second"]])
    # the main-table-only subnet is listed nowhere: generate falls back to the main table
    assert main["subnets"] == []
    assert all(ids["sn_plain"] not in rt["subnets"] for rt in vpc["route_tables"])
    routes = {r["destination"]: r["target"] for r in own["routes"]}
    assert routes["0.0.0.0/0"] == ids["i_fw"]          # to an instance (not its ENI)
    assert routes["::/0"] == ids["eni_fw1"]            # to an ENI, IPv6 destination
    assert routes[ids["pl"]] == ids["vpce"]            # prefix-list destination, GWLB endpoint
    assert routes["192.0.2.0/24"] == ids["vpce"]
    assert routes["10.0.0.0/16"] == "local"
    assert {r["destination"]: r["target"] for r in main["routes"]}["0.0.0.0/0"] == ids["igw"]


def _ingress(vpc: dict[str, Any], sg: str, protocol: str, from_port: Any = None) -> list[dict[str, Any]]:
    group = find(vpc["security_groups"], sg)
    return [e for e in group["ingress"] if e["protocol"] == protocol and e["from_port"] == from_port]


def test_security_group_permissions(estate: dict[str, Any]) -> None:
    vpc, ids = estate["vpc"], estate["ids"]
    assert find(vpc["security_groups"], ids["sg_web"])["name"] == "web"
    https = _ingress(vpc, ids["sg_web"], "tcp", 443)
    # one permission, sources with two different descriptions -> two entries, nothing lost
    assert [e["description"] for e in https] == [None, "world"]
    undescribed, world = https
    assert undescribed["cidrs"] == ["10.0.0.0/8", "203.0.113.0/24"]
    assert undescribed["prefix_lists"] == [ids["pl"]]
    assert (world["cidrs"], world["ipv6_cidrs"]) == (["0.0.0.0/0"], ["::/0"])
    assert list(world) == ["protocol", "from_port", "to_port", "cidrs", "ipv6_cidrs", "prefix_lists",
                           "groups", "description"]
    assert _ingress(vpc, ids["sg_web"], "tcp", 8000)[0]["to_port"] == 8099  # given as protocol "6"
    assert _ingress(vpc, ids["sg_web"], "udp", 53)[0]["cidrs"] == ["0.0.0.0/0"]  # given as "17"
    [every] = _ingress(vpc, ids["sg_web"], "all")
    assert (every["to_port"], every["groups"], every["cidrs"]) == (None, [ids["sg_db"]], [])
    [ping] = _ingress(vpc, ids["sg_web"], "icmp", 8)
    assert ping["to_port"] == -1  # ICMP type 8, every code
    [icmp6] = _ingress(vpc, ids["sg_web"], "icmpv6", -1)
    assert icmp6["ipv6_cidrs"] == ["::/0"]
    [esp] = _ingress(vpc, ids["sg_web"], "50")
    assert (esp["from_port"], esp["cidrs"]) == (None, ["198.51.100.7/32"])


def test_prefix_lists_are_the_referenced_ones_with_entries(estate: dict[str, Any]) -> None:
    vpc, ids = estate["vpc"], estate["ids"]
    office = {"id": ids["pl"], "name": "office", "cidrs": ["192.0.2.0/25", "198.51.100.0/24"]}
    assert vpc["prefix_lists"] == [office]  # the unused list is not read


def test_instances_interfaces_and_states(estate: dict[str, Any]) -> None:
    vpc, ids = estate["vpc"], estate["ids"]
    web = find(vpc["instances"], ids["i_web"])
    assert web == {"id": ids["i_web"], "name": "web-1", "state": "running"}
    assert [i["id"] for i in vpc["interfaces"] if i["instance"] == ids["i_web"]] == sorted(
        [ids["eni_web0"], ids["eni_web1"]])
    eni0 = find(vpc["interfaces"], ids["eni_web0"])
    assert list(eni0) == ["id", "subnet", "instance", "status", "type", "requester_managed", "requester_id",
                          "description", "private_ips", "ipv6_addresses", "ipv4_prefixes", "ipv6_prefixes",
                          "public_ip", "security_groups"]
    assert (eni0["subnet"], eni0["status"]) == (ids["sn_protected"], "in-use")
    assert eni0["public_ip"] == ids["public_ip"]
    [v6] = eni0["ipv6_addresses"]
    assert netaddr.IPAddress(v6) in netaddr.IPNetwork(ids["vpc_ipv6"])
    assert v6 == str(netaddr.IPAddress(v6))  # one canonical spelling
    assert eni0["security_groups"] == [ids["sg_web"]]
    eni1 = find(vpc["interfaces"], ids["eni_web1"])
    assert eni1["private_ips"] == ["10.1.0.9", "10.1.0.20"]  # numeric order, not text order
    assert ids["sg_db"] in eni1["security_groups"] and eni1["public_ip"] is None
    # the firewall's interfaces are reported too
    fw_enis = {i["id"] for i in vpc["interfaces"] if i["instance"] == ids["i_fw"]}
    assert fw_enis == {ids["eni_fw0"], ids["eni_fw1"]}
    assert find(vpc["instances"], ids["i_stopped"])["state"] == "stopped"
    assert find(vpc["instances"], ids["i_terminated"])["state"] == "terminated"
    assert find(vpc["instances"], ids["i_stopped"])["name"] is None


def _assert_sorted(state: dict[str, Any]) -> None:
    assert [v["id"] for v in state["vpcs"]] == sorted(v["id"] for v in state["vpcs"])
    for vpc in state["vpcs"]:
        for key in ("route_tables", "subnets", "security_groups", "prefix_lists", "instances", "interfaces"):
            assert [o["id"] for o in vpc[key]] == sorted(o["id"] for o in vpc[key]), key


def test_sorted_and_byte_identical_on_a_second_collect(estate: dict[str, Any], tmp_path: Path) -> None:
    _assert_sorted(estate["state"])
    again = tmp_path / "again.yaml"
    collect_to_file(estate["policy"], again)
    assert again.read_bytes() == estate["out"].read_bytes()
