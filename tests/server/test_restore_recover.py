"""`agentls.session.restore` and `agentls.session.recover`: the CLI's restore and recover
verbs as server commands, so editors offer every lifecycle verb. Checked with git."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from agentls.lifecycle import pending
from agentls.lifecycle.landing import KILL_ENV
from tests.conftest import Repo, git
from tests.lifecycle.helpers import agentls, refs, workspace
from tests.server.conftest import Window, deadline

REFUSED = -32001


def landed_session(repo: Repo) -> tuple[Path, str, str]:
    """Session `a` with one commit, landed after trunk moved on (so land rebased it)."""
    repo.write(repo.main, "app.txt", "".join(f"line {i}\n" for i in range(1, 21)))
    repo.write(repo.main, "pyproject.toml", '[tool.agentls.land]\ntest = "true"\n')
    repo.commit(repo.main, "initial")
    agentls(repo.main, "new", "a", check=True)
    wt = repo.root / "repo-a"
    repo.write(wt, "a.txt", "a's work\n")
    old_head = repo.commit(wt, "a: work")
    repo.write(repo.main, "t.txt", "trunk moved on\n")
    repo.commit(repo.main, "trunk: more")
    agentls(repo.main, "land", "a", check=True)
    rebased = git(wt, "rev-parse", "HEAD")
    assert rebased != old_head
    return wt, old_head, rebased


async def attached(windows, folder: Path) -> Window:
    """A window whose server is attached to the engine (its first report arrived)."""
    window = await windows(folder)
    await window.wait_status(lambda s: len(s["sessions"]) == 2, "the first report")
    return window


@deadline(90)
async def test_restore_puts_the_branch_back_to_its_backup(repo: Repo, windows) -> None:
    wt, old_head, rebased = landed_session(repo)
    window = await attached(windows, repo.main)

    result = await window.command("agentls.session.restore", {"session": "a"})

    assert result["ok"] is True, result
    assert result["session"] == "a" and result["branch"] == "a"
    assert result["new"] == old_head and result["old"] == rebased
    assert git(wt, "rev-parse", "HEAD") == old_head
    assert git(repo.main, "rev-parse", result["saved"]) == rebased  # nothing lost
    assert git(wt, "status", "--porcelain") == ""
    assert not (wt / "t.txt").exists()


@deadline(90)
async def test_restore_refusals_change_nothing(repo: Repo, windows) -> None:
    wt, _old_head, rebased = landed_session(repo)
    window = await attached(windows, repo.main)
    before = refs(repo)

    for arguments, words in (
        ({"session": "a", "backup": "20000101T000000000000Z"}, "no backup"),
        ({"session": "a", "backup": "refs/heads/main"}, "not an agentls backup"),
        ({"session": "nobody"}, "nobody"),
    ):
        with pytest.raises(JsonRpcException) as refused:
            await window.command("agentls.session.restore", arguments)
        assert refused.value.code == REFUSED, arguments
        assert words in refused.value.message, (arguments, refused.value.message)
    repo.write(wt, "wip.txt", "unsaved work\n")
    with pytest.raises(JsonRpcException, match="uncommitted"):
        await window.command("agentls.session.restore", {"session": "a"})

    assert refs(repo) == before
    assert git(wt, "rev-parse", "HEAD") == rebased
    assert (wt / "wip.txt").read_text() == "unsaved work\n"


@deadline(90)
async def test_restore_checks_its_arguments(repo: Repo, windows) -> None:
    landed_session(repo)
    window = await attached(windows, repo.main)
    for arguments in ({}, {"session": 3}, {"session": "a", "backup": 1}, {"session": "a", "x": 1}):
        with pytest.raises(JsonRpcException) as refused:
            await window.command("agentls.session.restore", arguments)
        assert refused.value.code == -32602, arguments


@deadline(120)
async def test_recover_finishes_an_interrupted_land(repo: Repo, windows) -> None:
    wt, _old_head, _rebased = landed_session(repo)
    repo.write(wt, "more.txt", "more\n")
    head = repo.commit(wt, "a: more")
    trunk_before = git(repo.main, "rev-parse", "main")
    killed = agentls(repo.main, "land", "a", env={KILL_ENV: "locked"})
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)
    with workspace(repo) as ws:
        assert any("interrupted at step" in note for note in pending(ws))
    window = await attached(windows, repo.main)

    result = await window.command("agentls.session.recover", {})

    assert result["ok"] is True, result
    assert any("stale land lock" in line for line in result["recovered"]), result
    assert any("the land of a" in line for line in result["recovered"]), result
    with workspace(repo) as ws:
        assert pending(ws) == []
    # Killed before anything moved: trunk and the branch are as they were.
    assert git(repo.main, "rev-parse", "main") == trunk_before
    assert git(wt, "rev-parse", "HEAD") == head

    again = await window.command("agentls.session.recover")
    assert again == {"ok": True, "recovered": []}
