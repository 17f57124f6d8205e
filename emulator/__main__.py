"""Run the emulator by hand: `python -m emulator --port 8443 --config initial.xml`.

It serves until interrupted (Ctrl-C or SIGTERM). Get a key with keygen like on a real
firewall; the emulator never prints keys or passwords.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from lxml import etree

from emulator.device import DeviceProfile
from emulator.server import DEFAULT_USERS, EmulatorServer


def _user(text: str) -> tuple[str, str]:
    name, sep, password = text.partition(":")
    if not sep or not name or not password:
        raise argparse.ArgumentTypeError(f"expected NAME:PASSWORD, got {text!r}")
    return name, password


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="A PAN-OS XML API emulator for awspan's tests and demo.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8443, help="port (0 picks a free one; default 8443)")
    parser.add_argument("--config", type=Path, help="initial configuration XML (default: the shipped one)")
    parser.add_argument(
        "--user",
        type=_user,
        action="append",
        metavar="NAME:PASSWORD",
        help="an account (repeatable; default admin:admin and automation:automation)",
    )
    parser.add_argument("--panorama", action="store_true", help="behave as Panorama (device groups)")
    parser.add_argument("--job-steps", type=int, default=2, help="polls a commit job stays ACT (default 2)")
    parser.add_argument("--commit-seconds", type=float, default=0.0,
                        help="seconds a commit job stays ACT, as on a real firewall (default 0)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a fresh self-signed certificate")
    parser.add_argument("--sw-version", default="10.1.0",
                        help="PAN-OS version to answer as (default 10.1.0; 10.0.x needs "
                             "`request multi-config enabled`; below 10.0 has no multi-config)")
    parser.add_argument("--multi-vsys", action="store_true", help="report multi-vsys: on")
    parser.add_argument("--release-locks-on-commit", action="store_true",
                        help="a successful commit releases the committer's config locks")
    parser.add_argument("--ha-state", default=None,
                        help="`show high-availability state` answers this local state (active, passive, "
                        "primary-active, secondary-active, ...)")
    parser.add_argument("--ha-peer", default="", help="the peer's state in that answer")
    parser.add_argument("--max-request-bytes", type=int, default=5_000_000,
                        help="a request larger than this on the wire is answered HTTP 413 "
                        "(default 5,000,000)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = None
    if args.config is not None:
        try:
            config = args.config.read_bytes()
        except OSError as exc:
            print(f"{args.config}: cannot load the configuration: {exc}", file=sys.stderr)
            return 1
    users = dict(args.user) if args.user else dict(DEFAULT_USERS)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        emu = EmulatorServer(
            config,
            users=users,
            panorama=args.panorama,
            job_steps=args.job_steps,
            commit_seconds=args.commit_seconds,
            tls=args.tls,
            host=args.host,
            port=args.port,
            device=DeviceProfile(sw_version=args.sw_version, multi_vsys=args.multi_vsys,
                                 release_config_locks_on_commit=args.release_locks_on_commit,
                                 ha_state=args.ha_state, ha_peer=args.ha_peer,
                                 max_request_bytes=args.max_request_bytes),
        )
    except etree.XMLSyntaxError as exc:  # the store parses the file (safely) once
        print(f"{args.config}: cannot load the configuration: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"{args.config}: {exc}", file=sys.stderr)
        return 1
    with emu:
        print(f"PAN-OS XML API emulator on {emu.url}/api/ (users: {', '.join(sorted(users))})", flush=True)
        if emu.ca_file:
            print(f"CA certificate: {emu.ca_file}", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
