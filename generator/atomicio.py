"""Write files all or nothing.

A half-written state.yaml or fragment.xml is worse than none: the next push would
delete rules that are still needed. So every artifact goes to a temp file in the
same directory, is flushed to disk, and is renamed over the target in one step.
Only a regular file is ever replaced (never a device, a FIFO or something under /proc),
and the replacement keeps the old file's mode and owner.
"""

from __future__ import annotations

import contextlib
import os
import queue
import stat
import tempfile
import threading
from pathlib import Path

from generator.errors import AwspanError
from generator.inputs import kind_of, os_reason


def _process_umask() -> int:
    """The umask, read without changing it (os.umask would race with other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _mode_for(target: Path) -> int:
    """Keep the mode of the file being replaced; a new file gets what open() would give it.

    mkstemp creates 0600 files; without this every artifact would become private to its
    writer, and a CI job or a colleague reading out/ would be refused.
    """
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_process_umask()


_SYSTEM_TREES = ("/proc", "/sys", "/dev")


def _system(path: str) -> bool:
    """Under /proc, /sys or /dev (but /dev/shm holds ordinary files)."""
    if path == "/dev/shm" or path.startswith("/dev/shm/"):
        return False
    return any(path == t or path.startswith(t + "/") for t in _SYSTEM_TREES)


def _check_target(target: Path) -> tuple[Path, os.stat_result | None]:
    """The file to replace, after following symbolic links; refuse anything but a regular file.

    Replacing is rename(2): over a device node, a FIFO or a link to /proc/self/fd/1 it would
    swap a system object for a plain file (as root, /dev/null becomes a text file). A link to
    a regular file is followed, so the link stays and its target gets the new content.
    """
    absolute = os.path.abspath(target)
    seen = [absolute]
    hop = absolute
    for _ in range(40):  # every hop of a link chain: /proc/self/fd/1 resolves to wherever stdout is
        if not os.path.islink(hop):
            break
        hop = os.path.normpath(os.path.join(os.path.dirname(hop), os.readlink(hop)))
        seen.append(hop)
    parts = Path(absolute).parts  # and every directory on the way (a link to /proc/self/fd)
    seen += [os.path.realpath(Path(*parts[:i])) for i in range(2, len(parts) + 1)]
    for path in seen:
        if _system(path):
            raise AwspanError(f"refusing to replace {path}: output files must be regular files, "
                              "not a system file or device", where=str(target))
    real = Path(os.path.realpath(target))
    try:
        st = real.stat()
    except FileNotFoundError:
        return real, None
    if not stat.S_ISREG(st.st_mode):
        raise AwspanError(f"the output path is {kind_of(st.st_mode)}: refusing to replace it "
                          "(outputs replace only regular files)", where=str(target))
    return real, st


def _keep_owner(fd: int, old: os.stat_result | None) -> None:
    """Give the new file the old one's owner and group (root regenerating a user's file); best effort."""
    if old is None:
        return
    for uid, gid in ((old.st_uid, old.st_gid), (-1, old.st_gid)):
        try:
            os.fchown(fd, uid, gid)
            return
        except OSError:
            continue  # not root: keeping the group may still be allowed; else the file is ours


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Replace `path` with `data` atomically (temp file + fsync + rename + directory fsync).

    Every OSError becomes one AwspanError naming the file and the reason (disk full,
    read-only file system, a directory in the way); the old file is then untouched.
    """
    target = Path(path)
    try:
        _write(target, data)
    except OSError as exc:
        raise AwspanError(f"cannot write the file: {os_reason(exc)}; it was left as it was",
                          where=str(target)) from None


def _write(path: Path, data: bytes | str) -> None:
    target, old = _check_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            _finish(fh.fileno(), tmp, target, old)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _sync_directory(target)


def _finish(fd: int, tmp: str, target: Path, old: os.stat_result | None) -> None:
    """The written temp file on disk, with the old file's owner and mode, renamed over `target`."""
    os.fsync(fd)
    _keep_owner(fd, old)
    os.fchmod(fd, old.st_mode & 0o7777 if old else _mode_for(target))
    os.replace(tmp, target)


def _sync_directory(target: Path) -> None:
    """The rename itself is durable only once the directory entry is on disk."""
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class StreamedWrite:
    """write_atomic for output that arrives in pieces (generate's 100 MB fragment).

    The pieces go to the temp file from a background thread while the caller goes on making
    the next ones: the kernel's copy of 100 MB into the page cache (0.5 s and more) runs while
    Jinja2 renders, because os.write releases the GIL. Nothing is visible until `commit`, which
    renames the finished file over the target as write_atomic does; `discard` (or an error)
    removes the temp file and leaves the target as it was. Nothing is opened before the first
    piece, so an error found before any output never touches the directory.
    """

    _QUEUED = 16  # pieces waiting for the writer at most (each a few 100 kB): bounded memory

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._pieces: queue.Queue[bytes | None] = queue.Queue(self._QUEUED)
        self._thread: threading.Thread | None = None
        self._fd = -1
        self._tmp = ""
        self._old: os.stat_result | None = None
        self._target = self.path
        self._error: BaseException | None = None  # what stopped the writer thread

    def write(self, piece: bytes) -> None:
        if self._error is not None:  # the writer failed (disk full): stop the producer now
            self._fail(self._error)
        if self._thread is None:
            self._open()
        self._pieces.put(piece)

    def commit(self) -> None:
        """Wait for the writer, then fsync, keep owner and mode, rename; AwspanError on failure."""
        if self._thread is None:
            self._open()
        self._stop()
        if self._error is not None:
            self._fail(self._error)
        try:
            _finish(self._fd, self._tmp, self._target, self._old)
            self._tmp = ""  # renamed: nothing for discard to remove
            os.close(self._fd)
            self._fd = -1
            _sync_directory(self._target)
        except OSError as exc:
            self._fail(exc)

    def discard(self) -> None:
        """Stop the writer and remove the temp file (idempotent; the target is untouched)."""
        self._stop()
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1
        if self._tmp:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._tmp)
            self._tmp = ""

    def _open(self) -> None:
        try:
            self._target, self._old = _check_target(self.path)
            self._target.parent.mkdir(parents=True, exist_ok=True)
            self._fd, self._tmp = tempfile.mkstemp(
                prefix=f".{self._target.name}.", suffix=".tmp", dir=self._target.parent
            )
        except OSError as exc:
            self._raise(exc)
        self._thread = threading.Thread(target=self._drain, name="awspan-writer", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while (piece := self._pieces.get()) is not None:
            if self._error is not None:
                continue  # keep taking pieces so that the producer never blocks on a full queue
            view = memoryview(piece)
            try:
                while view:
                    view = view[os.write(self._fd, view):]
            except BaseException as exc:  # noqa: BLE001 - the producer re-raises it; the thread must go on taking pieces
                self._error = exc

    def _stop(self) -> None:
        if self._thread is not None:
            self._pieces.put(None)
            self._thread.join()
            self._thread = None

    def _fail(self, exc: BaseException) -> None:
        """Remove the temp file, then raise `exc` (an OSError as the one-line AwspanError)."""
        self.discard()
        self._raise(exc)

    def _raise(self, exc: BaseException) -> None:
        if not isinstance(exc, OSError):
            raise exc
        raise AwspanError(f"cannot write the file: {os_reason(exc)}; it was left as it was",
                          where=str(self.path)) from None
