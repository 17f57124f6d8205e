"""React to AWS changes: the successor of the Lambda that edited PAN-OS rules one by one.

The old Lambda patched single rules per CloudTrail event and drifted whenever an event was
missed. Here an event is only a *trigger*: when it can change what the firewall must allow,
awspan runs the whole declarative loop (collect -> generate -> push), or starts the GitOps
pipeline that does so through a pull request. A missed or duplicated event therefore costs
nothing: the next run converges anyway.

Entry points:
- `handler(event, context)`: the AWS Lambda entry point (EventBridge "AWS API Call via
  CloudTrail" events).
- `classify(event) -> Decision`: the pure decision, shared by the Lambda and the CLI.
- `run_cli(args)`: `awspan event [FILE|-] [--decide-only]`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from generator.errors import AwspanError

log = logging.getLogger(__name__)

CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
EC2_SOURCE = "ec2.amazonaws.com"

RELEVANT_EVENTS: dict[str, str] = {
    "StartInstances": "an instance started: its addresses may need rules",
    "StopInstances": "an instance stopped: its rules may go",
    "RunInstances": "a new instance: its addresses may need rules",
    "TerminateInstances": "an instance terminated: its rules may go",
    "AuthorizeSecurityGroupIngress": "a security group gained an ingress permission",
    "RevokeSecurityGroupIngress": "a security group lost an ingress permission",
    "ModifySecurityGroupRules": "a security group rule changed",
    "ModifyInstanceAttribute": "an instance's security groups changed",
    "ModifyNetworkInterfaceAttribute": "a network interface's security groups changed",
    "CreateRoute": "a route was added: a subnet may now go through the firewall",
    "ReplaceRoute": "a route was replaced: a subnet may have moved to or from the firewall",
    "DeleteRoute": "a route was deleted: a subnet may no longer go through the firewall",
    "AssociateRouteTable": "a subnet got another route table",
    "DisassociateRouteTable": "a subnet fell back to its VPC's main route table",
    "ReplaceRouteTableAssociation": "a subnet (or the main table) got another route table",
}
"""The EC2 API calls that can change what the firewall must allow, and why (for the log)."""

SECURITY_GROUP_ONLY = frozenset({"ModifyInstanceAttribute", "ModifyNetworkInterfaceAttribute"})
"""Calls that matter only when they change security groups (not e.g. the instance type)."""

_ID_KEYS = frozenset({
    "instanceid", "groupid", "routetableid", "networkinterfaceid", "subnetid", "vpcid",
    "associationid", "newassociationid", "routetableassociationid", "securitygroupruleid",
})
"""Request/response keys (compared case-insensitively) whose values name affected resources."""

_ID_PREFIXES = ("i-", "sg-", "sgr-", "rtb-", "rtbassoc-", "eni-", "subnet-", "vpc-")

MAX_DESCRIPTION_IDS = 10
"""Ids named in a commit description; a RunInstances of 500 instances must not make a huge one."""


@dataclass(frozen=True)
class Decision:
    """What one event means for the firewall, with the reason written for a human."""

    relevant: bool
    reason: str
    event_name: str | None = None
    event_source: str | None = None
    region: str | None = None
    account: str | None = None
    event_id: str | None = None
    event_time: str | None = None
    ids: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ids"] = list(self.ids)
        return out

    def summary(self) -> str:
        """One log line: event name, region, account and affected ids, then why."""
        verdict = "relevant" if self.relevant else "ignored"
        ids = ",".join(self.ids) if self.ids else "-"
        return (f"{verdict}: {self.event_name or '?'} region={self.region or '?'} "
                f"account={self.account or '?'} ids={ids} ({self.reason})")


def _walk_ids(value: Any, out: set[str]) -> None:
    """Collect resource ids from CloudTrail's nested request/response shapes.

    CloudTrail mirrors the EC2 query API, so ids sit at many depths
    (`instancesSet.items[].instanceId`, `groupSet.items[].groupId`,
    `ModifySecurityGroupRulesRequest.GroupId`); walking the whole document by key name is
    sturdier than one hand-written path per event.
    """
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and key.lower() in _ID_KEYS and isinstance(item, str):
                if item.startswith(_ID_PREFIXES):
                    out.add(item)
            else:
                _walk_ids(item, out)
    elif isinstance(value, list):
        for item in value:
            _walk_ids(item, out)


def _changes_security_groups(params: Any) -> bool:
    """True when ModifyInstanceAttribute/ModifyNetworkInterfaceAttribute sets security groups."""
    if not isinstance(params, Mapping):
        return False
    if params.get("groupSet") or params.get("groupId"):
        return True
    # ModifyInstanceAttribute with Attribute=groupSet and the groups in `value`
    attribute = params.get("attribute")
    return isinstance(attribute, str) and attribute.lower() == "groupset"


def _record(event: Any) -> tuple[Mapping[str, Any] | None, str | None, str | None]:
    """The CloudTrail record inside `event`, and the envelope's account and detail-type.

    Accepts the EventBridge envelope (`detail` holds the record) and, for `awspan event`
    with a file from CloudTrail's event history, a bare CloudTrail record.
    """
    if not isinstance(event, Mapping):
        return None, None, None
    if isinstance(event.get("detail"), Mapping):
        return event["detail"], event.get("account"), event.get("detail-type")
    if "eventName" in event:
        identity = event.get("userIdentity")
        account = event.get("recipientAccountId") or (
            identity.get("accountId") if isinstance(identity, Mapping) else None)
        return event, account, CLOUDTRAIL_DETAIL_TYPE
    return None, None, None


def classify(event: Any) -> Decision:
    """Decide whether one event can change the firewall policy. Never raises on odd input.

    Relevant: a successful EC2 call from RELEVANT_EVENTS (the two Modify*Attribute calls
    only when they change security groups). Ignored: failed calls (`errorCode` set: nothing
    changed in AWS), other sources, other event names, other detail-types.
    """
    record, account, detail_type = _record(event)
    if record is None:
        return Decision(False, "not a CloudTrail event (no detail/eventName)")
    name = record.get("eventName")
    source = record.get("eventSource")
    common = {
        "event_name": name if isinstance(name, str) else None,
        "event_source": source if isinstance(source, str) else None,
        "region": record.get("awsRegion") if isinstance(record.get("awsRegion"), str) else None,
        "account": str(account) if account is not None else None,
        "event_id": record.get("eventID") if isinstance(record.get("eventID"), str) else None,
        "event_time": record.get("eventTime") if isinstance(record.get("eventTime"), str) else None,
    }
    ids: set[str] = set()
    _walk_ids(record.get("requestParameters"), ids)
    _walk_ids(record.get("responseElements"), ids)
    common["ids"] = tuple(sorted(ids))
    if detail_type != CLOUDTRAIL_DETAIL_TYPE:
        return Decision(False, f"detail-type is {detail_type!r}, not {CLOUDTRAIL_DETAIL_TYPE!r}", **common)
    if source != EC2_SOURCE:
        return Decision(False, f"event source {source!r} is not {EC2_SOURCE}", **common)
    if record.get("errorCode"):
        failure = record.get("errorCode")
        return Decision(False, f"the call failed ({failure}): nothing changed in AWS", **common)
    if name not in RELEVANT_EVENTS:
        return Decision(False, f"{name} cannot change what the firewall allows", **common)
    if name in SECURITY_GROUP_ONLY and not _changes_security_groups(record.get("requestParameters")):
        return Decision(False, f"{name} did not change security groups", **common)
    return Decision(True, RELEVANT_EVENTS[name], **common)


# --- reactions -------------------------------------------------------------------------


def config_path() -> Path:
    """policy.yaml for the Lambda: $AWSPAN_CONFIG, else policy.yaml in the package root."""
    if os.environ.get("AWSPAN_CONFIG"):
        return Path(os.environ["AWSPAN_CONFIG"])
    return Path(os.environ.get("LAMBDA_TASK_ROOT", ".")) / "policy.yaml"


def _region_for(resource: str | None, policy: Any) -> str | None:
    """The region of an ARN, else the environment's, else the policy's first region."""
    if resource and resource.startswith("arn:"):
        parts = resource.split(":")
        if len(parts) > 3 and parts[3]:
            return parts[3]
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or policy.aws.regions[0]


def _client(service: str, policy: Any, resource: str | None = None) -> Any:
    import boto3  # imported here: `awspan event --decide-only` must work without AWS set up

    return boto3.client(service, region_name=_region_for(resource, policy))


def _secret_value(policy: Any, secret_id: str, what: str) -> str:
    """A secret's string from Secrets Manager: plain text, or JSON with `api_key`, `token` or `key`."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        value = _client("secretsmanager", policy, secret_id).get_secret_value(SecretId=secret_id)
    except (ClientError, BotoCoreError) as exc:
        raise AwspanError(f"cannot read the {what} from Secrets Manager secret {secret_id!r}: {exc}"
                          ) from None
    text = value.get("SecretString")
    if not text:
        raise AwspanError(f"Secrets Manager secret {secret_id!r} has no SecretString (the {what})")
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            for key in ("api_key", "token", "key"):
                if isinstance(doc.get(key), str) and doc[key]:
                    return doc[key]
            raise AwspanError(f"Secrets Manager secret {secret_id!r} is JSON without an "
                              f"'api_key', 'token' or 'key' string (the {what})")
    return text.strip()


def _parameter_value(policy: Any, name: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        value = _client("ssm", policy, name).get_parameter(Name=name, WithDecryption=True)
    except (ClientError, BotoCoreError) as exc:
        raise AwspanError(f"cannot read the PAN-OS API key from SSM parameter {name!r}: {exc}") from None
    return value["Parameter"]["Value"].strip()


def firewall_api_key(policy: Any) -> str | None:
    """The PAN-OS API key named in events.api_key_secret / events.api_key_parameter.

    None when neither is set: then the firewall client uses PANOS_API_KEY or
    PANOS_USERNAME/PANOS_PASSWORD from the environment as usual.
    """
    if policy.events.api_key_secret:
        return _secret_value(policy, policy.events.api_key_secret, "PAN-OS API key")
    if policy.events.api_key_parameter:
        return _parameter_value(policy, policy.events.api_key_parameter)
    return None


@contextlib.contextmanager
def _environment(name: str, value: str | None) -> Iterator[None]:
    """Set one variable for the duration of a run, then restore it.

    The key goes into the process environment only, where the firewall client reads it:
    never into argv, a file or a log. Restoring it matters in Lambda, whose process is
    reused across invocations.
    """
    if value is None:
        yield
        return
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _names_and_ids(decisions: list[Decision]) -> tuple[list[str], list[str]]:
    """The distinct event names and affected ids of the decisions, sorted."""
    return sorted({d.event_name or "?" for d in decisions}), sorted({i for d in decisions for i in d.ids})


def _describe_change(decisions: list[Decision]) -> str:
    names, ids = _names_and_ids(decisions)
    shown = ", ".join(ids[:MAX_DESCRIPTION_IDS]) + (f" (+{len(ids) - MAX_DESCRIPTION_IDS} more)"
                                                     if len(ids) > MAX_DESCRIPTION_IDS else "")
    return f"awspan event: {'/'.join(names)}" + (f" {shown}" if shown else "")


def run_push(policy: Any, config: Path, decisions: list[Decision]) -> dict[str, Any]:
    """collect -> snapshot -> generate -> push, with every file in events.work_dir.

    The steps run through the command line's own entry (generator.cli.main), so that the
    Lambda does exactly what `make collect generate push` does in a pipeline. snapshot
    refreshes the firewall's own rules for generate's already-allowed check, as the
    scheduled pipeline does. A failed step stops the chain: collect writes nothing on a
    partial read, and push never runs on a stale fragment.
    """
    from generator.cli import main as cli_main

    work = Path(policy.events.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    state, rulebase, fragment = work / "state.yaml", work / "rulebase.xml", work / "fragment.xml"
    cfg = str(config)
    steps = [
        ["collect", "--config", cfg, "--output", str(state)],
        ["snapshot", "--config", cfg, "--output", str(rulebase)],
        ["generate", "--config", cfg, "--state", str(state), "--rulebase", str(rulebase),
         "--output", str(fragment)],
        ["push", "--config", cfg, "--fragment", str(fragment), "--description", _describe_change(decisions)],
    ]
    with _environment("PANOS_API_KEY", firewall_api_key(policy)):
        for argv in steps:
            log.info("awspan event: running awspan %s", argv[0])
            code = cli_main(argv)
            if code != 0:
                raise AwspanError(f"push reaction stopped: `awspan {argv[0]}` failed (exit {code}); "
                                  "the later steps did not run (its message is above)")
    return {"reaction": "push", "work_dir": str(work), "fragment": str(fragment)}


def _join_whole(ids: list[str], limit: int) -> str:
    """Comma-join as many whole ids as fit in `limit` characters: a cut id would name nothing."""
    out: list[str] = []
    size = 0
    for item in ids:
        size += len(item) + (1 if out else 0)
        if size > limit:
            break
        out.append(item)
    return ",".join(out)


def _start_codebuild(policy: Any, project: str, decisions: list[Decision]) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    first = decisions[0]
    names, ids = _names_and_ids(decisions)
    variables = {
        "AWSPAN_EVENT_NAMES": ",".join(names),
        "AWSPAN_EVENT_IDS": _join_whole(ids, 1000),
        "AWSPAN_EVENT_REGION": first.region or "",
        "AWSPAN_EVENT_ACCOUNT": first.account or "",
    }
    try:
        build = _client("codebuild", policy, project).start_build(
            projectName=project,
            environmentVariablesOverride=[
                {"name": k, "value": v, "type": "PLAINTEXT"} for k, v in variables.items()
            ],
        )
    except (ClientError, BotoCoreError) as exc:
        raise AwspanError(f"cannot start CodeBuild project {project!r}: {exc}") from None
    return build["build"]["id"]


def _dispatch(policy: Any, decisions: list[Decision]) -> int:
    """POST a repository-dispatch style request (GitHub's /repos/OWNER/REPO/dispatches).

    The token travels only in the Authorization header; the URL holds no secret.
    """
    import requests

    pipeline = policy.events.pipeline
    if not pipeline.token_secret:
        raise AwspanError("events.pipeline.dispatch_url is set but events.pipeline.token_secret is not",
                          where=policy.source)
    token = _secret_value(policy, pipeline.token_secret, "pipeline token")
    payload = {
        "event_type": pipeline.event_type,
        "client_payload": {"events": [d.as_dict() for d in decisions]},
    }
    try:
        response = requests.post(
            pipeline.dispatch_url,
            json=payload,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "awspan",
            },
            timeout=15,
            allow_redirects=False,  # a redirect must not carry the token elsewhere
        )
    except requests.RequestException as exc:
        raise AwspanError(f"pipeline dispatch to {pipeline.dispatch_url} failed: {type(exc).__name__}"
                          ) from None
    if not 200 <= response.status_code < 300:
        raise AwspanError(f"pipeline dispatch to {pipeline.dispatch_url} answered HTTP "
                          f"{response.status_code}: {response.text[:200].strip()}")
    return response.status_code


def run_pipeline(policy: Any, decisions: list[Decision]) -> dict[str, Any]:
    """Start the GitOps pipeline (CodeBuild and/or repository dispatch) instead of pushing."""
    pipeline = policy.events.pipeline
    if not pipeline.codebuild_project and not pipeline.dispatch_url:
        raise AwspanError("events.mode is 'pipeline' but neither events.pipeline.codebuild_project "
                          "nor events.pipeline.dispatch_url is set", where=policy.source)
    outcome: dict[str, Any] = {"reaction": "pipeline"}
    if pipeline.codebuild_project:
        outcome["codebuild_build"] = _start_codebuild(policy, pipeline.codebuild_project, decisions)
        log.info("awspan event: started CodeBuild build %s", outcome["codebuild_build"])
    if pipeline.dispatch_url:
        outcome["dispatch_status"] = _dispatch(policy, decisions)
        log.info("awspan event: dispatched %s to %s (HTTP %s)", pipeline.event_type,
                 pipeline.dispatch_url, outcome["dispatch_status"])
    return outcome


def collected_regions(policy: Any) -> set[str]:
    """Every region collect reads: aws.regions and the per-account regions."""
    regions = set(policy.aws.regions)
    for account in policy.aws.accounts:
        regions.update(account.regions or ())
    return regions


def react(decisions: list[Decision], config: Path) -> dict[str, Any]:
    """Run the policy's reaction once for one or more relevant decisions.

    An event from a region that collect does not read cannot change the fragment, so it
    starts nothing (an event without a region is kept: better one run too many).
    """
    from generator.policy import load_policy

    policy = load_policy(config)
    regions = collected_regions(policy)
    decisions = [d for d in decisions if d.region is None or d.region in regions]
    if not decisions:
        log.info("awspan event: no reaction: the event's region is not in %s", sorted(regions))
        return {"reaction": "none", "why": f"region not in the policy's regions {sorted(regions)}"}
    mode = policy.events.mode
    if mode == "push":
        return run_push(policy, config, decisions)
    if mode == "pipeline":
        return run_pipeline(policy, decisions)
    return {"reaction": "log"}


# --- entry points ----------------------------------------------------------------------


def handler(event: Any, context: Any) -> dict[str, Any]:
    """AWS Lambda entry point for one EventBridge event.

    Irrelevant events return at once. A failed reaction raises, so that Lambda counts an
    error and retries the asynchronous invocation (safe: the loop is idempotent).
    """
    for name in ("generator", "awspan"):  # Lambda's root logger defaults to WARNING
        logging.getLogger(name).setLevel(logging.INFO)
    decision = classify(event)
    log.info("awspan event: %s", decision.summary())
    result: dict[str, Any] = {"decision": decision.as_dict()}
    if not decision.relevant:
        result["reaction"] = "none"
        return result
    outcome = react([decision], config_path())
    log.info("awspan event: reaction %s done", outcome["reaction"])
    result.update(outcome)
    return result


def _read_events(source: str) -> list[Any]:
    """Events from a file or stdin: one event, a JSON list, or a CloudTrail file ({"Records": [...]})."""
    where = "<stdin>" if source == "-" else source
    if source == "-":
        text = sys.stdin.read()
    else:
        from generator.yamlio import read_text

        text = read_text(source, "event file")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise AwspanError(f"not valid JSON: {exc}", where=where) from None
    if isinstance(doc, Mapping) and isinstance(doc.get("Records"), list):
        return list(doc["Records"])
    if isinstance(doc, list):
        return doc
    if isinstance(doc, Mapping):
        return [doc]
    raise AwspanError("expected a JSON object (an event), a list of events or a CloudTrail file", where=where)


def run_cli(args: Any) -> int:
    """`awspan event [FILE|-] [--decide-only]`: print each decision, then react once if any is relevant."""
    decisions = [classify(event) for event in _read_events(args.file)]
    for decision in decisions:
        print(decision.summary())
    relevant = [d for d in decisions if d.relevant]
    if not relevant:
        print("reaction: none (no relevant event)")
        return 0
    if args.decide_only:
        print("reaction: not run (--decide-only)")
        return 0
    outcome = react(relevant, Path(args.config))
    if outcome["reaction"] == "log":
        print("reaction: none (events.mode is log: report only)")
        return 0
    if outcome["reaction"] == "none":
        print(f"reaction: none ({outcome['why']})")
        return 0
    details = ", ".join(f"{k}={v}" for k, v in outcome.items() if k != "reaction")
    print(f"reaction: {outcome['reaction']} done" + (f" ({details})" if details else ""))
    return 0
