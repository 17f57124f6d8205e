"""Read out/fragment.xml: the managed objects, per kind, and the managed rules in order.

The fragment is rooted at `<config>` along the real path of the location, so that an
operator can also `load config partial` it by hand. Push trusts it only after checking
that it is for the location policy.yaml names (a fragment built for vsys2 must never land
in vsys1), that it holds only the kinds awspan manages, and that every object carries the
ownership tag: an untagged object pushed once would be unmanaged, and awspan could never
delete it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from generator.errors import AwspanError
from generator.inputs import read_input
from generator.kinds import OBJECT_KINDS
from generator.location import Location
from generator.panos.config.canonical import tagged_with
from generator.panos.config.view import ConfigView, read_view
from generator.vocab import OBJECT_NAME, NameRule, name_rule
from generator.xmlsafe import parse_file_bytes, safe_parser

_PARSER = safe_parser(huge_tree=True, remove_blank_text=True)  # comments kept: they are refused below


@dataclass
class FragmentView(ConfigView):
    """What push makes the firewall's managed objects equal to: the one view (view.py) of the
    fragment file, read as the device's config is, after the checks below."""

    source: str = "out/fragment.xml"


def parse_fragment(data: bytes, location: Location, tag: str, where: str) -> FragmentView:
    """Parse and check a fragment; every error names the file and the xpath of the problem."""
    root = parse_file_bytes(data, _PARSER, where)
    if root.tag != "config":
        raise AwspanError(f"the root element is <{root.tag}>, expected <config>", where=where)
    for node in root.iter(etree.Comment, etree.ProcessingInstruction):
        raise AwspanError(f"line {node.sourceline}: XML comments are not allowed (PAN-OS rejects them)",
                          where=where)

    node = root
    path = "/config"
    for tag_name, name in location.path_elements():
        children = [c for c in node if isinstance(c.tag, str)]
        match = [c for c in children if c.tag == tag_name and (name is None or c.get("name") == name)]
        if len(children) != 1 or len(match) != 1:
            found = ", ".join(f"<{c.tag}{' name=' + repr(c.get('name')) if c.get('name') else ''}>"
                              for c in children) or "nothing"
            want = f"<{tag_name}{' name=' + repr(name) if name else ''}>"
            raise AwspanError(
                f"{path}: expected only {want} (the fragment must be for {location.describe()}, "
                f"as policy.yaml firewall.location says), found {found}", where=where)
        node = match[0]
        path += f"/{tag_name}" + (f"[@name='{name}']" if name else "")
    container = node

    rulebase_path = location.rulebase_elements()
    seen: set[str] = set()
    for child in container:
        if child.tag in seen:  # read_view reads the first one: a second would be dropped unseen
            raise AwspanError(f"{path}/{child.tag}: appears twice (one <{child.tag}> holds all its entries)",
                              where=where)
        seen.add(child.tag)
        if child.tag in OBJECT_KINDS:
            _check_entries(child, f"{path}/{child.tag}", tag, where, name_rule(child.tag),
                           need_tag=child.tag != "tag")
        elif child.tag == rulebase_path[0]:
            rules = _descend(child, rulebase_path[1:], f"{path}/{child.tag}", where)
            if rules is not None:
                _check_entries(rules, location.rules_xpath, tag, where, OBJECT_NAME, need_tag=True)
        else:
            raise AwspanError(f"{path}/{child.tag}: awspan manages only {', '.join(OBJECT_KINDS)} "
                              f"and {'/'.join(rulebase_path)}; this element does not belong in a fragment",
                              where=where)
    view = read_view(container, location)  # checked: now read exactly as the device's config is
    return FragmentView(location=location, objects=view.objects, rules=view.rules, source=where)


def _descend(node: etree._Element, steps: list[str], path: str, where: str) -> etree._Element | None:
    for step in steps:
        children = [c for c in node if isinstance(c.tag, str)]
        if any(c.tag != step for c in children):
            odd = next(c for c in children if c.tag != step)
            raise AwspanError(f"{path}/{odd.tag}: only {step} is expected here", where=where)
        if not children:
            return None
        node = children[0]
        path += f"/{step}"
    return node


def _check_entries(container: etree._Element, path: str, tag: str, where: str, rule: NameRule, *,
                   need_tag: bool) -> None:
    """Every child an owned, well-named <entry name=...>, each name once.

    The first bad entry in document order is the one reported (its first problem, in the order
    below). The ownership tag is looked up for the whole container in one XPath; the entries
    it leaves in doubt (usually none) get the per-entry check.
    """
    doubtful = _maybe_untagged(container, tag) if need_tag else None
    seen: set[str] = set()
    max_length, accepts = rule.max_length, rule.accepts
    for entry in container:
        if not isinstance(entry.tag, str):
            continue
        name = entry.get("name")
        if entry.tag != "entry" or not name:
            raise AwspanError(f"{path}: line {entry.sourceline}: expected <entry name=...>, "
                              f"found <{entry.tag}>", where=where)
        if len(name) > max_length or not accepts(name) or name in seen or (
                need_tag and (doubtful is None or entry in doubtful) and not tagged_with(entry, tag)):
            _entry_problem(entry, name, path, tag, where, rule, seen, need_tag=need_tag)
        seen.add(name)


def _entry_problem(entry: etree._Element, name: str, path: str, tag: str, where: str, rule: NameRule,
                   seen: set[str], *, need_tag: bool) -> None:
    """Raise the first problem of an entry that failed one of _check_entries's checks."""
    here = f"{path}/entry[@name='{name}']"
    if len(name) > rule.max_length:
        raise AwspanError(f"{here}: the name is {len(name)} characters, PAN-OS allows {rule.max_length}",
                          where=where)
    if not rule.accepts(name):
        raise AwspanError(f"{here}: PAN-OS names hold only {rule.allowed}", where=where)
    if name in seen:
        raise AwspanError(f"{here}: the name appears twice", where=where)
    if need_tag and not tagged_with(entry, tag):
        raise AwspanError(f"{here}: does not carry the ownership tag {tag!r}; pushed, it would be an "
                          "object awspan could never update or delete", where=where)


_NOT_SURELY_TAGGED = etree.XPath("entry[not(tag/member/text()[. = $t])]")


def _maybe_untagged(container: etree._Element, tag: str) -> set[etree._Element] | None:
    """The entries that may lack the ownership tag (None: check every entry).

    An entry with a `tag/member` text exactly equal to the tag carries it (tagged_with strips
    the text, and a stripped tag equals itself); the rest, usually none, are checked one by one.
    """
    if tag != tag.strip():
        return None
    return set(_NOT_SURELY_TAGGED(container, t=tag))


def load_fragment(path: str | Path, location: Location, tag: str) -> FragmentView:
    return read_fragment(path, location, tag)[0]


def read_fragment(path: str | Path, location: Location, tag: str) -> tuple[FragmentView, bytes]:
    """The fragment and the bytes it was parsed from (a saved plan binds their digest: one read,
    so the digest is of what push applies)."""
    p = Path(path)
    data = read_input(p, "fragment", missing="fragment not found (run `awspan generate` first)")
    return parse_fragment(data, location, tag, str(p)), data
