"""Conflict prediction: which pairs of sessions collide, where, and how.

Two paths give the same answer:
- `check_pair` (full, authoritative): git merge-tree on the two sessions' snapshot
  commits, plus tree diffs against the pair's merge-base. Catches renames, mode
  changes, directory/file clashes: everything git does.
- `check_path` (incremental): one path of one pair, answered by git merging small
  commits built from the versions of that path (the three versions of one file;
  with renames possible, every path either side added or deleted, so git's rename
  detection sees what it sees in the full merge). The work depends on the changed
  file and the pair's added and deleted files, never on the repository's size.

What a pair reports (see docs/concepts.md): every path git lists as conflicted,
never dropped; a rename conflict also at the path the other side still edits;
overlaps where both sessions' own work changed a path. A conflict whose one side is
trunk work a session carries (landed after the other session branched) is
labelled `via="trunk"`.

Attributes: every merge of a pair reads the `.gitattributes` of one session, the
one the other is rebased onto when they land (`PairState.onto`): the trunk session
when the pair has it, else the first in cascade order, which lands first.
"""

from __future__ import annotations

import bisect
import posixpath
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import pygit2

from agentls.changes import Entry, SessionState, tree_entry, tree_of
from agentls.claims import matching_claim
from agentls.git.attributes import ATTRIBUTES_FILE, AttributeSource, attributes_above
from agentls.git.merge import MergeResult, MergeTree
from agentls.report import Collision, Range

PROBE_SIGNATURE = pygit2.Signature("agentls", "agentls@localhost", 0, 0)
TRUNK = "trunk"
# Conflict kinds about a folder that moved: the side that moved it changed no path git
# names, only other files in the same folders.
FOLDER_KINDS = ("file location", "directory rename")


@dataclass(frozen=True)
class Conflict:
    """One path git lists as conflicted for a pair."""

    kinds: tuple[str, ...]  # git's CONFLICT types, e.g. ("contents",), ("modify/delete",)
    stages: tuple[tuple[int, tuple[str, int]], ...] = ()  # 1 base, 2 first session, 3 second
    related: tuple[str, ...] = ()  # other paths git names with it (a rename's other end)

    @classmethod
    def from_result(cls, result: MergeResult, path: str) -> Conflict:
        return cls(
            tuple(result.conflict_kinds(path)) or ("contents",),
            tuple(sorted(result.stages.get(path, {}).items())),
            result.related(path),
        )

    def stage(self, number: int) -> Entry:
        return next((entry for n, entry in self.stages if n == number), None)


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
    conflicts: dict[str, Conflict] = field(default_factory=dict)
    overlaps: set[str] = field(default_factory=set)
    # Each side's paths that differ from the pair's merge-base, and which of them it
    # added or deleted; known once a full check ran, then kept current per path.
    changed: tuple[set[str], set[str]] | None = None
    added: tuple[set[str], set[str]] = field(default_factory=lambda: (set(), set()))
    deleted: tuple[set[str], set[str]] = field(default_factory=lambda: (set(), set()))
    group: set[str] = field(default_factory=set)  # paths last decided together (renames)
    verified: tuple[str, str, str] | None = None  # snapshots + attributes of the last full check
    version: int = 0  # bumped whenever conflicts/overlaps may have changed
    cached: tuple[tuple[object, ...], list[Collision]] | None = None  # (inputs, result)

    def renames_possible(self) -> bool:
        """git looks for renames on a side only between files it deleted and added."""
        return any(self.added[i] and self.deleted[i] for i in (0, 1))

    def rename_candidates(self) -> set[str]:
        """Every path either side added or deleted, when git may pair some as renames."""
        if self.changed is None or not self.renames_possible():
            return set()
        return self.added[0] | self.added[1] | self.deleted[0] | self.deleted[1]


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
        self.trunk_branch: str | None = None  # set by the Workspace: decides `onto` and labels
        self.pairs: dict[tuple[str, str], PairState] = {}
        self._merge_base_cache: dict[tuple[str, str], str | None] = {}
        self._diff_cache: dict[tuple[str, str], tuple[set[str], set[str], set[str]]] = {}
        self._file_merge_cache: dict[tuple[object, ...], dict[str, Conflict]] = {}
        self._probe_commit_cache: dict[tuple[object, ...], str] = {}
        self._hunk_cache: dict[tuple[Entry, Entry], list[Hunk] | None] = {}
        self._paths_index_cache: dict[tuple[object, ...], _PathIndex] = {}
        self._own_cache: dict[int, tuple[weakref.ref[SessionState], int, _PathIndex]] = {}
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

    def is_trunk(self, state: SessionState) -> bool:
        return self.trunk_branch is not None and state.session.branch == self.trunk_branch

    def pair(self, a: SessionState, b: SessionState) -> PairState:
        """The pair's state, reset when either HEAD or the trunk session moved."""
        key = (a.session.id, b.session.id)
        heads = (a.head, b.head)
        trunk_a, trunk_b = self.is_trunk(a), self.is_trunk(b)
        onto = 1 if trunk_b and not trunk_a else 0
        current = self.pairs.get(key)
        if current is None or current.heads != heads or current.onto != onto:
            base = self.merge_base(a.head, b.head)
            current = PairState(key[0], key[1], heads, base, tree_of(self.repo, base), onto)
            self.pairs[key] = current
        current.trunk_pair = trunk_a or trunk_b
        return current

    def forget(self, keep_ids: set[str]) -> None:
        """Drop pairs of sessions that no longer exist."""
        for key in [k for k in self.pairs if k[0] not in keep_ids or k[1] not in keep_ids]:
            del self.pairs[key]

    # --- the full, authoritative check ----------------------------------------------

    def check_pair(self, a: SessionState, b: SessionState) -> PairState:
        pair = self.pair(a, b)
        snapshots = (a.snapshot(), b.snapshot())
        onto = (a, b)[pair.onto]
        attributes = self.merger.attributes_of(onto.snapshot_tree())
        inputs = (*snapshots, attributes.key)
        if pair.verified == inputs:
            return pair
        result = self.merger.merge(*snapshots, attributes=attributes)
        base_tree_id = str(pair.base_tree.id) if pair.base_tree is not None else self._empty_tree
        sides = [self._changed_between(base_tree_id, s.snapshot_tree()) for s in (a, b)]
        pair.conflicts = {path: Conflict.from_result(result, path) for path in result.conflicted}
        pair.changed = (set(sides[0][0]), set(sides[1][0]))
        pair.added = (set(sides[0][1]), set(sides[1][1]))
        pair.deleted = (set(sides[0][2]), set(sides[1][2]))
        pair.overlaps = (pair.changed[0] & pair.changed[1]) - set(pair.conflicts)
        pair.group = pair.rename_candidates()
        pair.verified = inputs
        pair.version += 1
        return pair

    def _changed_between(self, old_tree: str, new_tree: str) -> tuple[set[str], set[str], set[str]]:
        """(changed, added, deleted) paths from OLD_TREE to NEW_TREE, no rename detection."""
        key = (old_tree, new_tree)
        if key not in self._diff_cache:
            if len(self._diff_cache) > 256:
                self._diff_cache.clear()
            old, new = (self.repo[t].peel(pygit2.Tree) for t in (old_tree, new_tree))
            changed: set[str] = set()
            added: set[str] = set()
            deleted: set[str] = set()
            # A file that became a link (or back) is a change, not a deletion and an add.
            diff = old.diff_to_tree(new, flags=pygit2.enums.DiffOption.INCLUDE_TYPECHANGE)
            for delta in diff.deltas:
                changed.add(delta.old_file.path)
                changed.add(delta.new_file.path)
                if delta.status == pygit2.enums.DeltaStatus.ADDED:
                    added.add(delta.new_file.path)
                elif delta.status == pygit2.enums.DeltaStatus.DELETED:
                    deleted.add(delta.old_file.path)
            self._diff_cache[key] = (changed, added, deleted)
        return self._diff_cache[key]

    # --- the incremental check: one path of one pair --------------------------------

    def check_path(self, a: SessionState, b: SessionState, path: str) -> None:
        self.check_path_pairs([(a, b)], path)

    def check_path_pairs(self, pairs: list[tuple[SessionState, SessionState]], path: str) -> None:
        """Re-decide PATH for every pair in PAIRS; git's merges go out in batches.

        A file at a folder above PATH (one side's file where the other now has a
        folder) is re-decided too: git reports that file/directory clash at the file.
        A changed `.gitattributes` re-decides every path below its folder that both
        sides changed, since their merges read it.
        """
        states = {id(s): s for pair in pairs for s in pair}.values()
        parents = _parents(path)
        clashing = [p for p in parents if any(s.entry(p) is not None for s in states)]
        for target in [*clashing, path]:
            self._check_paths(pairs, [target])
        if posixpath.basename(path) == ATTRIBUTES_FILE:
            for a, b in pairs:
                pair = self.pair(a, b)
                if pair.changed is None:
                    continue
                folder = posixpath.dirname(path)
                prefix = folder + "/" if folder else ""
                both = (pair.changed[0] & pair.changed[1]) | set(pair.conflicts)
                again = sorted(p for p in both if p.startswith(prefix) and p != path)
                if again:
                    self._check_paths([(a, b)], again)

    def _check_paths(self, pairs: list[tuple[SessionState, SessionState]], paths: list[str]) -> None:
        singles: list[tuple[PairState, SessionState, SessionState, str]] = []
        groups: list[tuple[PairState, SessionState, SessionState]] = []
        for a, b in pairs:
            pair = self.pair(a, b)
            pair.verified = None
            pair.version += 1
            grouped = False
            for path in paths:
                self._note_change(pair, a, b, path)
                candidates = pair.rename_candidates()
                if path in candidates or path in pair.group:
                    grouped = True
                else:
                    singles.append((pair, a, b, path))
            if grouped:
                groups.append((pair, a, b))
        self._decide_singles(singles)
        for pair, a, b in groups:
            self._decide_group(pair, a, b)

    def _note_change(self, pair: PairState, a: SessionState, b: SessionState, path: str) -> None:
        """Keep the pair's added/deleted/changed sets current for PATH."""
        if pair.changed is None:
            return
        base = tree_entry(self.repo, pair.base_tree, path)
        for i, side in enumerate((a, b)):
            entry = side.entry(path)
            _mark(pair.changed[i], path, entry != base)
            _mark(pair.added[i], path, base is None and entry is not None)
            _mark(pair.deleted[i], path, base is not None and entry is None)

    def _decide_singles(self, items: list[tuple[PairState, SessionState, SessionState, str]]) -> None:
        """One path of one pair each: a merge of single-file commits when both changed it."""
        questions: list[tuple[PairState, str, tuple[object, ...]]] = []
        clashes: set[tuple[int, str]] = set()
        for pair, a, b, path in items:
            pair.conflicts.pop(path, None)
            pair.overlaps.discard(path)
            base = tree_entry(self.repo, pair.base_tree, path)
            ours, theirs = a.entry(path), b.entry(path)
            if _folder_clash(a, b, path, base, ours, theirs):
                clashes.add((id(pair), path))
            if ours == base or theirs == base:
                if (id(pair), path) in clashes:
                    pair.conflicts[path] = Conflict(("file/directory",))
                continue
            if ours == theirs:
                pair.overlaps.add(path)  # the same change on both sides merges cleanly
                continue
            attributes = attributes_above([path], (a, b)[pair.onto].entry)
            key = (attributes, ((path, base, ours, theirs),))
            questions.append((pair, path, key))
        verdicts = self._merge_probes([key for _, _, key in questions])
        for (pair, path, _), found in zip(questions, verdicts, strict=True):
            conflict = found.get(path)
            if (id(pair), path) in clashes:
                kinds = conflict.kinds if conflict is not None else ()
                pair.conflicts[path] = Conflict(("file/directory", *kinds))
            elif conflict is None:
                pair.overlaps.add(path)
            else:
                pair.conflicts[path] = conflict

    def _decide_group(self, pair: PairState, a: SessionState, b: SessionState) -> None:
        """Re-decide every path either side added or deleted, in one merge, so git pairs
        renames (and folder renames) as it does in the full merge."""
        candidates = pair.rename_candidates()
        decided = candidates | pair.group
        for path, conflict in list(pair.conflicts.items()):
            if path in decided or decided.intersection(conflict.related):
                del pair.conflicts[path]
        pair.overlaps -= decided
        pair.group = candidates
        # Paths no longer added or deleted (or no renames any more): each on its own.
        self._decide_singles([(pair, a, b, path) for path in sorted(decided - candidates)])
        if not candidates:
            return
        paths = sorted(candidates | self._sentinels(pair, a, b))
        base = {p: tree_entry(self.repo, pair.base_tree, p) for p in paths}
        sides = [{p: s.entry(p) for p in paths} for s in (a, b)]
        attributes = attributes_above(paths, (a, b)[pair.onto].entry)
        key = (attributes, tuple((p, base[p], sides[0][p], sides[1][p]) for p in paths))
        [found] = self._merge_probes([key])
        pair.conflicts.update(found)
        assert pair.changed is not None
        for path in candidates:
            if path not in pair.conflicts and path in pair.changed[0] & pair.changed[1]:
                pair.overlaps.add(path)

    def _sentinels(self, pair: PairState, a: SessionState, b: SessionState) -> set[str]:
        """A file each side still has in every folder it deleted files from.

        git takes a folder as renamed only when one side removed it entirely; a merge of
        a few files must not make a folder look removed that still has files.
        """
        found: set[str] = set()
        if pair.base_tree is None:
            return found
        for i, side in enumerate((a, b)):
            folders = {f for p in pair.deleted[i] for f in _parents(p)}
            for folder in sorted(folders):
                if any(p.startswith(folder + "/") for p in found):
                    continue
                kept = self._kept_file(pair.base_tree, folder, pair.deleted[i], side)
                if kept is not None:
                    found.add(kept)
        return found

    def _kept_file(
        self, base_tree: pygit2.Tree, folder: str, deleted: set[str], side: SessionState
    ) -> str | None:
        """A file under FOLDER in the base that SIDE did not delete (breadth first)."""
        try:
            start = base_tree[folder]
        except (KeyError, ValueError):
            return None
        queue = [(folder, start.peel(pygit2.Tree))] if start.filemode == _TREE else []
        while queue:
            prefix, tree = queue.pop(0)
            for item in tree:
                path = f"{prefix}/{item.name}"
                if item.filemode == _TREE:
                    queue.append((path, item.peel(pygit2.Tree)))
                elif path not in deleted and side.entry(path) is not None:
                    return path
        return None

    def merge_file(
        self,
        path: str,
        base: Entry,
        ours: Entry,
        theirs: Entry,
        attributes: AttributeSource | None = None,
    ) -> list[str] | None:
        """git's verdict on merging one path: None when clean, else the conflict kinds."""
        source = attributes if attributes is not None else AttributeSource()
        found = self._merge_probes([(source, ((path, base, ours, theirs),))])[0]
        conflict = found.get(path)
        if conflict is not None:
            return list(conflict.kinds)
        return ["contents"] if found else None

    def _merge_probes(self, keys: list[tuple[object, ...]]) -> list[dict[str, Conflict]]:
        """git's conflicts for merges of small trees, each key (attributes, ((path, base,
        ours, theirs), ...)); cached by key, sent in one round trip per attribute source."""
        missing = list(dict.fromkeys(k for k in keys if k not in self._file_merge_cache))
        if len(self._file_merge_cache) + len(missing) > 4096:
            self._file_merge_cache.clear()
        by_source: dict[AttributeSource, list[tuple[object, ...]]] = {}
        for key in missing:
            source = key[0]
            assert isinstance(source, AttributeSource)
            by_source.setdefault(source, []).append(key)
        for source, batch in by_source.items():
            commits = [self._probe_commits(key[1]) for key in batch]  # type: ignore[arg-type]
            for key, result in zip(batch, self.merger.merge_many(commits, source), strict=True):
                self._file_merge_cache[key] = {
                    p: Conflict.from_result(result, p) for p in result.conflicted
                }
        return [self._file_merge_cache[k] for k in keys]

    def _probe_commits(self, files: tuple[tuple[str, Entry, Entry, Entry], ...]) -> tuple[str, str]:
        """Commits of the two sides' versions of FILES, on a commit of the base versions."""
        base = self._probe_commit(tuple((p, b) for p, b, _, _ in files), None)
        ours = self._probe_commit(tuple((p, o) for p, _, o, _ in files), base)
        theirs = self._probe_commit(tuple((p, t) for p, _, _, t in files), base)
        return ours, theirs

    def _probe_commit(self, files: tuple[tuple[str, Entry], ...], parent: str | None) -> str:
        key = (files, parent)
        if key in self._probe_commit_cache:
            return self._probe_commit_cache[key]
        if len(self._probe_commit_cache) > 4096:
            self._probe_commit_cache.clear()
        tree = self._small_tree([(p, e) for p, e in files if e is not None])
        parents = [pygit2.Oid(hex=parent)] if parent else []
        oid = self.repo.create_commit(
            None, PROBE_SIGNATURE, PROBE_SIGNATURE, "agentls probe\n", tree, parents
        )
        self._probe_commit_cache[key] = str(oid)
        return str(oid)

    def _small_tree(self, files: list[tuple[str, tuple[str, int]]]) -> pygit2.Oid:
        """A tree holding just FILES (path, (blob, mode)), folders made as needed."""
        folders: dict[str, dict[str, tuple[pygit2.Oid, int]]] = {"": {}}
        for path, (blob, mode) in files:
            *parts, name = path.split("/")
            folder = "/".join(parts)
            for i in range(len(parts) + 1):
                folders.setdefault("/".join(parts[:i]), {})
            folders[folder][name] = (pygit2.Oid(hex=blob), mode)
        for folder in sorted(folders, key=lambda f: -f.count("/") if f else 1):
            if folder == "":
                continue
            builder = self.repo.TreeBuilder()
            for name, (oid, mode) in folders[folder].items():
                builder.insert(name, oid, mode)
            parent, _, name = folder.rpartition("/")
            folders[parent][name] = (builder.write(), int(_TREE))
        builder = self.repo.TreeBuilder()
        for name, (oid, mode) in folders[""].items():
            builder.insert(name, oid, mode)
        return builder.write()

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
            chosen = _touching(own, self.hunks(base, other) or []) or own
        return _merge_ranges([(h.new_start, h.new_end) for h in chosen])

    def pair_collisions(self, pair: PairState, a: SessionState, b: SessionState) -> list[Collision]:
        """The pair's collisions with line ranges (cached until the pair or a side changes).

        Conflicts: every path git lists, and for a rename the path the other side still
        has. Between two sessions that are not trunk, a conflict one side reaches only
        through trunk work it carries is labelled via trunk; an overlap counts only when
        both sessions changed the path themselves (trunk work shows against trunk).
        """
        names = [a.session.name, b.session.name]
        inputs = (pair.version, *names, id(a), a.version, id(b), b.version, pair.trunk_pair)
        if pair.cached and pair.cached[0] == inputs:
            return pair.cached[1]
        found: list[Collision] = []
        emitted: set[str] = set()
        for path in sorted(pair.conflicts):
            for collision in self._conflict_collisions(pair, a, b, names, path):
                if collision.path not in emitted:
                    emitted.add(collision.path)
                    found.append(collision)
        for path in sorted(pair.overlaps):
            if path in emitted:
                continue
            if not pair.trunk_pair and not (
                self._own(a).touches(path) and self._own(b).touches(path)
            ):
                continue
            base = tree_entry(self.repo, pair.base_tree, path)
            ours, theirs = a.entry(path), b.entry(path)
            found.append(
                Collision(
                    kind="overlap",
                    path=path,
                    sessions=names,
                    ranges={names[0]: self.ranges(base, ours), names[1]: self.ranges(base, theirs)},
                )
            )
        pair.cached = (inputs, found)
        return found

    def _conflict_collisions(
        self, pair: PairState, a: SessionState, b: SessionState, names: list[str], path: str
    ) -> list[Collision]:
        """The collision at PATH, and one at each side's own path when it has PATH's
        content elsewhere (a rename the other side does not know)."""
        conflict = pair.conflicts[path]
        sides = (a, b)
        own_paths = [self._side_path(pair, conflict, path, i, s) for i, s in enumerate(sides)]
        base = self._conflict_base(pair, conflict, path, own_paths)
        entries = [s.entry(p) if p else None for s, p in zip(sides, own_paths, strict=True)]
        ranges = {
            names[0]: self.ranges(base, entries[0], entries[1], conflict=True),
            names[1]: self.ranges(base, entries[1], entries[0], conflict=True),
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
        other_side = 1 - index
        if pair.changed is not None:
            changed = pair.changed[index]
            # A rename the other side made: this side's file is still at the old path.
            candidates = (changed & pair.deleted[other_side]) | pair.added[index]
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
                if gone and tree_entry(self.repo, pair.base_tree, other) == original:
                    return other
        return None

    def _conflict_base(
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
            found = tree_entry(self.repo, pair.base_tree, other)
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
        """"trunk" when one side changed none of the INVOLVED paths itself and reaches
        them only through trunk commits it carries (landed after the other branched)."""
        if pair.trunk_pair:
            return None
        folders = any(k.startswith(FOLDER_KINDS) for k in kinds)
        for side in (a, b):
            if self._own(side).touches_any(involved, folders):
                continue
            if self._carried(pair, side).touches_any(involved, folders):
                return TRUNK
        return None

    def _own(self, state: SessionState) -> _PathIndex:
        """What STATE changed itself: since its merge-base with trunk."""
        known = self._own_cache.get(id(state))
        if known is not None and known[0]() is state and known[1] == state.version:
            return known[2]
        if len(self._own_cache) > 256:
            self._own_cache.clear()
        index = _PathIndex(state.changed)
        self._own_cache[id(state)] = (weakref.ref(state), state.version, index)
        return index

    def _carried(self, pair: PairState, state: SessionState) -> _PathIndex:
        """What the trunk commits STATE carries for this pair changed: from where the pair's
        base meets STATE's trunk base up to that trunk base (nothing when the pair's base
        is above it, as for sessions that branched off each other)."""
        if state.base is None or pair.base is None:
            return _PathIndex(set())
        start = self.merge_base(pair.base, state.base)
        if start is None or start == state.base:
            return _PathIndex(set())
        old = str(self.repo[start].peel(pygit2.Tree).id)
        new = str(self.repo[state.base].peel(pygit2.Tree).id)
        return self._paths_index(("carried", old, new), lambda: self._changed_between(old, new)[0])

    def _paths_index(self, key: tuple[object, ...], paths: Callable[[], set[str]]) -> _PathIndex:
        found = self._paths_index_cache.get(key)
        if found is None:
            if len(self._paths_index_cache) > 512:
                self._paths_index_cache.clear()
            found = self._paths_index_cache[key] = _PathIndex(paths())
        return found

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


_TREE = pygit2.enums.FileMode.TREE


class _PathIndex:
    """A set of changed paths that answers "is this path, a folder above it or a file
    below it changed?" without a scan (file/directory clashes touch a path that way)."""

    def __init__(self, paths: set[str]) -> None:
        self.paths = paths
        self.folders = {f for p in paths for f in _parents(p)}

    def touches(self, path: str) -> bool:
        if path in self.paths or path in self.folders:
            return True
        return any(folder in self.paths for folder in _parents(path))

    def touches_any(self, paths: set[str], folders: bool = False) -> bool:
        if any(self.touches(p) for p in paths):
            return True
        # A folder rename: the side moved other files of the folders the paths are in.
        return folders and any(posixpath.dirname(p) in self.folders for p in paths)


def _mark(paths: set[str], path: str, present: bool) -> None:
    if present:
        paths.add(path)
    else:
        paths.discard(path)


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


def _touching(own: list[Hunk], theirs: list[Hunk]) -> list[Hunk]:
    """OWN's hunks that touch any of THEIRS (both in base order): one sweep, no n*m."""
    ordered = sorted(theirs, key=lambda h: h.old_lo)
    # Running maximum of old_hi over THEIRS in old_lo order.
    highest: list[int] = []
    for hunk in ordered:
        highest.append(max(hunk.old_hi, highest[-1]) if highest else hunk.old_hi)
    starts = [h.old_lo for h in ordered]
    found = []
    for hunk in own:
        # Those of THEIRS starting at or before hunk.old_hi; one of them must reach old_lo.
        last = bisect.bisect_right(starts, hunk.old_hi) - 1
        if last >= 0 and highest[last] >= hunk.old_lo:
            found.append(hunk)
    return found


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
