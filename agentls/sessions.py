"""Sessions: every worktree of the repository, with its durable facts from the store."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from agentls.errors import InvalidInputError
from agentls.git.repo import Repository, Worktree, list_worktrees
from agentls.names import default_name
from agentls.store import SessionRecord, Store

# Written into each worktree's admin dir (`.git/worktrees/<id>/`, or the common dir
# for the primary): git keeps that dir across `git worktree move`, and deletes it
# with the worktree, so a new worktree at the same place never inherits old facts.
SESSION_ID_FILE = "agentls-session-id"


@dataclass
class Session:
    """One worktree seen as a session."""

    id: str
    name: str
    role: str
    priority: int
    claims: list[str]
    worktree: Worktree
    source: str | None = None
    landed: float | None = None  # when agentls last landed it (the store's record)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.worktree.path

    @property
    def branch(self) -> str | None:
        return self.worktree.branch

    @property
    def head(self) -> str | None:
        return self.worktree.head

    @property
    def missing(self) -> bool:
        """The worktree's folder is gone (git calls it prunable)."""
        return not self.worktree.exists

    @property
    def is_research(self) -> bool:
        return self.role == "research"


def session_id_for(worktree: Worktree) -> str:
    """The stable id of WORKTREE's session, created on first sight."""
    marker = worktree.gitdir / SESSION_ID_FILE
    try:
        existing = marker.read_text().strip()
        if existing:
            return existing
    except OSError:
        pass
    new_id = uuid.uuid4().hex
    try:
        marker.write_text(new_id + "\n")
    except OSError:
        # Read-only admin dir: fall back to the admin dir itself, stable across moves too.
        return f"path:{worktree.gitdir}"
    return new_id


def _session(worktree: Worktree, record: SessionRecord) -> Session:
    return Session(
        id=record.id,
        name=record.name,
        role=record.role,
        priority=record.priority,
        claims=list(record.claims),
        worktree=worktree,
        source=record.source,
        landed=record.landed,
    )


def discover_sessions(repo: Repository, store: Store) -> list[Session]:
    """Every non-bare worktree as a session, in cascade order (priority, then name)."""
    sessions = []
    for worktree in list_worktrees(repo):
        if worktree.bare:
            continue
        session_id = session_id_for(worktree)
        record = store.ensure(
            session_id, default_name(worktree.branch, worktree.path), str(worktree.path)
        )
        sessions.append(_session(worktree, record))
    sessions.sort(key=lambda s: (s.priority, s.name))
    return sessions


def find_session(sessions: list[Session], name: str) -> Session:
    for session in sessions:
        if session.name == name:
            return session
    known = ", ".join(s.name for s in sessions) or "none"
    raise InvalidInputError(
        f"no session named {name!r}", f"known sessions: {known} (see `agentls status`)"
    )


def session_at(sessions: list[Session], folder: Path) -> Session | None:
    """The session whose worktree contains FOLDER (the deepest one wins)."""
    folder = Path(os.path.abspath(folder))
    best = _deepest(sessions, folder)
    if best is None and folder.exists():  # maybe reached through a symlink
        best = _deepest(sessions, folder.resolve())
    return best


def _deepest(sessions: list[Session], folder: Path) -> Session | None:
    best: Session | None = None
    for session in sessions:
        inside = folder == session.path or session.path in folder.parents
        if inside and (best is None or len(session.path.parts) > len(best.path.parts)):
            best = session
    return best
