"""The batch of a push (multi-config requests), and the batch that undoes it.

PAN-OS applies a multi-config atomically (all operations or none), validating each one
in turn as it would a single set/edit/delete. So the operations must come in an order in
which every reference resolves at every step (then any prefix of the batch is valid too,
which is what lets `requests` cut it into requests under the 5 MB limit, wire.py):

1. delete the rules that go: they may be the last users of objects deleted below;
2. set/edit objects, referenced before referencing: tags, addresses, services, then
   groups (nested groups members first), then rules (in fragment order);
3. delete the objects that go, referencing before referenced: groups (outer first), then
   services and addresses; an address still named by a rule is deleted only after that
   rule was edited in step 2;
4. move rules into place (order.py's few moves).

The inverse is the same builder run the other way: the config read before the push is
the desired state, the config after the batch is the current one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from lxml import etree

from generator.kinds import DELETE_ORDER, UPSERT_ORDER
from generator.location import Location
from generator.panos.config.canonical import IGNORED_ATTRIBUTES, strip_bookkeeping
from generator.panos.config.view import DeviceConfig
from generator.panos.plan.diff import Diff
from generator.panos.xmlapi.wire import REQUEST_BUDGET, encoded_size, form_size


@dataclass
class Op:
    action: str  # set | edit | delete | move
    xpath: str
    label: str
    element: etree._Element | None = None
    where: str | None = None
    dst: str | None = None


@dataclass
class Batch:
    ops: list[Op] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ops)

    def to_xml(self) -> str:
        """The whole batch as the `element` of ONE multi-config request (sizes permitting)."""
        return "<multi-config>" + "".join(self.op_texts()) + "</multi-config>"

    def op_texts(self) -> list[str]:
        """Each operation as it goes in a multi-config element, `id` its 1-based place in the batch.

        Built as text: appending the fragment's elements to a new tree would move them out
        of the fragment (lxml), and copying 10,000 rules first costs more than the request.
        """
        parts = []
        for i, op in enumerate(self.ops, 1):
            attrs = f' id="{i}" xpath={quoteattr(op.xpath)}'
            if op.where:
                attrs += f" where={quoteattr(op.where)}"
            if op.dst is not None:
                attrs += f" dst={quoteattr(op.dst)}"
            if op.element is None:
                parts.append(f"<{op.action}{attrs}/>")
            else:
                body = etree.tostring(op.element, encoding="unicode", with_tail=False)
                parts.append(f"<{op.action}{attrs}>{body}</{op.action}>")
        return parts

    def requests(self, budget: int = REQUEST_BUDGET) -> list[str]:
        """The batch cut, in order, into multi-config elements whose request weighs at most `budget`
        bytes on the wire (form-encoded). Ids stay those of the whole batch, so an error line
        names the operation wherever it went. One operation over the budget alone is an error."""
        empty = "<multi-config></multi-config>"
        frame = form_size({"type": "config", "action": "multi-config", "element": empty})
        out: list[str] = []
        current: list[str] = []
        size = frame
        for i, text in enumerate(self.op_texts()):
            cost = encoded_size(text)
            if frame + cost > budget:
                raise ValueError(f"{self.ops[i].label} alone is {frame + cost:,} bytes on the wire, over the "
                                 f"{budget:,} bytes awspan puts in one request")
            if current and size + cost > budget:
                out.append("<multi-config>" + "".join(current) + "</multi-config>")
                current, size = [], frame
            current.append(text)
            size += cost
        if current:
            out.append("<multi-config>" + "".join(current) + "</multi-config>")
        return out

    def label(self, op_id: str) -> str:
        try:
            return self.ops[int(op_id) - 1].label
        except (ValueError, IndexError):
            return f"operation {op_id}"


def _members_first(names: list[str], elements: dict[str, etree._Element]) -> list[str]:
    """Groups ordered so that a nested group comes before the groups that contain it."""
    inside = set(names)
    out: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str) -> None:
        if state.get(n) == 2:
            return
        if state.get(n) == 1:  # a cycle PAN-OS will refuse; keep a stable order and let it say so
            return
        state[n] = 1
        for m in elements[n].iter("member"):
            child = (m.text or "").strip()
            if child in inside and child != n:
                visit(child)
        state[n] = 2
        out.append(n)

    for n in names:
        visit(n)
    return out


_STAMPED = etree.XPath(
    "boolean(descendant-or-self::*[" + " or ".join(f"@{a}" for a in sorted(IGNORED_ATTRIBUTES)) + "])"
)


def _clean(el: etree._Element) -> etree._Element:
    """The element to send: without the attributes PAN-OS stamps (copied only when it has some)."""
    return strip_bookkeeping(el, keep_uuid=False) if _STAMPED(el) else el


def build_batch(d: Diff, current: DeviceConfig, location: Location) -> Batch:
    """Every delete, set/edit and move of `d`, in an order in which all references resolve."""
    b = Batch()
    for name in d.deletes.get("rules", []):
        b.ops.append(Op("delete", location.entry_xpath("rules", name), f"delete rule {name!r}"))
    for kind in UPSERT_ORDER:
        ups = d.upserts.get(kind, {})
        names = list(ups)
        if kind.endswith("-group"):
            names = _members_first(names, ups)
        label = "rule" if kind == "rules" else kind
        for name in names:
            el = _clean(ups[name])
            if name in d.creates.get(kind, set()):
                b.ops.append(Op("set", location.xpath(kind), f"create {label} {name!r}", el))
            else:
                b.ops.append(Op("edit", location.entry_xpath(kind, name), f"change {label} {name!r}", el))
    for kind in DELETE_ORDER:
        names = list(d.deletes.get(kind, []))
        if kind.endswith("-group"):
            names = list(reversed(_members_first(names, current.entries(kind))))
        for name in names:
            b.ops.append(Op("delete", location.entry_xpath(kind, name), f"delete {kind} {name!r}"))
    for m in d.moves:
        b.ops.append(Op("move", location.entry_xpath("rules", m.name), f"move rule {m.name!r} {m.describe()}",
                        where=m.where, dst=m.dst))
    return b
