"""React to AWS changes: the successor of the Lambda that edited PAN-OS rules one by one.

The old Lambda patched single rules per CloudTrail event and drifted whenever an event was
missed. Here an event is only a *trigger*: when it can change what the firewall must allow,
awspan runs the whole declarative loop (collect -> generate -> push), or starts the GitOps
pipeline that does so through a pull request.

Modules, one job each:
- classify: the pure decision for one CloudTrail record (`classify(event) -> Decision`);
- notifications, logfiles, jsondoc: unwrap S3/SNS/SQS notifications and read the
  CloudTrail log files they name from S3 (bounded, gzip, failures sorted for retries);
- intake: from one invocation's input to its decisions (shared by the Lambda and the CLI);
- reaction, dispatch, secrets: run the reaction once per batch (dispatch starts CodeBuild or
  a repository dispatch);
- lambda_handler: `handler(event, context)`, the Lambda entry point
  (`generator.events.handler`);
`awspan event [FILE|-] [--decide-only]` is generator.cli.event (the command line sits above).

Importing this package stays light (no boto3, no policy loading): the Lambda's cold start
and `awspan event --decide-only` pay only for what they use.
"""

from __future__ import annotations

from generator.events.classify import RELEVANT_EVENTS, Decision, classify
from generator.events.lambda_handler import handler
from generator.events.reaction import collected_regions, react

__all__ = ["RELEVANT_EVENTS", "Decision", "classify", "collected_regions", "handler", "react"]
