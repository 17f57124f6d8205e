"""`make demo`: the whole awspan loop on 127.0.0.1, with no AWS account and no firewall.

A moto server stands in for AWS (seeded with the example estate of
devtools.seed) and the PAN-OS emulator for the firewall. The demo runs the
same `awspan` commands a user or a pipeline runs, as separate processes, and prints them
so they can be copied: collect -> snapshot -> generate -> plan -> push; then it changes
AWS (stops an instance, revokes a rule) and runs the loop again to show the plan of that
change. Both servers stop on success, on error and on Ctrl-C.

Why child processes for the steps: the demo then proves the command-line contract
(files, exit codes, environment) rather than in-process shortcuts, and each step's
output can be shown under its own heading.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from lxml import etree

from generator.atomicio import write_atomic
from generator.location import Location

DEFAULT_OUT = "demo-out"

# Variables that could point the demo at a real firewall or a real AWS account.
_SCRUBBED_ENV = (
    "PANOS_URL", "PANOS_API_KEY", "PANOS_USERNAME", "PANOS_PASSWORD", "PANOS_CA_BUNDLE",
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_STS", "AWS_REGION",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)


class DemoError(Exception):
    """A step failed; the message says which, its output has been shown."""


def _say(text: str = "") -> None:
    print(text, flush=True)


def _heading(text: str) -> None:
    _say()
    _say(f"== {text}")


def _display(path: Path) -> str:
    """A path as the user would type it (relative to the current directory when inside it)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class Runner:
    """Runs `awspan` subcommands as child processes with the demo's environment."""

    def __init__(self, env: dict[str, str], config: Path) -> None:
        self.env = env
        self.config = config

    def __call__(self, command: str, *options: str, ok: tuple[int, ...] = (0,),
                 hide: set[str] | None = None, hide_from: str | None = None) -> str:
        """Run one step and show its output, less the lines in `hide` and everything from the first
        line starting with `hide_from` on (facts an earlier step already printed)."""
        argv = [command, "--config", _display(self.config), *options]
        _say(f"$ awspan {shlex.join(argv)}")
        result = subprocess.run(  # noqa: S603 - our own interpreter and package
            [sys.executable, "-m", "generator", *argv],
            env=self.env, capture_output=True, text=True, timeout=300, check=False,
        )
        if result.returncode in (130, -signal.SIGINT):
            # Ctrl-C reached the step too (same process group), maybe while it was still
            # importing: what it printed then is a KeyboardInterrupt traceback, not news
            raise KeyboardInterrupt
        output = (result.stderr + result.stdout).rstrip("\n")
        for line in output.splitlines():
            if hide_from is not None and line.startswith(hide_from):
                break
            if hide is None or line not in hide:
                _say(f"  {line}")
        if result.returncode not in ok:
            raise DemoError(f"`awspan {command}` exited {result.returncode}")
        return output


def running_rules(running: etree._Element, location: Location, tag: str) -> list[dict[str, str]]:
    """The security rules of the location in the running config, in order, for display."""
    found = running.xpath(location.rules_xpath + "/entry")

    def members(entry: etree._Element, field: str) -> str:
        return ",".join(m.text or "" for m in entry.findall(f"{field}/member")) or "-"

    rules = []
    for entry in found:
        rules.append({
            "name": entry.get("name", ""),
            "from": members(entry, "from"),
            "to": members(entry, "to"),
            "source": members(entry, "source"),
            "destination": members(entry, "destination"),
            "service": members(entry, "service"),
            "application": members(entry, "application"),
            "action": entry.findtext("action") or "-",
            "managed": "awspan" if tag in [m.text for m in entry.findall("tag/member")] else "",
        })
    return rules


def show_rules(rules: list[dict[str, str]]) -> None:
    columns = ["name", "from", "to", "source", "destination", "service", "application", "action", "managed"]
    width = {c: max(len(c), *(len(r[c]) for r in rules)) if rules else len(c) for c in columns}
    _say("  " + "  ".join(c.ljust(width[c]) for c in columns).rstrip())
    for rule in rules:
        _say("  " + "  ".join(rule[c].ljust(width[c]) for c in columns).rstrip())


def run_demo(out: Path, membership: str = "static") -> None:
    """Start both servers, run the loop twice around an AWS change, stop both servers.

    With membership `dynamic` the change is an instance stop only: the second push then sends
    User-ID registrations and commits nothing (docs/membership.md)."""
    # imported here so that `--help` is instant and a missing test extra is reported cleanly
    from devtools.moto_server import MotoServer, moto_env
    from devtools.seed import policy_for, seed_estate
    from emulator import EmulatorServer
    from generator.yamlio import dump_yaml

    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    files = {name: out / name for name in ("policy.yaml", "state.yaml", "rulebase.xml", "fragment.xml")}
    # Scrubbed here, for this process and so for every step it starts: the seed's and the
    # AWS change's boto3 clients too must reach only moto (AWS_PROFILE would even break them).
    for key in _SCRUBBED_ENV:
        os.environ.pop(key, None)
    os.environ.update(moto_env())

    _say("awspan demo: the whole loop on 127.0.0.1 -- a moto server plays AWS, the PAN-OS emulator "
         "plays the firewall")
    with MotoServer() as aws_url, EmulatorServer() as emulator:
        estate = seed_estate(aws_url)
        _say(f"  AWS (moto server)   {aws_url}: 2 VPCs (and moto's default one), "
             f"{len(estate.instances)} instances (firewall {estate.firewall_instance_id}), "
             f"{len(estate.security_groups)} security groups")
        groups = ", ".join(f"{name} {sg}" for name, sg in estate.security_groups.items())
        _say(f"  security groups     {groups}")
        _say(f"  PAN-OS (emulator)   {emulator.url}: vsys1, zones trust/untrust/dmz, "
             "admin rules ending in deny rule clean-up")
        policy = policy_for(estate, url=emulator.url)
        policy["rules"]["membership"] = membership
        header = "# written by `make demo` for the seeded moto estate\n"
        write_atomic(files["policy.yaml"], header + dump_yaml(policy))
        _say(f"  policy              {_display(files['policy.yaml'])} "
             f"(firewall.instance_id {estate.firewall_instance_id}, route_targets {estate.route_targets[0]})")

        env = dict(os.environ)
        env["PANOS_API_KEY"] = emulator.api_key("automation")  # environment only, never a file or argv
        awspan = Runner(env, files["policy.yaml"])
        location = Location(vsys="vsys1")

        def loop(title: str) -> None:
            _heading(f"{title}: collect -> snapshot -> generate -> plan -> push")
            state, rulebase = _display(files["state.yaml"]), _display(files["rulebase.xml"])
            fragment = _display(files["fragment.xml"])
            awspan("collect", "--endpoint-url", aws_url, "--output", state)
            awspan("snapshot", "--output", rulebase)
            awspan("generate", "--state", state, "--rulebase", rulebase, "--output", fragment)
            # generate has just said what the already-allowed check decided: the plan's copy of
            # those decisions (for a pull request, where generate's output is not seen) is not shown
            plan = awspan("plan", "--fragment", fragment, "--detailed-exitcode", ok=(0, 2),
                          hide_from="already-allowed check (")
            # push prints the plan again: show only what it adds (the batch, the commit job)
            awspan("push", "--fragment", fragment, hide=set(plan.splitlines()) - {""})
            _heading("the firewall's running security rules (vsys1), top to bottom")
            show_rules(running_rules(emulator.running(), location, "awspan"))
            if membership == "dynamic":
                _heading("registered IPs with awspan tags (User-ID: runtime state, not config)")
                for ip, tags in sorted(emulator.store.registry.snapshot().items()):
                    ours = sorted(t for t in tags if t.startswith("awspan."))
                    if ours:
                        _say(f"  {ip:<26} {', '.join(ours)}")

        loop("first run")

        _heading("change AWS")
        import boto3

        ec2 = boto3.client("ec2", endpoint_url=aws_url, region_name=estate.region)
        web2 = estate.instances["web-2"]
        ec2.stop_instances(InstanceIds=[web2])
        _say(f"  stopped instance web-2 ({web2}, {estate.private_ips['web-2']})")
        if membership == "dynamic":
            loop("second run (membership dynamic: the stop is enforced by registrations, no commit)")
        else:
            app = estate.security_groups["app"]
            ec2.revoke_security_group_ingress(GroupId=app, IpPermissions=[{
                "IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443,
                "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}])
            _say(f"  revoked tcp/8443 from 203.0.113.0/24 on security group app ({app})")
            loop("second run (the plan shows exactly that change)")
    _finish(out, started)


def _finish(out: Path, started: float) -> None:
    _heading(f"artefacts in {_display(out)}/ (the same files a policy repository commits in out/)")
    for path in sorted(out.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            _say(f"  {_display(path)}")
    _say(f"  (both servers stopped; {time.monotonic() - started:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, type=Path,
                        help=f"artefact directory (default: {DEFAULT_OUT})")
    parser.add_argument("--membership", choices=("static", "dynamic"), default="static",
                        help="rules.membership of the demo's policy (default: static); dynamic shows an "
                             "instance stop enforced through User-ID registrations, with no commit")
    args = parser.parse_args(argv)
    try:
        run_demo(args.out, args.membership)
    except DemoError as exc:
        print(f"demo failed: {exc} (both servers stopped)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("demo interrupted (both servers stopped)", file=sys.stderr)
        return 130
    except ImportError as exc:
        print(f"demo failed: {exc.name or exc} is missing: the demo needs the test extras "
              "(`make demo` installs them)", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a readable line, the servers are already stopped
        print(f"demo failed: {type(exc).__name__}: {exc} (both servers stopped)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
