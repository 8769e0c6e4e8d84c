"""Sessions: every worktree of the repository, with its durable facts from the store."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from agentls.errors import InvalidInputError
from agentls.git.repo import Repository, Worktree, list_worktrees
from agentls.names import default_name
from agentls.store import SessionRecord, Store

# Written into each worktree's admin dir (`.git/worktrees/<id>/`, or the common dir
# for the primary): git keeps that dir across `git worktree move`, and deletes it
# with the worktree, so a new worktree at the same place never inherits old facts.
SESSION_ID_FILE = "agentls-session-id"


class Session(NamedTuple):  # not a dataclass: see agentls.git.repo.Repository
    """One worktree seen as a session."""

    id: str
    name: str
    role: str
    priority: int
    claims: list[str]
    worktree: Worktree
    source: str | None = None
    landed: float | None = None  # when agentls last landed it (the store's record)

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
    import uuid  # not at the top: the hook's start-up never makes a session id

    new_id = uuid.uuid4().hex
    # Several processes may see the worktree first at once: the marker appears whole
    # and only once (a hard link fails if it exists), and the first one wins.
    draft = marker.with_name(f"{SESSION_ID_FILE}.{new_id}")
    try:
        draft.write_text(new_id + "\n")
        try:
            os.link(draft, marker)
        except FileExistsError:
            return marker.read_text().strip() or new_id
        except OSError:  # a filesystem without hard links
            marker.write_text(new_id + "\n")
        finally:
            draft.unlink(missing_ok=True)
    except OSError:
        # Read-only admin dir: fall back to the admin dir itself, stable across moves too.
        return f"path:{worktree.gitdir}"
    return new_id


# A draft this recent may belong to a process between writing and linking it.
DRAFT_GRACE = 60.0


def clear_id_drafts(gitdirs: Iterable[Path]) -> list[str]:
    """Remove session-id drafts a process killed between writing and linking left in
    GITDIRS (harmless, but they pile up); one line per file removed."""
    removed = []
    cutoff = time.time() - DRAFT_GRACE
    for gitdir in gitdirs:
        for draft in gitdir.glob(f"{SESSION_ID_FILE}.*"):
            try:
                if draft.is_symlink() or draft.stat().st_mtime > cutoff:
                    continue
                draft.unlink()
            except OSError:
                continue
            removed.append(f"removed {draft}, a session-id draft a killed process left behind")
    return removed


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
        if worktree.bare or worktree.adding:
            continue
        session_id = session_id_for(worktree)
        record = store.ensure(
            session_id, default_name(worktree.branch, worktree.path), str(worktree.path)
        )
        sessions.append(_session(worktree, record))
    sessions.sort(key=lambda s: (s.priority, s.name))
    _forget_ghosts(repo, store, {s.id for s in sessions})
    return sessions


def _forget_ghosts(repo: Repository, store: Store, live: set[str]) -> None:
    """Drop store rows of worktrees git no longer has (a plain `git worktree remove`, or a
    `remove` killed half-way): otherwise their names stay taken by sessions nobody can
    see, rename or remove. Backups stay under refs/agentls/backup/<name>/ for restore.

    Rows are read before the worktrees' id files: a worktree being created right now
    writes its id file before its row, so its row is never mistaken for a ghost.
    """
    ghosts = [record.id for record in store.all() if record.id not in live]
    if not ghosts:
        return
    on_disk = _ids_on_disk(repo)
    for session_id in ghosts:
        if session_id.startswith("path:"):
            if not Path(session_id.removeprefix("path:")).is_dir():
                store.delete(session_id)
        elif session_id not in on_disk:
            store.delete(session_id)


def _ids_on_disk(repo: Repository) -> set[str]:
    admins = [repo.common_dir]
    with contextlib.suppress(OSError):
        admins += list((repo.common_dir / "worktrees").iterdir())
    found = set()
    for admin in admins:
        with contextlib.suppress(OSError):
            found.add((admin / SESSION_ID_FILE).read_text().strip())
    return found


def find_session(sessions: list[Session], name: str) -> Session:
    for session in sessions:
        if session.name == name:
            return session
    raise InvalidInputError.refuse("session-not-found", name=name, known=[s.name for s in sessions])


def session_at(sessions: list[Session], folder: Path) -> Session | None:
    """The session whose worktree contains FOLDER (the deepest one wins)."""
    folder = Path(os.path.abspath(folder))
    best = _deepest(sessions, folder)
    if best is None and folder.exists():  # maybe reached through a symlink
        best = _deepest(sessions, folder.resolve())
    return best


def _deepest(sessions: list[Session], folder: Path) -> Session | None:
    # Strings, not Path comparisons: asked on every edit, for every session.
    target = str(folder)
    best: Session | None = None
    best_length = -1
    for session in sessions:
        root = str(session.path)
        inside = target == root or target.startswith(root.rstrip(os.sep) + os.sep)
        if inside and len(root) > best_length:  # of two folders above, the longer is deeper
            best, best_length = session, len(root)
    return best
