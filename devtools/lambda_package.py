"""Build the AWS Lambda deployment zip from the installed project and its runtime dependencies.

    python -m devtools.lambda_package --output deploy/build/awspan-lambda.zip --policy policy.yaml
    python -m devtools.lambda_package ... --policy-from-env   # AWSPAN_CONFIG names the policy

Why from the *installed* environment instead of `pip install --target` from an index: the
build must work offline and ship exactly the versions the tests ran against. The cost is
that compiled wheels (lxml, PyYAML's C extension, yaml-rs) are those of this machine, so
build on Linux x86_64 with the Python version of the function's runtime (the SAM template
says python3.11; the tool refuses a mismatch unless --runtime says otherwise).

boto3/botocore (and s3transfer, jmespath, python-dateutil, six that only they need) are
left out by default: the Lambda Python runtime ships them (a version well above awspan's
lower bound), and they are 80% of the package's size. `--include-boto3` bundles the
installed ones to pin the exact version.

The zip is deterministic: entries sorted, fixed timestamps and permissions, no bytecode,
no machine-specific metadata (direct_url.json), so two builds from one environment are
byte-identical and a deployment shows up as a change only when something changed.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import json
import platform
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from generator.atomicio import write_atomic
from generator.errors import AwspanError

PROJECT = "awspan"
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath"})
"""Shipped by the Lambda Python runtime; their own dependencies are skipped with them."""

OPTIONAL_EXTRAS = ("fast",)
"""Extras bundled when their packages are installed (yaml-rs: fast state.yaml loading)."""

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
SKIPPED_SUFFIXES = (".pyc", ".pyo")
SKIPPED_NAMES = frozenset({"direct_url.json", "INSTALLER", "REQUESTED"})


def _requirements(dist: metadata.Distribution, extras: Iterable[str] = ()) -> Iterator[Requirement]:
    """The requirements of `dist` that apply on this interpreter (with the given extras)."""
    env = default_environment()
    for line in dist.requires or ():
        req = Requirement(line)
        if req.marker is None:
            yield req
            continue
        if req.marker.evaluate({**env, "extra": ""}) or any(
            req.marker.evaluate({**env, "extra": extra}) for extra in extras
        ):
            yield req


def dependency_closure(include_runtime_provided: bool = False) -> list[metadata.Distribution]:
    """awspan and every installed distribution it needs at run time, sorted by name."""
    root = _distribution(PROJECT)
    extras = [e for e in OPTIONAL_EXTRAS if _extra_installed(root, e)]
    seen: dict[str, metadata.Distribution] = {canonicalize_name(PROJECT): root}
    queue = [(root, extras)]
    while queue:
        dist, dist_extras = queue.pop()
        for req in _requirements(dist, dist_extras):
            name = canonicalize_name(req.name)
            if name in seen or (name in RUNTIME_PROVIDED and not include_runtime_provided):
                continue
            seen[name] = _distribution(req.name)
            queue.append((seen[name], sorted(req.extras)))
    return [seen[name] for name in sorted(seen)]


def _distribution(name: str) -> metadata.Distribution:
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise AwspanError(f"{name} is not installed in {sys.prefix} (run `make venv` first)") from None


def _extra_installed(dist: metadata.Distribution, extra: str) -> bool:
    base = list(_requirements(dist))
    wanted = [r for r in _requirements(dist, [extra]) if r not in base]
    for req in wanted:
        try:
            metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            return False
    return bool(wanted)


def _editable_source(dist: metadata.Distribution) -> Path | None:
    """The source tree of an editable install (pip's direct_url.json), else None."""
    text = dist.read_text("direct_url.json")
    if not text:
        return None
    info = json.loads(text)
    if not info.get("dir_info", {}).get("editable"):
        return None
    return Path(unquote(urlparse(info["url"]).path))


def _wheel_files(source: Path, scratch: Path) -> Iterator[tuple[str, bytes]]:
    """Build awspan's wheel from an editable checkout (offline, no build isolation) and read it.

    The wheel, not the source tree, is what a user installs: it carries templates/ and
    schemas/ inside the package (pyproject's force-include), exactly as the Lambda needs.
    """
    result = subprocess.run(  # noqa: S603 - this interpreter's pip, on the project's own tree
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", str(scratch), str(source)],
        capture_output=True, text=True, check=False,
    )
    wheels = sorted(scratch.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        detail = (result.stderr.strip().splitlines() or ["no wheel was built"])[-1]
        raise AwspanError(f"cannot build the awspan wheel: {detail} (is hatchling installed?)",
                          where=str(source))
    with zipfile.ZipFile(wheels[0]) as wheel:
        for info in wheel.infolist():
            if not info.is_dir():
                yield info.filename, wheel.read(info)


def _installed_files(dist: metadata.Distribution) -> Iterator[tuple[str, bytes]]:
    for path in dist.files or ():
        name = path.as_posix()
        if name.startswith("../") or name.startswith("/"):
            continue  # console scripts and data outside site-packages
        yield name, Path(dist.locate_file(path)).read_bytes()


def _keep(name: str) -> bool:
    parts = name.split("/")
    if "__pycache__" in parts or name.endswith(SKIPPED_SUFFIXES):
        return False
    return parts[-1] not in SKIPPED_NAMES


def collect_files(dists: list[metadata.Distribution], scratch: Path) -> dict[str, bytes]:
    """Archive name -> bytes for every file of every distribution; a clash is an error."""
    files: dict[str, bytes] = {}
    for dist in dists:
        source = _editable_source(dist)
        entries = _wheel_files(source, scratch) if source else _installed_files(dist)
        for name, data in entries:
            if not _keep(name):
                continue
            if name in files and files[name] != data:
                raise AwspanError(f"two distributions install {name} with different contents")
            files[name] = data
    return files


def write_zip(files: dict[str, bytes], output: Path) -> int:
    """Write the files sorted, with fixed metadata; returns the uncompressed size."""
    with tempfile.SpooledTemporaryFile(max_size=64 << 20) as buffer:
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # unix, whatever machine builds it
                archive.writestr(info, files[name])
        buffer.seek(0)
        write_atomic(output, buffer.read())
    return sum(len(data) for data in files.values())


def build(output: Path, policy: Path | None = None, *, include_boto3: bool = False) -> dict[str, object]:
    """Build the zip; returns a summary (files, sizes, distributions) for the caller to print."""
    if policy is not None:
        from generator.policy import load_policy  # never ship a policy the function would refuse

        load_policy(policy)
    dists = dependency_closure(include_runtime_provided=include_boto3)
    with tempfile.TemporaryDirectory(prefix="awspan-lambda-") as scratch:
        files = collect_files(dists, Path(scratch))
    if policy is not None:
        files["policy.yaml"] = policy.read_bytes()
    size = write_zip(files, output)
    return {
        "output": str(output),
        "files": len(files),
        "unzipped_bytes": size,
        "zip_bytes": output.stat().st_size,
        "distributions": [f"{d.metadata['Name']}=={d.version}" for d in dists],
        "policy": str(policy) if policy else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.lambda_package",
        description="Build the awspan Lambda deployment zip from this environment.")
    parser.add_argument("--output", default="deploy/build/awspan-lambda.zip", type=Path)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--policy", type=Path,
                        help="policy.yaml to ship as /var/task/policy.yaml (validated)")
    source.add_argument("--policy-from-env", action="store_true",
                        help="ship no policy: the function's AWSPAN_CONFIG names one it can read "
                             "(e.g. in a Lambda layer under /opt)")
    parser.add_argument("--runtime", default="python3.11",
                        help="the function's runtime (default: python3.11)")
    parser.add_argument("--include-boto3", action="store_true",
                        help="bundle boto3/botocore instead of using the runtime's")
    args = parser.parse_args(argv)
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    try:
        if args.runtime != here:
            raise AwspanError(f"this environment runs {here} but the function runs {args.runtime}: compiled "
                              f"dependencies would not load; build with {args.runtime}")
        if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
            raise AwspanError(f"build on Linux x86_64 (this is {platform.system()} {platform.machine()}): "
                              "the zip carries this machine's compiled wheels")
        if args.policy is None and not args.policy_from_env:
            raise AwspanError("no policy: the function reads /var/task/policy.yaml unless AWSPAN_CONFIG says "
                              "otherwise; give --policy policy.yaml (make lambda-zip POLICY=policy.yaml), or "
                              "--policy-from-env if AWSPAN_CONFIG will name one (make lambda-zip "
                              "POLICY_FROM_ENV=1)")
        summary = build(args.output, args.policy, include_boto3=args.include_boto3)
    except AwspanError as exc:
        print(f"lambda_package: error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {summary['output']}: {summary['files']} files, {summary['zip_bytes']:,} bytes "
          f"({summary['unzipped_bytes']:,} unzipped)")
    print("bundled: " + ", ".join(summary["distributions"]))  # type: ignore[arg-type]
    if summary["policy"] is None:
        print("note: no policy inside: set AWSPAN_CONFIG on the function to a policy.yaml it can read")
    if int(summary["unzipped_bytes"]) > LAMBDA_UNZIPPED_LIMIT:  # type: ignore[call-overload]
        print("warning: over Lambda's 250 MB unzipped limit", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
