"""One file as one session has it at one point, for editors' native diffs.

`current` is the session's state now (unsaved editor buffers included), `head` its
last commit, `base` the commit its change set is measured from (the merge-base with
trunk; a fork's starting point), or any commit id. Texts are the blobs git stores
(after the worktree's clean filters), so two versions diff exactly as git sees them.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

import pygit2

from agentls.changes import MODE_GITLINK, MODE_LINK, Entry, tree_entry, tree_of
from agentls.errors import InvalidInputError
from agentls.remote import view as remote_view
from agentls.workspace import Workspace

AT_POINTS = ("current", "head", "base")
MAX_TEXT = 8 * 1024 * 1024  # larger files are shown as binary: no editor diffs them well
BINARY_PROBE = 8000  # git's own heuristic: a NUL byte in the first 8000 bytes
_COMMIT_ID = re.compile(r"[0-9a-fA-F]{4,64}")


def check_relative_path(path: object) -> str:
    """PATH as a clean worktree-relative POSIX path, or InvalidInputError."""
    if not isinstance(path, str) or not path or "\0" in path or "\\" in path:
        raise InvalidInputError(f"invalid path {path!r}", "give a path relative to the worktree")
    parts = PurePosixPath(path).parts
    if path.startswith("/") or not parts or any(p in ("..", ".", ".git") for p in parts):
        raise InvalidInputError(
            f"invalid path {path!r}", "give a path relative to the worktree, inside it"
        )
    return "/".join(parts)


def _commit_at(ws: Workspace, at: str) -> str:
    if not _COMMIT_ID.fullmatch(at):
        raise InvalidInputError(
            f"invalid version {at!r}", f"use one of {', '.join(AT_POINTS)} or a commit id"
        )
    try:
        commit = ws.git.revparse_single(at).peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError) as exc:
        raise InvalidInputError(f"no commit {at!r} in this repository") from exc
    return str(commit.id)


def file_version(ws: Workspace, session: str, path: str, at: str = "current") -> dict[str, Any]:
    """{"text", "binary", "exists", "uri", "label", "commit"} of PATH in SESSION at AT."""
    rel = check_relative_path(path)
    if not isinstance(at, str):
        raise InvalidInputError(f"invalid version {at!r}")
    remote = remote_view.file_version(ws, session, rel, at)  # a session on another machine
    if remote is not None:
        return remote
    target = ws.session(session)
    state = ws.states.get(target.id)
    commit: str | None = None
    unsaved = False
    entry: Entry
    if at == "current":
        entry = state.entry(rel) if state is not None else None
        unsaved = state is not None and rel in state.overlays
    else:
        if at == "head":
            commit = target.head
        elif at == "base":
            commit = state.base if state is not None else None
        else:
            commit = _commit_at(ws, at)
        entry = tree_entry(ws.git, tree_of(ws.git, commit), rel) if commit else None
    text, binary = _text(ws, entry)
    where = {
        "current": " (unsaved)" if unsaved else "",
        "head": f" @ HEAD {commit[:12]}" if commit else " @ HEAD (none)",
        "base": f" @ base {commit[:12]}" if commit else " @ base (none)",
    }.get(at, f" @ {commit[:12]}" if commit else "")
    local = Path(target.path) / rel
    return {
        "text": text,
        "binary": binary,
        "exists": entry is not None,
        "uri": local.as_uri() if at == "current" else None,
        "label": f"{target.name}: {rel}{where}",
        "commit": commit,
    }


def _text(ws: Workspace, entry: Entry) -> tuple[str | None, bool]:
    if entry is None or entry[1] == MODE_GITLINK:
        return None, False
    blob = ws.git[entry[0]]
    assert isinstance(blob, pygit2.Blob)
    data = blob.data
    if entry[1] == MODE_LINK:
        return data.decode("utf-8", errors="replace"), False  # the link's target
    if len(data) > MAX_TEXT or b"\0" in data[:BINARY_PROBE]:
        return None, True
    return data.decode("utf-8", errors="replace"), False
