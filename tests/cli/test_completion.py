"""`awspan completion bash`: the script a user evals, exercised in a real bash the way bash calls it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from generator.cli.main import main

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


def _script(capsys: pytest.CaptureFixture[str], shell: str = "bash") -> str:
    assert main(["completion", shell]) == 0
    return capsys.readouterr().out


def _complete(script: str, words: list[str], cwd: Path) -> list[str]:
    """COMPREPLY for the command line `words` (the last word is the one being completed)."""
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    program = (f"{script}\nCOMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}\n"
               "_awspan_complete; printf '%s\\n' \"${COMPREPLY[@]}\"")
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], cwd=cwd, capture_output=True,
                          text=True, timeout=30, check=True)
    return sorted(line for line in done.stdout.splitlines() if line)


def test_subcommands_options_choices_and_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    script = _script(capsys)
    (tmp_path / "policy.yaml").write_text("")
    (tmp_path / "plan.txt").write_text("")
    assert _complete(script, ["awspan", "va"], tmp_path) == ["validate"]
    assert _complete(script, ["awspan", "--debug", "gen"], tmp_path) == ["generate"]
    assert _complete(script, ["awspan", "plan", "--fo"], tmp_path) == ["--format"]
    assert _complete(script, ["awspan", "plan", "--format", ""], tmp_path) == ["json", "markdown", "text"]
    assert _complete(script, ["awspan", "generate", "--config", "po"], tmp_path) == ["policy.yaml"]
    assert "--endpoint-url" in _complete(script, ["awspan", "collect", "--"], tmp_path)
    assert "--endpoint-url" not in _complete(script, ["awspan", "generate", "--"], tmp_path)


def test_every_subcommand_and_option_is_offered(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from generator.cli.main import COMMANDS, build_parser

    script = _script(capsys)
    assert _complete(script, ["awspan", ""], tmp_path)[: len(COMMANDS) + 1] != []
    offered = set(_complete(script, ["awspan", ""], tmp_path))
    assert set(COMMANDS) <= offered
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        options = {s for a in p._actions for s in a.option_strings if s.startswith("--")}
        assert options <= set(_complete(script, ["awspan", name, "--"], tmp_path)), name


def test_zsh_script_loads_bash_completion_first(capsys: pytest.CaptureFixture[str]) -> None:
    script = _script(capsys, "zsh")
    assert script.startswith("autoload -U +X bashcompinit && bashcompinit\n")
    assert "complete -o default -F _awspan_complete awspan" in script
