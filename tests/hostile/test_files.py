"""File-system faults: inputs that are not regular files (FIFO, /dev/zero, a directory),
outputs that are not (a directory, a device node, a link into /proc), a read-only or full
file system. Each ends in exit 1 with one line naming the file; nothing is written and
nothing is replaced."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.atomicio import write_atomic
from generator.errors import AwspanError
from tests.generate.helpers import POLICY, STATE, generate_argv
from tests.hostile.conftest import one_line

ROOT = Path(__file__).resolve().parents[2]


def awspan_process(*argv: str, timeout: float = 60, preexec=None) -> subprocess.CompletedProcess[str]:
    """A real `awspan` process, so that a hang is a failed test, not a hung suite."""
    return subprocess.run([sys.executable, "-m", "generator", *argv], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, preexec_fn=preexec)


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "state.fifo"
    os.mkfifo(path)
    return path


def test_a_fifo_as_state_is_refused_without_hanging(fifo: Path, tmp_path: Path):
    out = tmp_path / "fragment.xml"
    proc = awspan_process(*generate_argv(out, state=fifo), timeout=30)
    assert proc.returncode == 1
    line = one_line(proc.stderr)
    assert line.endswith(f"{fifo}: the state file is a FIFO (named pipe), not a regular file")
    assert not out.exists()


def test_dev_zero_as_state_is_refused_before_reading(tmp_path: Path):
    out = tmp_path / "fragment.xml"
    proc = awspan_process(*generate_argv(out, state=Path("/dev/zero")), timeout=30)
    assert proc.returncode == 1 and "is a character device" in one_line(proc.stderr)
    assert not out.exists()


@pytest.mark.parametrize("option", ["--state", "--config"])
def test_a_directory_as_input_is_one_line(option: str, tmp_path: Path, run):
    argv = generate_argv(tmp_path / "fragment.xml")
    argv[argv.index(option) + 1] = str(tmp_path)
    result = run(*argv)
    assert result.code == 1 and "is a directory, not a regular file" in one_line(result.err)


def test_a_fifo_as_fragment_or_policy_is_refused(fifo: Path, run):
    result = run("push", "--config", str(POLICY), "--fragment", str(fifo))
    assert result.code == 1 and "FIFO" in one_line(result.err)


def test_an_output_path_that_is_a_directory(tmp_path: Path, run):
    out = tmp_path / "fragment.xml"
    out.mkdir()
    result = run(*generate_argv(out))
    assert result.code == 1
    assert one_line(result.err).endswith(f"{out}: the output path is a directory: refusing to replace it "
                                         "(outputs replace only regular files)")
    assert out.is_dir() and list(out.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["fragment.xml"]  # no temp file left


def test_outputs_never_replace_devices_or_proc_links(tmp_path: Path):
    link = tmp_path / "stdout-link"
    link.symlink_to("/proc/self/fd/1")
    for target in ("/dev/null", str(link), "/proc/self/fd/1"):
        with pytest.raises(AwspanError, match="refusing to replace"):
            write_atomic(target, "x")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert link.is_symlink()


def test_the_cli_refuses_dev_null_as_output(run):
    result = run(*generate_argv(Path("/dev/null")))
    assert result.code == 1 and "refusing to replace /dev/null" in one_line(result.err)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_link_to_a_regular_file_is_followed(tmp_path: Path):
    real = tmp_path / "real.xml"
    real.write_text("old")
    link = tmp_path / "link.xml"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_a_replaced_file_keeps_mode_and_owner(tmp_path: Path):
    path = tmp_path / "fragment.xml"
    path.write_text("old")
    path.chmod(0o640)
    owner = (os.getuid(), os.getgid())
    if os.geteuid() == 0:  # root regenerating a user's file: the user keeps it
        owner = (4321, 4321)
        os.chown(path, *owner)
    write_atomic(path, "new")
    st = path.stat()
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o640, *owner)
    assert path.read_text() == "new"


def _limit_file_size() -> None:
    """In the child: files may not grow past 4 KiB, and the signal becomes an EFBIG error."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_a_write_that_fails_midway_leaves_the_old_file(tmp_path: Path):
    out = tmp_path / "fragment.xml"
    out.write_text("<config/>\n")
    proc = awspan_process(*generate_argv(out), preexec=_limit_file_size)
    assert proc.returncode == 1
    line = one_line(proc.stderr)
    assert f"{out}: cannot write the file: file too large; it was left as it was" in line
    assert out.read_text() == "<config/>\n"
    assert [p.name for p in tmp_path.iterdir()] == ["fragment.xml"]


def _mount_tmpfs(where: Path, options: str) -> None:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()[:80]})")


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Path]:
    """A directory on its own small file system, unmounted afterwards."""
    where = tmp_path / "fs"
    yield where
    if os.path.ismount(where):
        subprocess.run(["umount", str(where)], check=True)


def test_a_read_only_out_dir(mounted: Path, run):
    if os.geteuid() != 0:
        mounted.mkdir()
        mounted.chmod(0o555)
        reason = "permission denied"
    else:  # root ignores modes: a real read-only file system
        _mount_tmpfs(mounted, "size=64k,ro")
        reason = "read-only file system"
    out = mounted / "fragment.xml"
    result = run(*generate_argv(out))
    assert result.code == 1
    assert one_line(result.err).endswith(f"{out}: cannot write the file: {reason}; it was left as it was")


def test_a_full_disk(mounted: Path, run):
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    _mount_tmpfs(mounted, "size=4k")
    out = mounted / "fragment.xml"
    result = run(*generate_argv(out))
    assert result.code == 1
    assert one_line(result.err).endswith(f"{out}: cannot write the file: no space left on the device; "
                                         "it was left as it was")
    assert list(mounted.iterdir()) == []


def test_the_state_file_as_output_of_itself_is_unharmed(tmp_path: Path, run):
    state = tmp_path / "state.yaml"
    state.write_bytes(STATE.read_bytes())
    result = run("generate", "--config", str(POLICY), "--state", str(state), "--output", str(tmp_path))
    assert result.code == 1 and state.read_bytes() == STATE.read_bytes()


def test_a_directory_link_into_proc_is_refused(tmp_path: Path):
    (tmp_path / "fds").symlink_to("/proc/self/fd")
    with pytest.raises(AwspanError, match="refusing to replace"):
        write_atomic(tmp_path / "fds" / "1", "x")
