"""Semantic-check fixtures: a small Python project whose trunk enables verification.

Its tests are real (unittest, or pytest where a test needs pytest's output) and run
by the real configured command in agentls's scratch checkouts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from agentls.workspace import Workspace
from tests.conftest import Repo, git

# Editor windows running the real server, and the check that no engine outlives a test.
from tests.server.conftest import _no_engine_left, windows  # noqa: F401

PYTHON = sys.executable
UNITTEST = f"{PYTHON} -m unittest discover -q -s tests -t ."
PYTEST = f"{PYTHON} -m pytest -q -p no:cacheprovider -p no:asyncio -p no:pytest_lsp tests"

PRICES = """\
def total(prices):
    return sum(prices)


def discount(price, rate=0.1):
    return round(price * (1 - rate), 2)
"""

TEST_PRICES = """\
import unittest

from shop import prices


class PricesTest(unittest.TestCase):
    def test_total(self):
        self.assertEqual(prices.total([1, 2, 3]), 6)
"""


def settings(test: str = UNITTEST, build: str | None = None, verify: str = "enabled = true") -> str:
    land = f"test = {test!r}\n" + (f"build = {build!r}\n" if build else "")
    return f"[tool.agentls.land]\n{land}\n[tool.agentls.verify]\n{verify}\n"


@pytest.fixture
def shop(repo: Repo) -> Repo:
    """Trunk: a package `shop` with prices.py, its unittest tests, verification on."""
    repo.write(repo.main, "shop/__init__.py", "")
    repo.write(repo.main, "shop/prices.py", PRICES)
    repo.write(repo.main, "tests/__init__.py", "")
    repo.write(repo.main, "tests/test_prices.py", TEST_PRICES)
    repo.write(repo.main, "pyproject.toml", settings())
    repo.commit(repo.main, "shop")
    return repo


def configure(repo: Repo, text: str) -> None:
    repo.write(repo.main, "pyproject.toml", text)
    repo.commit(repo.main, "settings")


def session(repo: Repo, name: str, files: dict[str, str | None], commit: bool = True) -> Path:
    """A worktree + branch NAME off main with FILES written (None deletes)."""
    path = repo.worktree(name, branch=name)
    change(repo, path, files, commit=commit, message=f"{name}: work")
    return path


def change(
    repo: Repo, path: Path, files: dict[str, str | None], *, commit: bool = True, message: str = "x"
) -> None:
    for rel, text in files.items():
        if text is None:
            (path / rel).unlink()
        else:
            repo.write(path, rel, text)
    if commit:
        repo.commit(path, message)


def fresh(repo: Repo) -> Workspace:
    ws = Workspace(repo.main)
    ws.refresh()
    return ws


def common_dir(repo: Repo) -> Path:
    return Path(git(repo.main, "rev-parse", "--path-format=absolute", "--git-common-dir"))


def counting(command: str, counter: Path) -> str:
    """COMMAND that also appends a line to COUNTER each time it runs (env: RUNS_FILE)."""
    return f'echo ran >> "$RUNS_FILE"; {command}'


def runs(counter: Path) -> int:
    return len(counter.read_text().splitlines()) if counter.exists() else 0


def no_leftover_processes(marker: str) -> bool:
    """No process of this user carries MARKER in its environment."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in environ and int(entry.name) != os.getpid():
            return False
    return True
