"""The already-allowed check runs on the model, once, and the fragment is rendered once."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from generator.generate import command
from generator.generate.model import build_fragment
from generator.generate.precheck import candidate_tree
from generator.generate.render import render_fragment
from generator.generate.state import parse_state
from generator.policy import parse_policy
from generator.rulematch import check_candidates
from generator.rulematch.config import RuleBase
from tests.generate.helpers import example_policy_data, example_state_data, generate_cli
from tests.generate.test_precheck import SCANNER, SNAPSHOT, WEB_443


@pytest.mark.parametrize("layout", ["group", "instance"])
def test_model_tree_gets_the_decisions_of_the_rendered_fragment(layout: str) -> None:
    """The bare tree built from the model and the full rendered document are judged alike."""
    raw = example_policy_data()
    raw["rules"]["layout"] = layout
    policy = parse_policy(raw)
    fragment = build_fragment(parse_state(example_state_data()), policy)
    rendered = etree.fromstring(render_fragment(fragment)[0])
    snapshot = RuleBase(etree.fromstring(SNAPSHOT.encode()), "rulebase.xml")
    settings: dict[str, Any] = {
        "location": policy.firewall.location,
        "from_zone": policy.rules.from_zone,
        "to_zone": policy.rules.to_zone,
        "bottom_rule": policy.rules.bottom_rule,
        "tag": policy.rules.tag,
    }
    from_model = check_candidates(candidate_tree(fragment), snapshot, **settings)
    from_xml = check_candidates(rendered, snapshot, **settings)
    assert from_model == from_xml
    verdicts = {d.verdict for d in from_model[0]}
    assert len(from_model[0]) == len(fragment.rules) and {"uncovered"} < verdicts


def test_generate_with_a_rulebase_renders_once(
    tmp_path: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = command.render_fragment

    def counting(fragment: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(fragment.rules))
        return real(fragment, *args, **kwargs)

    monkeypatch.setattr(command, "render_fragment", counting)
    rulebase = tmp_path / "rulebase.xml"
    rulebase.write_text(SNAPSHOT)
    out = tmp_path / "fragment.xml"
    rc, _, err = generate_cli(capsys, out, "--rulebase", str(rulebase))
    assert rc == 0, err
    names = [e.get("name") for e in etree.fromstring(out.read_bytes()).iterfind(".//rules/entry")]
    assert WEB_443 not in names and SCANNER not in names
    assert calls == [len(names)]  # one render, of the rules that were kept
