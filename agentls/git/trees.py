"""A tree kept as a base tree plus the few file entries that differ from it.

A session's snapshot is its HEAD's tree with its uncommitted files laid over it.
Sessions of one repository share almost every tree and blob, so each holds only
the differing entries; writing the snapshot tree rebuilds just the folders above
changed entries (every other subtree is the base's, by id), and only the folders
touched since the last write.
"""

from __future__ import annotations

import re
from collections.abc import KeysView

import pygit2

Entry = tuple[str, int] | None  # (blob id, mode); None: absent
TREE_MODE = int(pygit2.enums.FileMode.TREE)


def tree_entry(tree: pygit2.Tree | None, path: str) -> Entry:
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


def subtree(tree: pygit2.Tree | None, folder: str) -> pygit2.Tree | None:
    """The folder FOLDER of TREE ("" is TREE itself), or None when it is not a folder."""
    if tree is None or not folder:
        return tree
    try:
        obj = tree[folder]
    except (KeyError, ValueError):
        return None
    if obj.filemode != pygit2.enums.FileMode.TREE:
        return None
    return obj.peel(pygit2.Tree)


def _split(path: str) -> tuple[str, str]:
    folder, _, name = path.rpartition("/")
    return folder, name


class OverlayTree:
    """BASE plus file entries that differ from it (None: the file is gone)."""

    def __init__(self, repo: pygit2.Repository, base: pygit2.Tree | None) -> None:
        self.repo = repo
        self.base = base
        self._changes: dict[str, Entry] = {}
        # folder -> names of changed files directly in it / of changed subfolders
        self._files: dict[str, set[str]] = {}
        self._folders: dict[str, set[str]] = {}
        self._written: dict[str, str | None] = {}  # folder -> its tree id (None: empty)
        self._stale: set[str] = {""}

    # --- reading ----------------------------------------------------------------------

    @property
    def paths(self) -> KeysView[str]:
        """Every path whose entry differs from the base."""
        return self._changes.keys()

    def differs(self, path: str) -> bool:
        return path in self._changes

    def get(self, path: str) -> Entry:
        if path in self._changes:
            return self._changes[path]
        return tree_entry(self.base, path)

    def under(self, folder: str) -> list[str]:
        """Every file at or below FOLDER ("" for all), the base's and the changed ones."""
        found = [p for p in _walk(subtree(self.base, folder), folder) if p not in self._changes]
        if folder and tree_entry(self.base, folder) is not None and folder not in self._changes:
            found.append(folder)
        prefix = folder + "/" if folder else ""
        found += [
            p
            for p, e in self._changes.items()
            if e is not None and (not prefix or p.startswith(prefix) or p == folder)
        ]
        return sorted(found)

    def files_below(self, folder: str) -> list[str]:
        """Every file strictly below FOLDER; [] at once when FOLDER is no folder here."""
        changed_inside = folder in self._files or folder in self._folders
        if not changed_inside and subtree(self.base, folder) is None:
            return []
        return [p for p in self.under(folder) if p != folder]

    # --- changing -----------------------------------------------------------------------

    def set(self, path: str, entry: Entry) -> None:
        """PATH now has ENTRY (None: no file there)."""
        if entry == tree_entry(self.base, path):
            self._forget(path)
            return
        self._changes[path] = entry
        folder, name = _split(path)
        self._files.setdefault(folder, set()).add(name)
        self._mark(folder)
        while folder:
            parent, name = _split(folder)
            self._folders.setdefault(parent, set()).add(name)
            folder = parent

    def _forget(self, path: str) -> None:
        if self._changes.pop(path, False) is False:
            return
        folder, name = _split(path)
        names = self._files.get(folder)
        if names is not None:
            names.discard(name)
        self._mark(folder)
        # Folders with nothing changed below them any more are the base's again.
        while folder and not self._files.get(folder) and not self._folders.get(folder):
            self._files.pop(folder, None)
            self._folders.pop(folder, None)
            self._written.pop(folder, None)
            parent, name = _split(folder)
            siblings = self._folders.get(parent)
            if siblings is not None:
                siblings.discard(name)
            folder = parent

    def _mark(self, folder: str) -> None:
        self._stale.add(folder)
        while folder:
            folder = _split(folder)[0]
            self._stale.add(folder)

    # --- writing ------------------------------------------------------------------------

    def write(self) -> str:
        """The tree id of BASE with every change applied (written to the object store)."""
        if not self._changes and self.base is not None:
            self._stale.clear()
            return str(self.base.id)
        oid = self._write("")
        if oid is None:
            return str(self.repo.TreeBuilder().write())
        return oid

    def _write(self, folder: str) -> str | None:
        if folder not in self._stale and folder in self._written:
            return self._written[folder]
        base = subtree(self.base, folder)
        builder = self.repo.TreeBuilder(base) if base is not None else self.repo.TreeBuilder()
        prefix = folder + "/" if folder else ""
        for name in self._files.get(folder, ()):
            entry = self._changes.get(prefix + name)
            current = builder.get(name)
            if entry is not None:
                builder.insert(name, pygit2.Oid(hex=entry[0]), entry[1])
            elif current is not None and current.filemode != pygit2.enums.FileMode.TREE:
                builder.remove(name)
        for name in self._folders.get(folder, ()):
            if (prefix + name) in self._changes and self._changes[prefix + name] is not None:
                continue  # a file took the folder's place: nothing of the folder is left
            inner = self._write(prefix + name)
            current = builder.get(name)
            if inner is not None:
                builder.insert(name, pygit2.Oid(hex=inner), TREE_MODE)
            elif current is not None and current.filemode == pygit2.enums.FileMode.TREE:
                builder.remove(name)
        oid = str(builder.write()) if len(builder) else None
        self._written[folder] = oid
        self._stale.discard(folder)  # folders a file replaced stay stale until rebuilt
        return oid


def changed_paths(
    repo: pygit2.Repository, old: pygit2.Tree | None, new: pygit2.Tree | None
) -> set[str]:
    """Files that differ between two trees of REPO, as a tree diff without rename
    detection lists them (both sides of a file/folder swap included).

    Subtrees with equal ids are skipped without being read: libgit2's tree diff walks
    every entry (~5 ms at 50k files even when one file differs); this reads only the
    folders that differ, which between sessions of one repository are few.
    """
    return change_sets(repo, old, new)[0]


def change_sets(
    repo: pygit2.Repository, old: pygit2.Tree | None, new: pygit2.Tree | None
) -> tuple[set[str], set[str], set[str]]:
    """(changed, added, deleted) files from OLD to NEW, as libgit2's tree diff with
    INCLUDE_TYPECHANGE reports them: a file that became a link (or back) is changed,
    neither added nor deleted; a file replaced by a folder is deleted, the folder's
    files added. `changed` holds every path of both. Equal subtrees are skipped."""
    found: tuple[set[str], set[str], set[str]] = (set(), set(), set())
    old_id, new_id = (t.id.raw if t is not None else None for t in (old, new))
    if old_id == new_id:
        return found
    for tree in (old, new):  # seed the cache: these two are read already
        if tree is not None:
            _entries(tree)
    changed, added, deleted = _folder_diff(repo, old_id, new_id)
    return set(changed), set(added), set(deleted)


# One entry of a raw tree object: mode, name, binary object id (SHA-1: 20 bytes).
_ENTRY = re.compile(rb"(\d+) ([^\0]*)\0(.{20})", re.S)
_TREE_MODE = b"40000"
# Parsed folders by tree id: the same folders come back in every pair's diff. A tree
# id names its entries in any repository, so the cache is never stale; it is bounded by
# entries held (~230 bytes each), not by folders: one folder may hold 50k files.
_ENTRY_CACHE: dict[bytes, frozenset[tuple[bytes, bytes, bytes]]] = {}
_ENTRY_CACHE_LIMIT = 65_536
_cached_entries = 0


def clear_tree_cache() -> None:
    """Forget parsed folders and their diffs (benchmarks measuring a cold start call it)."""
    global _cached_entries, _cached_diff_paths
    _ENTRY_CACHE.clear()
    _cached_entries = 0
    _FOLDER_DIFFS.clear()
    _cached_diff_paths = 0


def _entries(tree: pygit2.Tree | None) -> frozenset[tuple[bytes, bytes, bytes]]:
    """(mode, name, id) of every entry of TREE, parsed from its raw object in C: a
    folder of thousands of files costs no Python object (or FileMode enum) per entry."""
    if tree is None:
        return frozenset()
    key = tree.id.raw
    found = _ENTRY_CACHE.get(key)
    if found is None:
        found = _parse(tree)
        _remember(key, found)
    return found


def _entries_by_id(
    repo: pygit2.Repository, tree_id: bytes | None
) -> frozenset[tuple[bytes, bytes, bytes]]:
    """_entries of the folder TREE_ID, read from REPO only when not parsed yet: most
    folders of a diff were parsed for an earlier pair, and reading one costs ~30 µs."""
    if tree_id is None:
        return frozenset()
    found = _ENTRY_CACHE.get(tree_id)
    if found is None:
        oid = pygit2.Oid(raw=tree_id) if len(tree_id) == 20 else tree_id.hex()
        found = _parse(repo[oid])
        _remember(tree_id, found)
    return found


def _parse(tree: pygit2.Object) -> frozenset[tuple[bytes, bytes, bytes]]:
    if len(tree.id.raw) == 20:
        return frozenset(_ENTRY.findall(tree.read_raw()))
    return frozenset(  # a SHA-256 repository: ids are 32 bytes
        (b"%o" % int(item.filemode), str(item.name).encode("utf-8", "surrogateescape"),
         item.id.raw)
        for item in tree.peel(pygit2.Tree)
    )  # fmt: skip


def _remember(key: bytes, found: frozenset[tuple[bytes, bytes, bytes]]) -> None:
    global _cached_entries
    if _cached_entries + len(found) > _ENTRY_CACHE_LIMIT:
        clear_tree_cache()
    if len(found) <= _ENTRY_CACHE_LIMIT:
        _ENTRY_CACHE[key] = found
        _cached_entries += len(found)


FolderDiff = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
# (changed, added, deleted) below a pair of folders, by their ids, paths relative to
# them: the pairs' diffs share most folder pairs (on a real history 748 folder compares
# for 63 diffs were 206 distinct ones). Bounded by paths held, like _ENTRY_CACHE.
_FOLDER_DIFFS: dict[tuple[bytes | None, bytes | None], FolderDiff] = {}
_FOLDER_DIFF_LIMIT = 65_536
_cached_diff_paths = 0


def _folder_diff(repo: pygit2.Repository, old: bytes | None, new: bytes | None) -> FolderDiff:
    """change_sets below the folders OLD and NEW (raw ids; None: absent)."""
    global _cached_diff_paths
    if old == new:
        return (), (), ()
    key = (old, new)
    known = _FOLDER_DIFFS.get(key)
    if known is not None:
        return known
    changed: list[str] = []
    added: list[str] = []
    deleted: list[str] = []
    mine, theirs = _entries_by_id(repo, old), _entries_by_id(repo, new)
    # Entries equal on both sides (same name, mode and id) drop out here, in C.
    before = {name: (mode, oid) for mode, name, oid in mine - theirs}
    after = {name: (mode, oid) for mode, name, oid in theirs - mine}
    for raw_name in before.keys() | after.keys():
        a, b = before.get(raw_name), after.get(raw_name)
        a_tree = a is not None and a[0] == _TREE_MODE
        b_tree = b is not None and b[0] == _TREE_MODE
        name = raw_name.decode("utf-8", "surrogateescape")  # as pygit2 decodes names
        if a_tree or b_tree:
            inner = _folder_diff(
                repo,
                a[1] if a is not None and a_tree else None,
                b[1] if b is not None and b_tree else None,
            )
            prefix = name + "/"
            for into, paths in zip((changed, added, deleted), inner, strict=True):
                into += [prefix + path for path in paths]
        a_file = a is not None and not a_tree
        b_file = b is not None and not b_tree
        if a_file or b_file:
            changed.append(name)
            if not a_file:
                added.append(name)
            elif not b_file:
                deleted.append(name)
    found = (tuple(changed), tuple(added), tuple(deleted))
    size = len(changed) + len(added) + len(deleted)
    if _cached_diff_paths + size > _FOLDER_DIFF_LIMIT:
        _FOLDER_DIFFS.clear()
        _cached_diff_paths = 0
    if size <= _FOLDER_DIFF_LIMIT:
        _FOLDER_DIFFS[key] = found
        _cached_diff_paths += size
    return found


def _walk(tree: pygit2.Tree | None, folder: str) -> list[str]:
    """Every file path in TREE, which sits at FOLDER."""
    if tree is None:
        return []
    prefix = folder + "/" if folder else ""
    found: list[str] = []
    for item in tree:
        name = prefix + str(item.name)
        if item.filemode == pygit2.enums.FileMode.TREE:
            found += _walk(item.peel(pygit2.Tree), name)
        else:
            found.append(name)
    return found
