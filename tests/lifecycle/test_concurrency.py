"""Two lands from two processes never both move trunk from the same value."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import GIT_ENV, Repo, git
from tests.lifecycle.helpers import agentls


def two_sessions(repo: Repo, test_command: str) -> None:
    repo.write(repo.main, "pyproject.toml", f'[tool.agentls.land]\ntest = "{test_command}"\n')
    repo.commit(repo.main, "configure")
    for name in ("a", "b"):
        agentls(repo.main, "new", name, check=True)
        wt = repo.root / f"repo-{name}"
        repo.write(wt, f"{name}.txt", f"{name}\n")
        repo.commit(wt, f"{name} work")


def start_land(repo: Repo, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "agentls", "land", *args],
        cwd=repo.main,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **GIT_ENV},
    )


def lock_holder(repo: Repo) -> int | None:
    db = Path(git(repo.main, "rev-parse", "--path-format=absolute", "--git-common-dir"))
    path = db / "agentls" / "store.sqlite3"
    try:
        with sqlite3.connect(path, timeout=5) as conn:
            row = conn.execute("SELECT pid FROM land_lock").fetchone()
    except sqlite3.OperationalError:
        return None  # the table does not exist yet
    return row[0] if row else None


def test_second_land_reports_who_holds_the_lock(land_repo: Repo) -> None:
    two_sessions(land_repo, "sleep 3")
    trunk_old = git(land_repo.main, "rev-parse", "main")
    first = start_land(land_repo, "a")
    deadline = time.monotonic() + 20
    while lock_holder(land_repo) != first.pid:
        assert time.monotonic() < deadline, "the first land never took the lock"
        assert first.poll() is None, first.communicate()
        time.sleep(0.05)
    second = agentls(land_repo.main, "land", "b")
    assert second.returncode == 2
    assert f"another land is running: session a (pid {first.pid}" in second.stderr
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, out + err
    assert git(land_repo.main, "rev-parse", "main~1") == trunk_old  # moved once, by a
    assert git(land_repo.main, "log", "-1", "--format=%s") == "a work"
    assert lock_holder(land_repo) is None


def test_two_waiting_lands_serialise(land_repo: Repo) -> None:
    two_sessions(land_repo, "sleep 0.5")
    trunk_old = git(land_repo.main, "rev-parse", "main")
    procs = [start_land(land_repo, name, "--wait", "60", "--json") for name in ("a", "b")]
    for proc in procs:
        out, err = proc.communicate(timeout=90)
        assert proc.returncode == 0, out + err
    # Both landed, one after the other: trunk's history is linear over both.
    subjects = git(land_repo.main, "log", "--format=%s", f"{trunk_old}..main").splitlines()
    assert sorted(subjects) == ["a work", "b work"]
    assert git(land_repo.main, "rev-list", "--merges", "--count", "main") == "0"
    assert git(land_repo.main, "status", "--porcelain") == ""
