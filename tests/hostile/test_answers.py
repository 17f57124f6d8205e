"""Hostile firewall answers: DTDs, XXE, entity bombs, huge, dripping and gzip-bomb answers,
connection resets, and error text of any length. Each ends in one bounded, readable error;
snapshot writes nothing; push leaves the firewall as it was and releases its lock."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.panos.xmlapi.client import PanosClient, PanosError
from tests.hostile.conftest import one_line
from tests.hostile.server import HostileServer, Reply, gzip_bomb, xml
from tests.policies import write_policy

OK_HEAD = '<response status="success"><result>'
MiB = 2**20

DTD_ANSWERS = {
    "xxe": '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           f'{OK_HEAD}<config>&x;</config></result></response>',
    "billion-laughs": '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                      '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
                      f'{OK_HEAD}<config>&c;</config></result></response>',
    "parameter-entities": '<!DOCTYPE r [<!ENTITY % p "<!ENTITY q \'x\'>"> %p;]>'
                          f'{OK_HEAD}<config>&q;</config></result></response>',
    "bare-doctype": f'<!doctype response>{OK_HEAD}</result></response>',
    "undeclared-entity-after-dtd": '<!DOCTYPE r SYSTEM "http://127.0.0.1:9/x.dtd">'
                                   f'{OK_HEAD}<config><shared>&undeclared;</shared></config></result></response>',
}


def client_for(server: HostileServer, **kw) -> PanosClient:
    return PanosClient(server.url, api_key="k", **kw)


def get_fails(reply: Reply, **kw) -> str:
    """The error of one `config get` against a firewall that always plays `reply`."""
    with HostileServer(lambda form: reply) as fw, pytest.raises(PanosError) as err:
        client_for(fw, **kw).get("/config/shared")
    return str(err.value)


@pytest.mark.parametrize("name", sorted(DTD_ANSWERS))
def test_an_answer_with_a_dtd_is_refused(name: str):
    message = get_fails(xml(DTD_ANSWERS[name]))
    assert "DTD" in message and "root:" not in message


@pytest.mark.parametrize("name", sorted(DTD_ANSWERS))
def test_snapshot_never_writes_a_document_from_a_dtd_answer(name: str, tmp_path: Path, run, monkeypatch):
    monkeypatch.setenv("PANOS_API_KEY", "k")
    out = tmp_path / "out" / "rulebase.xml"
    with HostileServer(lambda form: xml(DTD_ANSWERS[name])) as fw:
        result = run("snapshot", "--config", str(write_policy(tmp_path, fw.url)), "--output", str(out))
    assert result.code == 1
    assert "DTD" in one_line(result.err)
    assert not out.exists() and not list(tmp_path.glob("out/*"))


def test_a_dripping_answer_ends_at_the_deadline():
    body = f"{OK_HEAD}{' ' * 400}</result></response>".encode()
    with HostileServer(lambda form: Reply(body=body, drip=0.02)) as fw:  # 8 s for the whole body
        start = time.monotonic()
        with pytest.raises(PanosError, match=r"did not answer config/get within 0.5 s"):
            client_for(fw, timeout=0.5).get("/config/shared")
        assert time.monotonic() - start < 4  # not 8 s: the deadline covers the whole answer


def test_a_silent_firewall_ends_at_the_deadline():
    def never(form):
        time.sleep(6)
        return Reply()

    with HostileServer(never) as fw:
        start = time.monotonic()
        with pytest.raises(PanosError, match="did not answer"):
            client_for(fw, timeout=0.3).get("/config/shared")
        assert time.monotonic() - start < 4


@pytest.mark.parametrize("announce", [True, False], ids=["content-length", "until-close"])
def test_an_answer_over_the_cap_is_refused_without_holding_it(announce: bool):
    body = f"{OK_HEAD}{' ' * (3 * MiB)}</result></response>".encode()
    message = get_fails(Reply(body=body, length=announce), max_answer_bytes=MiB)
    assert re.search(r"over 1,048,576 bytes.*max_answer_mb is 1\)", message)


def test_a_gzip_bomb_is_refused_once_it_inflates_past_the_cap():
    bomb = gzip_bomb(20 * MiB)
    assert len(bomb.body) < 100_000  # small on the wire: only the decompressed cap can stop it
    assert "over 1,048,576 bytes once decompressed" in get_fails(bomb, max_answer_bytes=MiB)


def test_a_gzip_answer_under_the_cap_is_read():
    with HostileServer(lambda form: gzip_bomb(1000)) as fw:
        assert client_for(fw, max_answer_bytes=MiB).get("/config/shared") is not None


def test_a_reset_mid_answer_is_one_readable_error():
    body = f"{OK_HEAD}<config>{'x' * 5000}</config></result></response>".encode()
    message = get_fails(Reply(body=body, reset_after=100))
    assert "connection to the firewall broke during config/get" in message


def test_firewall_error_text_is_truncated_and_escaped():
    text = "bad\u2028forged line\u0085 " + "y" * 100_000  # XML 1.0 allows these line breaks; not ESC
    answer = f'<response status="error" code="13"><msg><line>{text}</line></msg></response>'
    message = get_fails(xml(answer, status=400))
    assert len(message) < 600 and "more)" in message
    assert "\u2028" not in message and "\x85" not in message and "(code 13)" in message


def test_the_cap_is_set_in_policy_yaml(tmp_path: Path, run, monkeypatch):
    monkeypatch.setenv("PANOS_API_KEY", "k")
    out = tmp_path / "rulebase.xml"
    body = f"{OK_HEAD}{' ' * (2 * MiB)}</result></response>".encode()
    with HostileServer(lambda form: Reply(body=body)) as fw:
        policy = write_policy(tmp_path, fw.url, firewall={"max_answer_mb": 1, "timeout": 5})
        result = run("snapshot", "--config", str(policy), "--output", str(out))
    assert result.code == 1 and "max_answer_mb is 1" in one_line(result.err)
    assert not out.exists()


_PIECES = st.sampled_from([
    b"<response status='success'>", b"<result>", b"</result>", b"</response>", b"<!DOCTYPE r>",
    b"<!ENTITY e 'x'>", b"&e;", b"&amp;", b"<![CDATA[<!DOCTYPE x>]]>", b"\x00", b"\xff\xfe",
    b"<?xml version='1.0'?>",
    b"<line>", b"</line>", b"<msg>", b"status='error'", b"\x1f\x8b\x08\x00", b"<!--", b"-->",
])


@pytest.fixture(scope="module")
def answering() -> Iterator[dict]:
    """One server for every example: it plays whatever reply the example put in the dict."""
    holder: dict = {"reply": Reply()}
    with HostileServer(lambda form: holder["reply"]) as fw:
        holder["client"] = client_for(fw)
        yield holder


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.lists(st.one_of(_PIECES, st.binary(max_size=40)), max_size=12).map(b"".join),
       status=st.sampled_from([200, 200, 400, 403, 500, 302]),
       encoding=st.sampled_from([None, "gzip", "deflate", "br"]))
def test_any_answer_is_a_result_or_one_panos_error(answering: dict, body: bytes, status: int,
                                                   encoding: str | None):
    """Whatever bytes come back, the client returns an element or raises PanosError: never another
    exception, never a DTD accepted."""
    headers = {"Content-Encoding": encoding} if encoding else {}
    answering["reply"] = Reply(status=status, body=body, headers=headers)
    try:
        result = answering["client"].get("/config/shared")
    except PanosError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 1000
    else:
        assert status == 200 and b"<!DOCTYPE" not in body and b"<!ENTITY" not in body
        assert result.tag == "result"
