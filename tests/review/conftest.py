"""Review fixtures: a repository whose trunk configures a quick test, with code sessions."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from agentls.workspace import Workspace
from tests.conftest import Repo, git, numbered

# The server tests' windows, and their check that no engine outlives a test.
from tests.server.conftest import _no_engine_left, windows  # noqa: F401


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
