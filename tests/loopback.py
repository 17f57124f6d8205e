"""A test HTTP server on 127.0.0.1, served from a daemon thread for the length of a with-block.

The hostile firewall (tests/hostile/server.py), the flaky S3 front (tests/events/trail.py) and
the repository-dispatch endpoint (tests/events/https_server.py) differ in what they answer, not
in how they start and stop: that part lives here once.
"""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Any


class LoopbackServer:
    """Call `serve(httpd)` in __init__; then `with server:` serves, and the exit always stops it."""

    scheme = "http"
    join_timeout = 10.0

    def serve(self, httpd: ThreadingHTTPServer, **serve_forever: Any) -> None:
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs=serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> Any:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=self.join_timeout)
