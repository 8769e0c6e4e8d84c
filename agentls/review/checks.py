"""Build and test results by tree id: what a land (or a review) ran on exactly this tree.

A land runs the configured build/test commands on the rebased branch; their results
are kept here by the tree id they ran on, so a review of a session whose head has
that tree shows them without running anything. `run_checks` runs the same configured
commands (read from trunk, as land does) on a session's HEAD tree in a scratch
checkout outside every worktree: a throwaway repository borrowing the objects
(`objects/info/alternates`), never a worktree (which would become a session), never
the session's own folder (which the agent may be editing), and with no git hooks.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pygit2

from agentls.errors import AgentlsError, InvalidInputError
from agentls.git.runner import run_git_bytes
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

OUTPUT_KEPT = 60  # lines of each command's output kept with its result
Progress = Callable[[str, "int | None"], None]


class CheckBook:
    """The `tree_checks` table: one row per command of one run on one tree."""

    def __init__(self, store: Store) -> None:
        self.db = store.db
        self.db.executescript(SCHEMA)

    def record(self, tree: str, results: Iterable[Any], *, source: str, session: str) -> str:
        """Store RESULTS (CommandResult-like) of one run on TREE; the run's id."""
        run = uuid.uuid4().hex
        now = time.time()
        for result in results:
            tail = "\n".join(result.output.splitlines()[-OUTPUT_KEPT:])
            self.db.execute(
                "INSERT INTO tree_checks (tree, run, kind, command, ok, exit_code, seconds,"
                " summary, output, source, session, time) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (tree, run, result.kind, result.command, int(result.ok), result.exit_code,
                 result.seconds, result.summary, tail, source, session, now),
            )  # fmt: skip
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
        results = [
            {"kind": r["kind"], "command": r["command"], "ok": bool(r["ok"]),
             "exitCode": r["exit_code"], "seconds": r["seconds"], "summary": r["summary"],
             "output": r["output"]}
            for r in rows
        ]  # fmt: skip
        return {
            "tree": tree,
            "ok": all(r["ok"] for r in results),
            "source": rows[-1]["source"],
            "session": rows[-1]["session"],
            "time": rows[-1]["time"],
            "results": results,
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
    from agentls.lifecycle.commands import run_command
    from agentls.lifecycle.common import session_named

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
    scratch = Path(tempfile.mkdtemp(prefix="agentls-checks-"))
    results = []
    try:
        report(f"checkout: {head[:12]} into a scratch folder", 5)
        _scratch_checkout(ws.repository.common_dir, scratch, head)
        for index, (kind, command) in enumerate(commands):
            report(f"{kind}: running `{command}`", 10 + 85 * index // len(commands))
            result = run_command(kind, command, scratch, config.timeout, report)
            results.append(result)
            if not result.ok:
                break
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    CheckBook(ws.store).record(tree, results, source="review", session=session.name)
    checks = CheckBook(ws.store).latest(tree)
    assert checks is not None
    ok = all(r.ok for r in results)
    summary = "; ".join(r.summary for r in results)
    return {
        "ok": ok,
        "session": session.name,
        "head": head,
        "checks": checks,
        "message": f"{session.name} at {head[:12]}: {summary}",
    }


def _scratch_checkout(common_dir: Path, folder: Path, commit: str) -> None:
    """A plain checkout of COMMIT in FOLDER: its own repository, borrowing the objects."""
    no_hooks = ["-c", f"core.hooksPath={folder / '.no-hooks'}"]
    run_git_bytes([*no_hooks, "init", "-q", "--template=", str(folder)], folder)
    alternates = folder / ".git" / "objects" / "info" / "alternates"
    alternates.parent.mkdir(parents=True, exist_ok=True)
    alternates.write_text(str(common_dir / "objects") + "\n")
    run_git_bytes([*no_hooks, "-c", "advice.detachedHead=false", "checkout", "-q", "--detach",
                   commit], folder)  # fmt: skip
