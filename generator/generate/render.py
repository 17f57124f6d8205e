"""Fragment -> XML bytes through Jinja2 (autoescape on), parsed back and validated.

Templates keep the XML shape editable by a site (`--templates DIR`) without touching Python;
because a template can be wrong, the output is never trusted: it is parsed back with lxml
(no entities, no network), must contain no comments or processing instructions (PAN-OS
rejects them), and must validate against schemas/fragment.xsd before anyone writes it.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import jinja2
from lxml import etree

from generator.errors import AwspanError
from generator.generate.model import Fragment
from generator.resources import schema_path, templates_dir

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
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False)


def render_fragment(
    fragment: Fragment, templates: str | os.PathLike[str] | None = None
) -> tuple[bytes, etree._Element]:
    """Render, parse back and validate; returns (the bytes to write, the parsed <config> root)."""
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
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise AwspanError(f"the template produced malformed XML: {exc}", where=where) from None
    return data, check_fragment(root, where)


def check_fragment(root: etree._Element, where: str) -> etree._Element:
    """Refuse comments/PIs and anything fragment.xsd does not allow."""
    if root.xpath("boolean(//comment() | //processing-instruction())"):
        raise AwspanError(
            "the fragment holds an XML comment or processing instruction (PAN-OS rejects them)", where=where
        )
    schema = _schema()
    if not schema.validate(root):
        err = schema.error_log.last_error
        raise AwspanError(f"the fragment does not match {XSD}: line {err.line}: {err.message}", where=where)
    return root
