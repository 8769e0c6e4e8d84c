"""HANDOFF.md is read and written only as a regular file of the worktree: never a link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentls.errors import AgentlsError
from agentls.lifecycle import new_session, write_handoff
from tests.conftest import Repo
from tests.lifecycle.helpers import agentls, workspace


@pytest.fixture
def session(land_repo: Repo) -> Path:
    with workspace(land_repo) as ws:
        new_session(ws, "s1")
    return land_repo.root / "repo-s1"


def test_a_symlinked_handoff_is_refused_and_the_outside_file_stays_out(
    land_repo: Repo, session: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the worktree\n")
    (session / "HANDOFF.md").symlink_to(secret)
    with workspace(land_repo) as ws, pytest.raises(AgentlsError, match="is a symlink"):
        write_handoff(ws, "s1")
    assert (session / "HANDOFF.md").is_symlink()  # left as it was
    assert secret.read_text() == "outside the worktree\n"
    assert not any(p.name.startswith(".HANDOFF-") for p in session.iterdir())
    # The command line says so and what to do; nothing of the secret lands in the worktree.
    refused = agentls(land_repo.main, "handoff", "s1")
    assert refused.returncode == 2, refused.stdout
    assert "is a symlink" in refused.stderr and "regular file" in refused.stderr
    assert "outside the worktree" not in refused.stdout + refused.stderr


def test_a_dangling_symlink_is_not_written_through(
    land_repo: Repo, session: Path, tmp_path: Path
) -> None:
    target = tmp_path / "created-elsewhere.md"
    (session / "HANDOFF.md").symlink_to(target)
    with workspace(land_repo) as ws, pytest.raises(AgentlsError, match="is a symlink"):
        write_handoff(ws, "s1")
    assert not target.exists()


def test_a_fifo_named_handoff_does_not_hang(land_repo: Repo, session: Path) -> None:
    os.mkfifo(session / "HANDOFF.md")
    with workspace(land_repo) as ws, pytest.raises(AgentlsError, match="is a FIFO"):
        write_handoff(ws, "s1")


def test_a_regular_handoff_is_still_refreshed(land_repo: Repo, session: Path) -> None:
    (session / "HANDOFF.md").write_text("my notes\n")
    with workspace(land_repo) as ws:
        assert write_handoff(ws, "s1")["changed"]
    text = (session / "HANDOFF.md").read_text()
    assert text.startswith("my notes\n") and "session s1" in text
