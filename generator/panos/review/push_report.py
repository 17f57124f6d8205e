"""What `awspan push` prints (a CI log): the plan's summary mode, then what the push did.

The listing is plan_render.render_text(doc, mode="summary"): the same headline, signs, order and
warnings (a membership switch included) as `awspan plan`, one line per change, cut at
PUSH_LISTING. After it: the device, push's notes, the commit job, the devices of a commit-all,
and every firewall request of the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.panos.review.plan_render import render_text
from generator.text import count

if TYPE_CHECKING:
    from generator.panos.push.apply import Pushed

PUSH_LISTING = 200
"""Lines of changes push prints (a CI log); `awspan plan` has them all."""


def push_report(pushed: Pushed, limit: int | None = None) -> str:
    """What `awspan push` prints: the summary (cut at `limit`), the device, notes, the commit
    job, the devices of a commit-all, and every firewall request of the run."""
    result = pushed.result
    out = []
    if pushed.document is not None:
        out.append(render_text(pushed.document, mode="summary", limit=limit).rstrip("\n"))
    if result.system is not None:
        out.append(f"  device: {result.system.describe()}")
    out += [f"  {note}" for note in result.notes]
    if result.job is not None:
        job = result.job
        detail = "; ".join(job.details)
        out.append(f"  commit job {job.id}: {job.status}/{job.result}" + (f": {detail}" if detail else ""))
    out += [f"  device {device.describe()}" for device in result.devices]
    keygen = " (1 of them keygen)" if pushed.keygen else ""
    out.append(f"  {count(pushed.requests, 'firewall request')}{keygen}")
    return "\n".join(out) + "\n"


def push_failure(pushed: Pushed) -> str | None:
    """Why push exits 1 although it went through: the firewalls it left behind (Panorama), printed
    after the report by the command line and raised by the event reaction."""
    if not pushed.result.incomplete:
        return None
    return "; ".join(pushed.result.incomplete) + "; the rest of the push is done"
