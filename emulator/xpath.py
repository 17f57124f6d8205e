"""Resolving and creating the xpaths of PAN-OS config requests.

Reads use lxml's full XPath 1.0 (so `entry[@name='a' or @name='b']` works, as on PAN-OS);
writes that must create missing nodes accept only the simple form PAN-OS itself can
create: `/config/tag/entry[@name='x']/...`, one optional `@name` predicate per step.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

from emulator.index import ChildIndex
from emulator.responses import CODE_BAD_XPATH, CODE_NOT_UNIQUE, ApiError

_STEP = re.compile(r"""^([A-Za-z0-9_.:-]+)(?:\[@name=(?:'([^']*)'|"([^"]*)")\])?\Z""")


_PREDICATE = re.compile(r"\[[^\]]*\]")


def split_steps(xpath: str) -> list[str]:
    """Split an absolute xpath on '/' outside predicates and quotes."""
    if not any("/" in predicate for predicate in _PREDICATE.findall(xpath)):
        return xpath.split("/")  # the common case: no slash inside a predicate
    steps: list[str] = []
    depth = 0
    quote = ""
    current = ""
    for ch in xpath:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "/" and depth == 0:
            steps.append(current)
            current = ""
            continue
        current += ch
    steps.append(current)
    return steps


def parse_step(step: str) -> tuple[str, str | None]:
    """(tag, name) of a simple step, or ApiError code 6 when the step cannot be created."""
    match = _STEP.match(step)
    if not match:
        raise ApiError(CODE_BAD_XPATH, f"cannot create a node for xpath step {step!r}")
    return match.group(1), match.group(2) if match.group(2) is not None else match.group(3)


def check_absolute(xpath: str | None) -> str:
    if not xpath or not xpath.startswith("/config"):
        raise ApiError(CODE_BAD_XPATH, f"Bad Xpath: {xpath or '(missing)'}")
    return xpath


def select(root: etree._Element, xpath: str | None) -> list[etree._Element]:
    """Every element the xpath selects on the tree of `root` (code 6 on a malformed xpath)."""
    xpath = check_absolute(xpath)
    try:
        found = root.getroottree().xpath(xpath)
    except (etree.XPathEvalError, etree.XPathSyntaxError) as exc:
        raise ApiError(CODE_BAD_XPATH, f"Bad Xpath: {xpath} ({exc})") from None
    if not isinstance(found, list) or not all(isinstance(node, etree._Element) for node in found):
        raise ApiError(CODE_BAD_XPATH, f"Bad Xpath: {xpath} does not select elements")
    return found


def select_one(root: etree._Element, xpath: str | None) -> etree._Element | None:
    return at_most_one(select(root, xpath), xpath)


def at_most_one(found: list[etree._Element], xpath: str | None) -> etree._Element | None:
    """The one node an xpath selected, or None; `not unique` (code 8) when it selected several."""
    if len(found) > 1:
        raise ApiError(CODE_NOT_UNIQUE, f"Object not unique: {xpath} selects {len(found)} nodes")
    return found[0] if found else None


def ensure(root: etree._Element, xpath: str, created: list[etree._Element]) -> etree._Element:
    """The node at xpath, creating the missing tail of the path (appended to `created`).

    The longest existing prefix is found with lxml (fast on large rulebases); only the
    missing steps must be simple `tag[@name='x']` steps.
    """
    node = select_one(root, xpath)
    if node is not None:
        return node
    steps = split_steps(check_absolute(xpath))
    # steps[0] is '' (leading slash), steps[1] is 'config'.
    cut = len(steps) - 1
    parent = None
    while cut > 2:
        parent = select_one(root, "/".join(steps[:cut]))
        if parent is not None:
            break
        cut -= 1
    if parent is None:
        cut = 2
        parent = root
    for step in steps[cut:]:
        tag, name = parse_step(step)
        child = etree.SubElement(parent, tag)
        if name is not None:
            child.set("name", name)
        created.append(child)
        parent = child
    return parent


def last_step(xpath: str) -> tuple[str, str | None]:
    """The (tag, name) the xpath's last step names, if simple; (tag-ish, None) otherwise."""
    step = split_steps(xpath)[-1]
    match = _STEP.match(step)
    if match:
        return match.group(1), match.group(2) if match.group(2) is not None else match.group(3)
    return step.split("[", 1)[0], None


def node_path(node: etree._Element) -> str:
    """A readable xpath of a node, naming entries (used in messages and journal records)."""
    parts = []
    while node is not None:
        name = node.get("name")
        parts.append(f"{node.tag}[@name='{name}']" if name is not None else node.tag)
        node = node.getparent()
    return "/" + "/".join(reversed(parts))


@lru_cache(maxsize=65536)
def _simple_steps(xpath: str) -> tuple[tuple[str, str | None], ...] | None:
    """The (tag, name) steps of an xpath made only of `tag` / `tag[@name='x']` steps, else None."""
    steps = split_steps(xpath)
    if len(steps) < 2 or steps[0] != "" or steps[1] != "config":
        return None
    parsed = []
    for step in steps[2:]:
        match = _STEP.match(step)
        if match is None:
            return None
        parsed.append((match.group(1), match.group(2) if match.group(2) is not None else match.group(3)))
    return tuple(parsed)


def select_indexed(root: etree._Element, xpath: str | None, index: ChildIndex) -> list[etree._Element]:
    """`select`, answered from the index where it can be.

    A simple xpath (named steps only) that resolved before is answered from a path cache,
    after checking that the node still sits at exactly that path; a named last step
    (`.../entry[@name='x']`), which lxml would answer by scanning every sibling, is an index
    lookup under its (cached) parent. Anything else goes to lxml.
    """
    xpath = check_absolute(xpath)
    simple = _simple_steps(xpath)
    if simple is not None:
        hit = index.path_get(xpath, root, simple)
        if hit is not None:
            return [hit]
    steps = split_steps(xpath)
    match = _STEP.match(steps[-1])
    name = None
    if match is not None and len(steps) >= 4 and all(steps[1:]):
        name = match.group(2) if match.group(2) is not None else match.group(3)
    if name is not None:
        found = []
        for parent in select_indexed(root, "/".join(steps[:-1]), index):
            child = index.get(parent, match.group(1), name)
            if child is not None:
                found.append(child)
    else:
        found = select(root, xpath)
    if (
        simple is not None
        and len(found) == 1
        and all(n is not None or t not in ("entry", "member") for t, n in simple)
    ):
        index.path_put(xpath, found[0])  # unnamed `entry` steps may gain siblings: never cached
    return found
