"""The emulator judges on its own: it never imports the product.

When seven emulator modules read the product's vocabulary, address parser, ICMP helper and XML
parser, a wrong belief passed on both sides (issue 20: the 5 MB limit, config-locks without
`<vsys>`, traceroute's UDP ports). These tests fail the moment any emulator module imports
`generator`, written as an import statement or loaded by name at run time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = ROOT / "emulator"
PRODUCT = "generator"


def _is_product(name: str | None) -> bool:
    return bool(name) and (name == PRODUCT or name.startswith(PRODUCT + "."))


def product_imports(source: str) -> list[str]:
    """Every way a module's text names the product as something to import."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if _is_product(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_product(node.module):
            found.append(node.module)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            value = node.args[0].value
            if name in ("import_module", "__import__") and isinstance(value, str) and _is_product(value):
                found.append(value)
    return found


def test_the_scanner_sees_every_form_of_import():
    source = ("import generator\nimport generator.addresses as a\nfrom generator.panos import vocab\n"
              "import importlib\nimportlib.import_module('generator.xmlsafe')\n__import__('generator')\n"
              "from emulator import model\nimport generators_elsewhere\n")
    assert product_imports(source) == ["generator", "generator.addresses", "generator.panos",
                                       "generator.xmlsafe", "generator"]


def test_no_emulator_module_imports_the_product():
    modules = sorted(EMULATOR.rglob("*.py"))
    assert len(modules) > 15  # the scan really reads the package
    offenders = {str(path.relative_to(ROOT)): names for path in modules
                 if (names := product_imports(path.read_text(encoding="utf-8")))}
    assert offenders == {}, f"the emulator imports the product: {offenders}"


def test_importing_every_emulator_module_loads_nothing_of_the_product():
    """At run time too: a fresh interpreter imports the whole emulator, and no `generator` module
    may be loaded by then (this catches an import hidden behind a helper)."""
    script = (
        "import importlib, pkgutil, sys\n"
        "import emulator\n"
        "for info in pkgutil.walk_packages(emulator.__path__, 'emulator.'):\n"
        "    importlib.import_module(info.name)\n"
        "from emulator import EmulatorServer\n"
        "with EmulatorServer() as emu:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m == 'generator' or m.startswith('generator.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.strip() == "[]"
