"""A non-editable install finds its templates and schemas and makes the golden bytes."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from tests.generate.helpers import GOLDEN, ROOT, generate_argv

pytestmark = pytest.mark.slow  # builds and installs a wheel


@pytest.mark.slow
def test_wheel_install_generates_the_golden_fragment(tmp_path):
    wheels, target, out = tmp_path / "wheels", tmp_path / "site", tmp_path / "fragment.xml"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    build = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr  # hatchling is in the test extra: no skip
    (wheel,) = wheels.glob("awspan-*.whl")
    with zipfile.ZipFile(wheel) as archive:  # what PyPI and `pip show` will show a user
        names = archive.namelist()
        licences = [n for n in names if n.endswith("/LICENSE") and ".dist-info/" in n]
        assert licences and b"Apache License" in archive.read(licences[0])
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: Apache-2.0" in metadata and "Author: awspan contributors" in metadata
    assert "Classifier: Topic :: System :: Networking :: Firewalls" in metadata
    assert "Project-URL: Repository, https://github.com/" in metadata
    tops = {name.split("/", 1)[0] for name in names}
    # the product only: the emulator, the moto/demo tooling and the benchmarks stay in the repository
    assert not tops & {"emulator", "devtools", "bench", "tests"}, tops
    install = subprocess.run(
        [*pip, "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    assert (target / "generator" / "_data" / "templates" / "fragment.xml.j2").is_file()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])}
    # run from an empty directory: only the installed copy of generator is importable
    proc = subprocess.run(
        [sys.executable, "-m", "generator", *generate_argv(out, "--no-rulebase")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    where = subprocess.run(
        [sys.executable, "-c", "import generator; print(generator.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert where.startswith(str(target)), where
    assert out.read_bytes() == GOLDEN.read_bytes()
