"""The command line, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Repo, git, numbered

AGENTLS = [sys.executable, "-m", "agentls"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AGENTLS, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.fixture
def conflicted(repo: Repo) -> Repo:
    repo.write(repo.main, "app.py", numbered(10))
    repo.commit(repo.main, "base")
    a = repo.worktree("wa", "feat/a")
    b = repo.worktree("wb", "feat/b")
    repo.write(a, "app.py", numbered(10).replace("line 4\n", "A\n"))
    repo.commit(a, "a")
    repo.write(b, "app.py", numbered(10).replace("line 4\n", "B\n"))
    return repo


def test_overlaps_json_shape(conflicted: Repo) -> None:
    proc = run("overlaps", "--json", cwd=conflicted.root / "wb")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    head = git(conflicted.main, "rev-parse", "main")
    assert data["trunk"] == {"branch": "main", "commit": head}
    sessions = {s["name"]: s for s in data["sessions"]}
    assert set(sessions) == {"main", "feat-a", "feat-b"}
    b = sessions["feat-b"]
    assert b["path"] == str((conflicted.root / "wb").resolve())
    assert b["branch"] == "feat/b" and b["role"] == "code" and b["dirty"] is True
    assert b["head"] == head and b["base"] == head
    assert b["changed"] == ["app.py"] and b["claims"] == []
    assert data["overlaps"] == [
        {
            "kind": "conflict",
            "path": "app.py",
            "sessions": ["feat-a", "feat-b"],
            "ranges": {"feat-a": [[4, 4]], "feat-b": [[4, 4]]},
            "detail": ["contents"],
        }
    ]


def test_exit_code_flag(conflicted: Repo) -> None:
    assert run("overlaps", "--json", "--exit-code", cwd=conflicted.main).returncode == 1
    git(conflicted.root / "wb", "checkout", "--", "app.py")
    assert run("overlaps", "--exit-code", cwd=conflicted.main).returncode == 0


def test_status_is_readable(conflicted: Repo) -> None:
    proc = run("status", cwd=conflicted.main)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "feat-a ↔ feat-b" in out and "conflict" in out and "app.py" in out
    assert "L4" in out and "3 sessions" in out
    data = json.loads(run("status", "--json", cwd=conflicted.main).stdout)
    assert any("sweet spot" in line for line in data["advice"])


def test_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    proc = run("overlaps", "--json", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "not inside a git repository" in proc.stderr


def test_no_trunk_is_a_usage_error(repo: Repo) -> None:
    repo.write(repo.main, "a", "a\n")
    repo.commit(repo.main)
    git(repo.main, "branch", "-m", "main", "work")
    proc = run("status", cwd=repo.main)
    assert proc.returncode == 2 and "git config agentls.trunk" in proc.stderr


def test_unknown_flag_is_a_usage_error(conflicted: Repo) -> None:
    assert run("overlaps", "--nope", cwd=conflicted.main).returncode == 2


def test_demo_builds_four_sessions_with_every_kind(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    proc = run("demo", "--dir", str(target))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(run("overlaps", "--json", cwd=target / "shop").stdout)
    names = {s["name"]: s for s in data["sessions"]}
    assert set(names) == {"main", "auth", "billing", "hotfix", "research"}
    assert names["research"]["role"] == "research"
    kinds = {c["kind"] for c in data["overlaps"]}
    assert kinds == {"conflict", "overlap", "ownership", "research-write"}
    # Running it again rebuilds the same demo; a foreign folder is refused.
    assert run("demo", "--dir", str(target)).returncode == 0
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine\n")
    refused = run("demo", "--dir", str(foreign))
    assert refused.returncode == 2 and (foreign / "keep.txt").read_text() == "mine\n"


def test_git_too_old_is_refused(conflicted: Repo, tmp_path: Path) -> None:
    fake_bin = tmp_path / "fake-bin"
    fake_bin.mkdir()
    fake_git = fake_bin / "git"
    fake_git.write_text('#!/bin/sh\necho "git version 2.30.1"\n')
    fake_git.chmod(0o755)
    proc = subprocess.run(
        [*AGENTLS, "status"],
        cwd=conflicted.main,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}"},
    )
    assert proc.returncode == 2 and "git 2.30.1 is too old" in proc.stderr


def test_report_json_round_trips(conflicted: Repo) -> None:
    from agentls.report import Report
    from agentls.workspace import Workspace

    with Workspace(conflicted.main) as ws:
        data = ws.refresh().to_json()
    assert Report.from_json(data).to_json() == data
