"""Which pairs to check: every two code sessions, and each session merged with trunk.

A side is a session's current state as the Workspace holds it (its snapshot commit:
commits, uncommitted work and editors' unsaved buffers) or trunk's commit. Pairs
where one side changed nothing are left out (the merge is the other side: nothing
new can break), as are sessions already level with trunk for the trunk pair.
Overlapping pairs (a path changed on both sides) come first, then the rest, each
group in cascade order.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from typing import Any

import pygit2

TRUNK = "@trunk"  # the side id of trunk's commit


@dataclass(frozen=True)
class Side:
    id: str  # session id, or TRUNK
    name: str  # session name, or trunk's branch
    commit: str  # snapshot commit (trunk: its commit)
    tree: str

    @property
    def is_trunk(self) -> bool:
        return self.id == TRUNK

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "commit": self.commit, "tree": self.tree}


@dataclass(frozen=True)
class Pair:
    a: Side  # trunk, when checking a session against trunk
    b: Side
    base: str | None  # their merge-base commit (the merge's third tree)
    overlap: bool  # both sides changed a path

    @property
    def via_trunk(self) -> bool:
        return self.a.is_trunk

    @property
    def ids(self) -> tuple[str, str]:
        return (self.a.id, self.b.id)

    @property
    def label(self) -> str:
        first, second = (self.b, self.a) if self.via_trunk else (self.a, self.b)
        return f"{first.name} + {second.name}"

    def key(self, commands_key: str) -> str:
        """The cache key: both trees (in either order), the merge base and the commands.

        Trees rather than snapshot commits, so committing work unchanged is no new
        check; the base, because the merged tree depends on it.
        """
        trees = sorted((self.a.tree, self.b.tree))
        raw = "\0".join([*trees, self.base or "", commands_key])
        return hashlib.sha1(raw.encode()).hexdigest()

    def involves(self, session_id: str) -> bool:
        return session_id in self.ids


def side_of(state: Any) -> Side:
    """A session's current state as a side (computes its snapshot if needed)."""
    return Side(
        id=state.session.id,
        name=state.session.name,
        commit=state.snapshot(),
        tree=state.snapshot_tree(),
    )


def trunk_side(ws: Any) -> Side | None:
    try:
        commit = ws.git[ws.trunk.commit].peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError):
        return None
    return Side(id=TRUNK, name=ws.trunk.branch, commit=str(commit.id), tree=str(commit.tree_id))


def checked_states(ws: Any) -> list[Any]:
    """Code sessions with work of their own: what semantic checks look at, in cascade order."""
    found = []
    for session in ws.sessions:
        state = ws.states.get(session.id)
        if state is None or session.is_research or session.missing or not session.head:
            continue
        if session.branch == ws.trunk.branch or not state.changed:
            continue
        found.append(state)
    return found


def _paths_between(repo: pygit2.Repository, old: str, new: str) -> set[str]:
    old_tree, new_tree = (repo[c].peel(pygit2.Tree) for c in (old, new))
    paths: set[str] = set()
    for delta in old_tree.diff_to_tree(new_tree).deltas:
        paths.add(delta.old_file.path)
        paths.add(delta.new_file.path)
    return paths


def candidates(ws: Any, *, with_trunk: bool = True) -> list[Pair]:
    """Every pair to check in the Workspace WS, overlapping pairs first."""
    states = checked_states(ws)
    sides = {id(state): side_of(state) for state in states}
    pairs = []
    for a, b in itertools.combinations(states, 2):
        base = ws.analyzer.merge_base(a.head, b.head)
        pairs.append(Pair(sides[id(a)], sides[id(b)], base, bool(a.changed & b.changed)))
    trunk = trunk_side(ws) if with_trunk else None
    if trunk is not None:
        for state in states:
            if not state.base or state.base == trunk.commit:
                continue  # level with trunk: merged with it, it is itself
            try:
                landed = _paths_between(ws.git, state.base, trunk.commit)
            except (KeyError, ValueError, pygit2.GitError):
                continue
            pairs.append(Pair(trunk, sides[id(state)], state.base, bool(landed & state.changed)))
    return sorted(pairs, key=lambda pair: not pair.overlap)  # stable: cascade order kept
