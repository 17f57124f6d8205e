"""Golden plans (text, markdown, json) for the changes a reviewer meets: create, delete, change of
sources and ports, members added to a group, drift, pending, refused. Each JSON validates against
schemas/plan.schema.json. On a mismatch the output is written beside the golden as *.actual."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from emulator import EmulatorServer
from generator.location import Location
from generator.resources import load_json_schema
from tests.panos import plan_scenarios as sc
from tests.panos.helpers import members

GOLDEN = Path(__file__).parent / "golden" / "plan"
LOC = Location()
FORMATS = {"text": "txt", "markdown": "md", "json": "json"}


def compare(actual: str, golden: Path) -> list[str]:
    if golden.is_file() and golden.read_text() == actual:
        return []
    golden.with_name(golden.name + ".actual").write_text(actual)
    return [f"{golden.name} differs from the output; see {golden.name}.actual"]


def validate(doc: dict) -> None:
    schema = load_json_schema("plan.schema.json")
    jsonschema.validators.validator_for(schema)(schema).validate(doc)


def _hand_edit(emu: EmulatorServer, commit: bool) -> None:
    """An admin opens ssh to everyone on awspan's rule (and commits it, or not)."""
    xpath = LOC.entry_xpath("rules", f"{sc.WEB}-tcp-22") + "/source"
    emu.edit_as("admin", "edit", xpath, members("source", ["any"]))
    if commit:
        assert emu.commit_as("admin")


def _interrupted_push(emu: EmulatorServer) -> None:
    """awspan's own batch landed, its commit did not."""
    xpath = LOC.entry_xpath("rules", f"{sc.WEB}-tcp-22") + "/source"
    emu.edit_as("automation", "edit", xpath, members("source", ["198.51.100.0/24", "203.0.113.7/32"]))


CHANGED = sc.estate(ssh_sources=("198.51.100.0/24", "203.0.113.7/32"), https_port="8443")
SCENARIOS: dict[str, tuple[str | None, Callable[[EmulatorServer], None] | None, str, int]] = {
    # name: (pushed first, then done on the firewall, planned fragment, exit with --detailed-exitcode)
    "create": (None, None, sc.estate(), 2),
    "delete": (sc.estate(), None, sc.estate(drop_app=True), 2),
    "change": (sc.estate(), None, CHANGED, 2),
    "members": (sc.estate(), None, sc.estate(web_members=(sc.W1, sc.W2, sc.A2)), 2),
    "drift": (sc.estate(), lambda emu: _hand_edit(emu, commit=True), sc.estate(), 2),
    "pending": (sc.estate(), _interrupted_push, CHANGED, 2),
    "refused": (sc.estate(), lambda emu: _hand_edit(emu, commit=False), sc.estate(), 1),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_plan_golden(name: str, emu: EmulatorServer, awspan, tmp_path: Path):
    pushed, then, planned, code = SCENARIOS[name]
    (tmp_path / "out").mkdir(exist_ok=True)
    (tmp_path / "out" / "state.yaml").write_text(sc.STATE)
    if pushed is not None:
        assert awspan("push", fragment=pushed).code == 0
    if then is not None:
        then(emu)
    problems = []
    for fmt, ext in FORMATS.items():
        res = awspan("plan", "--detailed-exitcode", "--format", fmt, fragment=planned)
        assert res.code == code, res.err
        problems += compare(res.out, GOLDEN / f"{name}.{ext}")
        if fmt == "json":
            validate(json.loads(res.out))
    assert not problems, problems
