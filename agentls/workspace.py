"""The workspace: one repository's sessions, their live states and the analysis.

Front ends (CLI, language server, agent hooks) open a Workspace, call `refresh()`
for the authoritative picture and the per-file methods for live updates, and read
`report()`.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pygit2

from agentls.analysis import Analyzer
from agentls.changes import NOTES_FILES, SessionState
from agentls.claims import glob_matches
from agentls.git.merge import MergeTree
from agentls.git.repo import Repository, Trunk, ahead_behind, find_repository, resolve_trunk
from agentls.git.snapshot import index_worktree
from agentls.report import Collision, Report, SessionInfo
from agentls.sessions import Session, discover_sessions, find_session, session_at
from agentls.store import Store

log = logging.getLogger(__name__)

KIND_ORDER = {"conflict": 0, "ownership": 1, "research-write": 2, "overlap": 3}


class Workspace:
    """Everything agentls knows about one repository, kept current."""

    def __init__(
        self,
        folder: str | Path,
        *,
        trunk: str | None = None,
        ignore: Iterable[str] = (),
    ) -> None:
        self.repository: Repository = find_repository(folder)
        self.trunk_override = trunk
        self.ignore_globs = list(ignore)
        self.store = Store(self.repository.state_dir)
        self.git = pygit2.Repository(str(self.repository.common_dir))
        # Merges run in a scratch work tree with the pair's attribute files, never in
        # the folder agentls was started from (see agentls.git.merge).
        self.merger = MergeTree(self.repository.common_dir, self.git)
        self.analyzer = Analyzer(self.git, self.merger)
        self.trunk: Trunk = resolve_trunk(self.repository, trunk)
        self.analyzer.trunk_branch = self.trunk.branch
        self.sessions: list[Session] = []
        self.states: dict[str, SessionState] = {}
        self._ahead_behind: dict[tuple[str, str], tuple[int, int]] = {}

    def close(self) -> None:
        self.merger.close()
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- loading -------------------------------------------------------------------------

    @property
    def scratch(self) -> Path:
        return self.repository.state_dir / "tmp"

    def refresh(self) -> Report:
        """Re-read worktrees, trunk and every session whose HEAD moved; full check."""
        self.trunk = resolve_trunk(self.repository, self.trunk_override)
        self.analyzer.trunk_branch = self.trunk.branch
        self.sessions = discover_sessions(self.repository, self.store)
        live: dict[str, SessionState] = {}
        indexes = self._read_worktrees([s for s in self.sessions if self._stale(s)])
        for session in self.sessions:
            if session.missing:
                continue
            state = self.states.get(session.id)
            if state is None or session.id in indexes:
                fresh = self._load(session, indexes.get(session.id))
                if state is not None:
                    _carry_overlays(state, fresh)  # unsaved buffers survive a HEAD move
                state = fresh
            else:
                state.session = session
            live[session.id] = state
        self.states = live
        self.analyzer.forget(set(live))
        self.reconcile()
        return self.report()

    def _stale(self, session: Session) -> bool:
        """SESSION is to be read from disk: new, or its HEAD or base moved."""
        if session.missing:
            return False
        state = self.states.get(session.id)
        return state is None or state.head != session.head or state.base != self._base(session)

    def reload(self, session_id: str) -> None:
        """Rebuild one session from disk (after a commit, checkout, reset, rebase...)."""
        session = next((s for s in self.sessions if s.id == session_id), None)
        if session is None or session.missing:
            return
        state = self._load(session)
        old = self.states.get(session_id)
        if old is not None:
            _carry_overlays(old, state)  # unsaved buffers survive a reload
        self.states[session_id] = state

    def _base(self, session: Session) -> str | None:
        if session.is_research:
            return session.head  # a fork is measured from the state it was forked at
        return self.analyzer.merge_base(session.head, self.trunk.commit)

    def _load(self, session: Session, index: pygit2.Index | None = None) -> SessionState:
        return SessionState.load(session, self.git, self._base(session), self.scratch, index)

    def _read_worktrees(self, sessions: list[Session]) -> dict[str, pygit2.Index]:
        """Each session's worktree as an index (`git add -A` on a copy of its index), the
        git processes running side by side: on a cold start they are most of the time."""
        if len(sessions) < 2:
            return {s.id: self._read_worktree(s) for s in sessions}
        workers = min(len(sessions), 8, max(2, os.cpu_count() or 1))
        with ThreadPoolExecutor(workers, thread_name_prefix="agentls-snapshot") as pool:
            indexes = list(pool.map(self._read_worktree, sessions))
        return {s.id: index for s, index in zip(sessions, indexes, strict=True)}

    def _read_worktree(self, session: Session) -> pygit2.Index:
        return index_worktree(session.path, session.worktree.gitdir, self.scratch)

    # --- live updates --------------------------------------------------------------------

    def locate(self, file: str | Path) -> tuple[SessionState, str] | None:
        """The session state owning FILE (absolute) and FILE relative to its worktree."""
        path = Path(file)
        session = session_at(self.sessions, path.parent)
        if session is None or session.id not in self.states:
            return None
        try:
            relative = path.relative_to(session.path).as_posix()
        except ValueError:
            return None
        if relative == "." or relative.startswith(".git/") or relative == ".git":
            return None
        return self.states[session.id], relative

    def file_changed(self, state: SessionState, path: str) -> bool:
        """A file changed on disk; update every pair's view of it. True if anything changed.

        A file inside a nested repository updates that repository's gitlink instead.
        """
        if not state.file_changed_on_disk(state.stored_path(path)):
            return False
        self._recheck(state, state.touched)
        return True

    def buffer_changed(self, state: SessionState, path: str, text: str) -> bool:
        if not state.buffer_changed(path, text):
            return False
        self._recheck(state, state.touched)
        return True

    def buffer_closed(self, state: SessionState, path: str) -> bool:
        if not state.buffer_closed(path):
            return False
        self._recheck(state, state.touched)
        return True

    def _recheck(self, changed: SessionState, paths: list[str]) -> None:
        pairs = [(a, b) for a, b in self._pairs() if changed is a or changed is b]
        for path in paths:
            self.analyzer.check_path_pairs(pairs, path)

    def _pairs(self) -> list[tuple[SessionState, SessionState]]:
        """Code sessions in cascade order, pairwise (research forks only read).

        The first of a pair lands first unless the second is trunk; the analyzer reads
        attributes from the side the other is rebased onto (see PairState.onto).
        """
        code = [
            self.states[s.id] for s in self.sessions if s.id in self.states and not s.is_research
        ]
        return list(itertools.combinations(code, 2))

    def reconcile(self, interrupted: Callable[[], bool] | None = None) -> bool:
        """The authoritative full check for every pair whose snapshots changed.

        INTERRUPTED is asked between pairs; when it says yes the check stops early (so a
        live edit never waits for more than one pair's merge) and False is returned.
        """
        for a, b in self._pairs():
            if interrupted is not None and interrupted():
                return False
            self.analyzer.check_pair(a, b)
        return True

    # --- the report ------------------------------------------------------------------------

    def session(self, name: str) -> Session:
        return find_session(self.sessions, name)

    def report(self) -> Report:
        collisions: list[Collision] = []
        for a, b in self._pairs():
            collisions += self.analyzer.pair_collisions(self.analyzer.pair(a, b), a, b)
        states = [self.states[s.id] for s in self.sessions if s.id in self.states]
        for state in states:
            if state.session.is_research:
                collisions += self.analyzer.research_writes(state)
            else:
                collisions += self.analyzer.ownership(state, states)
        collisions = [
            c
            for c in collisions
            if c.path not in NOTES_FILES
            and not any(glob_matches(g, c.path) for g in self.ignore_globs)
        ]
        collisions.sort(key=lambda c: (KIND_ORDER[c.kind], c.path, c.sessions))
        return Report(
            trunk_branch=self.trunk.branch,
            trunk_commit=self.trunk.commit,
            sessions=[self._info(s) for s in self.sessions],
            overlaps=collisions,
            repository=str(self.repository.common_dir),
        )

    def _count_ahead_behind(self, head: str) -> tuple[int, int]:
        """Commits on HEAD not on trunk, and on trunk not on HEAD (in process: a `git
        rev-list` per session costs a process start each on every cold report)."""
        try:
            ahead, behind = self.git.ahead_behind(head, self.trunk.commit)
            return int(ahead), int(behind)
        except (KeyError, ValueError, pygit2.GitError):
            return ahead_behind(self.repository.cwd, head, self.trunk.commit)

    def _is_trunk(self, session: Session) -> bool:
        return session.branch == self.trunk.branch

    def _info(self, session: Session) -> SessionInfo:
        state = self.states.get(session.id)
        ahead = behind = 0
        if session.head and not session.missing:
            key = (session.head, self.trunk.commit)
            if key not in self._ahead_behind:
                self._ahead_behind[key] = self._count_ahead_behind(session.head)
            ahead, behind = self._ahead_behind[key]
        return SessionInfo(
            id=session.id,
            name=session.name,
            path=str(session.path),
            branch=session.branch,
            role=session.role,
            head=session.head,
            base=state.base if state else None,
            dirty=state.dirty if state else False,
            changed=sorted(state.changed) if state else [],
            claims=list(session.claims),
            priority=session.priority,
            ahead=ahead,
            behind=behind,
            missing=session.missing,
            locked=session.worktree.locked,
            is_trunk=self._is_trunk(session),
            source=session.source,
            landed=session.landed is not None and ahead == 0 and not self._is_trunk(session),
        )


def _carry_overlays(old: SessionState, new: SessionState) -> None:
    """Re-apply OLD's unsaved editor buffers on top of NEW (freshly loaded from disk)."""
    for path in old.overlays:
        entry = old.entry(path)
        new.overlays[path] = new.entry(path)
        new.set_entry(path, entry)
