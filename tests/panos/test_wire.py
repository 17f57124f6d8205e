"""Request sizes as they go on the wire, and a batch cut under the limit without losing an operation."""

from __future__ import annotations

import socket
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from generator.panos.push.batch import Batch, Op
from generator.panos.xmlapi.client import PanosClient, PanosError
from generator.panos.xmlapi.wire import REQUEST_BUDGET, REQUEST_LIMIT, encoded_size, form_size


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=200), min_size=1, max_size=4))
def test_form_size_is_the_length_urlencode_makes(params):
    assert form_size(params) == len(urllib.parse.urlencode(params))


def test_xml_text_is_much_larger_encoded():
    text = "<entry name='a b'><member>10.0.0.1/32</member></entry>"
    assert encoded_size(text) == len(urllib.parse.quote_plus(text)) > 1.4 * len(text)


def _batch(n: int, pad: int = 400) -> Batch:
    ops = []
    for i in range(n):
        el = etree.fromstring(f"<entry name='r{i}'><description>{'<&>' * pad}</description></entry>".replace(
            "<&>" * pad, "&lt;&amp;&gt;" * pad))
        ops.append(Op("set", "/config/x", f"create rule 'r{i}'", el))
    ops.append(Op("move", "/config/x/entry[@name='r0']", "move rule 'r0'", where="top"))
    return Batch(ops)


@pytest.mark.parametrize("budget", [REQUEST_BUDGET, 200_000, 20_000])
def test_a_batch_is_cut_in_order_each_request_under_the_budget(budget):
    batch = _batch(300)
    whole = batch.to_xml()
    parts = batch.requests(budget)
    assert (len(parts) == 1) == (budget == REQUEST_BUDGET)
    for part in parts:
        size = len(urllib.parse.urlencode({"type": "config", "action": "multi-config", "element": part}))
        assert size <= budget
        assert part.startswith("<multi-config>") and part.endswith("</multi-config>")
    inner = "".join(p[len("<multi-config>"):-len("</multi-config>")] for p in parts)
    assert "<multi-config>" + inner + "</multi-config>" == whole  # nothing lost, nothing reordered
    ids = [e.get("id") for p in parts for e in etree.fromstring(p)]
    assert ids == [str(i) for i in range(1, 302)]  # ids of the whole batch: error lines name the op
    if budget == 20_000:
        assert len(parts) == 300  # one 10 KB operation per request: two would be over 20,000 bytes


def test_one_operation_over_the_budget_is_named():
    with pytest.raises(ValueError, match=r"create rule 'r0' alone is [\d,]+ bytes on the wire"):
        _batch(1, pad=2000).requests(20_000)


def test_the_client_never_sends_a_request_over_the_limit():
    """A safety net under the batch cut: nothing over 5 MB leaves, and the error says nothing was done."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = PanosClient(f"http://127.0.0.1:{listener.getsockname()[1]}", api_key="k")
        with pytest.raises(PanosError, match="was not sent: .* over the 5,000,000 allowed") as info:
            client.multi_config("<multi-config>" + "x" * REQUEST_LIMIT + "</multi-config>")
        assert info.value.answered  # known to have done nothing
        listener.settimeout(0.2)
        with pytest.raises(TimeoutError):
            listener.accept()  # no connection was even opened
