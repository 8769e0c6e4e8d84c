"""`check_paths`: who else is touching these files, before an agent writes them.

Two sources give the same answer:
- a live Workspace (the shared engine's): every session's state is already in
  memory, so the check reads entries from it;
- no Workspace (a cold hook): the work depends on the paths asked about, never on
  the size of the repository. For each path and each other session we hash that
  session's file on disk, look up its base (merge-base with trunk) with pygit2,
  and ask git's own merge (Analyzer.merge_file) only when both sides changed it.

The answer is a JSON-able dict (the engine's "check" method returns it as is).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pygit2

from agentls.agents.bases import remember_bases
from agentls.agents.targets import answer, fingerprint, research_write, written_files
from agentls.analysis import Analyzer
from agentls.changes import (
    Entry,
    SessionState,
    read_worktree_file,
    tree_entry,
    tree_of,
)
from agentls.claims import matching_claim
from agentls.errors import AgentlsError
from agentls.files import read_regular
from agentls.git.attributes import AttributeSource, attributes_above
from agentls.git.filters import WorktreeFilters
from agentls.git.merge import MergeTree
from agentls.git.repo import Repository, find_repository, object_store, read_trunk
from agentls.probes import ProbeFile
from agentls.session_files import HANDOFF, own_notes
from agentls.sessions import Session, discover_sessions
from agentls.store import Store

KIND_ORDER = {"conflict": 0, "ownership": 1, "overlap": 2, "changed": 3, "research-write": 4}
HANDOFF_LINES = 5
HANDOFF_BYTES = 64 * 1024  # enough for anyone's notes; a huge file is not read whole


# --- one session's view of a path -------------------------------------------------------


class Side:
    """What one session has at a path now, and at its base."""

    def __init__(self, session: Session, base_tree: pygit2.Tree | None, head: str | None) -> None:
        self.session = session
        self.base_tree = base_tree
        self.head = head

    def entry(self, path: str) -> Entry:
        raise NotImplementedError

    def base_entry(self, path: str) -> Entry:
        raise NotImplementedError


class LiveSide(Side):
    """A session as a live Workspace holds it (unsaved editor buffers included)."""

    def __init__(self, state: SessionState) -> None:
        super().__init__(state.session, state.base_tree, state.head)
        self.state = state

    def entry(self, path: str) -> Entry:
        return self.state.entry(path)

    def base_entry(self, path: str) -> Entry:
        return self.state.base_entry(path)


class DiskSide(Side):
    """A session read straight from its worktree: hash the file, look up the base."""

    def __init__(
        self,
        session: Session,
        git: pygit2.Repository,
        trees: Trees,
        base: str | None,
        head: str | None,
    ) -> None:
        super().__init__(session, trees.of(base), head)
        self.git = git
        self._trees = trees
        self._entries: dict[str, Entry] = {}
        self._filters = WorktreeFilters(session.path, self._attributes_in_index)

    @cached_property
    def head_tree(self) -> pygit2.Tree | None:
        # Only for a path its base lacks: 30 sessions' own heads are 30 trees to read.
        return self._trees.of(self.head)

    def base_entry(self, path: str) -> Entry:
        return tree_entry(self.git, self.base_tree, path)

    def entry(self, path: str) -> Entry:
        if path not in self._entries:
            self._entries[path] = self._read(path)
        return self._entries[path]

    def _attributes_in_index(self, path: str) -> bool:
        """An attributes file git reads from the index (skip-worktree, in HEAD)."""
        if not self._filters.may_skip_worktree():
            return False  # the usual case, from 8 bytes of the index: no HEAD tree read
        found = tree_entry(self.git, self.head_tree, path) is not None
        return found and self._filters.skip_worktree(path)

    def _read(self, path: str) -> Entry:
        known = self.base_entry(path) or tree_entry(self.git, self.head_tree, path)
        found = read_worktree_file(self.git, self._filters, path, known=known)
        return None if found is False else found


# --- where the sides come from ------------------------------------------------------------


class Trees:
    """Commits' trees, each read once: sessions share their base (a hook at 30 sessions
    peeled the same trunk commit 30 times, ~0.1 ms each from a cold object store)."""

    def __init__(self, git: pygit2.Repository) -> None:
        self.git = git
        self._trees: dict[str | None, pygit2.Tree | None] = {}

    def of(self, commit: str | None) -> pygit2.Tree | None:
        if commit not in self._trees:
            self._trees[commit] = tree_of(self.git, commit)
        return self._trees[commit]


@dataclass
class View:
    """Sessions, their sides and the analyzer, from a live Workspace or from disk."""

    repository: Repository
    git: pygit2.Repository
    analyzer: Analyzer
    sessions: list[Session]
    sides: dict[str, Side]
    ignore: list[str] = field(default_factory=list)
    trunk_branch: str = ""
    _close: list[Any] = field(default_factory=list)

    @cached_property
    def trees(self) -> Trees:
        return Trees(self.git)

    def close(self) -> None:
        for item in self._close:
            item.close()

    def onto(self, a: Side, b: Side) -> Side:
        """The side whose `.gitattributes` the pair's merge reads, as in the Workspace:
        trunk's when one of them is trunk, else the one first in cascade order."""
        trunk = [s.session.branch == self.trunk_branch for s in (a, b)]
        if trunk[0] != trunk[1]:
            return a if trunk[0] else b
        order = [s.id for s in self.sessions]
        first = min((a, b), key=lambda s: order.index(s.session.id) if s.session.id in order else 0)
        return first

    def pair_base_entry(self, a: Side, b: Side, path: str) -> Entry:
        base = self.analyzer.merge_base(a.head, b.head)
        return tree_entry(self.git, self.trees.of(base), path)


def configured_ignore(git: pygit2.Repository) -> list[str]:
    """Globs agents are never warned about: `git config --add agentls.ignore 'docs/**'`."""
    try:
        return [str(v) for v in git.config.get_multivar("agentls.ignore")]
    except (KeyError, pygit2.GitError):
        return []


def live_view(workspace: Any) -> View:
    """A view over a Workspace the caller keeps current (the shared engine)."""
    sides: dict[str, Side] = {sid: LiveSide(st) for sid, st in workspace.states.items()}
    return View(
        repository=workspace.repository,
        git=workspace.git,
        analyzer=workspace.analyzer,
        sessions=list(workspace.sessions),
        sides=sides,
        ignore=list(workspace.ignore_globs) + configured_ignore(workspace.git),
        trunk_branch=workspace.trunk.branch,
    )


def disk_view(cwd: str | Path, located: tuple[Path, Path] | None = None) -> View:
    """A view read from disk: one `git worktree list`, pygit2 for everything else."""
    if located is not None:
        repository = Repository(common_dir=located[1], toplevel=located[0])
    else:
        repository = find_repository(cwd)
    store = Store(repository.state_dir)
    git = pygit2.Repository(str(repository.common_dir))
    merger = MergeTree(repository.common_dir, git)  # starts git only when a merge is asked for
    analyzer = Analyzer(object_store(repository.common_dir), merger)
    view = View(repository, git, analyzer, [], {}, _close=[merger, store])
    try:
        view.sessions = discover_sessions(repository, store)
        view.ignore = configured_ignore(git)
        trunk = read_trunk(git)
        if trunk is None:
            raise AgentlsError("no trunk branch: none of agentls.trunk, main or master exists")
        view.trunk_branch = trunk.branch
        bases: dict[tuple[str, str], str] = {}
        for session in view.sessions:
            if session.missing:
                continue
            head = session.head
            base = head if session.is_research else view.analyzer.merge_base(head, trunk.commit)
            if head and base and not session.is_research:
                bases[(head, trunk.commit)] = base
            view.sides[session.id] = DiskSide(session, git, view.trees, base, head)
        remember_bases(repository.common_dir, bases)  # for agentls.agents.quick
    except BaseException:
        view.close()
        raise
    return view


# --- the check ---------------------------------------------------------------------------------


def _handoff(session: Session) -> list[str]:
    """The first lines of a session's own notes in HANDOFF.md: what it says it is doing.

    agentls's generated section is left out: it is agentls talking, not the session.
    """
    try:  # a regular file of the worktree only: a FIFO would hang the hook, a link leak
        data = read_regular(
            session.path / HANDOFF, limit=HANDOFF_BYTES, follow_symlinks=False, head=True
        )
    except OSError:
        return []
    text = data.decode("utf-8", errors="replace")
    lines = []
    for line in own_notes(text).splitlines():
        stripped = line.strip()
        if stripped:
            lines.append(stripped[:200])
        if len(lines) >= HANDOFF_LINES:
            break
    return lines


def _ranges(rs: Iterable[tuple[int, int]]) -> list[list[int]]:
    return [[a, b] for a, b in rs]


def _finding(
    view: View, writer: Side, other: Side, path: str, cache: dict[str, Entry | None]
) -> dict[str, Any] | None:
    session = other.session
    claim = matching_claim(session.claims, path) if session.claims else None
    theirs_base, theirs = other.base_entry(path), other.entry(path)
    changed = theirs != theirs_base
    if not changed and claim is None:
        return None
    kind, detail = "ownership", [claim] if claim else []
    mine_ranges: list[list[int]] = []
    their_ranges: list[list[int]] = []
    analyzer = view.analyzer
    if changed:
        if "mine" not in cache:
            cache["mine"], cache["mine_base"] = writer.entry(path), writer.base_entry(path)
        mine, mine_base = cache["mine"], cache["mine_base"]
        if mine == mine_base:
            # Only they changed it: any edit of ours will at least overlap.
            kind = "changed" if claim is None else "ownership"
            their_ranges = _ranges(analyzer.ranges(theirs_base, theirs))
        else:
            base = view.pair_base_entry(writer, other, path)
            attributes = attributes_above([path], view.onto(writer, other).entry)
            kinds = (
                None
                if mine == theirs
                else analyzer.merge_file(path, base, mine, theirs, attributes)
            )
            conflict = kinds is not None
            kind = "conflict" if conflict else ("ownership" if claim else "overlap")
            detail = (kinds or []) + ([claim] if claim else [])
            mine_ranges = _ranges(analyzer.ranges(base, mine, theirs, conflict=conflict))
            their_ranges = _ranges(analyzer.ranges(base, theirs, mine, conflict=conflict))
    return {
        "kind": kind,
        "session": session.name,
        "session_id": session.id,
        "branch": session.branch,
        "file": str(session.path / path),
        "changed": changed,
        "claim": claim,
        "ranges": {"self": mine_ranges, "other": their_ranges},
        "detail": detail,
        "handoff": _handoff(session),
        "fingerprint": fingerprint(session.id, theirs, claim, ownership=kind == "ownership"),
    }


def _ask_git_at_once(
    view: View, writer: Side, others: list[Side], path: str, cache: dict[str, Entry | None]
) -> None:
    """git's verdicts for every other session that changed PATH as the writer did, in
    one round trip to merge-tree; `_finding` then reads them from the analyzer's cache.
    (One round trip each cost a cold hook ~2 ms a session, far more on a busy machine:
    a file 15 sessions changed waited for 15 answers in turn.)"""
    questions: list[tuple[AttributeSource, tuple[ProbeFile, ...]]] = []
    for other in others:
        theirs_base, theirs = other.base_entry(path), other.entry(path)
        if theirs == theirs_base:
            continue
        if "mine" not in cache:
            cache["mine"], cache["mine_base"] = writer.entry(path), writer.base_entry(path)
        mine = cache["mine"]
        if mine == cache["mine_base"] or mine == theirs:
            continue
        # The very question `_finding` asks through merge_file (one file, the pair's
        # attribute source), so its answer is the cached one.
        attributes = attributes_above([path], view.onto(writer, other).entry)
        base = view.pair_base_entry(writer, other, path)
        questions.append((attributes, ((path, base, mine, theirs),)))
    if len(questions) > 1:
        view.analyzer.probes.merge(questions)  # one round trip per attribute source


def check_view(view: View, cwd: str | Path, paths: Sequence[str], session: str | None) -> dict:
    """The check over an open View (see check_paths)."""
    base_dir = Path(cwd).resolve()
    files: list[dict[str, Any]] = []
    written, writer_session = written_files(
        view.sessions, view.sides, base_dir, paths, session, view.ignore
    )
    for item in written:
        writer, relative, full = view.sides[item.writer.id], item.relative, item.full
        findings: list[dict[str, Any]] = []
        if writer.session.is_research:
            findings.append(research_write(writer.session, full))
        cache: dict[str, Entry | None] = {}
        others = [
            side
            for other_session in view.sessions
            # research forks only read; their writes are their own finding
            if (side := view.sides.get(other_session.id)) is not None
            and side is not writer
            and not other_session.is_research
        ]
        _ask_git_at_once(view, writer, others, relative, cache)
        for other in others:
            found = _finding(view, writer, other, relative, cache)
            if found is not None:
                findings.append(found)
        findings.sort(key=lambda f: (KIND_ORDER.get(f["kind"], 9), f["session"]))
        files.append({"path": relative, "file": str(full), "findings": findings})
    return answer(view.repository.common_dir, view.trunk_branch, writer_session, files)


def check_paths(
    workspace: Any,
    cwd: str | Path,
    paths: Sequence[str],
    session: str | None = None,
    *,
    located: tuple[Path, Path] | None = None,
) -> dict:
    """Which other sessions changed or claim PATHS (relative to CWD, or absolute).

    WORKSPACE is a live, refreshed agentls.workspace.Workspace (the shared engine
    passes its own), or None to read everything from disk for just these paths.
    SESSION names the writing session; by default it is the one holding each file.
    """
    if workspace is not None:
        return check_view(live_view(workspace), cwd, paths, session)
    view = disk_view(cwd, located)
    try:
        return check_view(view, cwd, paths, session)
    finally:
        view.close()
