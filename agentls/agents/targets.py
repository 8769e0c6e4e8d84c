"""What a check is about before any git object is read: which session writes which file,
which files are never checked, what deny-once remembers of a finding, and the shape of
the answer.

Shared by the full check (agentls.agents.check) and the pygit2-free answers
(agentls.agents.quick), so both name the same writer and give the same answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from agentls.claims import glob_matches
from agentls.session_files import NOTES
from agentls.sessions import Session, find_session, session_at


def absolute(cwd: Path, path: str) -> Path:
    candidate = Path(path)
    full = candidate if candidate.is_absolute() else cwd / candidate
    # Resolve the folder (symlinked checkouts) but keep the file name as given.
    try:
        return full.parent.resolve() / full.name
    except OSError:
        return full


class Written(NamedTuple):
    """One file of a check: who writes it, where, and the path its worktree knows."""

    writer: Session
    relative: str
    full: Path


def written_files(
    sessions: list[Session],
    readable: Collection[str],
    cwd: Path,
    paths: Sequence[object],
    session: str | None,
    ignore: Iterable[str],
) -> tuple[list[Written], Session | None]:
    """The files of PATHS (relative to CWD, or absolute) a check looks at, and the
    session that writes: the first file's, else (SESSION unnamed) the one holding CWD.
    Paths in no readable session, notes and ignored globs are left out."""
    ignore = list(ignore)
    found: list[Written] = []
    writer_session: Session | None = None
    for raw in paths:
        if not isinstance(raw, str) or not raw or "\0" in raw:
            continue
        full = absolute(cwd, raw)
        located = writer_of(sessions, readable, cwd, full, session)
        if located is None:
            continue
        writer, relative = located
        writer_session = writer_session or writer
        if not never_checked(relative, ignore):
            found.append(Written(writer, relative, full))
    if writer_session is None and session is None:
        writer_session = session_at(sessions, cwd)
    return found, writer_session


def writer_of(
    sessions: list[Session],
    readable: Collection[str],
    cwd: Path,
    file: Path,
    session: str | None,
) -> tuple[Session, str] | None:
    """The session about to write FILE and FILE relative to its worktree, or None when
    FILE is in no session whose worktree can be read (READABLE: those sessions' ids)."""
    owner = session_at(sessions, file.parent)
    chosen: Session | None
    if session is not None:
        chosen = find_session(sessions, session)
    else:
        chosen = owner or session_at(sessions, cwd)
    if chosen is None or owner is None or chosen.id not in readable:
        return None
    try:
        relative = file.relative_to(owner.path).as_posix()
    except ValueError:
        return None
    if relative in (".", ".git") or relative.startswith(".git/"):
        return None
    return chosen, relative


def never_checked(relative: str, ignore: Iterable[str]) -> bool:
    """Session notes, and the globs agents are never warned about (`agentls.ignore`)."""
    return relative in NOTES or any(glob_matches(g, relative) for g in ignore)


def research_write(writer: Session, full: Path) -> dict[str, Any]:
    """The finding for any write of a read-only research session."""
    return {
        "kind": "research-write",
        "session": writer.name,
        "session_id": writer.id,
        "branch": writer.branch,
        "file": str(full),
        "changed": False,
        "claim": None,
        "ranges": {"self": [], "other": []},
        "detail": [],
        "handoff": [],
        "fingerprint": "research:" + writer.id,
    }


def fingerprint(
    other_id: str, entry: tuple[str, int] | None, claim: str | None, *, ownership: bool
) -> str:
    """What deny-once remembers of a finding: what the other session has, not what the
    writer has, so the writer's own edits (the retried one included) do not make an
    acknowledged collision new again; a claim is remembered apart from a change."""
    family = "claim" if ownership else "change"
    raw = json.dumps([other_id, family, list(entry) if entry else None, claim])
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def answer(
    common_dir: Path,
    trunk_branch: str,
    writer: Session | None,
    files: list[dict[str, Any]],
) -> dict[str, Any]:
    """The check's answer (the engine's "check" method returns it as is)."""
    return {
        "ok": True,
        "repository": str(common_dir),
        "trunk": trunk_branch,
        "session": None
        if writer is None
        else {"name": writer.name, "branch": writer.branch, "path": str(writer.path)},
        "clear": not any(f["findings"] for f in files),
        "files": files,
    }
