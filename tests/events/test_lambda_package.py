"""`make lambda-zip`: the deployment package is complete, deterministic and runs the handler
with nothing but the zip and the runtime's own boto3 on the path."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest

from devtools.lambda_package import main as package_main
from tests.policies import write_policy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("lambda")
    write_policy(work, events={"mode": "log"})
    output = work / "build" / "awspan-lambda.zip"
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    policy = str(work / "policy.yaml")
    assert package_main(["--output", str(output), "--policy", policy, "--runtime", here]) == 0
    return output


@pytest.mark.slow
def test_zip_holds_the_project_its_dependencies_and_the_policy(package):
    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
        infos = archive.infolist()
    tops = {name.split("/")[0] for name in names}
    for needed in ("generator", "yaml", "lxml", "jinja2", "jsonschema", "requests", "urllib3"):
        assert needed in tops, needed
    assert "generator/events/lambda_handler.py" in names
    assert "generator/_data/schemas/policy.schema.json" in names  # the wheel's force-include
    templates = sorted(p.name for p in (ROOT / "templates").glob("*.j2"))
    assert templates and all(f"generator/_data/templates/{t}" in names for t in templates)
    assert "policy.yaml" in names
    assert not tops & {"boto3", "botocore", "s3transfer", "dateutil"}, "the runtime provides these"
    assert not tops & {"emulator", "devtools", "bench", "tests"}, "test and demo tooling stays out"
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n or n.endswith("direct_url.json")]
    assert names == set(sorted(names)) and [i.filename for i in infos] == sorted(names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.slow
def test_two_builds_are_byte_identical(package, tmp_path):
    again = tmp_path / "again.zip"
    policy = write_policy(tmp_path, events={"mode": "log"})
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert package_main(["--output", str(again), "--policy", str(policy), "--runtime", here]) == 0
    assert again.read_bytes() == package.read_bytes()


@pytest.mark.slow
def test_handler_runs_from_the_unpacked_zip_with_only_the_runtime_boto3(package, tmp_path):
    task = tmp_path / "task"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(task)
    # what the Lambda runtime adds to the path: boto3 and its own dependencies, nothing else
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    site = Path(boto3.__file__).resolve().parents[1]
    for name in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py"):
        (runtime / name).symlink_to(site / name)
    event = (Path(__file__).parent / "fixtures" / "stop_instances.json").read_text()
    code = f"""
import json, sys
sys.path[:0] = [{str(task)!r}]
sys.path.append({str(runtime)!r})
import generator.events as events, yaml, lxml.etree, jsonschema
result = events.handler(json.loads(sys.stdin.read()), None)
print(json.dumps({{"reaction": result["reaction"],
                  "files": [m.__file__ for m in (events, yaml, lxml.etree, jsonschema)]}}))
"""
    env = {"AWSPAN_CONFIG": str(task / "policy.yaml"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], input=event, capture_output=True,
                            text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["reaction"] == "log"
    assert all(f.startswith(str(task)) for f in out["files"]), out["files"]


def test_refuses_a_runtime_other_than_this_interpreter(tmp_path, capsys):
    assert package_main(["--output", str(tmp_path / "x.zip"), "--runtime", "python2.7"]) == 1
    assert "compiled dependencies would not load" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()


def test_an_invalid_policy_is_not_shipped(tmp_path, capsys):
    bad = write_policy(tmp_path, events={"mode": "yolo"})
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert package_main(["--output", str(tmp_path / "x.zip"), "--policy", str(bad), "--runtime", here]) == 1
    assert "events.mode" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()


def test_template_runtime_and_package_defaults_agree():
    text = (ROOT / "deploy" / "template.yaml").read_text()
    assert "Runtime: python3.11" in text and "Default: build/awspan-lambda.zip" in text
    assert "--output deploy/build/awspan-lambda.zip" in (ROOT / "Makefile").read_text()
