"""git's clean filters for one worktree: the bytes `git add` would store for a file.

`git add` does not store a file's bytes as they are: CRLF normalisation
(core.autocrlf, `text`, `text=auto`, `eol`), `ident` keyword collapsing, filter
drivers (`filter=lfs`) and `working-tree-encoding` all run first. Snapshots get
this for free from `git add -A`; the per-file paths (file events, unsaved
buffers, the hook check) must apply the same rules or an untouched file looks
changed after any event.

libgit2 applies crlf and ident in-process (~15 µs a file when attributes apply).
It runs no external filter drivers and knows no working-tree-encoding, so paths
using those ask git itself (`git hash-object --path`, one process).
"""

from __future__ import annotations

from pathlib import Path

import pygit2
from pygit2 import C, ffi

from agentls.errors import GitError
from agentls.git.runner import run_git_bytes


class WorktreeFilters:
    """Clean filters and ignore rules of one worktree, read with pygit2."""

    def __init__(self, worktree: Path) -> None:
        self.worktree = worktree
        self._repo: pygit2.Repository | None = None
        self._index_mtime: int | None = None

    @property
    def repo(self) -> pygit2.Repository:
        """The worktree opened as a repository (its index, attributes and config)."""
        if self._repo is None:
            self._repo = pygit2.Repository(str(self.worktree))
        return self._repo

    def is_ignored(self, path: str) -> bool:
        try:
            return bool(self.repo.path_is_ignored(path))
        except pygit2.GitError:
            return False

    def clean(self, path: str, data: bytes) -> bytes:
        """DATA as `git add PATH` would store it."""
        try:
            repo = self.repo
            if self._needs_git(repo, path):
                return self._clean_with_git(repo, path, data)
            filters = repo.load_filter_list(path)
            if filters is None:
                return data
            if "crlf" in filters:
                self._refresh_index(repo)  # git keeps CRs a file already has in the index
            return _apply(filters, data)
        except (pygit2.GitError, GitError, OSError, ValueError, KeyError):
            # e.g. core.safecrlf=true refusing the conversion: git add fails too
            return data

    def _needs_git(self, repo: pygit2.Repository, path: str) -> bool:
        """PATH uses a configured filter driver or a working-tree-encoding."""
        if repo.get_attr(path, "working-tree-encoding"):
            return True
        driver = repo.get_attr(path, "filter")
        if not isinstance(driver, str):
            return False
        config = repo.config
        return any(f"filter.{driver}.{key}" in config for key in ("clean", "process"))

    def _clean_with_git(self, repo: pygit2.Repository, path: str, data: bytes) -> bytes:
        proc = run_git_bytes(
            ["hash-object", "-w", "--stdin", f"--path={path}"], cwd=self.worktree, input=data
        )
        return bytes(repo[proc.stdout.decode().strip()].peel(pygit2.Blob).data)

    def _refresh_index(self, repo: pygit2.Repository) -> None:
        # libgit2 reads the worktree's index once; re-read it when git rewrote it.
        index_file = Path(repo.path) / "index"
        try:
            mtime = index_file.stat().st_mtime_ns
        except OSError:
            return
        if mtime != self._index_mtime:
            self._index_mtime = mtime
            repo.index.read(False)


def _apply(filters: pygit2.filter.FilterList, data: bytes) -> bytes:
    # FilterList.apply_to_buffer stops at the first NUL byte (ffi.string); keep them all.
    buf = ffi.new("git_buf *")
    err = C.git_filter_list_apply_to_buffer(buf, filters._pointer, data, len(data))
    try:
        if err < 0:
            raise pygit2.GitError(f"clean filter failed ({err})")
        return bytes(ffi.buffer(buf.ptr, buf.size)) if buf.ptr != ffi.NULL else b""
    finally:
        C.git_buf_dispose(buf)
