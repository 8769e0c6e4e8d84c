"""Code actions offered on agentls diagnostics."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from agentls.server.diagnostics import SOURCE

OPEN_OTHER = "agentls.openOther"
COMPARE = "agentls.compare"


def _lines(ranges: list[list[int]]) -> str:
    if not ranges:
        return ""
    a, b = ranges[0]
    return f" (line {a})" if a == b else f" (lines {a}–{b})"


def code_actions(params: types.CodeActionParams) -> list[types.CodeAction]:
    """Open / compare with the other session's version, claim the file, write its handoff."""
    found: list[types.CodeAction] = []
    for diagnostic in params.context.diagnostics:
        data: Any = diagnostic.data
        if hasattr(data, "_asdict"):  # pygls hands unknown JSON objects over as namedtuples
            data = data._asdict()
        if diagnostic.source != SOURCE or not isinstance(data, dict):
            continue
        me, other, path = data.get("session"), data.get("other"), data.get("path")
        if not isinstance(me, str) or not isinstance(path, str):
            continue

        def action(
            title: str, command: str, argument: dict[str, Any], d: types.Diagnostic = diagnostic
        ) -> types.CodeAction:
            return types.CodeAction(
                title=title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[d],
                command=types.Command(title=title, command=command, arguments=[argument]),
            )

        if isinstance(other, str) and data.get("otherPath"):
            other_ranges = data.get("otherRanges") or []
            first = other_ranges[0] if other_ranges else [1, 1]
            found.append(
                action(
                    f"agentls: open {other}'s version{_lines(other_ranges)}",
                    OPEN_OTHER,
                    {"path": data["otherPath"], "line": first[0], "endLine": first[1]},
                )
            )
            found.append(
                action(
                    f"agentls: compare with {other}'s version",
                    COMPARE,
                    {"path": path, "session": me, "other": other},
                )
            )
        if data.get("kind") != "research-write":
            found.append(
                action(
                    f"agentls: claim {path} for {me}",
                    "agentls.session.claim",
                    {"session": me, "globs": [path]},
                )
            )
        if isinstance(other, str):
            # This session's own HANDOFF.md (what it intends, where it collides): a quick
            # fix never writes into another session's worktree or trunk's checkout.
            found.append(
                action(
                    f"agentls: write {me}'s handoff (HANDOFF.md) about {other}",
                    "agentls.session.handoff",
                    {"session": me},
                )
            )
    return found
