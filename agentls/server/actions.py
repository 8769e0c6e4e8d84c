"""Code actions offered on agentls diagnostics, one per (command, arguments).

A line may carry several diagnostics (a conflict and an ownership finding, or the
two ranges of one conflict); each action appears once and lists every diagnostic
it answers. An action that writes somewhere says where in its title: the handoff
quick fix writes this session's own HANDOFF.md, never another session's worktree
and never trunk's checkout.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from lsprotocol import types

from agentls.remote.server import remote_actions
from agentls.server.diagnostics import SOURCE
from agentls.vocabulary import lines_text, possessive

OPEN_OTHER = "agentls.openOther"
COMPARE = "agentls.compare"
CLAIM = "agentls.session.claim"
HANDOFF = "agentls.session.handoff"
SHOW_LOG = "agentls.verify.showLog"
VERIFY = "agentls.verify.run"


def _plain(data: Any) -> Any:
    if hasattr(data, "_asdict"):  # pygls hands unknown JSON objects over as namedtuples
        return {k: _plain(v) for k, v in data._asdict().items()}
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_plain(v) for v in data]
    return data


def _ours(diagnostic: types.Diagnostic) -> dict[str, Any] | None:
    data = _plain(diagnostic.data)
    if diagnostic.source != SOURCE or not isinstance(data, dict):
        return None
    if not isinstance(data.get("session"), str) or not isinstance(data.get("path"), str):
        return None
    return data


def code_actions(
    params: types.CodeActionParams, trunk_checkouts: Collection[str] = ()
) -> list[types.CodeAction]:
    """Open / compare with the other session's version, claim the file, write a handoff.

    TRUNK_CHECKOUTS names sessions whose worktree has trunk checked out: no handoff
    note is written there.
    """
    found: dict[tuple[str, str], types.CodeAction] = {}

    def offer(key: tuple[str, str], title: str, command: str, argument: dict[str, Any],
              diagnostic: types.Diagnostic) -> None:  # fmt: skip
        action = found.get(key)
        if action is None:
            found[key] = types.CodeAction(
                title=title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                command=types.Command(title=title, command=command, arguments=[argument]),
            )
        elif action.diagnostics is not None and diagnostic not in action.diagnostics:
            action.diagnostics = [*action.diagnostics, diagnostic]

    ours = [(d, data) for d in params.context.diagnostics if (data := _ours(d)) is not None]
    # Diagnostics that know the other side's lines first: their "open" action says where.
    ours.sort(key=lambda pair: not pair[1].get("otherRanges"))
    for diagnostic, data in ours:
        me, other, path = data["session"], data.get("other"), data["path"]
        other_path = data.get("otherPath")
        semantic = data.get("semantic") if data.get("kind") == "semantic" else None
        if isinstance(semantic, dict):
            _semantic_actions(offer, semantic, diagnostic)
        elif isinstance(other, str) and isinstance(data.get("remote"), dict):
            for key, title, command, argument in remote_actions(data):
                offer(key, title, command, argument, diagnostic)
        elif isinstance(other, str) and isinstance(other_path, str):
            other_ranges = data.get("otherRanges") or []
            first = other_ranges[0] if other_ranges else [1, 1]
            where = f" ({lines_text([first])})" if other_ranges else ""
            offer(
                (OPEN_OTHER, other_path),
                f"agentls: open {possessive(other)} version{where}",
                OPEN_OTHER,
                {"path": other_path, "line": first[0], "endLine": first[1]},
                diagnostic,
            )
            argument = {"path": path, "session": me, "other": other}
            offer(
                (COMPARE, json.dumps(argument, sort_keys=True)),
                f"agentls: compare with {possessive(other)} version",
                COMPARE,
                argument,
                diagnostic,
            )
        if data.get("kind") not in ("research-write", "semantic"):
            argument = {"session": me, "globs": [path]}
            offer(
                (CLAIM, json.dumps(argument, sort_keys=True)),
                f"agentls: claim {path} for {me}",
                CLAIM,
                argument,
                diagnostic,
            )
        if isinstance(other, str) and me not in trunk_checkouts:
            # This session's own notes (what it intends, where it collides).
            offer(
                (HANDOFF, me),
                f"agentls: write {possessive(me)} handoff note (HANDOFF.md in this worktree)",
                HANDOFF,
                {"session": me},
                diagnostic,
            )
    return list(found.values())


def _semantic_actions(offer: Any, semantic: dict[str, Any], diagnostic: types.Diagnostic) -> None:
    """A semantic conflict: read the failing command's whole output, or check again."""
    command = semantic.get("command") or "the command"
    log = semantic.get("log")
    if isinstance(log, str):
        offer(
            (SHOW_LOG, log),
            f"agentls: open the full log of `{command}`",
            SHOW_LOG,
            {"log": log},
            diagnostic,
        )
    pair = semantic.get("pair")
    if isinstance(pair, list) and len(pair) == 2 and all(isinstance(n, str) for n in pair):
        argument = {"pair": list(pair), "force": True}
        offer(
            (VERIFY, json.dumps(argument, sort_keys=True)),
            f"agentls: re-run the semantic check of {pair[0]} + {pair[1]}",
            VERIFY,
            argument,
            diagnostic,
        )
