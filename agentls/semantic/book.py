"""Semantic verdicts in the store: by cache key, and the latest one of each pair.

`semantic_verdicts` holds a verdict per key (both trees, the merge base, the
commands: see Pair.key), so an unchanged pair is never checked again, whoever asks.
`semantic_pairs` points each pair of sides (session ids; trunk is "@trunk") at its
latest verdict: that is what the report shows. Created on first use.
"""

from __future__ import annotations

import json
import time
from typing import Any

from agentls.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS semantic_verdicts (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    data TEXT NOT NULL,
    time REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS semantic_pairs (
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    key TEXT NOT NULL,
    time REAL NOT NULL,
    PRIMARY KEY (a, b)
);
"""


class SemanticBook:
    def __init__(self, store: Store) -> None:
        self.db = store.db
        self.db.executescript(SCHEMA)

    def lookup(self, key: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT data FROM semantic_verdicts WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def record(self, ids: tuple[str, str], key: str, verdict: dict[str, Any]) -> None:
        """Keep VERDICT under KEY and make it the latest of the pair IDS."""
        now = time.time()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(
                "INSERT INTO semantic_verdicts (key, status, data, time) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET status = excluded.status,"
                " data = excluded.data, time = excluded.time",
                (key, verdict["status"], json.dumps(verdict, sort_keys=True), now),
            )
            self._point(ids, key, now)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def point(self, ids: tuple[str, str], key: str) -> None:
        """A cached verdict answers the pair IDS now."""
        self._point(ids, key, time.time())

    def _point(self, ids: tuple[str, str], key: str, now: float) -> None:
        self.db.execute(
            "INSERT INTO semantic_pairs (a, b, key, time) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(a, b) DO UPDATE SET key = excluded.key, time = excluded.time",
            (*ids, key, now),
        )

    def latest(self, status: str | None = None) -> list[tuple[str, str, dict[str, Any]]]:
        """(a, b, verdict) for every pair that has one (only STATUS ones when given)."""
        query = (
            "SELECT p.a, p.b, v.data FROM semantic_pairs p"
            " JOIN semantic_verdicts v ON v.key = p.key"
        )
        args: tuple[str, ...] = ()
        if status is not None:
            query += " WHERE v.status = ?"
            args = (status,)
        return [(a, b, json.loads(data)) for a, b, data in self.db.execute(query, args)]

    def latest_key(self, ids: tuple[str, str]) -> str | None:
        row = self.db.execute(
            "SELECT key FROM semantic_pairs WHERE a = ? AND b = ?", ids
        ).fetchone()
        return str(row[0]) if row else None

    def latest_of(self, ids: tuple[str, str]) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT v.data FROM semantic_pairs p JOIN semantic_verdicts v ON v.key = p.key"
            " WHERE p.a = ? AND p.b = ?",
            ids,
        ).fetchone()
        return json.loads(row[0]) if row else None
