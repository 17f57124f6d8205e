"""Fragment -> XML bytes through Jinja2 (autoescape on), checked before anyone writes them.

Templates keep the XML shape editable by a site (`--templates DIR`) without touching Python;
because a template can be wrong, the output is never trusted. Every output is checked whole
for what PAN-OS rejects or a parser could misread: well-formed, with no entities, DTD, comments
or processing instructions (one expat pass). Schema validity (schemas/fragment.xsd) is checked:
- for a site's template, on the whole output (streamed: no tree of 100 MB is built);
- for the built-in template, on a sample: the same template rendered for a small fragment
  holding the first and last objects of each kind and one of every shape (protocols, port
  forms, member counts, empty descriptions, the longest names and descriptions). The model's
  values are checked where it is built (names, lengths, addresses), the template is ours and
  its shape is the same for every object, so re-validating 100,000 identical entries buys
  nothing and took a fifth of generate's time at 50,000 instances (docs/performance.md).
"""

from __future__ import annotations

import io
import os
import xml.parsers.expat
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import TypeVar

import jinja2
from lxml import etree

from generator.errors import AwspanError
from generator.generate.objects import Fragment
from generator.kinds import ALL_KINDS
from generator.resources import schema_path, templates_dir
from generator.xmlsafe import SAFE_OPTIONS, safe_parser

TEMPLATE = "fragment.xml.j2"
XSD = "fragment.xsd"
SAMPLE_ENDS = 8
"""Objects of each kind taken from each end of the list into the validated sample."""
_BATCH = 8192
"""Template pieces joined and encoded at a time: the output is built in one buffer, never as a
list of millions of small strings."""


def _environment(directory: str) -> jinja2.Environment:
    """A fresh environment per render: a site may edit its templates between two runs in one process."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(schema_path(XSD))))


def _parser() -> etree.XMLParser:
    return safe_parser(huge_tree=True, remove_blank_text=True, schema=_schema())


OBJECT_CONTAINERS = frozenset(ALL_KINDS)
"""The containers of the entries a fragment holds (generator.kinds): checked, then dropped."""


def render_fragment(
    fragment: Fragment,
    templates: str | os.PathLike[str] | None = None,
    *,
    tree: bool = False,
    sink: Callable[[bytes], None] | None = None,
) -> tuple[bytes, etree._Element | None]:
    """Render and check; returns (the bytes to write, the validated <config> root if `tree` else None).

    `sink` takes each encoded piece as it is made (pipeline.generate streams them into the
    output's temp file while the rest renders); the bytes returned are then b"" unless the whole
    output is validated (a site's template, `tree`). What the sink got is good only if this
    returns: an error raised here means the caller throws it away."""
    directory = str(Path(templates) if templates else templates_dir())
    where = str(Path(directory) / TEMPLATE)
    if templates and not (Path(directory) / TEMPLATE).is_file():
        raise AwspanError(f"no {TEMPLATE} in the templates directory", where=directory)
    template = _template(directory, where)
    whole = tree or bool(templates)  # a site's template: its shape may depend on the values
    if not whole:  # the built-in template: its shapes on a sample, before the real output is made
        _validate(_render(template, sample(fragment), where), where)
    data = _render(template, fragment, where, sink=sink, keep=whole or sink is None, check=True)
    if tree:
        return data, _validate(data, where, keep_tree=True)
    if templates:
        _validate(data, where)
    return data, None


def _template(directory: str, where: str) -> jinja2.Template:
    try:
        return _environment(directory).get_template(TEMPLATE)
    except jinja2.TemplateSyntaxError as exc:
        raise AwspanError(f"template syntax error: line {exc.lineno}: {exc.message}", where=where) from None
    except jinja2.TemplateError as exc:
        raise AwspanError(f"template error: {exc}", where=where) from None


def _render(
    template: jinja2.Template,
    fragment: Fragment,
    where: str,
    *,
    sink: Callable[[bytes], None] | None = None,
    keep: bool = True,
    check: bool = False,
) -> bytes:
    """The template's output as UTF-8: Jinja2's pieces joined and encoded _BATCH at a time
    (`islice` hands them to `join` without a Python step per piece), each batch checked for
    well-formedness as it comes when `check`, handed to `sink`, and kept in one buffer if `keep`."""
    out = io.BytesIO() if keep else None
    checker = _WellFormed(where) if check else None
    pieces = template.generate(
        fragment=fragment,
        path=fragment.location.path_elements(),
        rulebase=fragment.location.rulebase_elements(),
    )
    try:
        while batch := list(islice(pieces, _BATCH)):
            chunk = "".join(batch).encode("utf-8")
            if checker is not None:
                checker.feed(chunk)
            if sink is not None:
                sink(chunk)
            if out is not None:
                out.write(chunk)
    except jinja2.TemplateError as exc:
        raise AwspanError(f"template error: {exc}", where=where) from None
    if checker is not None:
        checker.close()
    return out.getvalue() if out is not None else b""


class _WellFormed:
    """The output parses as XML (expat in C: no tree), fed piece by piece, with no DTD, entity
    declaration, comment or processing instruction (PAN-OS rejects the last two pushed through
    the API; an XML declaration is allowed). The handlers run only when such markup appears."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.parser = xml.parsers.expat.ParserCreate()
        self.parser.StartDoctypeDeclHandler = self._refuse
        self.parser.EntityDeclHandler = self._refuse
        self.parser.CommentHandler = self._refuse_markup
        self.parser.ProcessingInstructionHandler = self._refuse_markup

    def _refuse(self, *_: object) -> None:
        raise AwspanError("the template produced a DTD or an entity declaration", where=self.where)

    def _refuse_markup(self, *_: object) -> None:
        raise AwspanError(
            "the fragment holds an XML comment or processing instruction (PAN-OS rejects them)",
            where=self.where,
        )

    def feed(self, data: bytes, final: bool = False) -> None:
        try:
            self.parser.Parse(data, final)
        except xml.parsers.expat.ExpatError as exc:
            raise AwspanError(
                f"the template produced malformed XML: {xml.parsers.expat.ErrorString(exc.code)}: "
                f"line {exc.lineno}, column {exc.offset + 1}",
                where=self.where,
            ) from None

    def close(self) -> None:
        self.feed(b"", final=True)


def _check_well_formed(data: bytes, where: str) -> None:
    """The whole of `data` well-formed, as _render checks it piece by piece (bench/profile.py)."""
    _WellFormed(where).feed(data, final=True)


def _validate(data: bytes, where: str, *, keep_tree: bool = False) -> etree._Element | None:
    """Validate against fragment.xsd, streamed (objects dropped once checked) unless the tree is wanted."""
    try:
        if keep_tree:
            return etree.fromstring(data, _parser())
        for _, entry in etree.iterparse(
            io.BytesIO(data), events=("end",), tag="entry", schema=_schema(), huge_tree=True, **SAFE_OPTIONS
        ):
            parent = entry.getparent()
            if parent is not None and parent.tag in OBJECT_CONTAINERS:
                entry.clear(keep_tail=False)
                while entry.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise AwspanError(
            f"the template produced XML that is malformed or does not match {XSD}: {exc}", where=where
        ) from None
    return None


T = TypeVar("T")


def _pick(items: Sequence[T], shape: Callable[[T], Hashable], size: Callable[[T], int]) -> tuple[T, ...]:
    """Both ends of `items`, the first item of each shape and the largest one, in their order."""
    chosen = set(range(min(SAMPLE_ENDS, len(items)))) | set(
        range(max(0, len(items) - SAMPLE_ENDS), len(items))
    )
    seen: set[Hashable] = set()
    largest, largest_size = -1, -1
    for i, item in enumerate(items):
        key = shape(item)
        if key not in seen:
            seen.add(key)
            chosen.add(i)
        n = size(item)
        if n > largest_size:
            largest, largest_size = i, n
    if largest >= 0:
        chosen.add(largest)
    return tuple(items[i] for i in sorted(chosen))


def _many(members: Sequence[str]) -> int:
    return min(len(members), 2)


def sample(fragment: Fragment) -> Fragment:
    """A small fragment that exercises every shape the built-in template can give this fragment."""
    return replace(
        fragment,
        addresses=_pick(
            fragment.addresses,
            lambda a: (":" in a.value, bool(a.description)),
            lambda a: len(a.name) + len(a.value) + len(a.description),
        ),
        groups=_pick(
            fragment.groups,
            lambda g: (_many(g.members), bool(g.description)),
            lambda g: len(g.name) + len(g.description) + max(map(len, g.members), default=0),
        ),
        services=_pick(
            fragment.services,
            lambda s: (s.protocol, "-" in s.port, "," in s.port),
            lambda s: len(s.name) + len(s.port),
        ),
        rules=_pick(
            fragment.rules,
            lambda r: (
                _many(r.sources),
                _many(r.destinations),
                _many(r.applications),
                _many(r.services),
                bool(r.description),
            ),
            lambda r: len(r.name) + len(r.description),
        ),
    )
