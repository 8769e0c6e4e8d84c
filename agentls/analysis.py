"""Conflict prediction: which pairs of sessions collide, where, and how.

Two paths give the same answer:
- `check_pair` (full, authoritative): git merge-tree on the two sessions' snapshot
  commits, plus tree diffs against the pair's merge-base. Catches renames, mode
  changes, directory/file clashes: everything git does.
- `check_path` (incremental): one path of one pair, answered by git merging small
  commits built from the versions of that path (agentls.probes). When either side
  has deleted and added files, git could pair them as renames: then every path
  either side added or deleted is merged together, so git's rename detection sees
  what it sees in the full merge. The work depends on the changed file and the
  pair's added and deleted files, never on the repository's size.

Attributes: every merge of a pair reads the `.gitattributes` of one session, the
one the other is rebased onto when they land (`PairState.onto`): the trunk session
when the pair has it, else the first in cascade order, which lands first. What a
pair reports is described in agentls.pairs.
"""

from __future__ import annotations

import contextlib
import itertools
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pygit2

from agentls.changes import Entry, SessionState, tree_entry, tree_of
from agentls.claims import matching_claim
from agentls.git.attributes import ATTRIBUTES_FILE, NO_ATTRIBUTES, AttributeSource, attributes_above
from agentls.git.merge import MergeTree
from agentls.git.trees import change_sets
from agentls.hunks import Hunk, LineRanges
from agentls.pairs import PairReporter, PairState, parents
from agentls.probes import Conflict, ProbeFile, Probes, conflicts_of
from agentls.report import Collision, Range

_TREE = pygit2.enums.FileMode.TREE


@dataclass(frozen=True)
class _Question:
    """A pair's full check that git's merge must answer (Analyzer.check_pairs)."""

    pair: PairState
    a: SessionState
    b: SessionState
    snapshots: tuple[str, str]
    attributes: AttributeSource
    inputs: tuple[str, str, str]
    sides: tuple[Changes, Changes]

    @property
    def both(self) -> set[str]:
        """Paths both sides changed: the report's line ranges need their hunks."""
        return self.sides[0][0] & self.sides[1][0]


def pairs_of(
    code: list[SessionState], remote: list[SessionState]
) -> list[tuple[SessionState, SessionState]]:
    """The pairs checked: code sessions pairwise, in cascade order (the first of a pair
    lands first unless the second is trunk), and every remote session with every code
    session, not with each other: what they do to one another is their business, and
    100 of them must not cost 4,950 merges."""
    return list(itertools.combinations(code, 2)) + [(a, r) for r in remote for a in code]


def pairs_with(
    changed: SessionState, code: list[SessionState], remote: list[SessionState]
) -> list[tuple[SessionState, SessionState]]:
    """The pairs of `pairs_of(code, remote)` that CHANGED is a side of, in that order:
    built directly (29 at 30 sessions), not filtered out of all 435 after every edit."""
    at = next((i for i, state in enumerate(code) if state is changed), None)
    if at is not None:
        return (
            [(a, changed) for a in code[:at]]
            + [(changed, b) for b in code[at + 1 :]]
            + [(changed, r) for r in remote]
        )
    if any(state is changed for state in remote):
        return [(a, changed) for a in code]
    return []  # a research fork's: it only reads


class Analyzer:
    """Pairwise collision state over session states, kept up to date per path."""

    def __init__(self, repo: pygit2.Repository, merger: MergeTree) -> None:
        self.repo = repo
        self.merger = merger
        self.trunk_branch: str | None = None  # set by the Workspace: decides `onto` and labels
        self.pairs: dict[tuple[str, str], PairState] = {}
        self.lines = LineRanges(repo)
        self.probes = Probes(repo, merger)
        self.reporter = PairReporter(
            repo,
            self.lines,
            self.merge_base,
            lambda old, new: self._changed_between(old, new)[0],
            self.base_entry,
        )
        self._merge_base_cache: dict[tuple[str, str], str | None] = {}
        self._base_trees: dict[str | None, pygit2.Tree | None] = {}
        self._base_entries: dict[tuple[str | None, str], Entry] = {}
        self._diff_cache: dict[tuple[str, str], Changes] = {}
        # The report's per-pair lists, and what they were built from (see all_collisions).
        self._bumped: set[tuple[str, str]] = set()  # pairs whose verdicts changed since
        self._layout: tuple[list[str], list[str]] = ([], [])  # the sessions listed for
        self._listed: dict[tuple[str, str], list[Collision]] = {}
        self._unlisted: set[tuple[str, str]] = set()  # listed pairs not asked yet
        self._listed_states: dict[str, tuple[SessionState, tuple[object, ...]]] = {}
        self._pairs_of_session: dict[str, list[tuple[str, str]]] = {}
        self._merge_walks: dict[tuple[str, str], bool] = {}
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
        current = self.pairs.get(key)
        branches = (a.session.branch, b.session.branch, self.trunk_branch)
        same_heads = current is not None and current.heads == (a.head, b.head)
        if same_heads and current is not None and current.branches == branches:
            return current  # the hot path: asked for every pair on every edit
        trunk_a, trunk_b = self.is_trunk(a), self.is_trunk(b)
        onto = 1 if trunk_b and not trunk_a else 0
        if current is None or current.heads != (a.head, b.head) or current.onto != onto:
            base = self.merge_base(a.head, b.head)
            current = PairState(key[0], key[1], (a.head, b.head), base, self._tree_of(base))
            current.onto = onto
            self.pairs[key] = current
            self._bumped.add(key)
        current.trunk_pair = trunk_a or trunk_b
        current.branches = branches
        return current

    def _tree_of(self, commit: str | None) -> pygit2.Tree | None:
        """COMMIT's tree, looked up once: at 30 sessions most of the 435 pairs share trunk
        as their merge-base, and each lookup reads the commit from a pack (~0.15 ms)."""
        if commit not in self._base_trees:
            if len(self._base_trees) > 1024:
                self._base_trees.clear()
            self._base_trees[commit] = tree_of(self.repo, commit)
        return self._base_trees[commit]

    def base_entry(self, pair: PairState, path: str) -> Entry:
        """PATH at the pair's merge-base; most pairs share a base, so it is looked up once."""
        key = (pair.base, path)
        if key not in self._base_entries:
            if len(self._base_entries) > 8192:
                self._base_entries.clear()
            self._base_entries[key] = tree_entry(self.repo, pair.base_tree, path)
        return self._base_entries[key]

    def forget(self, keep_ids: set[str]) -> None:
        """Drop pairs of sessions that no longer exist."""
        for key in [k for k in self.pairs if k[0] not in keep_ids or k[1] not in keep_ids]:
            del self.pairs[key]

    def warm_up(self, pairs: list[tuple[SessionState, SessionState]]) -> Iterator[None]:
        """The full check's work that commits alone decide, one piece per step: each
        pair's merge-base and its sides' committed changes since it (the diff a side's
        snapshot needs later reads the same folders, parsed once). A cold start runs it
        while git scans the worktrees, on time it would otherwise spend waiting."""
        for a, b in pairs:
            pair = self.pair(a, b)
            yield
            if pair.base_tree is None:
                continue
            base_tree_id = str(pair.base_tree.id)
            for state in (a, b):
                if state.head_tree is not None:
                    self._changed_between(base_tree_id, str(state.head_tree.id))
                    yield

    # --- the full, authoritative check ----------------------------------------------

    def check_pair(self, a: SessionState, b: SessionState) -> PairState:
        self.check_pairs([(a, b)])
        return self.pair(a, b)

    def check_pairs(
        self,
        pairs: list[tuple[SessionState, SessionState]],
        interrupted: Callable[[], bool] | None = None,
    ) -> bool:
        """The full check of PAIRS. Pairs whose change sets decide them are settled at
        once; git merges the others, several side by side when merges are slow (real
        long-lived branches: see MergeTree.merge_all), while the hunks their report
        needs are read. INTERRUPTED is asked between pairs: once it says yes, no more
        merges start, and False says some work is left for the next check."""
        asked: list[_Question] = []
        for a, b in pairs:
            if interrupted is not None and interrupted():
                return False
            question = self._question(a, b)
            if question is not None:
                asked.append(question)
        if not asked:
            return True
        hunks = self._hunks_of(asked)
        answers = self.merger.merge_all(
            [(*q.snapshots, q.attributes) for q in asked], hunks, interrupted
        )
        for question, result in zip(asked, answers, strict=True):
            if result is not None:
                self._settle(question, conflicts_of(result))
        if any(result is None for result in answers):
            return False
        # The hunks git's merges left no time for: the report reads them next, and
        # here they are still read path by path, each file's versions once. An edit
        # that arrives is answered first (False: the next check finds every pair
        # checked, and the report reads what is left). A step that fails is met again,
        # and reported, where the report needs it.
        with contextlib.suppress(Exception):
            for _ in hunks:
                if interrupted is not None and interrupted():
                    return False
        return True

    def _question(self, a: SessionState, b: SessionState) -> _Question | None:
        """What git must be asked to check the pair A, B; None when nothing is: it was
        checked with these snapshots already, or its change sets decide it (settled)."""
        pair = self.pair(a, b)
        snapshots = (a.snapshot(), b.snapshot())
        attributes = self.merger.attributes_of((a, b)[pair.onto].snapshot_tree())
        inputs = (*snapshots, attributes.key)
        if pair.verified == inputs:
            return None
        base_tree_id = str(pair.base_tree.id) if pair.base_tree is not None else self._empty_tree
        sides = (
            self._changed_between(base_tree_id, a.snapshot_tree()),
            self._changed_between(base_tree_id, b.snapshot_tree()),
        )
        question = _Question(pair, a, b, snapshots, attributes, inputs, sides)
        # Without a common ancestor git refuses to merge (unrelated histories): no answer.
        # With several merge-bases (criss-cross merges) git merges a virtual base the
        # change sets above do not describe: always ask git then.
        if pair.base is not None and (_may_conflict(*sides) or not self._one_base(pair)):
            return question
        self._settle(question, {})
        return None

    def _settle(self, question: _Question, conflicts: dict[str, Conflict]) -> None:
        pair, sides = question.pair, question.sides
        pair.conflicts = conflicts
        pair.changed = (set(sides[0][0]), set(sides[1][0]))
        pair.added = (set(sides[0][1]), set(sides[1][1]))
        pair.deleted = (set(sides[0][2]), set(sides[1][2]))
        pair.overlaps = (pair.changed[0] & pair.changed[1]) - set(pair.conflicts)
        pair.group = pair.rename_candidates()
        pair.verified = question.inputs
        self._bump(pair)

    def _hunks_of(self, asked: list[_Question]) -> Iterator[None]:
        """Both sides' hunks at every path both sides of a pair changed, one file per
        step: the report's line ranges need them whether git calls the path a conflict
        or an overlap. Run while git merges (on a real repository's large files, ~1 ms
        a blob). Path by path across the pairs, so each version of a file is read from
        the object store about once (LineRanges keeps the last ones read)."""
        for path, question in sorted(
            ((path, q) for q in asked for path in q.both), key=lambda item: item[0]
        ):
            base = self.base_entry(question.pair, path)
            for side in (question.a, question.b):
                self.lines.hunks(base, side.entry(path))
                yield

    def _one_base(self, pair: PairState) -> bool:
        """The pair has a single merge-base: no merge commit on either side since it.

        (Criss-cross histories need merges above the base; a linear history has one.)
        """
        if pair.one_base is None:
            base = pair.base
            pair.one_base = base is None or not any(
                self._merges_since(head, base) for head in pair.heads if head is not None
            )
        return pair.one_base

    def _merges_since(self, head: str, base: str) -> bool:
        """A merge commit is on HEAD's side of BASE (memoized: at 30 sessions most pairs
        share trunk as their base, so each head would be walked 29 times)."""
        key = (head, base)
        found = self._merge_walks.get(key)
        if found is None:
            walker = self.repo.walk(head, pygit2.enums.SortMode.NONE)
            walker.hide(base)
            found = any(len(commit.parent_ids) > 1 for commit in walker)
            if len(self._merge_walks) > 4096:
                self._merge_walks.clear()
            self._merge_walks[key] = found
        return found

    def _changed_between(self, old_tree: str, new_tree: str) -> Changes:
        """(changed, added, deleted) paths from OLD_TREE to NEW_TREE, no rename detection."""
        key = (old_tree, new_tree)
        if key not in self._diff_cache:
            if len(self._diff_cache) > 256:
                self._diff_cache.clear()
            old, new = (self.repo[t].peel(pygit2.Tree) for t in (old_tree, new_tree))
            # As libgit2's tree diff with INCLUDE_TYPECHANGE gives them (a file that became
            # a link is changed, not deleted and added), without reading equal subtrees:
            # libgit2 walks all 50k entries (~5 ms) even when one file differs.
            self._diff_cache[key] = change_sets(self.repo, old, new)
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
        clashing = [p for p in parents(path) if any(s.entry(p) is not None for s in states)]
        if clashing:  # a clash is decided from what each side changed below the file
            for a, b in pairs:
                self._note_change(self.pair(a, b), a, b, path)
        for target in [*clashing, path]:
            self._check_paths(pairs, [target])
        if posixpath.basename(path) == ATTRIBUTES_FILE:
            folder = posixpath.dirname(path)
            prefix = folder + "/" if folder else ""
            for a, b in pairs:
                pair = self.pair(a, b)
                if pair.changed is None:
                    continue
                both = (pair.changed[0] & pair.changed[1]) | set(pair.conflicts)
                again = sorted(p for p in both if p.startswith(prefix) and p != path)
                if again:
                    self._check_paths([(a, b)], again)

    def _check_paths(
        self, pairs: list[tuple[SessionState, SessionState]], paths: list[str]
    ) -> None:
        singles: list[tuple[PairState, SessionState, SessionState, str]] = []
        groups: list[tuple[PairState, SessionState, SessionState, set[str]]] = []
        for a, b in pairs:
            pair = self.pair(a, b)
            pair.verified = None
            self._bump(pair)
            grouped: set[str] = set()
            for path in paths:
                self._note_change(pair, a, b, path)
                nowhere = a.entry(path) is None and b.entry(path) is None
                nowhere = nowhere and self.base_entry(pair, path) is None
                if pair.decided_together(path, nowhere=nowhere):
                    grouped.add(path)
                else:
                    singles.append((pair, a, b, path))
            if grouped:
                groups.append((pair, a, b, grouped))
        # Paths each pair re-decides on its own (singles, and those leaving a group)
        # first, then every pair's group: each kind of merge in one round trip.
        questions = []
        for pair, a, b, grouped in groups:
            question, leaving = self._group_question(pair, a, b, grouped)
            questions.append(question)
            singles += [(pair, a, b, path) for path in sorted(leaving)]
        self._decide_singles(singles)
        asked = [(group, q) for group, q in zip(groups, questions, strict=True) if q is not None]
        verdicts = self.probes.merge([q for _, q in asked])
        for ((pair, _, _, _), _), found in zip(asked, verdicts, strict=True):
            self._take_group_verdict(pair, found)

    def _note_change(self, pair: PairState, a: SessionState, b: SessionState, path: str) -> None:
        """Keep the pair's added/deleted/changed sets current for PATH."""
        if pair.changed is None:
            return
        base = self.base_entry(pair, path)
        for i, side in enumerate((a, b)):
            entry = side.entry(path)
            _mark(pair.changed[i], path, entry != base)
            _mark(pair.added[i], path, base is None and entry is not None)
            _mark(pair.deleted[i], path, base is not None and entry is None)

    def _decide_singles(
        self, items: list[tuple[PairState, SessionState, SessionState, str]]
    ) -> None:
        """One path of one pair each: a merge of single-file commits when both changed it."""
        questions: list[tuple[PairState, str, tuple[AttributeSource, tuple[ProbeFile, ...]]]] = []
        clashes: set[tuple[int, str]] = set()
        for pair, a, b, path in items:
            pair.conflicts.pop(path, None)
            pair.overlaps.discard(path)
            base = self.base_entry(pair, path)
            ours, theirs = a.entry(path), b.entry(path)
            if _folder_clash(pair, a, b, path, base, ours, theirs):
                clashes.add((id(pair), path))
            if ours == base or theirs == base:
                if (id(pair), path) in clashes:
                    pair.conflicts[path] = Conflict(("file/directory",))
                continue
            if ours == theirs:
                pair.overlaps.add(path)  # the same change on both sides merges cleanly
                continue
            attributes = attributes_above([path], (a, b)[pair.onto].entry)
            questions.append((pair, path, (attributes, ((path, base, ours, theirs),))))
        verdicts = self.probes.merge([question for _, _, question in questions])
        for (pair, path, _), found in zip(questions, verdicts, strict=True):
            conflict = found.get(path)
            if (id(pair), path) in clashes:
                kinds = conflict.kinds if conflict is not None else ()
                pair.conflicts[path] = Conflict(("file/directory", *kinds))
            elif conflict is None:
                pair.overlaps.add(path)
            else:
                pair.conflicts[path] = conflict

    def _group_question(
        self, pair: PairState, a: SessionState, b: SessionState, touched: set[str]
    ) -> tuple[tuple[AttributeSource, tuple[ProbeFile, ...]] | None, set[str]]:
        """Start re-deciding every path either side added or deleted, in one merge, so
        git pairs renames (and moved folders) as it does in the full merge: forget what
        the last group and TOUCHED (the paths that changed) said. Returns the merge to
        ask (None when renames cannot meet the other side) and the paths to decide one
        by one (TOUCHED and the last group's paths that are not in the group now)."""
        candidates = pair.rename_candidates()
        decided = candidates | pair.group | touched
        for path, conflict in list(pair.conflicts.items()):
            if path in decided or decided.intersection(conflict.related):
                del pair.conflicts[path]
        pair.overlaps -= decided
        pair.group = candidates
        if not candidates:
            return None, decided
        paths = sorted(candidates | self._sentinels(pair, a, b))
        files = tuple((p, self.base_entry(pair, p), a.entry(p), b.entry(p)) for p in paths)
        return (attributes_above(paths, (a, b)[pair.onto].entry), files), decided - candidates

    def _take_group_verdict(self, pair: PairState, found: dict[str, Conflict]) -> None:
        pair.conflicts.update(found)
        assert pair.changed is not None
        both = pair.changed[0] & pair.changed[1]
        pair.overlaps |= {p for p in pair.group if p in both and p not in pair.conflicts}

    def _sentinels(self, pair: PairState, a: SessionState, b: SessionState) -> set[str]:
        """A file each side still has in every folder it deleted files from.

        git takes a folder as renamed only when one side removed it entirely; a merge of
        a few files must not make a folder look removed that still has files.
        """
        found: set[str] = set()
        if pair.base_tree is None:
            return found
        for i, side in enumerate((a, b)):
            folders = {f for p in pair.deleted[i] for f in parents(p)}
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
                if item.type == pygit2.GIT_OBJECT_TREE:
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
        attributes: AttributeSource = NO_ATTRIBUTES,
    ) -> list[str] | None:
        """git's verdict on merging one path: None when clean, else the conflict kinds."""
        return self.probes.merge_file(path, base, ours, theirs, attributes)

    # --- what the pair reports ----------------------------------------------------------

    def hunks(self, old: Entry, new: Entry) -> list[Hunk] | None:
        return self.lines.hunks(old, new)

    def ranges(
        self, base: Entry, side: Entry, other: Entry | None = None, *, conflict: bool = False
    ) -> list[Range]:
        """Lines of SIDE's version whose hunks take part in the collision."""
        return self.lines.ranges(base, side, other, conflict=conflict)

    def pair_collisions(self, pair: PairState, a: SessionState, b: SessionState) -> list[Collision]:
        """The pair's collisions with line ranges (see agentls.pairs)."""
        return self.reporter.collisions(pair, a, b)

    def _bump(self, pair: PairState) -> None:
        """PAIR's conflicts or overlaps may have changed: its caches are stale."""
        pair.version += 1
        self._bumped.add((pair.a, pair.b))

    def all_collisions(
        self, code: list[SessionState], remote: list[SessionState]
    ) -> list[Collision]:
        """Every pair's collisions (the pairs of `pairs_of(code, remote)`), in no order.

        A pair is asked again only when its verdicts changed (`_bump`) or a side did
        (its state, version, name, HEAD, base or branch, or the trunk branch): after an
        edit at 30 sessions that is the 29 pairs of the edited session; the other 406
        of 435 are not visited at all, only their kept lists joined.
        """
        bumped, self._bumped = self._bumped, set()
        layout = ([s.session.id for s in code], [s.session.id for s in remote])
        if layout != self._layout:  # sessions came, went or changed order: start over
            self._layout = layout
            self._listed, self._listed_states, self._pairs_of_session = {}, {}, {}
            for a, b in pairs_of(code, remote):
                key = (a.session.id, b.session.id)
                self._listed[key] = []
                self._unlisted.add(key)
                for sid in key:
                    self._pairs_of_session.setdefault(sid, []).append(key)
        states = {s.session.id: s for s in [*code, *remote]}
        stale = {key for key in bumped if key in self._listed}
        for sid, state in states.items():
            session = state.session
            mark = (
                state.version,
                session.name,
                state.head,
                state.base,
                session.branch,
                self.trunk_branch,
            )
            before = self._listed_states.get(sid)
            if before is None or before[0] is not state or before[1] != mark:
                stale.update(self._pairs_of_session.get(sid, ()))
                self._listed_states[sid] = (state, mark)
        for key in stale | self._unlisted:
            a, b = states[key[0]], states[key[1]]
            self._listed[key] = self.pair_collisions(self.pair(a, b), a, b)
        self._unlisted = set()
        return list(itertools.chain.from_iterable(self._listed.values()))

    def ownership(self, writer: SessionState, owners: list[SessionState]) -> list[Collision]:
        """WRITER's changes to paths another of OWNERS claims."""
        found: list[Collision] = []
        owners = [o for o in owners if o is not writer and o.session.claims]
        if not owners:
            return found
        for path in sorted(writer.changed):
            for owner in owners:
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


Changes = tuple[set[str], set[str], set[str]]  # (changed, added, deleted) from the base


def _may_conflict(a: Changes, b: Changes) -> bool:
    """Whether git's merge of two sides could stop at all; False only when it cannot.

    Every conflict git reports needs the sides' changes to meet: a path both changed
    (content, modify/delete, add/add, modes, a rename's source or target, rename/rename),
    a file one side has where the other has a folder (both changed paths, one above the
    other), or a file one side added in a folder the other side deleted files from (a
    folder rename puts it elsewhere). Pairs whose changes never meet merge cleanly, and
    git is not asked: most pairs of sessions working in different areas.
    """
    if a[0] & b[0]:
        return True
    folders = [{f for p in side[0] for f in parents(p)} for side in (a, b)]
    if folders[0] & b[0] or folders[1] & a[0]:
        return True
    for mine, theirs in ((a, b), (b, a)):
        if mine[2] and theirs[1]:  # deleted here, added there: a folder may have moved
            emptied = {f for p in mine[2] for f in parents(p)}
            if any(f in emptied for p in theirs[1] for f in parents(p)):
                return True
    return False


def _mark(paths: set[str], path: str, present: bool) -> None:
    if present:
        paths.add(path)
    else:
        paths.discard(path)


def _folder_clash(
    pair: PairState,
    a: SessionState,
    b: SessionState,
    path: str,
    base: Entry,
    ours: Entry,
    theirs: Entry,
) -> bool:
    """One side changed the file at PATH while the other changed files below PATH since
    the pair's merge-base (not since trunk's: what one side merely carries from the
    other, such as a session branched off another, is no change of its own here)."""
    prefix = path + "/"
    changed = pair.changed or (a.changed, b.changed)
    for file_entry, folder_entry, folder_changed in (
        (ours, theirs, changed[1]),
        (theirs, ours, changed[0]),
    ):
        # A side with a file at PATH has nothing below it: only look when it has none.
        changed_file = file_entry is not None and file_entry != base and folder_entry is None
        if changed_file and any(p.startswith(prefix) for p in folder_changed):
            return True
    return False
