"""What a removed session leaves behind, and how it comes back with real work only.

`remove` keeps the session's work under a backup ref (refs/agentls/backup/<name>/<time>):
its HEAD, or an agentls snapshot commit on top of it when uncommitted files had to
be kept. Beside the ref, the store keeps what git does not hold: the session's role,
priority, claims and source, its branch name, the HEAD under the snapshot, and its
session files (notes, hook configuration; agentls.session_files), which git ignores.

Bringing it back (`agentls new NAME --from REF`, `agentls restore`) never puts an
agentls snapshot commit on a branch: the branch starts at the real HEAD and the
snapshot's files come back as uncommitted changes, as they were. A research fork
comes back as a research fork, detached at the commit it was reading.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from agentls import session_files
from agentls.errors import AgentlsError
from agentls.git.repo import rev_parse
from agentls.git.runner import run_git_bytes
from agentls.git.snapshot import without_snapshots
from agentls.sessions import Session
from agentls.store import Store
from agentls.workspace import Workspace

SCHEMA = """
CREATE TABLE IF NOT EXISTS session_backups (
    ref TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    priority INTEGER NOT NULL,
    claims TEXT NOT NULL DEFAULT '[]',
    source TEXT,
    branch TEXT,
    head TEXT,
    files TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL
);
"""


@dataclass
class Keepsake:
    """A removed session's facts and session files, kept beside its backup ref."""

    ref: str
    name: str
    role: str = "code"
    priority: int = 0
    claims: list[str] = field(default_factory=list)
    source: str | None = None
    branch: str | None = None
    head: str | None = None  # the session's HEAD (the ref may hold a snapshot on top)
    files: dict[str, bytes] = field(default_factory=dict)


def _db(store: Store) -> None:
    store.db.executescript(SCHEMA)


def keep(store: Store, ref: str, session: Session, files: dict[str, bytes]) -> Keepsake:
    """Record SESSION's facts and FILES beside its backup REF."""
    _db(store)
    kept = Keepsake(
        ref=ref,
        name=session.name,
        role=session.role,
        priority=session.priority,
        claims=list(session.claims),
        source=session.source,
        branch=session.branch,
        head=session.head,
        files=files,
    )
    encoded = {path: base64.b64encode(data).decode() for path, data in files.items()}
    store.db.execute(
        "INSERT OR REPLACE INTO session_backups (ref, name, role, priority, claims, source,"
        " branch, head, files, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (ref, kept.name, kept.role, kept.priority, json.dumps(kept.claims), kept.source,
         kept.branch, kept.head, json.dumps(encoded), time.time()),
    )  # fmt: skip
    return kept


def kept(store: Store, ref: str) -> Keepsake | None:
    """What was kept beside REF, or None (a land's backup, or one from an older release)."""
    _db(store)
    row = store.db.execute("SELECT * FROM session_backups WHERE ref = ?", (ref,)).fetchone()
    if row is None:
        return None
    try:
        files = {p: base64.b64decode(d) for p, d in json.loads(row["files"]).items()}
        claims = [str(c) for c in json.loads(row["claims"])]
    except (ValueError, TypeError, AttributeError):
        files, claims = {}, []
    return Keepsake(
        ref=row["ref"],
        name=row["name"],
        role=row["role"],
        priority=int(row["priority"]),
        claims=claims,
        source=row["source"],
        branch=row["branch"],
        head=row["head"],
        files=files,
    )


def moved(store: Store, old: str, new: str) -> None:
    """A backup ref was renamed (its session was): its keepsake follows."""
    _db(store)
    store.db.execute("UPDATE session_backups SET ref = ? WHERE ref = ?", (new, old))


@dataclass
class RealWork:
    """Where a restored session starts (HEAD) and the state its files come back in (tip)."""

    head: str
    tip: str

    @property
    def uncommitted(self) -> bool:
        return self.head != self.tip


def real_work(ws: Workspace, commit: str, keepsake: Keepsake | None) -> RealWork:
    """COMMIT (a backup) as a HEAD of real commits plus, on top, files left uncommitted.

    A research fork's HEAD is itself the snapshot it was forked at (forks never land),
    so it keeps that HEAD; everything else starts below every agentls snapshot.
    """
    fork_head = keepsake.head if keepsake is not None and keepsake.role == "research" else None
    if fork_head and rev_parse(ws.repository.cwd, fork_head) == fork_head:
        return RealWork(head=fork_head, tip=commit)
    head = without_snapshots(ws.git, commit)
    if head is None:
        raise AgentlsError.refuse("backup-without-commit", commit=commit)
    return RealWork(head=head, tip=commit)


def bring_back_files(worktree: Path, work: RealWork) -> None:
    """Make WORKTREE's files those of WORK.tip while its HEAD and index stay at WORK.head.

    Call on a clean worktree whose HEAD is WORK.head: a two-tree `read-tree` moves
    files (deletions included) the way a checkout would, then the index is put back,
    so the snapshot's changes are unstaged (new files untracked), as they were.
    """
    if not work.uncommitted:
        return
    run_git_bytes(["read-tree", "-m", "-u", work.head, work.tip], cwd=worktree)
    run_git_bytes(["reset", "-q", work.head, "--", "."], cwd=worktree)


def put_back_files(worktree: Path, keepsake: Keepsake | None) -> list[str]:
    """The kept session files, written where the worktree has none; the paths written."""
    if keepsake is None or not keepsake.files:
        return []
    return session_files.put_back(worktree, keepsake.files)
