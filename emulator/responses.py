"""The PAN-OS XML API response envelopes, in one place.

PAN-OS answers every request with `<response status="success|error" code="N">`; the
payload sits in `<result>` (reads, op commands) or `<msg>` (writes, errors). Clients
(pan-python, pan-os-python, awspan's own) parse these exact shapes, so the emulator builds
them here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

# The documented XML API error codes the emulator uses.
CODE_UNKNOWN_COMMAND = "1"
CODE_BAD_XPATH = "6"
CODE_NOT_PRESENT = "7"
CODE_NOT_UNIQUE = "8"
CODE_REFERENCE_COUNT = "10"
CODE_INVALID_OBJECT = "12"
CODE_OP_FAILED = "13"
CODE_NOT_POSSIBLE = "14"
CODE_DENIED = "15"
CODE_INVALID_COMMAND = "17"
CODE_MALFORMED = "18"
CODE_SUCCESS = "19"
CODE_SUCCESS_CHANGED = "20"
CODE_INTERNAL = "21"


class ApiError(Exception):
    """An error the emulator reports to the client as a PAN-OS error envelope.

    `lines` become `<msg><line>` children, as PAN-OS reports multi-line errors (a bad
    reference is reported as "rule -> source 'x' is not a valid reference" followed by
    "rule -> source is invalid").
    """

    def __init__(self, code: str, *lines: str, http_status: int = 200) -> None:
        self.code = code
        self.lines = [line for line in lines if line]
        self.http_status = http_status
        super().__init__("; ".join(self.lines) or f"code {code}")


def _response(status: str, code: str | None) -> etree._Element:
    root = etree.Element("response", status=status)
    if code is not None:
        root.set("code", code)
    return root


def error_element(err: ApiError) -> etree._Element:
    root = _response("error", err.code)
    msg = etree.SubElement(root, "msg")
    for line in err.lines:
        etree.SubElement(msg, "line").text = etree.CDATA(line)
    return root


def auth_error() -> etree._Element:
    """HTTP 403 body: PAN-OS puts this message in result/msg, not msg/line."""
    root = _response("error", "403")
    etree.SubElement(etree.SubElement(root, "result"), "msg").text = "Invalid Credential"
    return root


def msg_success(text: str, code: str | None = CODE_SUCCESS_CHANGED) -> etree._Element:
    root = _response("success", code)
    etree.SubElement(root, "msg").text = text
    return root


def result_success(
    children: Iterable[etree._Element] = (),
    text: str | None = None,
    code: str | None = None,
    counts: bool = False,
) -> etree._Element:
    """`<response status="success"><result>...</result></response>`; `counts` adds total-count/count (get)."""
    root = _response("success", code)
    result = etree.SubElement(root, "result")
    items = list(children)
    if counts:
        result.set("total-count", str(len(items)))
        result.set("count", str(len(items)))
    if text is not None:
        result.text = text
    for child in items:
        result.append(child)
    return root


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="utf-8")
