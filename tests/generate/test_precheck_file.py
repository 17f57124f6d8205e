"""precheck.yaml is written line by line (PyYAML's representer takes seconds at 50,000 decisions):
the text must be exactly what dump_yaml writes for the same document, whatever the strings hold,
since rule names and reasons come from the firewall's snapshot."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator.generate.precheck_file import VERSION, precheck_text
from generator.rulematch import RuleVerdict
from generator.yamlio import dump_yaml, load_yaml_text

# Names as they come, and what YAML makes hard: reserved words, numbers, indicators, quotes,
# line breaks, non-printable and non-ASCII characters, lengths beyond the dumper's width (4096).
hostile = st.one_of(
    st.sampled_from(["yes", "No", "null", "~", "true", "on", "0o17", "1e3", "0x1F", "-", "- a", "a: b", "#x",
                     "'q'", '"q"', "a #b", "@x", "`x", "%x", "!x", "&x", "*x", "[x]", "{x}", "|", ">", "",
                     " lead", "trail ", "x\ny", "tab\tx", "é-ü", "\u2028", "\x85", "\x00", "fw-1.2/x_y",
                     "sg-0a1b2c3d-tcp-443", "allowed", "ab:", "a:b", "x-", "2026-12-01", "1:20", "=", "<<",
                     ".inf", "x" * 5000, "a b " * 1200]),
    st.text(max_size=40),
    st.from_regex(r"[A-Za-z][A-Za-z0-9_./-]{0,30}", fullmatch=True),
)


def _reference(decisions: list[RuleVerdict], warnings: list[str]) -> str:
    return dump_yaml({
        "version": VERSION,
        "decisions": [{"rule": d.rule, "verdict": d.verdict, "covering": list(d.covering), "reason": d.reason}
                      for d in decisions],
        "warnings": sorted(warnings),
    })


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.builds(RuleVerdict, hostile, hostile, st.lists(hostile, max_size=3).map(tuple), hostile),
             max_size=6),
    st.lists(hostile, max_size=3),
)
@example([], [])
@example([RuleVerdict("r", "allowed", (), "x" * 5000)], ["a b " * 1200])
@example([RuleVerdict("web\u2028one", "allowed", ("fw\x85",), "p\u2029")], ["\ufeffbom"])  # found a bug
def test_precheck_text_is_what_pyyaml_writes(decisions: list[RuleVerdict], warnings: list[str]) -> None:
    text = precheck_text(decisions, warnings)
    assert text == _reference(decisions, warnings)
    data = load_yaml_text(text, "precheck.yaml")  # U+2028 written raw was once unreadable
    assert [d["rule"] for d in data["decisions"]] == [d.rule for d in decisions]


def test_precheck_text_reads_back() -> None:
    decisions = [RuleVerdict("sg-1-tcp-443", "allowed", ("fw-1", "yes"),
                             "already allowed by fw-1: 'web'"),
                 RuleVerdict("sg-1-any", "uncovered", (),
                             "no rule above the bottom rule matches its traffic")]
    data = load_yaml_text(precheck_text(decisions, ["w: x", "0o17"]), "precheck.yaml")
    assert data == {"version": VERSION, "warnings": ["0o17", "w: x"], "decisions": [
        {"rule": d.rule, "verdict": d.verdict, "covering": list(d.covering), "reason": d.reason}
        for d in decisions]}
