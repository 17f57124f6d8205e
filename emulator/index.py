"""Name lookups among siblings in O(1): `rules/entry[@name='x']` on a 10,000-rule rulebase.

lxml's XPath scans all siblings for a name predicate, which made a batch of n rule writes
cost O(n^2). `ChildIndex` maps (parent, tag, name) -> child, built lazily per parent and
kept current by config_ops, which routes every insertion, removal and rename through it.
A hit is re-checked (still a child of that parent, still that name), so a stale entry can
never return a wrong node; after an undo the owner clears the whole index.

It also remembers which node a simple xpath (named steps only) resolved to; such a hit is
re-checked by walking up from the node and comparing every step, so it too can never
answer for a node that moved, was renamed or was deleted.
"""

from __future__ import annotations

from lxml import etree

MAX_PATHS = 100_000


class ChildIndex:
    """(parent, tag, name) -> child element, for the named children of large containers."""

    def __init__(self) -> None:
        # id(parent) -> (parent, {(tag, name): child}); holding the parent keeps its id stable
        self._maps: dict[int, tuple[etree._Element, dict[tuple[str, str], etree._Element]]] = {}
        self._paths: dict[str, etree._Element] = {}  # simple xpath -> the node it resolved to

    def clear(self) -> None:
        self._maps.clear()
        self._paths.clear()

    def path_get(
        self, xpath: str, root: etree._Element, steps: tuple[tuple[str, str | None], ...]
    ) -> etree._Element | None:
        """The node a simple xpath resolved to before, if it still sits at exactly that path."""
        node = self._paths.get(xpath)
        if node is None:
            return None
        current: etree._Element | None = node
        for tag, name in reversed(steps):
            if current is None or current.tag != tag or (name is not None and current.get("name") != name):
                del self._paths[xpath]
                return None
            current = current.getparent()
        if current is not root:
            del self._paths[xpath]
            return None
        return node

    def path_put(self, xpath: str, node: etree._Element) -> None:
        if len(self._paths) >= MAX_PATHS:  # bounded: stale entries would keep deleted nodes alive
            self._paths.clear()
        self._paths[xpath] = node

    def _map(self, parent: etree._Element) -> dict[tuple[str, str], etree._Element]:
        held = self._maps.get(id(parent))
        if held is not None and held[0] is parent:
            return held[1]
        mapping: dict[tuple[str, str], etree._Element] = {}
        for child in parent:
            name = child.get("name") if isinstance(child.tag, str) else None
            if name is not None:
                mapping.setdefault((child.tag, name), child)
        self._maps[id(parent)] = (parent, mapping)
        return mapping

    def get(self, parent: etree._Element, tag: str, name: str) -> etree._Element | None:
        mapping = self._map(parent)
        child = mapping.get((tag, name))
        if child is None:
            return None
        if child.getparent() is not parent or child.get("name") != name:
            del mapping[(tag, name)]
            return None
        return child

    # -- maintenance: called by config_ops for every mutation ------------------------------
    def added(self, parent: etree._Element, child: etree._Element) -> None:
        held = self._maps.get(id(parent))
        name = child.get("name")
        if held is not None and held[0] is parent and name is not None:
            held[1][(child.tag, name)] = child

    def removed(self, parent: etree._Element, child: etree._Element) -> None:
        held = self._maps.get(id(parent))
        name = child.get("name")
        if (
            held is not None
            and held[0] is parent
            and name is not None
            and held[1].get((child.tag, name)) is child
        ):
            del held[1][(child.tag, name)]

    def renamed(self, parent: etree._Element, child: etree._Element, old: str | None) -> None:
        held = self._maps.get(id(parent))
        if held is None or held[0] is not parent:
            return
        if old is not None and held[1].get((child.tag, old)) is child:
            del held[1][(child.tag, old)]
        self.added(parent, child)
