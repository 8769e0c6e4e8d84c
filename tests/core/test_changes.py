"""Change sets: committed, staged, unstaged, untracked, ignored, racy edits, unsaved buffers."""

from __future__ import annotations

import os
import time
from pathlib import Path

from agentls.workspace import Workspace
from tests.conftest import Repo, git, numbered


def _setup(repo: Repo) -> Path:
    repo.write(repo.main, "a.txt", numbered(20))
    repo.write(repo.main, "b.txt", numbered(5))
    repo.write(repo.main, ".gitignore", "node_modules/\n*.log\n")
    repo.commit(repo.main, "base")
    return repo.worktree("wt", "feature")


def test_change_set_covers_every_kind_of_work(repo: Repo) -> None:
    wt = _setup(repo)
    repo.write(wt, "committed.txt", "c\n")
    repo.commit(wt, "work")
    repo.write(wt, "staged.txt", "s\n")
    repo.git(wt, "add", "staged.txt")
    repo.write(wt, "a.txt", numbered(20).replace("line 3\n", "changed\n"))
    repo.write(wt, "untracked dir/ü.txt", "u\n")
    repo.write(wt, "node_modules/x/index.js", "ignored\n")
    repo.write(wt, "debug.log", "ignored\n")
    (wt / "b.txt").unlink()
    index_before = (wt / ".git").read_text()
    status_before = repo.git(wt, "status", "--porcelain")  # may refresh the index itself
    real_index = Path(repo.git(wt, "rev-parse", "--absolute-git-dir")) / "index"
    stat_before = real_index.stat()
    with Workspace(wt) as ws:
        info = ws.refresh().session("feature")
    assert info is not None
    assert info.changed == sorted(
        ["committed.txt", "staged.txt", "a.txt", "untracked dir/ü.txt", "b.txt"]
    )
    assert info.dirty
    # Nothing of the session was touched.
    assert (wt / ".git").read_text() == index_before
    assert real_index.stat().st_mtime_ns == stat_before.st_mtime_ns
    assert real_index.stat().st_ino == stat_before.st_ino
    assert repo.git(wt, "status", "--porcelain") == status_before


def test_rename_counts_as_delete_plus_add(repo: Repo) -> None:
    wt = _setup(repo)
    repo.git(wt, "mv", "a.txt", "moved.txt")
    with Workspace(wt) as ws:
        info = ws.refresh().session("feature")
    assert info is not None and info.changed == ["a.txt", "moved.txt"]


def test_racy_edit_right_after_commit_is_seen(repo: Repo) -> None:
    """Same size, same second as the index write: only a kept index mtime catches it."""
    wt = _setup(repo)
    for _attempt in range(20):
        repo.write(wt, "b.txt", "AAAA\n")
        start = int(time.time())
        repo.commit(wt, "racy")
        repo.write(wt, "b.txt", "BBBB\n")  # same size as the committed content
        if int(time.time()) == start:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("could not make an edit within the commit's second")
    time.sleep(1.1)  # the snapshot is taken a second later, as the design rules describe
    with Workspace(wt) as ws:
        info = ws.refresh().session("feature")
    assert info is not None and info.dirty, "an edit of equal size made in the commit's second"


def test_unsaved_buffer_counts_and_closing_restores_disk(repo: Repo) -> None:
    wt = _setup(repo)
    other = repo.worktree("other", "other")
    repo.write(other, "a.txt", numbered(20).replace("line 10\n", "theirs\n"))
    with Workspace(wt) as ws:
        ws.refresh()
        assert not ws.report().overlaps
        state, rel = ws.locate(wt / "a.txt")  # type: ignore[misc]
        assert rel == "a.txt"
        ws.buffer_changed(state, rel, numbered(20).replace("line 10\n", "mine\n"))
        [collision] = ws.report().overlaps
        assert (collision.kind, collision.path) == ("conflict", "a.txt")
        assert collision.ranges == {"feature": [(10, 10)], "other": [(10, 10)]}
        ws.buffer_closed(state, rel)
        assert not ws.report().overlaps
        assert (wt / "a.txt").read_text() == numbered(20)  # never written by agentls


def test_events_in_ignored_folders_change_nothing(repo: Repo) -> None:
    wt = _setup(repo)
    with Workspace(wt) as ws:
        ws.refresh()
        path = repo.write(wt, "node_modules/pkg/index.js", "x\n")
        located = ws.locate(path)
        assert located is not None
        assert not ws.file_changed(*located)
        assert ws.locate(wt / ".git") is None


def test_symlink_and_mode_changes(repo: Repo) -> None:
    wt = _setup(repo)
    os.symlink("a.txt", wt / "link")
    (wt / "b.txt").chmod(0o755)
    with Workspace(wt) as ws:
        info = ws.refresh().session("feature")
    assert info is not None and info.changed == ["b.txt", "link"]


def test_session_that_branched_before_trunk_moved(repo: Repo) -> None:
    wt = _setup(repo)
    repo.write(repo.main, "a.txt", numbered(20).replace("line 1\n", "trunk\n"))
    repo.commit(repo.main, "landed")
    repo.write(wt, "a.txt", numbered(20).replace("line 1\n", "mine\n"))
    with Workspace(wt) as ws:
        report = ws.refresh()
    info = report.session("feature")
    assert info is not None and info.behind == 1 and info.changed == ["a.txt"]
    [collision] = report.overlaps
    assert collision.kind == "conflict" and set(collision.sessions) == {"main", "feature"}
    git(repo.main, "log", "--oneline")


def test_a_rescan_reads_work_no_event_reported(repo: Repo) -> None:
    """A plain refresh re-reads only worktrees whose HEAD moved (events bring the
    rest); a rescan, what a person's explicit refresh asks for, reads them all, and
    keeps unsaved buffers."""
    wt = _setup(repo)
    with Workspace(wt) as ws:
        ws.refresh()
        repo.write(wt, "quiet.txt", "written while nobody fed an event\n")
        state = ws.states[ws.session("feature").id]
        ws.buffer_changed(state, "b.txt", "unsaved\n")
        ws.scan(ws.begin())
        ws.reconcile()
        assert "quiet.txt" not in ws.report().session("feature").changed
        ws.scan(ws.begin(rescan=True))
        ws.reconcile()
        changed = ws.report().session("feature").changed
        assert "quiet.txt" in changed and "b.txt" in changed
        assert ws.states[ws.session("feature").id].overlays.keys() == {"b.txt"}
