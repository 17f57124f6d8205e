"""The layers of generator/ stay a stack: no import cycle, and no module outside the contract.

`lint-imports` (make test, make lint) checks pyproject.toml's contracts: nothing imports a layer
above its own. A layers contract says nothing about imports *within* a layer, or inside one
package (`collect.step` -> `pipeline` -> `generate.step` -> `pipeline` went round unseen). So
this test finds every import cycle in the graph grimp builds of generator/: between modules,
and between the parts of every package (its subpackages and modules, each with everything
inside it). Lazy imports (inside a function) count: they run, and a cycle through one is the
same knot. `if TYPE_CHECKING:` imports count too: a type a lower module needs from a higher
one belongs below both (rulematch's CountedRule moved to atoms.py for that reason).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import grimp
import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - import-linter brings tomli on 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("generator", exclude_type_checking_imports=False)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan's, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    nodes = sorted(set(edges) | {t for ts in edges.values() for t in ts})
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _example(graph: grimp.ImportGraph, component: list[str], part_of) -> str:  # noqa: ANN001
    """One import per edge of the component, so that the failure says where to cut."""
    lines = []
    members = set(component)
    for m in sorted(graph.modules):
        a = part_of(m)
        if a not in members:
            continue
        for t in sorted(graph.find_modules_directly_imported_by(m)):
            b = part_of(t)
            if b in members and b != a:
                lines.append(f"  {m} -> {t}")
    return "\n".join(lines[:20])


def test_cycles_finds_a_knot() -> None:
    """The finder itself: a triangle is one cycle, a chain none."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}}) == []


def test_no_import_cycle_between_modules(graph: grimp.ImportGraph) -> None:
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    found = cycles(edges)
    assert not found, "import cycles between modules of generator/:\n" + "\n".join(
        _example(graph, c, lambda m: m) for c in found)


def _packages(graph: grimp.ImportGraph) -> list[str]:
    return sorted(m for m in graph.modules if graph.find_children(m))


@pytest.mark.parametrize("package", _packages(grimp.build_graph("generator")))
def test_no_import_cycle_between_the_parts_of_a_package(graph: grimp.ImportGraph, package: str) -> None:
    """generator's subpackages and modules, panos's subpackages, ...: each part with everything
    inside it; the package's own __init__ is not a part (it may gather its parts)."""
    prefix = package + "."

    def part_of(module: str) -> str | None:
        if not module.startswith(prefix):
            return None
        return prefix + module[len(prefix):].split(".")[0]

    edges: dict[str, set[str]] = defaultdict(set)
    for m in graph.modules:
        a = part_of(m)
        if a is None:
            continue
        for t in graph.find_modules_directly_imported_by(m):
            b = part_of(t)
            if b is not None and b != a:
                edges[a].add(b)
    found = cycles(edges)
    assert not found, f"import cycles between the parts of {package}:\n" + "\n".join(
        _example(graph, c, part_of) for c in found)


def test_every_module_is_in_a_layer(graph: grimp.ImportGraph) -> None:
    """A module the layers contract does not name is not checked by it: a new module must be
    given its layer in pyproject.toml (and docs/architecture.md)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["id"] == "layers")
    named = {part.strip() for layer in contract["layers"] for part in layer.replace(":", "|").split("|")}
    outside = sorted(m for m in graph.modules if m != "generator"
                     and not any(m == n or m.startswith(n + ".") for n in named))
    # a package that only holds layers (generator.panos) is outside them: its __init__ imports nothing
    holders = [m for m in outside if any(n.startswith(m + ".") for n in named)]
    assert [m for m in outside if m not in holders] == []
    assert {m: graph.find_modules_directly_imported_by(m) for m in holders} == {m: set() for m in holders}


def test_the_product_imports_no_test_tool() -> None:
    """Also a contract of lint-imports; here so that pytest alone says it too."""
    externals = {m.split(".")[0] for m in grimp.build_graph(
        "generator", include_external_packages=True).modules} - {"generator"}
    assert externals.isdisjoint({"emulator", "devtools", "bench", "tests"})
