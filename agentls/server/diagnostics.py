"""From a report (the engine's JSON) to this window's diagnostics and status summary.

One diagnostic per range on this window's session's side of each collision it takes
part in (a conflict on lines 3 and 5 is two diagnostics), on the file in its own
worktree; a collision without lines on this side (a deletion, a binary) gets one on
line 1. relatedInformation points at the other side's ranges in the other session's
worktree. Pure functions: easy to test, cheap to rerun.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls import uris

from agentls.claims import glob_matches
from agentls.files import read_regular
from agentls.remote import ROLE as REMOTE_ROLE
from agentls.remote import wording as remote_wording
from agentls.report import KINDS
from agentls.server.settings import Settings
from agentls.vocabulary import SHOWN_RANGES, VIA_TRUNK, lines_text, session_label

SOURCE = "agentls"
TRUNK_SEVERITY_KEY = "trunk-conflict"  # the severity setting of conflicts via trunk
LineLengths = Callable[[Path], "Sequence[int] | None"]


def self_session(report: dict[str, Any] | None, folder: Path | None) -> dict[str, Any] | None:
    """The session whose worktree contains FOLDER (deepest wins)."""
    if not report or folder is None:
        return None
    # Asked for every report (one per edit) with every session in it: 30 sessions' Paths
    # built afresh each time cost ~0.4 ms, so they are built once (the list rarely changes).
    within = {folder, *folder.parents}
    best, depth = None, -1
    for session in report.get("sessions", []):
        path, parts = _worktree_path(session["path"])
        if path in within and parts > depth:
            best, depth = session, parts
    return best


@functools.lru_cache(maxsize=1024)
def _worktree_path(path: str) -> tuple[Path, int]:
    parsed = Path(path)
    return parsed, len(parsed.parts)


# Every report (one per edit) names the same few worktrees and files again: their Paths,
# URIs and relative paths are made once (parsing and quoting were ~0.3 ms a report).
@functools.lru_cache(maxsize=4096)
def _file_in(worktree: str, relative: str) -> Path:
    return Path(worktree) / relative


@functools.lru_cache(maxsize=4096)
def _uri(path: str) -> str:
    return uris.from_fs_path(path) or path


@functools.lru_cache(maxsize=1024)
def _relative_worktree(other: str, mine: str) -> str:
    return os.path.relpath(other, mine)


def message(
    kind: str,
    via: str | None,
    other: str | None,
    other_info: dict[str, Any] | None,
    other_ranges: list[list[int]],
    detail: list[str],
    trunk: str,
    other_file: str | None = None,
) -> str:
    """What happened and what it means, naming the other side as the user knows it
    (and the other side's file, when a rename put it at another path)."""
    info = other_info or {}
    remote = info.get("role") == REMOTE_ROLE
    at = f"{',' if remote else ''} at {lines_text(other_ranges)}" if other_ranges else ""
    if other_file:
        at = f" in {other_file}{at}"
    kinds = [k for k in detail if k != "contents"]
    extra = f" ({', '.join(kinds)})" if kinds else ""
    if info.get("is_trunk"):
        who = f"{trunk} (already on trunk)"
    elif remote:  # who and where: "codex/fix-login on origin, committed 12 min ago"
        who = remote_wording.who(info)
    else:
        who = f"session {session_label(other or '?', info.get('branch'))}"
    if kind == "conflict":
        if via == VIA_TRUNK and not info.get("is_trunk"):
            return (
                f"conflicts with {who}{at}{extra} through work already on trunk ({trunk}); "
                f"rebase onto {trunk} before landing"
            )
        if info.get("is_trunk"):
            return f"conflicts with {who}{at}{extra}; rebase onto {trunk} before landing"
        return f"conflicts with {who}{at}{extra}; merging would stop here"
    if kind == "overlap":
        return f"also changed by {who}{at}; git merges it cleanly, but review both changes"
    if kind == "ownership":
        glob = detail[0] if detail else "this path"
        return f"{glob} is claimed by {who}; ask them to release it or hand the change over"
    return (
        "this is a research session (a read-only fork): this change is not meant to land; "
        "put findings in HANDOFF.md"
    )


def semantic_message(
    collision: dict[str, Any], other: str | None, other_info: dict[str, Any] | None, trunk: str
) -> str:
    """A semantic conflict: what fails once merged, and that each side passes alone."""
    check = collision.get("semantic") or {}
    tests = check.get("tests") or []
    code = check.get("exitCode")
    failing = "timed out" if code is None else f"fails (exit {code}"
    if code is not None:
        shown = ", ".join(tests[:3]) + (f" and {len(tests) - 3} more" if len(tests) > 3 else "")
        failing += f": {shown})" if shown else ")"
    command = f"{check.get('kind') or 'test'} `{check.get('command')}`"
    stale = "" if check.get("current", True) else " (checked before the latest changes)"
    if other is None:
        with_trunk = check.get("trunk") or trunk
        return (
            f"merged with {with_trunk} (already on trunk), {command} {failing}, though this "
            f"session passes alone: a semantic conflict; rebase onto {with_trunk} and fix it "
            f"before landing{stale}"
        )
    who = f"session {session_label(other, (other_info or {}).get('branch'))}"
    return (
        f"merged with {who}, {command} {failing}, though each passes alone: a semantic "
        f"conflict git cannot see; land one first and fix the other{stale}"
    )


def lsp_range(lines: list[int] | None, lengths: Sequence[int] | None) -> types.Range:
    """1-based inclusive [start, end] -> an LSP range covering those whole lines.

    None (no lines on this side) is the start of line 1. Without the text, the range
    runs to the start of the next line; with it, to the end of the last line (clamped
    to the text, so lines deleted since still show at its end).
    """
    if not lines:
        return types.Range(types.Position(0, 0), types.Position(0, 0))
    start, end = lines[0], lines[1]
    if lengths is None:
        return types.Range(types.Position(max(start - 1, 0), 0), types.Position(end, 0))
    last = len(lengths)
    start, end = min(max(start, 1), last), min(max(end, 1), last)
    end = max(start, end)
    return types.Range(types.Position(start - 1, 0), types.Position(end - 1, lengths[end - 1]))


class TextLines(Sequence[int]):
    """Each line's length in UTF-16 code units (LSP's default position encoding).

    Measured only for the lines asked: a diagnostic needs its last line's length, and
    an edit in a large file must not measure every line again.
    """

    def __init__(self, text: str) -> None:
        self._lines = text.split("\n")

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, index: int) -> int:  # type: ignore[override]
        line = self._lines[index]
        return len(line) if line.isascii() else len(line.encode("utf-16-le")) // 2


def line_lengths(text: str) -> TextLines:
    return TextLines(text)


def _related(
    other: str,
    other_info: dict[str, Any],
    other_path: str,
    theirs: list[list[int]],
    me: dict[str, Any],
) -> list[types.DiagnosticRelatedInformation]:
    """The other side's ranges, labelled with its session and worktree: the first
    SHOWN_RANGES of them, as the message names them."""
    worktree = _relative_worktree(other_info["path"], me["path"])
    uri = _uri(other_path)
    return [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri, range=lsp_range(r, None)),
            message=f"{other} ({worktree})" + (f" {lines_text([r])}" if r else ""),
        )
        for r in (theirs[:SHOWN_RANGES] or [None])  # type: ignore[list-item]
    ]


def collision_via(collision: dict[str, Any], other_info: dict[str, Any] | None) -> str | None:
    """ "trunk" for a conflict that comes from work already on trunk, else None.

    The analysis labels such pairs itself (`via`); a conflict with the session
    checked out on trunk is landed work by definition.
    """
    via = collision.get("via")
    if isinstance(via, str) and via:
        return via
    if collision.get("kind") == "conflict" and (other_info or {}).get("is_trunk"):
        return VIA_TRUNK
    return None


def build(
    report: dict[str, Any],
    me: dict[str, Any],
    settings: Settings,
    lengths: LineLengths,
) -> dict[Path, list[types.Diagnostic]]:
    """Diagnostics for session ME, keyed by the absolute path of its own file."""
    by_name = {s["name"]: s for s in report.get("sessions", [])}
    trunk = (report.get("trunk") or {}).get("branch") or "trunk"
    name = me["name"]
    found: dict[Path, list[types.Diagnostic]] = {}
    known_lengths: dict[Path, Sequence[int] | None] = {}
    for collision in report.get("overlaps", []):
        sessions = collision.get("sessions", [])
        if name not in sessions:
            continue
        kind, rel = collision["kind"], collision["path"]
        if kind == "ownership" and sessions[0] != name:
            continue  # the owner is told nothing: the writer is the one to act
        renamed = collision.get("paths") or {}
        if name in renamed and kind != "semantic":
            continue  # its file is elsewhere (a rename): the collision there is its own
        # (A semantic conflict instead points each session at its own file through `paths`.)
        if any(glob_matches(g, rel) for g in settings.ignore):
            continue
        other = next((s for s in sessions if s != name), None)
        other_info = by_name.get(other) if other is not None else None
        via = collision_via(collision, other_info)
        setting = TRUNK_SEVERITY_KEY if via == VIA_TRUNK and kind == "conflict" else kind
        severity = settings.level(setting)
        if severity is None:
            continue
        ranges = collision.get("ranges", {})
        own = ranges.get(name, [])
        theirs = ranges.get(other, []) if other is not None else []
        detail = collision.get("detail", [])
        own_rel = renamed.get(name, rel)  # only a semantic conflict's differs here
        file = _file_in(me["path"], own_rel)
        other_rel = renamed.get(other, rel) if other is not None else rel
        other_path = (  # a remote session has no worktree: no file to point at
            str(_file_in(other_info["path"], other_rel))
            if other_info is not None and other_info.get("path")
            else None
        )
        related = (
            _related(other, other_info, other_path, theirs, me)
            if other is not None and other_info is not None and other_path is not None
            else None
        )
        data: dict[str, Any] = {
            "kind": kind,
            "path": own_rel,
            "session": name,
            "other": other,
            "otherPath": other_path,
            "ranges": own,
            "otherRanges": theirs,
            "detail": detail,
        }
        if via is not None:
            data["via"] = via
        if other_info is not None and other_info.get("remote"):
            data["remote"] = other_info["remote"]  # where it lives (agentls.remote)
        if kind == "semantic":
            data["semantic"] = semantic_data(collision, name, other, trunk)
            text = semantic_message(collision, other, other_info, trunk)
        else:
            if other_rel != rel:
                data["otherFile"] = other_rel
            text = message(
                kind,
                via,
                other,
                other_info,
                theirs,
                detail,
                trunk,
                other_rel if other_rel != rel else None,
            )
        if file not in known_lengths:
            known_lengths[file] = lengths(file)
        for lines in own or [None]:
            found.setdefault(file, []).append(
                types.Diagnostic(
                    range=lsp_range(lines, known_lengths[file]),
                    message=text,
                    severity=severity,
                    code=kind,
                    source=SOURCE,
                    related_information=related,
                    data={**data, "range": lines},
                )
            )
    return found


def semantic_data(
    collision: dict[str, Any], name: str, other: str | None, trunk: str
) -> dict[str, Any]:
    """What a semantic diagnostic's code actions need: the log, the pair to re-run."""
    check = collision.get("semantic") or {}
    return {
        "command": check.get("command"),
        "kind": check.get("kind"),
        "exitCode": check.get("exitCode"),
        "tests": list(check.get("tests") or []),
        "log": check.get("log"),
        "current": check.get("current", True),
        # agentls.verify.run's "pair": trunk is named by its branch.
        "pair": [name, other if other is not None else (check.get("trunk") or trunk)],
    }


def fit_to_text(
    items: list[types.Diagnostic], lengths: Sequence[int]
) -> list[types.Diagnostic] | None:
    """ITEMS with their ranges recomputed for the text now in the editor; None if unchanged.

    An edit that changes no collision leaves the report as it was, so the squiggle
    would keep ending where the line used to end.
    """
    fitted, changed = [], False
    for item in items:
        data = item.data if isinstance(item.data, dict) else None
        lines = data.get("range") if data is not None and item.source == SOURCE else None
        if lines is None:
            fitted.append(item)
            continue
        new = lsp_range(lines, lengths)
        if new != item.range:
            changed = True
            item = types.Diagnostic(
                range=new,
                message=item.message,
                severity=item.severity,
                code=item.code,
                source=item.source,
                related_information=item.related_information,
                data=item.data,
            )
        fitted.append(item)
    return fitted if changed else None


def sessions_changed(report: dict[str, Any], me: dict[str, Any] | None) -> dict[str, Any]:
    """The `agentls/sessionsChanged` payload: sessions and collision counts."""
    overlaps = report.get("overlaps", [])
    counts = dict.fromkeys(KINDS, 0)
    per_session: dict[str, dict[str, int]] = {}
    for collision in overlaps:
        counts[collision["kind"]] = counts.get(collision["kind"], 0) + 1
        for name in collision.get("sessions", []):
            own = per_session.setdefault(name, dict.fromkeys(KINDS, 0))
            own[collision["kind"]] = own.get(collision["kind"], 0) + 1
    return {
        "self": me["name"] if me else None,
        "sessions": [
            {
                "name": s["name"],
                "branch": s.get("branch"),
                "role": s.get("role"),
                "priority": s.get("priority"),
                "ahead": s.get("ahead", 0),
                "behind": s.get("behind", 0),
                "changed": len(s.get("changed", [])),
                "dirty": s.get("dirty", False),
                "claims": list(s.get("claims", [])),
                "collisions": sum(per_session.get(s["name"], {}).values()),
                "counts": per_session.get(s["name"], dict.fromkeys(KINDS, 0)),
                "path": s.get("path"),
                "missing": s.get("missing", False),
                "is_trunk": s.get("is_trunk", False),
                "landed": s.get("landed", False),
                "remote": s.get("remote"),
            }
            for s in report.get("sessions", [])
        ],
        "counts": counts,
        "total": len(overlaps),
        # False while the engine starts: only the open files are answered for yet.
        "complete": report.get("complete", True),
    }


# The line lengths of files read from disk, by path: (stat mark, when read, lengths).
# Each report (one per edit) asks again for every file with a diagnostic; a stat is
# cheaper than reading and splitting the file each time.
_read: dict[Path, tuple[tuple[int, ...], int, Sequence[int]]] = {}
MAX_READ_BYTES = 8 * 1024 * 1024  # of the files' text kept (TextLines keeps the lines)
_read_bytes = 0
# A file changed this recently may change again within its timestamp's granularity
# (a few ms) with the same size: its lengths are read again, as git re-reads "racy" files.
RACY_NS = 100_000_000


def read_line_lengths(path: Path) -> Sequence[int] | None:
    global _read_bytes
    try:
        info = os.stat(path)
    except OSError:
        return None
    mark = (info.st_ino, info.st_dev, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    known = _read.get(path)
    if known is not None and known[0] == mark and known[1] - info.st_mtime_ns > RACY_NS:
        return known[2]
    read_at = time.time_ns()
    try:  # a regular file only: a FIFO would never finish reading
        data = read_regular(path, limit=8 * 1024 * 1024)
    except OSError:
        return None
    text = data.decode("utf-8", errors="replace")
    lengths = line_lengths(text.replace("\r\n", "\n").replace("\r", "\n"))  # as text mode reads
    if _read_bytes + len(data) > MAX_READ_BYTES:
        _read.clear()
        _read_bytes = 0
    if len(data) <= MAX_READ_BYTES // 4:
        _read[path] = (mark, read_at, lengths)
        _read_bytes += len(data)
    return lengths
