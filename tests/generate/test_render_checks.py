"""What the render step checks: every output whole for well-formedness and markup; a site's
template against fragment.xsd on every object; the built-in template on a sample covering
every shape (docs/performance.md says why)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from generator.generate.model import build_fragment
from generator.generate.render import render_fragment, sample
from generator.generate.state import parse_state
from generator.policy import parse_policy
from tests.generate.helpers import BUILTIN_TEMPLATE, example_state_data, generate_cli
from tests.policies import example_policy


def _fragment() -> Any:
    return build_fragment(parse_state(example_state_data()), parse_policy(example_policy()))


def test_site_template_wrong_only_for_a_late_object_is_refused(tmp_path: Path, capsys: Any) -> None:
    """The error sits on the last rule only: a sampled check of a site template would miss it."""
    src = BUILTIN_TEMPLATE.read_text().replace(
        "<action>allow</action>", "<action>{{ 'bogus' if loop.last else 'allow' }}</action>"
    )
    custom = tmp_path / "tpl"
    custom.mkdir()
    (custom / "fragment.xml.j2").write_text(src)
    out = tmp_path / "fragment.xml"
    rc, _, err = generate_cli(capsys, out, "--templates", str(custom))
    assert rc == 1
    assert "does not match fragment.xsd" in err and "bogus" in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tpl"]  # the streamed temp file is gone too


def test_malformed_output_is_refused_with_its_line(tmp_path: Path, capsys: Any) -> None:
    src = BUILTIN_TEMPLATE.read_text().replace("<action>allow</action>", "<action>allow</actio>")
    custom = tmp_path / "tpl"
    custom.mkdir()
    (custom / "fragment.xml.j2").write_text(src)
    rc, _, err = generate_cli(capsys, tmp_path / "fragment.xml", "--templates", str(custom))
    assert rc == 1
    assert "malformed XML: mismatched tag: line" in err


def test_sample_holds_both_ends_and_every_shape_of_each_kind() -> None:
    fragment = _fragment()
    small = sample(fragment)
    for kind in ("addresses", "groups", "services", "rules"):
        full, part = getattr(fragment, kind), getattr(small, kind)
        assert part and set(part) <= set(full)
        assert part[0] == full[0] and part[-1] == full[-1]
    assert {s.protocol for s in small.services} == {s.protocol for s in fragment.services}
    assert {":" in a.value for a in small.addresses} == {":" in a.value for a in fragment.addresses}
    assert {len(r.sources) > 1 for r in small.rules} == {len(r.sources) > 1 for r in fragment.rules}


def test_builtin_output_is_valid_in_full_although_a_sample_was_checked() -> None:
    """The full output of the built-in template passes the complete schema check (not only its sample)."""
    data, _ = render_fragment(_fragment())
    schema = etree.XMLSchema(
        etree.parse(str(Path(__file__).resolve().parents[2] / "schemas" / "fragment.xsd"))
    )
    assert schema.validate(etree.fromstring(data)), schema.error_log


def test_comments_and_processing_instructions_are_refused_but_an_xml_declaration_is_not(
    tmp_path: Path, capsys: Any
) -> None:
    """PAN-OS rejects comments and PIs in pushed config: the one expat pass over the output finds
    them wherever the template puts them; the XML declaration is no PI and passes."""
    src = BUILTIN_TEMPLATE.read_text()
    custom = tmp_path / "tpl"
    custom.mkdir()
    out = tmp_path / "fragment.xml"
    for text, ok in (
        (src.replace("<action>allow</action>", "<action>allow</action><?pi x?>"), False),
        (src.replace("<config>\n", "<config><!-- {{ fragment.tag }} -->\n", 1), False),
        ('<?xml version="1.0" encoding="UTF-8"?>\n' + src.split("-#}\n", 1)[1], True),
    ):
        (custom / "fragment.xml.j2").write_text(text)
        rc, _, err = generate_cli(capsys, out, "--no-rulebase", "--templates", str(custom))
        assert (rc == 0) is ok, err
        if not ok:
            assert "comment or processing instruction" in err
