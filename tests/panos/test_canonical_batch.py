"""Canonical compare (what counts as a change) and the order of operations in the one batch
(every reference must resolve at every step, as PAN-OS checks each operation in turn)."""

from __future__ import annotations

from lxml import etree

from generator.location import Location
from generator.panos.config.canonical import equal
from generator.panos.config.fragment import parse_fragment
from generator.panos.config.view import parse_container
from generator.panos.plan.changes import build_plan
from generator.panos.plan.diff import predict, restore_diff
from generator.panos.push.batch import build_batch
from tests.panos.helpers import address, fragment, group, rule

LOC = Location()


def x(text: str) -> etree._Element:
    return etree.fromstring(text, etree.XMLParser(remove_blank_text=True))


def test_canonical_ignores_stamps_whitespace_and_member_order_but_not_values():
    a = x('<entry name="r"><source><member>b</member><member>a</member></source>'
          "<action>allow</action></entry>")
    b = x('<entry name="r" uuid="1" admin="x" dirtyId="3" time="t">\n  <action>allow</action>\n'
          '  <source><member>a</member>\n<member>b</member></source></entry>')
    assert equal(a, b)
    assert not equal(a, x('<entry name="r"><source><member>a</member></source>'
                          "<action>allow</action></entry>"))
    assert not equal(a, x('<entry name="r"><source><member>a</member><member>b</member></source>'
                          '<action>deny</action></entry>'))
    assert not equal(a, x('<entry name="q"><source><member>a</member><member>b</member></source>'
                          '<action>allow</action></entry>'))


def test_canonical_keeps_rule_order():
    one = x('<rules><entry name="a"/><entry name="b"/></rules>')
    assert not equal(one, x('<rules><entry name="b"/><entry name="a"/></rules>'))
    assert equal(x('<address><entry name="a"/><entry name="b"/></address>'),
                 x('<address><entry name="b"/><entry name="a"/></address>'))


DEVICE = fragment(
    [rule("keep", destination=["web-1", "web-2"]), rule("gone", destination=["old-1"]),
     rule("operator", tag="ops", destination=["any"]), rule("clean-up", tag="ops")],
    addresses=[address("web-1", "10.0.0.1/32"), address("web-2", "10.0.0.2/32"),
               address("old-1", "10.0.0.3/32")],
    groups=[group("outer", ["inner"]), group("inner", ["web-2"])],
)
WANT = fragment(
    [rule("new", destination=["web-3", "outer2"]), rule("keep", destination=["web-1"])],
    addresses=[address("web-1", "10.0.0.1/32"), address("web-3", "10.0.0.4/32")],
    groups=[group("outer2", ["inner2"]), group("inner2", ["web-3"])],
)


def setup():
    dev_root = x(DEVICE).xpath(LOC.base_xpath)[0]
    device = parse_container(dev_root, LOC)
    frag = parse_fragment(WANT.encode(), LOC, "awspan", "want.xml")
    plan = build_plan(frag, device, tag="awspan", bottom_rule="clean-up", max_delete_percent=100,
                      admin="automation")
    return device, frag, plan


def test_batch_order_lets_every_reference_resolve():
    device, _frag, plan = setup()
    ops = [op.label for op in build_batch(plan.diff, device, LOC).ops]

    def at(label: str) -> int:
        return ops.index(label)

    assert at("delete rule 'gone'") < at("delete address 'old-1'")          # last user goes first
    assert at("change rule 'keep'") < at("delete address 'web-2'")          # web-2 still named by keep
    assert at("delete address-group 'outer'") < at("delete address-group 'inner'") \
        < at("delete address 'web-2'")
    assert at("create address 'web-3'") < at("create address-group 'inner2'") \
        < at("create address-group 'outer2'")
    assert at("create address-group 'outer2'") < at("create rule 'new'")
    assert ops[-1].startswith("move rule")
    assert plan.diff.final_order == ["operator", "new", "keep", "clean-up"]


def test_the_inverse_batch_restores_the_old_order_and_objects():
    device, _frag, plan = setup()
    after = predict(device, plan.diff)
    back = restore_diff(device, after, plan.diff.scope)
    assert back.final_order == device.rule_names  # the moves, applied as PAN-OS applies them
    assert set(back.deletes["address"]) == {"web-3"} and back.creates["address"] == {"web-2", "old-1"}
    ops = [op.label for op in build_batch(back, after, LOC).ops]
    assert ops.index("create address 'web-2'") < ops.index("create address-group 'inner'")
    assert ops.index("delete rule 'new'") < ops.index("delete address-group 'outer2'")
