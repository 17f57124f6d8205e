"""Safe, bounded YAML reading and deterministic YAML writing.

- Only plain data is ever constructed (safe loaders; no Python objects).
- Aliases are bounded: a "billion laughs" document is refused before it is expanded.
- state.yaml can be large (tens of MB); `fast=True` parses it with the Rust `yaml_rs`
  package when installed. PyYAML stays the reference: when the fast result does not pass
  the caller's check (YAML 1.2 vs 1.1 scalar differences), the caller reloads with PyYAML
  (see `load_yaml_file(..., fast=False)`); tests check both give equal objects.
- Writing always uses PyYAML (its C dumper when present) so that the bytes of a committed
  file never depend on which optional package a machine has.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from typing import Any

import yaml

from generator.errors import AwspanError
from generator.inputs import read_input_text

try:  # the C implementations are 5-10x faster; fall back to pure Python where libyaml is missing
    from yaml import CSafeDumper as _SafeDumper
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeDumper as _SafeDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

try:
    import yaml_rs as _yaml_rs
except ImportError:  # pragma: no cover - optional
    _yaml_rs = None

MAX_FILE_BYTES = 1 << 30
"""Refuse inputs over 1 GiB: far above any real estate, far below what would exhaust memory."""

MAX_ALIAS_EXPANSION = 1_000_000
"""Upper bound on the number of nodes aliases may expand to (billion-laughs guard)."""


def fast_loader_available() -> bool:
    return _yaml_rs is not None


def _check_alias_expansion(text: str, where: str) -> None:
    """Refuse documents whose aliases would expand past MAX_ALIAS_EXPANSION nodes.

    PyYAML shares aliased objects instead of copying them, but everything downstream
    (validation, traversal) walks the expanded tree, so the expanded size is what matters.
    The scan runs only when the text has both an anchor and an alias marker, which files
    awspan writes never do.
    """
    if "*" not in text or "&" not in text:  # no alias can resolve without an anchor
        return
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = []  # [anchor, size]
    total = 0
    for event in yaml.parse(text, Loader=_SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            grow = sizes.get(event.anchor or "", 1)
        elif isinstance(event, yaml.ScalarEvent):
            grow = 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            stack.append([event.anchor, 1])
            continue
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            anchor, grow = stack.pop()
            if anchor:
                sizes[anchor] = grow
            if stack:
                stack[-1][1] += grow
            total = max(total, grow)
            if total > MAX_ALIAS_EXPANSION:
                break
            continue
        else:
            continue
        if stack:
            stack[-1][1] += grow
            if stack[-1][1] > MAX_ALIAS_EXPANSION:
                total = stack[-1][1]
                break
    if total > MAX_ALIAS_EXPANSION:
        raise AwspanError(
            f"refused: YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes", where=where
        )


# --- the one gate both loaders pass through --------------------------------------------------

_ALLOWED_BYTES = b"\t\n\r" + bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100))
"""Bytes that may appear in UTF-8 YAML: every C0 control but tab, LF and CR is forbidden, and DEL."""

_FORBIDDEN_CHAR = re.compile(
    "[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
"""What YAML forbids (C0 and C1 controls, DEL, surrogates, U+FFFE/U+FFFF) and three characters it
allows but the two loaders read differently: NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR are line
breaks to PyYAML (YAML 1.1) and text to yaml_rs (YAML 1.2), and a byte-order mark anywhere but at
the start. awspan itself writes all of them escaped ("\\N", "\\L", "\\P", "\\ufeff")."""

_MULTIBYTE_SUSPECTS = (b"\xc2", b"\xe2\x80", b"\xef\xbb", b"\xef\xbf")
"""UTF-8 lead bytes of the non-ASCII characters _FORBIDDEN_CHAR refuses: C1 controls and NEL
(C2 80-9F), U+2028/9 (E2 80 A8/9), U+FEFF (EF BB BF), U+FFFE/F (EF BF BE/F)."""


def check_characters(text: str, where: str) -> str:
    """Refuse text holding a character YAML forbids; returns it without a leading byte-order mark.

    One gate for both loaders: yaml_rs stops silently at a NUL (a truncated state.yaml became a
    smaller fragment with exit 0) and accepts other control characters that PyYAML refuses, so
    neither loader is asked until the text passes here. The scan is over bytes (a C loop, about
    0.1 s per 100 MB); the regex runs only when a suspect byte is present.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    raw = text.encode("utf-8", "surrogatepass")
    if raw.translate(None, _ALLOWED_BYTES) or (
        not raw.isascii() and any(s in raw for s in _MULTIBYTE_SUSPECTS)
    ):
        match = _FORBIDDEN_CHAR.search(text)
        if match is not None:
            pos = match.start()
            line = text.count("\n", 0, pos) + 1
            column = pos - (text.rfind("\n", 0, pos) + 1) + 1
            raise AwspanError(
                f"invalid YAML: line {line}, column {column}: character U+{ord(text[pos]):04X} "
                "is not allowed in a YAML file (control characters, NUL and non-characters are "
                "refused; write them escaped inside double quotes)",
                where=where,
            )
    return text


_OUTSIDE_COMMON_SUBSET = re.compile(
    r"(?m)\t|^(?:%|---|\.\.\.)|(?:^|[\s\[{,])(?:[!&*]|\?\s|<<\s*:)|:[,?\[\]{}]"
)
"""Constructs where yaml_rs and PyYAML disagree on acceptance or result: directives and document
markers (yaml_rs returns several documents, PyYAML refuses them), tabs (the two apply YAML's
tab rules differently), tags (yaml_rs ignores unknown
ones, PyYAML refuses them), complex keys, merge keys, anchors and aliases (whose expansion PyYAML's
path bounds), and a `:` directly followed by a flow indicator (`regions: [us-east-1:]`, `{a:}`,
`[a:, b]`): yaml_rs reads an implicit key with a null value where libyaml, PyYAML's C loader,
refuses the plain scalar ("found unexpected ':'"; PyYAML's pure-Python loader, used only where
libyaml is missing, reads the null value too). awspan never writes them; a text that may hold
one is read by PyYAML alone. The pattern errs on the side of a false positive (the same
characters inside quotes or a comment), which only costs speed."""

_SUBSET_HINTS = ("\t", "%", "---", "...", "!", "?", "<<", "&", "*")
_FLOW_COLON = re.compile(r":[\]\[{},?]")
"""The flow-indicator part of _OUTSIDE_COMMON_SUBSET alone: a literal-led pattern `re` scans for
in one pass (35 ms per 40 MB, where five `in` tests for `:]`, `:}`, ... took 220 ms)."""


def _fast_path_allowed(text: str) -> bool:
    if not any(h in text for h in _SUBSET_HINTS):  # `in` is a fast C search: the usual case ends here
        return _FLOW_COLON.search(text) is None
    return _OUTSIDE_COMMON_SUBSET.search(text) is None


_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers

_LEADING_ZERO_NUMBER = (
    *(re.compile(re.escape(start) + r"[ \t\n]*[-+]?0[0-9oO]") for start in (":", "- ", "-\n", "[", ",", "{")),
    re.compile(r"#[^\n]*\n[ \t\n]*[-+]?0[0-9oO]"),  # `key: # a comment` with the value on the next line
    re.compile(r"\A[ \t\n]*[-+]?0[0-9oO]"),  # a document that is one number
)
"""A plain scalar starting `0<digit>` or `0o` after what may precede one (`key: 012`, `- 012`,
`[012`, `, 012`, `{012`, `"key":012`, on the next line after `key:`, `-` or a comment, or alone
in the document): yaml_rs reads
`012` as 12 and `0o17` as 15, PyYAML as 10 and "0o17". Each pattern starts with a literal, which
`re` finds with a fast scan (about 30 ms per 40 MB, where one pattern with an alternation at its
start took 0.6 s). False positives (`fe80::012`, "a, 012" in a description) only cost speed."""

PYYAML_FIRST = frozenset(key for key in _RESOLVERS if key)
"""First characters of the plain scalars PyYAML may type as other than a string."""

PYYAML_TYPED = re.compile(
    "|".join(sorted({f"(?:{rx.pattern})" for resolvers in _RESOLVERS.values() for _, rx in resolvers})),
    re.X,
)
"""Every PyYAML implicit resolver as one pattern: `match` says whether PyYAML, reading the value
written plain, would make it a bool, int, float, null, timestamp or merge key. (PyYAML picks its
resolvers by the value's first character, PYYAML_FIRST; each pattern only matches values starting
with one of the characters it is filed under, so behind that test one pattern for all gives the
same answer. Alone it does not: null's empty alternative matches "\\n", as `$` does before a
final newline.)"""


def yaml12_int_suspect(text: str) -> bool:
    """Might `text` hold a plain integer yaml_rs reads differently from PyYAML (`012`, `0o17`)?

    The other YAML-1.2-only numbers (`1e3`, `1.5e3`) are floats in yaml_rs's result: the caller
    finds them there (state.py's schema check refuses floats; agrees_with_reference too)."""
    return any(pattern.search(text) for pattern in _LEADING_ZERO_NUMBER)


_PLAIN_BEFORE = frozenset(" \t\n[,{")
_PLAIN_AFTER = frozenset(" \t\n,]}#:")


def appears_plain(text: str, value: str) -> bool:
    """Does `value` occur in `text` unquoted, as a whole scalar? (Quoted it is a string in both.)"""
    pos = text.find(value)
    while pos != -1:
        end = pos + len(value)
        before = text[pos - 1] if pos else "\n"
        after = text[end] if end < len(text) else "\n"
        if before in _PLAIN_BEFORE and after in _PLAIN_AFTER:
            return True
        pos = text.find(value, end)
    return False


def typed_differently_by_pyyaml(value: str) -> bool:
    """Would PyYAML's YAML 1.1 resolvers read `value`, written plain, as something other than a str?"""
    return value[:1] in PYYAML_FIRST and PYYAML_TYPED.match(value) is not None


def agrees_with_reference(text: str, data: Any) -> bool:
    """Is yaml_rs's `data` certainly what PyYAML reads from `text`? (A generic walk; the state
    loader folds the same test into its schema check to walk a large file once.)"""
    if yaml12_int_suspect(text):
        return False
    ambiguous: set[str] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and typed_differently_by_pyyaml(item):
            ambiguous.add(item)
        elif isinstance(item, float):  # 1e3 is a float to YAML 1.2 only; `.5`/`1.5` agree
            return False
    return not any(appears_plain(text, value) for value in ambiguous)


class _StrictLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    """PyYAML's safe loader, refusing duplicate mapping keys (its default is "last one wins").

    A duplicate key in policy.yaml or state.yaml is a mistake whose silent resolution changes
    what awspan allows; yaml_rs refuses it too, so the loaders agree."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *base` merges; it is no duplicate
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # unhashable: PyYAML's own message follows
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} in one mapping", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


SLOW_NOTE_BYTES = 4_000_000
"""From this size on (about 5,000 instances of state.yaml), reading with PyYAML takes seconds: say why."""


def _note_slow(text: str, where: str, why: str) -> None:
    if len(text) >= SLOW_NOTE_BYTES:
        print(f"note: {where}: {len(text) / 1e6:.0f} MB read with PyYAML (slow): {why}", file=sys.stderr)


def _has_null_key(data: Any) -> bool:
    """Does a mapping hold a null key? yaml_rs reads a line `: value` (an empty key) as one where
    PyYAML refuses the document; whoever has a null key is read again by PyYAML, which decides.
    (state.yaml's schema check refuses every key it does not name, so its loader skips this walk.)"""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if None in item:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def load_yaml_text(
    text: str, where: str, *, fast: bool = False, usable: Callable[[str, Any], bool] | None = None
) -> Any:
    """Parse one YAML document of plain data; errors name `where` and the line.

    Both loaders see only text that passed `check_characters`, and both refuse duplicate keys.
    `fast=True` asks yaml_rs first when the text stays inside the subset both loaders read
    alike (see _OUTSIDE_COMMON_SUBSET); whatever yaml_rs refuses, PyYAML reads again so that
    the message (or the acceptance) is the reference's. Scalars still differ between YAML 1.2
    and 1.1 (`on`, `012`): `usable(text, data)` says whether yaml_rs's data is certainly what
    PyYAML reads (state.fast_result_usable; agrees_with_reference is the generic test); without
    it the caller checks, and a result with a null key is read again by PyYAML (_has_null_key).
    A large file on the slow path gets a one-line note on stderr.
    """
    text = check_characters(text, where)
    if fast:
        if _yaml_rs is None:
            _note_slow(text, where, "the yaml-rs package is not installed (pip install yaml-rs)")
        elif not _fast_path_allowed(text):
            _note_slow(text, where, "it uses tabs, tags, anchors or document markers")
        else:
            try:
                limits = _yaml_rs.AliasLimits(max_total_replayed_events=MAX_ALIAS_EXPANSION)
                data = _yaml_rs.loads(
                    text,
                    parse_datetime=False,
                    alias_limits=limits,
                    duplicate_key_policy=_yaml_rs.DuplicateKeyPolicy.Error,
                )
            except Exception:  # noqa: BLE001 - fall through to PyYAML for the precise message
                pass
            else:
                if usable is None and not _has_null_key(data) or usable is not None and usable(text, data):
                    return data
                _note_slow(text, where, "yaml_rs (YAML 1.2) may read some of its values differently")
    try:
        _check_alias_expansion(text, where)  # inside: its parse reports broken YAML like the load
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise AwspanError(f"invalid YAML: {line}{exc.problem or exc}", where=where) from None
    except yaml.YAMLError as exc:
        raise AwspanError(f"invalid YAML: {exc}", where=where) from None


def read_text(path: str | os.PathLike[str], what: str) -> str:
    """Read a UTF-8 input file: a regular file only (a FIFO or /dev/zero is refused, never read),
    at most MAX_FILE_BYTES; every failure is an AwspanError naming the file (generator.inputs)."""
    return read_input_text(path, what, max_bytes=MAX_FILE_BYTES)


def load_yaml_file(path: str | os.PathLike[str], what: str, *, fast: bool = False) -> Any:
    return load_yaml_text(read_text(path, what), str(path), fast=fast)


class _NoAliasDumper(_SafeDumper):  # type: ignore[misc, valid-type]
    """Never write anchors/aliases: equal sub-lists must stay readable in a diff."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


# Strings that a YAML 1.2 reader (yaml_rs) would take for a number, bool or null but
# PyYAML's 1.1 rules would write bare, such as "0o17" or "0O0": registering them as
# non-string scalars makes the dumper quote them, so both loaders read back a str.
_YAML12_NON_STRING = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*|0[oO][0-7]+|0[xX][0-9a-fA-F]+)
        |[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
        |true|True|TRUE|false|False|FALSE|null|Null|NULL|~)$""",
    re.X,
)
_NoAliasDumper.add_implicit_resolver(
    "tag:yaml.org,2002:int", _YAML12_NON_STRING, list("-+0123456789.tTfFnN~")
)


_BREAKS_TO_PYYAML = re.compile("[\x85\u2028\u2029\ufeff]")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """A string holding NEL, LINE/PARAGRAPH SEPARATOR or a BOM is written double-quoted, where
    PyYAML escapes them (`\\N`, `\\L`, `\\P`, `\\ufeff`): in its other styles it writes
    them raw, and check_characters (rightly) refuses a file holding them raw, so an instance
    Name with U+2028 made a state.yaml that generate could not read."""
    if _BREAKS_TO_PYYAML.search(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_str(value)


_NoAliasDumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """Deterministic YAML: key order as given (callers build ordered dicts), block style."""
    return yaml.dump(
        data,
        Dumper=_NoAliasDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=4096,
        explicit_start=False,
    )
