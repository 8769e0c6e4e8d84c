"""Change sets: what one session changed, kept current one file at a time.

A session's state is its HEAD's tree plus the entries where its worktree differs
from it (staged, unstaged, untracked; agentls.git.trees). `git status` names those
paths, comparing stat data against the worktree's own index the way git does, and
only they are read and hashed (agentls.git.snapshot); after that, file events and
unsaved buffers update one entry at a time. Until its worktree is scanned a state
is its HEAD plus whatever files were read since (`loaded` is False): the engine
answers for the files open in editors that way while the scans run.

Nothing here writes to the session's index, files or refs; new blobs and snapshot
commits go to the shared object store, as `git stash create` would.
"""

from __future__ import annotations

import os
import stat
from collections.abc import KeysView
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pygit2

from agentls.files import FileTooLarge, NotARegularFile, read_regular
from agentls.git.filters import ATTRIBUTES_FILE, WorktreeFilters
from agentls.git.trees import Entry, OverlayTree, changed_paths
from agentls.git.trees import tree_entry as _tree_entry
from agentls.session_files import NOTES
from agentls.sessions import Session

if TYPE_CHECKING:  # scans and snapshot commits load on first use: the hook takes neither
    from agentls.git.snapshot import Scan, WorktreeChange

__all__ = ["NOTES_FILES", "Entry", "SessionState", "read_worktree_file", "tree_entry", "tree_of"]

# Session notes (agentls.session_files): git ignores them once agentls has listed them
# in info/exclude; this set also keeps them out of findings in a repository where that
# has not happened yet, and research forks may write them.
NOTES_FILES = frozenset(NOTES)
MODE_FILE, MODE_EXEC, MODE_LINK, MODE_GITLINK = 0o100644, 0o100755, 0o120000, 0o160000


def tree_entry(repo: pygit2.Repository, tree: pygit2.Tree | None, path: str) -> Entry:
    """PATH's entry in TREE (a file, not a folder), or None."""
    return _tree_entry(tree, path)


def tree_of(repo: pygit2.Repository, commit: str | None) -> pygit2.Tree | None:
    if not commit:
        return None
    obj = repo[commit]
    return obj.peel(pygit2.Tree)


@dataclass(eq=False)
class SessionState:
    """The live state of one session's worktree."""

    session: Session
    repo: pygit2.Repository  # the shared object store
    base: str | None  # commit the change set is measured from
    head: str | None
    base_tree: pygit2.Tree | None = None
    changed: set[str] = field(default_factory=set)  # paths differing from the base
    head_tree: pygit2.Tree | None = None
    # Unsaved editor buffers: path -> the entry the file has on disk underneath.
    overlays: dict[str, Entry] = field(default_factory=dict)
    loaded: bool = False  # the worktree was scanned (else: HEAD plus the files read since)
    version: int = 0  # bumped on every change, for caches of derived views
    touched: list[str] = field(default_factory=list)  # paths the last update changed
    _tree: OverlayTree | None = None  # HEAD's tree plus the entries that differ from it
    _snapshot: str | None = None
    _tree_id: str | None = None
    # Tree lookups by path cost microseconds each; the hot path asks for the same few
    # paths over and over, so remember answers until they change.
    _entries: dict[str, Entry] = field(default_factory=dict)
    _filters: WorktreeFilters | None = None
    _index_attributes: set[str] = field(default_factory=set)  # the scan saw them in the index
    _committed: set[str] | None = None  # paths differing between the base and HEAD
    _read_while_scanning: set[str] | None = None  # file events since begin_scan

    # --- building --------------------------------------------------------------

    @classmethod
    def start(cls, session: Session, repo: pygit2.Repository, base: str | None) -> SessionState:
        """The session as its HEAD has it; `scan()` adds what its worktree changed."""
        state = cls(session=session, repo=repo, base=base, head=session.head)
        state.base_tree = tree_of(repo, base)
        state.head_tree = tree_of(repo, session.head)
        state._tree = OverlayTree(repo, state.head_tree)
        state.changed = state._changed_from_base()
        return state

    @classmethod
    def load(
        cls,
        session: Session,
        repo: pygit2.Repository,
        base: str | None,
        scratch_dir: Path | None = None,
    ) -> SessionState:
        """The session's whole current state: tracked, staged, unstaged, untracked."""
        state = cls.start(session, repo, base)
        state.scan(scratch_dir)
        return state

    def begin_scan(self, scratch_dir: Path | None = None) -> Scan:
        """Start `git status` on the worktree (in the background); then `finish_scan`.

        With SCRATCH_DIR (the repository's), git reads and refreshes agentls's copy of
        the worktree's index there (agentls.git.status_index), not the real one.
        Files that change on disk meanwhile are read again when the scan is taken in:
        git may have looked at them before they changed.
        """
        from agentls.git.snapshot import Scan
        from agentls.git.status_index import status_index

        self._read_while_scanning = set()
        index = status_index(self.session.worktree, scratch_dir) if scratch_dir else None
        return Scan(self.session.path, index)

    def scan(self, scratch_dir: Path | None = None) -> None:
        self.finish_scan(self.begin_scan(scratch_dir))

    def finish_scan(self, scan: Scan | list[WorktreeChange]) -> None:
        """Take the worktree's state from a scan: its HEAD plus every path git says
        differs, read from disk as `git add -A` would. Unsaved buffers stay on top."""
        changes = scan if isinstance(scan, list) else scan.result()
        buffers = {path: self.entry(path) for path in self.overlays}
        tree = OverlayTree(self.repo, self.head_tree)
        # git falls back to the index's attribute files: know them before reading files.
        attributes = {c.path for c in changes if c.index and _is_attributes_file(c.path)}
        if attributes != self._index_attributes:
            self._index_attributes = attributes
            self.filters.forget_rules()
        on_disk: list[str] = []  # paths where a file was read from disk
        with self.filters.batch():
            for change in changes:
                entry = change.index
                if change.read_disk:
                    found = read_worktree_file(self.repo, self.filters, change.path, known=entry)
                    if found is not False:  # False: git would not add it; the entry stays
                        entry = found
                        if found is not None:
                            on_disk.append(change.path)
                tree.set(change.path, entry)
        # A file on disk where HEAD or the index has a folder leaves nothing below it, as
        # `git add -A` drops those files. git status need not name them: through a link
        # that points at itself their lstat fails with ELOOP, which git does not call gone.
        for path in on_disk:
            for below in tree.files_below(path):
                tree.set(below, None)
        for path, entry in buffers.items():
            self.overlays[path] = tree.get(path)
            tree.set(path, entry)
        self._tree = tree
        self._entries.clear()
        self._snapshot = self._tree_id = None
        self.changed = self._changed_from_base()
        self.loaded = True
        self.version += 1
        again, self._read_while_scanning = self._read_while_scanning, None
        for path in sorted(again or ()):
            self.file_changed_on_disk(path)
        self.touched = []

    def _tracked_attributes(self, path: str) -> bool:
        """An attributes file missing from the worktree that git still reads from the
        index: only a skip-worktree one (sparse checkouts). `git add -A` stages the
        deletion of any other before it reads an attribute."""
        in_index = path in self._index_attributes or _tree_entry(self.head_tree, path) is not None
        return in_index and self.filters.skip_worktree(path)

    def _changed_from_base(self) -> set[str]:
        """Paths that differ between the base and the current state (no rename detection):
        among the committed work (base to HEAD, compared once) and the uncommitted paths."""
        overlay = self.overlay
        if self.base_tree is None:  # unborn or unrelated history: everything is new
            return set(overlay.under(""))
        if self._committed is None:
            self._committed = changed_paths(self.repo, self.base_tree, self.head_tree)
        candidates = self._committed | overlay.paths
        return {p for p in candidates if self.entry(p) != self.base_entry(p)}

    @property
    def overlay(self) -> OverlayTree:
        assert self._tree is not None, "use SessionState.start or load"
        return self._tree

    @property
    def uncommitted(self) -> KeysView[str]:
        """Paths whose entry differs from HEAD."""
        return self.overlay.paths

    @property
    def dirty(self) -> bool:
        return bool(self.overlay.paths)

    # --- reading ---------------------------------------------------------------

    def entry(self, path: str) -> Entry:
        """PATH as this session has it now (unsaved buffers included)."""
        if path in self._entries:
            return self._entries[path]
        found = self.overlay.get(path)
        self._entries[path] = found
        return found

    def entries(self) -> dict[str, tuple[str, int]]:
        """Every file of the current state (walks HEAD's whole tree: for checks, not hot paths)."""
        found: dict[str, tuple[str, int]] = {}
        for path in self.overlay.under(""):
            entry = self.entry(path)
            if entry is not None:
                found[path] = entry
        return found

    def paths_under(self, folder: str) -> list[str]:
        """Every file at FOLDER (a gitlink, say) or below it."""
        return self.overlay.under(folder)

    def base_entry(self, path: str) -> Entry:
        return _tree_entry(self.base_tree, path)

    def snapshot_tree(self) -> str:
        if self._tree_id is None:
            self._tree_id = self.overlay.write()
        return self._tree_id

    @property
    def known_tree(self) -> str | None:
        """The snapshot tree if it was computed since the last change, else None (free)."""
        return self._tree_id

    def snapshot(self) -> str:
        """A commit of everything this session has now, on top of its HEAD."""
        if self._snapshot is None:
            from agentls.git.snapshot import snapshot_commit

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
        self.overlay.set(path, entry)
        self._snapshot = self._tree_id = None
        self._entries[path] = entry
        self.version += 1
        self.touched.append(path)
        if entry == self.base_entry(path):
            self.changed.discard(path)
        else:
            self.changed.add(path)

    def read_disk(self, path: str) -> Entry | Literal[False]:
        """PATH's entry from the worktree; False when git would not track it (ignored)."""
        return read_worktree_file(self.repo, self.filters, path, known=self.entry(path))

    @property
    def filters(self) -> WorktreeFilters:
        """The worktree's clean filters and ignore rules (opened on first use)."""
        if self._filters is None or self._filters.worktree != self.session.path:
            self._filters = WorktreeFilters(self.session.path, self._tracked_attributes)
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
        if self._read_while_scanning is not None:
            self._read_while_scanning.add(path)
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


def _is_attributes_file(path: str) -> bool:
    return path == ATTRIBUTES_FILE or path.endswith("/" + ATTRIBUTES_FILE)


def _parents(path: str) -> list[str]:
    """The folders above PATH: "a/b/c" -> ["a", "a/b"]."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]
