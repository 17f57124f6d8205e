"""Read CloudTrail log files from S3: streamed, gunzipped, bounded, and sorted by failure.

CloudTrail writes one gzip'd JSON document per file, `{"Records": [...]}`, under
`AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/` (digest files under
`CloudTrail-Digest/`, Insights under `CloudTrail-Insight/`). Two kinds of failure, because
Lambda retries what fails:
- ReadFailed: the object could not be read now (throttling, a 5xx, a network error, access
  denied, a KMS key it may not use). The invocation (or the SQS message) fails, so that S3,
  SNS or SQS deliver it again; with access denied, until the permission is fixed.
- Unreadable: the object is what it is (not gzip, not JSON, not a CloudTrail file, over the
  size cap, deleted). Retrying cannot help: it is reported and skipped.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Mapping
from typing import Any

from generator.errors import AwspanError
from generator.events.jsondoc import parse_json
from generator.events.notifications import LogFile

MAX_COMPRESSED_BYTES = 64 << 20
"""Largest log file fetched (gzip'd). CloudTrail files are a few MB at most."""

MAX_LOG_BYTES = 256 << 20
"""Largest log file once gunzipped: a gzip bomb stops here, not at the Lambda's memory."""

_CHUNK = 1 << 20

_KEY = re.compile(r"(?:^|/)AWSLogs/(?:o-[a-z0-9]{10,32}/)?([0-9]{12})/CloudTrail/([a-z0-9-]+)/"
                  r"[0-9]{4}/[0-9]{2}/[0-9]{2}/[^/]+$")

_PERMANENT = frozenset({"NoSuchKey", "NoSuchBucket", "InvalidObjectState", "InvalidRange"})
"""S3 error codes that a retry cannot fix: the object is gone or archived."""


class ReadFailed(Exception):
    """The object could not be read now; the delivery should be retried."""


class Unreadable(Exception):
    """The object can never be read as a CloudTrail log file; report and skip it."""


def skip_reason(key: str) -> str | None:
    """Why a key is not a CloudTrail log file to read, or None."""
    if "/CloudTrail-Digest/" in key or "_CloudTrail-Digest_" in key:
        return "a CloudTrail digest file"
    if "/CloudTrail-Insight/" in key:
        return "a CloudTrail Insights file"
    if not key.endswith(".json.gz"):
        return "not a .json.gz log file"
    return None


def key_scope(key: str) -> tuple[str, str] | None:
    """(account, region) from a CloudTrail key, or None for a key of another shape."""
    match = _KEY.search(key)
    return (match.group(1), match.group(2)) if match else None


def _gunzip(body: Any, where: str) -> bytes:
    """Gunzip a stream chunk by chunk, stopping at MAX_LOG_BYTES."""
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=body, mode="rb") as stream:
            while chunk := stream.read(_CHUNK):
                out += chunk
                if len(out) > MAX_LOG_BYTES:
                    raise Unreadable(f"{where}: over {MAX_LOG_BYTES:,} bytes once gunzipped (a gzip bomb?)")
    except (gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise Unreadable(f"{where}: not a complete gzip file ({exc or type(exc).__name__})") from None
    return bytes(out)


def records_of(data: bytes, where: str) -> list[Any]:
    """The `Records` of one gunzipped CloudTrail log file."""
    try:
        doc = parse_json(data, where, limit=MAX_LOG_BYTES)
    except AwspanError as exc:
        raise Unreadable(str(exc)) from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("Records"), list):
        raise Unreadable(f"{where}: not a CloudTrail log file (no \"Records\" list)")
    return doc["Records"]


def _error_code(exc: Any) -> tuple[str, int]:
    error = getattr(exc, "response", {}) or {}
    return (str(error.get("Error", {}).get("Code", "")),
            int(error.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0))


def read_log_file(s3: Any, log_file: LogFile) -> list[Any]:
    """GetObject, gunzip and parse one log file; raises ReadFailed or Unreadable."""
    from botocore.exceptions import BotoCoreError, ClientError
    from urllib3.exceptions import HTTPError as Urllib3Error

    where = log_file.url
    if log_file.size is not None and log_file.size > MAX_COMPRESSED_BYTES:
        raise Unreadable(f"{where}: {log_file.size:,} bytes, over the {MAX_COMPRESSED_BYTES:,}-byte limit")
    try:
        answer = s3.get_object(Bucket=log_file.bucket, Key=log_file.key)
        length = int(answer.get("ContentLength") or 0)
        if length > MAX_COMPRESSED_BYTES:
            answer["Body"].close()
            raise Unreadable(f"{where}: {length:,} bytes, over the {MAX_COMPRESSED_BYTES:,}-byte limit")
        with answer["Body"] as body:
            data = _gunzip(body, where)
    except ClientError as exc:
        code, status = _error_code(exc)
        if code in _PERMANENT or status == 404:
            raise Unreadable(f"{where}: {code or status}: the object cannot be read (gone or archived)"
                             ) from None
        raise ReadFailed(f"{where}: GetObject failed: {code or status} (will be retried)") from None
    except (BotoCoreError, Urllib3Error, ConnectionError, TimeoutError) as exc:
        raise ReadFailed(f"{where}: GetObject failed: {type(exc).__name__} (will be retried)") from None
    return records_of(data, where)
