"""Conflict prediction: which pairs of sessions collide, where, and how.

Two paths give the same answer:
- `check_pair` (full, authoritative): git merge-tree on the two sessions' snapshot
  commits, plus tree diffs against the pair's merge-base. Catches renames, mode
  changes, directory/file clashes: everything git does.
- `check_path` (incremental): one path of one pair, answered by merging
  single-file commits built from the three versions of that path. The work
  depends on that file only, not on the repository's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pygit2

from agentls.changes import Entry, SessionState, tree_entry, tree_of
from agentls.claims import matching_claim
from agentls.git.merge import MergeTree
from agentls.report import Collision, Range

PROBE_SIGNATURE = pygit2.Signature("agentls", "agentls@localhost", 0, 0)


@dataclass
class PairState:
    """What is known about one pair of sessions (A before B in cascade order)."""

    a: str  # session ids
    b: str
    heads: tuple[str | None, str | None]
    base: str | None
    base_tree: pygit2.Tree | None
    conflicts: dict[str, list[str]] = field(default_factory=dict)  # path -> git's kinds
    overlaps: set[str] = field(default_factory=set)
    verified: tuple[str, str] | None = None  # snapshots the full check last ran on
    version: int = 0  # bumped whenever conflicts/overlaps may have changed
    cached: tuple[tuple[object, ...], list[Collision]] | None = None  # (inputs, result)


@dataclass(frozen=True)
class Hunk:
    old_lo: int  # base coordinates as a half-open gap range, so insertions have a place
    old_hi: int
    new_start: int  # 1-based inclusive lines in the side's version
    new_end: int

    def touches(self, other: Hunk) -> bool:
        return self.old_lo <= other.old_hi and other.old_lo <= self.old_hi


class Analyzer:
    """Pairwise collision state over session states, kept up to date per path."""

    def __init__(self, repo: pygit2.Repository, merger: MergeTree) -> None:
        self.repo = repo
        self.merger = merger
        self.pairs: dict[tuple[str, str], PairState] = {}
        self._merge_base_cache: dict[tuple[str, str], str | None] = {}
        self._diff_cache: dict[tuple[str, str], set[str]] = {}
        self._file_merge_cache: dict[tuple[str, Entry, Entry, Entry], list[str] | None] = {}
        self._probe_base_cache: dict[tuple[str, Entry], str] = {}
        self._probe_commit_cache: dict[tuple[str, Entry, str | None], str] = {}
        self._hunk_cache: dict[tuple[Entry, Entry], list[Hunk] | None] = {}
        self._empty_tree = str(self.repo.TreeBuilder().write())

    # --- pair bookkeeping ----------------------------------------------------------

    def merge_base(self, a: str | None, b: str | None) -> str | None:
        if not a or not b:
            return None
        key = (a, b) if a < b else (b, a)
        if key not in self._merge_base_cache:
            try:
                found = self.repo.merge_base(a, b)
            except (KeyError, pygit2.GitError):
                found = None
            self._merge_base_cache[key] = str(found) if found else None
        return self._merge_base_cache[key]

    def pair(self, a: SessionState, b: SessionState) -> PairState:
        """The pair's state, reset when either HEAD moved."""
        key = (a.session.id, b.session.id)
        heads = (a.head, b.head)
        current = self.pairs.get(key)
        if current is None or current.heads != heads:
            base = self.merge_base(a.head, b.head)
            current = PairState(key[0], key[1], heads, base, tree_of(self.repo, base))
            self.pairs[key] = current
        return current

    def forget(self, keep_ids: set[str]) -> None:
        """Drop pairs of sessions that no longer exist."""
        for key in [k for k in self.pairs if k[0] not in keep_ids or k[1] not in keep_ids]:
            del self.pairs[key]

    # --- the full, authoritative check ----------------------------------------------

    def check_pair(self, a: SessionState, b: SessionState) -> PairState:
        pair = self.pair(a, b)
        snapshots = (a.snapshot(), b.snapshot())
        if pair.verified == snapshots:
            return pair
        result = self.merger.merge(*snapshots)
        base_tree_id = str(pair.base_tree.id) if pair.base_tree is not None else self._empty_tree
        changed_a = self._changed_between(base_tree_id, a.snapshot_tree())
        changed_b = self._changed_between(base_tree_id, b.snapshot_tree())
        pair.conflicts = {path: result.conflict_kinds(path) for path in result.conflicted}
        pair.overlaps = (changed_a & changed_b) - set(pair.conflicts)
        pair.verified = snapshots
        pair.version += 1
        return pair

    def _changed_between(self, old_tree: str, new_tree: str) -> set[str]:
        key = (old_tree, new_tree)
        if key not in self._diff_cache:
            if len(self._diff_cache) > 256:
                self._diff_cache.clear()
            old, new = (self.repo[t].peel(pygit2.Tree) for t in (old_tree, new_tree))
            diff = old.diff_to_tree(new)  # no rename detection
            paths: set[str] = set()
            for delta in diff.deltas:
                paths.add(delta.old_file.path)
                paths.add(delta.new_file.path)
            self._diff_cache[key] = paths
        return self._diff_cache[key]

    # --- the incremental check: one path of one pair --------------------------------

    def check_path(self, a: SessionState, b: SessionState, path: str) -> None:
        self.check_path_pairs([(a, b)], path)

    def check_path_pairs(self, pairs: list[tuple[SessionState, SessionState]], path: str) -> None:
        """Re-decide PATH for every pair in PAIRS; git's merges go out in one batch.

        A file at a folder above PATH (one side's file where the other now has a
        folder) is re-decided too: git reports that file/directory clash at the file.
        """
        states = {id(s): s for pair in pairs for s in pair}.values()
        parents = _parents(path)
        clashing = [p for p in parents if any(s.entry(p) is not None for s in states)]
        for target in [*clashing, path]:
            self._check_one_path(pairs, target)

    def _check_one_path(self, pairs: list[tuple[SessionState, SessionState]], path: str) -> None:
        questions: list[tuple[PairState, tuple[str, Entry, Entry, Entry]]] = []
        clashes: dict[int, PairState] = {}
        for a, b in pairs:
            pair = self.pair(a, b)
            pair.verified = None
            pair.version += 1
            pair.conflicts.pop(path, None)
            pair.overlaps.discard(path)
            base = tree_entry(self.repo, pair.base_tree, path)
            ours, theirs = a.entry(path), b.entry(path)
            if _folder_clash(a, b, path, base, ours, theirs):
                clashes[id(pair)] = pair
            if ours == base or theirs == base:
                if id(pair) in clashes:
                    pair.conflicts[path] = ["file/directory"]
                continue
            if ours == theirs:
                pair.overlaps.add(path)  # the same change on both sides merges cleanly
                continue
            questions.append((pair, (path, base, ours, theirs)))
        verdicts = self.merge_files([key for _, key in questions])
        for (pair, _), kinds in zip(questions, verdicts, strict=True):
            if id(pair) in clashes:
                pair.conflicts[path] = ["file/directory", *(kinds or [])]
            elif kinds is None:
                pair.overlaps.add(path)
            else:
                pair.conflicts[path] = kinds

    def merge_file(self, path: str, base: Entry, ours: Entry, theirs: Entry) -> list[str] | None:
        """git's verdict on merging one path: None when clean, else the conflict kinds."""
        return self.merge_files([(path, base, ours, theirs)])[0]

    def merge_files(self, keys: list[tuple[str, Entry, Entry, Entry]]) -> list[list[str] | None]:
        """merge_file for several (path, base, ours, theirs) at once."""
        missing = list(dict.fromkeys(k for k in keys if k not in self._file_merge_cache))
        if missing:
            if len(self._file_merge_cache) > 4096:
                self._file_merge_cache.clear()
            commits = []
            for path, base, ours, theirs in missing:
                probe_base = self._probe_base(path, base)
                commits.append(
                    (
                        self._probe_commit(path, ours, probe_base),
                        self._probe_commit(path, theirs, probe_base),
                    )
                )
            for key, result in zip(missing, self.merger.merge_many(commits), strict=True):
                self._file_merge_cache[key] = (
                    None if result.clean else result.conflict_kinds(key[0]) or ["contents"]
                )
        return [self._file_merge_cache[k] for k in keys]

    def _probe_base(self, path: str, entry: Entry) -> str:
        key = (path, entry)
        if key not in self._probe_base_cache:
            if len(self._probe_base_cache) > 4096:
                self._probe_base_cache.clear()
            self._probe_base_cache[key] = self._probe_commit(path, entry, None)
        return self._probe_base_cache[key]

    def _probe_commit(self, path: str, entry: Entry, parent: str | None) -> str:
        key = (path, entry, parent)
        if key in self._probe_commit_cache:
            return self._probe_commit_cache[key]
        if len(self._probe_commit_cache) > 4096:
            self._probe_commit_cache.clear()
        tree = self._single_file_tree(path, entry)
        parents = [pygit2.Oid(hex=parent)] if parent else []
        oid = self.repo.create_commit(
            None, PROBE_SIGNATURE, PROBE_SIGNATURE, "agentls probe\n", tree, parents
        )
        self._probe_commit_cache[key] = str(oid)
        return str(oid)

    def _single_file_tree(self, path: str, entry: Entry) -> pygit2.Oid:
        builder = self.repo.TreeBuilder()
        if entry is None:
            return builder.write()
        *folders, name = path.split("/")
        builder.insert(name, pygit2.Oid(hex=entry[0]), entry[1])
        oid = builder.write()
        for folder in reversed(folders):
            builder = self.repo.TreeBuilder()
            builder.insert(folder, oid, pygit2.enums.FileMode.TREE)
            oid = builder.write()
        return oid

    # --- line ranges -------------------------------------------------------------------

    def hunks(self, old: Entry, new: Entry) -> list[Hunk] | None:
        """Zero-context hunks from OLD to NEW; None when not line-based (binary, links)."""
        key = (old, new)
        if key in self._hunk_cache:
            return self._hunk_cache[key]
        result: list[Hunk] | None = None
        if new is not None and new[1] not in (0o120000, 0o160000):
            old_blob = self.repo[old[0]].peel(pygit2.Blob) if old and old[1] != 0o160000 else None
            patch = pygit2.Patch.create_from(
                old_blob, self.repo[new[0]].peel(pygit2.Blob), context_lines=0, interhunk_lines=0
            )
            if not patch.delta.is_binary:
                result = [_hunk(h) for h in patch.hunks]
        if len(self._hunk_cache) > 8192:
            self._hunk_cache.clear()
        self._hunk_cache[key] = result
        return result

    def ranges(
        self, base: Entry, side: Entry, other: Entry | None = None, *, conflict: bool = False
    ) -> list[Range]:
        """Lines of SIDE's version whose hunks take part in the collision."""
        own = self.hunks(base, side)
        if not own:
            return []
        chosen = own
        if conflict and other is not None:
            theirs = self.hunks(base, other) or []
            touching = [h for h in own if any(h.touches(t) for t in theirs)]
            chosen = touching or own
        return _merge_ranges([(h.new_start, h.new_end) for h in chosen])

    def pair_collisions(
        self, pair: PairState, a: SessionState, b: SessionState, *, own_work_only: bool = False
    ) -> list[Collision]:
        """The pair's collisions with line ranges (cached until the pair or a side changes).

        OWN_WORK_ONLY (for pairs without the trunk session) keeps a path only when both
        sessions changed it themselves. Measured from the pair's merge-base, a session
        that branched later carries trunk commits it did not write; those collisions
        belong to the trunk session's pair and would otherwise show up twice.
        """
        names = [a.session.name, b.session.name]
        inputs = (pair.version, *names, id(a), a.version, id(b), b.version, own_work_only)
        if pair.cached and pair.cached[0] == inputs:
            return pair.cached[1]
        found: list[Collision] = []
        for kind, paths in (("conflict", pair.conflicts), ("overlap", pair.overlaps)):
            for path in paths:
                if own_work_only and not (_touches(a.changed, path) and _touches(b.changed, path)):
                    continue
                kinds = pair.conflicts.get(path, [])
                found.append(self._pair_collision(kind, path, pair, a, b, names, kinds))
        pair.cached = (inputs, found)
        return found

    def _pair_collision(
        self,
        kind: str,
        path: str,
        pair: PairState,
        a: SessionState,
        b: SessionState,
        names: list[str],
        kinds: list[str],
    ) -> Collision:
        base = tree_entry(self.repo, pair.base_tree, path)
        ours, theirs = a.entry(path), b.entry(path)
        conflict = kind == "conflict"
        return Collision(
            kind=kind,
            path=path,
            sessions=names,
            ranges={
                names[0]: self.ranges(base, ours, theirs, conflict=conflict),
                names[1]: self.ranges(base, theirs, ours, conflict=conflict),
            },
            detail=kinds,
        )

    # --- per-session findings -----------------------------------------------------------

    def ownership(self, writer: SessionState, owners: list[SessionState]) -> list[Collision]:
        found = []
        for path in sorted(writer.changed):
            for owner in owners:
                if owner is writer or not owner.session.claims:
                    continue
                glob = matching_claim(owner.session.claims, path)
                if glob is None:
                    continue
                lines = self.ranges(writer.base_entry(path), writer.entry(path))
                found.append(
                    Collision(
                        kind="ownership",
                        path=path,
                        sessions=[writer.session.name, owner.session.name],
                        ranges={writer.session.name: lines, owner.session.name: []},
                        detail=[glob],
                    )
                )
        return found

    def research_writes(self, state: SessionState) -> list[Collision]:
        name = state.session.name
        return [
            Collision(
                kind="research-write",
                path=path,
                sessions=[name],
                ranges={name: self.ranges(state.base_entry(path), state.entry(path))},
            )
            for path in state.research_writes()
        ]


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _folder_clash(
    a: SessionState, b: SessionState, path: str, base: Entry, ours: Entry, theirs: Entry
) -> bool:
    """One side changed the file at PATH while the other changed files below PATH."""
    prefix = path + "/"
    for file_entry, folder_entry, folder_side in ((ours, theirs, b), (theirs, ours, a)):
        # A side with a file at PATH has nothing below it: only look when it has none.
        changed_file = file_entry is not None and file_entry != base and folder_entry is None
        if changed_file and any(p.startswith(prefix) for p in folder_side.changed):
            return True
    return False


def _touches(changed: set[str], path: str) -> bool:
    """PATH, a folder above it, or a file below it is in CHANGED (file/directory clashes)."""
    if path in changed:
        return True
    parts = path.split("/")
    if any("/".join(parts[:i]) in changed for i in range(1, len(parts))):
        return True
    prefix = path + "/"
    return any(other.startswith(prefix) for other in changed)


def _hunk(hunk: pygit2.DiffHunk) -> Hunk:
    if hunk.old_lines:
        old_lo, old_hi = hunk.old_start - 1, hunk.old_start - 1 + hunk.old_lines
    else:  # pure insertion after line old_start
        old_lo = old_hi = hunk.old_start
    if hunk.new_lines:
        start, end = hunk.new_start, hunk.new_start + hunk.new_lines - 1
    else:  # pure deletion: point at the line where the text used to be
        start = end = max(1, hunk.new_start)
    return Hunk(old_lo, old_hi, start, end)


def _merge_ranges(ranges: list[Range]) -> list[Range]:
    merged: list[Range] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
