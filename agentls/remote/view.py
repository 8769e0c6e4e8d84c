"""The Workspace's remote side: which remote sessions exist now, and what the report
says about them and about each remote's last fetch.

The Workspace calls three functions and nothing else: `refresh` (after its local
sessions are known), `infos` (the report's session rows) and `statuses` (the
report's `remotes`). `refuse_lifecycle` turns a lifecycle verb aimed at a remote
session into a clear refusal.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from agentls.errors import AgentlsError
from agentls.report import SessionInfo

if TYPE_CHECKING:  # the settings and fetch modules load on first use, off import paths
    from agentls.remote.config import RemoteConfig
    from agentls.remote.sessions import RemoteSession
    from agentls.workspace import Workspace

log = logging.getLogger(__name__)


def config(ws: Workspace) -> RemoteConfig:
    """The remote configuration on trunk (cached per trunk commit); a broken one is
    reported as a warning and the defaults apply, so status never fails on it."""
    from agentls.remote import config as remote_config

    key = ws.trunk.commit
    cached = getattr(ws, "_remote_config", None)
    if cached is not None and cached[0] == key:
        return cached[1]  # type: ignore[no-any-return]
    try:
        found, problem = remote_config.load(ws.repository.cwd, key, ws.git), None
    except AgentlsError as exc:
        found, problem = remote_config.RemoteConfig(), str(exc)
    ws._remote_config = (key, found)  # type: ignore[attr-defined]
    ws.remote.config_problem = problem
    return found


def refresh(ws: Workspace) -> None:
    """Re-list remote sessions against the local ones just discovered."""
    from agentls.remote.fetch import read_statuses
    from agentls.remote.publish import publisher_from

    settings = config(ws)
    ws.remote.own_user = settings.user or publisher_from(_git_config(ws))
    ws.remote.wip_prefix = settings.wip_prefix
    local_heads = {s.name: s.head for s in ws.present_sessions() if s.head}
    trunk = ws.trunk.commit
    ws.remote.refresh(trunk, local_heads, lambda head: ws.analyzer.merge_base(head, trunk))
    ws.remote.statuses = read_statuses(ws.repository)
    ws.remote.present = [str(n) for n in ws.git.remotes.names()]  # no subprocess on every refresh


def _git_config(ws: Workspace) -> dict[str, str]:
    found = {}
    for key in ("user.email", "user.name"):
        with contextlib.suppress(KeyError, ValueError):
            found[key] = str(ws.git.config[key])
    return found


def infos(ws: Workspace) -> list[SessionInfo]:
    rows = []
    for session in ws.remote.sessions:
        key = (session.head, ws.trunk.commit)
        if key not in ws._ahead_behind:
            ws._ahead_behind[key] = ws._count_ahead_behind(session.head)
        ahead, behind = ws._ahead_behind[key]
        rows.append(ws.remote.info(session, ahead, behind))
    return rows


def statuses(ws: Workspace) -> list[dict[str, Any]]:
    """Each configured remote: when it was last fetched, whether it answered, how many
    of its refs are sessions now."""
    settings = config(ws)
    found = []
    for name in settings.remotes:
        status = ws.remote.statuses.get(name)
        # Quiet for a repository that never asked: no fetch yet and no [remote] table.
        if name not in ws.remote.present or (status is None and not settings.configured):
            continue
        found.append(
            {
                "remote": name,
                "fetched": status.fetched if status else None,
                "tried": status.tried if status else None,
                "reachable": status.reachable if status else None,
                "error": status.error if status else None,
                "retry": status.retry if status else None,
                "sessions": sum(1 for s in ws.remote.sessions if s.ref.remote == name),
                "interval": settings.interval,
                "publish": settings.publish,
                "problem": ws.remote.config_problem,
            }
        )
    return found


def find(ws: Workspace, name: str) -> RemoteSession | None:
    return ws.remote.find(name) if isinstance(name, str) else None


def refuse_lifecycle(ws: Workspace, name: object) -> None:
    """A lifecycle verb named a remote session: say why it cannot apply, change nothing."""
    if not isinstance(name, str) or ":" not in name:
        return
    if not ws.remote.sessions:
        try:
            refresh(ws)
        except Exception:  # a broken remote view never hides the real refusal
            log.debug("could not list remote sessions", exc_info=True)
            return
    session = find(ws, name)
    if session is None:
        return
    raise AgentlsError.refuse(
        "remote-session",
        session=name,
        remote=session.ref.remote,
        ref=session.ref.remote_ref,
        branch=session.branch,
        local_ref=session.ref.ref,
    )


def state_named(ws: Workspace, name: str) -> Any:
    """The live state of the session NAME, remote or local (None when it has none)."""
    remote = find(ws, name)
    if remote is not None:
        return ws.remote.states.get(remote.id)
    return ws.states.get(ws.session(name).id)


def file_version(ws: Workspace, name: str, rel: str, at: str) -> dict[str, Any] | None:
    """`agentls.fileVersion` for a remote session (None when NAME is not one): its
    current state is its ref's commit; there is no local file to point at."""
    from agentls.changes import tree_entry, tree_of
    from agentls.versions import _commit_at, _text

    session = find(ws, name)
    if session is None:
        return None
    state = ws.remote.states.get(session.id)
    if at in ("current", "head"):
        commit: str | None = session.head
    elif at == "base":
        commit = state.base if state is not None else None
    else:
        commit = _commit_at(ws, at)
    entry = tree_entry(ws.git, tree_of(ws.git, commit), rel) if commit else None
    text, binary = _text(ws, entry)
    shown = f" @ {commit[:12]}" if commit else " (none)"
    return {
        "text": text,
        "binary": binary,
        "exists": entry is not None,
        "uri": None,
        "label": f"{session.name}: {rel}{shown} ({session.branch} on {session.ref.remote})",
        "commit": commit,
        "remote": session.describe(),
    }
