"""Plan and batch building as tables, in the style of Netspoc-Approve's pan-os.t: each file in
tables/ gives the device's config and the desired fragment (the children of the vsys, as XML) and
the operations awspan must derive from them: the plan's lines and the multi-config batch's
operations, in order. No HTTP: generator.panos.plan.diff.build_plan and generator.panos.push.batch.build_batch
on parsed XML. On a mismatch the actual sections are written beside the table as *.actual.

Sections (a line `=NAME=` starts one): TITLE, DEVICE, FRAGMENT, PLAN, BATCH. In BATCH a path is
shown relative to the location (`address/entry[@name='x']`; `rules` is the security rulebase) and
an element on one line; BATCH is `refused` when the plan has a blocker (push sends nothing).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from generator.location import Location
from generator.panos.config.fragment import parse_fragment
from generator.panos.config.view import parse_container
from generator.panos.plan.changes import Plan, build_plan
from generator.panos.push.batch import Batch, Op, build_batch
from tests.panos.helpers import TAG

TABLES = Path(__file__).with_name("tables")
LOC = Location()
SECTIONS = ("TITLE", "DEVICE", "FRAGMENT", "PLAN", "BATCH")


def read_table(path: Path) -> dict[str, str]:
    """The sections of one table file: name -> text (stripped)."""
    parts = re.split(r"^=([A-Z]+)=[ \t]*$", path.read_text(), flags=re.M)
    sections = {name: text.strip() for name, text in zip(parts[1::2], parts[2::2], strict=True)}
    assert sorted(sections) == sorted(SECTIONS), f"{path.name}: sections {sorted(sections)}"
    return sections


def wrap(children: str) -> bytes:
    """A whole <config> document with `children` inside the location's container (vsys1)."""
    head = "".join(f"<{t}" + (f' name="{n}"' if n else "") + ">" for t, n in LOC.path_elements())
    tail = "".join(f"</{t}>" for t, _ in reversed(LOC.path_elements()))
    return f"<config>{head}{children}{tail}</config>".encode()


def one_line(el: etree._Element) -> str:
    return re.sub(r">\s+<", "><", etree.tostring(el, encoding="unicode", with_tail=False).strip())


def plan_lines(plan: Plan) -> list[str]:
    lines = []
    for c in plan.changes:
        line = f"{c.action} {c.kind} {c.name}"
        if c.detail:
            line += f": {c.detail}"
        lines.append(line)
    lines += [f"blocker: {b}" for b in plan.blockers]
    lines += [f"guard: {g}" for g in plan.guards]
    lines += [f"warning: {w}" for w in plan.warnings]
    return lines


def op_line(op: Op) -> str:
    path = op.xpath.replace(LOC.rules_xpath, "rules").replace(LOC.base_xpath + "/", "")
    line = f"{op.action} {path}"
    if op.where:
        line += f" where={op.where}"
    if op.dst is not None:
        line += f" dst={op.dst}"
    if op.element is not None:
        line += " " + one_line(op.element)
    return line


def batch_lines(plan: Plan, batch: Batch | None) -> list[str]:
    return ["refused"] if batch is None else [op_line(op) for op in batch.ops]


def derive(sections: dict[str, str]) -> tuple[list[str], list[str]]:
    """(plan lines, batch lines) for a table's DEVICE and FRAGMENT."""
    parser = etree.XMLParser(remove_blank_text=True)
    device_root = etree.fromstring(wrap(sections["DEVICE"]), parser)
    device = parse_container(device_root.xpath(LOC.base_xpath)[0], LOC)
    fragment = parse_fragment(wrap(sections["FRAGMENT"]), LOC, TAG, "fragment.xml")
    plan = build_plan(fragment, device, tag=TAG, bottom_rule="clean-up", max_delete_percent=100,
                      admin="automation")
    batch = None if plan.blockers else build_batch(plan.diff, device, LOC)
    return plan_lines(plan), batch_lines(plan, batch)


@pytest.mark.parametrize("path", sorted(TABLES.glob("*.txt")), ids=lambda p: p.stem)
def test_table(path: Path) -> None:
    sections = read_table(path)
    plan, batch = derive(sections)
    want_plan = sections["PLAN"].splitlines()
    want_batch = sections["BATCH"].splitlines()
    actual = path.with_name(path.name + ".actual")
    if (plan, batch) != (want_plan, want_batch):
        text = "".join(f"={name}=\n{sections[name]}\n" for name in ("TITLE", "DEVICE", "FRAGMENT"))
        text += "=PLAN=\n" + "".join(f"{line}\n" for line in plan)
        text += "=BATCH=\n" + "".join(f"{line}\n" for line in batch)
        actual.write_text(text)
    else:
        actual.unlink(missing_ok=True)
    assert plan == want_plan, f"{path.name}: the plan differs; see {actual.name}"
    assert batch == want_batch, f"{path.name}: the batch differs; see {actual.name}"


def test_there_are_tables_for_each_kind_of_operation() -> None:
    """The tables cover create, change, delete and move, and a refusal (a guard against an empty
    or truncated tables/ directory making the parametrized test vacuous)."""
    lines = [line for p in TABLES.glob("*.txt") for line in read_table(p)["BATCH"].splitlines()]
    assert {line.split()[0] for line in lines} >= {"set", "edit", "delete", "move", "refused"}
