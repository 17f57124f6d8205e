"""Where the templates and schemas are, in a checkout and after `pip install .`.

In the repository they live at the top level (templates/, schemas/), as the design card
fixes; the wheel ships them inside the package as generator/_data/. Look in the package
first, then beside it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from generator.errors import AwspanError

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The directory `templates` or `schemas`, installed or in the checkout."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise AwspanError(f"the {name}/ directory is missing from the installation", where=str(_PACKAGE))


def templates_dir() -> Path:
    return data_dir("templates")


def schema_path(filename: str) -> Path:
    return data_dir("schemas") / filename


@cache
def load_json_schema(filename: str) -> dict[str, Any]:
    """A JSON Schema from schemas/, parsed once per process."""
    with open(schema_path(filename), encoding="utf-8") as fh:
        return json.load(fh)
