"""Landing a remote session (`agentls land origin:codex/fix-login`).

A remote session is a commit on another machine's branch, with no worktree here. To
land it, agentls fetches the remote again, starts a temporary local session at that
commit — a worktree of its own named `landing-<remote>-<branch>` — and lands it
through the normal path (rebase onto trunk, build and test, fast-forward, push when
trunk tracks a remote). When it landed, the temporary session is removed (a backup
ref keeps its head, as every `remove` does). When it did not (a conflict, failing
tests, a refused push), the temporary session stays, and the result says where it is
and how to finish: fix it there and `agentls land <name>`, or `agentls remove <name>`.
The remote branch itself is never changed or deleted: it is someone else's.
Published work in progress (`origin:wip/<user>/<session>`) is not landed: it is
another person's uncommitted work.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentls.errors import AgentlsError
from agentls.names import default_name
from agentls.remote import view as remote_view

if TYPE_CHECKING:
    from agentls.lifecycle.landing import Progress
    from agentls.remote.sessions import RemoteSession
    from agentls.workspace import Workspace

log = logging.getLogger(__name__)
PREFIX = "landing-"


def remote_named(ws: Workspace, name: object) -> RemoteSession | None:
    """The remote session called NAME (`origin:codex/x`), or None."""
    if not isinstance(name, str) or ":" not in name:
        return None
    if not ws.remote.sessions:
        try:
            ws.refresh()
        except AgentlsError:
            return None  # the local verb then says what is wrong
    found = remote_view.find(ws, name)
    if found is None:
        _refuse_left_over(ws, name)  # hidden because an earlier land's session holds it
    return found


def temporary_name(remote_name: str) -> str:
    """`landing-origin-codex-fix-login` for `origin:codex/fix-login`: says what it is
    and where it came from."""
    return default_name(PREFIX + remote_name.replace(":", "-", 1), Path("session"))


def _refuse_left_over(ws: Workspace, remote_name: str) -> None:
    name = temporary_name(remote_name)
    existing = next((s for s in ws.sessions if s.name == name), None)
    if existing is not None:
        raise AgentlsError.refuse(
            "landing-session-exists", session=name, path=str(existing.path),
            remote_session=remote_name,
        )  # fmt: skip


def land_remote(
    ws: Workspace,
    remote: RemoteSession,
    *,
    dry_run: bool = False,
    keep_open: bool = False,
    progress: Progress | None = None,
    wait: float | None = None,
    push: bool | None = None,
) -> dict[str, Any]:
    """Land REMOTE through a temporary local session (see the module doc)."""
    from agentls.lifecycle.create import new_session
    from agentls.lifecycle.landing import land, predicted_conflicts
    from agentls.lifecycle.remove import remove_session

    report: Progress = progress or (lambda message, percent: None)
    if remote.wip_user:
        remote_view.refuse_lifecycle(ws, remote.name)  # someone's uncommitted work: refused
    remote = _fetch_again(ws, remote, report)
    name = temporary_name(remote.name)
    described = {"name": remote.name, "commit": remote.head, "temporary": name}
    _refuse_left_over(ws, remote.name)
    if dry_run:
        conflicts = predicted_conflicts(ws, ws.trunk.commit, remote.head)
        steps = [
            {"step": "session", "status": "would",
             "detail": f"start the temporary session {name} at {remote.head[:12]}"},
            {"step": "land", "status": "would fail" if conflicts else "would",
             "detail": f"land {name} as any session"
                       + (f"; predicted conflicts: {', '.join(conflicts)}" if conflicts else "")},
            {"step": "remove", "status": "would",
             "detail": f"remove {name} once landed (kept when the land fails)"},
        ]  # fmt: skip
        return {
            "ok": not conflicts, "dryRun": True, "session": remote.name, "steps": steps,
            "conflicts": conflicts, "remoteSession": described,
            "message": f"dry run: {remote.name} would "
                       + (f"conflict on {', '.join(conflicts)}" if conflicts else "land cleanly"),
            "trunk": {"old": ws.trunk.commit, "new": None},
        }  # fmt: skip
    created = new_session(ws, name, branch=name, start=remote.head)
    report(f"session: started {name} at {remote.head[:12]} ({remote.name})", 3)
    try:
        result = land(ws, name, keep_open=keep_open, progress=progress, wait=wait, push=push)
    except (AgentlsError, KeyboardInterrupt):
        # Refused before anything happened to it (a held lock, a dirty trunk...): the
        # temporary session has nothing of its own (the remote ref still has it all).
        with contextlib.suppress(AgentlsError, OSError):
            remove_session(ws, name, force=True)
        raise
    result["remoteSession"] = described
    result["session"] = remote.name
    if result.get("ok"):
        result["removed"] = remove_session(ws, name, force=True)
        return result
    path = created["session"]["path"]
    kept = (
        f"the temporary session {name} ({path}) is kept: fix it there and"
        f" `agentls land {name}`, or `agentls remove {name} --force`"
    )
    result["kept"] = {"session": name, "path": path}
    result["message"] = f"{result['message']}; {kept}"
    return result


def _fetch_again(ws: Workspace, remote: RemoteSession, report: Progress) -> RemoteSession:
    """Fetch the remote now, so what lands is what it has; the session as it is after."""
    from agentls.remote.fetch import fetch

    outcome = fetch(ws.repository, remote_view.config(ws), force=True)
    status = next((s for s in outcome.statuses if s.remote == remote.ref.remote), None)
    if status is not None and status.error:
        report(f"fetch: {remote.ref.remote} unreachable ({status.error}); using the last fetch", 2)
    ws.refresh()
    again = remote_view.find(ws, remote.name)
    if again is None:
        why = ws.remote.hidden.get(remote.name) or "it is gone from the remote"
        raise AgentlsError.refuse("remote-session-gone", session=remote.name, reason=why)
    return again
