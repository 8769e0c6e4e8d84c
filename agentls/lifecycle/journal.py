"""The land journal and the land lock, both in the shared store.

The lock is an exclusive `flock` on `<state-dir>/land.lock` — the kernel drops it
when its process dies, even by SIGKILL — plus a row in the store saying who holds
it, so another process can name the holder, and the next holder can tell that the
previous one died without finishing (its journal entry is still "running").
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentls.errors import AgentlsError
from agentls.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS land_journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    name TEXT NOT NULL,
    branch TEXT NOT NULL,
    worktree TEXT NOT NULL,
    trunk_ref TEXT NOT NULL,
    trunk_old TEXT NOT NULL,
    branch_old TEXT NOT NULL,
    backup_ref TEXT,
    rebased TEXT,
    trunk_new TEXT,
    step TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running',
    message TEXT,
    details TEXT NOT NULL DEFAULT '{}',
    pid INTEGER NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    remote TEXT,
    remote_ref TEXT,
    base TEXT
);
CREATE TABLE IF NOT EXISTS land_lock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pid INTEGER NOT NULL,
    session TEXT NOT NULL,
    acquired REAL NOT NULL
);
"""

# Columns added after the first release: (name, type), added to older stores on open.
ADDED_COLUMNS = (("remote", "TEXT"), ("remote_ref", "TEXT"), ("base", "TEXT"))

# Journal statuses: 'running' until the land ends; then one of these. RACED: the push
# of trunk lost a race to another machine's push; the land goes on with a new attempt.
LANDED, FAILED, CONFLICT, RECOVERED = "landed", "failed", "conflict", "recovered"
RACED = "raced"


@dataclass
class Entry:
    """One land attempt."""

    id: int
    session_id: str
    name: str
    branch: str
    worktree: str
    trunk_ref: str
    trunk_old: str
    branch_old: str
    backup_ref: str | None
    rebased: str | None
    trunk_new: str | None
    step: str
    status: str
    message: str | None
    details: dict[str, Any] = field(default_factory=dict)
    pid: int = 0
    started: float = 0.0
    finished: float | None = None
    # Landing with a remote trunk (agentls.lifecycle.upstream): the remote and its
    # branch trunk is pushed to, and BASE, the remote trunk's commit the branch is
    # rebased onto and the push's compare-and-swap expects (None: a local land).
    remote: str | None = None
    remote_ref: str | None = None
    base: str | None = None

    @property
    def onto(self) -> str:
        """The commit the branch is rebased onto: the remote trunk's, else local trunk's."""
        return self.base or self.trunk_old


class Journal:
    """Land attempts, step by step, in the repository's store."""

    def __init__(self, store: Store) -> None:
        self.db = store.db
        self.db.executescript(SCHEMA)
        _add_columns(self.db)

    def _entry(self, row: Any) -> Entry:
        values = dict(row)
        values["details"] = json.loads(values["details"] or "{}")
        return Entry(**values)

    def start(
        self,
        *,
        session_id: str,
        name: str,
        branch: str,
        worktree: str,
        trunk_ref: str,
        trunk_old: str,
        branch_old: str,
        remote: str | None = None,
        remote_ref: str | None = None,
        base: str | None = None,
    ) -> Entry:
        cursor = self.db.execute(
            "INSERT INTO land_journal (session_id, name, branch, worktree, trunk_ref, trunk_old,"
            " branch_old, step, pid, started, remote, remote_ref, base)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'locked', ?, ?, ?, ?, ?)",
            (session_id, name, branch, worktree, trunk_ref, trunk_old, branch_old, os.getpid(),
             time.time(), remote, remote_ref, base),
        )  # fmt: skip
        entry = self.get(int(cursor.lastrowid or 0))
        assert entry is not None
        return entry

    def get(self, entry_id: int) -> Entry | None:
        row = self.db.execute("SELECT * FROM land_journal WHERE id = ?", (entry_id,)).fetchone()
        return self._entry(row) if row else None

    def step(self, entry: Entry, step: str, **fields: Any) -> None:
        """Record that ENTRY reached STEP (and any of backup_ref, rebased, trunk_new)."""
        allowed = {"backup_ref", "rebased", "trunk_new"}
        assert set(fields) <= allowed, fields
        entry.step = step
        for key, value in fields.items():
            setattr(entry, key, value)
        assignments = "".join(f", {key} = ?" for key in fields)
        self.db.execute(
            f"UPDATE land_journal SET step = ?{assignments} WHERE id = ?",
            (step, *fields.values(), entry.id),
        )

    def finish(
        self, entry: Entry, status: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        entry.status, entry.message = status, message
        if details is not None:
            entry.details = details
        self.db.execute(
            "UPDATE land_journal SET status = ?, message = ?, details = ?, finished = ?"
            " WHERE id = ?",
            (status, message, json.dumps(entry.details), time.time(), entry.id),
        )

    def backup_moved(self, old: str, new: str) -> None:
        """A backup ref was renamed (its session was): keep the journal pointing at it."""
        self.db.execute("UPDATE land_journal SET backup_ref = ? WHERE backup_ref = ?", (new, old))

    def running(self) -> list[Entry]:
        rows = self.db.execute("SELECT * FROM land_journal WHERE status = 'running' ORDER BY id")
        return [self._entry(row) for row in rows]

    def last(self, session_id: str) -> Entry | None:
        """The latest finished land attempt of one session."""
        row = self.db.execute(
            "SELECT * FROM land_journal WHERE session_id = ? AND status != 'running'"
            " ORDER BY id DESC LIMIT 1",
            (session_id,),
        ).fetchone()
        return self._entry(row) if row else None

    def landings(self) -> list[Entry]:
        """Every successful land (which trunk range each session's commits arrived in)."""
        rows = self.db.execute(
            "SELECT * FROM land_journal WHERE trunk_new IS NOT NULL AND status IN (?, ?)"
            " ORDER BY id",
            (LANDED, RECOVERED),
        )
        return [self._entry(row) for row in rows]


def _add_columns(db: sqlite3.Connection) -> None:
    """Add the columns a store made by an older agentls lacks (SQLite has no
    ADD COLUMN IF NOT EXISTS); a concurrent opener may add one first."""
    present = {row[1] for row in db.execute("PRAGMA table_info(land_journal)")}
    for name, kind in ADDED_COLUMNS:
        if name not in present:
            try:
                db.execute(f"ALTER TABLE land_journal ADD COLUMN {name} {kind}")
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):
                    raise


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed, not yet reaped by its parent) is dead for our purposes.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


@dataclass
class Holder:
    pid: int
    session: str
    acquired: float

    @property
    def since(self) -> str:
        return time.strftime("%H:%M:%S", time.localtime(self.acquired))

    def describe(self) -> str:
        return f"session {self.session} (pid {self.pid}, since {self.since})"

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "session": self.session, "since": self.since}


class LandLock:
    """One land at a time across every process of the repository."""

    def __init__(self, store: Store, state_dir: Path) -> None:
        self.db = store.db
        self.db.executescript(SCHEMA)
        self.path = state_dir / "land.lock"
        self._fd: int | None = None
        self.stale: Holder | None = None  # a dead holder found when acquiring

    def holder(self) -> Holder | None:
        row = self.db.execute("SELECT pid, session, acquired FROM land_lock").fetchone()
        return Holder(row[0], row[1], row[2]) if row else None

    def held_by_other(self) -> Holder | None:
        """The live process holding the lock, if any (without taking it)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return self.holder() or Holder(0, "unknown", time.time())
        finally:
            os.close(fd)  # closing drops our probe lock
        return None

    def acquire(
        self, session: str, wait: float = 0.0, on_wait: Callable[[str], None] | None = None
    ) -> None:
        """Take the lock or raise AgentlsError naming who holds it (after WAIT seconds).

        ON_WAIT is told who holds it, once, when it is taken and WAIT is more than 0.
        """
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = self.holder()
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise AgentlsError.refuse(
                        "lock-held", holder=holder.to_json() if holder else None
                    ) from None
                if on_wait is not None and not told:
                    on_wait(holder.describe() if holder else "another process")
                    told = True
                time.sleep(0.1)
        self._fd = fd
        previous = self.holder()
        # We hold the flock, so a recorded holder other than us died without releasing.
        self.stale = previous if previous and previous.pid != os.getpid() else None
        self.db.execute(
            "INSERT INTO land_lock (id, pid, session, acquired) VALUES (1, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET pid = excluded.pid, session = excluded.session,"
            " acquired = excluded.acquired",
            (os.getpid(), session, time.time()),
        )

    def release(self) -> None:
        if self._fd is None:
            return
        self.db.execute("DELETE FROM land_lock WHERE pid = ?", (os.getpid(),))
        os.close(self._fd)  # drops the flock
        self._fd = None
