"""git's verdict on a few paths: merges of small commits built from their versions.

The incremental check asks "does this path conflict between these two sessions?"
without snapshotting either worktree: it builds a base commit holding the base
versions of the paths, two children holding each side's versions, and lets
`git merge-tree` merge them. With one path that is a single-file merge; with every
path either side added or deleted, git's rename detection sees what it sees in the
full merge. Answers are cached by (attributes, paths and versions).
"""

from __future__ import annotations

from dataclasses import dataclass

import pygit2

from agentls.changes import Entry
from agentls.git.attributes import AttributeSource
from agentls.git.merge import MergeResult, MergeTree

PROBE_SIGNATURE = pygit2.Signature("agentls", "agentls@localhost", 0, 0)
_TREE = int(pygit2.enums.FileMode.TREE)

# One path of a probe: (path, base version, first side's version, second side's version).
ProbeFile = tuple[str, Entry, Entry, Entry]


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


def conflicts_of(result: MergeResult) -> dict[str, Conflict]:
    return {path: Conflict.from_result(result, path) for path in result.conflicted}


class Probes:
    """Merges of small trees through the shared MergeTree, cached."""

    MAX_CACHED = 4096

    def __init__(self, repo: pygit2.Repository, merger: MergeTree) -> None:
        self.repo = repo
        self.merger = merger
        self._verdicts: dict[
            tuple[AttributeSource, tuple[ProbeFile, ...]], dict[str, Conflict]
        ] = {}
        self._commits: dict[tuple[tuple[tuple[str, Entry], ...], str | None], str] = {}

    def merge(
        self, questions: list[tuple[AttributeSource, tuple[ProbeFile, ...]]]
    ) -> list[dict[str, Conflict]]:
        """git's conflicts for each question; one round trip per attribute source."""
        missing = list(dict.fromkeys(q for q in questions if q not in self._verdicts))
        if len(self._verdicts) + len(missing) > self.MAX_CACHED:
            self._verdicts.clear()
        by_source: dict[AttributeSource, list[tuple[ProbeFile, ...]]] = {}
        for source, files in missing:
            by_source.setdefault(source, []).append(files)
        for source, batch in by_source.items():
            commits = [self._commits_of(files) for files in batch]
            for files, result in zip(batch, self.merger.merge_many(commits, source), strict=True):
                self._verdicts[(source, files)] = conflicts_of(result)
        return [self._verdicts[q] for q in questions]

    def merge_file(
        self, path: str, base: Entry, ours: Entry, theirs: Entry, attributes: AttributeSource
    ) -> list[str] | None:
        """git's verdict on merging one path: None when clean, else the conflict kinds."""
        [found] = self.merge([(attributes, ((path, base, ours, theirs),))])
        conflict = found.get(path)
        if conflict is not None:
            return list(conflict.kinds)
        return ["contents"] if found else None

    def _commits_of(self, files: tuple[ProbeFile, ...]) -> tuple[str, str]:
        """Commits of the two sides' versions of FILES, on a commit of the base versions."""
        base = self._commit(tuple((p, b) for p, b, _, _ in files), None)
        ours = self._commit(tuple((p, o) for p, _, o, _ in files), base)
        theirs = self._commit(tuple((p, t) for p, _, _, t in files), base)
        return ours, theirs

    def _commit(self, files: tuple[tuple[str, Entry], ...], parent: str | None) -> str:
        key = (files, parent)
        if key in self._commits:
            return self._commits[key]
        if len(self._commits) > self.MAX_CACHED:
            self._commits.clear()
        tree = self._tree([(p, e) for p, e in files if e is not None])
        parents = [pygit2.Oid(hex=parent)] if parent else []
        oid = self.repo.create_commit(
            None, PROBE_SIGNATURE, PROBE_SIGNATURE, "agentls probe\n", tree, parents
        )
        self._commits[key] = str(oid)
        return str(oid)

    def _tree(self, files: list[tuple[str, tuple[str, int]]]) -> pygit2.Oid:
        """A tree holding just FILES (path, (blob, mode)), folders made as needed."""
        folders: dict[str, dict[str, tuple[pygit2.Oid, int]]] = {"": {}}
        for path, (blob, mode) in files:
            *parts, name = path.split("/")
            for i in range(len(parts) + 1):
                folders.setdefault("/".join(parts[:i]), {})
            folders["/".join(parts)][name] = (pygit2.Oid(hex=blob), mode)
        # Deepest folders first, so each parent gets its children's tree ids.
        for folder in sorted(folders, key=lambda f: f.count("/") if f else -1, reverse=True):
            builder = self.repo.TreeBuilder()
            for name, (oid, mode) in folders[folder].items():
                builder.insert(name, oid, mode)
            written = builder.write()
            if folder == "":
                return written
            parent, _, name = folder.rpartition("/")
            folders[parent][name] = (written, _TREE)
        raise AssertionError("unreachable: the root folder is always written last")
