"""Build and test results by tree id: what a land, a review or a semantic check ran.

A land runs the configured build/test commands on the rebased branch; their results
are kept here by the tree id they ran on, so a review of a session whose head has
that tree shows them without running anything. `run_checks` runs the same configured
commands (read from trunk, as land does) on a session's HEAD tree in one of agentls's
scratch checkouts (agentls.semantic.scratch): never a worktree (which would become a
session), never the session's own folder (which the agent may be editing), and with
no git hooks. Semantic checks (agentls.semantic) record their runs here too, with
each command's failing tests and full log, and reuse a run on the same tree.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pygit2

from agentls.errors import AgentlsError, InvalidInputError
from agentls.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS tree_checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tree TEXT NOT NULL,
    run TEXT NOT NULL,
    kind TEXT NOT NULL,
    command TEXT NOT NULL,
    ok INTEGER NOT NULL,
    exit_code INTEGER,
    seconds REAL NOT NULL,
    summary TEXT NOT NULL,
    output TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    session TEXT,
    time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS tree_checks_by_tree ON tree_checks (tree, id);
"""
# Columns added after the table first shipped (older stores gain them on open).
ADDED_COLUMNS = {"failures": "TEXT NOT NULL DEFAULT '[]'", "log": "TEXT"}
# Sources whose runs were made in a scratch checkout of exactly the tree (a land runs in
# the session's worktree, where untracked and ignored files take part).
SCRATCH_SOURCES = ("review", "semantic")

OUTPUT_KEPT = 60  # lines of each command's output kept with its result
Progress = Callable[[str, "int | None"], None]


class CheckBook:
    """The `tree_checks` table: one row per command of one run on one tree."""

    def __init__(self, store: Store) -> None:
        self.db = store.db
        self.db.executescript(SCHEMA)
        have = {row[1] for row in self.db.execute("PRAGMA table_info(tree_checks)")}
        for column, declaration in ADDED_COLUMNS.items():
            if column not in have:
                # Another process may have added it a moment ago.
                with contextlib.suppress(sqlite3.OperationalError):
                    self.db.execute(f"ALTER TABLE tree_checks ADD COLUMN {column} {declaration}")

    def record(self, tree: str, results: Iterable[Any], *, source: str, session: str) -> str:
        """Store RESULTS (CommandResult-like) of one run on TREE; the run's id."""
        run = uuid.uuid4().hex
        now = time.time()
        self.db.execute("BEGIN IMMEDIATE")  # one transaction: a run is read whole or not at all
        try:
            for result in results:
                tail = "\n".join(result.output.splitlines()[-OUTPUT_KEPT:])
                failures = json.dumps(getattr(result, "failures", None) or [])
                self.db.execute(
                    "INSERT INTO tree_checks (tree, run, kind, command, ok, exit_code, seconds,"
                    " summary, output, source, session, time, failures, log)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (tree, run, result.kind, result.command, int(result.ok), result.exit_code,
                     result.seconds, result.summary, tail, source, session, now, failures,
                     getattr(result, "log", None)),
                )  # fmt: skip
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return run

    def latest(self, tree: str) -> dict[str, Any] | None:
        """The latest run on TREE: {"tree", "ok", "source", "session", "time", "results"}."""
        last = self.db.execute(
            "SELECT run FROM tree_checks WHERE tree = ? ORDER BY id DESC LIMIT 1", (tree,)
        ).fetchone()
        if last is None:
            return None
        rows = list(
            self.db.execute("SELECT * FROM tree_checks WHERE run = ? ORDER BY id", (last[0],))
        )
        results = [_result(r) for r in rows]
        return {
            "tree": tree,
            "ok": all(r["ok"] for r in results),
            "source": rows[-1]["source"],
            "session": rows[-1]["session"],
            "time": rows[-1]["time"],
            "results": results,
        }

    def run_for(self, tree: str, commands: Sequence[tuple[str, str]]) -> dict[str, Any] | None:
        """The latest finished run of exactly COMMANDS on TREE in a scratch checkout.

        A run that passed ran them all; one that failed stopped at its first failure.
        A run that timed out proves nothing about the tree and is never reused.
        """
        wanted = [list(c) for c in commands]
        marks = ",".join("?" for _ in SCRATCH_SOURCES)
        runs = self.db.execute(
            f"SELECT run FROM tree_checks WHERE tree = ? AND source IN ({marks})"
            " GROUP BY run ORDER BY MAX(id) DESC LIMIT 20",
            (tree, *SCRATCH_SOURCES),
        ).fetchall()
        for (run,) in runs:
            rows = list(
                self.db.execute("SELECT * FROM tree_checks WHERE run = ? ORDER BY id", (run,))
            )
            done = [[r["kind"], r["command"]] for r in rows]
            if not rows or done != wanted[: len(done)] or any(r["exit_code"] is None for r in rows):
                continue
            complete = len(done) == len(wanted) and all(r["ok"] for r in rows)
            stopped = not rows[-1]["ok"] and all(r["ok"] for r in rows[:-1])
            if complete or stopped:
                return {
                    "tree": tree,
                    "run": run,
                    "ok": complete,
                    "source": rows[-1]["source"],
                    "time": rows[-1]["time"],
                    "results": [_result(r) for r in rows],
                }
        return None


def _result(row: Any) -> dict[str, Any]:
    keys = row.keys()
    return {
        "kind": row["kind"],
        "command": row["command"],
        "ok": bool(row["ok"]),
        "exitCode": row["exit_code"],
        "seconds": row["seconds"],
        "summary": row["summary"],
        "output": row["output"],
        "failures": json.loads(row["failures"]) if "failures" in keys and row["failures"] else [],
        "log": row["log"] if "log" in keys else None,
    }


def tree_of_commit(repo: pygit2.Repository, commit: str | None) -> str | None:
    if not commit:
        return None
    try:
        return str(repo[commit].peel(pygit2.Commit).tree_id)
    except (KeyError, ValueError, pygit2.GitError):
        return None


def record_land_checks(store: Store, repo: pygit2.Repository, commit: str | None,
                       results: list[Any], session: str) -> None:  # fmt: skip
    """Remember a land's build/test results by the tree of the commit they ran on."""
    tree = tree_of_commit(repo, commit)
    if tree is not None and results:
        CheckBook(store).record(tree, results, source="land", session=session)


def run_checks(ws: Any, name: str, progress: Progress | None = None) -> dict[str, Any]:
    """Run trunk's configured build/test commands on SESSION's HEAD tree (scratch checkout)."""
    from agentls.lifecycle import config as land_config
    from agentls.lifecycle.common import session_named
    from agentls.semantic.runs import run_tree

    report: Progress = progress or (lambda message, percent: None)
    session = session_named(ws, name)
    if session.is_research:
        raise InvalidInputError(
            f"session {session.name} is a research fork: it has no code to build or test"
        )
    if not session.head:
        raise InvalidInputError(f"session {session.name} has no commits yet: nothing to check")
    cwd = ws.repository.cwd
    config = land_config.load(cwd, ws.trunk.commit)
    commands = config.commands()
    if not commands:
        raise AgentlsError(
            "no build or test commands are configured on trunk",
            'add them under [tool.agentls.land] in pyproject.toml, e.g. test = "pytest -q"',
        )
    head = session.head
    tree = tree_of_commit(ws.git, head)
    assert tree is not None
    report(f"checkout: {head[:12]} into a scratch folder", 5)
    run = run_tree(
        ws.repository.common_dir, ws.store, tree, commands,
        timeout=config.timeout, progress=report, force=True, source="review", low_priority=False,
        session=session.name,
    )  # fmt: skip
    checks = CheckBook(ws.store).latest(tree)
    assert checks is not None
    summary = "; ".join(r["summary"] for r in run.results)
    return {
        "ok": run.ok,
        "session": session.name,
        "head": head,
        "checks": checks,
        "message": f"{session.name} at {head[:12]}: {summary}",
    }
