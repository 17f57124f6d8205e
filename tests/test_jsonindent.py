"""generator.jsonindent writes what `json.dumps(value, indent=2, ensure_ascii=False)` writes, byte
for byte: the JSON plan (`--format json`, `plan --out`) is read by pipelines and pinned by golden
files, and the encoder that makes it fast reuses the text of shared parts."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator import jsonindent

SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
           | st.text())  # any text: newlines, quotes, bidi controls, astral characters
KEYS = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)


def _reference(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


documents = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.tuples(inner, inner)
    | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_any_document_encodes_as_the_standard_library_does(doc: Any) -> None:
    assert jsonindent.dumps(doc) == _reference(doc)


def _unshared(value: Any) -> Any:
    """`value` with every list and dict rebuilt: the same document, nothing shared. (Not a JSON
    round trip: that merges keys such as None and "null", which json.dumps both writes "null".)"""
    if isinstance(value, dict):
        return {key: _unshared(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_unshared(item) for item in value]
    return value


@settings(max_examples=200, deadline=None)
@example(parts=[{None: None, "null": None}], places=[0], key="")  # the round trip once merged the keys
@given(st.lists(documents, min_size=1, max_size=4), st.lists(st.integers(0, 3), min_size=1, max_size=8),
       st.text(max_size=3))
def test_parts_shared_at_several_depths_encode_as_copies_would(parts: list[Any], places: list[int],
                                                               key: str) -> None:
    """A list or dict met again, at its first depth or another (the plan's address lists appear in
    a rule's before and after and in the openings, at other depths), reads as if each place held
    its own copy."""
    shared = [{"addresses": parts, key: parts[0]}, parts]
    doc: list[Any] = []
    for depth in places:  # nest each reuse `depth` levels deeper
        item: Any = shared[depth % 2]
        for _ in range(depth):
            item = {"inner": [item]}
        doc.append(item)
    doc.append(shared)
    assert jsonindent.dumps(doc) == _reference(doc)
    assert jsonindent.dumps(doc) == _reference(_unshared(doc))  # copies, nothing shared


def test_the_shapes_the_plan_holds_encode_alike() -> None:
    owner = {"kind": "instance", "id": "i-0abc", "name": "web\n\u202e[evil](http://x)", "vpc": None}
    addresses = [{"name": f"i-0abc-10.0.0.{n}", "ip": f"10.0.0.{n}", "owner": owner} for n in range(3)]
    rule = {"destinations": [{"member": "sg-1", "addresses": addresses}], "flows": 3, "disabled": False}
    doc = {"rules": [{"before": rule, "after": rule}], "openings": [{"destinations": addresses}],
           "empty": {}, "none": [], "ratio": 0.5, "big": 10**30, "tuple": ("a", 1)}
    assert jsonindent.dumps(doc) == _reference(doc)


def test_special_floats_and_odd_keys_as_json_writes_them() -> None:
    doc = {1: math.nan, 2.5: math.inf, None: -math.inf, False: 0.1, "x": {True: -0.0, -3: 1e300}}
    assert jsonindent.dumps(doc) == _reference(doc)


def test_a_cycle_raises_as_json_does() -> None:
    loop: list[Any] = []
    loop.append({"again": loop})
    with pytest.raises(ValueError, match="Circular reference detected"):
        jsonindent.dumps(loop)


@pytest.mark.parametrize("value", [{1, 2}, object(), b"bytes", {"k": {"nested": {1}}}])
def test_what_json_refuses_is_refused(value: Any) -> None:
    with pytest.raises(TypeError):
        _reference(value)
    with pytest.raises(TypeError):
        jsonindent.dumps(value)


def test_keys_json_refuses_are_refused() -> None:
    with pytest.raises(TypeError):
        jsonindent.dumps({(1, 2): "tuple key"})
