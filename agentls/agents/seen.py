"""Deny once: remember which collisions an agent session has already been told about.

Kept in the repository's store (`<common>/agentls/store.sqlite3`, own table) so
every hook process, engine and CLI sees the same memory. It runs in the hook's fast
path, which has imported agentls.store already (and no pygit2).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from agentls.store import open_store

SCHEMA = """
CREATE TABLE IF NOT EXISTS agent_denials (
    agent TEXT NOT NULL,
    agent_session TEXT NOT NULL,
    file TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (agent, agent_session, file, fingerprint)
);
"""
# Old answers stop mattering once the sessions involved have moved on.
KEEP_SECONDS = 14 * 24 * 3600


class Seen:
    """Which (agent, agent session, file, fingerprint) were already denied."""

    def __init__(self, state_dir: Path) -> None:
        # A denial lost to a power cut (synchronous = NORMAL) only means the agent is
        # told once more.
        self._db = open_store(state_dir, SCHEMA)

    def close(self) -> None:
        self._db.close()

    def first_time(self, agent: str, agent_session: str, items: Iterable[tuple[str, str]]) -> bool:
        """Record ITEMS (file, fingerprint); True when any of them is new (deny now)."""
        wanted = sorted(set(items))
        now = time.time()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            new = False
            for file, fingerprint in wanted:
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO agent_denials VALUES (?, ?, ?, ?, ?)",
                    (agent, agent_session, file, fingerprint, now),
                )
                new = new or cursor.rowcount > 0
            if new:
                self._db.execute(
                    "DELETE FROM agent_denials WHERE created < ?", (now - KEEP_SECONDS,)
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return new

    def all_told(self, agent: str, agent_session: str, items: Iterable[tuple[str, str]]) -> bool:
        """Every one of ITEMS (file, fingerprint) was denied to this agent session before
        (first_time would find none new); changes nothing."""
        wanted = set(items)
        if not wanted:
            return False
        for file, fingerprint in wanted:
            found = self._db.execute(
                "SELECT 1 FROM agent_denials WHERE agent = ? AND agent_session = ?"
                " AND file = ? AND fingerprint = ?",
                (agent, agent_session, file, fingerprint),
            ).fetchone()
            if found is None:
                return False
        return True

    def forget(self, agent: str | None = None) -> int:
        """Drop remembered denials (all, or one agent's); returns how many."""
        if agent is None:
            cursor = self._db.execute("DELETE FROM agent_denials")
        else:
            cursor = self._db.execute("DELETE FROM agent_denials WHERE agent = ?", (agent,))
        return cursor.rowcount
