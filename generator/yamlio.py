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


def load_yaml_text(text: str, where: str, *, fast: bool = False) -> Any:
    """Parse one YAML document of plain data; errors name `where` and the line."""
    if fast and _yaml_rs is not None:
        try:
            limits = _yaml_rs.AliasLimits(max_total_replayed_events=MAX_ALIAS_EXPANSION)
            return _yaml_rs.loads(text, parse_datetime=False, alias_limits=limits)
        except Exception:  # noqa: BLE001 - fall through to PyYAML for the precise message
            pass
    _check_alias_expansion(text, where)
    try:
        return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a safe loader
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
