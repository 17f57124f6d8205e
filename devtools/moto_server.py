"""A moto server in a child process on 127.0.0.1, for tests, the demo and the benchmark.

Why a subprocess and not moto's in-process decorator: `awspan collect --endpoint-url`
must be exercised the way a user runs it (real HTTP, a separate process), and the demo
and benchmark need an endpoint that several processes can share.

Why our own launcher instead of `python -m moto.server -p PORT`: we bind port 0 in the
child and let it report the port the kernel chose, so two test runs never race for a
"free" port. The child also exits when its stdin closes, so it cannot outlive the
parent even when the parent is killed without running its cleanup.

    with MotoServer() as url:
        subprocess.run([..., "--endpoint-url", url], env={**os.environ, **moto_env()})
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from types import TracebackType

READY_PREFIX = "awspan-moto-server listening on port "


def moto_env(region: str = "us-east-1") -> dict[str, str]:
    """Fake credentials and region for clients of the server (never real ones)."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


class MotoServer:
    """Start a moto server subprocess; `with MotoServer() as url:` always stops it."""

    def __init__(self, *, start_timeout: float = 60.0, load_default_amis: bool = False) -> None:
        # moto scans its ~1,300 default AMIs for every instance it launches; without them
        # seeding thousands of instances is ~3x faster, and any ami-... id is still accepted
        self.start_timeout = start_timeout
        self.load_default_amis = load_default_amis
        self.url: str | None = None
        self._proc: subprocess.Popen[str] | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> str:
        """Launch the child, read the port it bound, wait until it answers HTTP."""
        env = {**os.environ, **moto_env(), "MOTO_EC2_LOAD_DEFAULT_AMIS": str(self.load_default_amis).lower()}
        self._proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "devtools.moto_server", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        try:
            port = self._read_port()
            self.url = f"http://127.0.0.1:{port}"
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise
        return self.url

    def _read_port(self) -> int:
        assert self._proc is not None and self._proc.stdout is not None
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self._proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.start_timeout)
        line = result[0] if result else ""
        if not line.startswith(READY_PREFIX):
            raise RuntimeError(f"moto server did not start (exit code {self._proc.poll()}, said {line!r})")
        return int(line[len(READY_PREFIX):].strip())

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=5) as resp:  # noqa: S310
                    resp.read()
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline or (self._proc and self._proc.poll() is not None):
                    raise RuntimeError(f"moto server at {self.url} does not answer") from None
                time.sleep(0.05)

    def reset(self) -> None:
        """Forget every resource (POST /moto-api/reset), so one server can serve several tests."""
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - loopback
            resp.read()

    def stop(self) -> None:
        """Close stdin (the child exits on EOF), then terminate, then kill: never a leftover."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout:
            proc.stdout.close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _serve() -> None:
    """Child side: bind 127.0.0.1:0, report the port, serve until stdin closes."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    os.environ["MOTO_PORT"] = str(server.server_port)  # moto builds some URLs from it

    def watch_parent() -> None:
        sys.stdin.read()  # returns at EOF: the parent closed the pipe or died
        server.shutdown()

    threading.Thread(target=watch_parent, daemon=True).start()
    print(f"{READY_PREFIX}{server.server_port}", flush=True)
    server.serve_forever()
    server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.moto_server",
        description="Run a moto server on 127.0.0.1 (a free port), print its URL, and serve until "
                    "Ctrl-C or SIGTERM.",
    )
    parser.add_argument("--serve", action="store_true", help="(child mode) serve and print the port")
    args = parser.parse_args(argv)
    if args.serve:
        _serve()
        return 0
    import signal

    # SIGTERM (kill, a CI runner's cleanup) stops the server like Ctrl-C: the child is stopped too
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with MotoServer() as url:
        try:  # the print too: a SIGTERM may arrive as soon as the reader has the line
            print(url, flush=True)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
