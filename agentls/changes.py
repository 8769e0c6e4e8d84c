"""Change sets: what one session changed, kept current one file at a time.

A session's state is an in-memory index of its whole worktree (built once from a
copy of its real index with `git add -A`, then updated per file event or unsaved
buffer) plus the base it is compared against. Nothing here writes to the
session's index, files or refs; new blobs and snapshot commits go to the shared
object store, as `git stash create` would.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pygit2

from agentls.git.filters import WorktreeFilters
from agentls.git.snapshot import index_worktree, snapshot_commit
from agentls.sessions import Session

# A file's identity in a tree: (blob id, mode). None means "absent".
Entry = tuple[str, int] | None

ALWAYS_ALLOWED_IN_RESEARCH = frozenset({"HANDOFF.md", "BRIEF.md"})
MODE_FILE, MODE_EXEC, MODE_LINK, MODE_GITLINK = 0o100644, 0o100755, 0o120000, 0o160000


def tree_entry(repo: pygit2.Repository, tree: pygit2.Tree | None, path: str) -> Entry:
    """PATH's entry in TREE (a file, not a folder), or None."""
    if tree is None:
        return None
    try:
        obj = tree[path]
    except (KeyError, ValueError):
        return None
    if obj.filemode == pygit2.enums.FileMode.TREE:
        return None
    return (str(obj.id), int(obj.filemode))


def tree_of(repo: pygit2.Repository, commit: str | None) -> pygit2.Tree | None:
    if not commit:
        return None
    obj = repo[commit]
    return obj.peel(pygit2.Tree)


@dataclass
class SessionState:
    """The live state of one session's worktree."""

    session: Session
    repo: pygit2.Repository  # the shared object store
    base: str | None  # commit the change set is measured from
    index: pygit2.Index
    head: str | None
    base_tree: pygit2.Tree | None = None
    changed: set[str] = field(default_factory=set)
    head_tree: pygit2.Tree | None = None
    uncommitted: set[str] = field(default_factory=set)  # paths differing from HEAD
    # Unsaved editor buffers: path -> the entry the file has on disk underneath.
    overlays: dict[str, Entry] = field(default_factory=dict)
    _snapshot: str | None = None
    _tree: str | None = None
    # pygit2's index lookups cost ~10 µs each through its Python wrapper; the hot path
    # asks for the same few paths over and over, so remember answers until they change.
    _entries: dict[str, Entry] = field(default_factory=dict)
    version: int = 0  # bumped on every change, for caches of derived views
    _filters: WorktreeFilters | None = None

    # --- building --------------------------------------------------------------

    @classmethod
    def load(
        cls, session: Session, repo: pygit2.Repository, base: str | None, scratch: Path
    ) -> SessionState:
        index = index_worktree(session.path, session.worktree.gitdir, scratch)
        state = cls(session=session, repo=repo, base=base, index=index, head=session.head)
        state.base_tree = tree_of(repo, base)
        state.head_tree = tree_of(repo, session.head)
        state.changed = state._diff_from(state.base_tree)
        state.uncommitted = state._diff_from(state.head_tree)
        return state

    def _diff_from(self, tree: pygit2.Tree | None) -> set[str]:
        """Paths that differ between TREE and the current snapshot (no rename detection)."""
        if tree is None:  # unborn or unrelated history: everything is new
            return {entry.path for entry in self.index}
        return _diff_paths(tree.diff_to_tree(self.repo[self.snapshot_tree()].peel(pygit2.Tree)))

    @property
    def dirty(self) -> bool:
        return bool(self.uncommitted)

    # --- reading ---------------------------------------------------------------

    def entry(self, path: str) -> Entry:
        """PATH as this session has it now (unsaved buffers included)."""
        if path in self._entries:
            return self._entries[path]
        try:
            item = self.index[path]
            found: Entry = (str(item.id), int(item.mode))
        except KeyError:
            found = None
        self._entries[path] = found
        return found

    def base_entry(self, path: str) -> Entry:
        return tree_entry(self.repo, self.base_tree, path)

    def snapshot_tree(self) -> str:
        if self._tree is None:
            self._tree = str(self.index.write_tree(self.repo))
        return self._tree

    def snapshot(self) -> str:
        """A commit of everything this session has now, on top of its HEAD."""
        if self._snapshot is None:
            self._snapshot = snapshot_commit(self.repo, self.snapshot_tree(), self.head)
        return self._snapshot

    # --- updating ---------------------------------------------------------------

    def set_entry(self, path: str, entry: Entry) -> bool:
        """Record PATH's new entry; True when the session's state changed."""
        if entry == self.entry(path):
            return False
        if entry is None:
            self.index.remove(path)
        else:
            mode = pygit2.enums.FileMode(entry[1])
            self.index.add(pygit2.IndexEntry(path, pygit2.Oid(hex=entry[0]), mode))
        self._snapshot = self._tree = None
        self._entries[path] = entry
        self.version += 1
        for paths, tree in ((self.changed, self.base_tree), (self.uncommitted, self.head_tree)):
            if entry == tree_entry(self.repo, tree, path):
                paths.discard(path)
            else:
                paths.add(path)
        return True

    def read_disk(self, path: str) -> Entry | Literal[False]:
        """PATH's entry from the worktree; False when git would not track it (ignored)."""
        return read_worktree_file(self.repo, self.filters, path, known=self.entry(path))

    @property
    def filters(self) -> WorktreeFilters:
        """The worktree's clean filters and ignore rules (opened on first use)."""
        if self._filters is None or self._filters.worktree != self.session.path:
            self._filters = WorktreeFilters(self.session.path)
        return self._filters

    def file_changed_on_disk(self, path: str) -> bool:
        """A watcher saw PATH change. Unsaved buffers keep precedence until closed."""
        if path in self.overlays:
            entry = self.read_disk(path)
            self.overlays[path] = None if entry is False else entry
            return False
        entry = self.read_disk(path)
        if entry is False:
            return False
        return self.set_entry(path, entry)

    def buffer_changed(self, path: str, text: str) -> bool:
        """An editor holds unsaved TEXT for PATH: it is this session's state now."""
        if path not in self.overlays:
            self.overlays[path] = self.entry(path)
        current = self.entry(path)
        mode = current[1] if current else MODE_FILE
        if mode == MODE_LINK:
            return False
        data = self.filters.clean(path, text.encode("utf-8", errors="surrogateescape"))
        oid = self.repo.create_blob(data)
        return self.set_entry(path, (str(oid), mode))

    def buffer_closed(self, path: str) -> bool:
        """The editor dropped its buffer: the disk is the truth again."""
        if path not in self.overlays:
            return False
        del self.overlays[path]
        entry = self.read_disk(path)
        return self.set_entry(path, None if entry is False else entry)

    def research_writes(self) -> list[str]:
        return sorted(p for p in self.changed if p not in ALWAYS_ALLOWED_IN_RESEARCH)


def read_worktree_file(
    repo: pygit2.Repository, filters: WorktreeFilters, path: str, *, known: Entry
) -> Entry | Literal[False]:
    """PATH in the worktree of FILTERS as `git add -A` would record it.

    None when the file is gone, False when git would not track it (a folder, or
    ignored and not KNOWN). Content goes through the worktree's clean filters (CRLF
    normalisation, ident, filter drivers) as in `git add`. New content is written to
    the object store, since merges and diffs need it; content equal to KNOWN is only
    hashed.
    """
    full = filters.worktree / path
    try:
        info = full.lstat()
    except OSError:
        return None
    if stat.S_ISDIR(info.st_mode):
        return False
    if known is None and filters.is_ignored(path):
        return False
    if stat.S_ISLNK(info.st_mode):
        data, mode = os.fsencode(os.readlink(full)), MODE_LINK
    else:
        try:
            data = filters.clean(path, full.read_bytes())
        except OSError:
            return None
        mode = MODE_EXEC if info.st_mode & stat.S_IXUSR else MODE_FILE
    if known is not None and known == (str(pygit2.hash(data)), mode):
        return known
    return (str(repo.create_blob(data)), mode)


def _diff_paths(diff: pygit2.Diff) -> set[str]:
    paths: set[str] = set()
    for delta in diff.deltas:
        paths.add(delta.old_file.path)
        paths.add(delta.new_file.path)
    return paths
