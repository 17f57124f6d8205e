"""One policy.yaml writer for every test package.

Each package used to spell its own minimal policy (as YAML text, as a dict, or by editing the
example file); a required key added to the schema then meant editing a dozen copies. Here a
policy is a document: the minimal valid one (or a `base`: examples/policy.yaml, the seeded
estate's), the firewall settings the commands that talk to a firewall need when `url` is given,
and per-section overrides on top (`rules={"bottom_rule": "x"}`; a key set to OMIT is left out). Tests that are
about YAML *text* (the YAML gate, a 10 MB value, a NUL byte) edit text themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.yamlio import dump_yaml, load_yaml_file

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "policy.yaml"


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


OMIT: Any = _Omit()
"""A section key set to OMIT is left out of the document (e.g. `firewall={"admin": OMIT}`)."""

MINIMAL: dict[str, dict[str, Any]] = {
    "firewall": {"instance_id": "i-0123456789abcdef0"},
    "rules": {"bottom_rule": "clean-up", "from_zone": "untrust", "to_zone": "trust"},
    "aws": {"regions": ["us-east-1"]},
}
"""What the schema requires and nothing else: enough for collect, generate and the Lambda in log mode."""

FIREWALL: dict[str, Any] = {"location": {"vsys": "vsys1"}, "admin": "automation", "commit_timeout": 30}
"""With a `url`: the emulator's default vsys, the admin whose key the tests use (`admin` makes push
check the key's owner), and a commit timeout short enough for a test that waits on one."""


DG1_PRE: dict[str, str] = {"device_group": "dg1", "rulebase": "pre"}
"""The emulator's Panorama device group, pre-rulebase: `firewall={"location": DG1_PRE}`."""


def example_policy() -> dict[str, Any]:
    """examples/policy.yaml as a document: generate-ready (route targets, profile group, ...)."""
    return load_yaml_file(EXAMPLE, "example policy")


def policy_document(url: Any = OMIT, *, base: dict[str, Any] | None = None,
                    **sections: dict[str, Any] | None) -> dict[str, Any]:
    """The document write_policy writes: `url` may be a list (an HA pair) or None (no URL: the
    environment's, or an error); with a `base`, `url` only sets the URL."""
    doc: dict[str, Any] = {key: dict(value) for key, value in (base or MINIMAL).items()}
    if url is not OMIT:
        doc["firewall"] = {**doc["firewall"], **({} if base else FIREWALL), "url": url}
    for name, overrides in sections.items():
        if overrides is None:
            doc.pop(name, None)
            continue
        section = {**doc.get(name, {}), **overrides}
        doc[name] = {k: v for k, v in section.items() if v is not OMIT}
    return doc


def write_policy(where: Path, url: Any = OMIT, *, base: dict[str, Any] | None = None,
                 env: pytest.MonkeyPatch | None = None, **sections: dict[str, Any] | None) -> Path:
    """Write policy_document(...) to `where` (a directory gets `policy.yaml`); with `env`, point
    AWSPAN_CONFIG at it too (the Lambda's way of finding it)."""
    path = where / "policy.yaml" if where.is_dir() else where
    path.write_text(dump_yaml(policy_document(url, base=base, **sections)), encoding="utf-8")
    if env is not None:
        env.setenv("AWSPAN_CONFIG", str(path))
    return path
