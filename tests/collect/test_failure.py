"""All or nothing: one failed call anywhere -> exit 1 naming account, region and call; file untouched.

The failure is injected the honest way: a botocore `before-call` hook, registered by the
test on the collector's sessions through SessionFactory(hooks=...), answers one
operation in one region with the HTTP 403 and error body EC2 sends when IAM denies a
call. botocore then raises its own ClientError through its normal error path, exactly
as for a real denial; nothing in awspan or botocore is patched.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from generator.cli.main import main as cli_main
from generator.collect.sessions import SessionFactory
from generator.collect.step import collect_to_file
from generator.errors import AwspanError
from generator.policy import load_policy
from tests.collect.estate import AMI
from tests.policies import write_policy

DENIED = "You are not authorized to perform this operation."


def deny(region: str, operation: str) -> tuple[str, Any]:
    """A before-call hook that answers `operation` in `region` with EC2's 403."""

    def hook(model: Any, request_signer: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name != operation or request_signer.region_name != region:
            return None
        http = AWSResponse(f"https://ec2.{region}.amazonaws.com/", 403, {}, None)
        return http, {"Error": {"Code": "UnauthorizedOperation", "Message": DENIED},
                      "ResponseMetadata": {"HTTPStatusCode": 403}}

    return ("before-call.ec2", hook)


def small_estate(ec2: Any) -> None:
    """A VPC with one instance whose group references a prefix list: every read has data."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    pl = ec2.create_managed_prefix_list(PrefixListName="office", MaxEntries=2, AddressFamily="IPv4",
                                        Entries=[{"Cidr": "198.51.100.0/24"}])["PrefixList"]["PrefixListId"]
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": pl}]}])
    ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=subnet, SecurityGroupIds=[sg])


@pytest.fixture
def two_regions(mocked: None, tmp_path: Path) -> tuple[Any, Path]:
    for region in ("us-east-1", "us-west-2"):
        small_estate(boto3.client("ec2", region_name=region))
    policy = load_policy(write_policy(tmp_path, aws={"regions": ["us-east-1", "us-west-2"]}))
    out = tmp_path / "out" / "state.yaml"
    collect_to_file(policy, out)  # the previous, good state
    return policy, out


@pytest.mark.slow
@pytest.mark.parametrize("operation", ["DescribeInstances", "DescribeVpcs", "GetManagedPrefixListEntries"])
def test_denied_call_in_one_region_of_two_leaves_state_untouched(
    two_regions: tuple[Any, Path], operation: str
) -> None:
    policy, out = two_regions
    before, files_before = out.read_bytes(), sorted(os.listdir(out.parent))
    with pytest.raises(AwspanError) as err:
        collect_to_file(policy, out, SessionFactory(hooks=(deny("us-west-2", operation),)))
    assert str(err.value) == f"account 123456789012 us-west-2: {operation}: UnauthorizedOperation: {DENIED}"
    assert out.read_bytes() == before
    assert sorted(os.listdir(out.parent)) == files_before  # no temp file left behind


@pytest.mark.slow
def test_the_same_collect_without_the_denial_succeeds(two_regions: tuple[Any, Path]) -> None:
    """Control for the test above: the estate itself is readable in both regions."""
    policy, out = two_regions
    state = collect_to_file(policy, out, SessionFactory(hooks=(deny("eu-west-1", "DescribeInstances"),)))
    assert {v["region"] for v in state["vpcs"]} == {"us-east-1", "us-west-2"}


def test_cli_failure_is_one_line_exit_1_and_no_file(mocked: None, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # the default credentials (moto's account 123456789012) are not the account listed
    policy = write_policy(tmp_path, aws={"regions": ["us-east-1"], "accounts": [{"id": "111111111111"}]})
    out = tmp_path / "state.yaml"
    assert cli_main(["--quiet", "collect", "--config", str(policy), "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err  # --quiet: no progress, only the error
    assert "aws.accounts[0]: the default credentials belong to account 123456789012, not 111111111111" in err
    assert str(policy) in err
    assert not out.exists()


def test_cli_rejects_a_malformed_endpoint_url(mocked: None, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    policy = write_policy(tmp_path)
    code = cli_main(["collect", "--config", str(policy), "--output", str(tmp_path / "s.yaml"),
                     "--endpoint-url", "localhost:5000"])
    assert code == 1
    assert "--endpoint-url 'localhost:5000': expected http(s)://host[:port]" in capsys.readouterr().err


def test_role_in_another_account_than_listed_is_a_policy_error(mocked: None, tmp_path: Path) -> None:
    policy = load_policy(write_policy(tmp_path, aws={"regions": ["us-east-1"], "accounts": [
        {"id": "111111111111", "role_arn": "arn:aws:iam::222222222222:role/awspan"}]}))
    with pytest.raises(AwspanError, match=r"aws.accounts\[0\].role_arn: the role is in account 222222222222"):
        collect_to_file(policy, tmp_path / "state.yaml")


def test_an_endpoint_that_does_not_answer_names_the_call(mocked: None, tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    policy = load_policy(write_policy(tmp_path))
    factory = SessionFactory(endpoint_url=f"http://127.0.0.1:{port}", max_attempts=2, connect_timeout=2)
    with pytest.raises(AwspanError, match=r"^account \(default credentials\) us-east-1: GetCallerIdentity: "
                                          rf"cannot connect to http://127.0.0.1:{port}/: "
                                          r"check the region name, --endpoint-url"):
        collect_to_file(policy, tmp_path / "state.yaml", factory)
    assert not (tmp_path / "state.yaml").exists()
