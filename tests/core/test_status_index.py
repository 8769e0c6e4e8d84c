"""agentls's copy of each worktree's index (agentls.git.status_index): `git status`
refreshes the copy, never the user's index, and the answer stays git's own."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from agentls.git.repo import find_repository
from agentls.git.status_index import STALE_AGE, clean_status_indexes
from agentls.workspace import Workspace
from tests.conftest import GIT_ENV, Repo, git, numbered
from tests.core.test_snapshot import _base, _same_second, assert_snapshot_is_git_add_all


def _copies(repo: Repo) -> list[Path]:
    return sorted((repo.main / ".git" / "agentls" / "tmp" / "status").rglob("*.index"))


def _gitdir(wt: Path) -> Path:
    return Path(git(wt, "rev-parse", "--absolute-git-dir"))


def _racy_entries(wt: Path, index: Path) -> int:
    """Entries git must re-read by content: written in the index file's second or later."""
    second = index.stat().st_mtime_ns // 1_000_000_000
    out = subprocess.run(
        ["git", "ls-files", "--debug"],
        cwd=wt,
        env={**os.environ, **GIT_ENV, "GIT_INDEX_FILE": str(index)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    mtimes = [line.split()[1] for line in out.splitlines() if line.strip().startswith("mtime:")]
    return sum(1 for m in mtimes if int(m.split(":")[0]) >= second)


def _refresh(wt: Path) -> None:
    with Workspace(wt) as ws:
        ws.refresh()


def test_a_fresh_worktree_is_hashed_by_the_first_scan_only(repo: Repo) -> None:
    """A worktree git just checked out is all racily clean entries; the first scan's
    git refreshes agentls's copy, so later scans compare stat data. The real index is
    left exactly as it was, racy entries and all."""
    for i in range(40):
        repo.write(repo.main, f"f{i}.txt", numbered(5, f"f{i}"))
    repo.commit(repo.main, "base")
    wt = repo.worktree("wt", "feature")
    real = _gitdir(wt) / "index"
    before = real.stat()
    assert _racy_entries(wt, real) > 30  # the checkout wrote files and index in one second
    time.sleep(1.1)
    _refresh(wt)
    copy = next(c for c in _copies(repo) if "worktrees" in c.parts)
    assert _racy_entries(wt, copy) == 0
    assert copy.stat().st_mtime_ns > before.st_mtime_ns  # git wrote the copy
    after = real.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (
        before.st_ino,
        before.st_mtime_ns,
        before.st_size,
    )
    assert _racy_entries(wt, real) > 30
    assert not (_gitdir(wt) / "index.lock").exists()


def test_an_edit_in_the_second_of_agentls_own_scan_is_seen(repo: Repo) -> None:
    """git wrote the copy in that second: the same-size edit is racy for it, and re-read."""
    wt = _base(repo)
    repo.write(wt, "a.txt", "1234\n")
    repo.commit(wt, "four bytes")
    time.sleep(1.1)
    _refresh(wt)  # the copy exists and is refreshed
    time.sleep(1.1)
    _same_second(lambda: _refresh(wt), lambda: repo.write(wt, "a.txt", "5678\n"))
    time.sleep(1.1)
    state = assert_snapshot_is_git_add_all(wt)
    assert "a.txt" in state.uncommitted


def test_staging_and_unstaging_make_a_new_copy(repo: Repo) -> None:
    """Every write of the real index is a new file: the copy of the old one is never
    used again, and is removed."""
    wt = _base(repo)
    repo.write(wt, "a.txt", numbered(10, "edited"))
    assert_snapshot_is_git_add_all(wt)
    git(wt, "add", "a.txt")
    staged = assert_snapshot_is_git_add_all(wt)
    assert "a.txt" in staged.uncommitted
    repo.write(wt, "a.txt", numbered(10))  # back to HEAD's bytes; the index keeps the edit
    assert "a.txt" not in assert_snapshot_is_git_add_all(wt).uncommitted
    # An ignored file counts only while the index tracks it: a stale copy would differ.
    repo.write(wt, "debug.log", "kept\n")
    git(wt, "add", "-f", "debug.log")
    assert "debug.log" in assert_snapshot_is_git_add_all(wt).uncommitted
    git(wt, "rm", "-q", "--cached", "debug.log")
    assert "debug.log" not in assert_snapshot_is_git_add_all(wt).uncommitted
    git(wt, "add", "-f", "debug.log")
    git(wt, "reset", "-q")
    assert not assert_snapshot_is_git_add_all(wt).uncommitted
    copies = [c for c in _copies(repo) if "worktrees" in c.parts]
    assert len(copies) == 1
    info = (_gitdir(wt) / "index").stat()
    assert copies[0].name.startswith(f"{info.st_ino}-{info.st_size}-{info.st_mtime_ns}-")


def test_a_split_index_is_copied_whole_and_its_shared_files_left_alone(repo: Repo) -> None:
    wt = _base(repo)
    git(wt, "update-index", "--split-index")
    gitdir = _gitdir(wt)
    shared = sorted(p.name for p in gitdir.glob("sharedindex.*"))
    assert shared  # the real index now lives in two files
    repo.write(wt, "dir/x.txt", numbered(5, "changed"))
    time.sleep(1.1)
    assert "dir/x.txt" in assert_snapshot_is_git_add_all(wt).uncommitted
    repo.write(wt, "a.txt", "new\n")
    assert {"a.txt", "dir/x.txt"} <= set(assert_snapshot_is_git_add_all(wt).uncommitted)
    assert sorted(p.name for p in gitdir.glob("sharedindex.*")) == shared
    copy = next(c for c in _copies(repo) if "worktrees" in c.parts)
    assert b"link" not in copy.read_bytes()[-200:]  # written whole: no split-index link


def test_a_planted_link_is_never_written_through(repo: Repo, tmp_path: Path) -> None:
    """A folder agentls did not make is not used: the scan reads the real index, as before."""
    wt = _base(repo)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    scratch = repo.main / ".git" / "agentls" / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "status").symlink_to(elsewhere)
    repo.write(wt, "a.txt", "edited\n")
    assert "a.txt" in assert_snapshot_is_git_add_all(wt).uncommitted
    assert list(elsewhere.iterdir()) == []


def test_copies_of_removed_worktrees_and_stale_leftovers_are_cleaned(repo: Repo) -> None:
    wt = _base(repo)
    other = repo.worktree("other", "other")
    _refresh(wt)
    folders = {c.parent.name for c in _copies(repo)}
    assert {"wt", "other"} <= folders
    status = repo.main / ".git" / "agentls" / "tmp" / "status"
    copy = next((status / "worktrees" / "wt").glob("*.index"))
    stale = Path(f"{copy}.lock")
    stale.write_bytes(b"")
    old = time.time() - STALE_AGE - 10
    os.utime(stale, (old, old))
    fresh = copy.parent / ".copy-1-1.tmp"  # a copy being made right now
    fresh.write_bytes(b"")
    git(repo.main, "worktree", "remove", "--force", str(other))
    repository = find_repository(repo.main)
    clean_status_indexes(repository.scratch_dir, repository.common_dir)
    assert not (status / "worktrees" / "other").exists()
    assert copy.exists() and fresh.exists() and not stale.exists()


def test_a_long_running_workspace_drops_a_removed_worktree_copy(repo: Repo) -> None:
    """The engine runs for days: a worktree removed meanwhile takes its copy (the size
    of its index, ~4 MB at 50,000 files) with it at the next re-read of the sessions."""
    wt = _base(repo)
    other = repo.worktree("other", "other")
    status = repo.main / ".git" / "agentls" / "tmp" / "status" / "worktrees"
    with Workspace(wt) as ws:
        ws.refresh()
        assert list((status / "other").glob("*.index"))
        git(repo.main, "worktree", "remove", "--force", str(other))
        ws.refresh()
        assert not (status / "other").exists()
        assert list((status / "wt").glob("*.index"))
