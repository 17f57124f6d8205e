"""YAML I/O: bounded aliases, equal results from the fast and the reference loader, stable output."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator import yamlio
from generator.errors import AwspanError

BILLION_LAUGHS = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
)


def test_billion_laughs_is_refused_by_both_loaders() -> None:
    with pytest.raises(AwspanError, match="aliases expand"):
        yamlio.load_yaml_text(BILLION_LAUGHS, "bomb.yaml")
    with pytest.raises(AwspanError):
        yamlio.load_yaml_text(BILLION_LAUGHS, "bomb.yaml", fast=True)


def test_small_aliases_still_load() -> None:
    assert yamlio.load_yaml_text("a: &x [1, 2]\nb: *x\n", "ok.yaml") == {"a": [1, 2], "b": [1, 2]}


def test_no_python_objects_are_constructed() -> None:
    with pytest.raises(AwspanError, match="invalid YAML"):
        yamlio.load_yaml_text("!!python/object/apply:os.system ['true']", "evil.yaml")


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.text(max_size=20),
    st.sampled_from(
        ["yes", "no", "on", "0123", "0o17", "1e3", "::/0", "10.0.0.0/8", "2024-01-01", "~", "null",
         # line breaks to YAML 1.1 only, and a BOM: an instance Name may hold them
         "a\u2028b", "p\u2029", "n\x85l", "\ufeffbom", "x\n\u2028 y"]
    ),
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(documents)
@example({"name": "web\u2028one"})  # an instance Name: written raw, a state.yaml generate could not read
@example(["p\u2029", "n\x85l", "\ufeffbom", "x\n\u2028 y"])
def test_what_awspan_writes_reads_back_equal_with_both_loaders(doc: object) -> None:
    text = yamlio.dump_yaml(doc)
    assert yamlio.load_yaml_text(text, "x.yaml") == doc
    if yamlio.fast_loader_available():
        assert yamlio.load_yaml_text(text, "x.yaml", fast=True) == doc


def test_separators_are_written_escaped_and_read_back() -> None:
    """PyYAML writes U+2028/U+2029 raw in its plain and single-quoted styles, and awspan's loaders
    refuse them raw: a state.yaml with such an instance Name could not be read by generate."""
    doc = {"name": "web\u2028one", "list": ["p\u2029", "x\n\u2028 y"]}
    text = yamlio.dump_yaml(doc)
    assert "\u2028" not in text and "\u2029" not in text and '"web\\Lone"' in text
    assert yamlio.load_yaml_text(text, "state.yaml") == doc == yamlio.load_yaml_text(text, "s", fast=True)


def test_dump_keeps_key_order_and_writes_no_anchors() -> None:
    shared = [1, 2]
    text = yamlio.dump_yaml({"z": shared, "a": shared})
    assert text == "z:\n- 1\n- 2\na:\n- 1\n- 2\n"


def test_oversized_file_is_refused(tmp_path, monkeypatch) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: 1\n" * 10)
    monkeypatch.setattr(yamlio, "MAX_FILE_BYTES", 20)
    with pytest.raises(AwspanError, match="over the 20-byte limit"):
        yamlio.load_yaml_file(path, "state file")
