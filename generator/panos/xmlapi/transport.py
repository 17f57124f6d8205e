"""One HTTP POST to the firewall, with every bound awspan promises (design.md "Ownership and push").

Why not `requests`: its guarantees are per socket operation, not per request. A firewall (or
whatever answers in its place) that drips one byte a second never trips a read timeout; a
500 MB answer is held in memory whole; a 2 MB gzip body is inflated without limit; and
`requests` follows redirects, re-sending the `X-PAN-KEY` header or the keygen password to
whatever host the Location names. This module owns the socket, so it can promise:

- no redirect is ever followed: a 3xx answer is returned as it is (the client makes it an
  error naming the Location); nothing is sent anywhere but the configured host;
- one deadline for the whole request (connect, TLS handshake, sending, headers, body): a
  watchdog shuts the socket down when it passes, whatever the peer is doing;
- the body is capped twice: the bytes on the wire and the bytes after gzip/deflate decoding;
- no proxy, no netrc, no environment: the request goes where the URL says.
"""

from __future__ import annotations

import contextlib
import http.client
import signal
import socket
import ssl
import threading
import time
import urllib.parse
import zlib
from dataclasses import dataclass

CONNECT_TIMEOUT = 10.0
CHUNK = 64 * 1024
DEFAULT_MAX_ANSWER = 512 * 1024 * 1024
_STOP_SIGNALS = {s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP")) if s}


class TransportError(Exception):
    """The request failed before a complete answer arrived; `kind` says how."""

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind = kind  # "timeout" | "tls" | "too-large" | "connect" | "broken" | "request-too-large"
        self.detail = detail
        super().__init__(f"{kind}: {detail}" if detail else kind)


@dataclass
class Answer:
    status: int
    reason: str
    location: str | None
    body: bytes


def tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """Verified TLS: the named CA file, else certifi's bundle (what `requests` used), else the system's."""
    cafile = ca_bundle
    if not cafile:
        try:
            import certifi

            cafile = certifi.where()
        except ImportError:  # pragma: no cover - certifi comes with requests
            cafile = None
    return ssl.create_default_context(cafile=cafile)


class _Watchdog:
    """Shut the connection's socket down at the deadline; a blocked read or write then returns at once."""

    def __init__(self, conn: http.client.HTTPConnection, seconds: float) -> None:
        self.conn = conn
        self.sock: socket.socket | None = None  # kept: http.client drops conn.sock once the answer starts
        self.fired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True
        # The timer thread must never receive SIGINT/SIGTERM/SIGHUP: delivered there, a signal
        # would not interrupt the main thread's blocking read, and Ctrl-C would wait for the
        # deadline. A new thread inherits the mask, so block them around start().
        mask = getattr(signal, "pthread_sigmask", None)
        old = mask(signal.SIG_BLOCK, _STOP_SIGNALS) if mask else None
        try:
            self._timer.start()
        finally:
            if mask:
                mask(signal.SIG_SETMASK, old)

    def _fire(self) -> None:
        self.fired = True
        sock = self.sock or self.conn.sock  # conn.sock alone: during connect and the TLS handshake
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _decoder(encoding: str) -> zlib._Decompress | None:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj(32 + zlib.MAX_WBITS)  # zlib header auto-detected
    raise TransportError("broken", f"unsupported Content-Encoding {encoding[:40]!r}")


def _inflate(dec: zlib._Decompress, data: bytes, out: bytearray, limit: int) -> None:
    """Decompress into `out`, never letting it grow past `limit` (+1 byte, to notice the excess)."""
    while data:
        room = limit - len(out) + 1
        out += dec.decompress(data, room)
        if len(out) > limit:
            raise TransportError("too-large", f"over {limit:,} bytes once decompressed")
        data = dec.unconsumed_tail


def post(url: str, form: dict[str, str], headers: dict[str, str], *, deadline: float,
         max_bytes: int = DEFAULT_MAX_ANSWER, context: ssl.SSLContext | None = None,
         max_request: int | None = None) -> Answer:
    """POST `form` to `url` and return the whole answer, within `deadline` seconds in all.

    Raises TransportError; never follows a redirect (a 3xx comes back as an Answer). A body over
    `max_request` bytes is not sent at all ("request-too-large").
    """
    body = urllib.parse.urlencode(form).encode("ascii")
    if max_request is not None and len(body) > max_request:
        raise TransportError("request-too-large", f"{len(body):,} bytes, over the {max_request:,} allowed")
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "", parts.port
    start = time.monotonic()

    def left() -> float:
        return deadline - (time.monotonic() - start)

    conn_timeout = max(min(CONNECT_TIMEOUT, left()), 0.001)
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=conn_timeout, context=context or tls_context(None))
    else:
        conn = http.client.HTTPConnection(host, port, timeout=conn_timeout)
    watchdog = _Watchdog(conn, deadline)
    try:
        try:
            conn.connect()
            watchdog.sock = conn.sock
            conn.sock.settimeout(max(left(), 0.001))
            conn.putrequest("POST", parts.path or "/", skip_accept_encoding=True)
            for name, value in {"Content-Type": "application/x-www-form-urlencoded",
                                "Accept-Encoding": "gzip, deflate", "Accept": "application/xml",
                                "User-Agent": "awspan", "Connection": "close", **headers}.items():
                conn.putheader(name, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            data = _read_body(resp, max_bytes)
        except TransportError:
            raise
        except zlib.error as exc:
            raise TransportError("broken", f"the compressed answer is corrupt ({exc})") from None
        except ssl.SSLCertVerificationError as exc:
            raise TransportError("tls", exc.verify_message or str(exc)) from None
        except (OSError, http.client.HTTPException) as exc:
            if watchdog.fired or isinstance(exc, TimeoutError) or left() <= 0:
                raise TransportError("timeout") from None
            if isinstance(exc, ssl.SSLError):
                raise TransportError("tls", str(exc)) from None
            kind = "broken" if watchdog.sock is not None else "connect"
            raise TransportError(kind, str(exc) or type(exc).__name__) from None
        if watchdog.fired:  # the deadline passed just as the last byte arrived
            raise TransportError("timeout")
        return Answer(resp.status, resp.reason or "", resp.getheader("Location"), data)
    finally:
        watchdog.cancel()
        conn.close()


def _read_body(resp: http.client.HTTPResponse, max_bytes: int) -> bytes:
    length = resp.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise TransportError("too-large", f"announced {int(length):,} bytes, over {max_bytes:,} bytes")
    dec = _decoder(resp.getheader("Content-Encoding") or "")
    raw = 0
    out = bytearray()
    while True:
        chunk = resp.read1(CHUNK)
        if not chunk:
            break
        raw += len(chunk)
        if raw > max_bytes:
            raise TransportError("too-large", f"over {max_bytes:,} bytes")
        if dec is None:
            out += chunk
        else:
            _inflate(dec, chunk, out, max_bytes)
    if dec is not None:
        _inflate(dec, dec.flush(), out, max_bytes)
        if not dec.eof:
            raise TransportError("broken", "the compressed answer ends early")
    return bytes(out)
