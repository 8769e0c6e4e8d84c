"""`new` and `fork` on real repositories, and the bad input they must refuse."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from agentls.errors import AgentlsError
from agentls.lifecycle import fork_session, new_session
from tests.conftest import Repo, git
from tests.lifecycle.helpers import snapshot_state, workspace


def test_new_creates_worktree_branch_and_session(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        result = new_session(ws, "auth", claims=["auth/**"])
        expected = land_repo.root / "repo-auth"
        assert result == {
            "ok": True,
            "session": {"name": "auth", "path": str(expected), "branch": "auth"},
        }
        assert git(expected, "rev-parse", "--abbrev-ref", "HEAD") == "auth"
        assert git(expected, "rev-parse", "HEAD") == git(land_repo.main, "rev-parse", "main")
        session = ws.session("auth")
        assert (session.role, session.claims, session.path) == ("code", ["auth/**"], expected)


def test_new_with_branch_from_and_dir(land_repo: Repo, tmp_path: Path) -> None:
    first = git(land_repo.main, "rev-parse", "HEAD")
    land_repo.write(land_repo.main, "more.txt", "x\n")
    land_repo.commit(land_repo.main, "more")
    folder = tmp_path / "elsewhere" / "billing"
    with workspace(land_repo) as ws:
        new_session(ws, "billing", branch="feat/billing", start=first, folder=folder)
        assert ws.session("billing").branch == "feat/billing"
    assert git(folder, "rev-parse", "HEAD") == first


BAD_NAMES = ["a/b", "a..b", "has space", "-lead", "", "x" * 65, "../up"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_new_refuses_bad_names(land_repo: Repo, name: str) -> None:
    with workspace(land_repo) as ws:
        before = snapshot_state(land_repo)
        with pytest.raises(AgentlsError, match="invalid session name"):
            new_session(ws, name)
        assert snapshot_state(land_repo) == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"branch": "bad..branch"}, "invalid branch name"),
        ({"branch": "-x"}, "invalid branch name"),
        ({"branch": "has space"}, "invalid branch name"),
        ({"branch": "main"}, "already exists"),
        ({"start": "no-such-ref"}, "not a commit"),
        ({"claims": ["/etc/**"]}, "absolute"),
        ({"claims": ["../other/**"]}, "leaves the repository"),
        ({"agent": "no-such-agent-program-xyz"}, "not on PATH"),
        ({"agent": "claude 'unbalanced"}, "cannot parse"),
    ],
)
def test_new_refuses_bad_arguments(land_repo: Repo, kwargs: dict, message: str) -> None:
    with workspace(land_repo) as ws:
        before = snapshot_state(land_repo)
        with pytest.raises(AgentlsError, match=message):
            new_session(ws, "ok-name", **kwargs)
        assert snapshot_state(land_repo) == before


def test_new_refuses_taken_name_existing_folder_and_dir_inside_worktree(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        new_session(ws, "one", claims=["one/**"])
        before = snapshot_state(land_repo)
        with pytest.raises(AgentlsError, match=r"already exists.*rename"):
            new_session(ws, "one", branch="other")
        (land_repo.root / "repo-two").mkdir()
        with pytest.raises(AgentlsError, match="already exists"):
            new_session(ws, "two")
        with pytest.raises(AgentlsError, match="inside session one's worktree"):
            new_session(ws, "three", folder=land_repo.root / "repo-one" / "nested")
        with pytest.raises(AgentlsError, match="inside session"):
            new_session(ws, "four", folder=land_repo.main / "sub")
        with pytest.raises(AgentlsError, match="overlaps one's claim"):
            new_session(ws, "five", claims=["one/x/**"])
        (land_repo.root / "repo-two").rmdir()
        assert snapshot_state(land_repo) == before


def test_new_agent_prints_command_when_not_launching(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        result = new_session(ws, "helper", agent="true --flag", launch=False)
    agent = result["agent"]
    assert agent["started"] is False and agent["known"] is False
    assert agent["run"].endswith("&& true --flag") and "repo-helper" in agent["run"]


def test_new_agent_starts_detached_process(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        result = new_session(ws, "runner", agent="sh -c 'pwd > started.txt'", launch=True)
    agent = result["agent"]
    assert agent["started"] is True
    import os
    import time

    marker = land_repo.root / "repo-runner" / "started.txt"
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text().strip() == str(land_repo.root / "repo-runner")
    log = Path(agent["log"])
    assert log.parent.name == "agents" and log.name == "runner.log"
    # Reap it so the test leaves no zombie (subprocess may already have reaped it).
    with contextlib.suppress(ChildProcessError):
        os.waitpid(agent["pid"], 0)


def test_fork_checks_out_the_source_snapshot_with_uncommitted_work(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        new_session(ws, "work")
    work = land_repo.root / "repo-work"
    land_repo.write(work, "app.txt", "changed but not committed\n")
    land_repo.write(work, "new.txt", "untracked\n")
    with workspace(land_repo) as ws:
        result = fork_session(ws, "ask", source="work")
        fork = Path(result["session"]["path"])
        assert (fork / "app.txt").read_text() == "changed but not committed\n"
        assert (fork / "new.txt").read_text() == "untracked\n"
        assert git(fork, "status", "--porcelain") == ""  # a clean fork of that state
        session = ws.session("ask")
        assert (session.role, session.source, session.branch) == ("research", "work", None)
        # A research fork may write its notes; anything else is reported.
        land_repo.write(fork, "HANDOFF.md", "notes\n")
        land_repo.write(fork, "app.txt", "oops\n")
    with workspace(land_repo) as ws:
        report = ws.report()
        writes = [c.path for c in report.overlaps if c.kind == "research-write"]
        assert writes == ["app.txt"]
    # The source's own files and index are untouched by the fork.
    assert git(work, "status", "--porcelain") == " M app.txt\n?? new.txt".strip()


def test_fork_refuses_unknown_source_and_taken_name(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        before = snapshot_state(land_repo)
        with pytest.raises(AgentlsError, match="no session named 'ghost'"):
            fork_session(ws, "f", source="ghost")
        with pytest.raises(AgentlsError, match="already exists"):
            fork_session(ws, "main", source="main")
        assert snapshot_state(land_repo) == before
