"""Run the reads of every account x region pair on a bounded thread pool, all or nothing.

Why all or nothing: a state.yaml missing one region would make the next push delete that
region's rules while its instances still need them. So any failed call of any pair fails
the whole collect, names the account, region and operation, and nothing is written.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from generator.collect.normalize import build_state, normalize_region
from generator.collect.read_ec2 import Aborted, CallFailed, describe_error, read_region
from generator.collect.sessions import AccountCredentials, SessionFactory
from generator.errors import AwspanError
from generator.policy import Policy
from generator.text import count

log = logging.getLogger(__name__)

ROLE_SESSION_NAME = "awspan-collect"
_ROLE_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:iam::([0-9]{12}):role/")


@dataclass(frozen=True)
class AccountSpec:
    """One account to read: from aws.accounts[index], or the default chain (index None)."""

    index: int | None
    account_id: str | None
    role_arn: str | None
    external_id: str | None
    regions: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.account_id or "(default credentials)"


@dataclass
class PairResult:
    account: str
    region: str
    vpcs: list[dict[str, Any]]
    seconds: float


def account_specs(policy: Policy) -> list[AccountSpec]:
    """aws.accounts when given (exactly those), else the account of the default chain."""
    if not policy.aws.accounts:
        return [AccountSpec(None, None, None, None, policy.aws.regions)]
    specs, seen = [], set()
    for i, acct in enumerate(policy.aws.accounts):
        if acct.id in seen:
            raise AwspanError(f"aws.accounts[{i}].id: account {acct.id} is listed twice", where=policy.source)
        seen.add(acct.id)
        if acct.role_arn:
            match = _ROLE_ACCOUNT.match(acct.role_arn)
            if match and match.group(1) != acct.id:
                raise AwspanError(
                    f"aws.accounts[{i}].role_arn: the role is in account {match.group(1)}, not {acct.id}",
                    where=policy.source,
                )
        regions = tuple(dict.fromkeys(acct.regions or policy.aws.regions))
        specs.append(AccountSpec(i, acct.id, acct.role_arn, acct.external_id, regions))
    return specs


def resolve_account(factory: SessionFactory, spec: AccountSpec, where: str) -> AccountCredentials:
    """Credentials for one account: STS AssumeRole, or the default chain checked by identity."""
    region = spec.regions[0]
    operation = "AssumeRole" if spec.role_arn else "GetCallerIdentity"
    log.info("%s", f"account {spec.label}: assuming {spec.role_arn}" if spec.role_arn
             else "default credentials: checking which account they belong to")
    try:  # the session too: a missing AWS_PROFILE is raised when it is built
        session = factory.session()
        sts = factory.client(session, "sts", region)
        if spec.role_arn:
            params: dict[str, Any] = {"RoleArn": spec.role_arn, "RoleSessionName": ROLE_SESSION_NAME}
            if spec.external_id:
                params["ExternalId"] = spec.external_id
            creds = sts.assume_role(**params)["Credentials"]
            assert spec.account_id is not None  # role entries always name their account
            expiration = creds.get("Expiration")
            return AccountCredentials(
                spec.account_id, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"],
                expiration.timestamp() if hasattr(expiration, "timestamp") else None,
            )
        actual = sts.get_caller_identity()["Account"]
    except (ClientError, BotoCoreError, ResponseParserError) as exc:
        raise AwspanError(f"account {spec.label} {region}: {operation}: {describe_error(exc)}") from None
    if spec.account_id and actual != spec.account_id:
        raise AwspanError(
            f"aws.accounts[{spec.index}]: the default credentials belong to account {actual}, "
            f"not {spec.account_id} (add role_arn to read it through a role)",
            where=where,
        )
    return AccountCredentials(actual)


def read_pair(
    factory: SessionFactory, creds: AccountCredentials, region: str, abort: threading.Event
) -> PairResult:
    """Read and normalize one pair with its own Session (Sessions are not thread-safe)."""
    started = time.perf_counter()
    log.info("%s %s: reading VPCs, subnets, route tables, security groups, network interfaces, instances",
             creds.account_id, region)
    session = factory.session(creds)
    raw = read_region(factory.client(session, "ec2", region), abort)
    vpcs = normalize_region(raw, creds.account_id, region)
    return PairResult(creds.account_id, region, vpcs, time.perf_counter() - started)


def _summary(result: PairResult) -> str:
    def total(key: str, word: str) -> str:
        return count(sum(len(v[key]) for v in result.vpcs), word)

    return (
        f"{result.account} {result.region}: {count(len(result.vpcs), 'VPC')}, {total('subnets', 'subnet')}, "
        f"{total('route_tables', 'route table')}, {total('security_groups', 'security group')}, "
        f"{total('prefix_lists', 'prefix list')}, {total('interfaces', 'network interface')}, "
        f"{total('instances', 'instance')} ({result.seconds:.1f} s)"
    )


def _report_pair(result: PairResult) -> None:
    log.info("%s", _summary(result))
    if not result.vpcs:
        log.warning("warning: %s %s: no VPC in this region (is the region right? is it enabled for "
                    "the account?)", result.account, result.region)


def check_regions(policy: Policy) -> None:
    """Refuse a region name that is a typo of a known one (before any call: against a custom
    endpoint a typo is answered with an HTML page); warn about one botocore does not know."""
    from generator.collect.regions import region_problems

    for message, fatal in region_problems(policy):
        if fatal:
            raise AwspanError(message, where=policy.source)
        log.warning("warning: %s", message)


def _run_all(
    jobs: list[tuple[str, str, Callable[[threading.Event], Any]]], max_workers: int,
    on_done: Callable[[Any], None] | None = None,
) -> list[Any]:
    """Run labelled jobs on a bounded pool; stop the rest at the first failure and raise it."""
    abort = threading.Event()
    results: list[Any] = [None] * len(jobs)
    errors: list[tuple[int, BaseException]] = []
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(jobs))),
                            thread_name_prefix="awspan-collect") as pool:
        futures: dict[Future[Any], int] = {pool.submit(job, abort): i for i, (_, _, job) in enumerate(jobs)}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)  # progress as each finishes
                for fut in done:
                    i = futures[fut]
                    exc = fut.exception()
                    if exc is None:
                        results[i] = fut.result()
                        if on_done is not None:
                            on_done(results[i])
                    elif not isinstance(exc, Aborted):
                        errors.append((i, exc))
                if errors:
                    break
        finally:  # a failure or Ctrl-C: running pairs stop at their next page, queued ones never start
            if pending:
                abort.set()
                for fut in pending:
                    fut.cancel()
    if errors:
        errors.sort(key=lambda e: e[0])  # report the first pair in policy order, whatever finished first
        i, exc = errors[0]
        more = f" (and {len(errors) - 1} more failed)" if len(errors) > 1 else ""
        if isinstance(exc, CallFailed):
            account, region, _ = jobs[i]
            raise AwspanError(f"account {account} {region}: {exc.operation}: {exc.detail}{more}") from None
        raise exc
    return results


def collect(policy: Policy, factory: SessionFactory | None = None,
            accounts: dict[int | None, AccountCredentials] | None = None) -> dict[str, Any]:
    """Read every account/region pair and return the whole state document (nothing written).

    `accounts`, when given, receives the credentials resolved per aws.accounts index (None: the
    default credentials), so that the event reaction can read single objects afterwards without
    resolving them again (generator.events.accounts)."""
    factory = factory or SessionFactory()
    specs = account_specs(policy)
    check_regions(policy)
    pairs = sum(len(s.regions) for s in specs)
    log.info("collect: %s in %s (%d at a time)", count(pairs, "account/region pair"),
             count(len(specs), "account"), max(1, min(policy.aws.max_workers, pairs)))
    resolved: list[AccountCredentials] = _run_all(
        [(s.label, s.regions[0], lambda _abort, s=s: resolve_account(factory, s, policy.source))
         for s in specs],
        policy.aws.max_workers,
    )
    if accounts is not None:
        accounts.update({spec.index: creds for spec, creds in zip(specs, resolved, strict=True)})
    jobs = [
        (creds.account_id, region,
         lambda abort, creds=creds, region=region: read_pair(factory, creds, region, abort))
        for creds, spec in zip(resolved, specs, strict=True)
        for region in spec.regions
    ]
    results: list[PairResult] = _run_all(jobs, policy.aws.max_workers, on_done=_report_pair)
    return build_state(v for r in results for v in r.vpcs)
