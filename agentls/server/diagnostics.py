"""From a report (the engine's JSON) to this window's diagnostics and status summary.

One diagnostic per collision this window's session takes part in, on the file in
its own worktree; the range is this side's lines; relatedInformation points at the
other session's copy of the file. Pure functions: easy to test, cheap to rerun.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls import uris

from agentls.claims import glob_matches
from agentls.files import read_regular
from agentls.server.settings import Settings

SOURCE = "agentls"
LineLengths = Callable[[Path], "list[int] | None"]


def self_session(report: dict[str, Any] | None, folder: Path | None) -> dict[str, Any] | None:
    """The session whose worktree contains FOLDER (deepest wins)."""
    if not report or folder is None:
        return None
    best = None
    for session in report.get("sessions", []):
        path = Path(session["path"])
        if (folder == path or path in folder.parents) and (
            best is None or len(path.parts) > len(Path(best["path"]).parts)
        ):
            best = session
    return best


def _lines_text(ranges: list[list[int]]) -> str:
    if not ranges:
        return ""
    parts = [f"{a}" if a == b else f"{a}–{b}" for a, b in ranges]
    word = "line" if len(ranges) == 1 and ranges[0][0] == ranges[0][1] else "lines"
    return f" at {word} {', '.join(parts)}"


def _who(session: dict[str, Any] | None, name: str) -> str:
    branch = (session or {}).get("branch") or "detached HEAD"
    return f"session {name} ({branch})"


def message(
    code: str,
    other: str,
    other_info: dict[str, Any] | None,
    other_ranges: list[list[int]],
    detail: list[str],
    trunk: str,
) -> str:
    """What happened and what it means, naming the other session."""
    who = _who(other_info, other)
    where = _lines_text(other_ranges)
    kinds = [k for k in detail if k != "contents"]
    extra = f" ({', '.join(kinds)})" if kinds else ""
    if code == "conflict":
        return f"conflicts with {who}{where}{extra}; merging would stop here"
    if code == "trunk-conflict":
        return (
            f"conflicts with {trunk} (already on trunk, {who}){where}{extra}; "
            f"rebase onto {trunk} before landing"
        )
    if code == "overlap":
        return f"also changed by {who}{where}; git merges it cleanly, but review both changes"
    if code == "ownership":
        glob = detail[0] if detail else "this path"
        return f"{glob} is claimed by {who}; ask them to release it or hand the change over"
    return "this is a research session (a read-only fork): this change is not meant to land"


def _range(ranges: list[list[int]], lengths: list[int] | None) -> types.Range:
    """1-based inclusive lines -> an LSP range covering whole lines (0-based)."""
    if not ranges:
        return types.Range(types.Position(0, 0), types.Position(0, 0))
    start, end = ranges[0][0], ranges[0][1]
    if lengths is None:  # text unknown: up to the start of the next line
        return types.Range(types.Position(max(start - 1, 0), 0), types.Position(end, 0))
    end_char = 0
    if 0 < end <= len(lengths):
        end_char = lengths[end - 1]
    elif lengths:  # past the end (a deletion at EOF)
        end, end_char = len(lengths), lengths[-1]
    return types.Range(
        types.Position(max(start - 1, 0), 0), types.Position(max(end - 1, 0), end_char)
    )


def line_lengths(text: str) -> list[int]:
    """Each line's length in UTF-16 code units (LSP's default position encoding)."""
    return [len(line.encode("utf-16-le")) // 2 for line in text.split("\n")]


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
    for collision in report.get("overlaps", []):
        sessions = collision.get("sessions", [])
        if name not in sessions:
            continue
        kind, rel = collision["kind"], collision["path"]
        if kind == "ownership" and sessions[0] != name:
            continue  # the owner is told nothing: the writer is the one to act
        if any(glob_matches(g, rel) for g in settings.ignore):
            continue
        other = next((s for s in sessions if s != name), name)
        other_info = by_name.get(other)
        code = kind
        if kind == "conflict" and other_info is not None and other_info.get("is_trunk"):
            code = "trunk-conflict"
        severity = settings.level(code)
        if severity is None:
            continue
        ranges = collision.get("ranges", {})
        own, theirs = ranges.get(name, []), ranges.get(other, []) if other != name else []
        file = Path(me["path"]) / rel
        related = []
        other_path = None
        if other != name and other_info is not None:
            other_path = str(Path(other_info["path"]) / rel)
            for r in theirs or [[1, 1]]:
                related.append(
                    types.DiagnosticRelatedInformation(
                        location=types.Location(
                            uri=uris.from_fs_path(other_path) or other_path,
                            range=_range([r], None),
                        ),
                        message=f"{other}'s version",
                    )
                )
        found.setdefault(file, []).append(
            types.Diagnostic(
                range=_range(own, lengths(file)),
                message=message(
                    code, other, other_info, theirs, collision.get("detail", []), trunk
                ),
                severity=severity,
                code=code,
                source=SOURCE,
                related_information=related or None,
                data={
                    "kind": code,
                    "path": rel,
                    "session": name,
                    "other": other if other != name else None,
                    "otherPath": other_path,
                    "ranges": own,
                    "otherRanges": theirs,
                    "detail": collision.get("detail", []),
                },
            )
        )
    return found


def sessions_changed(report: dict[str, Any], me: dict[str, Any] | None) -> dict[str, Any]:
    """The `agentls/sessionsChanged` payload: sessions and collision counts."""
    overlaps = report.get("overlaps", [])
    counts = {"conflict": 0, "overlap": 0, "ownership": 0, "research-write": 0}
    per_session: dict[str, int] = {}
    for collision in overlaps:
        counts[collision["kind"]] = counts.get(collision["kind"], 0) + 1
        for name in collision.get("sessions", []):
            per_session[name] = per_session.get(name, 0) + 1
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
                "collisions": per_session.get(s["name"], 0),
                "path": s.get("path"),
                "missing": s.get("missing", False),
                "is_trunk": s.get("is_trunk", False),
            }
            for s in report.get("sessions", [])
        ],
        "counts": counts,
        "total": len(overlaps),
    }


def read_line_lengths(path: Path) -> list[int] | None:
    try:  # a regular file only: a FIFO would never finish reading
        data = read_regular(path, limit=8 * 1024 * 1024)
    except OSError:
        return None
    text = data.decode("utf-8", errors="replace")
    return line_lengths(text.replace("\r\n", "\n").replace("\r", "\n"))  # as text mode reads
