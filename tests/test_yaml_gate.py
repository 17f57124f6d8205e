"""One gate for YAML: the fast loader (yaml_rs) and the reference (PyYAML) accept the same files.

A NUL byte once made yaml_rs stop reading state.yaml silently: generate wrote a fragment with
fewer rules and exit 0, and the next push would have deleted the rest. These tests feed
byte-level corruptions of the example files to both loader paths and require the same
decision (and the same data when both accept), and check the command line's answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from generator import yamlio
from generator.errors import AwspanError
from generator.generate.state import load_state
from tests.generate.helpers import POLICY, STATE, generate_cli


def test_fast_loader_is_installed_wherever_it_has_a_wheel() -> None:
    """yaml-rs is a dependency with an environment marker: where the marker holds, it must be there
    (otherwise every comparison below would compare PyYAML with itself)."""
    from importlib import metadata

    from packaging.requirements import Requirement

    wanted = [r for r in map(Requirement, metadata.requires("awspan") or []) if r.name == "yaml-rs"]
    assert wanted, "yaml-rs is declared in pyproject.toml"
    if any(r.marker is None or r.marker.evaluate({"extra": ""}) for r in wanted):
        assert yamlio.fast_loader_available()


STATE_BYTES = STATE.read_bytes()
POLICY_BYTES = POLICY.read_bytes()


def edit(original: bytes, old: bytes, new: bytes) -> bytes:
    """`original` with `old` replaced, which must be there: an example whose edit no longer applies
    (state.yaml's `version: 1` became `version: 2`) would silently test the unchanged file."""
    assert old in original, old
    return original.replace(old, new)

# Bytes a corruption inserts or writes over: every control character, YAML's indicators, digits
# that change a number's reading, and whole UTF-8 sequences of the characters the loaders differ on.
_SINGLE = st.integers(min_value=0, max_value=255).map(lambda b: bytes([b]))
_INTERESTING = st.sampled_from(
    [
        b"\x00",
        b"\x01",
        b"\x1b",
        b"\x7f",
        b"\t",
        b"\r",
        b"\n",
        b" ",
        b":",
        b"-",
        b"#",
        b"'",
        b'"',
        b"0",
        b"&a ",
        b"*a",
        b"!x ",
        b"? ",
        b"---\n",
        b"...\n",
        b"%YAML 1.1\n",
        b"<<: ",
        b"{",
        b"[",
        "\x85".encode(),
        "\u2028".encode(),
        "\ufeff".encode(),
        "\ufffe".encode(),
        "é".encode(),
        b"\xff",
        b"\xc2",
    ]
)
_PIECE = st.one_of(_SINGLE, _INTERESTING, st.binary(min_size=1, max_size=4))


@st.composite
def corruptions(draw: st.DrawFn, original: bytes) -> bytes:
    """`original` with 1-3 edits: insert, delete, overwrite, or duplicate a line."""
    data = bytearray(original)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        pos = draw(st.integers(min_value=0, max_value=len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "overwrite", "dup-line"]))
        if kind == "insert":
            data[pos:pos] = draw(_PIECE)
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(min_value=1, max_value=8))]
        elif kind == "overwrite":
            piece = draw(_PIECE)
            data[pos : pos + len(piece)] = piece
        else:
            start = data.rfind(b"\n", 0, pos) + 1
            end = data.find(b"\n", pos)
            end = len(data) if end == -1 else end + 1
            data[end:end] = data[start:end]
    return bytes(data)


def _outcome(load: Any) -> tuple[str, Any]:
    """("ok", data) or ("refused", None); anything but AwspanError is a crash and fails the test."""
    try:
        return "ok", load()
    except AwspanError as exc:
        assert exc.where, "the message names the file"
        return "refused", None


def _reference_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "_yaml_rs", None)


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow
@SETTINGS
@given(corruptions(STATE_BYTES))
@example(STATE_BYTES[:2000] + b"\x00" + STATE_BYTES[2000:])
@example(edit(STATE_BYTES, b"version: 2\n", b"version: 2\nversion: 2\n"))
@example(edit(STATE_BYTES, b"version: 2\n", b"version: 2\n:  x: 1\n"))  # empty key: yaml_rs read null
def test_state_yaml_corruptions_get_one_decision(tmp_path_factory: Any, corrupted: bytes) -> None:
    path = tmp_path_factory.mktemp("c") / "state.yaml"
    path.write_bytes(corrupted)
    fast = _outcome(lambda: load_state(path))
    with pytest.MonkeyPatch.context() as mp:
        _reference_only(mp)
        reference = _outcome(lambda: load_state(path))
    assert fast == reference


def _raw_outcomes(path: Path) -> tuple[tuple[str, Any], tuple[str, Any]]:
    fast = _outcome(lambda: yamlio.load_yaml_file(path, "file", fast=True))
    reference = _outcome(lambda: yamlio.load_yaml_file(path, "file", fast=False))
    return fast, reference


@pytest.mark.slow
@SETTINGS
@given(st.sampled_from([STATE_BYTES, POLICY_BYTES]).flatmap(corruptions))
@example(edit(POLICY_BYTES, b"  tag: awspan", b"  tag: aws\x00pan"))
@example(edit(POLICY_BYTES, b"  tag: awspan", b"  tag: awspan\n  tag: other"))
@example(edit(POLICY_BYTES, b"  tag: awspan", b":  tag: awspan"))  # an empty key: yaml_rs read it as null
@example(edit(POLICY_BYTES, b"[us-east-1]", b"[us-east-1:]"))  # yaml_rs: a mapping; libyaml refuses it
def test_both_loaders_accept_and_refuse_the_same_bytes(tmp_path_factory: Any, corrupted: bytes) -> None:
    """The raw loaders: same acceptance; and when yaml_rs's data is what the fast path may keep
    (agrees_with_reference), it equals PyYAML's."""
    path = tmp_path_factory.mktemp("c") / "file.yaml"
    path.write_bytes(corrupted)
    (fast_kind, fast_data), (ref_kind, ref_data) = _raw_outcomes(path)
    assert fast_kind == ref_kind
    if fast_kind == "ok" and yamlio.agrees_with_reference(corrupted.decode("utf-8"), fast_data):
        assert fast_data == ref_data


@pytest.mark.parametrize(
    "bad, line",
    [
        ("\x00", 3),
        ("\x07", 3),
        ("\x7f", 3),
        ("\x85", 3),  # NEL: a line break to PyYAML, text to yaml_rs
        ("\u2028", 3),
        ("\ufffe", 3),
    ],
)
def test_forbidden_character_is_refused_with_file_and_line(
    tmp_path: Path, capsys: Any, bad: str, line: int
) -> None:
    lines = STATE.read_text().splitlines(keepends=True)
    lines[line - 1] = (
        lines[line - 1].replace("id:", f"id:{bad}", 1) if "id:" in lines[line - 1] else bad + lines[line - 1]
    )
    state = tmp_path / "state.yaml"
    state.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "fragment.xml"
    out.write_bytes(b"<previous/>\n")
    rc, _, err = generate_cli(capsys, out, state=state)
    assert rc == 1
    assert f"{state}: invalid YAML: line {line}, column" in err
    assert f"U+{ord(bad):04X}" in err
    assert len(err.strip().splitlines()) == 1
    assert out.read_bytes() == b"<previous/>\n"  # nothing half-written, nothing smaller


@pytest.mark.parametrize(
    "flow",
    [b"[us-east-1:]", b"[us-east-1 :]", b"[us-east-1:, us-west-2]", b"{us-east-1:}", b"[us-east-1:[]]"],
)
def test_a_colon_before_a_flow_indicator_gets_pyyamls_answer(tmp_path: Path, flow: bytes) -> None:
    """yaml_rs reads `[us-east-1:]` as a list holding the mapping {us-east-1: null}; PyYAML (libyaml)
    refuses it. The fast path leaves such text to PyYAML, so both paths refuse it, on its line."""
    policy = tmp_path / "policy.yaml"
    policy.write_bytes(edit(POLICY_BYTES, b"[us-east-1]", flow))
    line = POLICY_BYTES[: POLICY_BYTES.index(b"[us-east-1]")].count(b"\n") + 1
    fast, reference = _raw_outcomes(policy)
    assert fast == reference
    if yaml.__with_libyaml__:  # PyYAML's pure-Python loader (no libyaml) reads a null value instead
        with pytest.raises(AwspanError, match=rf"line {line}, column \d+: found unexpected ':'"):
            yamlio.load_yaml_file(policy, "policy file", fast=True)


def test_nul_in_policy_is_refused_on_both_paths(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_bytes(POLICY_BYTES.replace(b"bottom_rule: clean-up", b"bottom_rule: clean\x00-up"))
    line = POLICY_BYTES[: POLICY_BYTES.index(b"bottom_rule: clean-up")].count(b"\n") + 1
    for fast in (True, False):
        with pytest.raises(AwspanError, match=rf"line {line}, column 21: character U\+0000"):
            yamlio.load_yaml_file(policy, "policy file", fast=fast)


@pytest.mark.parametrize("fast", [True, False])
def test_duplicate_key_is_refused_on_both_paths(fast: bool) -> None:
    text = "rules:\n  tag: awspan\n  from_zone: untrust\n  tag: other\n"
    with pytest.raises(AwspanError, match=r"line 4, column 3: duplicate key 'tag'"):
        yamlio.load_yaml_text(text, "policy.yaml", fast=fast)


def test_duplicate_key_in_policy_fails_generate(tmp_path: Path, capsys: Any) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_bytes(POLICY_BYTES.replace(b"  tag: awspan\n", b"  tag: awspan\n  tag: other\n"))
    rc, _, err = generate_cli(capsys, tmp_path / "fragment.xml", policy=policy)
    assert rc == 1
    assert f"{policy}: invalid YAML: line" in err and "duplicate key 'tag'" in err
    assert not (tmp_path / "fragment.xml").exists()


def test_merge_keys_are_no_duplicates() -> None:
    text = "base: &b {a: 1, b: 2}\nitem:\n  <<: *b\n  b: 3\n"
    assert yamlio.load_yaml_text(text, "x.yaml")["item"] == {"a": 1, "b": 3}


def test_leading_byte_order_mark_is_read_alike() -> None:
    for fast in (True, False):
        assert yamlio.load_yaml_text("\ufeffa: 1\n", "x.yaml", fast=fast) == {"a": 1}


@pytest.mark.slow
def test_large_file_on_the_slow_path_gets_one_note(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    text = "items:\n" + "- {a: 1, b: two}\n" * 300_000
    monkeypatch.setattr(yamlio, "SLOW_NOTE_BYTES", len(text) - 1)
    assert len(yamlio.load_yaml_text(text, "big.yaml", fast=True)["items"]) == 300_000
    assert capsys.readouterr().err == ""  # yaml_rs read it: no note
    _reference_only(monkeypatch)
    assert len(yamlio.load_yaml_text(text, "big.yaml", fast=True)["items"]) == 300_000
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(
        "note: big.yaml: 5 MB read with PyYAML (slow): the yaml-rs package is not installed"
    )
    yamlio.load_yaml_text("a: 1\n", "small.yaml", fast=True)
    assert capsys.readouterr().err == ""  # small files are not worth a note


_SCALAR_TEXT = st.text(alphabet="0123456789-+._:eEoxXbB~nNuUlLtTrRfFaAsSyY<=!&* /", max_size=12)


@settings(max_examples=500, deadline=None)
@given(st.one_of(_SCALAR_TEXT, st.text(max_size=12)))
@example("1_000")
@example("0b101")
@example("1:30")
@example("2024-01-01 10:00:00")
@example(".inf")
@example("<<")
@example("\n")
def test_one_pattern_for_all_resolvers_says_what_pyyaml_says(value: str) -> None:
    """PYYAML_TYPED (one pattern, used by the state loader's schema check) agrees with PyYAML's own
    resolver choice, which picks resolvers by the value's first character."""
    import yaml

    by_first = bool(value) and any(
        rx.match(value) for _, rx in yaml.resolver.Resolver.yaml_implicit_resolvers.get(value[0], ())
    )
    assert yamlio.typed_differently_by_pyyaml(value) == by_first
    assert (value[:1] in yamlio.PYYAML_FIRST) or not by_first
