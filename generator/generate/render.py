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
from generator.generate.model import Fragment
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


OBJECT_CONTAINERS = frozenset({"tag", "address", "address-group", "service", "application", "rules"})


def render_fragment(
    fragment: Fragment, templates: str | os.PathLike[str] | None = None, *, tree: bool = False
) -> tuple[bytes, etree._Element | None]:
    """Render and check; returns (the bytes to write, the validated <config> root if `tree` else None)."""
    directory = str(Path(templates) if templates else templates_dir())
    where = str(Path(directory) / TEMPLATE)
    if templates and not (Path(directory) / TEMPLATE).is_file():
        raise AwspanError(f"no {TEMPLATE} in the templates directory", where=directory)
    template = _template(directory, where)
    data = _render(template, fragment, where)
    _check_well_formed(data, where)
    if tree:
        return data, _validate(data, where, keep_tree=True)
    if templates:  # a site's template: its shape may depend on the values, validate it all
        _validate(data, where)
    else:
        _validate(_render(template, sample(fragment), where), where)
    return data, None


def _template(directory: str, where: str) -> jinja2.Template:
    try:
        return _environment(directory).get_template(TEMPLATE)
    except jinja2.TemplateSyntaxError as exc:
        raise AwspanError(f"template syntax error: line {exc.lineno}: {exc.message}", where=where) from None
    except jinja2.TemplateError as exc:
        raise AwspanError(f"template error: {exc}", where=where) from None


def _render(template: jinja2.Template, fragment: Fragment, where: str) -> bytes:
    """The template's output as UTF-8, built in one buffer from Jinja2's stream of pieces (joined
    and encoded _BATCH at a time: `islice` hands them to `join` without a Python step per piece)."""
    out = io.BytesIO()
    pieces = template.generate(
        fragment=fragment,
        path=fragment.location.path_elements(),
        rulebase=fragment.location.rulebase_elements(),
    )
    try:
        while batch := list(islice(pieces, _BATCH)):
            out.write("".join(batch).encode("utf-8"))
    except jinja2.TemplateError as exc:
        raise AwspanError(f"template error: {exc}", where=where) from None
    return out.getvalue()


def _check_well_formed(data: bytes, where: str) -> None:
    """The whole output parses as XML (expat in C: no tree), with no DTD, entity declaration,
    comment or processing instruction (PAN-OS rejects the last two pushed through the API; an
    XML declaration is allowed). The handlers run only when such markup appears."""
    parser = xml.parsers.expat.ParserCreate()

    def refuse(*_: object) -> None:
        raise AwspanError("the template produced a DTD or an entity declaration", where=where)

    def refuse_markup(*_: object) -> None:
        raise AwspanError(
            "the fragment holds an XML comment or processing instruction (PAN-OS rejects them)", where=where
        )

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.CommentHandler = refuse_markup
    parser.ProcessingInstructionHandler = refuse_markup
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise AwspanError(
            f"the template produced malformed XML: {xml.parsers.expat.ErrorString(exc.code)}: "
            f"line {exc.lineno}, column {exc.offset + 1}",
            where=where,
        ) from None


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
