"""The HTTP side: a threaded HTTP(S) server on 127.0.0.1 serving /api/, and
`EmulatorServer`, the context manager tests and the demo start and stop.

Requests may come as GET query strings or POST forms (pan-python posts, awspan's client
posts so that the key never sits in a URL); the key may come in the X-PAN-KEY header.
Open keep-alive connections are shut down on stop so that no thread outlives the server.

The XML API's 5 MB request limit ("Structure of a PAN-OS XML API Request", PAN-OS 9.1-11.x:
"limit the request size to 5MB") is enforced here, on the request as it arrives (the
form-encoded body plus the query), before anything is parsed or applied: a larger request is
answered HTTP 413 with a plain HTML body, as the device's front web server answers an oversized
body, never an XML envelope. No public source shows the exact answer of a device; what a client
can rely on is that nothing of such a request is applied (docs/emulator.md "Request size").
"""

from __future__ import annotations

import contextlib
import copy
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from lxml import etree

from emulator.api import Api, Reply, Users, write_one
from emulator.device import DeviceProfile
from emulator.fleet import Fleet
from emulator.responses import CODE_INTERNAL, ApiError, error_element, serialize
from emulator.store import Store

DEFAULT_USERS = {"admin": "admin", "automation": "automation"}
TOO_LARGE = (b"<html><head><title>413 Request Entity Too Large</title></head><body>"
             b"<center><h1>413 Request Entity Too Large</h1></center></body></html>")


def default_config(panorama: bool = False) -> bytes:
    """The shipped initial configuration (a firewall vsys1, or a Panorama device group dg1)."""
    name = "default_panorama.xml" if panorama else "default_config.xml"
    return resources.files("emulator").joinpath(name).read_bytes()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # headers and body go out as two writes: without TCP_NODELAY, Nagle plus the
        # client's delayed ACK cost ~40 ms per request
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Silent: request lines may carry a key in the query; never log them."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        if self._too_large(len(urlsplit(self.path).query)):
            return
        self._serve(b"")

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._send(400, b"bad Content-Length", "text/plain")
            return
        if self._too_large(length + len(urlsplit(self.path).query)):
            self._drain(length)
            return
        body = self.rfile.read(length) if length else b""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if body and ctype not in ("", "application/x-www-form-urlencoded"):
            self._send(415, b"only application/x-www-form-urlencoded bodies are supported", "text/plain")
            return
        self._serve(body)

    def _too_large(self, size: int) -> bool:
        """Answer 413 for a request over the device's limit (counted, nothing parsed or applied)."""
        limit = self.server.api.store.device.max_request_bytes
        self.server.api.saw_request(size)
        if size <= limit:
            return False
        self.server.api.refused_too_large(size)
        self._send(413, TOO_LARGE, "text/html")
        return True

    def _drain(self, length: int) -> None:
        """Read and drop the refused body, so that the client sees the answer rather than a reset."""
        left = length
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)

    def _serve(self, body: bytes) -> None:
        url = urlsplit(self.path)
        if url.path.rstrip("/") != "/api":
            self._send(404, b"not found", "text/plain")
            return
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        try:
            reply = self.server.api.handle(params, self.headers.get("X-PAN-KEY"))
        except Exception as exc:  # an emulator bug: answer like PAN-OS's internal error, visibly
            traceback.print_exc()
            error = ApiError(CODE_INTERNAL, f"emulator internal error: {type(exc).__name__}: {exc}")
            reply = Reply(500, serialize(error_element(error)))
        self._send(reply.status, reply.body, "application/xml; charset=UTF-8")

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: Api) -> None:
        super().__init__(address, _Handler)
        self.api = api
        self._connections: set[socket.socket] = set()
        self._conn_mutex = threading.Lock()

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-request is not worth a traceback; anything else is."""
        if isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._conn_mutex:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        with self._conn_mutex:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost; it is its own CA (emu.ca_file).

    Made with `cryptography` when it is installed (it comes with the test extras), else
    with the `openssl` command.
    """
    try:
        return _self_signed_cryptography(directory)
    except ImportError:
        return _self_signed_openssl(directory)


def _self_signed_openssl(directory: Path) -> tuple[Path, Path]:
    cert_file, key_file = directory / "emulator-cert.pem", directory / "emulator-key.pem"
    command = [
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-days", "2", "-subj", "/CN=awspan PAN-OS emulator",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-keyout", str(key_file), "-out", str(cert_file),
    ]  # fmt: skip
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise RuntimeError(
            f"cannot make a TLS certificate (install 'cryptography' or openssl): {exc}"
        ) from None
    return cert_file, key_file


def _self_signed_cryptography(directory: Path) -> tuple[Path, Path]:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "awspan PAN-OS emulator")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "emulator-cert.pem", directory / "emulator-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


class EmulatorServer:
    """A PAN-OS XML API emulator on 127.0.0.1; use as a context manager (or start()/stop())."""

    def __init__(
        self,
        config_xml: bytes | str | None = None,
        users: dict[str, str] | None = None,
        panorama: bool = False,
        job_steps: int = 2,
        commit_seconds: float = 0.0,
        tls: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        decorate: bool = True,
        device: DeviceProfile | None = None,
        fleet: Fleet | None = None,
    ) -> None:
        self.store = Store(
            config_xml if config_xml is not None else default_config(panorama),
            panorama=panorama,
            job_steps=job_steps,
            decorate=decorate,
            device=device,
            commit_seconds=commit_seconds,
            fleet=fleet,
        )
        self._users = Users(users if users is not None else DEFAULT_USERS)
        self.api = Api(self.store, self._users)
        self.tls = tls
        self._host, self._port = host, port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._tmpdir: str | None = None
        self.ca_file: str | None = None

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> EmulatorServer:
        server = _Server((self._host, self._port), self.api)
        if self.tls:
            self._tmpdir = tempfile.mkdtemp(prefix="awspan-emu-")
            cert, key = _self_signed(Path(self._tmpdir))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            server.socket = context.wrap_socket(server.socket, server_side=True)
            self.ca_file = str(cert)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="panos-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    # -- for tests ----------------------------------------------------------------------
    @property
    def fleet(self) -> Fleet:
        """Panorama's managed firewalls (emulator/fleet.py); share one between the peers of an HA pair."""
        return self.store.fleet

    def api_key(self, user: str) -> str:
        """The key keygen gives `user`."""
        return self._users.key_for(user)

    @property
    def request_count(self) -> int:
        return self.api.request_count

    @property
    def largest_request(self) -> int:
        """Bytes on the wire of the largest request since the last reset (refused ones included)."""
        return self.api.largest_request

    @property
    def requests(self) -> list[dict]:
        return self.api.recorded()

    def reset_counters(self) -> None:
        self.api.reset_counters()

    def fail(self, kind: str, nth: int = 1, code: str = "13", message: str | None = None) -> None:
        """Make the nth future request of `kind` fail (see emulator.faults)."""
        self.api.faults.add(kind, nth=nth, code=code, message=message)

    def running(self) -> etree._Element:
        with self.store.mutex:
            self.store.settle()
            return copy.deepcopy(self.store.running)

    def candidate(self) -> etree._Element:
        with self.store.mutex:
            self.store.settle()
            return copy.deepcopy(self.store.candidate)

    def view(self, running: bool) -> etree._Element:
        """The whole config as a client reads it (decorated like a device's answers): a default
        written back explicitly (a rollback of a read element) and an implied one look the same."""
        return self.store.read("/config", running=running)[0]

    def running_xml(self) -> bytes:
        return etree.tostring(self.running(), encoding="utf-8")

    def candidate_xml(self) -> bytes:
        return etree.tostring(self.candidate(), encoding="utf-8")

    def edit_as(
        self, admin: str, action: str, xpath: str, element_xml: str | None = None, **params: str
    ) -> None:
        """A candidate change made by another admin (as through the API, without HTTP).

        `params` carries where/dst (move) or newname (rename). Raises the ApiError PAN-OS would report.
        """
        write_one(self.store, admin, action, xpath, element_xml, params)

    def lock_as(self, admin: str, kind: str = "config", scope: str = "vsys1", comment: str = "") -> None:
        """A config or commit lock held by `admin`."""
        if kind not in ("config", "commit"):
            raise ValueError("kind is config or commit")
        self.store.add_lock(kind, admin, scope, comment)

    def unlock_as(self, admin: str, kind: str = "config", scope: str = "vsys1") -> None:
        self.store.remove_lock(kind, admin, scope)

    def commit_as(self, admin: str, partial: bool = True, description: str = "") -> bool:
        """Commit `admin`'s changes (or all, partial=False); True when the job succeeds. Its changes land
        in running at once, or when its time is up with `commit_seconds` (a job in progress)."""
        job = self.store.commit(admin, {admin} if partial else None, description)
        return job is None or job.ok

    def pending_admins(self) -> list[str]:
        return self.store.pending_admins()

    def config_locks(self) -> dict[str, str]:
        """scope -> admin of the config locks held now."""
        with self.store.mutex:
            return {scope: lock.admin for scope, lock in self.store.config_locks.items()}

    def commit_locks(self) -> dict[str, str]:
        with self.store.mutex:
            return {scope: lock.admin for scope, lock in self.store.commit_locks.items()}
