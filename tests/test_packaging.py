"""What a user sees of the project before running it: licence, metadata, schemas their editor
loads, docs written for them, the deployment template's permissions, and the small tools."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator.collect.read_ec2 import PAGE_SIZES
from generator.text import count, plural

tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11+")
ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_license_file_is_the_apache_2_text_the_metadata_names() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert PYPROJECT["license"] == "Apache-2.0" and PYPROJECT["license-files"] == ["LICENSE"]
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text and len(text) > 10_000  # the full text, not a pointer


def test_metadata_has_author_classifiers_and_urls() -> None:
    assert PYPROJECT["authors"] and all(a.get("name") for a in PYPROJECT["authors"])
    classifiers = PYPROJECT["classifiers"]
    assert "Topic :: System :: Networking :: Firewalls" in classifiers
    assert f"Programming Language :: Python :: 3.{int(PYPROJECT['requires-python'][-2:])}" in classifiers
    assert {"Homepage", "Repository", "Documentation", "Issues"} <= set(PYPROJECT["urls"])
    assert all(u.startswith(PYPROJECT["urls"]["Repository"]) for u in PYPROJECT["urls"].values())


@pytest.mark.parametrize("name", ["policy", "state"])
def test_schema_id_is_under_the_repository_and_examples_name_their_schema(name: str) -> None:
    schema = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text())
    owner_repo = PYPROJECT["urls"]["Repository"].removeprefix("https://github.com/")
    assert schema["$id"] == f"https://raw.githubusercontent.com/{owner_repo}/main/schemas/{name}.schema.json"
    first = (ROOT / "examples" / f"{name}.yaml").read_text().splitlines()[0]
    assert first == f"# yaml-language-server: $schema=../schemas/{name}.schema.json"
    assert (ROOT / "examples" / first.split("=", 1)[1]).resolve() == ROOT / "schemas" / f"{name}.schema.json"


def test_design_doc_speaks_to_users_and_contributors_only() -> None:
    text = (ROOT / "docs" / "design.md").read_text()
    for phrase in ("a copy of", "shared/design.md", "issue note", "say so in your"):
        assert phrase not in text, phrase


def test_template_grants_exactly_the_ec2_calls_collect_makes_and_the_docs_list() -> None:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)  # CloudFormation tags
    template = yaml.load((ROOT / "deploy" / "template.yaml").read_text(), Loader=Loader)  # noqa: S506
    [function] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    policies = [p for p in function["Properties"]["Policies"] if isinstance(p, dict)]  # !If ones are None
    statements = [s for p in policies for s in p["Statement"]]
    granted = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
               if a.startswith("ec2:")}
    made = {f"ec2:{op}" for op in PAGE_SIZES}
    documented = set(re.findall(r'"(ec2:[A-Za-z]+)"', (ROOT / "docs" / "collect.md").read_text()))
    assert granted == made == documented


def test_lambda_zip_without_a_policy_source_fails_and_says_both_ways(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from devtools.lambda_package import main as package_main

    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert package_main(["--output", str(tmp_path / "x.zip"), "--runtime", here]) == 1
    err = capsys.readouterr().err
    assert "no policy: the function reads /var/task/policy.yaml unless AWSPAN_CONFIG says otherwise" in err
    assert "POLICY=policy.yaml" in err and "POLICY_FROM_ENV=1" in err
    assert not (tmp_path / "x.zip").exists()
    assert "--policy-from-env" in (ROOT / "Makefile").read_text()
    assert "POLICY_FROM_ENV=1" in (ROOT / "docs" / "events.md").read_text()


@pytest.mark.slow
def test_moto_server_help_says_what_it_does_and_sigterm_stops_it(tmp_path: Path) -> None:
    helped = subprocess.run([sys.executable, "-m", "devtools.moto_server", "--help"],
                            capture_output=True, text=True, timeout=60, check=True)
    assert "until Ctrl-C or SIGTERM" in " ".join(helped.stdout.split())
    assert "stdin" not in helped.stdout
    proc = subprocess.Popen([sys.executable, "-m", "devtools.moto_server"], stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(("n", "word", "text"), [
    (1, "VPC", "1 VPC"), (2, "VPC", "2 VPCs"), (0, "address", "0 addresses"), (1, "address", "1 address"),
    (3, "address group", "3 address groups"), (1200, "rule", "1,200 rules"),
    (2, "prefix list", "2 prefix lists"),
])
def test_counts_use_the_right_plural(n: int, word: str, text: str) -> None:
    assert count(n, word) == text
    assert plural("service") == "services"


def test_an_unexpected_failure_is_one_line_that_says_what_to_do(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    import generator.generate.step as command
    from generator.cli.main import main

    def broken(*_: object, **__: object) -> None:
        raise ValueError("line one\nline two <!doctype html>" + "x" * 1000)

    monkeypatch.setattr(command, "generate", broken)
    assert main(["generate"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) < 500
    assert err.startswith("awspan generate: error: unexpected ValueError: line one line two")
    assert err.rstrip().endswith("run again with --debug for the traceback and report it)")
