"""Fragment -> XML bytes through Jinja2 (autoescape on), parsed back and validated.

Templates keep the XML shape editable by a site (`--templates DIR`) without touching Python;
because a template can be wrong, the output is never trusted: it is parsed back with lxml
(no entities, no network), must contain no comments or processing instructions (PAN-OS
rejects them), and must validate against schemas/fragment.xsd before anyone writes it.
"""

from __future__ import annotations

import io
import os
from functools import lru_cache
from pathlib import Path

import jinja2
from lxml import etree

from generator.errors import AwspanError
from generator.generate.model import Fragment
from generator.resources import schema_path, templates_dir
from generator.xmlsafe import SAFE_OPTIONS, safe_parser

TEMPLATE = "fragment.xml.j2"
XSD = "fragment.xsd"


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
    """Render, parse back and validate; returns (the bytes to write, the parsed <config> root or None).

    With `tree=False` the document is validated while streaming through it and each object is
    dropped once checked, so a 100 MB fragment does not cost a 500 MB tree; the already-allowed
    check asks for the tree.
    """
    directory = str(Path(templates) if templates else templates_dir())
    where = str(Path(directory) / TEMPLATE)
    if templates and not (Path(directory) / TEMPLATE).is_file():
        raise AwspanError(f"no {TEMPLATE} in the templates directory", where=directory)
    try:
        template = _environment(directory).get_template(TEMPLATE)
        text = template.render(
            fragment=fragment,
            path=fragment.location.path_elements(),
            rulebase=fragment.location.rulebase_elements(),
        )
    except jinja2.TemplateSyntaxError as exc:
        raise AwspanError(f"template syntax error: line {exc.lineno}: {exc.message}", where=where) from None
    except jinja2.TemplateError as exc:
        raise AwspanError(f"template error: {exc}", where=where) from None
    data = text.encode("utf-8")
    del text
    _check_markup(data, where)
    try:
        if tree:
            return data, etree.fromstring(data, _parser())
        for _, entry in etree.iterparse(
            io.BytesIO(data),
            events=("end",),
            tag="entry",
            schema=_schema(),
            huge_tree=True,
            **SAFE_OPTIONS,
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
    return data, None


def _check_markup(data: bytes, where: str) -> None:
    """PAN-OS rejects comments and processing instructions pushed through the API. Escaped text
    never holds a literal '<', so a byte search is exact (an XML declaration is allowed)."""
    body = data[data.index(b"?>") + 2 :] if data.startswith(b"<?xml") else data
    if b"<!--" in body or b"<?" in body:
        raise AwspanError(
            "the fragment holds an XML comment or processing instruction (PAN-OS rejects them)", where=where
        )
