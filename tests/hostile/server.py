"""A small hostile HTTP server on loopback: it answers in the firewall's place, or in front of it.

`HostileServer(behave)` calls `behave(form)` for every POST (the parsed form body) and plays
what it returns: an `Reply` (status, headers, body, optionally dripped or cut), or None to
forward the request to `upstream` (a real PAN-OS emulator), so that a test can lie about one
answer (a job's state, say) while the firewall behind stays real and checkable. Every
request is recorded (headers and form) so tests can assert what was, or was not, sent.
"""

from __future__ import annotations

import gzip
import http.client
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.loopback import LoopbackServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'<response status="success"><result/></response>'
    headers: dict[str, str] = field(default_factory=dict)
    drip: float = 0.0          # seconds between single bytes of the body (0: all at once)
    reset_after: int | None = None  # close the connection (RST) after this many body bytes
    length: bool = True        # send Content-Length


def xml(body: str | bytes, status: int = 200, **kw: object) -> Reply:
    data = body.encode() if isinstance(body, str) else body
    return Reply(status=status, body=data, **kw)  # type: ignore[arg-type]


def redirect(status: int, location: str) -> Reply:
    return Reply(status=status, body=b"", headers={"Location": location})


def gzip_bomb(inflated: int) -> Reply:
    """`inflated` bytes of a valid-looking answer, gzip-compressed (zeros compress about 1000:1)."""
    head = b'<response status="success"><result>'
    return Reply(body=gzip.compress(head + b" " * inflated + b"</result></response>", 9),
                 headers={"Content-Encoding": "gzip"})


Behave = Callable[[dict[str, str]], "Reply | None"]


class HostileServer(LoopbackServer):
    """A firewall that answers what each test scripts (`behave`), or forwards to `upstream`."""

    join_timeout = 5.0  # a dripping handler is not waited for

    def __init__(self, behave: Behave | None = None, upstream: str | None = None) -> None:
        self.behave: Behave = behave or (lambda form: Reply())
        self.upstream = upstream
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                self.do_POST()

            def do_POST(self) -> None:  # noqa: N802
                size = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(size)
                form = dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
                with owner.lock:
                    owner.requests.append({"path": self.path, "headers": dict(self.headers), "form": form})
                reply = owner.behave(form)
                if reply is None:
                    reply = owner.forward(raw, dict(self.headers))
                self.play(reply)

            def play(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                if reply.length:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                body = reply.body if reply.reset_after is None else reply.body[:reply.reset_after]
                try:
                    if reply.drip:
                        for i in range(len(body)):
                            self.wfile.write(body[i:i + 1])
                            self.wfile.flush()
                            time.sleep(reply.drip)
                    else:
                        self.wfile.write(body)
                    if reply.reset_after is not None:
                        self.wfile.flush()
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
                        self.connection.close()
                except OSError:
                    pass  # the client gave up (its deadline or size cap): that is the point
                self.close_connection = True

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False  # a dripping handler must not hold the test up at exit
        self.serve(httpd, poll_interval=0.05)

    def forward(self, raw: bytes, headers: dict[str, str]) -> Reply:
        assert self.upstream, "no upstream to forward to"
        parts = urllib.parse.urlsplit(self.upstream)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        keep = {k: v for k, v in headers.items() if k.lower() in ("x-pan-key", "content-type")}
        conn.request("POST", "/api/", body=raw, headers=keep)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        return Reply(status=resp.status, body=body, headers={"Content-Type": "application/xml"})

    def forward_form(self, form: dict[str, str]) -> Reply:
        """Send `form` to the upstream as the client would have; a behaviour can then lie about the answer."""
        key = self.requests[-1]["headers"].get("X-PAN-KEY", "") if self.requests else ""
        raw = urllib.parse.urlencode(form).encode()
        return self.forward(raw, {"Content-Type": "application/x-www-form-urlencoded", "X-PAN-KEY": key})
