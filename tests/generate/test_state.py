"""state.yaml loading: the fast paths (yaml_rs, compiled schema check) agree with the references."""

from __future__ import annotations

import copy

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import AwspanError
from generator.generate.schemacheck import compile_schema
from generator.generate.state import fast_result_usable, load_state
from generator.resources import load_json_schema
from generator.yamlio import dump_yaml, fast_loader_available, load_yaml_text
from tests.generate.helpers import STATE, example_state_data, fast_loader_required
from tests.generate.strategies import states

if fast_loader_required():
    import yaml_rs  # the install rule puts it here: a missing module fails these tests, never skips them
else:
    yaml_rs = pytest.importorskip("yaml_rs", reason="yaml-rs publishes no wheel for this platform")

SCHEMA = load_json_schema("state.schema.json")
FAST = compile_schema(SCHEMA)
REFERENCE = jsonschema.Draft202012Validator(SCHEMA)


def test_fast_loader_is_installed_for_the_tests():
    assert fast_loader_available()


def test_yaml_rs_and_pyyaml_read_the_example_state_alike():
    text = STATE.read_text()
    assert yaml_rs.loads(text, parse_datetime=False) == yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state=states())
def test_yaml_rs_and_pyyaml_read_generated_states_alike(state):
    text = dump_yaml(state)
    fast = load_yaml_text(text, "state.yaml", fast=True)
    assert fast == yaml.load(text, Loader=yaml.CSafeLoader) == state  # noqa: S506


def test_yaml_1_1_scalars_are_read_as_pyyaml_reads_them(tmp_path):
    """`name: on` is True for PyYAML (YAML 1.1) but "on" for yaml_rs: the schema check catches the
    difference and the file is re-read with PyYAML, so the error is PyYAML's truth."""
    data = example_state_data()
    text = dump_yaml(data).replace("name: web-1", "name: on", 1)
    path = tmp_path / "state.yaml"
    path.write_text(text)
    with pytest.raises(Exception) as err:
        load_state(path)
    assert "vpcs[0].instances[0].name" in str(err.value) and "True" in str(err.value)


# -- the compiled schema check says exactly what jsonschema says --------------------------------

MUTATIONS = [
    lambda s: s["vpcs"][0].__setitem__("extra", 1),
    lambda s: s["vpcs"][0]["security_groups"][0]["ingress"][0].__setitem__("from_port", "22"),
    lambda s: s["vpcs"][0]["security_groups"][0]["ingress"][0].__setitem__("to_port", 65536),
    lambda s: s["vpcs"][0]["security_groups"][0]["ingress"][0].__setitem__("from_port", -2),
    lambda s: s["vpcs"][0]["security_groups"][0]["ingress"][0].__setitem__("from_port", True),
    lambda s: s["vpcs"][0]["security_groups"][0]["ingress"][0].__setitem__("protocol", "gre"),
    lambda s: s["vpcs"][0]["security_groups"][0]["ingress"][0].__setitem__("cidrs", "0.0.0.0/0"),
    lambda s: s["vpcs"][0]["security_groups"][0].pop("id"),
    lambda s: s["vpcs"][0]["instances"][0].__setitem__("state", "Running"),
    lambda s: s["vpcs"][0]["interfaces"][0].__setitem__("public_ip", 5),
    lambda s: s["vpcs"][0]["interfaces"][0].__setitem__("status", "In Use"),
    lambda s: s["vpcs"][0]["interfaces"][0].__setitem__("requester_managed", "no"),
    lambda s: s["vpcs"][0]["interfaces"][0].__setitem__("ipv4_prefixes", ["10.0.0.0"]),
    lambda s: s["vpcs"][0]["interfaces"][0].pop("status"),
    lambda s: s["vpcs"][0]["instances"][0].__setitem__("interfaces", []),
    lambda s: s["vpcs"][0]["route_tables"][0].__setitem__("main", "yes"),
    lambda s: s["vpcs"][0]["route_tables"][0]["routes"][0].__setitem__("destination", "default"),
    lambda s: s["vpcs"][0].__setitem__("account", "12345"),
    lambda s: s["vpcs"][0]["subnets"][0].__setitem__("cidr", "x/1"),
    lambda s: s["vpcs"][0]["prefix_lists"][0].__setitem__("name", "n" * 5000),
    lambda s: s["vpcs"][0].__setitem__("id", ""),
    lambda s: s.__setitem__("version", True),
    lambda s: s.__setitem__("version", 1.0),
    lambda s: s.__setitem__("vpcs", {}),
    lambda s: s["vpcs"].append(None),
]


@pytest.mark.parametrize("index", range(len(MUTATIONS)))
def test_compiled_check_agrees_with_jsonschema_on_broken_documents(index):
    state = example_state_data()
    assert FAST(state) and REFERENCE.is_valid(state)
    MUTATIONS[index](state)
    assert FAST(state) == REFERENCE.is_valid(state)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    state=states(),
    path_seed=st.integers(0, 10**6),
    value=st.one_of(
        st.none(), st.booleans(), st.integers(-3, 70000), st.text(max_size=5), st.just([]), st.just({})
    ),
)
def test_compiled_check_agrees_with_jsonschema_on_random_damage(state, path_seed, value):
    """Replace one random node of a valid state with a random value: both checks must agree."""
    damaged = copy.deepcopy(state)
    nodes = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                nodes.append((node, k))
                walk(v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                nodes.append((node, i))
                walk(v)

    walk(damaged)
    parent, key = nodes[path_seed % len(nodes)]
    parent[key] = value
    assert FAST(damaged) == REFERENCE.is_valid(damaged)


def test_yaml_1_2_only_numbers_are_read_as_pyyaml_reads_them(tmp_path):
    """`from_port: 0o17` is 15 for yaml_rs but the string "0o17" for PyYAML: PyYAML decides."""
    text = dump_yaml(example_state_data()).replace("from_port: 443", "from_port: 0o17", 1)
    path = tmp_path / "state.yaml"
    path.write_text(text)
    with pytest.raises(Exception) as err:
        load_state(path)
    assert "from_port" in str(err.value) and "0o17" in str(err.value)


def test_the_fast_path_is_taken_for_ordinary_states():
    """The guards must not send every real state to PyYAML: quoted account ids and IPv6 text
    such as ::1e5 are fine; the same id unquoted, or a YAML-1.1-only scalar, is not."""
    data = example_state_data()
    data["vpcs"][0]["interfaces"][0]["ipv6_addresses"] = ["2600:1f18::1e5"]
    text = dump_yaml(data)
    assert "'111122223333'" in text
    assert fast_result_usable(text, yaml_rs.loads(text, parse_datetime=False))
    plain = text.replace("'111122223333'", "111122223333")
    assert not fast_result_usable(plain, yaml_rs.loads(plain, parse_datetime=False))
    on = text.replace("name: web-1", "name: on")
    assert not fast_result_usable(on, yaml_rs.loads(on, parse_datetime=False))


def _reference_state(text: str) -> object:
    """What load_state must give for `text`: PyYAML's reading, checked and normalised (or its error)."""
    from generator.generate.state import parse_state

    try:
        return parse_state(yaml.load(text, Loader=yaml.CSafeLoader))  # noqa: S506
    except Exception as exc:  # noqa: BLE001 - the outcome is compared, whatever it is
        return ("error", str(exc).split(": ", 1)[-1])


@pytest.mark.parametrize(
    "old, new",
    [
        ("from_port: 443", "from_port: 0443"),  # YAML 1.1: octal; 1.2: 443
        ("from_port: 443", "from_port: 012"),  # 10 for PyYAML, 12 for yaml_rs
        ("from_port: 443", "from_port:   012"),
        ("from_port: 443", "from_port:\n        012"),  # the value on the next line
        ("from_port: 443", "from_port: # a comment\n        012"),
        ("from_port: 443", "from_port: -012"),
        ("from_port: 443", "from_port: 0o17"),
        ("from_port: 443", "from_port: 4.43e2"),  # a float for yaml_rs, a string for PyYAML
        ("from_port: 443", "from_port: 1e3"),
        ("from_port: 443", "from_port: 443.0"),  # a float for both: JSON Schema's integer admits it
        ("from_port: 443", "from_port: 0x1BB"),  # 443 for both
        ("version: 2", "version: 2e0"),  # const 2: yaml_rs's 2.0 would pass it, PyYAML's "2e0" not
        ("version: 2", "version: 2.0"),
    ],
)
def test_numbers_yaml_1_1_and_1_2_read_differently_are_read_as_pyyaml_reads_them(tmp_path, old, new):
    """Every plain number whose reading differs between YAML 1.2 (yaml_rs) and 1.1 (PyYAML) ends
    as PyYAML reads it, wherever it sits; ordinary ports keep the fast path."""
    text = STATE.read_text()
    assert old in text
    changed = text.replace(old, new, 1)
    path = tmp_path / "state.yaml"
    path.write_text(changed)
    try:
        got: object = load_state(path)
    except Exception as exc:  # noqa: BLE001
        got = ("error", str(exc).split(": ", 1)[-1])
    assert got == _reference_state(changed)


def test_flow_style_leading_zero_numbers_leave_the_fast_path():
    text = STATE.read_text().replace("from_port: 443", "from_port: [012]", 1)
    from generator.yamlio import yaml12_int_suspect

    assert yaml12_int_suspect(text)
    assert yaml12_int_suspect('{"from_port":012}') and yaml12_int_suspect("a: [1, 012]")
    assert yaml12_int_suspect("a: # the port\n  012\n") and yaml12_int_suspect("  0o17\n")
    assert not yaml12_int_suspect(STATE.read_text())  # ids such as sg-0123 are no numbers


RECURSIVE = {
    "$defs": {
        "node": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "pattern": "^[a-z]+$"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            },
        }
    },
    "$ref": "#/$defs/node",
}


def _nested(depth: int, leaf: object) -> object:
    node: object = {"name": "leaf", "children": []} if leaf is None else leaf
    for _ in range(depth):
        node = {"name": "a", "children": [node]}
    return node


@pytest.mark.parametrize("depth", [0, 1, 5, 30])
@pytest.mark.parametrize("leaf", [None, {"name": "BAD"}, {"name": "x", "extra": 1}, {"children": []}, 5])
def test_compiled_check_follows_recursive_refs_and_deep_nesting(depth, leaf):
    """A recursive $ref and nesting deeper than one generated function may hold: jsonschema's answers."""
    document = _nested(depth, leaf)
    reference = jsonschema.Draft202012Validator(RECURSIVE)
    assert compile_schema(RECURSIVE)(document) == reference.is_valid(document)


def test_compiled_check_nests_past_pythons_block_limit():
    """Python refuses more than 20 nested blocks; a schema nested deeper still compiles and agrees."""
    schema: dict = {"type": "string"}
    for _ in range(25):
        schema = {"type": "array", "items": schema}
    ok: object = "s"
    for _ in range(25):
        ok = [ok]
    check = compile_schema(schema)
    reference = jsonschema.Draft202012Validator(schema)
    assert check(ok) and reference.is_valid(ok)
    deep_wrong: object = 5
    for _ in range(25):
        deep_wrong = [deep_wrong]
    assert not check(deep_wrong) and not reference.is_valid(deep_wrong)


def test_a_version_1_state_is_refused_at_once_with_the_fix(tmp_path, capsys, monkeypatch):
    """An older awspan's state.yaml (interfaces inside instances) is refused on the fast path's
    reading already, not after a slow PyYAML reparse of a file that is refused anyway."""
    monkeypatch.setattr("generator.yamlio.SLOW_NOTE_BYTES", 0)  # say every fallback to PyYAML
    path = tmp_path / "state.yaml"
    path.write_text("version: 1\nvpcs:\n- id: vpc-0a11b22c33d44e55f\n  instances:\n"
                    "  - id: i-0a00000000000a001\n    state: running\n    interfaces: []\n")
    with pytest.raises(AwspanError) as err:
        load_state(path)
    assert "re-run `awspan collect`" in str(err.value) and str(path) in str(err.value)
    if fast_loader_available():
        assert "read with PyYAML" not in capsys.readouterr().err
