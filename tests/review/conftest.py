"""Review fixtures: a repository whose trunk configures a quick test, with code sessions."""

from __future__ import annotations

import os
import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentls.engine.client import connect
from agentls.engine.protocol import EngineError
from agentls.workspace import Workspace
from tests.conftest import Repo, git, numbered

# The server tests' windows (editor windows running the real server).
from tests.server.conftest import wait_gone, windows  # noqa: F401


@pytest.fixture(autouse=True)
def _no_engine_outlives_a_test(tmp_path: Path) -> Iterator[None]:
    """No engine for a repository of this test may survive it (one closing is gone)."""
    yield
    for common in tmp_path.glob("**/.git"):
        if not common.is_dir() or (client := connect(common)) is None:
            continue
        try:
            pid = client.call("stats", {}, timeout=10)["pid"]
        except EngineError:  # it closed the connection: it is exiting
            continue
        finally:
            client.close()
        if not wait_gone(pid, 5):
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"the engine {pid} for {common} outlived its clients")


def edit(text: str, line: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    lines[line - 1] = new + "\n"
    return "".join(lines)


@pytest.fixture
def review_repo(repo: Repo) -> Repo:
    """Trunk with app.txt (20 lines) and a land config whose test always passes."""
    repo.write(repo.main, "app.txt", numbered(20))
    repo.write(repo.main, "pyproject.toml", '[tool.agentls.land]\ntest = "true"\n')
    repo.commit(repo.main, "initial")
    return repo


def session(repo: Repo, name: str, files: dict[str, str], message: str | None = None) -> Path:
    """A worktree + branch NAME off main with FILES committed."""
    path = repo.worktree(name, branch=name)
    for rel, text in files.items():
        repo.write(path, rel, text)
    repo.commit(path, message or f"{name}: work")
    return path


def fresh(repo: Repo) -> Workspace:
    ws = Workspace(repo.main)
    ws.refresh()
    return ws


def queue_names(queue: dict[str, Any]) -> list[str]:
    return [item["session"] for item in queue["items"]]


def reviews_table(repo: Repo) -> list[tuple[Any, ...]]:
    common = Path(git(repo.main, "rev-parse", "--path-format=absolute", "--git-common-dir"))
    with sqlite3.connect(common / "agentls" / "store.sqlite3") as db:
        try:
            return list(db.execute("SELECT session_id, head, verdict, notes FROM reviews"))
        except sqlite3.OperationalError:  # no table yet: nothing was ever recorded
            return []


def require_review(repo: Repo) -> None:
    """Turn the gate on, on trunk (where land reads its settings)."""
    repo.write(
        repo.main, "pyproject.toml", '[tool.agentls.land]\ntest = "true"\nrequire-review = true\n'
    )
    repo.commit(repo.main, "require review")
