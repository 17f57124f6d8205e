"""Send a batch as its multi-config requests, in order, stopping at the first that fails.

Each request is atomic on PAN-OS; the batch as a whole is not. So the caller keeps the promise
users rely on, all or nothing, around this loop: the config lock is held throughout, a failure
at request k (k > 1) puts the candidate back exactly as it was read before request 1 (push's
rollback reads the candidate and sends the inverse batch, itself cut the same way), and the
commit comes only after the last request and the read-back. `BatchFailed` says which request
failed and how, so that the caller can tell "nothing was applied" (the first request refused)
from "part of the batch is in the candidate".
"""

from __future__ import annotations

import logging

from generator.panos.xmlapi.client import PanosClient, PanosError

log = logging.getLogger(__name__)


class BatchFailed(Exception):
    """Request `part` (0-based) of `parts` failed; the requests before it were applied."""

    def __init__(self, part: int, parts: int, error: PanosError) -> None:
        self.part = part
        self.parts = parts
        self.error = error
        super().__init__(f"request {part + 1} of {parts}: {error}")

    @property
    def nothing_applied(self) -> bool:
        """The first request, refused by the device: the candidate is untouched."""
        return self.part == 0 and self.error.answered

    def where(self) -> str:
        return "the batch" if self.parts == 1 else f"request {self.part + 1} of {self.parts} of the batch"


def send_batch(client: PanosClient, elements: list[str], timeout: float) -> None:
    """One multi-config request per element, in order; BatchFailed at the first failure."""
    for part, element in enumerate(elements):
        if len(elements) > 1:
            log.info("multi-config request %d of %d", part + 1, len(elements))
        try:
            client.multi_config(element, timeout=timeout)
        except PanosError as exc:
            raise BatchFailed(part, len(elements), exc) from None
