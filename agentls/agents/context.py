"""What an agent is told when its session starts: which files are contested or claimed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentls.vocabulary import plural

MAX_ITEMS = 12


def _report(cwd: str, located: tuple[Path, Path]) -> dict[str, Any]:
    from agentls.agents.runner import _engine_call

    answer = _engine_call(located[1], "report", {})
    if answer is not None:
        return answer
    from agentls.workspace import Workspace

    with Workspace(cwd) as workspace:
        return workspace.refresh().to_json()


def _lines(ranges: dict[str, Any], name: str) -> str:
    spans = ranges.get(name) or []
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in spans)


def _semantic_line(collision: dict[str, Any], name: str) -> str:
    """A semantic conflict, once, in the words an agent can act on."""
    check = collision.get("semantic") or {}
    other = next((s for s in collision["sessions"] if s != name), None)
    with_whom = f"session {other}'s work" if other else f"{check.get('trunk') or 'trunk'}"
    tests = check.get("tests") or []
    failing = f" ({', '.join(tests[:3])})" if tests else ""
    return (
        f"- semantic conflict: merged with {with_whom}, `{check.get('command')}` fails"
        f"{failing}, though each passes alone; look at {collision['path']} before you land"
    )


def summarize(report: dict[str, Any], cwd: str) -> str:
    """A few lines for the model: who else works here, what is contested, what is claimed."""
    folder = Path(cwd).resolve()
    sessions = report.get("sessions", [])
    me = None
    for session in sessions:
        path = Path(session.get("path", ""))
        if (folder == path or path in folder.parents) and (
            me is None or len(path.parts) > len(Path(me["path"]).parts)
        ):
            me = session
    others = [s for s in sessions if s is not me and not s.get("missing")]
    if me is None or not others:
        return ""
    name = me["name"]
    out = [
        f"agentls: you are session {name} (branch {me.get('branch') or 'detached'}) in "
        f"{folder}; {plural(len(others), 'other session')}"
        f" {'works' if len(others) == 1 else 'work'} on this repository in parallel worktrees."
    ]
    mine = [c for c in report.get("overlaps", []) if name in c.get("sessions", [])]
    if mine:
        out.append("Files you share with other sessions:")
        for collision in mine[:MAX_ITEMS]:
            if collision["kind"] == "semantic":
                out.append(_semantic_line(collision, name))
                continue
            other = next((s for s in collision["sessions"] if s != name), name)
            where = _lines(collision.get("ranges", {}), other)
            text = f"- {collision['path']}: {collision['kind']} with {other}"
            out.append(text + (f" (their lines {where})" if where else ""))
    claims = [(s["name"], g) for s in others for g in s.get("claims", [])]
    if claims:
        out.append("Claimed by other sessions (do not edit without coordinating):")
        out += [f"- {glob} (claimed by {owner})" for owner, glob in claims[:MAX_ITEMS]]
    changed = [(s["name"], len(s.get("changed", []))) for s in others if s.get("changed")]
    if changed:
        out.append(
            "Other sessions' change sets: "
            + ", ".join(f"{n} ({count} files)" for n, count in changed)
            + "."
        )
    if len(out) == 1:
        return ""
    out.append(
        "agentls stops the first write to a contested file with the reason; to coordinate, "
        "write your intent in HANDOFF.md and read theirs."
    )
    return "\n".join(out)


def summary_for(cwd: str, located: tuple[Path, Path]) -> str:
    return summarize(_report(cwd, located), cwd)
