"""A counting HTTP proxy in front of the moto server: the AWS calls a reaction makes, and the
bytes AWS answered, measured on the wire (the code under test runs unchanged: AWS_ENDPOINT_URL)."""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class CountingProxy:
    """`with CountingProxy(moto_url) as url:` every request to `url` goes to moto, counted."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.calls: Counter[str] = Counter()
        self.answered = 0
        self.waited = 0.0  # seconds spent waiting for moto's answers (moto's time, not the client's)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                conn = http.client.HTTPConnection(proxy.host, proxy.port, timeout=600)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                started = time.perf_counter()
                conn.request(self.command, self.path, body=body, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                proxy.count(self.headers, body, len(data), time.perf_counter() - started)
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def count(self, headers: object, body: bytes, answered: int, waited: float = 0.0) -> None:
        """One call: its operation (Action= of the query protocol, X-Amz-Target of the JSON one)."""
        target = headers.get("X-Amz-Target")  # type: ignore[attr-defined]
        action = target.rsplit(".", 1)[-1] if target else (
            parse_qs(body.decode("utf-8", "replace")).get("Action", ["?"])[0])
        with self._lock:
            self.calls[action] += 1
            self.answered += answered
            self.waited += waited

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.answered = 0
            self.waited = 0.0

    def __enter__(self) -> str:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.url

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
