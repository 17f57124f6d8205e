"""`awspan event [FILE|-] [--decide-only]`: the Lambda's decision on your machine.

Reads one EventBridge event, a bare CloudTrail record, a JSON list of them, a CloudTrail
log file (`{"Records": [...]}`, gzip'd or not) or an S3/SNS/SQS notification (whose log
files it then reads from S3), prints one decision per event and runs the reaction once if
any is relevant. Stdin and files are read alike: bytes, a size cap, strict UTF-8.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import sys
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generator.errors import AwspanError
from generator.events.intake import gather
from generator.events.jsondoc import MAX_JSON_BYTES, parse_json
from generator.events.reaction import react

_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(source: str) -> bytes:
    """At most MAX_JSON_BYTES + 1 bytes of a regular file or stdin (never a FIFO or a device)."""
    if source == "-":
        return sys.stdin.buffer.read(MAX_JSON_BYTES + 1)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer before its type is checked
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK)
        with open(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise AwspanError("event file is not a regular file", where=source)
            return handle.read(MAX_JSON_BYTES + 1)
    except FileNotFoundError:
        raise AwspanError("event file not found", where=source) from None
    except IsADirectoryError:
        raise AwspanError("event file is a directory", where=source) from None
    except OSError as exc:
        raise AwspanError(f"event file cannot be read ({exc.strerror or exc})", where=source) from None


def read_input(source: str) -> Any:
    """The JSON document of a file or stdin; a gzip'd CloudTrail log file is gunzipped first."""
    where = "<stdin>" if source == "-" else source
    data = _read_bytes(source)
    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.GzipFile(fileobj=io.BytesIO(data)).read(MAX_JSON_BYTES + 1)
        except (gzip.BadGzipFile, zlib.error, EOFError) as exc:
            raise AwspanError(f"not a complete gzip file ({exc or type(exc).__name__})",
                              where=where) from None
    doc = parse_json(data, where)
    if not isinstance(doc, (Mapping, list)):
        raise AwspanError("expected a JSON object (an event), a list of events or a CloudTrail file",
                          where=where)
    return {"Records": doc} if isinstance(doc, list) else doc


def trail_buckets(args: Any) -> tuple[str, ...]:
    """--trail-bucket, and events.trail_buckets of policy.yaml when the file exists (it need not with
    --decide-only): the buckets whose log files a notification may name."""
    listed = tuple(getattr(args, "trail_bucket", None) or ())
    if not Path(args.config).exists():
        return listed
    from generator.policy import load_policy

    return listed + load_policy(args.config).events.trail_buckets


def run_cli(args: Any) -> int:
    """Print each decision, then react once if any is relevant."""
    intake = gather(read_input(args.file), buckets=lambda: trail_buckets(args))
    for note in (intake.batch.notes + intake.batch.bad_messages + intake.files_refused
                 + intake.files_skipped):
        print(f"note: {note}")
    for decision in intake.decisions:
        print(decision.summary())
    if intake.files_failed:
        raise AwspanError(f"{len(intake.files_failed)} log file(s) could not be read: "
                          f"{', '.join(f.url for f in intake.files_failed[:5])}")
    relevant = intake.relevant
    if not relevant:
        print("reaction: none (no relevant event)")
        return 0
    if args.decide_only:
        print("reaction: not run (--decide-only)")
        return 0
    outcome = react(relevant, Path(args.config))
    if outcome.get("outside"):
        print(f"note: {outcome['outside']} relevant event(s) from accounts/regions the policy does not "
              "collect ignored")
    if outcome["reaction"] == "log":
        print("reaction: none (events.mode is log: report only)")
        return 0
    if outcome["reaction"] == "none":
        print(f"reaction: none ({outcome['why']})")
        return 0
    details = ", ".join(f"{k}={v}" for k, v in outcome.items() if k not in ("reaction", "outside"))
    print(f"reaction: {outcome['reaction']} done" + (f" ({details})" if details else ""))
    return 0
