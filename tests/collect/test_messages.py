"""What a new user meets when the AWS side is misconfigured: one line with the cause and the fix,
exit 1, no traceback, no state file; and a region typo caught before any AWS call."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.cli.main import main as cli_main
from generator.collect.collector import collect
from generator.collect.regions import region_problems
from generator.collect.sessions import SessionFactory
from generator.errors import AwspanError
from generator.policy import load_policy
from tests.policies import write_policy


def _cli(capsys: pytest.CaptureFixture[str], policy: Path, out: Path, *extra: str) -> tuple[int, str]:
    code = cli_main(["--quiet", "collect", "--config", str(policy), "--output", str(out), *extra])
    return code, capsys.readouterr().err


def test_a_missing_aws_profile_is_named_with_the_fix(aws_env: None, tmp_path: Path, monkeypatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nosuch")
    policy, out = write_policy(tmp_path), tmp_path / "state.yaml"
    code, err = _cli(capsys, policy, out)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err and "internal error" not in err
    assert "AWS profile 'nosuch' is not in ~/.aws/config or ~/.aws/credentials: fix AWS_PROFILE" in err
    assert not out.exists()


def test_no_credentials_at_all_says_how_to_provide_them(aws_env: None, tmp_path: Path, monkeypatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var)
    policy, out = write_policy(tmp_path), tmp_path / "state.yaml"
    code, err = _cli(capsys, policy, out, "--endpoint-url", "http://127.0.0.1:9")
    assert code == 1 and err.count("\n") == 1
    assert "GetCallerIdentity: no AWS credentials found: set AWS_PROFILE" in err


def test_a_region_typo_is_refused_before_any_call(mocked: None, tmp_path: Path) -> None:
    calls: list[str] = []
    policy = load_policy(write_policy(tmp_path, aws={"regions": ["us-eat-1"]}))
    factory = SessionFactory(hooks=(("before-call", lambda **kw: calls.append(kw["model"].name)),))
    with pytest.raises(AwspanError) as failure:
        collect(policy, factory)
    assert str(failure.value) == (f"{tmp_path / 'policy.yaml'}: aws.regions[0]: 'us-eat-1' is not an AWS "
                                  "region; did you mean 'us-east-1'?")
    assert calls == []


def test_an_unknown_region_number_is_only_a_warning(tmp_path: Path) -> None:
    """AWS adds regions (ap-east-2 ...) faster than an installed SDK learns them: not an error."""
    policy = load_policy(write_policy(tmp_path, aws={"regions": ["us-east-1", "eu-west-9", "xx-nowhere-1"]}))
    problems = region_problems(policy)
    assert [(m.split(":")[0], fatal) for m, fatal in problems] == [("aws.regions[1]", False),
                                                                    ("aws.regions[2]", False)]
    assert "did you mean 'eu-west-" in problems[0][0]


class _HtmlHandler(http.server.BaseHTTPRequestHandler):
    """An endpoint that is not AWS: a web server's HTML error page for every request."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = b"<!doctype html>\n<html><title>500 Internal Server Error</title>\n<h1>oops</h1></html>\n"
        self.send_response(500)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def html_endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HtmlHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_endpoint_answering_html_is_one_line_naming_the_likely_causes(
        aws_env: None, html_endpoint: str, tmp_path: Path) -> None:
    policy = load_policy(write_policy(tmp_path))
    with pytest.raises(AwspanError) as failure:
        collect(policy, SessionFactory(endpoint_url=html_endpoint, max_attempts=1))
    text = str(failure.value)
    assert "\n" not in text and "<html" not in text.lower(), text
    assert text.startswith("account (default credentials) us-east-1: GetCallerIdentity: ")
    assert text.endswith("the AWS endpoint answered with something that is not an AWS API response (an "
                         "HTML error page?): check --endpoint-url and that the region name is real"), text


def _empty_region(region: str) -> None:
    """Delete moto's default VPC of `region` (and what it holds), as in a region never used."""
    import boto3

    ec2 = boto3.client("ec2", region_name=region)
    for vpc in ec2.describe_vpcs()["Vpcs"]:
        vpc_filter = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
        for subnet in ec2.describe_subnets(Filters=vpc_filter)["Subnets"]:
            ec2.delete_subnet(SubnetId=subnet["SubnetId"])
        for igw in ec2.describe_internet_gateways(
                Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])["InternetGateways"]:
            ec2.detach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=vpc["VpcId"])
            ec2.delete_internet_gateway(InternetGatewayId=igw["InternetGatewayId"])
        ec2.delete_vpc(VpcId=vpc["VpcId"])


def test_collect_warns_once_about_a_region_without_a_vpc(mocked: None, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    _empty_region("eu-west-1")
    policy, out = write_policy(tmp_path, aws={"regions": ["us-east-1", "eu-west-1"]}), tmp_path / "state.yaml"
    assert cli_main(["collect", "--config", str(policy), "--output", str(out)]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warnings[0] == ("warning: 123456789012 eu-west-1: no VPC in this region (is the region right? "
                           "is it enabled for the account?)")
    assert sum("eu-west-1" in w for w in warnings) == 1  # said once, not again for the whole state
    assert out.is_file()  # a warning, not a failure
