"""remove and restore: refusals, forced removal keeping a backup, putting a branch back."""

from __future__ import annotations

import pytest

from agentls.errors import AgentlsError
from agentls.lifecycle import fork_session, land, new_session, remove_session, restore_session
from tests.conftest import Repo, git
from tests.lifecycle.helpers import agentls, all_commits, refs, snapshot_state, workspace


def test_remove_refuses_unlanded_and_uncommitted_then_force_keeps_backup(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        new_session(ws, "wip")
    wt = land_repo.root / "repo-wip"
    land_repo.write(wt, "done.txt", "committed\n")
    head = land_repo.commit(wt, "wip commit")
    land_repo.write(wt, "draft.txt", "not committed yet\n")
    with workspace(land_repo) as ws:
        before = snapshot_state(land_repo)
        with pytest.raises(AgentlsError, match=r"uncommitted work in draft\.txt; 1 commit not on"):
            remove_session(ws, "wip")
        with pytest.raises(AgentlsError, match="main checkout"):
            remove_session(ws, "main")
        assert snapshot_state(land_repo) == before
        reachable = all_commits(land_repo)
        result = remove_session(ws, "wip", force=True)
    assert result["forced"] and not wt.exists()
    assert "refs/heads/wip" not in refs(land_repo)
    backup = result["backup"]
    assert reachable <= all_commits(land_repo)
    # The backup is a snapshot: the committed head plus the uncommitted file.
    assert git(land_repo.main, "rev-parse", f"{backup}~1") == head
    assert git(land_repo.main, "show", f"{backup}:draft.txt") == "not committed yet"


def test_remove_landed_and_missing_sessions(land_repo: Repo) -> None:
    import shutil

    with workspace(land_repo) as ws:
        new_session(ws, "gone")
        new_session(ws, "away")
        new_session(ws, "landed")
    land_repo.write(land_repo.root / "repo-landed", "x.txt", "x\n")
    land_repo.commit(land_repo.root / "repo-landed", "x")
    shutil.rmtree(land_repo.root / "repo-gone")
    (land_repo.root / "repo-away").rename(land_repo.root / "unmounted")
    with workspace(land_repo) as ws:
        assert land(ws, "landed")["ok"]
        assert remove_session(ws, "landed")["forced"] is False
        assert remove_session(ws, "gone")["ok"]
        # Only that worktree is forgotten: another missing one stays a (missing) session.
        assert {s.name for s in ws.sessions} == {"main", "away"}
        assert ws.session("away").missing
    (land_repo.root / "unmounted").rename(land_repo.root / "repo-away")
    with workspace(land_repo) as ws:
        assert not ws.session("away").missing
    listing = git(land_repo.main, "worktree", "list", "--porcelain")
    assert "prunable" not in listing and "repo-gone" not in listing


def test_restore_puts_the_branch_back_and_keeps_the_current_head(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        new_session(ws, "a")
    wt = land_repo.root / "repo-a"
    land_repo.write(wt, "a.txt", "a\n")
    old_head = land_repo.commit(wt, "a work")
    land_repo.write(land_repo.main, "t.txt", "t\n")
    land_repo.commit(land_repo.main, "trunk moved")
    with workspace(land_repo) as ws:
        assert land(ws, "a")["ok"]
        rebased = git(wt, "rev-parse", "HEAD")
        assert rebased != old_head
        before = snapshot_state(land_repo)
        with pytest.raises(AgentlsError, match="no backup"):
            restore_session(ws, "a", "20000101T000000000000Z")
        with pytest.raises(AgentlsError, match="not an agentls backup"):
            restore_session(ws, "a", "refs/heads/main")
        assert snapshot_state(land_repo) == before
        result = restore_session(ws, "a")
    assert result["new"] == old_head and git(wt, "rev-parse", "HEAD") == old_head
    assert git(land_repo.main, "rev-parse", result["saved"]) == rebased
    assert git(wt, "status", "--porcelain") == ""
    assert not (wt / "t.txt").exists()


def test_cli_json_and_errors(land_repo: Repo) -> None:
    made = agentls(land_repo.main, "new", "cli", "--claim", "cli/**", "--json")
    assert made.returncode == 0, made.stderr
    assert '"name": "cli"' in made.stdout
    bad = agentls(land_repo.main, "new", "has space")
    assert bad.returncode == 2 and "invalid session name" in bad.stderr and bad.stdout == ""
    assert agentls(land_repo.main, "claim", "cli", "/abs").returncode == 2
    assert agentls(land_repo.main, "priority", "cli", "3").stdout.strip() == "cli has priority 3"
    renamed = agentls(land_repo.main, "rename", "cli", "tool")
    assert renamed.stdout.strip() == "renamed cli to tool"
    dry = agentls(land_repo.main, "land", "tool", "--dry-run")
    assert dry.returncode == 2 and "nothing to land" in dry.stderr
    assert agentls(land_repo.main, "land").returncode == 2
    handoff = agentls(land_repo.root / "repo-cli", "handoff", "tool")
    assert handoff.stdout.startswith("wrote ")


def test_restore_of_a_removed_session_says_how_to_bring_it_back(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        new_session(ws, "gone")
    wt = land_repo.root / "repo-gone"
    land_repo.write(wt, "wip.txt", "draft\n")
    with workspace(land_repo) as ws:
        backup = remove_session(ws, "gone", force=True)["backup"]
        before = snapshot_state(land_repo)
        with pytest.raises(AgentlsError, match="no session named 'ghost'; known") as ghost:
            restore_session(ws, "ghost")
        assert "removed" not in str(ghost.value)
        with pytest.raises(AgentlsError, match="it was removed") as gone:
            restore_session(ws, "gone")
        assert snapshot_state(land_repo) == before
    hint = f"agentls new gone --from {backup}"
    assert str(gone.value).endswith(hint)
    # The hint works as printed: the new session has the removed one's uncommitted file.
    made = agentls(land_repo.main, *hint.split()[1:])
    assert made.returncode == 0, made.stderr
    assert (wt / "wip.txt").read_text() == "draft\n"


def test_remove_refusal_wording(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        new_session(ws, "code")
        (land_repo.root / "repo-code" / "x.txt").write_text("x\n")
        fork_session(ws, "probe", source="code")
        (land_repo.root / "repo-probe" / "notes.txt").write_text("n\n")
        with pytest.raises(AgentlsError) as fork:
            remove_session(ws, "probe")
        with pytest.raises(AgentlsError) as code:
            remove_session(ws, "code")
    # A fork is never landed: the hint must not tell you to land it.
    assert str(fork.value) == (
        "session probe has uncommitted work in notes.txt; "
        "pass --force (a backup ref keeps the work)"
    )
    assert "land it first, or pass --force" in str(code.value)
