"""The `awspan` command line: parse options, run one step, turn failures into exit codes.

Each subcommand lives in the module of its step; this file only wires options to them,
so that `awspan --help` shows the whole pipeline in one place.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from generator import __version__
from generator.errors import MESSAGE_LIMIT, AwspanError, shorten
from generator.inputs import os_reason
from generator.interrupt import Interrupted, trap_signals
from generator.logsetup import configured, level_for
from generator.messages import describe_unexpected

# subcommand -> "module:function"; imported lazily so `awspan generate` never loads boto3.
COMMANDS = {
    "collect": "generator.cli.collect:run",
    "generate": "generator.cli.generate:run",
    "snapshot": "generator.cli.firewall:run_snapshot",
    "plan": "generator.cli.firewall:run_plan",
    "push": "generator.cli.firewall:run_push",
    "event": "generator.cli.event:run_cli",
    "validate": "generator.cli.validate:run",
    "completion": "generator.cli.completion:run",
}


ENVIRONMENT = """\
environment variables:
  AWSPAN_CONFIG           policy file when --config is not given
  PANOS_URL               firewall URL, https://host[:port] (wins over firewall.url)
  PANOS_HOSTNAME          firewall host name when PANOS_URL is unset (https:// assumed)
  PANOS_API_KEY           firewall API key (read only from the environment)
  PANOS_USERNAME          with PANOS_PASSWORD: make the API key by keygen instead
  PANOS_PASSWORD          see PANOS_USERNAME
  PANOS_CA_BUNDLE         CA file that signs the firewall's certificate (wins over firewall.ca_bundle)
  AWS_PROFILE, AWS_REGION, AWS_ACCESS_KEY_ID, ...
                          the AWS SDK's usual credential chain (collect)

Global options (--config, --debug, --verbose, --quiet) go before or after COMMAND.
Shell completion: eval "$(awspan completion bash)" (see `awspan completion --help`).
"""


def default_config() -> str:
    """--config's default: $AWSPAN_CONFIG when set (as in the Lambda), else ./policy.yaml."""
    return os.environ.get("AWSPAN_CONFIG") or "policy.yaml"


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Show every option's default (except flags and options without one)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "%(default)" in text or "(default" in text or not action.option_strings:
            return text
        if action.default is None or action.default is False or action.default == argparse.SUPPRESS:
            return text
        if isinstance(action, argparse._CountAction):  # -v: counted, nothing to show
            return text
        return f"{text} (default: %(default)s)"


def _global_options(p: argparse.ArgumentParser, *, top: bool) -> None:
    """Options every command takes, accepted before and after the subcommand.

    The subcommand's copies default to SUPPRESS so that, when given only before the
    subcommand, the top-level value is not overwritten by the subcommand's default.
    """
    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    p.add_argument("--config", default=default(default_config()), metavar="PATH",
                   help="policy file (default: $AWSPAN_CONFIG if set, else policy.yaml)")
    p.add_argument("--debug", action="store_true", default=default(False),
                   help="show tracebacks and every debug log, the AWS SDK's and urllib3's too")
    p.add_argument("-v", "--verbose", action="count", default=default(0),
                   help="show awspan's debug logs too (e.g. each firewall request)")
    p.add_argument("-q", "--quiet", action="store_true", default=default(False),
                   help="show only warnings and errors")


def _step(sub: argparse._SubParsersAction, name: str, help: str) -> argparse.ArgumentParser:  # noqa: A002
    """A subcommand's parser, with the global options it also accepts after its name."""
    p = sub.add_parser(name, help=help)
    _global_options(p, top=False)
    return p


def _fragment_option(p: argparse.ArgumentParser) -> None:
    """--fragment of plan and push: the file generate wrote; --state: what it was generated from."""
    p.add_argument("--fragment", default="out/fragment.xml", metavar="PATH", help="fragment (from generate)")
    p.add_argument("--state", metavar="PATH",
                   help="state the fragment was generated from; membership dynamic checks registrations.yaml "
                        "against it (default: state.yaml beside the fragment)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="awspan",
        description="Keep a PAN-OS firewall in step with what AWS security groups allow.",
        epilog=ENVIRONMENT,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"awspan {__version__}",
                        help="print the version")
    _global_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_SubParser)

    p = _step(sub, "collect", "read AWS and write out/state.yaml")
    p.add_argument("--output", default="out/state.yaml", metavar="PATH", help="state file to write")
    p.add_argument("--endpoint-url", metavar="URL", help="send every AWS call here (e.g. a moto server)")

    p = _step(sub, "generate", "turn state.yaml + policy.yaml into out/fragment.xml")
    p.add_argument("--state", default="out/state.yaml", metavar="PATH", help="state file (from collect)")
    p.add_argument(
        "--rulebase",
        default="out/rulebase.xml",
        metavar="PATH",
        help="firewall rules snapshot for the already-allowed check (used when the file exists)",
    )
    p.add_argument("--no-rulebase", action="store_true", help="skip the already-allowed check")
    p.add_argument("--output", default="out/fragment.xml", metavar="PATH",
                   help="fragment to write (precheck.yaml goes beside it)")
    p.add_argument(
        "--templates", metavar="DIR", help="use this site's Jinja2 templates instead of the built-in ones"
    )

    p = _step(sub, "snapshot", "write the firewall's security rules to out/rulebase.xml")
    p.add_argument("--output", default="out/rulebase.xml", metavar="PATH", help="snapshot file to write")
    p.add_argument(
        "--candidate", action="store_true", help="read the candidate instead of the running config"
    )

    p = _step(sub, "plan", "show what push would change (changes nothing)")
    _fragment_option(p)
    p.add_argument("--format", choices=["text", "json", "markdown"], default="text",
                   help="text for a terminal, json for a pipeline, markdown for a pull request")
    p.add_argument(
        "--detailed-exitcode", action="store_true", help="exit 2 when there are changes, 0 when none"
    )
    p.add_argument(
        "--out", metavar="FILE", help="also write the plan with what binds it (for push --plan)"
    )
    p.add_argument(
        "--full-plan-note", metavar="MARKDOWN",
        help="markdown: where a reader of the markdown plan finds the full plan (e.g. a link to the "
             "committed out/plan.json); default: the --out file by name",
    )

    p = _step(sub, "push", "apply the fragment to the firewall in one batch and commit it")
    _fragment_option(p)
    p.add_argument("--force", action="store_true", help="allow deletions over safety.max_delete_percent")
    p.add_argument(
        "--plan", metavar="FILE", help="apply only if the change set still equals this saved plan"
    )
    p.add_argument(
        "--description", metavar="TEXT", help="commit description (default names awspan and the change)"
    )

    p = _step(sub, "event", "classify one CloudTrail event and run the configured reaction")
    p.add_argument("file", nargs="?", default="-", help="event JSON file, or - for stdin (default)")
    p.add_argument("--decide-only", action="store_true", help="print the decision, run no reaction")
    p.add_argument("--trail-bucket", action="append", default=[], metavar="BUCKET",
                   help="a bucket whose log files a notification may name (besides events.trail_buckets of "
                        "policy.yaml, when it exists); any other bucket is refused unread")

    p = _step(sub, "validate", "check policy.yaml, state.yaml and the fragment offline")
    p.add_argument("--state", default="out/state.yaml", metavar="PATH",
                   help="state file to check (skipped when the default is absent)")
    p.add_argument("--fragment", default="out/fragment.xml", metavar="PATH",
                   help="fragment to check against schemas/fragment.xsd (skipped when the default is absent)")

    p = _step(sub, "completion", "print a shell completion script (bash or zsh)")
    p.add_argument("shell", choices=["bash", "zsh"], help='the shell; e.g. eval "$(awspan completion bash)"')
    return parser


class _SubParser(argparse.ArgumentParser):
    """Subcommand parsers show defaults like the top-level one."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def _resolve(spec: str):  # noqa: ANN202 - a command function
    module, _, func = spec.partition(":")
    return getattr(importlib.import_module(module), func)


MAX_LINES = 32
"""Lines of one error message at most (a problem list is capped at 20 plus its head and tail)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand. Exit codes: 0 ok, 1 error, 2 changes (plan --detailed-exitcode)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verbose and args.quiet:
        parser.error("--verbose and --quiet contradict each other: give one")
    level = level_for(verbose=args.verbose, quiet=args.quiet, debug=args.debug)
    with configured(level, debug=args.debug):
        return _run(args)


def _bounded_lines(exc: AwspanError) -> str:
    """The message, each line escaped and cut (a value cannot forge a line or run for megabytes);
    a message that lists several problems keeps one line per problem (validate.problems_error)."""
    return "\n".join(shorten(line, MESSAGE_LIMIT) for line in str(exc).split("\n")[:MAX_LINES])


def _run(args: argparse.Namespace) -> int:
    try:
        with trap_signals():  # SIGTERM/SIGHUP like Ctrl-C: cleanup runs (temp files, locks)
            return int(_resolve(COMMANDS[args.command])(args) or 0)
    except AwspanError as exc:
        if args.debug:
            raise
        print(f"awspan {args.command}: error: {_bounded_lines(exc)}", file=sys.stderr)
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
        print(f"awspan {args.command}: error: {shorten(describe_unexpected(exc), MESSAGE_LIMIT)}",
              file=sys.stderr)
        return 1
