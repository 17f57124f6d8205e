"""The command line a new user meets: global options anywhere, help that shows every default and
the environment, AWSPAN_CONFIG, --verbose/--quiet."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli.main import build_parser, main
from tests.generate.helpers import POLICY, ROOT, STATE


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def _all_parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    parser = build_parser()
    return [("awspan", parser), *((f"awspan {n}", p) for n, p in _subparsers(parser).items())]


@pytest.mark.parametrize(("name", "parser"), _all_parsers(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_option_has_help_text_and_shows_its_default(name: str, parser: argparse.ArgumentParser) -> None:
    text = " ".join(parser.format_help().split())
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        assert action.help and action.help != argparse.SUPPRESS, (name, action.option_strings or action.dest)
        default = action.default
        if action.dest == "config":
            assert "(default: $AWSPAN_CONFIG if set, else policy.yaml)" in text
        elif not action.option_strings and action.default is not None:  # a positional says it itself
            assert "default" in action.help, (name, action.dest)
        elif isinstance(default, str) and default != argparse.SUPPRESS:
            assert f"(default: {default})" in text, (name, action.option_strings, default)


def test_top_level_help_lists_the_environment_variables(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for var in ("AWSPAN_CONFIG", "PANOS_URL", "PANOS_HOSTNAME", "PANOS_API_KEY", "PANOS_USERNAME",
                "PANOS_PASSWORD", "PANOS_CA_BUNDLE", "AWS_PROFILE"):
        assert f"\n  {var}" in out, var
    assert "validate" in out and "completion bash" in out


@pytest.mark.parametrize("where", ["before", "after"])
def test_global_options_work_before_or_after_the_subcommand(where: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fragment.xml"
    options = ["--config", str(POLICY), "--quiet"]
    rest = ["--state", str(STATE), "--output", str(out)]
    argv = [*options, "generate", *rest] if where == "before" else ["generate", *options, *rest]
    assert main(argv) == 0
    assert out.is_file()
    assert capsys.readouterr().err == ""  # --quiet was honoured in either place


def test_debug_before_the_subcommand_shows_the_traceback(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="policy file not found"):
        main(["--debug", "generate", "--config", str(tmp_path / "nope.yaml")])


def test_config_defaults_to_awspan_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWSPAN_CONFIG", str(POLICY))
    monkeypatch.chdir(tmp_path)  # no ./policy.yaml here
    out = tmp_path / "fragment.xml"
    assert main(["generate", "--state", str(STATE), "--output", str(out)]) == 0, capsys.readouterr().err
    monkeypatch.delenv("AWSPAN_CONFIG")
    assert main(["generate", "--state", str(STATE), "--output", str(out)]) == 1
    assert "policy.yaml: policy file not found" in capsys.readouterr().err


def _generate(*flags: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *flags, "generate", "--config", str(POLICY),
         "--state", str(STATE), "--output", str(tmp_path / "fragment.xml")],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
        env={k: v for k, v in os.environ.items() if k != "AWSPAN_CONFIG"},
    )


def test_quiet_default_and_verbose_levels(tmp_path: Path) -> None:
    quiet, default, verbose = (_generate(*f, tmp_path=tmp_path) for f in (["-q"], [], ["--verbose"]))
    assert quiet.returncode == default.returncode == verbose.returncode == 0
    assert quiet.stderr == ""
    wrote = f"wrote {tmp_path / 'fragment.xml'}: 14 rules, 9 addresses, 5 address groups, 6 services\n"
    assert default.stderr == wrote
    assert verbose.stderr.endswith(wrote) and len(verbose.stderr) >= len(default.stderr)
    assert "Traceback" not in verbose.stderr


def test_verbose_and_quiet_together_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["-v", "-q", "generate"])
    assert done.value.code == 2
    assert "--verbose and --quiet contradict each other" in capsys.readouterr().err
