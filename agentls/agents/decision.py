"""From a check result to what the agent is told: nothing, or one factual reason.

Standard library only (the hook's fast path).
"""

from __future__ import annotations

from typing import Any, NamedTuple

OPTIONS = (
    "Options: work on other files; coordinate through HANDOFF.md (write what you intend in "
    "yours, read theirs); or retry this same edit to proceed anyway. agentls will not stop "
    "this edit again unless the other session's change moves."
)


class Decision(NamedTuple):  # not a dataclass: `dataclasses` costs ~5 ms to import
    reason: str  # for the model
    summary: str  # one line, for a person
    items: tuple[tuple[str, str], ...]  # (file, fingerprint) the deny covers


def _lines(ranges: list[list[int]]) -> str:
    parts = [f"{a}" if a == b else f"{a}–{b}" for a, b in ranges]
    if not parts:
        return ""
    return ("line " if len(parts) == 1 and "–" not in parts[0] else "lines ") + ", ".join(parts)


def _describe(finding: dict[str, Any], path: str) -> str:
    who = f"session {finding['session']}"
    if finding.get("branch"):
        who += f" (branch {finding['branch']})"
    theirs = _lines(finding["ranges"].get("other", []))
    mine = _lines(finding["ranges"].get("self", []))
    kind = finding["kind"]
    where = f" at {theirs}" if theirs else ""
    if kind == "conflict":
        text = f"{who} changed {path}{where} and git predicts a merge conflict"
        if mine:
            text += f" with your version at {mine}"
        detail = [d for d in finding.get("detail", []) if d != finding.get("claim")]
        if detail:
            text += f" ({', '.join(detail)})"
        text += "; merging would stop here"
    elif kind == "overlap":
        text = f"{who} also changed {path}{where}"
        if mine:
            text += f" (yours: {mine})"
        text += "; git merges it cleanly today, but further edits may collide"
    elif kind == "changed":
        text = f"{who} has uncommitted or unmerged changes to {path}{where}; your edit will overlap"
    elif kind == "research-write":
        text = (
            f"this worktree is the research session {finding['session']}: it should only read; "
            f"writes other than HANDOFF.md are flagged"
        )
    else:  # ownership
        text = f"{who} claims {finding.get('claim')} which covers {path}"
        if finding.get("changed"):
            text += f" and changed it{where}"
    if finding.get("claim") and kind not in ("ownership", "research-write"):
        text += f"; {finding['session']} also claims {finding['claim']}"
    text += f". Their copy: {finding['file']}"
    handoff = finding.get("handoff") or []
    if handoff:
        text += f'. {finding["session"]} says it is working on: "' + " / ".join(handoff) + '"'
    return text + "."


def reason_for(result: dict[str, Any]) -> Decision | None:
    """The deny reason for a check result, or None when every file is clear."""
    contested = [f for f in result.get("files", []) if f.get("findings")]
    if not contested:
        return None
    lines: list[str] = []
    items: list[tuple[str, str]] = []
    names: list[str] = []
    for entry in contested:
        for finding in entry["findings"]:
            lines.append("- " + _describe(finding, entry["path"]))
            items.append((entry["file"], finding["fingerprint"]))
            if finding["session"] not in names:
                names.append(finding["session"])
    paths = ", ".join(e["path"] for e in contested)
    head = (
        f"agentls: {paths} {'is' if len(contested) == 1 else 'are'} contested by another "
        "session working in parallel on this repository (a separate git worktree):"
    )
    reason = "\n".join([head, *lines, OPTIONS])
    summary = f"agentls: {paths} contested by {', '.join(names)}"
    return Decision(reason=reason, summary=summary, items=tuple(items))


def describe_file(entry: dict[str, Any]) -> list[str]:
    """Lines for a person (`agentls check`): the file, then one line per finding."""
    if not entry.get("findings"):
        return [f"{entry['path']}: clear"]
    lines = [f"{entry['path']}: contested"]
    lines += ["  - " + _describe(f, entry["path"]) for f in entry["findings"]]
    return lines
