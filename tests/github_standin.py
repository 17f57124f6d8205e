"""GitHub, as far as the policy repository's workflow uses it, on this machine.

- `FakeGitHub`: the repository's remote (a bare git repository), its pull requests (a JSON
  record), and a `gh` stand-in on PATH that closes them (`gh pr close BRANCH --delete-branch
  --comment TEXT`, the only gh call the workflow makes).
- `stand_ins(...)`: the local equivalents of the GitHub-only actions, for tests/workflow_runner.py:
  actions/checkout clones the remote at `ref`; actions/setup-python puts a given Python first on
  PATH; aws-actions/configure-aws-credentials exports moto's fake credentials, the region and
  AWS_ENDPOINT_URL (and checks the job may request an OIDC token); peter-evans/create-pull-request
  stages `add-paths`, commits, force-pushes the branch and records the pull request with the body
  read from `body-path` (nothing staged with delete-branch: the branch is deleted).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from devtools.moto_server import moto_env
from tests.workflow_runner import Action, JobRun

BOT = ["-c", "user.name=github-actions[bot]", "-c", "user.email=bot@example.invalid"]

GH = '''#!{python}
"""`gh pr close BRANCH --delete-branch --comment TEXT`, on the test's pull-request records."""
import json, os, subprocess, sys
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(json.dumps({{"argv": args, "token": bool(os.environ.get("GH_TOKEN"))}}) + "\\n")
if args[:2] != ["pr", "close"] or not os.environ.get("GH_TOKEN"):
    sys.exit("gh stand-in: only an authenticated `gh pr close` is modelled")
branch = args[2]
with open({pulls!r}) as f:
    pulls = json.load(f)
pr = pulls.get(branch)
if not pr or pr["state"] != "open":
    sys.exit(f'no pull requests found for branch "{{branch}}"')
pr["state"], pr["comment"] = "closed", args[args.index("--comment") + 1]
if "--delete-branch" in args:
    subprocess.run(["git", "push", "-q", "origin", "--delete", branch], check=True)
with open({pulls!r}, "w") as f:
    json.dump(pulls, f)
'''


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


class FakeGitHub:
    """The remote, the pull requests and the gh CLI of one repository, under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.origin = root / "origin.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.origin)], check=True)
        self.pulls_file = root / "pulls.json"
        self.pulls_file.write_text("{}")
        self.gh_log = root / "gh.log"
        self.bin = root / "bin"
        self.bin.mkdir()
        gh = self.bin / "gh"
        gh.write_text(GH.format(python=sys.executable, log=str(self.gh_log), pulls=str(self.pulls_file)))
        gh.chmod(0o755)

    @property
    def pulls(self) -> dict:
        return json.loads(self.pulls_file.read_text())

    def save_pulls(self, pulls: dict) -> None:
        self.pulls_file.write_text(json.dumps(pulls))

    def gh_calls(self) -> list[dict]:
        lines = self.gh_log.read_text().splitlines() if self.gh_log.exists() else []
        return [json.loads(line) for line in lines]

    def branches(self) -> set[str]:
        return set(git(self.origin, "for-each-ref", "--format=%(refname:short)", "refs/heads").split())

    def show(self, ref: str, path: str) -> bytes:
        return subprocess.run(["git", "show", f"{ref}:{path}"], cwd=self.origin, check=True,
                              capture_output=True).stdout

    def tree(self, ref: str, folder: str) -> dict[str, bytes]:
        names = git(self.origin, "ls-tree", "-r", "--name-only", ref, "--", folder).split()
        return {name: self.show(ref, name) for name in names}

    def merge(self, branch: str, scratch: Path) -> list[str]:
        """Merge the open pull request of `branch` into main (a merge commit, then "delete branch on
        merge", as a person does in the web page); the files the merge changed on main."""
        pulls = self.pulls
        assert pulls[branch]["state"] == "open"
        shutil.rmtree(scratch, ignore_errors=True)
        git(self.root, "clone", "-q", "--branch", "main", str(self.origin), str(scratch))
        git(scratch, "fetch", "-q", "origin", branch)
        git(scratch, *BOT, "merge", "-q", "--no-ff", "-m", f"Merge pull request #{pulls[branch]['number']}",
            "FETCH_HEAD")
        git(scratch, "push", "-q", "origin", "main")
        git(scratch, "push", "-q", "origin", "--delete", branch)
        pulls[branch]["state"] = "merged"
        self.save_pulls(pulls)
        return git(scratch, "diff", "--name-only", "HEAD^1", "HEAD").split()

    def open_pull_request(self, run: JobRun, inputs: dict[str, str]) -> None:
        """peter-evans/create-pull-request: one branch, one pull request, updated in place."""
        perms = run.job["permissions"]
        assert perms.get("contents") == "write" and perms.get("pull-requests") == "write"
        ws, branch = run.workspace, inputs["branch"]
        git(ws, "checkout", "-q", "-B", branch)
        paths = [p.strip() for p in inputs["add-paths"].replace("\n", ",").split(",") if p.strip()]
        git(ws, "add", "--", *paths)
        if not git(ws, "diff", "--cached", "--name-only").strip():
            if inputs.get("delete-branch") == "true" and branch in self.branches():
                git(ws, "push", "-q", "origin", "--delete", branch)
            return
        git(ws, *BOT, "commit", "-q", "-m", inputs["commit-message"])
        git(ws, "push", "-q", "--force", "origin", branch)
        pulls = self.pulls
        old = pulls.get(branch, {})
        number = old["number"] if old.get("state") == "open" else len(pulls) + 1
        pulls[branch] = {"number": number, "state": "open", "title": inputs["title"],
                         "body": (ws / inputs["body-path"]).read_text(), "labels": inputs.get("labels", ""),
                         "head": git(ws, "rev-parse", "HEAD").strip()}
        self.save_pulls(pulls)


def stand_ins(github: FakeGitHub, python_bin: Path, aws_url: str) -> dict[str, Action]:
    """The local equivalents of the GitHub-only actions the workflow uses, by action name."""

    def checkout(run: JobRun, inputs: dict[str, str]) -> None:
        git(run.workspace, "clone", "-q", "--branch", inputs.get("ref") or "main", str(github.origin), ".")

    def setup_python(run: JobRun, inputs: dict[str, str]) -> None:
        assert inputs["python-version"].startswith("3.")
        run.path_prefix.insert(0, str(python_bin))

    def aws_credentials(run: JobRun, inputs: dict[str, str]) -> dict[str, str]:
        assert run.job["permissions"].get("id-token") == "write", "OIDC needs id-token: write"
        assert inputs["role-to-assume"] == run.vars["AWSPAN_AWS_ROLE_ARN"]
        region = inputs["aws-region"]
        return {**moto_env(region), "AWS_REGION": region, "AWS_ENDPOINT_URL": aws_url}

    return {"actions/checkout": checkout, "actions/setup-python": setup_python,
            "aws-actions/configure-aws-credentials": aws_credentials,
            "peter-evans/create-pull-request": github.open_pull_request}
