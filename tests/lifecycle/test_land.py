"""land: the pipeline, its refusals, and its safety guarantees, on real repositories."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agentls.errors import AgentlsError
from agentls.lifecycle import fork_session, land, new_session, rename_session
from tests.conftest import Repo, git
from tests.lifecycle.helpers import all_commits, refs, snapshot_state, workspace


def edit_line(text: str, line: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    lines[line - 1] = new + "\n"
    return "".join(lines)


def session_with_commit(repo: Repo, name: str, line: int, text: str) -> Path:
    with workspace(repo) as ws:
        new_session(ws, name)
    wt = repo.root / f"repo-{name}"
    repo.write(wt, "app.txt", edit_line((wt / "app.txt").read_text(), line, text))
    repo.commit(wt, f"{name} edits line {line}")
    return wt


def configure(repo: Repo, toml: str) -> None:
    repo.write(repo.main, "pyproject.toml", toml)
    repo.commit(repo.main, "configure land")


def test_land_rebases_tests_and_fast_forwards_checked_out_trunk(land_repo: Repo) -> None:
    a = session_with_commit(land_repo, "a", 2, "A")
    b = session_with_commit(land_repo, "b", 18, "B")
    trunk0 = git(land_repo.main, "rev-parse", "main")
    messages: list[tuple[str, int | None]] = []
    with workspace(land_repo) as ws:
        first = land(ws, "a", progress=lambda m, p: messages.append((m, p)))
        assert first["ok"], first
        second = land(ws, "b")
        assert second["ok"], second
        assert ws.store.by_name("b").landed is not None
    trunk = git(land_repo.main, "rev-parse", "main")
    assert second["trunk"] == {"old": first["trunk"]["new"], "new": trunk}
    assert first["trunk"]["old"] == trunk0
    # The checked-out trunk's files and index moved with its ref.
    assert git(land_repo.main, "status", "--porcelain") == ""
    text = (land_repo.main / "app.txt").read_text()
    assert "A\n" in text and "B\n" in text
    assert git(land_repo.main, "log", "--format=%s", "-3").splitlines() == [
        "b edits line 18", "a edits line 2", "initial"
    ]  # fmt: skip
    assert git(b, "rev-parse", "HEAD") == trunk  # b was rebased in its own worktree
    assert any(p == 100 for _, p in messages) and any("backup" in m for m, _ in messages)
    # Backups keep both branches' pre-land heads.
    backups = [r for r in refs(land_repo) if r.startswith("refs/agentls/backup/")]
    assert len(backups) == 2 and any("/a/" in r for r in backups)
    assert a.exists()


def test_land_moves_unchecked_trunk_by_compare_and_swap(land_repo: Repo) -> None:
    session_with_commit(land_repo, "a", 2, "A")
    git(land_repo.main, "checkout", "-q", "--detach")  # trunk checked out nowhere
    with workspace(land_repo) as ws:
        result = land(ws, "a")
    assert result["ok"], result
    assert git(land_repo.main, "rev-parse", "main") == result["trunk"]["new"]
    assert "compare-and-swap" in " ".join(s["detail"] for s in result["steps"])
    reflog = git(land_repo.main, "reflog", "show", "-1", "--format=%gs", "refs/heads/main")
    assert reflog == "agentls: land a"


def test_conflict_leaves_branch_and_worktree_as_before_and_writes_handoff(land_repo: Repo) -> None:
    session_with_commit(land_repo, "first", 5, "FIRST")
    late = session_with_commit(land_repo, "late", 5, "LATE")
    with workspace(land_repo) as ws:
        assert land(ws, "first")["ok"]
        rename_session(ws, "first", "primo")  # the context names it as it is called now
        head = git(late, "rev-parse", "HEAD")
        files = {p.name: p.read_bytes() for p in late.iterdir() if p.is_file()}
        dry = land(ws, "late", dry_run=True)
        assert dry["ok"] is False and dry["conflicts"] == ["app.txt"]
        result = land(ws, "late")
    assert result["ok"] is False and result["conflicts"] == ["app.txt"]
    assert "unchanged" in result["message"]
    assert git(late, "rev-parse", "HEAD") == head
    assert git(late, "rev-parse", "--abbrev-ref", "HEAD") == "late"
    # HANDOFF.md is a session note: git ignores it, so the worktree stays clean.
    assert (late / "HANDOFF.md").is_file()
    assert git(late, "status", "--porcelain") == ""
    assert {
        p.name: p.read_bytes() for p in late.iterdir() if p.is_file() and p.name != "HANDOFF.md"
    } == files
    handoff = Path(result["handoff"]).read_text()
    assert "Your previous changes conflicted with another branch that landed first." in handoff
    assert "The conflicting files are: [app.txt]" in handoff
    assert "first edits line 5 (landed by session primo): app.txt" in handoff
    assert "+FIRST" in handoff and "Restructure your changes" in handoff


def test_keep_open_leaves_the_rebase_for_the_agent(land_repo: Repo) -> None:
    session_with_commit(land_repo, "first", 5, "FIRST")
    late = session_with_commit(land_repo, "late", 5, "LATE")
    with workspace(land_repo) as ws:
        assert land(ws, "first")["ok"]
        result = land(ws, "late", keep_open=True)
        assert result["ok"] is False and "left open" in result["message"]
        assert (Path(git(late, "rev-parse", "--git-dir")) / "rebase-merge").is_dir() or (
            late / git(late, "rev-parse", "--git-dir") / "rebase-merge"
        ).is_dir()
        # The next land refuses to touch the open rebase and says what to do.
        with pytest.raises(AgentlsError, match=r"rebase is in progress.*--continue"):
            land(ws, "late")
    git(late, "rebase", "--abort")


def test_failing_tests_leave_trunk_untouched(land_repo: Repo) -> None:
    configure(
        land_repo, '[tool.agentls.land]\nbuild = "echo building"\ntest = "echo boom; exit 3"\n'
    )
    wt = session_with_commit(land_repo, "a", 2, "A")
    trunk = git(land_repo.main, "rev-parse", "main")
    with workspace(land_repo) as ws:
        result = land(ws, "a")
    assert result["ok"] is False
    assert "failed (exit 3)" in result["message"] and "untouched" in result["message"]
    assert "boom" in result["output"] and "building" in result["output"]
    assert git(land_repo.main, "rev-parse", "main") == trunk
    assert git(wt, "status", "--porcelain") == ""


def test_timeout_kills_the_command(land_repo: Repo) -> None:
    configure(land_repo, '[tool.agentls.land]\ntest = "sleep 30"\ntimeout = 1\n')
    session_with_commit(land_repo, "a", 2, "A")
    trunk = git(land_repo.main, "rev-parse", "main")
    with workspace(land_repo) as ws:
        result = land(ws, "a")
    assert result["ok"] is False and "timed out" in result["message"]
    assert git(land_repo.main, "rev-parse", "main") == trunk


def test_trunk_moved_during_tests_fails_the_compare_and_swap(land_repo: Repo) -> None:
    # The test command itself moves trunk (as another tool would): CAS must refuse.
    configure(
        land_repo,
        "[tool.agentls.land]\n"
        'test = "git commit-tree -p main -m sneaky main^{tree}'
        ' | xargs git update-ref refs/heads/main"\n',
    )
    session_with_commit(land_repo, "a", 2, "A")
    git(land_repo.main, "checkout", "-q", "--detach")
    with workspace(land_repo) as ws:
        result = land(ws, "a")
    assert result["ok"] is False and "compare-and-swap failed" in result["message"]
    assert git(land_repo.main, "log", "-1", "--format=%s", "main") == "sneaky"


def test_land_never_loses_a_commit(land_repo: Repo) -> None:
    session_with_commit(land_repo, "first", 5, "FIRST")
    session_with_commit(land_repo, "late", 5, "LATE")
    session_with_commit(land_repo, "ok", 15, "OK")
    with workspace(land_repo) as ws:
        for name in ("first", "late", "ok"):
            before = all_commits(land_repo)
            land(ws, name)
            assert before <= all_commits(land_repo), name


def test_land_refusals_change_nothing(land_repo: Repo) -> None:
    dirty = session_with_commit(land_repo, "dirty", 2, "D")
    land_repo.write(dirty, "app.txt", "uncommitted\n")
    staged = session_with_commit(land_repo, "staged", 3, "S")
    land_repo.write(staged, "new.txt", "x\n")
    git(staged, "add", "new.txt")
    session_with_commit(land_repo, "fine", 4, "F")
    with workspace(land_repo) as ws:
        new_session(ws, "empty")
        fork_session(ws, "probe", source="fine")
    gone = session_with_commit(land_repo, "gone", 6, "G")
    shutil.rmtree(gone)
    cases = [
        ("dirty", "uncommitted changes \\(app.txt\\)"),
        ("staged", "uncommitted changes \\(new.txt\\)"),
        ("main", "cannot land trunk onto itself"),
        ("probe", "research fork"),
        ("empty", "nothing to land"),
        ("gone", "is gone"),
        ("ghost", "no session named 'ghost'"),
        ("bad/name", "invalid session name"),
    ]
    with workspace(land_repo) as ws:
        before = snapshot_state(land_repo)
        for name, message in cases:
            with pytest.raises(AgentlsError, match=message):
                land(ws, name)
        # A dirty trunk worktree is refused too (its files would move under the edit).
        land_repo.write(land_repo.main, "app.txt", "editing trunk\n")
        with pytest.raises(AgentlsError, match=r"trunk's worktree .* uncommitted"):
            land(ws, "fine")
        (land_repo.main / "app.txt").write_text(git(land_repo.main, "show", "HEAD:app.txt") + "\n")
        assert snapshot_state(land_repo) == before


def test_detached_session_is_refused(land_repo: Repo) -> None:
    land_repo.worktree("loose")  # detached worktree
    with workspace(land_repo) as ws, pytest.raises(AgentlsError, match="not on a branch"):
        land(ws, "loose")


def test_remove_after_landing(land_repo: Repo) -> None:
    wt = session_with_commit(land_repo, "done", 2, "DONE")
    with workspace(land_repo) as ws:
        result = land(ws, "done", remove=True)
        assert result["ok"] and result["removed"]["backup"]
        assert "done" not in {s.name for s in ws.sessions}
    assert not wt.exists()
    assert "refs/heads/done" not in refs(land_repo)
