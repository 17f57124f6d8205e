"""Why a request to the firewall did not get an answer, in one line with the fix.

The socket layer reports a refused port as `[Errno 111] Connection refused` and an https://
URL pointed at a plain-HTTP port as a TLS "wrong version number"; neither tells a firewall
engineer what to change. The text of the exception chain (generator.panos.xmlapi.transport's
TransportError and what caused it) is matched against the few causes that matter (the
OpenSSL reasons are stable across versions).
"""

from __future__ import annotations

from generator.messages import one_line

_NOT_TLS = ("wrong version number", "wrong_version_number", "record layer failure", "unknown protocol",
            "http request", "packet length too long", "unexpected eof while reading")


def _chain_text(exc: BaseException) -> str:
    parts, seen = [], 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        parts.append(f"{type(current).__name__} {current}")
        current = current.__cause__ or current.__context__
        seen += 1
    return " ".join(parts).lower()


def describe_tls(exc: BaseException, endpoint: str) -> str:
    text = _chain_text(exc)
    if any(marker in text for marker in _NOT_TLS):
        return (f"{endpoint} does not speak TLS (https://) on that port: it answered like a plain HTTP "
                "server; check the port in the URL (plain http:// is allowed only to a loopback test server)")
    if "hostname mismatch" in text or "doesn't match" in text or "not valid for" in text:
        return (f"the certificate of {endpoint} is for another name: use the name the certificate "
                "holds in PANOS_URL or firewall.url")
    if "certificate has expired" in text:
        return f"the certificate of {endpoint} has expired: renew it on the firewall"
    if "certificate verify failed" in text or "self-signed" in text or "self signed" in text:
        return (f"cannot verify the certificate of {endpoint} ({_reason(text)}): name the CA that signed it "
                "with PANOS_CA_BUNDLE or firewall.ca_bundle")
    return f"TLS with {endpoint} failed ({one_line(exc)})"


def _reason(text: str) -> str:
    for reason in ("self-signed certificate in certificate chain", "self-signed certificate",
                   "self signed certificate", "unable to get local issuer certificate"):
        if reason in text:
            return reason
    return "certificate verify failed"


def describe_connection(exc: BaseException, endpoint: str) -> str:
    """A request that got no HTTP answer: refused, unknown name, unreachable, reset."""
    if getattr(exc, "kind", None) == "tls":
        return describe_tls(exc, endpoint)
    text = _chain_text(exc)
    if "connection refused" in text or "errno 111" in text or "errno 61" in text:
        return (f"cannot reach the firewall at {endpoint}: connection refused (nothing listens on that "
                "port: check the port in the URL, and that the management interface allows HTTPS)")
    if ("name or service not known" in text or "nodename nor servname" in text
            or "temporary failure in name resolution" in text or "nameresolutionerror" in text
            or "getaddrinfo failed" in text):
        return (f"cannot reach the firewall at {endpoint}: the host name does not resolve (check the "
                "name in PANOS_URL, PANOS_HOSTNAME or firewall.url, and DNS)")
    if "no route to host" in text or "network is unreachable" in text:
        return (f"cannot reach the firewall at {endpoint}: no route to the host (check the address, "
                "a VPN, or a security group in front of the management interface)")
    if "connect timeout" in text:
        return (f"cannot reach the firewall at {endpoint}: connecting timed out (a firewall or security "
                "group may drop the packets; check the address and the path to the management interface)")
    if "connection reset" in text or "remotedisconnected" in text or "connection aborted" in text:
        return (f"the firewall at {endpoint} closed the connection without an answer (overloaded, "
                "restarting, or something in the path cut it); try again")
    return f"cannot reach the firewall at {endpoint}: {one_line(exc)}"
