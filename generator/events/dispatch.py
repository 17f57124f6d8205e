"""The pipeline reaction: start the GitOps pipeline (CodeBuild and/or a repository dispatch).

The change then arrives as a pull request; the repository stays the source of truth.
"""

from __future__ import annotations

import logging
from typing import Any

from generator.errors import AwspanError
from generator.events.classify import Decision
from generator.events.secrets import client, secret_value

log = logging.getLogger(__name__)


def names_and_ids(decisions: list[Decision]) -> tuple[list[str], list[str]]:
    """The distinct event names and affected ids of the decisions, sorted."""
    return sorted({d.event_name or "?" for d in decisions}), sorted({i for d in decisions for i in d.ids})


def join_whole(ids: list[str], limit: int) -> str:
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

    names, ids = names_and_ids(decisions)
    variables = {
        "AWSPAN_EVENT_NAMES": ",".join(names),
        "AWSPAN_EVENT_IDS": join_whole(ids, 1000),
        "AWSPAN_EVENT_REGION": ",".join(sorted({d.region for d in decisions if d.region})),
        "AWSPAN_EVENT_ACCOUNT": ",".join(sorted({d.account for d in decisions if d.account})),
    }
    try:
        build = client("codebuild", policy, project).start_build(
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
    token = secret_value(policy, pipeline.token_secret, "pipeline token")
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
