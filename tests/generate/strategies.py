"""Hypothesis strategies: small but varied estates in state.yaml form (valid by construction)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

FW = "i-0f1e2d3c4b5a69780"
FW_ENI = "eni-0f1e2d3c4b5a69781"
VPCE = "vpce-0a1b2c3d4e5f60718"

V4_SOURCES = [
    "0.0.0.0/0",
    "203.0.113.0/24",
    "198.51.100.7/32",
    "10.10.0.0/16",
    "10.10.5.0/24",
    "10.0.0.0/8",
    "192.0.2.0/25",
    "192.0.2.128/25",
    "100.64.0.0/10",
]
V6_SOURCES = [
    "::/0",
    "2001:db8::/32",
    "2001:db8:ffff::/48",
    "2600:1f18:1200::/40",
    "2600:1f18:1234:5600::/64",
]
TARGETS = [FW, FW_ENI, VPCE, "nat-0c3c3c3c3c3c3c3c3", "igw-0a7a7a7a7a7a7a7a7", None]

_perm = st.one_of(
    st.tuples(st.sampled_from(["tcp", "udp", "6", "17"]), st.integers(0, 65535), st.integers(0, 200)).map(
        lambda t: {"protocol": t[0], "from_port": t[1], "to_port": min(65535, t[1] + t[2])}
    ),
    st.tuples(st.sampled_from(["tcp", "udp"]), st.sampled_from([22, 443, 8080])).map(
        lambda t: {"protocol": t[0], "from_port": t[1], "to_port": t[1]}
    ),
    st.sampled_from(
        [
            {"protocol": "icmp", "from_port": 8, "to_port": -1},
            {"protocol": "icmp", "from_port": -1, "to_port": -1},
            {"protocol": "icmp", "from_port": 3, "to_port": 4},
            {"protocol": "icmpv6", "from_port": -1, "to_port": -1},
            {"protocol": "icmpv6", "from_port": 128, "to_port": 0},
            {"protocol": "all", "from_port": None, "to_port": None},
            {"protocol": "-1", "from_port": None, "to_port": None},
            {"protocol": "50", "from_port": None, "to_port": None},
        ]
    ),
)


@st.composite
def permissions(draw: Any, pl_ids: list[str]) -> dict[str, Any]:
    perm = dict(draw(_perm))
    perm["cidrs"] = draw(st.lists(st.sampled_from(V4_SOURCES), unique=True, max_size=3))
    perm["ipv6_cidrs"] = draw(st.lists(st.sampled_from(V6_SOURCES), unique=True, max_size=2))
    perm["prefix_lists"] = draw(st.lists(st.sampled_from(pl_ids), unique=True, max_size=1)) if pl_ids else []
    perm["groups"] = draw(st.lists(st.just("sg-0000000000000abcd"), max_size=1))
    perm["description"] = draw(st.one_of(st.none(), st.text(max_size=20)))
    return perm


@st.composite
def interfaces_of(draw: Any, eni_id: str, v: int, i: int, n: int, owner: str | None, subnets: list[str],
                  groups: list[str]) -> dict[str, Any]:
    """One interface: an instance's (`owner`), or no instance's of the state (a load balancer's, a
    task's, another account's instance's), in use or not, with addresses and delegated prefixes."""
    return {
        "id": eni_id,
        "subnet": draw(st.sampled_from([*subnets, None])),
        "instance": owner,
        # an instance's interface is in use whatever it says; a service's only when not available
        "status": draw(st.sampled_from(["in-use", "in-use", "available", "attaching", "detaching"])),
        "type": draw(st.sampled_from(["interface", "load_balancer", "lambda", "branch", None])),
        "requester_managed": owner is None and draw(st.booleans()),
        "requester_id": draw(st.sampled_from([None, "amazon-elb", "578734482556"])),
        "description": draw(st.one_of(st.none(), st.text(max_size=12), st.sampled_from(
            ["ELB app/web-alb/50dc6c495c0c9188", "arn:aws:ecs:us-east-1:111122223333:attachment/0f1e"]))),
        "private_ips": [f"10.10.{v * 10 + i}.{n * 10 + k + 1}" for k in range(draw(st.integers(0, 2)))],
        "ipv6_addresses": [f"2600:1f18:1234:56{v}{i}::{n:x}{k:x}" for k in range(draw(st.integers(0, 1)))],
        "ipv4_prefixes": [f"10.{100 + v * 10 + i}.{n}.0/28" for _ in range(draw(st.integers(0, 1)))],
        "ipv6_prefixes": [f"2600:1f18:1234:57{v}{i}:{n:x}::/80" for _ in range(draw(st.integers(0, 1)))],
        "public_ip": None,
        "security_groups": draw(st.lists(st.sampled_from(groups), unique=True, min_size=1, max_size=2)),
    }


@st.composite
def states(draw: Any) -> dict[str, Any]:
    vpcs = []
    n_vpcs = draw(st.integers(1, 2))
    counter = iter(range(1, 10**6))

    def nid(prefix: str) -> str:
        return f"{prefix}-{next(counter):017x}"

    for v in range(n_vpcs):
        subnets = [nid("subnet") for _ in range(draw(st.integers(1, 3)))]
        tables = []
        for t in range(draw(st.integers(1, 3))):
            routes = [
                {"destination": d, "target": draw(st.sampled_from(TARGETS)),
                 "state": draw(st.sampled_from(["active", "active", "blackhole", "filtered"]))}
                for d in draw(
                    st.lists(st.sampled_from(["0.0.0.0/0", "::/0", "10.10.0.0/16"]), unique=True, max_size=3)
                )
            ]
            assoc = draw(st.lists(st.sampled_from(subnets), unique=True, max_size=2)) if t else []
            tables.append(
                {"id": nid("rtb"), "main": t == 0 and draw(st.booleans()), "subnets": assoc, "routes": routes}
            )
        taken: set[str] = set()
        for table in tables:  # a subnet has at most one explicit association
            table["subnets"] = [s for s in table["subnets"] if s not in taken]
            taken |= set(table["subnets"])
        pls = [
            {
                "id": nid("pl"),
                "name": "partners",
                "cidrs": draw(st.lists(st.sampled_from(V4_SOURCES + V6_SOURCES), unique=True, max_size=3)),
            }
            for _ in range(draw(st.integers(0, 1)))
        ]
        sgs = [
            {
                "id": nid("sg"),
                "name": draw(st.one_of(st.none(), st.text(max_size=10))),
                "ingress": draw(st.lists(permissions([p["id"] for p in pls]), max_size=4)),
            }
            for _ in range(draw(st.integers(1, 3)))
        ]
        instances, interfaces = [], []
        group_ids = [g["id"] for g in sgs]
        for i in range(draw(st.integers(0, 4))):
            inst_id = nid("i")
            interfaces += [draw(interfaces_of(nid("eni"), v, i, n, inst_id, subnets, group_ids))
                           for n in range(draw(st.integers(1, 2)))]
            instances.append(
                {
                    "id": inst_id,
                    "name": draw(st.one_of(st.none(), st.text(max_size=10))),
                    "state": draw(st.sampled_from(["running", "pending", "stopped", "terminated", None])),
                }
            )
        for i in range(4, 4 + draw(st.integers(0, 3))):  # load balancers, tasks: no instance of the state
            owner = draw(st.sampled_from([None, None, "i-0000000000000beef"]))  # beef: another account's
            interfaces.append(draw(interfaces_of(nid("eni"), v, i, 0, owner, subnets, group_ids)))
        vpcs.append(
            {
                "id": nid("vpc"),
                "account": "111122223333",
                "region": "us-east-1",
                "cidrs": draw(
                    st.sampled_from(
                        [
                            ["10.10.0.0/16"],
                            ["10.10.0.0/16", "2600:1f18:1234:5600::/56"],
                            ["10.10.0.0/17", "10.10.128.0/17"],
                        ]
                    )
                ),
                "route_tables": tables,
                "subnets": [{"id": s, "cidr": None, "ipv6_cidr": None} for s in subnets],
                "security_groups": sgs,
                "prefix_lists": pls,
                "instances": instances,
                "interfaces": interfaces,
            }
        )
    vpcs[0]["instances"].append({"id": FW, "name": "fw", "state": "running"})
    vpcs[0]["interfaces"].append(
        {  # the firewall's own: a route target, never protected
            "id": FW_ENI,
            "subnet": vpcs[0]["subnets"][0]["id"],
            "instance": FW,
            "status": "in-use",
            "private_ips": ["10.10.250.1"],
            "security_groups": [vpcs[0]["security_groups"][0]["id"]],
        }
    )
    return {"version": 2, "vpcs": vpcs}
