"""Bounded JSON reading for everything the event path parses.

One function for stdin, files, S3 log files and the JSON strings inside SNS and SQS
envelopes, so that the same bytes are accepted or refused the same way wherever they come
from: strict UTF-8, a size cap, and a clear error (not a RecursionError) for a document
nested deeper than the parser can follow.
"""

from __future__ import annotations

import json
from typing import Any

from generator.errors import AwspanError

MAX_JSON_BYTES = 256 << 20
"""Largest JSON document read: 256 MiB, far above an event or a CloudTrail log file."""


def decode(data: bytes, where: str) -> str:
    """Strict UTF-8 (the encoding of CloudTrail files and of JSON on the wire)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AwspanError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", where=where) from None


def parse_json(data: bytes | str, where: str, *, limit: int = MAX_JSON_BYTES) -> Any:
    """Parse one JSON document; every failure is an AwspanError naming `where`."""
    if len(data) > limit:
        raise AwspanError(f"{len(data):,} bytes of JSON, over the {limit:,}-byte limit", where=where)
    text = decode(data, where) if isinstance(data, bytes) else data
    try:
        return json.loads(text)
    except RecursionError:
        raise AwspanError("JSON nested too deeply to read (no event or CloudTrail file nests like this)",
                          where=where) from None
    except ValueError as exc:
        raise AwspanError(f"not valid JSON: {exc}", where=where) from None
