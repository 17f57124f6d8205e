"""Values echoed in error messages are bounded and escaped: a 10 MB value never becomes a
10 MB line, and a newline or an escape sequence in a value never forges a second line."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from generator.errors import MESSAGE_LIMIT, QUOTE_LIMIT, key_path, quote, shorten
from tests.hostile.conftest import one_line
from tests.policies import write_policy


@given(st.text(max_size=400))
def test_shorten_is_one_printable_line_of_bounded_length(text: str):
    out = shorten(text)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029" for c in out)
    kept = text[:QUOTE_LIMIT]
    assert len(out) <= 4 * len(kept) + len(f"… ({len(text):,} more)")  # \xNN is 4 characters
    if len(text) > QUOTE_LIMIT:
        assert out.endswith(f"… ({len(text) - QUOTE_LIMIT:,} more)")
    else:
        assert "more)" not in out or "more)" in text


def test_quote_names_how_much_was_cut():
    assert quote("a" * 1000) == "'" + "a" * 120 + "… (880 more)'"
    assert quote("web\n\x1b[31mforged") == "'web\\n\\x1b[31mforged'"
    assert quote(None) == "None" and quote(443) == "443"
    assert len(key_path(["rules", "x" * 10_000, 3])) < 100


def test_a_10_mb_value_in_policy_yaml_gives_one_short_line(tmp_path: Path, run):
    policy = write_policy(tmp_path, "https://127.0.0.1", firewall={"admin": "a" * 10_000_000})
    result = run("generate", "--config", str(policy), "--state", str(tmp_path / "none.yaml"),
                 "--output", str(tmp_path / "fragment.xml"))
    line = one_line(result.err)
    assert result.code == 1 and len(line) < MESSAGE_LIMIT + 100
    assert "firewall.admin" in line and "(9,999,880 more)" in line
    assert not (tmp_path / "fragment.xml").exists()


def test_control_characters_in_a_value_do_not_forge_lines(tmp_path: Path, run):
    policy = write_policy(tmp_path, rules={"internal_cidrs": ["10.0.0.0/8\n\x1b[31mawspan generate: ok\r"]})
    result = run("generate", "--config", str(policy), "--state", str(tmp_path / "none.yaml"))
    line = one_line(result.err)
    assert result.code == 1 and "\x1b" not in result.err and "\r" not in result.err
    assert "rules.internal_cidrs[0]: '10.0.0.0/8\\n\\x1b[31mawspan generate: ok\\r'" in line


def test_a_huge_description_in_state_yaml_gives_one_short_line(tmp_path: Path, run):
    """The issue's case: a description far over the limit is named by its path, not echoed whole."""
    from tests.generate.helpers import POLICY, STATE, generate_argv

    text = STATE.read_text()
    start = text.index("description:")
    end = text.index("\n", start)
    state = tmp_path / "state.yaml"
    state.write_text(text[:start] + 'description: "\\e[2J' + "x" * 1_000_000 + '"' + text[end:])
    result = run(*generate_argv(tmp_path / "fragment.xml", policy=POLICY, state=state))
    line = one_line(result.err)
    assert result.code == 1 and len(line) < MESSAGE_LIMIT and "\x1b" not in line
    assert ".description: '\\x1b[2Jxxx" in line and "more)' is too long" in line
    assert not (tmp_path / "fragment.xml").exists()
