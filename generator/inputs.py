"""Read an input file: a regular file, read whole, with a size cap; every failure is one line.

Why not `Path.read_bytes()`: `--state` pointing at a FIFO blocks forever in open(), and
`/dev/zero` (size 0 to stat) is read until memory runs out. awspan's inputs (policy.yaml,
state.yaml, fragment.xml, rulebase.xml, an event file) are files a person or a previous
step wrote, so anything but a regular file is refused before a byte is read, and the read
stops one byte past the cap whatever the file claims its size is.
"""

from __future__ import annotations

import errno
import os
import stat

from generator.errors import AwspanError

MAX_INPUT_BYTES = 1 << 30
"""Refuse inputs over 1 GiB: far above any real estate, far below what would exhaust memory."""


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words a user recognises."""
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def os_reason(exc: OSError) -> str:
    """An OSError's reason in a few words (no errno numbers, no repeated path)."""
    words = {errno.ENOSPC: "no space left on the device", errno.EROFS: "read-only file system",
             errno.EACCES: "permission denied", errno.EPERM: "operation not permitted",
             errno.EISDIR: "it is a directory", errno.ENOTDIR: "a part of the path is not a directory",
             errno.ENOENT: "no such file or directory", errno.EDQUOT: "disk quota exceeded",
             errno.ELOOP: "too many levels of symbolic links", errno.ENAMETOOLONG: "file name too long"}
    return words.get(exc.errno or 0) or (exc.strerror or type(exc).__name__).lower()


def read_input(path: str | os.PathLike[str], what: str, *, max_bytes: int = MAX_INPUT_BYTES,
               missing: str | None = None) -> bytes:
    """The bytes of the regular file `path`; AwspanError naming the file otherwise.

    `missing` replaces the message for a file that does not exist (e.g. "run `awspan generate` first").
    """
    where = os.fspath(path)
    try:
        # O_NONBLOCK: opening a FIFO with no writer must not hang; cleared below for a regular file.
        fd = os.open(where, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise AwspanError(missing or f"{what} not found", where=where) from None
    except OSError as exc:
        raise AwspanError(f"cannot read the {what}: {os_reason(exc)}", where=where) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise AwspanError(f"the {what} is {kind_of(st.st_mode)}, not a regular file", where=where)
        if st.st_size > max_bytes:
            raise AwspanError(f"the {what} is {st.st_size:,} bytes, over the {max_bytes:,}-byte limit",
                              where=where)
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:  # the file grew while we read it
                raise AwspanError(f"the {what} is over the {max_bytes:,}-byte limit", where=where)
        return b"".join(chunks)
    except OSError as exc:
        raise AwspanError(f"cannot read the {what}: {os_reason(exc)}", where=where) from None
    finally:
        os.close(fd)


def read_input_text(path: str | os.PathLike[str], what: str, *, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """`read_input`, decoded as UTF-8 (an error names the byte offset)."""
    data = read_input(path, what, max_bytes=max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AwspanError(f"the {what} is not UTF-8 text ({exc.reason} at byte {exc.start})",
                          where=os.fspath(path)) from None
