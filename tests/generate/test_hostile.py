"""AWS strings are data, never markup: every free-text field holds hostile text, the fragment survives."""

from __future__ import annotations

import pytest
from lxml import etree

from generator.yamlio import dump_yaml
from tests.generate.helpers import example_state_data, generate_cli

HOSTILE = [
    '</entry><entry name="x">',
    'it\'s "quoted" & <b>bold</b> ]]> {{ 7*7 }} {% raw %}',
    "ünïcødé ✓ 中文 🚀",
    "bell\x07and\x01controls",
]


def _poison(state: dict, text: str) -> dict:
    """Put `text` in every AWS string field the schema leaves free (ids are pattern-checked)."""
    for vpc in state["vpcs"]:
        vpc["region"] = text[:64]
        for table in vpc["route_tables"]:
            table["routes"].append({"destination": "192.0.2.0/24", "target": text})
        for group in vpc["security_groups"]:
            group["name"] = text
            group["description"] = text
            for perm in group["ingress"]:
                perm["description"] = text
                perm["groups"] = [text]
        for plist in vpc["prefix_lists"]:
            plist["name"] = text
        for inst in vpc["instances"]:
            inst["name"] = text
        for eni in vpc["interfaces"]:
            eni["description"] = text
            eni["requester_id"] = text[:256]
    return state


def _generate(tmp_path, capsys, state_data: dict) -> bytes:
    """The fragment generate writes for `state_data` (with no rulebase); it must succeed."""
    state = tmp_path / "state.yaml"
    state.write_text(dump_yaml(state_data))
    out = tmp_path / "fragment.xml"
    rc, _, err = generate_cli(capsys, out, "--no-rulebase", state=state)
    assert rc == 0, err
    return out.read_bytes()


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_show_only_as_escaped_text(tmp_path, capsys, text):
    data = _generate(tmp_path, capsys, _poison(example_state_data(), text))
    root = etree.fromstring(data)  # parses
    names = {e.get("name") for e in root.iter("entry")}
    assert "x" not in names  # nothing was injected as markup
    descriptions = [e.text for e in root.iter("description")]
    visible = text.replace("\x07", "\ufffd").replace("\x01", "\ufffd")
    assert any(visible in d for d in descriptions)  # ... and the text is there, as text
    assert all(len(d) <= 1023 for d in descriptions)
    if "<" in text:
        assert text.encode() not in data


def test_long_descriptions_are_cut_but_names_never(tmp_path, capsys):
    state_data = example_state_data()
    for perm in state_data["vpcs"][0]["security_groups"][0]["ingress"]:
        perm["description"] = "d" * 3000
    root = etree.fromstring(_generate(tmp_path, capsys, state_data))
    descriptions = [e.text for e in root.iter("description")]
    assert max(len(d) for d in descriptions) == 1023
    assert any(d.endswith("...") for d in descriptions)
