"""Which `.gitattributes` files a merge reads: found in a tree, or above a few paths.

A merge's attribute source (see agentls.git.merge) is a set of `.gitattributes`
files with their blob ids. For a whole tree they are found by walking it, memoized
per subtree id: snapshots of different sessions share almost every subtree, so
after the first walk only the folders a session changed are read again. For a
merge of a few paths, only the files in the folders above those paths matter,
since git looks up a path's attributes in its own folder and the folders above.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

import pygit2

from agentls.git import ATTRIBUTES_FILE


@dataclass(frozen=True)
class AttributeSource:
    """The `.gitattributes` files a merge reads: (path, blob id) pairs, sorted by path."""

    files: tuple[tuple[str, str], ...] = ()

    @cached_property
    def key(self) -> str:
        raw = "\0".join(f"{path}\0{blob}" for path, blob in self.files)
        return hashlib.sha1(raw.encode("utf-8", errors="surrogateescape")).hexdigest()[:16]


NO_ATTRIBUTES = AttributeSource()
_TREE = pygit2.GIT_OBJECT_TREE


class AttributeFiles:
    """Finds attribute files in trees of one repository (memoized by tree id)."""

    MAX_CACHED = 200_000

    def __init__(self, repo: pygit2.Repository) -> None:
        self.repo = repo
        self._found: dict[str, tuple[tuple[str, str], ...]] = {}
        # Answers by the id asked about: the full check asks for every pair's tree after
        # each edit, and looking a tree up costs ~0.1 ms (4 of every 5 ms at 435 pairs).
        self._sources: dict[str, AttributeSource] = {}

    def of_tree(self, tree_id: str) -> AttributeSource:
        """Every `.gitattributes` in the tree TREE_ID (a tree or commit id)."""
        source = self._sources.get(tree_id)
        if source is None:
            tree = self.repo[tree_id].peel(pygit2.Tree)
            source = AttributeSource(tuple(sorted(self._walk(tree))))
            if len(self._sources) > 4096:
                self._sources.clear()
            self._sources[tree_id] = source
        return source

    def _walk(self, tree: pygit2.Tree) -> tuple[tuple[str, str], ...]:
        key = str(tree.id)
        found = self._found.get(key)
        if found is not None:
            return found
        entries: list[tuple[str, str]] = []
        for item in tree:
            name = str(item.name)
            if item.type == _TREE:  # (`filemode` builds an enum per entry: 10x slower)
                below = self._walk(item.peel(pygit2.Tree))
                entries += [(f"{name}/{path}", blob) for path, blob in below]
            elif name == ATTRIBUTES_FILE and item.filemode != pygit2.enums.FileMode.LINK:
                entries.append((name, str(item.id)))
        if len(self._found) > self.MAX_CACHED:
            self._found.clear()
        self._found[key] = found = tuple(entries)
        return found


def attribute_paths(paths: Iterable[str]) -> list[str]:
    """The `.gitattributes` paths git reads for PATHS: in every folder above each."""
    found: set[str] = set()
    for path in paths:
        found.update(_above(path.rpartition("/")[0]))
    return sorted(found)


@lru_cache(maxsize=4096)
def _above(folder: str) -> tuple[str, ...]:
    """The `.gitattributes` paths of FOLDER and every folder above it."""
    parts = folder.split("/") if folder else []
    return (
        ATTRIBUTES_FILE,
        *("/".join(parts[:i]) + "/" + ATTRIBUTES_FILE for i in range(1, len(parts) + 1)),
    )


def attributes_above(
    paths: Iterable[str], entry: Callable[[str], tuple[str, int] | None]
) -> AttributeSource:
    """The attribute source for a merge of PATHS, with files as ENTRY(path) gives them."""
    files: list[tuple[str, str]] = []
    for candidate in attribute_paths(paths):
        found = entry(candidate)
        if found is not None and found[1] in (0o100644, 0o100755):
            files.append((candidate, found[0]))
    return AttributeSource(tuple(files))
