"""generator.groups: every expander of address groups (the plan's traffic, the snapshot,
rulematch) reads a group the same way and stops nesting at the same depth.

The plan once stopped at 8 levels where rulematch went on to 32: a rule whose destination is a
group nested 10 deep showed no destination in the plan while its traffic counted; and the plan
read only '…'-quoted filter tags where the snapshot also read "…"."""

from __future__ import annotations

from lxml import etree

from generator.groups import GROUP_DEPTH, filter_tags, static_members
from generator.panos.plan.inventory import Inventory
from generator.panos.plan.traffic import Objects
from generator.rulematch.config import Tables
from generator.rulematch.resolve import Resolver

DEPTH = 10  # deeper than the plan's old limit (8), within the shared one


def _chain(depth: int) -> etree._Element:
    """A container: address `web` (10.0.0.5) inside g1, g1 inside g2, ... g<depth>."""
    vsys = etree.Element("entry", name="vsys1")
    addr = etree.SubElement(etree.SubElement(vsys, "address"), "entry", name="web")
    etree.SubElement(addr, "ip-netmask").text = "10.0.0.5/32"
    groups = etree.SubElement(vsys, "address-group")
    for level in range(1, depth + 1):
        static = etree.SubElement(etree.SubElement(groups, "entry", name=f"g{level}"), "static")
        etree.SubElement(static, "member").text = "web" if level == 1 else f"g{level - 1}"
    return vsys


def test_the_plan_and_rulematch_both_expand_a_group_nested_ten_deep() -> None:
    assert DEPTH < GROUP_DEPTH
    vsys = _chain(DEPTH)
    layer = {kind: {e.get("name"): e for e in vsys.iterfind(f"{kind}/entry")}
             for kind in ("address", "address-group")}
    plan = Objects(layer, inventory=Inventory()).resolve(f"g{DEPTH}")
    assert [a["ip"] for a in plan] == ["10.0.0.5"]
    tables = Tables()
    tables.add_scope(vsys)
    matched = Resolver(tables).addresses([f"g{DEPTH}"])
    assert matched.unknown == () and matched.under == matched.over and matched.under


def test_a_loop_ends_at_the_shared_depth_in_both() -> None:
    vsys = etree.Element("entry", name="vsys1")
    groups = etree.SubElement(vsys, "address-group")
    for name, member in (("a", "b"), ("b", "a")):
        etree.SubElement(etree.SubElement(etree.SubElement(groups, "entry", name=name), "static"),
                         "member").text = member
    layer = {"address-group": {e.get("name"): e for e in groups}}
    assert Objects(layer, inventory=Inventory()).resolve("a") == []
    tables = Tables()
    tables.add_scope(vsys)
    assert Resolver(tables).addresses(["a"]).unknown  # a loop: the rule cannot count


def test_filter_tags_read_both_quote_kinds_and_static_members_are_stripped() -> None:
    dynamic = etree.fromstring("""<entry name="d"><dynamic><filter>'awspan.sg-1' or "ops x"</filter>
                                  </dynamic></entry>""")
    static = etree.fromstring("<entry name='s'><static><member> web </member></static></entry>")
    assert filter_tags(dynamic) == ["awspan.sg-1", "ops x"] and static_members(dynamic) is None
    assert static_members(static) == ["web"] and filter_tags(static) is None
    plan = Objects({"address-group": {"d": dynamic}}, inventory=Inventory(),
                   registered={"10.0.0.7": frozenset({"ops x"})}).resolve("d")
    assert [a["ip"] for a in plan] == ["10.0.0.7"]
