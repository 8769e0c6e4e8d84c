"""What is known about one pair of sessions, and how it becomes collisions.

A pair reports (see docs/concepts.md):
- a `conflict` for every path git lists as conflicted when merging the two
  snapshots — never dropped. When a side has that file at another path (a rename
  the other side does not know), the conflict is also reported at that side's path,
  with `merged_path` naming git's, so each session sees it in the file it edits.
  Between two sessions that are not trunk, a conflict one side reaches only through
  trunk commits it carries (landed after the other session branched) is labelled
  `via="trunk"`: it is real for the pair, and it is the same conflict that session
  has with trunk.
- an `overlap` for every path both sessions changed that git merges cleanly; between
  two sessions that are not trunk, only where both changed it themselves (trunk work
  a session carries is its overlap with trunk, not with everyone else).
"""

from __future__ import annotations

import posixpath
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import pygit2

from agentls.changes import Entry, SessionState
from agentls.hunks import LineRanges
from agentls.probes import Conflict
from agentls.report import Collision

TRUNK = "trunk"
# Conflict kinds about a folder that moved: the side that moved it changed no path git
# names, only other files of the same folders.
FOLDER_KINDS = ("file location", "directory rename")
# Conflict kinds where a file meets a folder: a side may have changed files below.
CLASH_KINDS = ("file/directory", "directory/file", "distinct types")


@dataclass
class PairState:
    """What is known about one pair of sessions (A before B in cascade order)."""

    a: str  # session ids
    b: str
    heads: tuple[str | None, str | None]
    base: str | None
    base_tree: pygit2.Tree | None
    onto: int = 0  # whose attributes the pair's merges read: 0 for A, 1 for B
    trunk_pair: bool = False  # one of the two is the trunk session
    branches: tuple[str | None, ...] = ()  # A's, B's and trunk's branch when that was decided
    conflicts: dict[str, Conflict] = field(default_factory=dict)
    overlaps: set[str] = field(default_factory=set)
    # Each side's paths that differ from the pair's merge-base, and which of them it
    # added or deleted; known once a full check ran, then kept current per path.
    changed: tuple[set[str], set[str]] | None = None
    added: tuple[set[str], set[str]] = field(default_factory=lambda: (set(), set()))
    deleted: tuple[set[str], set[str]] = field(default_factory=lambda: (set(), set()))
    group: set[str] = field(default_factory=set)  # paths last decided together (renames)
    one_base: bool | None = None  # no merge commits since the base (not criss-cross)
    verified: tuple[str, str, str] | None = None  # snapshots + attributes of the last full check
    version: int = 0  # bumped whenever conflicts/overlaps may have changed
    cached: tuple[tuple[object, ...], list[Collision]] | None = None  # (inputs, result)

    def renames_possible(self) -> bool:
        """git looks for renames on a side only between files it deleted and added."""
        added, deleted = self.added, self.deleted
        return self.changed is not None and (
            bool(added[0] and deleted[0]) or bool(added[1] and deleted[1])
        )

    def is_rename_candidate(self, path: str) -> bool:
        if not self.renames_possible():
            return False
        added, deleted = self.added, self.deleted
        return path in added[0] or path in added[1] or path in deleted[0] or path in deleted[1]

    def decided_together(self, path: str, *, nowhere: bool) -> bool:
        """PATH's answer comes from one merge of several paths (renames, moved folders):
        a rename candidate, a path of the last group, or a conflict git reported with
        other paths or where neither side has a file (e.g. "directory rename
        suggested" at the path a file would move to). A merge of PATH alone would
        lose it. NOWHERE: neither side nor the base has a file at PATH."""
        if path in self.group or self.is_rename_candidate(path):
            return True
        conflict = self.conflicts.get(path)
        return conflict is not None and (bool(conflict.related) or nowhere)

    def rename_candidates(self) -> set[str]:
        """Every path either side added or deleted, when git may pair some as renames
        that meet the other side's changes (else renames cannot make a conflict)."""
        if not self.renames_possible() or not self._renames_meet():
            return set()
        return self.added[0] | self.added[1] | self.deleted[0] | self.deleted[1]

    def _renames_meet(self) -> bool:
        """A rename can only conflict where it meets the other side: a path both sides
        changed that one added or deleted (a rename's source or target), or a file one
        side added in a folder the other side deleted files from (a moved folder)."""
        assert self.changed is not None
        small, large = sorted(self.changed, key=len)
        for path in small:
            if path in large and any(path in s for s in (*self.added, *self.deleted)):
                return True
        for mine, theirs in ((0, 1), (1, 0)):
            if self.deleted[mine] and self.added[theirs]:
                emptied = {f for p in self.deleted[mine] for f in parents(p)}
                if any(f in emptied for p in self.added[theirs] for f in parents(p)):
                    return True
        return False


class PathIndex:
    """Changed paths that answer "is this path, or a folder above it, changed?" in
    O(depth), and on request "or a file below it?" (a file/directory clash), for
    which the folders are gathered once, when first asked."""

    def __init__(self, paths: set[str]) -> None:
        self.paths = paths  # not copied: a session's live change set stays current
        self._folders: set[str] | None = None

    def touches(self, path: str, *, below: bool = False) -> bool:
        if path in self.paths or any(folder in self.paths for folder in parents(path)):
            return True
        return below and path in self.folders

    def touches_any(self, paths: set[str], *, below: bool = False, folders: bool = False) -> bool:
        if any(self.touches(p, below=below) for p in paths):
            return True
        # A folder rename: the side moved other files of the folders the paths are in.
        return folders and any(posixpath.dirname(p) in self.folders for p in paths)

    @property
    def folders(self) -> set[str]:
        if self._folders is None:
            self._folders = {f for p in self.paths for f in parents(p)}
        return self._folders


EMPTY = PathIndex(set())


def parents(path: str) -> list[str]:
    """The folders above PATH: "a/b/c" -> ["a", "a/b"]."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


class PairReporter:
    """Turns pair states into collisions with line ranges and trunk labels."""

    def __init__(
        self,
        repo: pygit2.Repository,
        lines: LineRanges,
        merge_base: Callable[[str, str], str | None],
        changed_between: Callable[[str, str], set[str]],
        base_entry: Callable[[PairState, str], Entry],
    ) -> None:
        self.repo = repo
        self.lines = lines
        self._merge_base = merge_base
        self._changed_between = changed_between
        self._base_entry = base_entry
        self._carried: dict[tuple[str, str], PathIndex] = {}
        self._own: dict[int, tuple[weakref.ref[SessionState], int, PathIndex]] = {}

    def collisions(self, pair: PairState, a: SessionState, b: SessionState) -> list[Collision]:
        """The pair's collisions (cached until the pair or a side changes). One equal to
        the one made before is that same object, so its JSON is not made again."""
        if not pair.conflicts and not pair.overlaps:
            return []  # most pairs at 30 sessions: asked after every edit of either side
        names = [a.session.name, b.session.name]
        inputs = (pair.version, *names, id(a), a.version, id(b), b.version, pair.trunk_pair)
        if pair.cached and pair.cached[0] == inputs:
            return pair.cached[1]
        found: list[Collision] = []
        emitted: set[str] = set()
        for path in sorted(pair.conflicts):
            for collision in self._conflict(pair, a, b, names, path):
                if collision.path not in emitted:
                    emitted.add(collision.path)
                    found.append(collision)
        for path in sorted(pair.overlaps):
            if path in emitted:
                continue
            # A side without a file there may have a folder there: then files below count.
            own_work = all(
                self.own(side).touches(path, below=side.entry(path) is None) for side in (a, b)
            )
            if not pair.trunk_pair and not own_work:
                continue
            base = self._base_entry(pair, path)
            found.append(
                Collision(
                    kind="overlap",
                    path=path,
                    sessions=names,
                    ranges={
                        names[0]: self.lines.ranges(base, a.entry(path)),
                        names[1]: self.lines.ranges(base, b.entry(path)),
                    },
                )
            )
        if pair.cached:
            before = {c.path: c for c in pair.cached[1]}
            found = [_same_or(before.get(c.path), c) for c in found]
        pair.cached = (inputs, found)
        return found

    def _conflict(
        self, pair: PairState, a: SessionState, b: SessionState, names: list[str], path: str
    ) -> list[Collision]:
        """The collision at PATH, and one at each side's own path when it has PATH's
        file elsewhere (a rename the other side does not know)."""
        conflict = pair.conflicts[path]
        sides = (a, b)
        own_paths = [self._side_path(pair, conflict, path, i, s) for i, s in enumerate(sides)]
        base = self._base(pair, conflict, path, own_paths)
        entries = [s.entry(p) if p else None for s, p in zip(sides, own_paths, strict=True)]
        ranges = {
            names[0]: self.lines.ranges(base, entries[0], entries[1], conflict=True),
            names[1]: self.lines.ranges(base, entries[1], entries[0], conflict=True),
        }
        involved = {path, *conflict.related, *(p for p in own_paths if p)}
        via = self._via_trunk(pair, a, b, involved, conflict.kinds)
        found: list[Collision] = []
        for where in [path, *(p for p in own_paths if p and p != path)]:
            if where != path and where in pair.conflicts:
                continue  # git lists it itself
            # Each side's file for it; a side without one is pointed at git's path.
            paths = {
                name: own or path
                for name, own in zip(names, own_paths, strict=True)
                if (own or path) != where
            }
            found.append(
                Collision(
                    kind="conflict",
                    path=where,
                    sessions=names,
                    ranges=ranges,
                    detail=list(conflict.kinds),
                    via=via,
                    paths=paths,
                    merged_path=None if where == path else path,
                )
            )
        return found

    def _side_path(
        self, pair: PairState, conflict: Conflict, path: str, index: int, side: SessionState
    ) -> str | None:
        """Where SIDE has its version of the conflicted PATH: PATH itself, a path git names
        with it, the path holding the blob git staged for this side (a rename git
        detected), or the path this side deleted; None when it has none."""
        if side.entry(path) is not None:
            return path
        if pair.changed is not None:
            changed = pair.changed[index]
            # A rename the other side made: this side's file is still at the old path.
            candidates = (changed & pair.deleted[1 - index]) | pair.added[index]
        else:
            changed = candidates = side.changed
        for other in conflict.related:
            if other in changed and side.entry(other) is not None:
                return other
        staged = conflict.stage(2 + index)
        if staged is not None:
            for other in sorted(candidates):
                if side.entry(other) == staged:
                    return other
        original = conflict.stage(1)
        if original is not None and pair.base_tree is not None:
            for other in (path, *conflict.related, *sorted(pair.deleted[index])):
                gone = side.entry(other) is None
                if gone and self._base_entry(pair, other) == original:
                    return other
        return None

    def _base(
        self, pair: PairState, conflict: Conflict, path: str, own_paths: list[str | None]
    ) -> Entry:
        """The base version both sides' ranges are measured against: git's stage 1."""
        staged = conflict.stage(1)
        if staged is not None:
            return staged
        for other in conflict.related:  # rename/rename: the base is at the old path
            related = pair.conflicts.get(other)
            if related is not None and related.stage(1) is not None:
                return related.stage(1)
        for other in (path, *conflict.related, *(p for p in own_paths if p)):
            found = self._base_entry(pair, other)
            if found is not None:
                return found
        return None

    def _via_trunk(
        self,
        pair: PairState,
        a: SessionState,
        b: SessionState,
        involved: set[str],
        kinds: tuple[str, ...],
    ) -> str | None:
        """ "trunk" when one side changed none of the INVOLVED paths itself and reaches
        them only through trunk commits it carries (landed after the other branched)."""
        if pair.trunk_pair:
            return None
        folders = any(k.startswith(FOLDER_KINDS) for k in kinds)
        below = folders or any(k.startswith(CLASH_KINDS) for k in kinds)
        for side in (a, b):
            if self.own(side).touches_any(involved, below=below, folders=folders):
                continue
            if self.carried(pair, side).touches_any(involved, below=below, folders=folders):
                return TRUNK
        return None

    def own(self, state: SessionState) -> PathIndex:
        """What STATE changed itself: since its merge-base with trunk."""
        known = self._own.get(id(state))
        if known is not None and known[0]() is state and known[1] == state.version:
            return known[2]
        if len(self._own) > 256:
            self._own.clear()
        index = PathIndex(state.changed)  # costs nothing until a clash asks for folders
        self._own[id(state)] = (weakref.ref(state), state.version, index)
        return index

    def carried(self, pair: PairState, state: SessionState) -> PathIndex:
        """What the trunk commits STATE carries for this pair changed: from where the pair's
        base meets STATE's trunk base up to that trunk base (nothing when the pair's base
        is above it, as for sessions that branched off each other)."""
        if state.base is None or pair.base is None:
            return EMPTY
        start = self._merge_base(pair.base, state.base)
        if start is None or start == state.base:
            return EMPTY
        key = (start, state.base)
        if key not in self._carried:
            if len(self._carried) > 256:
                self._carried.clear()
            old = str(self.repo[start].peel(pygit2.Tree).id)
            new = str(self.repo[state.base].peel(pygit2.Tree).id)
            self._carried[key] = PathIndex(self._changed_between(old, new))
        return self._carried[key]


def _same_or(kept: Collision | None, made: Collision) -> Collision:
    """KEPT when it equals MADE (its JSON already made), else MADE."""
    return kept if kept is not None and kept == made else made
