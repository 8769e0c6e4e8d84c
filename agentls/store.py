"""The shared store: durable session facts in SQLite under `<git-common-dir>/agentls/`.

WAL mode and a busy timeout make it safe for several processes (editor windows,
the CLI, agents' hooks) to read and write at once.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from agentls.errors import InvalidInputError
from agentls.names import validate_name

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL DEFAULT 'code' CHECK (role IN ('code', 'research')),
    priority INTEGER NOT NULL DEFAULT 0,
    claims TEXT NOT NULL DEFAULT '[]',
    source TEXT,
    path TEXT,
    created REAL NOT NULL,
    landed REAL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

ROLES = ("code", "research")


class SessionRecord(NamedTuple):  # not a dataclass: see agentls.git.repo.Repository
    id: str
    name: str
    role: str
    priority: int
    claims: list[str]
    source: str | None  # research forks: the session they were forked from
    path: str | None  # last known worktree folder
    landed: float | None


def _record(row: sqlite3.Row) -> SessionRecord:
    return SessionRecord(
        id=row["id"],
        name=row["name"],
        role=row["role"],
        priority=row["priority"],
        claims=json.loads(row["claims"]),
        source=row["source"],
        path=row["path"],
        landed=row["landed"],
    )


OPEN_TIMEOUT = 30.0  # seconds a connection waits for another process's lock
STORE_FILE = "store.sqlite3"


def _while_locked(step: Callable[[], object]) -> None:
    """Run STEP, again while SQLite says the database is locked (up to OPEN_TIMEOUT):
    for the steps SQLite's own busy timeout does not cover."""
    deadline = time.monotonic() + OPEN_TIMEOUT
    delay = 0.002
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _use_wal(db: sqlite3.Connection) -> None:
    """WAL mode, set once for the file (it persists). Switching needs the database to
    itself, and SQLite answers 'database is locked' at once instead of waiting when
    another process holds it (several opening a new store together)."""
    mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    if str(mode).lower() != "wal":
        db.execute("PRAGMA journal_mode = WAL")


def open_store(state_dir: Path, schema: str) -> sqlite3.Connection:
    """A connection to the repository's store file with SCHEMA's tables, for every part
    that keeps tables there (sessions here, agents' denials): whichever process creates
    the file leaves it in WAL mode, and each waits for the others' locks."""
    state_dir.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(state_dir / STORE_FILE, timeout=OPEN_TIMEOUT, isolation_level=None)
    try:
        db.execute(f"PRAGMA busy_timeout = {int(OPEN_TIMEOUT * 1000)}")
        # NORMAL skips the fsync per commit, safe in WAL mode: a power cut can lose
        # the last commits, never corrupt the file.
        db.execute("PRAGMA synchronous = NORMAL")
        _while_locked(lambda: _use_wal(db))
        _while_locked(lambda: db.executescript(schema))
    except BaseException:
        db.close()
        raise
    return db


class Store:
    """One SQLite database per repository. Open one per thread/process."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / STORE_FILE
        self._db = open_store(state_dir, SCHEMA)
        self._db.row_factory = sqlite3.Row

    @property
    def db(self) -> sqlite3.Connection:
        return self._db

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction: writers queue instead of failing half-way."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    def data_version(self) -> int:
        """Changes whenever another connection commits (cheap change detection)."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def change_mark(self) -> tuple[int, int]:
        """Differs after any change to the store: another connection's commit
        (data_version) or this connection's own rows (total_changes)."""
        return self.data_version(), self._db.total_changes

    # --- sessions -------------------------------------------------------------

    def all(self) -> list[SessionRecord]:
        rows = self._db.execute("SELECT * FROM sessions ORDER BY priority, name")
        return [_record(row) for row in rows]

    def get(self, session_id: str) -> SessionRecord | None:
        row = self._db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return _record(row) if row else None

    def by_name(self, name: str) -> SessionRecord | None:
        row = self._db.execute("SELECT * FROM sessions WHERE name = ?", (name,)).fetchone()
        return _record(row) if row else None

    def ensure(
        self,
        session_id: str,
        wanted_name: str,
        path: str,
        *,
        role: str = "code",
        source: str | None = None,
    ) -> SessionRecord:
        """The record for SESSION_ID, created with a unique name derived from WANTED_NAME."""
        existing = self.get(session_id)
        if existing is not None:
            if existing.path != path:
                self._db.execute("UPDATE sessions SET path = ? WHERE id = ?", (path, session_id))
                return existing._replace(path=path)
            return existing
        with self.transaction() as db:
            row = db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row:
                return _record(row)
            taken = {r[0] for r in db.execute("SELECT name FROM sessions")}
            name, suffix = wanted_name, 2
            while name in taken:
                tail = f"-{suffix}"
                name, suffix = wanted_name[: 64 - len(tail)] + tail, suffix + 1
            priority = 1 + (db.execute("SELECT MAX(priority) FROM sessions").fetchone()[0] or 0)
            db.execute(
                "INSERT INTO sessions (id, name, role, priority, source, path, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, name, role, priority, source, path, time.time()),
            )
        record = self.get(session_id)
        assert record is not None
        return record

    def rename(self, session_id: str, new_name: str) -> None:
        validate_name(new_name)
        holder = self.by_name(new_name)
        if holder is not None and holder.id != session_id:
            raise InvalidInputError.refuse("name-taken", name=new_name, renaming=True)
        self._db.execute("UPDATE sessions SET name = ? WHERE id = ?", (new_name, session_id))

    def update(self, session_id: str, **fields: object) -> None:
        """Set role, priority, claims, source or landed for one session."""
        allowed = {"role", "priority", "claims", "source", "landed"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        if "role" in fields and fields["role"] not in ROLES:
            raise InvalidInputError.refuse("invalid-role", role=str(fields["role"]))
        values = {k: json.dumps(v) if k == "claims" else v for k, v in fields.items()}
        assignments = ", ".join(f"{key} = ?" for key in values)
        self._db.execute(
            f"UPDATE sessions SET {assignments} WHERE id = ?", (*values.values(), session_id)
        )

    def delete(self, session_id: str) -> None:
        self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    # --- small key/value facts ----------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
