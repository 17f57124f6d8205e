"""generator.location: the one walk from a <config> tree to the container and its rules.

What push writes (the xpaths) and what every reader finds (container / rules) must be the same
element, for a firewall's vsys and for both Panorama rulebases; a tree without the location reads
as absent (None, no rules), never as another location's rules."""

from __future__ import annotations

import pytest
from lxml import etree

from generator.location import Location, rule_entries

PLACES = [Location(), Location(vsys="vsys2"),
          Location(vsys=None, device_group="dg1", rulebase="pre"),
          Location(vsys=None, device_group="dg1", rulebase="post")]


@pytest.mark.parametrize("location", PLACES, ids=Location.describe)
def test_built_container_and_rules_are_where_the_xpaths_point(location: Location) -> None:
    root = etree.Element("config")
    container = location.make_container(root)
    rules = location.make_rules(container)
    etree.SubElement(rules, "entry", name="r1")
    tree = root.getroottree()
    assert tree.xpath(location.base_xpath) == [container]
    assert tree.xpath(location.rules_xpath) == [rules]
    assert location.container(root) is container and location.rules(container) is rules
    assert [e.get("name") for e in location.rule_entries(container)] == ["r1"]


@pytest.mark.parametrize("location", PLACES, ids=Location.describe)
def test_another_locations_tree_reads_as_absent(location: Location) -> None:
    other = next(p for p in PLACES if p.path_elements() != location.path_elements())
    root = etree.Element("config")
    other.make_rules(other.make_container(root))
    assert location.container(root) is None
    assert location.rule_entries(location.container(root)) == []


def test_a_panorama_pre_location_does_not_read_the_post_rules() -> None:
    pre = Location(vsys=None, device_group="dg1", rulebase="pre")
    root = etree.Element("config")
    container = pre.make_container(root)
    etree.SubElement(Location(vsys=None, device_group="dg1", rulebase="post").make_rules(container),
                     "entry", name="post-rule")
    assert pre.rules(container) is None and pre.rule_entries(container) == []
    assert [e.get("name") for e in rule_entries(container, "post-rulebase")] == ["post-rule"]
