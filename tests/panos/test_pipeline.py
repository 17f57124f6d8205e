"""The loop a CI job runs, end to end on loopback: generate -> plan -> push -> push again ->
snapshot -> generate with the snapshot -> plan shows no change and the already-allowed decisions."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from emulator import EmulatorServer
from generator.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_generate_plan_push_snapshot_loop(emu: EmulatorServer, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
    policy = tmp_path / "policy.yaml"
    policy.write_text((EXAMPLES / "policy.yaml").read_text().replace("https://fw.example.net", emu.url))
    out = tmp_path / "out"
    common = ["--config", str(policy)]

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(list(argv))
        return code, capsys.readouterr().out

    assert run("generate", *common, "--state", str(EXAMPLES / "state.yaml"), "--no-rulebase",
               "--output", str(out / "fragment.xml"))[0] == 0
    managed = etree.parse(str(out / "fragment.xml")).xpath("//rules/entry/@name")
    code, text = run("plan", *common, "--fragment", str(out / "fragment.xml"), "--detailed-exitcode")
    assert code == 2 and "0 to change, 0 to delete, 0 to move" in text
    assert managed and all(name in text for name in managed)
    assert run("push", *common, "--fragment", str(out / "fragment.xml"))[0] == 0
    running = emu.running().xpath("//vsys/entry[@name='vsys1']/rulebase/security/rules/entry/@name")
    assert running == ["allow-admin-ssh", "block-known-bad", *managed, "clean-up", "below-cleanup"]

    code, text = run("push", *common, "--fragment", str(out / "fragment.xml"))
    assert code == 0 and "already matches" in text

    assert run("snapshot", *common, "--output", str(out / "rulebase.xml"))[0] == 0
    assert run("generate", *common, "--state", str(EXAMPLES / "state.yaml"), "--rulebase",
               str(out / "rulebase.xml"), "--output", str(out / "fragment.xml"))[0] == 0
    code, text = run("plan", *common, "--fragment", str(out / "fragment.xml"), "--detailed-exitcode")
    assert code == 0, text
    assert "no changes" in text
    assert (out / "precheck.yaml").exists() and "already-allowed check" in text
