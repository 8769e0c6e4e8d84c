"""Publishing local work (opt-in): each local session's snapshot, uncommitted work
included, pushed to `refs/agentls/wip/<user>/<session>` on the remote.

What is shared is exactly the change-set snapshot agentls analyses: the session's
commits plus one commit of its staged, unstaged and untracked-not-ignored files
(unsaved editor buffers too, when the engine publishes). Ignored files and session
notes are never in it. Hosts that refuse custom ref namespaces get branches under
`wip-prefix` (default `agentls-wip/<user>/<session>`) instead. Publishing again
removes the published refs of sessions that are gone (landed and removed, or
deleted) or have nothing of their own (no uncommitted work and a HEAD trunk already
has: landed and kept open, or just made); `agentls unpublish` removes them all.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pygit2

from agentls.errors import AgentlsError
from agentls.git.repo import Repository
from agentls.git.runner import run_git
from agentls.remote.config import RemoteConfig
from agentls.remote.fetch import folder, require_remotes, talk_to_remote
from agentls.remote.refs import WIP_NAMESPACE

if TYPE_CHECKING:
    from agentls.workspace import Workspace

PUBLISHED_FILE = "published.json"
PUSH_TIMEOUT = 120.0
FALLBACK_SIGNATURE = ("agentls", "agentls@localhost")


def _clean(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")
    return re.sub(r"\.\.+", ".", cleaned)[:64].strip("-._")


def publisher(repo: Repository, config: RemoteConfig) -> str:
    """The <user> of this machine's published refs: configured, else from git's user."""
    if config.user:
        return config.user
    settings = {
        key: run_git(["config", "--get", key], repo.cwd, check=False)
        for key in ("user.email", "user.name")
    }
    return publisher_from(settings)


def publisher_from(settings: dict[str, str]) -> str:
    """The <user> from git's user.email (its local part), else user.name, else the login."""
    email, name = settings.get("user.email", ""), settings.get("user.name", "")
    for candidate in (email.partition("@")[0], name):
        if _clean(candidate):
            return _clean(candidate)
    try:
        return _clean(getpass.getuser()) or "user"
    except (KeyError, OSError):
        return "user"


def _records(repo: Repository) -> dict[str, Any]:
    try:
        data = json.loads((repo.state_dir / "remote" / PUBLISHED_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(repo: Repository, records: dict[str, Any]) -> None:
    target = folder(repo) / PUBLISHED_FILE
    temp = target.with_suffix(f".{os.getpid()}.tmp")
    temp.write_text(json.dumps(records, indent=1, sort_keys=True))
    os.replace(temp, target)


def published(repo: Repository) -> dict[str, Any]:
    """session id -> {"session", "remote", "ref", "commit", "head", "tree"} of what is out."""
    return _records(repo)


def _signature(git: pygit2.Repository) -> pygit2.Signature:
    try:
        return git.default_signature
    except (KeyError, pygit2.GitError):
        return pygit2.Signature(*FALLBACK_SIGNATURE)


def _wip_commit(ws: Workspace, state: Any, user: str, old: dict[str, Any] | None) -> str:
    """The commit to publish for STATE: its HEAD when nothing is uncommitted, else one
    commit of the snapshot on top of HEAD (reused while head and tree stay the same, so
    an unchanged session is not re-published with a new date)."""
    tree, head = state.snapshot_tree(), state.head
    same = old and old.get("head") == head and old.get("tree") == tree
    if same and old and old.get("commit") and old["commit"] in ws.git:
        return str(old["commit"])
    head_tree = str(state.head_tree.id) if state.head_tree is not None else None
    if head and tree == head_tree:
        return str(head)
    signature = _signature(ws.git)
    message = f"agentls: uncommitted work of {state.session.name} (published by {user})\n"
    parents = [pygit2.Oid(hex=head)] if head else []
    oid = ws.git.create_commit(None, signature, signature, message, pygit2.Oid(hex=tree), parents)
    return str(oid)


def _nothing_of_its_own(ws: Workspace, state: Any) -> bool:
    """No uncommitted work and a HEAD trunk already has: a session landed and kept open,
    or one just made. Publishing it would only show teammates trunk again (and bring
    back the ref its land withdrew)."""
    head = state.head
    if head is None:
        return True
    head_tree = str(state.head_tree.id) if state.head_tree is not None else None
    if state.snapshot_tree() != head_tree:
        return False
    return head == ws.trunk.commit or ws.analyzer.merge_base(head, ws.trunk.commit) == head


def _push(cwd: Path, remote: str, refspecs: list[str]) -> tuple[bool, dict[str, str], str]:
    """(worked, {dst: why rejected}, git's error) for one `git push --porcelain`."""
    argv = [
        "git", "-c", "credential.interactive=false", "push", "--porcelain", "--no-verify",
        "--end-of-options", remote, *refspecs,
    ]  # fmt: skip
    try:
        proc = talk_to_remote(argv, cwd, PUSH_TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, {}, f"remote {remote} did not answer within {PUSH_TIMEOUT:.0f} s"
    except OSError as exc:
        return False, {}, f"could not run git push: {exc}"
    rejected: dict[str, str] = {}
    for line in proc.stdout.decode(errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0] == "!":
            rejected[parts[1].partition(":")[2]] = parts[2]
    error = proc.stderr.decode(errors="replace").strip().splitlines()
    return proc.returncode == 0, rejected, (error[-1] if error else "")


def publish(ws: Workspace, *, remote: str | None = None) -> dict[str, Any]:
    """Push every local session's snapshot; remove refs of sessions that are gone."""
    from agentls.remote import view

    config = view.config(ws)
    require_remotes(ws.repository, config)
    target = remote or config.remotes[0]
    user = publisher(ws.repository, config)
    records = _records(ws.repository)
    cwd = ws.repository.cwd
    chosen: dict[str, tuple[str, str]] = {}  # session id -> (commit, session name)
    for session in ws.sessions:
        state = ws.states.get(session.id)
        if state is None or session.missing or session.is_research:
            continue
        if session.branch == ws.trunk.branch:
            continue  # trunk's checkout is nobody's session work
        if _nothing_of_its_own(ws, state):
            continue  # landed and kept open, or new: its ref (if any) goes
        chosen[session.id] = (_wip_commit(ws, state, user, records.get(session.id)), session.name)
    gone = {sid: rec for sid, rec in records.items() if sid not in chosen}
    result: dict[str, Any] = {
        "ok": True,
        "remote": target,
        "user": user,
        "published": [],
        "removed": [],
    }
    for namespace in (WIP_NAMESPACE, f"refs/heads/{config.wip_prefix.rstrip('/')}"):
        wanted = {sid: f"{namespace}/{user}/{name}" for sid, (_, name) in chosen.items()}
        specs = [f"+{chosen[sid][0]}:{ref}" for sid, ref in wanted.items()]
        specs += [f":{rec['ref']}" for rec in gone.values() if rec.get("remote") == target]
        specs += [  # a session renamed since: its old ref goes
            f":{rec['ref']}"
            for sid, rec in records.items()
            if sid in wanted and rec.get("ref") != wanted[sid] and rec.get("remote") == target
        ]
        if not specs:
            break
        worked, rejected, error = _push(cwd, target, specs)
        custom_refused = namespace == WIP_NAMESPACE and any(
            ref.startswith(WIP_NAMESPACE) for ref in rejected
        )
        if custom_refused:
            result["fallback"] = (
                f"{target} refused {WIP_NAMESPACE}/: {next(iter(rejected.values()))}"
            )
            continue  # the host refuses custom namespaces: publish as branches instead
        if not worked:
            raise AgentlsError.refuse(
                "publish-failed", remote=target, rejected=rejected, error=error, action="publish"
            )
        for sid, ref in wanted.items():
            commit, name = chosen[sid]
            state = ws.states[sid]
            records[sid] = {
                "session": name,
                "remote": target,
                "ref": ref,
                "commit": commit,
                "head": state.head,
                "tree": state.snapshot_tree(),
            }
            result["published"].append(
                {"session": name, "ref": ref, "commit": commit, "uncommitted": commit != state.head}
            )
        for sid, rec in gone.items():
            if rec.get("remote") == target:
                result["removed"].append(rec["ref"])
                records.pop(sid, None)
        break
    _save(ws.repository, records)
    return result


def unpublish(ws: Workspace, names: list[str] | None = None) -> dict[str, Any]:
    """Delete published refs (all of them, or those of the sessions NAMES) from the remote."""
    records = _records(ws.repository)
    chosen = {
        sid: rec for sid, rec in records.items() if names is None or rec.get("session") in names
    }
    removed: list[str] = []
    by_remote: dict[str, list[str]] = {}
    for rec in chosen.values():
        by_remote.setdefault(rec["remote"], []).append(rec["ref"])
    for remote, refs in by_remote.items():
        worked, rejected, error = _push(ws.repository.cwd, remote, [f":{r}" for r in refs])
        if not worked:
            raise AgentlsError.refuse(
                "publish-failed", remote=remote, rejected=rejected, error=error, action="unpublish"
            )
        removed += refs
    for sid in chosen:
        records.pop(sid, None)
    _save(ws.repository, records)
    return {"ok": True, "removed": removed}


def withdraw(ws: Workspace, session_id: str) -> dict[str, Any] | None:
    """Remove one session's published ref from its remote (when it lands or is removed);
    None when it has none. Never fails the verb that calls it: a remote that cannot be
    reached keeps the record, and the next `publish` (or `unpublish`) removes the ref."""
    records = _records(ws.repository)
    record = records.get(session_id)
    if not isinstance(record, dict) or not record.get("ref") or not record.get("remote"):
        return None
    worked, rejected, error = _push(ws.repository.cwd, record["remote"], [f":{record['ref']}"])
    if not worked:
        reason = next(iter(rejected.values()), None) or error or "git push failed"
        return {"ref": record["ref"], "removed": False, "error": reason}
    records.pop(session_id, None)
    _save(ws.repository, records)
    return {"ref": record["ref"], "removed": True}
