"""Fetching remote sessions: one `git fetch` per remote for every pattern, quietly.

The fetch never asks for credentials (no terminal, no askpass, ssh in batch mode,
no new session's tty): a remote that needs a password the user's credential helper
or ssh agent cannot give simply fails, and status says "remote unreachable". A
failing remote is retried with exponential back-off. `--refmap=` keeps git from
also updating the user's remote-tracking branches opportunistically, `--prune`
drops refs (here, in agentls's namespace only) whose branch was deleted.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agentls.errors import AgentlsError
from agentls.git.repo import Repository
from agentls.git.runner import git_env, run_git, run_git_bytes
from agentls.remote.config import RemoteConfig
from agentls.remote.refs import NAMESPACE, refspecs

FETCH_TIMEOUT = 120.0  # seconds; a hung connection must not hold the engine's fetcher
MAX_BACKOFF = 3600.0
MIN_BACKOFF = 30.0
STATUS_FILE = "status.json"


@dataclass
class RemoteStatus:
    """What the last fetches of one remote did (kept in `<common>/agentls/remote/`)."""

    remote: str
    fetched: float | None = None  # when the last fetch succeeded
    tried: float | None = None  # when the last fetch was attempted
    error: str | None = None  # git's words when the last attempt failed
    failures: int = 0  # attempts failed in a row
    retry: float | None = None  # not before this time (back-off), after a failure
    refs: int = 0  # refs in agentls's namespace after the last fetch

    @property
    def reachable(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FetchResult:
    statuses: list[RemoteStatus] = field(default_factory=list)
    changed: bool = False  # any ref in agentls's namespace moved, appeared or went

    @property
    def ok(self) -> bool:
        return all(s.reachable for s in self.statuses)


def folder(repo: Repository) -> Path:
    from agentls.engine.guard import make_private_dir

    path = repo.state_dir / "remote"
    make_private_dir(path)
    return path


def read_statuses(repo: Repository) -> dict[str, RemoteStatus]:
    """Every remote's last fetch status (empty before the first fetch)."""
    try:
        data = json.loads((repo.state_dir / "remote" / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    found = {}
    fields = set(RemoteStatus.__dataclass_fields__)
    for name, item in data.items() if isinstance(data, dict) else []:
        if isinstance(item, dict):
            with contextlib.suppress(TypeError):
                found[name] = RemoteStatus(**{k: v for k, v in item.items() if k in fields})
    return found


def _write_statuses(repo: Repository, statuses: dict[str, RemoteStatus]) -> None:
    target = folder(repo) / STATUS_FILE
    temp = target.with_suffix(f".{os.getpid()}.tmp")
    temp.write_text(json.dumps({k: v.to_json() for k, v in statuses.items()}, indent=1))
    os.replace(temp, target)


@contextlib.contextmanager
def _fetch_lock(repo: Repository) -> Iterator[None]:
    """One fetch at a time per repository (the engine's and `agentls fetch`)."""
    with open(folder(repo) / "fetch.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def no_prompt_env(cwd: Path) -> dict[str, str]:
    """Variables that make every credential question fail instead of waiting for a person."""
    refuse = shutil.which("false") or "/bin/false"
    ssh = run_git(["config", "--get", "core.sshCommand"], cwd, check=False)
    ssh = os.environ.get("GIT_SSH_COMMAND") or ssh or "ssh"
    return {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": refuse,
        "SSH_ASKPASS": refuse,
        "SSH_ASKPASS_REQUIRE": "never",
        "GCM_INTERACTIVE": "never",  # Git Credential Manager: no window either
        "GIT_SSH_COMMAND": f"{ssh} -o BatchMode=yes -o ConnectTimeout=20",
    }


def talk_to_remote(
    argv: list[str], cwd: Path, timeout: float
) -> subprocess.CompletedProcess[bytes]:
    """Run git against a remote so that nothing can ask a person anything: no stdin,
    no terminal (a session of its own), every credential prompt refused. Raises
    subprocess.TimeoutExpired after TIMEOUT seconds, OSError when git cannot start."""
    return subprocess.run(
        argv,
        cwd=str(cwd),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=git_env(no_prompt_env(cwd)),
        timeout=timeout,
        start_new_session=True,
        check=False,
    )


def known_remotes(cwd: Path) -> list[str]:
    return run_git(["remote"], cwd, check=False).split()


def namespace_refs(cwd: Path, prefix: str = NAMESPACE) -> dict[str, str]:
    """ref -> commit for every ref under PREFIX."""
    out = run_git(["for-each-ref", "--format=%(refname) %(objectname)", prefix + "/"], cwd)
    found = {}
    for line in out.splitlines():
        ref, _, oid = line.partition(" ")
        found[ref] = oid
    return found


def backoff(failures: int, interval: float) -> float:
    """Seconds to wait after FAILURES failed attempts in a row."""
    step = max(interval, MIN_BACKOFF)
    return float(min(step * 2 ** max(failures - 1, 0), MAX_BACKOFF))


def fetch(
    repo: Repository,
    config: RemoteConfig,
    *,
    force: bool = True,
    timeout: float = FETCH_TIMEOUT,
    now: float | None = None,
) -> FetchResult:
    """Fetch every configured remote's session refs into agentls's namespace.

    FORCE (a person asked: `agentls fetch`, `--fetch`) ignores the back-off; the
    engine's background fetcher passes False and skips remotes still backing off.
    """
    cwd = repo.cwd
    result = FetchResult()
    with _fetch_lock(repo):
        statuses = read_statuses(repo)
        present = set(known_remotes(cwd))
        before = namespace_refs(cwd)
        for remote in config.remotes:
            status = statuses.setdefault(remote, RemoteStatus(remote))
            moment = time.time() if now is None else now
            if not force and status.retry is not None and moment < status.retry:
                result.statuses.append(status)
                continue
            status.tried = moment
            error: str | None
            if remote not in present:
                error = f"no remote named {remote!r} in this repository (see `git remote -v`)"
            else:
                error = _fetch_one(cwd, remote, config, timeout)
            if error is None:
                status.fetched, status.error, status.failures, status.retry = moment, None, 0, None
            else:
                status.error, status.failures = error, status.failures + 1
                status.retry = moment + backoff(status.failures, config.interval)
            result.statuses.append(status)
        after = namespace_refs(cwd)
        for status in result.statuses:
            status.refs = sum(1 for r in after if r.startswith(f"{NAMESPACE}/{status.remote}/"))
        result.changed = before != after
        _write_statuses(repo, statuses)
    return result


def _fetch_one(cwd: Path, remote: str, config: RemoteConfig, timeout: float) -> str | None:
    """None when the fetch worked, else git's reason (its last line of stderr)."""
    argv = [
        "git",
        "-c",
        "credential.interactive=false",
        "-c",
        "http.lowSpeedLimit=1000",
        "-c",
        "http.lowSpeedTime=30",
        "fetch",
        "--quiet",
        "--prune",
        "--no-tags",
        "--no-write-fetch-head",
        "--no-auto-maintenance",
        "--no-recurse-submodules",
        "--refmap=",
        "--end-of-options",
        remote,
        *refspecs(remote, config),
    ]
    try:
        proc = talk_to_remote(argv, cwd, timeout)
    except subprocess.TimeoutExpired:
        return f"remote {remote} did not answer within {timeout:.0f} s"
    except OSError as exc:
        return f"could not run git fetch: {exc}"
    if proc.returncode == 0:
        return None
    lines = [ln.strip() for ln in proc.stderr.decode(errors="replace").splitlines() if ln.strip()]
    useful = [ln for ln in lines if ln.startswith(("fatal:", "error:"))] or lines
    return (useful[-1] if useful else f"git fetch exited with {proc.returncode}")[:300]


def forget_remote_refs(cwd: Path, remote: str | None = None) -> int:
    """Delete agentls's copies of remote refs (all, or one remote's); returns how many."""
    prefix = f"{NAMESPACE}/{remote}" if remote else NAMESPACE
    refs = namespace_refs(cwd, prefix)
    if refs:
        script = "".join(f"delete {ref} {oid}\n" for ref, oid in refs.items())
        run_git_bytes(["update-ref", "--stdin"], cwd, input=script.encode())
    return len(refs)


def require_remotes(repo: Repository, config: RemoteConfig) -> None:
    """Refuse a fetch or publish when none of the configured remotes exists."""
    present = known_remotes(repo.cwd)
    if not any(r in present for r in config.remotes):
        raise AgentlsError.refuse("no-remote", configured=list(config.remotes), present=present)
