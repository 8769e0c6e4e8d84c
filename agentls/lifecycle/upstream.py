"""Landing with a remote trunk: trunk's upstream, fetching it, pushing to it.

When trunk tracks a remote branch (`branch.<trunk>.remote` and `.merge`, as
`git clone` and `git push -u` set them) and pushing is on (`push` in the land
settings, default true; `git config agentls.landPush false` or `land --no-push`
turn it off here), the remote's trunk is the trunk of record. A land fetches it,
rebases onto it, builds and tests, and pushes the tested commit with a
compare-and-swap: `--force-with-lease=<branch>:<the commit it rebased onto>`, for a
commit that descends from that very commit, so the remote's trunk only ever moves
forward. Only after the remote accepted does the local trunk fast-forward to the
same commit: the local trunk is never ahead of the remote through a land, and never
at a commit that was not tested. A push that loses a race (the remote moved) is
retried by land.py from a new fetch (bounded); any other rejection stops the land.
Nothing here prompts for credentials (agentls.remote.fetch.talk_to_remote).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from agentls.errors import AgentlsError
from agentls.git.repo import rev_parse
from agentls.git.runner import git_ok, run_git
from agentls.remote.fetch import known_remotes, talk_to_remote

NAMESPACE = "refs/agentls/trunk"  # where the remote trunk's last fetched commit is kept
TIMEOUT = 120.0  # seconds for one fetch or push
ATTEMPTS = 3  # pushes that may lose a race before the land gives up
_REMOTE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# `git push --porcelain` reasons that mean "the remote moved since we looked".
RACE_REASONS = ("stale info", "fetch first", "non-fast-forward")


@dataclass(frozen=True)
class Upstream:
    """Where trunk is pushed: REMOTE's REMOTE_REF (e.g. origin, refs/heads/main)."""

    remote: str
    remote_ref: str

    @property
    def branch(self) -> str:
        return self.remote_ref.removeprefix("refs/heads/")

    @property
    def local_ref(self) -> str:
        """Where the remote trunk's commit is kept after a fetch."""
        return f"{NAMESPACE}/{self.remote}/{self.branch}"

    def describe(self) -> str:
        return f"{self.remote}/{self.branch}"


def find(cwd: Path, trunk_branch: str) -> Upstream | None:
    """Trunk's upstream from git's config, or None (no upstream, or a local one)."""
    remote = run_git(["config", "--get", f"branch.{trunk_branch}.remote"], cwd, check=False)
    merge = run_git(["config", "--get", f"branch.{trunk_branch}.merge"], cwd, check=False)
    if not remote or remote == "." or not merge.startswith("refs/heads/"):
        return None
    if not _REMOTE_NAME.fullmatch(remote) or remote not in known_remotes(cwd):
        return None  # a URL or a remote since deleted: nothing agentls pushes to
    return Upstream(remote=remote, remote_ref=merge)


def push_wanted(cwd: Path, configured: bool) -> bool:
    """The `push` land setting (trunk's), unless this clone's git config says otherwise."""
    local = run_git(["config", "--type=bool", "--get", "agentls.landPush"], cwd, check=False)
    return configured if local not in ("true", "false") else local == "true"


def fetch_trunk(cwd: Path, up: Upstream) -> str:
    """Fetch the remote's trunk (also into the user's remote-tracking branch, as a plain
    `git fetch <remote> <branch>` does); its commit. Refuses when it cannot."""
    argv = [
        "git", "-c", "credential.interactive=false", "fetch", "--quiet", "--no-tags",
        "--no-write-fetch-head", "--no-auto-maintenance", "--no-recurse-submodules",
        "--end-of-options", up.remote, f"+{up.remote_ref}:{up.local_ref}",
    ]  # fmt: skip
    error = _talk(argv, cwd, "fetch")
    commit = rev_parse(cwd, up.local_ref) if error is None else None
    if commit is None:
        raise AgentlsError.refuse(
            "trunk-fetch-failed", remote=up.remote, branch=up.branch,
            error=error or f"{up.local_ref} is missing after the fetch",
        )  # fmt: skip
    return commit


def last_fetched(cwd: Path, up: Upstream) -> str | None:
    """The remote trunk's commit as last fetched (or pushed), without the network."""
    return rev_parse(cwd, up.local_ref) or rev_parse(cwd, f"refs/remotes/{up.describe()}")


def require_behind(cwd: Path, trunk_branch: str, local: str, up: Upstream, remote: str) -> None:
    """Refuse unless local trunk is the remote trunk or behind it (a land would push
    local commits nobody asked it to, or could not push at all)."""
    if local == remote or _ancestor(cwd, local, remote):
        return
    ahead = int(run_git(["rev-list", "--count", f"{remote}..{local}"], cwd))
    behind = int(run_git(["rev-list", "--count", f"{local}..{remote}"], cwd))
    raise AgentlsError.refuse(
        "trunk-ahead-of-remote", trunk=trunk_branch, remote=up.remote, branch=up.branch,
        ahead=ahead, behind=behind,
    )  # fmt: skip


@dataclass(frozen=True)
class PushOutcome:
    kind: str  # "accepted", "raced" (the remote moved: fetch and retry) or "refused"
    reason: str  # git's words


def push(cwd: Path, up: Upstream, commit: str, expected: str) -> PushOutcome:
    """Move the remote's trunk from EXPECTED to COMMIT (a descendant), or say why not."""
    argv = [
        "git", "-c", "credential.interactive=false", "push", "--porcelain", "--no-verify",
        f"--force-with-lease={up.remote_ref}:{expected}", "--end-of-options", up.remote,
        f"{commit}:{up.remote_ref}",
    ]  # fmt: skip
    try:
        proc = talk_to_remote(argv, cwd, TIMEOUT)
    except subprocess.TimeoutExpired:
        return PushOutcome("refused", f"{up.remote} did not answer within {TIMEOUT:.0f} s")
    except OSError as exc:
        return PushOutcome("refused", f"could not run git push: {exc}")
    reason = ""
    for line in proc.stdout.decode(errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0] == "!":
            reason = parts[2].strip()
    if proc.returncode == 0 and not reason:
        run_git(["update-ref", up.local_ref, commit], cwd, check=False)
        return PushOutcome("accepted", "")
    if reason.startswith("[rejected]") and any(r in reason for r in RACE_REASONS):
        return PushOutcome("raced", reason)
    return PushOutcome("refused", _last_words(proc.stderr, reason or f"exit {proc.returncode}"))


def _talk(argv: list[str], cwd: Path, what: str) -> str | None:
    """None when git worked, else its reason."""
    try:
        proc = talk_to_remote(argv, cwd, TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"the remote did not answer within {TIMEOUT:.0f} s"
    except OSError as exc:
        return f"could not run git {what}: {exc}"
    return None if proc.returncode == 0 else _last_words(proc.stderr, f"exit {proc.returncode}")


def _last_words(stderr: bytes, fallback: str) -> str:
    lines = [ln.strip() for ln in stderr.decode(errors="replace").splitlines() if ln.strip()]
    useful = [ln for ln in lines if ln.startswith(("fatal:", "error:", "remote:", "!"))] or lines
    return "; ".join(useful[-3:])[:500] if useful else fallback


def _ancestor(cwd: Path, a: str, b: str) -> bool:
    return git_ok(["merge-base", "--is-ancestor", a, b], cwd)
