"""File events in corner cases give the same state as a fresh `git add -A` snapshot.

Each test changes a worktree, feeds the file events a watcher would send, and
compares the live session state (every index entry, the change sets, the report)
with a Workspace loaded cold from disk.
"""

from __future__ import annotations

import os
from pathlib import Path

from agentls.changes import SessionState
from agentls.workspace import Workspace
from tests.conftest import Repo, git, numbered


def _setup(repo: Repo) -> Path:
    repo.write(repo.main, "a.txt", numbered(5))
    repo.write(repo.main, "dir/x.txt", numbered(5))
    repo.write(repo.main, "dir/y.txt", numbered(3))
    repo.write(repo.main, "tool.sh", "echo hi\n")
    repo.commit(repo.main, "base")
    return repo.worktree("wt", "feature")


def _entries(state: SessionState) -> dict[str, tuple[str, int]]:
    return state.entries()


def _events(ws: Workspace, wt: Path, *paths: str) -> None:
    for path in paths:
        located = ws.locate(wt / path)
        assert located is not None, path
        ws.file_changed(*located)


def _assert_same_as_cold(ws: Workspace, wt: Path) -> None:
    located = ws.locate(wt / "a.txt")
    assert located is not None
    live = located[0]
    with Workspace(wt) as cold_ws:
        cold_ws.refresh()
        cold = cold_ws.states[live.session.id]
        assert _entries(live) == _entries(cold), "live index differs from git add -A"
        for path in set(_entries(live)) | set(_entries(cold)) | live.changed | cold.changed:
            assert live.entry(path) == cold.entry(path), f"entry({path!r}) is stale"
        assert live.changed == cold.changed
        assert live.uncommitted == cold.uncommitted
        assert live.snapshot_tree() == cold.snapshot_tree()
        live_keys = {c.key() for c in ws.report().overlaps}
        assert live_keys == {c.key() for c in cold_ws.report().overlaps}


def test_file_replaced_by_directory(repo: Repo) -> None:
    wt = _setup(repo)
    with Workspace(wt) as ws:
        ws.refresh()
        (wt / "a.txt").unlink()
        repo.write(wt, "a.txt/inner.txt", "inner\n")
        # One batch: the name first (now a folder), then the file found inside it.
        _events(ws, wt, "a.txt", "a.txt/inner.txt")
        _assert_same_as_cold(ws, wt)


def test_file_replaced_by_directory_events_inside_first(repo: Repo) -> None:
    wt = _setup(repo)
    with Workspace(wt) as ws:
        ws.refresh()
        (wt / "a.txt").unlink()
        repo.write(wt, "a.txt/inner.txt", "inner\n")
        _events(ws, wt, "a.txt/inner.txt")
        _assert_same_as_cold(ws, wt)
        _events(ws, wt, "a.txt")
        _assert_same_as_cold(ws, wt)


def test_directory_replaced_by_file(repo: Repo) -> None:
    wt = _setup(repo)
    with Workspace(wt) as ws:
        ws.refresh()
        for name in ("x.txt", "y.txt"):
            (wt / "dir" / name).unlink()
        (wt / "dir").rmdir()
        repo.write(wt, "dir", "now a file\n")
        _events(ws, wt, "dir")  # the new file first: the old entries below it go with it
        _assert_same_as_cold(ws, wt)
        _events(ws, wt, "dir/x.txt", "dir/y.txt")
        _assert_same_as_cold(ws, wt)


def test_nested_repository_is_one_gitlink(repo: Repo) -> None:
    """git add -A records a nested repository as a gitlink to its HEAD, never its files."""
    wt = _setup(repo)
    nested = wt / "vendor" / "lib"
    nested.mkdir(parents=True)
    git(nested, "init", "-q", "-b", "main")
    repo.write(nested, "lib.c", "int lib;\n")
    repo.commit(nested, "lib")
    with Workspace(wt) as ws:
        ws.refresh()
        _assert_same_as_cold(ws, wt)
        assert "vendor/lib" in ws.states[next(iter(_ids(ws, "feature")))].changed
        repo.write(nested, "lib.c", "int lib2;\n")
        repo.write(nested, "more.c", "int more;\n")
        _events(ws, wt, "vendor/lib/lib.c", "vendor/lib/more.c")
        _assert_same_as_cold(ws, wt)
        repo.commit(nested, "lib moved")  # the gitlink now points elsewhere
        _events(ws, wt, "vendor/lib/lib.c")
        _assert_same_as_cold(ws, wt)


def test_repository_created_after_load_becomes_a_gitlink(repo: Repo) -> None:
    wt = _setup(repo)
    with Workspace(wt) as ws:
        ws.refresh()
        nested = wt / "fresh"
        nested.mkdir()
        git(nested, "init", "-q", "-b", "main")
        repo.write(nested, "f.txt", "f\n")
        repo.commit(nested, "fresh")
        _events(ws, wt, "fresh/f.txt")
        _assert_same_as_cold(ws, wt)


def _ids(ws: Workspace, name: str) -> list[str]:
    return [s.id for s in ws.sessions if s.name == name]


def test_path_through_a_symlinked_folder(repo: Repo) -> None:
    """git stores the symlink, never files reached through it."""
    wt = _setup(repo)
    os.symlink("dir", wt / "alias")
    with Workspace(wt) as ws:
        ws.refresh()
        _events(ws, wt, "alias", "alias/x.txt")
        _assert_same_as_cold(ws, wt)


def test_executable_bit_ignored_with_core_filemode_false(repo: Repo) -> None:
    wt = _setup(repo)
    repo.git(wt, "config", "core.fileMode", "false")
    with Workspace(wt) as ws:
        ws.refresh()
        (wt / "tool.sh").chmod(0o755)
        repo.write(wt, "new.sh", "echo new\n").chmod(0o755)
        _events(ws, wt, "tool.sh", "new.sh")
        _assert_same_as_cold(ws, wt)
        state = ws.locate(wt / "tool.sh")[0]  # type: ignore[index]
        assert "tool.sh" not in state.changed


def test_sparse_checkout_leaves_files_out_of_the_change_set(repo: Repo) -> None:
    wt = _setup(repo)
    with Workspace(wt) as ws:
        ws.refresh()
        repo.git(wt, "sparse-checkout", "set", "--no-cone", "/a.txt", "/tool.sh")
        assert not (wt / "dir" / "x.txt").exists()
        _events(ws, wt, "dir/x.txt", "dir/y.txt")
        _assert_same_as_cold(ws, wt)
        state = ws.locate(wt / "a.txt")[0]  # type: ignore[index]
        assert state.changed == set()


def test_nested_repository_without_commits_does_not_break_the_snapshot(repo: Repo) -> None:
    """`git add -A --ignore-errors` exits 1 on it but still records everything else."""
    wt = _setup(repo)
    git(wt / "dir", "init", "-q", "-b", "main")  # dir/ is tracked, now also a repository
    empty = wt / "scratch"
    empty.mkdir()
    git(empty, "init", "-q", "-b", "main")
    repo.write(empty, "draft.txt", "draft\n")
    repo.write(wt, "a.txt", "changed\n")
    with Workspace(wt) as ws:
        info = ws.refresh().session("feature")
        assert info is not None and "a.txt" in info.changed
        _events(ws, wt, "scratch/draft.txt", "a.txt")
        _assert_same_as_cold(ws, wt)


def test_unsaved_buffers_git_would_not_track_change_nothing(repo: Repo) -> None:
    wt = _setup(repo)
    repo.write(wt, ".gitignore", "*.log\n")
    nested = wt / "vendor"
    nested.mkdir()
    git(nested, "init", "-q", "-b", "main")
    repo.write(nested, "v.c", "int v;\n")
    repo.commit(nested, "v")
    with Workspace(wt) as ws:
        ws.refresh()
        state = ws.locate(wt / "a.txt")[0]  # type: ignore[index]
        before = set(state.changed)
        assert not ws.buffer_changed(state, "debug.log", "typing in an ignored file\n")
        assert not ws.buffer_changed(state, "vendor/v.c", "int edited;\n")
        assert state.changed == before
        assert not ws.buffer_closed(state, "debug.log")
        _assert_same_as_cold(ws, wt)


def test_case_only_rename(repo: Repo) -> None:
    wt = _setup(repo)
    with Workspace(wt) as ws:
        ws.refresh()
        (wt / "a.txt").rename(wt / "A.txt")
        _events(ws, wt, "a.txt", "A.txt")
        _assert_same_as_cold(ws, wt)
        state = ws.locate(wt / "A.txt")[0]  # type: ignore[index]
        assert state.changed == {"a.txt", "A.txt"}


def test_untracked_folder_replaced_by_a_symlink(repo: Repo) -> None:
    wt = _setup(repo)
    with Workspace(wt) as ws:
        ws.refresh()
        repo.write(wt, "new/one.txt", "1\n")
        repo.write(wt, "new/deep/two.txt", "2\n")
        _events(ws, wt, "new/one.txt", "new/deep/two.txt")
        _assert_same_as_cold(ws, wt)
        for name in ("new/one.txt", "new/deep/two.txt"):
            (wt / name).unlink()
        (wt / "new" / "deep").rmdir()
        (wt / "new").rmdir()
        os.symlink("a.txt", wt / "new")
        _events(ws, wt, "new")
        _assert_same_as_cold(ws, wt)


def test_file_against_folder_between_sessions_incrementally(repo: Repo) -> None:
    """One session adds a file where another adds a folder: git reports a conflict."""
    wt = _setup(repo)
    other = repo.worktree("other", "other")
    with Workspace(wt) as ws:
        ws.refresh()
        repo.write(wt, "x/y.txt", "file\n")
        _events(ws, wt, "x/y.txt")
        repo.write(other, "x/y.txt/inner.txt", "inner\n")
        _events(ws, other, "x/y.txt/inner.txt")
        [collision] = ws.report().overlaps
        assert (collision.kind, collision.path) == ("conflict", "x/y.txt")
        _assert_same_as_cold(ws, wt)
        # The folder goes away: so does the clash.
        (other / "x/y.txt/inner.txt").unlink()
        _events(ws, other, "x/y.txt/inner.txt")
        assert not ws.report().overlaps
        _assert_same_as_cold(ws, wt)
