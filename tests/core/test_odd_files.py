"""Files agentls must not read whole, or at all: FIFOs, devices, files past the size limit.

The answer stays git's: `git add -A` skips what is not a regular file, symlink or
repository (keeping a tracked path's entry), and stores big files like any other.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentls import files
from agentls.files import FileTooLarge, NotARegularFile, read_regular
from agentls.workspace import Workspace
from tests.conftest import Repo, numbered


def _cold_entry(wt: Path, rel: str) -> object:
    """RELs entry in a snapshot made from scratch (`git add -A` on a copied index)."""
    with Workspace(wt) as cold:
        cold.refresh()
        located = cold.locate(wt / rel)
        assert located is not None
        state, _ = located
        return state.entry(rel)


def test_fifos_in_a_worktree_are_skipped_like_git_add(repo: Repo) -> None:
    repo.write(repo.main, "tracked.txt", numbered(5))
    repo.commit(repo.main, "base")
    wt = repo.worktree("wt", "feature")
    with Workspace(wt) as ws:
        ws.refresh()
        state, rel = ws.locate(wt / "tracked.txt")  # type: ignore[misc]
        before = state.entry(rel)
        (wt / "tracked.txt").unlink()
        os.mkfifo(wt / "tracked.txt")  # a tracked file replaced by a FIFO
        os.mkfifo(wt / "new-pipe")  # and an untracked one
        assert not ws.file_changed(state, rel)  # returns at once, entry kept
        assert state.entry(rel) == before
        _, new_rel = ws.locate(wt / "new-pipe")  # type: ignore[misc]
        ws.file_changed(state, new_rel)
        assert state.entry(new_rel) is None
        assert _cold_entry(wt, rel) == before  # git add -A agrees
        assert _cold_entry(wt, "new-pipe") is None


def test_files_past_the_limit_are_hashed_by_git(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Larger than agentls reads into memory: git stores it, clean filters included."""
    repo.git(repo.main, "config", "filter.upper.clean", "tr a-z A-Z")
    repo.write(repo.main, ".gitattributes", "*.up filter=upper\n")
    repo.write(repo.main, "big.txt", numbered(50))
    repo.commit(repo.main, "base")
    wt = repo.worktree("wt", "feature")
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 100)
    repo.write(wt, "big.txt", numbered(60))
    repo.write(wt, "big.up", numbered(60))
    with Workspace(wt) as ws:
        ws.refresh()
        for rel in ("big.txt", "big.up"):
            state, located = ws.locate(wt / rel)  # type: ignore[misc]
            (wt / rel).write_text(numbered(70))
            assert ws.file_changed(state, located)
            assert state.entry(rel) == _cold_entry(wt, rel)
        blob = ws.git[state.entry("big.up")[0]].data  # type: ignore[index]
        assert blob == numbered(70).upper().encode()


def test_read_regular_refuses_what_is_not_a_bounded_regular_file(tmp_path: Path) -> None:
    regular = tmp_path / "f"
    regular.write_bytes(b"x" * 10)
    assert read_regular(regular) == b"x" * 10
    with pytest.raises(FileTooLarge):
        read_regular(regular, limit=9)
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(NotARegularFile, match="a FIFO"):
        read_regular(tmp_path / "fifo")
    with pytest.raises(NotARegularFile, match="a device"):
        read_regular("/dev/zero")
    with pytest.raises(NotARegularFile, match="a folder"):
        read_regular(tmp_path)
    (tmp_path / "link").symlink_to(regular)
    assert read_regular(tmp_path / "link") == b"x" * 10
    with pytest.raises(NotARegularFile, match="a symlink"):
        read_regular(tmp_path / "link", follow_symlinks=False)
    with pytest.raises(FileNotFoundError):
        read_regular(tmp_path / "missing")
