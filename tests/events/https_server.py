"""A real HTTPS server on 127.0.0.1 standing in for GitHub's repository-dispatch endpoint.

It records every request (method, path, headers, body) and answers with a status the test
chooses. Its certificate is self-signed for 127.0.0.1; the test trusts it through
REQUESTS_CA_BUNDLE, so the client's TLS verification stays on, as in production.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.loopback import LoopbackServer


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dispatch test server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class DispatchServer(LoopbackServer):
    scheme = "https"

    """`with DispatchServer(tmp_path) as srv:` srv.url, srv.requests, srv.status = 204."""

    def __init__(self, directory: Path) -> None:
        self.cert, key = self_signed(directory)
        self.requests: list[dict[str, Any]] = []
        self.status = 204
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - stdlib naming
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                owner.requests.append({"path": self.path, "headers": dict(self.headers),
                                       "body": json.loads(body or b"null")})
                payload = b"" if owner.status == 204 else b'{"message": "Bad credentials"}'
                self.send_response(owner.status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        self.serve(httpd)
