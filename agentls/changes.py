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

from agentls.files import FileTooLarge, NotARegularFile, read_regular
from agentls.git.filters import WorktreeFilters
from agentls.git.snapshot import index_worktree, snapshot_commit
from agentls.session_files import NOTES
from agentls.sessions import Session

# A file's identity in a tree: (blob id, mode). None means "absent".
Entry = tuple[str, int] | None

# Session notes (agentls.session_files): git ignores them once agentls has listed them
# in info/exclude; this set also keeps them out of findings in a repository where that
# has not happened yet, and research forks may write them.
NOTES_FILES = frozenset(NOTES)
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
    touched: list[str] = field(default_factory=list)  # paths the last update changed
    _filters: WorktreeFilters | None = None

    # --- building --------------------------------------------------------------

    @classmethod
    def load(
        cls,
        session: Session,
        repo: pygit2.Repository,
        base: str | None,
        scratch: Path,
        index: pygit2.Index | None = None,
    ) -> SessionState:
        """SESSION's state now; INDEX is its worktree's index when already read."""
        if index is None:
            index = index_worktree(session.path, session.worktree.gitdir, scratch)
        state = cls(session=session, repo=repo, base=base, index=index, head=session.head)
        state.base_tree = tree_of(repo, base)
        state.head_tree = tree_of(repo, session.head)
        state.changed = state._diff_from(state.base_tree)
        state.uncommitted = state._diff_from(state.head_tree)
        state.filters.warm()  # pay libgit2's one-time attribute set-up here, not on an edit
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
        """Record PATH's new entry; True when the session's state changed.

        `touched` then lists every path whose entry changed: PATH, plus entries a
        file/folder clash removed (a file where a folder was, or the reverse), as
        `git add -A` removes them.
        """
        old = self.entry(path)
        self.touched = []
        if entry == old:
            return False
        if entry is not None and old is None:
            for clash in self._clashes(path):
                self._store(clash, None)
        self._store(path, entry)
        return True

    def _clashes(self, path: str) -> list[str]:
        """Entries a new entry at PATH replaces: a file above it, or files below it.

        Every entry is either as in HEAD or in `uncommitted`, so the files below PATH
        are found in HEAD's subtree and that set, never by scanning the whole index.
        """
        found = [p for p in _parents(path) if self.entry(p)]
        prefix = path + "/"
        below = {p for p in self.uncommitted if p.startswith(prefix)}
        if self.head_tree is not None:
            try:
                folder = self.head_tree[path]
            except (KeyError, ValueError):
                folder = None
            if folder is not None and folder.filemode == pygit2.enums.FileMode.TREE:
                below.update(prefix + p for p in _walk(folder.peel(pygit2.Tree)))
        return found + sorted(p for p in below if self.entry(p) is not None)

    def _store(self, path: str, entry: Entry) -> None:
        if entry is None:
            self.index.remove(path)
        else:
            mode = pygit2.enums.FileMode(entry[1])
            self.index.add(pygit2.IndexEntry(path, pygit2.Oid(hex=entry[0]), mode))
        self._snapshot = self._tree = None
        self._entries[path] = entry
        self.version += 1
        self.touched.append(path)
        for paths, tree in ((self.changed, self.base_tree), (self.uncommitted, self.head_tree)):
            if entry == tree_entry(self.repo, tree, path):
                paths.discard(path)
            else:
                paths.add(path)

    def read_disk(self, path: str) -> Entry | Literal[False]:
        """PATH's entry from the worktree; False when git would not track it (ignored)."""
        return read_worktree_file(self.repo, self.filters, path, known=self.entry(path))

    @property
    def filters(self) -> WorktreeFilters:
        """The worktree's clean filters and ignore rules (opened on first use)."""
        if self._filters is None or self._filters.worktree != self.session.path:
            self._filters = WorktreeFilters(self.session.path)
        return self._filters

    def stored_path(self, path: str) -> str:
        """Where git records a change to PATH: itself, or the nested repository (gitlink)
        or symlinked folder above it."""
        return self.filters.stored_path(path) if "/" in path else path

    def file_changed_on_disk(self, path: str) -> bool:
        """A watcher saw PATH change. Unsaved buffers keep precedence until closed.

        Call with `stored_path(path)`: a file inside a nested repository changes the
        repository's gitlink, not a path of its own.
        """
        self.touched = []
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
        self.touched = []
        underneath = self.overlays[path] if path in self.overlays else self.entry(path)
        if underneath is None and (self.stored_path(path) != path or self.filters.is_ignored(path)):
            return False  # git would not track it: ignored, or inside a nested repository
        if path not in self.overlays:
            self.overlays[path] = self.entry(path)
        current = self.entry(path)
        mode = current[1] if current else MODE_FILE
        if mode in (MODE_LINK, MODE_GITLINK):
            return False
        data = self.filters.clean(path, text.encode("utf-8", errors="surrogateescape"))
        oid = self.repo.create_blob(data)
        return self.set_entry(path, (str(oid), mode))

    def buffer_closed(self, path: str) -> bool:
        """The editor dropped its buffer: the disk is the truth again."""
        self.touched = []
        if path not in self.overlays:
            return False
        del self.overlays[path]
        entry = self.read_disk(path)
        return self.set_entry(path, None if entry is False else entry)

    def holds_untracked_notes(self) -> bool:
        """An untracked note is in this state: it was read before git ignored notes."""
        return any(
            path in self.uncommitted
            and self.entry(path) is not None
            and tree_entry(self.repo, self.head_tree, path) is None
            for path in NOTES_FILES
        )

    def research_writes(self) -> list[str]:
        return sorted(p for p in self.changed if p not in NOTES_FILES)


def read_worktree_file(
    repo: pygit2.Repository, filters: WorktreeFilters, path: str, *, known: Entry
) -> Entry | Literal[False]:
    """PATH in the worktree of FILTERS as `git add -A` would record it.

    None when git would drop it (the file is gone, or a folder took its place), False
    when git would not track it (a folder, ignored and not KNOWN, or inside a nested
    repository or a symlinked folder). Content goes through the worktree's clean
    filters (CRLF normalisation, ident, filter drivers) as in `git add`; a nested
    repository is a gitlink to its HEAD. New content is written to the object store,
    since merges and diffs need it; content equal to KNOWN is only hashed.
    """
    if "/" in path and filters.stored_path(path) != path:
        return False
    full = filters.worktree / path
    try:
        info = full.lstat()
    except OSError:
        if known is not None and filters.skip_worktree(path):
            return known  # sparse checkout: absent on purpose, git keeps the entry
        return None
    if known is None and filters.is_ignored(path):
        return False
    if stat.S_ISDIR(info.st_mode):
        return _read_folder(filters, path, known)
    if known is not None and filters.sparse and filters.skip_worktree(path):
        return known  # git add leaves entries outside the sparse checkout alone
    if stat.S_ISLNK(info.st_mode):
        data, mode = os.fsencode(os.readlink(full)), MODE_LINK
    elif not stat.S_ISREG(info.st_mode):
        return known if known is not None else False  # a FIFO, socket, device: git add skips it
    else:
        mode = MODE_EXEC if info.st_mode & stat.S_IXUSR else MODE_FILE
        if not filters.trust_executable_bit:
            # core.fileMode=false: the mode git has wins; new files are plain files
            mode = (
                known[1] if known is not None and known[1] in (MODE_FILE, MODE_EXEC) else MODE_FILE
            )
        try:
            data = filters.clean(path, read_regular(full, follow_symlinks=False))
        except FileTooLarge:
            return (filters.store_large(path), mode)  # git hashes it, streaming
        except NotARegularFile:  # swapped for a FIFO or a link since the lstat
            return known if known is not None else False
        except OSError:
            return None
    if known is not None and known == (str(pygit2.hash(data)), mode):
        return known
    return (str(repo.create_blob(data)), mode)


def _read_folder(filters: WorktreeFilters, path: str, known: Entry) -> Entry | Literal[False]:
    """A folder at PATH: a gitlink when it is a repository, else no entry of its own."""
    if os.path.lexists(filters.worktree / path / ".git"):
        head = filters.nested_head(path)
        if head is not None:
            return (head, MODE_GITLINK)
        return known if known is not None else False  # no commit yet: git add skips it
    if known is not None and known[1] == MODE_GITLINK:
        return known  # a submodule that is not checked out: git keeps the gitlink
    # A file (or link) replaced by a folder: git drops it and adds what is inside.
    return None if known is not None else False


def _walk(tree: pygit2.Tree, prefix: str = "") -> list[str]:
    """Every non-tree path in TREE, relative to it."""
    found: list[str] = []
    for item in tree:
        name = prefix + str(item.name)
        if item.filemode == pygit2.enums.FileMode.TREE:
            found += _walk(item.peel(pygit2.Tree), name + "/")
        else:
            found.append(name)
    return found


def _parents(path: str) -> list[str]:
    """The folders above PATH: "a/b/c" -> ["a", "a/b"]."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _diff_paths(diff: pygit2.Diff) -> set[str]:
    paths: set[str] = set()
    for delta in diff.deltas:
        paths.add(delta.old_file.path)
        paths.add(delta.new_file.path)
    return paths
