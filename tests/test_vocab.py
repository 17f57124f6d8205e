"""The schemas spell the vocabulary's name rules, and accept and reject exactly what it does.

generator/vocab.py is the one definition of each PAN-OS name rule; schemas/*.json (for
editors and for jsonschema) and schemas/fragment.xsd (generate's output check) each carry a
spelling of it. On a generated corpus (valid names, names one character too long, leading
`.`/`-`/space, a trailing newline, commas, quotes, control characters, non-ASCII), every
spelling must give the same answer as the vocabulary, through every Python path that applies
it: jsonschema (policy.yaml's messages), the compiled fast check (state.yaml's hot path), lxml's
XML Schema validator, generate's check_name, push's fragment reader and the emulator.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from emulator.validate import Validator
from generator import vocab
from generator.ecma import to_python
from generator.errors import AwspanError
from generator.generate.names import check_name
from generator.generate.schemacheck import compile_schema
from generator.location import Location
from generator.panos.config.fragment import parse_fragment
from generator.validate import _validator

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
XSD_NS = "{http://www.w3.org/2001/XMLSchema}"
RULES = [r for r in vars(vocab).values() if isinstance(r, vocab.NameRule) and r.schema_defs]

_ODD = ["\n", "\r", "\t", " ", ".", "-", "_", ",", "'", '"', "/", ":", "<", "&", "é",
        "\x00", "\x7f", "\u2028"]
_NAMEISH = st.text(alphabet=st.sampled_from(
    list("abcxyzABCXYZ0189") + ["-", "_", ".", " "] + _ODD), max_size=70)


def _around_limits(rule: vocab.NameRule) -> st.SearchStrategy[str]:
    base = st.sampled_from(["a", "_", "Z", "9", "a1-b_c.d e", "vsys1", "ssh", "web-browsing"])
    sizes = st.sampled_from([rule.max_length - 1, rule.max_length, rule.max_length + 1])
    return st.tuples(base, sizes).map(lambda t: (t[0] * rule.max_length)[: t[1]])


def corpus(rule: vocab.NameRule) -> st.SearchStrategy[str]:
    edits = st.tuples(_around_limits(rule), st.sampled_from(["", *_ODD]), st.booleans()).map(
        lambda t: t[1] + t[0] if t[2] else t[0] + t[1])
    return st.one_of(_NAMEISH, _around_limits(rule), edits)


def _json_def(spec: str) -> dict:
    file, name = spec.split("#")
    schema = json.loads((SCHEMAS / file).read_text())
    return schema["$defs"][name]


def _xsd_type(name: str) -> etree._Element:
    tree = etree.parse(str(SCHEMAS / "fragment.xsd"))
    found = tree.getroot().find(f"{XSD_NS}simpleType[@name='{name}']")
    assert found is not None, name
    return found


@cache
def _xsd_checker(name: str) -> etree.XMLSchema:
    """A one-element schema whose element has fragment.xsd's simple type `name`."""
    holder = etree.fromstring(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="v" type="t"/></xs:schema>')
    simple = _xsd_type(name)
    copy = etree.fromstring(etree.tostring(simple))
    copy.set("name", "t")
    holder.append(copy)
    return etree.XMLSchema(holder)


def _xml_safe(value: str) -> bool:
    return re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", value) is None


@cache
def _json_checkers(spec: str) -> tuple[jsonschema.protocols.Validator, object]:
    """awspan's jsonschema validator class and its fast check, both on a schema that is the def."""
    file, name = spec.split("#")
    schema = json.loads((SCHEMAS / file).read_text())
    wrapper = {"$defs": schema["$defs"], "$ref": f"#/$defs/{name}"}
    return type(_validator(file))(wrapper), compile_schema(wrapper)


def _json_accepts(spec: str, value: str) -> tuple[bool, bool]:
    """(jsonschema's answer, the fast check's answer) for `value` against the def."""
    slow, fast = _json_checkers(spec)
    return slow.is_valid(value), fast(value)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.what)
def test_every_schema_spells_the_rule_as_the_vocabulary_does(rule):
    for spec in rule.schema_defs:
        file, name = spec.split("#")
        if file.endswith(".json"):
            definition = _json_def(spec)
            assert definition["pattern"] == rule.pattern, spec
            assert definition["maxLength"] == rule.max_length, spec
        else:
            simple = _xsd_type(name)
            restriction = simple.find(f"{XSD_NS}restriction")
            assert restriction.find(f"{XSD_NS}pattern").get("value") == rule.xsd_pattern, spec
            assert int(restriction.find(f"{XSD_NS}maxLength").get("value")) == rule.max_length, spec


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.what)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_schemas_accept_and_reject_exactly_what_the_vocabulary_does(rule, data):
    value = data.draw(corpus(rule))
    expected = rule.accepts(value)
    for spec in rule.schema_defs:
        file, name = spec.split("#")
        if file.endswith(".json"):
            slow, fast = _json_accepts(spec, value)
            assert slow == expected, (spec, value)
            assert fast == expected, (spec, value)
        elif _xml_safe(value):
            element = etree.Element("v")
            element.text = value
            assert _xsd_checker(name).validate(element) == expected, (spec, value)


@settings(max_examples=300, deadline=None)
@given(value=corpus(vocab.OBJECT_NAME))
def test_generate_push_and_the_emulator_share_the_name_rule(value):
    expected = vocab.OBJECT_NAME.accepts(value)
    try:
        check_name(value, "test", "here")
        generate_ok = True
    except AwspanError:
        generate_ok = False
    assert generate_ok == expected, value

    if _xml_safe(value):
        rule = etree.Element("entry", name=value)
        etree.SubElement(etree.SubElement(rule, "tag"), "member").text = "awspan"
        config = etree.fromstring(
            "<config><devices><entry name='localhost.localdomain'><vsys><entry name='vsys1'>"
            "<rulebase><security><rules/></security></rulebase></entry></vsys></entry></devices></config>")
        config.find(".//rules").append(rule)
        try:
            parse_fragment(etree.tostring(config), Location(), "awspan", "fragment.xml")
            push_ok = True
        except AwspanError:
            push_ok = False
        assert push_ok == expected, value
        emulator_ok = not Validator()._name_errors("rule", rule, value)
        assert emulator_ok == expected, value


def test_a_trailing_newline_never_passes_a_pattern():
    assert to_python("^a$") == r"^a\Z"
    assert to_python(r"^[$]\$$") == r"^[$]\$\Z"
    for rule in RULES:
        assert not rule.accepts("vsys1\n") and not rule.accepts("ssh\n")


def test_protocol_tables_agree():
    """state.yaml names, PAN-OS names, numbers and App-IDs come from one table."""
    assert vocab.STATE_PROTOCOLS == {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
    assert vocab.PROTOCOL_APPS == {"47": ("gre", "gre"), "50": ("esp", "ipsec-esp"), "51": ("ah", "ipsec-ah")}
    assert {vocab.PROTOCOL_NUMBERS[p] for p in ("tcp", "udp", "sctp")} == set(vocab.PORT_PROTOCOLS)
    assert vocab.STATE_PORT_PROTOCOLS == vocab.SERVICE_PROTOCOLS == ("tcp", "udp")
    assert vocab.STATE_ICMP_PROTOCOLS == ("icmp", "icmpv6")
    for name, specs in vocab.PREDEFINED_SERVICES.items():
        assert name.startswith("service-") and all(p in vocab.SERVICE_PROTOCOLS for p, _ in specs)
    state_schema = json.loads((SCHEMAS / "state.schema.json").read_text())
    protocol = re.compile(to_python(state_schema["$defs"]["permission"]["properties"]["protocol"]["pattern"]))
    for key, name in vocab.STATE_PROTOCOLS.items():
        assert protocol.search(key) and protocol.search(name)
