"""What a request weighs on the wire, and how much awspan puts in one.

The XML API documents one limit on requests: "limit the request size to 5MB" (PAN-OS and
Panorama API guide 9.1-11.x, "Structure of a PAN-OS XML API Request"; the User-ID page "Apply
User-ID Mapping and Populate Dynamic Groups (API)" repeats it). awspan reads it the strict
way, 5,000,000 bytes, and counts what actually travels: the form-encoded body
(`type=config&action=multi-config&element=...`), where every byte outside the unreserved set
becomes three (`<` is `%3C`). An XML text of 3.5 MB is well over 5 MB encoded. What a device
answers to a larger request is not documented (a front web server's HTTP 413, an error
envelope, a reset): awspan never sends one, and keeps a 10% margin below the limit.
"""

from __future__ import annotations

REQUEST_LIMIT = 5_000_000
"""The XML API's request limit, in bytes of request body (read as decimal megabytes: the stricter)."""

REQUEST_BUDGET = 4_500_000
"""What awspan puts in one request: the limit less a 10% margin."""

_KEEP = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~ "
"""Bytes urlencode (quote_plus) writes as one byte: the unreserved ones, and space (as `+`)."""


def encoded_size(text: str) -> int:
    """len(quote_plus(text)), without building the quoted text: a kept byte is 1, any other 3."""
    data = text.encode("utf-8")
    escaped = len(data.translate(None, _KEEP))
    return len(data) + 2 * escaped


def form_size(params: dict[str, str]) -> int:
    """Bytes of the form body `urllib.parse.urlencode(params)` makes (what transport.post sends)."""
    return sum(encoded_size(k) + 1 + encoded_size(v) for k, v in params.items()) + max(len(params) - 1, 0)
