"""Atomic writes: all or nothing, and the written file is as readable as a plain write would make it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from generator.atomicio import StreamedWrite, write_atomic


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_umask_mode_not_mkstemps_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "out" / "fragment.xml", "<config/>\n")
    finally:
        os.umask(old)
    assert (tmp_path / "out" / "fragment.xml").read_text() == "<config/>\n"
    assert mode(tmp_path / "out" / "fragment.xml") == 0o644


def test_replacing_keeps_the_existing_mode(tmp_path: Path) -> None:
    target = tmp_path / "state.yaml"
    target.write_text("old\n")
    target.chmod(0o640)
    write_atomic(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert mode(target) == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "state.yaml"
    target.write_text("old\n")

    with pytest.raises(TypeError):  # fails inside the write, after the temp file exists
        write_atomic(target, object())  # type: ignore[arg-type]
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.yaml"]


def test_a_streamed_write_appears_whole_and_only_at_commit(tmp_path: Path) -> None:
    """generate's fragment goes into a temp file piece by piece while it renders: the target
    keeps its old content until commit, then holds every piece in order."""
    target = tmp_path / "fragment.xml"
    target.write_text("old\n")
    target.chmod(0o640)
    streamed = StreamedWrite(target)
    pieces = [bytes([65 + i % 26]) * (1000 + i) for i in range(200)]
    for piece in pieces:
        streamed.write(piece)
    assert target.read_text() == "old\n"
    streamed.commit()
    streamed.discard()  # after a commit: nothing to remove, the new file stays
    assert target.read_bytes() == b"".join(pieces)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["fragment.xml"]


def test_a_discarded_stream_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "fragment.xml"
    target.write_text("old\n")
    streamed = StreamedWrite(target)
    streamed.write(b"<config>" * 10_000)
    streamed.discard()
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["fragment.xml"]


def test_a_stream_that_got_nothing_touches_nothing(tmp_path: Path) -> None:
    """An error before the first piece (a bad state.yaml) creates neither the directory nor a file."""
    StreamedWrite(tmp_path / "out" / "fragment.xml").discard()
    assert list(tmp_path.iterdir()) == []
