"""A small PAN-OS XML API client (its HTTP is `transport`: bounded, never redirected).

Why not a bigger library: awspan needs a handful of calls (keygen, config get/show,
multi-config, op, commit, job status) and three promises a general client does not keep
for us:

- the API key never appears in a URL, a log line, argv or a file: it travels only in the
  `X-PAN-KEY` header (keygen sends the password in a POST body, never in the query);
- TLS is verified (a CA bundle may be named), and plain `http://` is refused unless the
  host is a loopback address (the emulator in tests and the demo);
- no redirect is followed, each request has one overall deadline (`firewall.timeout`), the
  answer is capped (`firewall.max_answer_mb`, compressed and decompressed), and an answer
  with a DTD or an entity declaration is refused (see `transport` and `xmlsafe`);
- every PAN-OS error envelope becomes a `PanosError` carrying the code and the message
  lines, so the CLI prints one readable line instead of a traceback.

Requests are counted (`request_count`): firewall round trips dominate push, and the tests
assert that their number does not grow with the number of rules.
"""

from __future__ import annotations

import logging
import os
import urllib.parse
from dataclasses import dataclass

from lxml import etree

from generator.addresses import is_loopback
from generator.errors import AwspanError, quote, shorten
from generator.panos.xmlapi import transport
from generator.panos.xmlapi.neterrors import describe_connection, describe_tls
from generator.panos.xmlapi.wire import REQUEST_LIMIT
from generator.xmlsafe import UnsafeXML, safe_fromstring, safe_parser

log = logging.getLogger(__name__)

_PARSER = safe_parser(huge_tree=True, remove_blank_text=True)
FIREWALL_TEXT = 300
"""Characters of the firewall's own error text kept in a message (the rest is counted)."""
API_PATHS = frozenset({"", "/", "/api", "/api/"})
"""Paths accepted in a firewall URL (PANOS_URL or firewall.url): none, or the API's own."""


class PanosError(AwspanError):
    """PAN-OS answered with an error envelope (or could not be reached).

    `code` is the PAN-OS error code when the envelope had one (e.g. "12" invalid object,
    "13" invalid xpath / not allowed, "403" for a refused key); `lines` are the message
    lines in the order PAN-OS gave them. `answered` is True when the firewall answered with an
    error envelope, so the request is known to have done nothing; False for a transport
    failure (timeout, reset), after which a write may or may not have happened.
    """

    def __init__(self, message: str, *, code: str | None = None, lines: list[str] | None = None,
                 answered: bool = False, where: str | None = None) -> None:
        self.code = code
        self.lines = list(lines or [])
        self.answered = answered
        super().__init__(message, where=where)


def parse_xml(data: bytes | str, what: str = "response") -> etree._Element:
    """Parse XML without entity expansion or network access (PAN-OS answers are data, not documents)."""
    try:
        return safe_fromstring(data.encode("utf-8") if isinstance(data, str) else data, _PARSER)
    except UnsafeXML as exc:
        raise PanosError(f"the firewall's {what} was refused: {exc}") from None
    except etree.XMLSyntaxError as exc:
        raise PanosError(f"the firewall's {what} is not XML ({shorten(exc)})") from None


def message_lines(root: etree._Element) -> list[str]:
    """The human-readable lines of a response: every <line>, else every <msg>; nested
    per-operation responses (multi-config) are prefixed with their `id`."""
    nodes = list(root.iter("line")) or list(root.iter("msg"))
    lines: list[str] = []
    for node in nodes:
        if node.find(".//uid-response") is not None:
            continue  # its entries are read below; its bare text is only the version
        text = " ".join("".join(node.itertext()).split())
        if not text:
            continue
        owner = node.getparent()
        while owner is not None and owner.tag != "response":
            owner = owner.getparent()
        op_id = owner.get("id") if owner is not None and owner is not root else None
        line = f"[{op_id}] {text}" if op_id else text
        if line not in lines:
            lines.append(line)
    # a User-ID answer says per entry what it did not do (e.g. "tag t already exists, ignore")
    for entry in root.iterfind(".//uid-response/payload/*/entry[@message]"):
        lines.append(f"{entry.getparent().tag} {entry.get('ip', '?')}: {entry.get('message')}")
    return lines


def is_loopback_host(host: str) -> bool:
    """Plain http:// is allowed only to this machine (the emulator in tests and the demo)."""
    return is_loopback(host)


def api_endpoint(url: str) -> str:
    """Check the firewall URL and return its API endpoint (`.../api/`)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise AwspanError(f"firewall URL {url!r} must look like https://host[:port]")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise AwspanError(
            f"refusing plain http:// to {parts.hostname}: the API key would cross the network in clear text; "
            "use https:// (http:// is allowed only to a loopback address)"
        )
    if parts.username or parts.password or parts.query:
        raise AwspanError("the firewall URL must not hold credentials or a query; use PANOS_API_KEY")
    if parts.path not in API_PATHS:
        raise AwspanError(f"firewall URL {url!r}: the path must be empty or /api/ (awspan adds /api/ itself)")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/api/", "", ""))


@dataclass
class Job:
    """A finished (or timed-out) PAN-OS job, as `show jobs id N` describes it."""

    id: str
    status: str
    result: str
    details: list[str]

    @property
    def ok(self) -> bool:
        return self.status == "FIN" and self.result == "OK"


class PanosClient:
    """One firewall or Panorama, one API key; every call is one POST to /api/."""

    def __init__(self, url: str, *, api_key: str | None = None, username: str | None = None,
                 password: str | None = None, ca_bundle: str | None = None, timeout: float = 60.0,
                 max_answer_bytes: int = transport.DEFAULT_MAX_ANSWER) -> None:
        self.endpoint = api_endpoint(url)
        self.timeout = (transport.CONNECT_TIMEOUT, float(timeout))
        self.max_answer_bytes = int(max_answer_bytes)
        if ca_bundle and not os.path.isfile(ca_bundle):
            raise AwspanError("CA bundle not found", where=ca_bundle)
        try:
            self._tls = transport.tls_context(ca_bundle)
        except (OSError, ValueError) as exc:
            raise AwspanError(f"cannot use the CA bundle: {shorten(exc)}", where=ca_bundle) from None
        self.request_count = 0
        self._last_read: tuple[bytes, etree._Element] | None = None  # the previous config read (_post)
        self.key_owner: str | None = None  # known only when the key was made here, by keygen
        self._key = api_key
        if not self._key:
            if not (username and password):
                raise AwspanError("no firewall credentials: set PANOS_API_KEY, "
                                  "or PANOS_USERNAME and PANOS_PASSWORD")
            self._key = self.keygen(username, password)
            self.key_owner = username

    def __repr__(self) -> str:  # never show the key, even in a debugger or a traceback
        return f"PanosClient({self.endpoint!r})"

    # --- transport -------------------------------------------------------------------------

    def _post(self, params: dict[str, str], *, send_key: bool = True, timeout: float | None = None,
              reuse: bool = False) -> etree._Element:
        """One request, its answer parsed and checked. `reuse` (config reads): an answer whose
        <result> holds the same bytes as the previous config read's is not parsed again; its
        tree is returned (see `_same_result`)."""
        what = params.get("type", "?") + (f"/{params['action']}" if "action" in params else "")
        last, self._last_read = self._last_read, None
        headers = {"X-PAN-KEY": self._key} if send_key and self._key else {}
        self.request_count += 1
        log.debug("PAN-OS request %d: POST %s %s", self.request_count, self.endpoint, what)
        deadline = float(timeout or self.timeout[1])
        try:
            # One deadline for the whole request, a capped answer, and never a redirect
            # followed: it would carry X-PAN-KEY (or the keygen password) to another host.
            resp = transport.post(self.endpoint, params, headers, deadline=deadline,
                                  max_bytes=self.max_answer_bytes, context=self._tls,
                                  max_request=REQUEST_LIMIT)
        except transport.TransportError as exc:
            raise _transport_error(exc, what, self.endpoint, deadline, self.max_answer_bytes) from None
        if 300 <= resp.status < 400:
            raise redirect_error(what, resp.status, resp.location)
        if reuse and resp.status == 200:
            root = _same_result(resp.body, last)
            if root is not None:
                return root
        try:
            root = parse_xml(resp.body)
        except PanosError:
            if resp.status >= 400:
                raise PanosError(f"{what}: HTTP {resp.status} {shorten(resp.reason, 60)}",
                                 code=str(resp.status), answered=resp.status < 500) from None
            raise
        status = root.get("status")
        if resp.status >= 400 or status != "success":
            lines = message_lines(root)
            code = root.get("code") or (str(resp.status) if resp.status >= 400 else None)
            detail = shorten("; ".join(lines), FIREWALL_TEXT) or f"HTTP {resp.status}"
            if resp.status == 403:
                detail += " (check PANOS_API_KEY or PANOS_USERNAME/PANOS_PASSWORD)"
            raise PanosError(f"{what} failed: {detail}" + (f" (code {shorten(code, 20)})" if code else ""),
                             code=code, lines=lines, answered=True)
        if reuse and resp.status == 200:
            payload = _result_payload(resp.body)
            if payload is not None:
                self._last_read = (payload, root)
        return root

    # --- requests awspan uses --------------------------------------------------------------

    def keygen(self, username: str, password: str) -> str:
        """Make an API key from a user name and password (sent in the POST body, never a URL)."""
        root = self._post({"type": "keygen", "user": username, "password": password}, send_key=False)
        key = root.findtext("result/key")
        if not key:
            raise PanosError("keygen answered without a key")
        return key

    def get(self, xpath: str) -> etree._Element:
        """Candidate config at xpath: the <result> element (its children are the matched nodes).
        Read-only: a `show` right after it that answers the same bytes returns this same tree."""
        return _result(self._post({"type": "config", "action": "get", "xpath": xpath}, reuse=True))

    def show(self, xpath: str) -> etree._Element:
        """Running config at xpath: the <result> element (read-only, like get's)."""
        return _result(self._post({"type": "config", "action": "show", "xpath": xpath}, reuse=True))

    def set(self, xpath: str, element: str) -> None:
        self._post({"type": "config", "action": "set", "xpath": xpath, "element": element})

    def move(self, xpath: str, where: str, dst: str | None = None) -> None:
        params = {"type": "config", "action": "move", "xpath": xpath, "where": where}
        if dst is not None:
            params["dst"] = dst
        self._post(params)

    def multi_config(self, element: str, *, timeout: float | None = None) -> etree._Element:
        """Every operation of one request atomically: all applied, or none (PAN-OS's promise).

        `timeout`: a batch of thousands of rules can take PAN-OS minutes; giving up early
        would leave us not knowing whether it landed, so push waits as long as for a commit.
        """
        return self._post({"type": "config", "action": "multi-config", "element": element}, timeout=timeout)

    def op(self, cmd: str, *, vsys: str | None = None, target: str | None = None) -> etree._Element:
        """An operational command; `target`: a firewall's serial, on Panorama (see user_id)."""
        return self._post(_scoped({"type": "op", "cmd": cmd}, vsys, target))

    def user_id(self, message: str, *, vsys: str | None = None, target: str | None = None) -> etree._Element:
        """Send one uid-message (User-ID API: IP tag registrations, no commit needed). `target`:
        on Panorama, the serial of the managed firewall the message is for ("Query a Firewall from
        Panorama (API)": Panorama redirects the request to it; pan-python's `serial`)."""
        return self._post(_scoped({"type": "user-id", "cmd": message}, vsys, target))

    def commit(self, cmd: str) -> str | None:
        """Start a partial commit (`cmd` names the admins); return its job id, or None when PAN-OS
        says there is nothing to commit."""
        root = self._post({"type": "commit", "action": "partial", "cmd": cmd})
        job = root.findtext("result/job") or root.findtext(".//job")
        if job:
            return job.strip()
        text = " ".join("".join(root.itertext()).split())
        if "no changes to commit" in text.lower():
            return None
        raise PanosError(f"commit answered without a job id: {shorten(text or '(empty)', FIREWALL_TEXT)}")

    def job(self, job_id: str) -> Job:
        root = self.op(f"<show><jobs><id>{int(job_id)}</id></jobs></show>")
        node = root.find("result/job")
        if node is None:
            raise PanosError(f"show jobs id {job_id}: no job in the answer")
        details = [" ".join("".join(n.itertext()).split()) for n in node.iterfind("details/line")]
        if not details:
            details = [t for t in (" ".join((node.findtext("details") or "").split()),) if t]
        return Job(id=job_id, status=(node.findtext("status") or "").strip(),
                   result=(node.findtext("result") or "").strip(), details=details)


def redirect_error(what: str, status: int, location: str | None) -> PanosError:
    """A 3xx is an error: awspan sends nothing to the Location (set firewall.url to it if it is right)."""
    where = quote(location) if location else "nowhere"
    return PanosError(f"{what}: the firewall answered HTTP {status}, a redirect to {where}; awspan never "
                      "follows redirects (the API key would go along): if that address is the firewall, "
                      "set firewall.url (or PANOS_URL) to it", code=str(status), answered=True)


def _result_payload(body: bytes) -> bytes | None:
    """The bytes after the <result ...> start tag of an answer (None when it has no <result>)."""
    at = body.find(b"<result")
    if at < 0 or body[at + 7: at + 8] not in (b">", b" "):
        return None
    end = body.find(b">", at)
    return None if end < 0 or body[end - 1: end] == b"/" else body[end + 1:]


def _same_result(body: bytes, last: tuple[bytes, etree._Element] | None) -> etree._Element | None:
    """The previous config read's tree when this answer differs from it only in the envelope
    (`<response status="success" code="19"><result total-count=...>` for a get, plain for a show).

    A plan reads the candidate and then running: with nothing pending the device answers the
    same 20 MB twice, and parsing it once is enough. Only an answer whose envelope says
    success and whose bytes after `<result ...>` are identical is taken (the same bytes parse
    to the same tree); anything else is parsed as usual.
    """
    if last is None:
        return None
    payload = _result_payload(body)
    if payload is None or payload != last[0]:
        return None
    head = body[: len(body) - len(payload)]
    try:
        envelope = parse_xml(head + b"</result></response>")
    except PanosError:
        return None
    if envelope.tag != "response" or envelope.get("status") != "success" or len(envelope) != 1:
        return None
    return last[1]


def _result(root: etree._Element) -> etree._Element:
    result = root.find("result")
    return result if result is not None else etree.Element("result")


def _transport_error(exc: transport.TransportError, what: str, endpoint: str, deadline: float,
                     cap: int) -> PanosError:
    """The transport's failure as one line; `answered` stays False (a write may have happened)."""
    if exc.kind == "timeout":
        return PanosError(f"the firewall did not answer {what} within {deadline:g} s (firewall.timeout: "
                          "connect and the whole answer)")
    if exc.kind == "tls":
        return PanosError(describe_tls(exc, endpoint))
    if exc.kind == "too-large":
        return PanosError(f"the firewall's answer to {what} was refused: {exc.detail} "
                          f"(firewall.max_answer_mb is {cap / 2**20:g})")
    if exc.kind == "connect":
        return PanosError(describe_connection(exc, endpoint))
    if exc.kind == "request-too-large":  # never sent: known to have done nothing
        return PanosError(f"{what} was not sent: it is {exc.detail} on the wire (the XML API's 5 MB "
                          "request limit)", answered=True)
    return PanosError(f"the connection to the firewall broke during {what}: {shorten(exc.detail)}")


def _scoped(params: dict[str, str], vsys: str | None, target: str | None) -> dict[str, str]:
    """`params` with the vsys and the managed firewall's serial (Panorama) they apply to, when given."""
    if vsys:
        params["vsys"] = vsys
    if target:
        params["target"] = target
    return params
