"""Durable session facts: names, claims (ownership) and priorities."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from agentls.claims import globs_intersect, validate_glob
from agentls.errors import InvalidInputError
from agentls.git.repo import rev_parse
from agentls.git.runner import run_git_bytes
from agentls.lifecycle import backups as kept
from agentls.lifecycle.common import BACKUP_PREFIX, backups, session_named
from agentls.lifecycle.journal import Journal
from agentls.names import validate_name
from agentls.workspace import Workspace

log = logging.getLogger(__name__)

PRIORITY_RANGE = (-1_000_000, 1_000_000)


def rename_session(ws: Workspace, old: str, new: str) -> dict[str, Any]:
    """Rename a session; every front end reads the name from the store, so it shows at once."""
    target = session_named(ws, old)
    validate_name(new)
    if new == target.name:
        return {"ok": True, "old": old, "name": new, "backups": [], "changed": False}
    with ws.store.transaction() as db:
        holder = db.execute("SELECT id FROM sessions WHERE name = ?", (new,)).fetchone()
        if holder is not None:
            raise InvalidInputError.refuse("name-taken", name=new, renaming=True)
        db.execute("UPDATE sessions SET name = ? WHERE id = ?", (new, target.id))
        # Research forks remember their source by name.
        db.execute("UPDATE sessions SET source = ? WHERE source = ?", (new, target.name))
    moved = _move_backups(ws, target.name, new)
    ws.refresh()
    return {"ok": True, "old": old, "name": new, "backups": moved, "changed": True}


def _move_backups(ws: Workspace, old: str, new: str) -> list[str]:
    """Move OLD's backup refs under NEW's name, so `restore NEW` finds them.

    Each ref moves in one `update-ref --stdin` transaction (create the new name only
    if it is free, delete the old only if unchanged), so no backup is ever lost; the
    land journal's mentions of the moved refs, and what a removal kept beside them
    (agentls.lifecycle.backups), follow them.
    """
    cwd = ws.repository.cwd
    journal = Journal(ws.store)
    moved = []
    for ref, commit in backups(cwd, old):
        stamp = ref[len(f"{BACKUP_PREFIX}/{old}/") :]
        target, n = f"{BACKUP_PREFIX}/{new}/{stamp}", 2
        while rev_parse(cwd, target) is not None:  # a backup of an earlier NEW (removed)
            target, n = f"{BACKUP_PREFIX}/{new}/{stamp}-{n}", n + 1
        script = f"start\ncreate {target} {commit}\ndelete {ref} {commit}\ncommit\n"
        proc = run_git_bytes(["update-ref", "--stdin"], cwd, input=script.encode(), check=False)
        if proc.returncode != 0:
            log.warning("could not move backup %s to %s: %s", ref, target, proc.stderr.decode())
            continue
        journal.backup_moved(ref, target)
        kept.moved(ws.store, ref, target)
        moved.append(target)
    return moved


def _globs(globs: object) -> list[str]:
    if isinstance(globs, str) or not isinstance(globs, Iterable):
        raise InvalidInputError.refuse("invalid-glob", glob=None, reason="list")
    checked = [validate_glob(g) for g in globs]
    if not checked:
        raise InvalidInputError.refuse("invalid-glob", glob=None, reason="none")
    return list(dict.fromkeys(checked))


def claim(
    ws: Workspace, session: str, globs: Iterable[str], *, force: bool = False
) -> dict[str, Any]:
    """Add ownership GLOBS to SESSION; refuse globs another session holds unless FORCE."""
    wanted = _globs(globs)
    target = session_named(ws, session, fresh=True)
    clashes = [
        {"glob": glob, "owner": other.name, "theirs": theirs}
        for glob in wanted
        for other in ws.sessions
        if other.id != target.id
        for theirs in other.claims
        if globs_intersect(glob, theirs)
    ]
    if clashes and not force:
        raise InvalidInputError.refuse("claim-taken", clashes=clashes, can_force=True)
    claims = list(dict.fromkeys([*target.claims, *wanted]))
    ws.store.update(target.id, claims=claims)
    ws.refresh()
    shared = [f"{c['glob']!r} overlaps {c['owner']}'s claim {c['theirs']!r}" for c in clashes]
    return {"ok": True, "session": target.name, "claims": claims, "shared": shared}


def release(ws: Workspace, session: str, globs: Iterable[str] | None = None) -> dict[str, Any]:
    """Drop GLOBS (all claims when None) from SESSION."""
    target = session_named(ws, session)
    if globs is None:
        remaining: list[str] = []
        dropping = list(target.claims)
    else:
        dropping = _globs(globs)
        unknown = [g for g in dropping if g not in target.claims]
        if unknown:
            raise InvalidInputError.refuse(
                "claim-not-held", session=target.name, globs=unknown, claims=target.claims
            )
        remaining = [g for g in target.claims if g not in dropping]
    ws.store.update(target.id, claims=remaining)
    ws.refresh()
    released = [g for g in target.claims if g in dropping]
    return {"ok": True, "session": target.name, "claims": remaining, "released": released}


def set_priority(ws: Workspace, session: str, priority: object) -> dict[str, Any]:
    """Set SESSION's place in the cascade (lower lands first, shown leftmost)."""
    target = session_named(ws, session)
    if isinstance(priority, str) and priority.strip().lstrip("-").isdigit():
        priority = int(priority)
    low, high = PRIORITY_RANGE
    if isinstance(priority, bool) or not isinstance(priority, int) or not low <= priority <= high:
        raise InvalidInputError.refuse(
            "invalid-priority",
            priority=priority if isinstance(priority, (int, str)) else repr(priority),
            low=low,
            high=high,
        )
    ws.store.update(target.id, priority=priority)
    ws.refresh()
    return {"ok": True, "session": target.name, "priority": priority}
