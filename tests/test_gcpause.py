"""generate pauses the cyclic garbage collector (generator.gcpause): it must always restore it,
or a long-lived process (a warm Lambda container) would grow without bound."""

from __future__ import annotations

import gc

import pytest

from generator.errors import AwspanError
from generator.gcpause import paused_gc


def test_the_collector_is_off_inside_and_restored_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(ValueError), paused_gc():
        assert not gc.isenabled()
        raise ValueError("a failed generate")
    assert gc.isenabled()


def test_a_collector_the_caller_disabled_stays_disabled() -> None:
    gc.disable()
    try:
        with paused_gc():
            with paused_gc():
                assert not gc.isenabled()
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_generate_leaves_the_collector_on(tmp_path) -> None:
    from generator.generate.step import generate
    from tests.generate.helpers import POLICY, STATE

    data, *_ = generate(str(POLICY), str(STATE))
    assert data.startswith(b"<config>") and gc.isenabled()
    with pytest.raises(AwspanError):
        generate(str(POLICY), str(tmp_path / "missing.yaml"))
    assert gc.isenabled()
