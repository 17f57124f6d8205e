"""The `awspan` command line: parse options, run one step, turn failures into exit codes.

Each subcommand lives in the module of its step; this file only wires options to them,
so that `awspan --help` shows the whole pipeline in one place.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from generator import __version__
from generator.errors import MESSAGE_LIMIT, AwspanError, shorten
from generator.inputs import os_reason
from generator.interrupt import Interrupted, trap_signals

# subcommand -> "module:function"; imported lazily so `awspan generate` never loads boto3.
COMMANDS = {
    "collect": "generator.collect.command:run",
    "generate": "generator.generate.command:run",
    "snapshot": "generator.panos.commands:run_snapshot",
    "plan": "generator.panos.commands:run_plan",
    "push": "generator.panos.commands:run_push",
    "event": "generator.events:run_cli",
}


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config", default="policy.yaml", metavar="PATH", help="policy file (default: policy.yaml)"
    )
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="awspan",
        description="Keep a PAN-OS firewall in step with what AWS security groups allow.",
    )
    parser.add_argument("--version", action="version", version=f"awspan {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("collect", help="read AWS and write out/state.yaml")
    _common(p)
    p.add_argument("--output", default="out/state.yaml", metavar="PATH")
    p.add_argument("--endpoint-url", metavar="URL", help="send every AWS call here (e.g. a moto server)")

    p = sub.add_parser("generate", help="turn state.yaml + policy.yaml into out/fragment.xml")
    _common(p)
    p.add_argument("--state", default="out/state.yaml", metavar="PATH")
    p.add_argument(
        "--rulebase",
        default="out/rulebase.xml",
        metavar="PATH",
        help="firewall rules snapshot for the already-allowed check (used when the file exists)",
    )
    p.add_argument("--no-rulebase", action="store_true", help="skip the already-allowed check")
    p.add_argument("--output", default="out/fragment.xml", metavar="PATH")
    p.add_argument(
        "--templates", metavar="DIR", help="use this site's Jinja2 templates instead of the built-in ones"
    )

    p = sub.add_parser("snapshot", help="write the firewall's security rules to out/rulebase.xml")
    _common(p)
    p.add_argument("--output", default="out/rulebase.xml", metavar="PATH")
    p.add_argument(
        "--candidate", action="store_true", help="read the candidate instead of the running config"
    )

    p = sub.add_parser("plan", help="show what push would change (changes nothing)")
    _common(p)
    p.add_argument("--fragment", default="out/fragment.xml", metavar="PATH")
    p.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    p.add_argument(
        "--detailed-exitcode", action="store_true", help="exit 2 when there are changes, 0 when none"
    )
    p.add_argument(
        "--out", metavar="FILE", help="also write the plan with its fingerprints (for push --plan)"
    )

    p = sub.add_parser("push", help="apply the fragment to the firewall in one batch and commit it")
    _common(p)
    p.add_argument("--fragment", default="out/fragment.xml", metavar="PATH")
    p.add_argument("--force", action="store_true", help="allow deletions over safety.max_delete_percent")
    p.add_argument(
        "--plan", metavar="FILE", help="apply only if the change set still equals this saved plan"
    )
    p.add_argument(
        "--description", metavar="TEXT", help="commit description (default names awspan and the change)"
    )

    p = sub.add_parser("event", help="classify one CloudTrail event and run the configured reaction")
    _common(p)
    p.add_argument("file", nargs="?", default="-", help="event JSON file, or - for stdin (default)")
    p.add_argument("--decide-only", action="store_true", help="print the decision, run no reaction")
    return parser


def _resolve(spec: str):  # noqa: ANN202 - a command function
    module, _, func = spec.partition(":")
    return getattr(importlib.import_module(module), func)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand. Exit codes: 0 ok, 1 error, 2 changes (plan --detailed-exitcode)."""
    args = build_parser().parse_args(argv)
    level = logging.DEBUG if args.debug else logging.INFO
    logging.basicConfig(
        level=level,
        format="%(message)s" if not args.debug else "%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger().setLevel(level)  # basicConfig does nothing on a second main() in one process
    # Third-party chatter (botocore, urllib3) only with --debug; set both ways, because main()
    # also runs several times in one process (the Lambda handler, the tests).
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.NOTSET if args.debug else logging.WARNING)
    try:
        with trap_signals():  # SIGTERM/SIGHUP like Ctrl-C: cleanup runs (temp files, locks)
            return int(_resolve(COMMANDS[args.command])(args) or 0)
    except AwspanError as exc:
        if args.debug:
            raise
        print(f"awspan {args.command}: error: {shorten(exc, MESSAGE_LIMIT)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # exit 128+n, as if the signal had killed the process
        text = str(exc) if isinstance(exc, Interrupted) else "interrupted"
        print(f"awspan {args.command}: {shorten(text, MESSAGE_LIMIT)}", file=sys.stderr)
        return exc.exit_code if isinstance(exc, Interrupted) else 130
    except OSError as exc:  # a file the step touched outside the checked readers and writers
        if args.debug:
            raise
        where = f"{shorten(exc.filename)}: " if exc.filename else ""
        print(f"awspan {args.command}: error: {where}{os_reason(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the promise is: no traceback without --debug
        if args.debug:
            raise
        print(
            f"awspan {args.command}: internal error: {type(exc).__name__}: {shorten(exc, MESSAGE_LIMIT)} "
            "(run with --debug for details)",
            file=sys.stderr,
        )
        return 1
