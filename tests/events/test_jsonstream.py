"""The streamed reader of CloudTrail log files says what `json.loads` of the whole file says:
the same records, in order, whatever the chunk boundaries, and an error where it has one."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.events.jsonstream import RecordStream, StreamError

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=20)


def chunked(data: bytes, cuts: list[int]):
    points = sorted({min(c, len(data)) for c in cuts})
    start = 0
    for p in points:
        yield data[start:p]
        start = p
    yield data[start:]


def stream(data: bytes, cuts: list[int], max_value: int = 1 << 20) -> list:
    return list(RecordStream(chunked(data, cuts), "s3://b/k", max_value))


@settings(max_examples=300, deadline=None)
@given(records=st.lists(values, max_size=8), others=st.dictionaries(st.text(max_size=6), values, max_size=3),
       cuts=st.lists(st.integers(0, 400), max_size=12), spaces=st.sampled_from(["", " ", "\n\t "]))
def test_the_stream_yields_what_json_loads_reads(records, others, cuts, spaces):
    doc = {k: v for k, v in others.items() if k != "Records"}
    doc["Records"] = records
    text = json.dumps(doc, ensure_ascii=False, separators=("," + spaces, ":" + spaces))
    data = (spaces + text + spaces).encode()
    assert stream(data, cuts) == json.loads(data)["Records"]


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60), cuts=st.lists(st.integers(0, 80), max_size=6))
def test_anything_json_loads_refuses_the_stream_refuses(text, cuts):
    data = text.encode()
    try:
        doc = json.loads(data)
        whole = doc["Records"] if isinstance(doc, dict) and isinstance(doc.get("Records"), list) else None
    except ValueError:
        whole = None
    if whole is None:
        with pytest.raises(StreamError):
            stream(data, cuts)
    else:
        assert stream(data, cuts) == whole


@pytest.mark.parametrize("data, message", [
    (b'{"Records": [{"a": 1}] "x": 2}', "expected ',' or '}'"),
    (b'{"Records": [{"a": 1} {"b": 2}]}', "expected ',' or ']'"),
    (b'{"Records": []} []', "extra data after the object"),
    (b'{"Records": [], "Records": []}', '"Records" twice'),
    (b'{"Records": "x"}', 'no "Records" list'),
    (b'[1, 2]', 'no "Records" list'),
    (b'', "the file is empty"),
    (b'{"Records": [{"a": "\xff"}]}', "not UTF-8 text"),
    (b'{"Records": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}", "nested too deeply"),
])
def test_bad_documents_are_one_clear_error(data, message):
    with pytest.raises(StreamError, match=message):
        stream(data, [7, 13])


def test_a_value_larger_than_the_cap_is_refused_not_buffered():
    big = b'{"Records": [{"a": "' + b"x" * 5000 + b'"}]}'
    with pytest.raises(StreamError, match="more than 1,000 characters"):
        stream(big, list(range(0, len(big), 100)), max_value=1000)
    assert stream(big, [50], max_value=10_000)[0]["a"] == "x" * 5000


@pytest.mark.parametrize("number", ["0.0", "-12.5e+3", "7E-2", "1e9"])
def test_a_number_cut_anywhere_by_the_chunks_is_read_whole(number):
    """A chunk ending in `0.` or `1e-` is a number that goes on in the next chunk, not a '.' where
    a ',' was expected (found by the property test above)."""
    data = f'{{"Records": [{number}, {number}]}}'.encode()
    for cut in range(1, len(data)):
        assert stream(data, [cut]) == [json.loads(number)] * 2, cut
