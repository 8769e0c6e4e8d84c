"""Shared fixtures: real git repositories with real worktrees in tmp_path."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

# Every test fails loudly, with its name, instead of hanging CI.
TEST_TIMEOUT = int(os.environ.get("AGENTLS_TEST_TIMEOUT", "180"))

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path | str, *args: str, check: bool = True) -> str:
    env = {**os.environ, **GIT_ENV}
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout.strip()


class Repo:
    """A real repository with helpers to write files and add worktrees."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.main = root / "repo"
        self.main.mkdir(parents=True)
        git(self.main, "init", "-q", "-b", "main")
        git(self.main, "config", "user.name", "Test")
        git(self.main, "config", "user.email", "test@example.com")
        git(self.main, "config", "commit.gpgsign", "false")

    def write(self, worktree: Path, path: str, text: str | bytes) -> Path:
        full = worktree / path
        full.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            full.write_bytes(text)
        else:
            full.write_text(text)
        return full

    def commit(self, worktree: Path, message: str = "change") -> str:
        git(worktree, "add", "-A")
        git(worktree, "commit", "-q", "--allow-empty", "-m", message)
        return git(worktree, "rev-parse", "HEAD")

    def worktree(self, name: str, branch: str | None = None, start: str = "main") -> Path:
        path = self.root / name
        args = ["worktree", "add", "-q"]
        args += ["-b", branch, str(path), start] if branch else ["--detach", str(path), start]
        git(self.main, *args)
        return path

    def git(self, worktree: Path, *args: str) -> str:
        return git(worktree, *args)


@pytest.fixture(autouse=True)
def _private_user_config(tmp_path: Path) -> Iterator[None]:
    """agentls's per-user settings (the background-check opt-in) go to this test's own
    folder, never the real ~/.config: servers and engines the test starts inherit it.

    Not through `monkeypatch`: requested here, first, it would undo a test's own
    monkeypatching only after every other fixture's teardown.
    """
    before = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path / "xdg-config")
    yield
    if before is None:
        os.environ.pop("XDG_CONFIG_HOME", None)
    else:
        os.environ["XDG_CONFIG_HOME"] = before


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


def numbered(n: int, prefix: str = "line") -> str:
    return "".join(f"{prefix} {i}\n" for i in range(1, n + 1))


@pytest.fixture(autouse=True)
def _time_limit(request: pytest.FixtureRequest) -> Iterator[None]:
    def expired(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"{request.node.nodeid} took longer than {TEST_TIMEOUT} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TEST_TIMEOUT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
