"""Remote refs as sessions: committed work only, read straight from git's objects.

A remote session has no worktree, no index and no unsaved buffers: its state is its
ref's commit. So its snapshot is that commit, its entries are the commit's tree
entries, and nothing about it changes until a fetch moves the ref. The analysis then
treats it as any other session, and pairs whose inputs did not move are not merged
again (Analyzer.check_pair skips verified snapshots): one changed ref re-analyses
only the pairs it takes part in.

A remote session drops out when trunk already contains it (merged), when a local
session already contains it (the same work, checked out here), and when it is this
user's own published work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygit2

from agentls.changes import Entry, SessionState
from agentls.errors import AgentlsError
from agentls.remote import ROLE
from agentls.remote.refs import NAMESPACE, RemoteRef, parse_local_ref, wip_prefix_owner
from agentls.report import SessionInfo

PRIORITY = 10_000  # after every local session in cascade order


@dataclass
class RemoteSession:
    """One remote ref seen as a session (quacks like sessions.Session for the analysis)."""

    id: str
    name: str
    ref: RemoteRef
    head: str
    committed: int  # the commit's committer time (seconds since the epoch)
    author: str
    wip_user: str | None = None  # published uncommitted work of this user
    wip_session: str | None = None
    role: str = ROLE
    priority: int = PRIORITY
    claims: list[str] = field(default_factory=list)
    source: str | None = None
    landed: float | None = None
    missing: bool = False
    is_research: bool = False

    @property
    def branch(self) -> str:
        return self.ref.branch

    @property
    def path(self) -> Path:
        # No worktree; an impossible relative path so that no file ever lies "inside" it.
        return Path("\0remote") / self.id

    def describe(self) -> dict[str, Any]:
        """The `remote` object of its SessionInfo: who and where."""
        return {
            "remote": self.ref.remote,
            "ref": self.ref.remote_ref,
            "local_ref": self.ref.ref,
            "branch": self.ref.branch,
            "committed": self.committed,
            "author": self.author,
            "wip": self.wip_user is not None,
            "user": self.wip_user,
            "session": self.wip_session,
        }


class RemoteState(SessionState):
    """A SessionState over one commit: entries come from its tree, never from a worktree."""

    @classmethod
    def from_commit(
        cls, session: RemoteSession, repo: pygit2.Repository, base: str | None
    ) -> RemoteState:
        # A state as its HEAD has it (what SessionState.start builds) is all of it: no
        # worktree to scan, and its snapshot is the commit itself.
        state = cls.start(session, repo, base)  # type: ignore[arg-type]
        state.loaded = True
        state._snapshot = session.head
        state._tree_id = str(state.head_tree.id) if state.head_tree is not None else None
        return state  # type: ignore[return-value]

    def set_entry(self, path: str, entry: Entry) -> bool:
        remote: Any = self.session
        raise AgentlsError.refuse(
            "remote-session",
            session=remote.name,
            remote=remote.ref.remote,
            ref=remote.ref.remote_ref,
            branch=remote.branch,
            local_ref=remote.ref.ref,
        )


def _all_paths(tree: pygit2.Tree | None, prefix: str = "") -> list[str]:
    found: list[str] = []
    for item in tree or []:
        name = prefix + str(item.name)
        if item.filemode == pygit2.enums.FileMode.TREE:
            found += _all_paths(item.peel(pygit2.Tree), name + "/")
        else:
            found.append(name)
    return found


def _diff_paths(diff: pygit2.Diff) -> set[str]:
    paths: set[str] = set()
    for delta in diff.deltas:
        paths.add(delta.old_file.path)
        paths.add(delta.new_file.path)
    return paths


def list_remote_refs(repo: pygit2.Repository) -> list[tuple[RemoteRef, str]]:
    """Every ref in agentls's remote namespace with its commit, sorted by ref."""
    found = []
    for name in repo.references:
        if not name.startswith(NAMESPACE + "/"):
            continue
        parsed = parse_local_ref(name)
        if parsed is None:
            continue
        try:
            commit = repo.references[name].peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError):
            continue  # a tag of a tree, a dangling ref: not a session
        found.append((parsed, str(commit.id)))
    return sorted(found, key=lambda item: item[0].ref)


class RemoteSessions:
    """The remote sessions of one repository, kept across refreshes.

    `refresh` rebuilds only the states whose ref moved (or whose base moved with
    trunk); unchanged ones are the same objects, so their pairs stay verified.
    """

    def __init__(self, repo: pygit2.Repository) -> None:
        self.repo = repo
        self.sessions: list[RemoteSession] = []
        self.states: dict[str, RemoteState] = {}
        self.hidden: dict[str, str] = {}  # session name -> why it is not shown
        self.own_user: str | None = None
        self.wip_prefix: str | None = None
        self.statuses: dict[str, Any] = {}  # remote -> fetch.RemoteStatus
        self.config_problem: str | None = None  # why the configuration could not be read
        self.present: list[str] = []  # the remotes `git remote` lists
        self._contains: dict[tuple[str, str], bool] = {}

    def _descendant(self, newer: str, older: str) -> bool:
        """NEWER contains OLDER (equal counts)."""
        if newer == older:
            return True
        key = (newer, older)
        if key not in self._contains:
            if len(self._contains) > 65536:
                self._contains.clear()
            try:
                self._contains[key] = bool(self.repo.descendant_of(newer, older))
            except (KeyError, ValueError, pygit2.GitError):
                self._contains[key] = False
        return self._contains[key]

    def refresh(
        self, trunk: str, local_heads: dict[str, str], base_of: Any
    ) -> dict[str, RemoteState]:
        """Re-list the refs; LOCAL_HEADS maps local session names to their HEADs;
        BASE_OF(head) is a head's merge-base with trunk."""
        sessions: list[RemoteSession] = []
        states: dict[str, RemoteState] = {}
        self.hidden = {}
        for ref, head in list_remote_refs(self.repo):
            session = self._session(ref, head)
            if session.wip_user is not None and session.wip_user == self.own_user:
                self.hidden[session.name] = "this user's own published work"
                continue
            if self._descendant(trunk, head):
                self.hidden[session.name] = "merged into trunk"
                continue
            holder = next((n for n, h in local_heads.items() if self._descendant(h, head)), None)
            if holder is not None:
                self.hidden[session.name] = f"already in local session {holder}"
                continue
            base = base_of(head)
            state = self.states.get(session.id)
            if state is None or state.head != head or state.base != base:
                state = RemoteState.from_commit(session, self.repo, base)
            else:
                state.session = session  # type: ignore[assignment]
            sessions.append(session)
            states[session.id] = state
        self.sessions, self.states = sessions, states
        return states

    def _session(self, ref: RemoteRef, head: str) -> RemoteSession:
        commit = self.repo[head].peel(pygit2.Commit)
        owner = ref.wip_owner
        if owner is None and self.wip_prefix:
            owner = wip_prefix_owner(ref, self.wip_prefix)
        name = ref.name if owner is None else f"{ref.remote}:wip/{owner[0]}/{owner[1]}"
        return RemoteSession(
            id=f"remote:{ref.ref}",
            name=name,
            ref=ref,
            head=head,
            committed=int(commit.commit_time),
            author=str(commit.author.name),
            wip_user=owner[0] if owner else None,
            wip_session=owner[1] if owner else None,
        )

    def find(self, name: str) -> RemoteSession | None:
        return next((s for s in self.sessions if s.name == name), None)

    def info(self, session: RemoteSession, ahead: int, behind: int) -> SessionInfo:
        state = self.states.get(session.id)
        return SessionInfo(
            id=session.id,
            name=session.name,
            path="",
            branch=session.branch,
            role=ROLE,
            head=session.head,
            base=state.base if state else None,
            dirty=session.wip_user is not None,
            changed=sorted(state.changed) if state else [],
            claims=[],
            priority=session.priority,
            ahead=ahead,
            behind=behind,
            remote=session.describe(),
        )
