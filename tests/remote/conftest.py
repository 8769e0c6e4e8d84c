"""Machines that share a remote: a bare repository on the file system (or served by a
real `git daemon` on loopback), clones standing for this machine, cloud agents and
teammates, each with its own worktrees."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import GIT_ENV, git, numbered

GIT_DAEMON = "/usr/lib/git-core/git-daemon"


class Machine:
    """One clone of the shared remote: a person's laptop or a cloud agent's sandbox."""

    def __init__(self, root: Path, name: str, url: str, user: str) -> None:
        self.name = name
        self.user = user
        self.main = root / name / "repo"
        self.main.parent.mkdir(parents=True)
        git(root, "clone", "-q", url, str(self.main))
        for key, value in (
            ("user.name", user.title()),
            ("user.email", f"{user}@example.com"),
            ("commit.gpgsign", "false"),
        ):
            git(self.main, "config", key, value)

    def write(self, path: str, text: str, where: Path | None = None) -> Path:
        full = (where or self.main) / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text(text)
        return full

    def commit(self, message: str = "change", where: Path | None = None) -> str:
        folder = where or self.main
        git(folder, "add", "-A")
        who = {"GIT_AUTHOR_NAME": self.user.title(), "GIT_AUTHOR_EMAIL": f"{self.user}@example.com"}
        subprocess.run(
            ["git", "commit", "-q", "--allow-empty", "-m", message],
            cwd=folder,
            env={**os.environ, **GIT_ENV, **who, "GIT_COMMITTER_NAME": self.user.title()},
            check=True,
        )
        return git(folder, "rev-parse", "HEAD")

    def branch(self, name: str, start: str = "origin/main") -> None:
        git(self.main, "checkout", "-q", "-B", name, start)

    def push(self, *refspecs: str) -> None:
        git(self.main, "push", "-q", "--force", "origin", *refspecs)

    def worktree(self, name: str, branch: str, start: str = "main") -> Path:
        path = self.main.parent / name
        git(self.main, "worktree", "add", "-q", "-b", branch, str(path), start)
        return path

    def cloud_branch(self, branch: str, path: str, text: str, start: str = "origin/main") -> str:
        """What a cloud agent does: a branch from trunk, one commit, a push."""
        git(self.main, "fetch", "-q", "origin")
        self.branch(branch, start)
        self.write(path, text)
        head = self.commit(f"{branch}: edit {path}")
        self.push(f"{branch}:{branch}")
        return head


class Network:
    """A shared remote and the machines around it."""

    def __init__(self, root: Path, url: str | None = None) -> None:
        self.root = root
        self.server = root / "server.git"
        git(root, "init", "-q", "--bare", "-b", "main", str(self.server))
        self.url = url or str(self.server)
        seed = root / "seed"
        git(root, "init", "-q", "-b", "main", str(seed))
        git(seed, "config", "user.name", "Seed")
        git(seed, "config", "user.email", "seed@example.com")
        (seed / "f.txt").write_text(numbered(40))
        (seed / "g.txt").write_text(numbered(40))
        git(seed, "add", "-A")
        git(seed, "commit", "-q", "-m", "base")
        git(seed, "push", "-q", str(self.server), "main:main")

    def machine(self, name: str, user: str | None = None) -> Machine:
        return Machine(self.root, name, self.url, user or name)


@pytest.fixture
def network(tmp_path: Path) -> Network:
    return Network(tmp_path)


def edit_line(text: str, line: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    lines[line - 1] = new + "\n"
    return "".join(lines)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Daemon:
    """`git daemon` serving ROOT on a loopback port; stop() and start() again at will."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"git://127.0.0.1:{self.port}/server.git"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                GIT_DAEMON,
                "--reuseaddr",
                "--export-all",
                "--enable=receive-pack",
                "--listen=127.0.0.1",
                f"--port={self.port}",
                f"--base-path={self.root}",
                str(self.root),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        end = time.monotonic() + 10
        while time.monotonic() < end:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("git daemon did not start listening")

    def stop(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def daemon_network(tmp_path: Path) -> Iterator[tuple[Network, Daemon]]:
    if not os.access(GIT_DAEMON, os.X_OK):
        pytest.fail(f"{GIT_DAEMON} is missing: install the git package's daemon")
    daemon = Daemon(tmp_path)
    network = Network(tmp_path, url=daemon.url)
    daemon.start()
    try:
        yield network, daemon
    finally:
        daemon.stop()


# The server tests' fixtures: editor windows running the real server, and no engine
# left behind after a test.
from tests.server.conftest import _no_engine_left, windows  # noqa: E402

__all__ = ["Daemon", "Machine", "Network", "_no_engine_left", "windows"]
