"""The workspace: one repository's sessions, their live states and the analysis.

Front ends (CLI, language server, agent hooks) open a Workspace, call `refresh()`
for the authoritative picture and the per-file methods for live updates, and read
`report()`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pygit2

from agentls.analysis import Analyzer, pairs_of, pairs_with
from agentls.changes import NOTES_FILES, SessionState
from agentls.claims import glob_matches
from agentls.git.merge import MergeTree
from agentls.git.repo import (
    Repository,
    Trunk,
    ahead_behind,
    find_repository,
    object_store,
    read_trunk,
    resolve_trunk,
)
from agentls.git.snapshot import Scan, clean_scratch_once
from agentls.git.status_index import clean_status_indexes
from agentls.remote import view as remote_view
from agentls.remote.sessions import RemoteSessions
from agentls.report import Report, SessionInfo
from agentls.semantic.findings import semantic_collisions
from agentls.sessions import Session, discover_sessions, find_session, session_at
from agentls.store import Store

log = logging.getLogger(__name__)

KIND_ORDER = {"conflict": 0, "semantic": 1, "ownership": 1, "research-write": 2, "overlap": 3}


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
        # Temporary indexes that killed agentls processes of older versions left behind.
        clean_scratch_once(self.repository)
        self.git = pygit2.Repository(str(self.repository.common_dir))
        # Merges run in a scratch work tree with the pair's attribute files, never in
        # the folder agentls was started from (see agentls.git.merge).
        self.merger = MergeTree(self.repository.common_dir, self.git)
        # Analysis needs objects only (see object_store: no index loaded for diffs).
        self.analyzer = Analyzer(object_store(self.repository.common_dir), self.merger)
        # In process when it can, as begin() does (resolve_trunk runs git processes).
        self.trunk: Trunk = read_trunk(self.git, trunk) or resolve_trunk(self.repository, trunk)
        self.analyzer.trunk_branch = self.trunk.branch
        self.sessions: list[Session] = []
        # Whether each session's worktree folder was gone when the sessions were last
        # read (begin): one stat each then, not one per session on every report.
        self.missing: dict[str, bool] = {}
        self.states: dict[str, SessionState] = {}
        self._ahead_behind: dict[tuple[str, str], tuple[int, int]] = {}
        self._known_infos: dict[str, tuple[tuple[object, ...], SessionInfo]] = {}  # see _infos
        self.remote = RemoteSessions(self.git)  # sessions on other machines (agentls.remote)

    def close(self) -> None:
        self.merger.close()
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- loading -------------------------------------------------------------------------

    def refresh(self) -> Report:
        """Re-read worktrees, trunk and every session whose HEAD moved; full check."""
        self.scan(self.begin())
        self.reconcile()
        return self.report()

    def scan(self, states: list[SessionState]) -> None:
        """Scan STATES' worktrees, a few `git status` processes side by side: on a cold
        start they are most of the time, and each waits on the disk as much as a core."""
        at_once = min(8, max(2, os.cpu_count() or 1))
        running: list[tuple[SessionState, Scan]] = []
        warm = self.warm_up() if states else iter(())

        def finish(state: SessionState, scan: Scan) -> None:
            while not scan.done() and next(warm, False) is None:
                pass
            state.finish_scan(scan)

        try:
            for state in states:
                running.append((state, state.begin_scan(self.repository.scratch_dir)))
                if len(running) >= at_once:
                    finish(*running.pop(0))
            while running:
                finish(*running.pop(0))
        finally:
            for _, scan in running:  # a scan failed: the others' processes go too
                scan.close()

    def warm_up(self) -> Iterator[None]:
        """The full check's commit-only work, a step per item (Analyzer.warm_up): for
        the time a cold start waits on git scanning worktrees."""
        return self.analyzer.warm_up(self._pairs())

    def begin(self, *, rescan: bool = False) -> list[SessionState]:
        """Re-read worktrees, trunk and sessions; what the full load still has to scan.

        Sessions that are new, or whose HEAD or base moved (with RESCAN: every session),
        start from their HEAD (see SessionState.start): `scan()` each returned state,
        then `reconcile()`. Until then the report holds what per-file checks (`focus`)
        found.
        """
        # In process when it can (resolve_trunk runs up to four git processes).
        trunk = read_trunk(self.git, self.trunk_override)
        self.trunk = trunk or resolve_trunk(self.repository, self.trunk_override)
        self.analyzer.trunk_branch = self.trunk.branch
        self.sessions = discover_sessions(self.repository, self.store)
        self.missing = {session.id: session.missing for session in self.sessions}
        live: dict[str, SessionState] = {}
        for session in self.sessions:
            if self.missing[session.id]:
                continue
            state = self.states.get(session.id)
            if (
                rescan
                or state is None
                or state.head != session.head
                or state.base != self._base(session)
            ):
                fresh = SessionState.start(session, self.git, self._base(session))
                if state is not None:
                    _carry_overlays(state, fresh)  # unsaved buffers survive a HEAD move
                state = fresh
            else:
                state.session = session
            live[session.id] = state
        if self.states.keys() - live.keys():  # a worktree went: so does its index copy
            clean_status_indexes(self.repository.scratch_dir, self.repository.common_dir)
        self.states = live
        remote_view.refresh(self)
        self.analyzer.forget(set(live) | set(self.remote.states))
        self._count_commits()
        return [state for state in live.values() if not state.loaded]

    def present_sessions(self) -> list[Session]:
        """The sessions whose worktree folder was there when they were last read."""
        return [s for s in self.sessions if not self.missing.get(s.id, True)]

    def _count_commits(self) -> None:
        """Ahead/behind trunk for every session, in process (a `git rev-list` each would
        cost the first report ~3 ms a session)."""
        for session in self.present_sessions():
            key = (session.head, self.trunk.commit)
            if session.head and key not in self._ahead_behind:
                try:
                    ahead, behind = self.git.ahead_behind(session.head, self.trunk.commit)
                except (KeyError, ValueError, pygit2.GitError):
                    continue  # the report asks git itself
                self._ahead_behind[(session.head, self.trunk.commit)] = (ahead, behind)

    @property
    def complete(self) -> bool:
        """Every session's worktree has been scanned."""
        return all(state.loaded for state in self.states.values())

    def focus(self, files: Iterable[str | Path]) -> bool:
        """Answer for FILES (absolute) before the sessions' scans: read each file's path
        in every session not scanned yet and re-decide it for every pair. True if
        anything changed. Scanned sessions are current already (events keep them so)."""
        paths: dict[str, None] = {}
        for file in files:
            located = self.locate(file)
            if located is not None:
                paths[located[0].stored_path(located[1])] = None
        touched: dict[str, None] = {}
        for path in paths:
            for state in self.states.values():
                if not state.loaded and state.file_changed_on_disk(state.stored_path(path)):
                    touched.update(dict.fromkeys(state.touched))
        pairs = self._pairs()
        for path in touched:
            self.analyzer.check_path_pairs(pairs, path)
        return bool(touched)

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

    def _load(self, session: Session) -> SessionState:
        return SessionState.load(
            session, self.git, self._base(session), self.repository.scratch_dir
        )

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
        pairs = pairs_with(changed, *self._pair_sides())
        for path in paths:
            self.analyzer.check_path_pairs(pairs, path)

    def _pairs(self) -> list[tuple[SessionState, SessionState]]:
        """Code sessions in cascade order, pairwise, and remote ones with each of them
        (research forks only read). See `pairs_of`; the analyzer reads attributes from
        the side the other is rebased onto (see PairState.onto)."""
        return pairs_of(*self._pair_sides())

    def _pair_sides(self) -> tuple[list[SessionState], list[SessionState]]:
        code = [
            self.states[s.id] for s in self.sessions if s.id in self.states and not s.is_research
        ]
        return code, list(self.remote.states.values())

    def reconcile(self, interrupted: Callable[[], bool] | None = None) -> bool:
        """The authoritative full check for every pair whose snapshots changed.

        INTERRUPTED is asked between pairs; when it says yes the check stops early (so a
        live edit waits only for the merges under way, side by side) and False is
        returned. Pairs with a session not scanned yet wait for its scan (False too).
        Pairs with no common history (a worktree being added) are left out: git
        refuses to merge them too.
        """
        whole, ready = True, []
        for a, b in self._pairs():
            if not (a.loaded and b.loaded):
                whole = False
            elif self.analyzer.merge_base(a.head, b.head) is not None:
                ready.append((a, b))
        return self.analyzer.check_pairs(ready, interrupted) and whole

    # --- the report ------------------------------------------------------------------------

    def session(self, name: str) -> Session:
        remote_view.refuse_lifecycle(self, name)
        return find_session(self.sessions, name)

    def report(self) -> Report:
        collisions = self.analyzer.all_collisions(*self._pair_sides())
        states = [self.states[s.id] for s in self.sessions if s.id in self.states]
        claimers = [state for state in states if state.session.claims]
        for state in states:
            if state.session.is_research:
                collisions += self.analyzer.research_writes(state)
            elif claimers:
                collisions += self.analyzer.ownership(state, claimers)
        collisions += semantic_collisions(self)  # agentls.semantic: builds and tests merged
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
            sessions=self._infos() + remote_view.infos(self),
            overlaps=collisions,
            repository=str(self.repository.common_dir),
            remotes=remote_view.statuses(self),
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

    def _infos(self) -> list[SessionInfo]:
        """Every local session's info; one that did not change since the last report is
        the same object (its JSON made once), as on most edits 29 of 30 are.

        `missing` is as the sessions were last read: a worktree folder that goes away
        re-reads them (the engine's watch on it; a command reads them anyway), and its
        state leaves the report with it, so both agree.
        """
        infos: dict[str, tuple[tuple[object, ...], SessionInfo]] = {}
        for session in self.sessions:
            state = self.states.get(session.id)
            missing = self.missing.get(session.id, True)
            key = (session, state, state.version if state else 0, missing, self.trunk)
            known = self._known_infos.get(session.id)
            if known is not None and known[0] == key:
                info = known[1]
            else:
                info = self._info(session, missing)
            infos[session.id] = (key, info)
        self._known_infos = infos
        return [info for _, info in infos.values()]

    def _info(self, session: Session, missing: bool) -> SessionInfo:
        """SESSION's info; MISSING: its worktree's folder is gone (stat once per report)."""
        state = self.states.get(session.id)
        ahead = behind = 0
        if session.head and not missing:
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
            missing=missing,
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
