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

A file is read as a stream (jsonstream.py): gunzipped a chunk at a time and its records handed
out one by one, so that memory holds one chunk and one record whatever the file's size (a file
at the cap made of small records, parsed whole, needed 1,435 MiB). A key is trusted only as far
as CloudTrail writes it: the first `AWSLogs/[o-ORG/]ACCOUNT/` names the account the file belongs
to, and a key that holds a second `AWSLogs/` (a collected account's path nested under another
account's prefix) is refused unread.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from typing import Any

from generator.events.jsonstream import RecordStream, StreamError
from generator.events.notifications import LogFile

MAX_COMPRESSED_BYTES = 64 << 20
"""Largest log file fetched (gzip'd). CloudTrail files are a few MB at most."""

MAX_LOG_BYTES = 256 << 20
"""Largest log file once gunzipped: a gzip bomb stops here. Memory does not grow with it (the
records are streamed); the time to read it does."""

MAX_RECORD_CHARS = 16 << 20
"""Largest single record (or other top-level value) held in memory, in characters: CloudTrail
records are at most a few hundred KB (a RunInstances of many instances)."""

_CHUNK = 1 << 20

_AWSLOGS = re.compile(r"(?:^|/)AWSLogs/")
_ACCOUNT = re.compile(r"(?:^|/)AWSLogs/(?:o-[a-z0-9]{10,32}/)?([0-9]{12})/")
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


def refusal(key: str) -> str | None:
    """Why a key must not be read at all, or None: CloudTrail writes one `AWSLogs/` per key, so a
    second one is a path made to look like another account's (planted under this one's prefix)."""
    if len(_AWSLOGS.findall(key)) > 1:
        return ("the key holds AWSLogs/ twice: a log file path nested under another account's prefix "
                "(CloudTrail writes one), refused unread")
    return None


def key_scope(key: str) -> tuple[str, str] | None:
    """(account, region) from a CloudTrail key, or None for a key of another shape."""
    match = _KEY.search(key)
    return (match.group(1), match.group(2)) if match else None


def key_account(key: str) -> str | None:
    """The account whose `AWSLogs/[o-ORG/]ACCOUNT/` prefix the key is under, whatever follows."""
    match = _ACCOUNT.search(key)
    return match.group(1) if match else None


def _gunzipped(body: Any, where: str) -> Iterator[bytes]:
    """The gunzipped bytes, chunk by chunk, stopping at MAX_LOG_BYTES."""
    total = 0
    try:
        with gzip.GzipFile(fileobj=body, mode="rb") as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > MAX_LOG_BYTES:
                    raise Unreadable(f"{where}: over {MAX_LOG_BYTES:,} bytes once gunzipped (a gzip bomb?)")
                yield chunk
    except (gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise Unreadable(f"{where}: not a complete gzip file ({exc or type(exc).__name__})") from None


def records_in(chunks: Iterator[bytes], where: str) -> Iterator[Any]:
    """The `Records` of one gunzipped CloudTrail log file, one at a time."""
    try:
        yield from RecordStream(chunks, where, MAX_RECORD_CHARS)
    except StreamError as exc:
        raise Unreadable(str(exc)) from None


def _error_code(exc: Any) -> tuple[str, int]:
    error = getattr(exc, "response", {}) or {}
    return (str(error.get("Error", {}).get("Code", "")),
            int(error.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0))


def read_log_file(s3: Any, log_file: LogFile) -> Iterator[Any]:
    """GetObject, gunzip and parse one log file as a stream of records; raises ReadFailed or
    Unreadable, possibly after some records (the caller keeps a file's records only once it
    has been read to its end)."""
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
            yield from records_in(_gunzipped(body, where), where)
    except ClientError as exc:
        code, status = _error_code(exc)
        if code in _PERMANENT or status == 404:
            raise Unreadable(f"{where}: {code or status}: the object cannot be read (gone or archived)"
                             ) from None
        raise ReadFailed(f"{where}: GetObject failed: {code or status} (will be retried)") from None
    except (BotoCoreError, Urllib3Error, ConnectionError, TimeoutError) as exc:
        raise ReadFailed(f"{where}: GetObject failed: {type(exc).__name__} (will be retried)") from None
