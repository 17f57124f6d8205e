"""`python -m generator collect --endpoint-url URL` as a user runs it, against a moto server subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from devtools.moto_server import MotoServer, moto_env
from generator.validate import validate_document
from generator.yamlio import load_yaml_file
from tests.collect.estate import build_estate, find
from tests.policies import write_policy

pytestmark = pytest.mark.slow  # collect against a real moto server process

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(moto_server: MotoServer, aws_env: None) -> MotoServer:
    """The module's moto server, emptied, with fake credentials in the environment."""
    moto_server.reset()
    return moto_server


def _collect(url: str, policy: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(moto_env())
    return subprocess.run(
        [sys.executable, "-m", "generator", "collect", "--config", str(policy), "--output", str(out),
         "--endpoint-url", url],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False,
    )


def test_collect_command_against_a_moto_server(server: MotoServer, tmp_path: Path) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=server.url)
    ids = build_estate(ec2)
    policy = write_policy(tmp_path, aws={"regions": ["us-east-1", "eu-central-1"]},
                          firewall={"instance_id": ids["i_fw"]})
    out = tmp_path / "out" / "state.yaml"

    first = _collect(server.url, policy, out)
    assert first.returncode == 0, first.stderr
    lines = first.stderr.strip().splitlines()
    # from the first second: what will be read; then each account/region as it starts and as it
    # finishes (with counts); then the summary
    assert lines[0] == "collect: 2 account/region pairs in 1 account (2 at a time)"
    finished = [line for line in lines[1:-1] if line.endswith(" s)")]
    assert sorted(line.split(":")[0] for line in finished) == ["123456789012 eu-central-1",
                                                                "123456789012 us-east-1"]
    assert "2 VPCs" in next(line for line in finished if "us-east-1" in line)
    assert "1 VPC," in next(line for line in finished if "eu-central-1" in line)  # singular
    assert lines[-1].startswith(f"wrote {out}: 3 VPCs")

    state = load_yaml_file(out, "state")
    validate_document(state, "state.schema.json", str(out))
    vpc = find(state["vpcs"], ids["vpc"])
    assert find(vpc["instances"], ids["i_web"])["name"] == "web-1"
    table = find(vpc["route_tables"], ids["rtb_protected"])
    routes = {r["destination"]: r["target"] for r in table["routes"]}
    assert routes["0.0.0.0/0"] == ids["i_fw"]

    second_out = tmp_path / "again.yaml"
    second = _collect(server.url, policy, second_out)
    assert second.returncode == 0, second.stderr
    assert second_out.read_bytes() == out.read_bytes()


def test_server_stops_and_leaves_no_process(tmp_path: Path) -> None:
    srv = MotoServer()
    url = srv.start()
    proc = srv._proc
    assert proc is not None and url.startswith("http://127.0.0.1:")
    srv.stop()
    assert proc.poll() is not None
    with pytest.raises(OSError):
        import urllib.request

        urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=2)  # noqa: S310


class _Body:
    """The raw body AWSResponse reads (`stream()`), as urllib3 would hand it over."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self.data


THROTTLED = (b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
             b"</Message></Error></Errors><RequestID>t</RequestID></Response>")


def _throttle(times: int, sent: list[str]) -> tuple[str, object]:
    """A before-send hook: EC2's throttling answer for the first `times` DescribeInstances sends.

    Against a moto server this hook is the only before-send handler, so what it returns is
    the response botocore's retry logic sees, exactly as if EC2 had sent it.
    """
    from botocore.awsrequest import AWSResponse

    def hook(request: object, **_: object) -> AWSResponse | None:
        sent.append("DescribeInstances")
        if len(sent) <= times:
            return AWSResponse("https://ec2.amazonaws.com/", 503, {}, _Body(THROTTLED))
        return None

    return ("before-send.ec2.DescribeInstances", hook)


def test_throttling_is_retried_and_an_exhausted_retry_fails(server: MotoServer, tmp_path: Path) -> None:
    from generator.collect.collector import collect
    from generator.collect.sessions import SessionFactory
    from generator.errors import AwspanError
    from generator.policy import load_policy

    ids = build_estate(boto3.client("ec2", region_name="us-east-1", endpoint_url=server.url))
    policy = load_policy(write_policy(tmp_path))

    sent: list[str] = []
    factory = SessionFactory(endpoint_url=server.url, hooks=(_throttle(1, sent),))
    client = factory.client(factory.session(), "ec2", "us-east-1")
    # Config(retries={"max_attempts": 10}): 10 retries, which botocore stores as 11 attempts in all
    assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 11}
    state = collect(policy, factory)
    assert len(sent) == 2  # a throttled answer, then the real one
    assert find(find(state["vpcs"], ids["vpc"])["instances"], ids["i_web"])["state"] == "running"

    sent.clear()
    factory = SessionFactory(endpoint_url=server.url, hooks=(_throttle(99, sent),), max_attempts=1)
    with pytest.raises(AwspanError, match=r"^account 123456789012 us-east-1: DescribeInstances: "
                                          r"RequestLimitExceeded: Request limit exceeded\.$"):
        collect(policy, factory)
    assert len(sent) == 2  # botocore's max_attempts counts retries: the first send plus one
