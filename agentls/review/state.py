"""Review state in the shared store: who reviewed which head of a session, and the verdict.

Every verdict is a row (the history stays); a session's review state is its latest
row. The table is created on first use (`CREATE TABLE IF NOT EXISTS`), like the land
journal's, so stores made by older versions gain it without a migration step.

A verdict belongs to the exact commit reviewed. It still holds after a rebase that
left the session's own change alone: the patch id of `base..head` (git's
`patch-id`, via libgit2) is stored with it and compared with the current one.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentls.errors import InvalidInputError
from agentls.git.runner import run_git_bytes
from agentls.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    name TEXT NOT NULL,
    head TEXT NOT NULL,
    base TEXT,
    patch_id TEXT,
    verdict TEXT NOT NULL CHECK (verdict IN ('approved', 'changes-requested', 'skipped')),
    notes TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL,
    time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_by_session ON reviews (session_id, id);
"""

APPROVED, CHANGES_REQUESTED, SKIPPED = "approved", "changes-requested", "skipped"
VERDICTS = (APPROVED, CHANGES_REQUESTED, SKIPPED)
UNREVIEWED = "unreviewed"
MAX_NOTES = 4096  # characters: a review note, not a document (the server takes no more)


@dataclass(frozen=True)
class Review:
    """One recorded verdict."""

    id: int
    session_id: str
    name: str  # the session's name when it was reviewed
    head: str
    base: str | None
    patch_id: str | None
    verdict: str
    notes: str
    reviewer: str
    time: float

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "head": self.head,
            "base": self.base,
            "notes": self.notes,
            "reviewer": self.reviewer,
            "time": self.time,
        }


def _review(row: sqlite3.Row) -> Review:
    return Review(**{key: row[key] for key in row.keys()})  # noqa: SIM118 - sqlite3.Row


def check_verdict(verdict: object, notes: object) -> tuple[str, str]:
    """VERDICT and NOTES checked: a known verdict, and notes when changes are requested."""
    if verdict not in VERDICTS:
        raise InvalidInputError(f"invalid verdict {verdict!r}", f"use one of {', '.join(VERDICTS)}")
    if notes is None:
        notes = ""
    if not isinstance(notes, str) or "\0" in notes:
        raise InvalidInputError("review notes must be text", "write them as plain text")
    notes = notes.strip()
    if len(notes) > MAX_NOTES:
        raise InvalidInputError(
            f"review notes are too long ({len(notes)} characters)",
            f"keep them under {MAX_NOTES} characters",
        )
    if verdict == CHANGES_REQUESTED and not notes:
        raise InvalidInputError(
            "requesting changes needs notes: what should the session change?",
            "say what to change, e.g. --request-changes 'add a test for the empty case'",
        )
    return str(verdict), notes


class ReviewBook:
    """The `reviews` table of one repository's store."""

    def __init__(self, store: Store) -> None:
        self.db = store.db
        self.db.executescript(SCHEMA)

    def record(
        self,
        *,
        session_id: str,
        name: str,
        head: str,
        base: str | None,
        patch_id: str | None,
        verdict: str,
        notes: str,
        reviewer: str,
    ) -> Review:
        verdict, notes = check_verdict(verdict, notes)
        cursor = self.db.execute(
            "INSERT INTO reviews (session_id, name, head, base, patch_id, verdict, notes,"
            " reviewer, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, name, head, base, patch_id, verdict, notes, reviewer, time.time()),
        )
        row = self.db.execute("SELECT * FROM reviews WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return _review(row)

    def latest(self, session_id: str) -> Review | None:
        row = self.db.execute(
            "SELECT * FROM reviews WHERE session_id = ? ORDER BY id DESC LIMIT 1", (session_id,)
        ).fetchone()
        return _review(row) if row else None

    def latest_all(self) -> dict[str, Review]:
        """Each session's latest verdict, by session id (one query for the whole queue)."""
        rows = self.db.execute(
            "SELECT * FROM reviews WHERE id IN (SELECT MAX(id) FROM reviews GROUP BY session_id)"
        )
        return {row["session_id"]: _review(row) for row in rows}

    def history(self, session_id: str, limit: int = 20) -> list[Review]:
        rows = self.db.execute(
            "SELECT * FROM reviews WHERE session_id = ? ORDER BY id DESC LIMIT ?",
            (session_id, limit),
        )
        return [_review(row) for row in rows]

    def undo(self, review_id: int) -> None:
        """Take back one verdict just recorded (its follow-up failed)."""
        self.db.execute("DELETE FROM reviews WHERE id = ?", (review_id,))

    def forget(self, session_id: str) -> None:
        """Drop a removed session's verdicts (its id is never reused)."""
        self.db.execute("DELETE FROM reviews WHERE session_id = ?", (session_id,))


def reviewer_identity(cwd: Path) -> str:
    """Who is reviewing: git's user.name <user.email> for this repository, else $USER."""
    values = []
    for key in ("user.name", "user.email"):
        proc = run_git_bytes(["config", "--get", key], cwd, check=False)
        values.append(proc.stdout.decode(errors="replace").strip() if proc.returncode == 0 else "")
    name, email = values
    if name and email:
        return f"{name} <{email}>"
    if name or email:
        return name or email
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
