"""Codex CLI: `PreToolUse` for `apply_patch` (files named inside the patch text in
`tool_input.command`), `SessionStart` for context.

Codex accepts only `deny` with a non-empty reason, and treats unknown output
fields as a failed hook, so the answer carries nothing else.
"""

from __future__ import annotations

import re
from typing import Any

from agentls.agents.hooks import (
    Adapter,
    HookRequest,
    additional_context,
    pre_tool_use_deny,
    text_field,
)

PATCH_TOOLS = {"apply_patch", "ApplyPatch"}
_FILE_LINE = re.compile(r"^\*\*\* (?:Update File|Add File|Delete File|Move to): (.+?)\s*$")


def patch_files(patch: str) -> list[str]:
    """Every file an apply_patch envelope adds, updates, deletes or moves to."""
    found: list[str] = []
    for line in patch.splitlines():
        match = _FILE_LINE.match(line)
        if match and match[1] not in found:
            found.append(match[1])
    return found


def _patch_text(tool_input: Any) -> str:
    if isinstance(tool_input, str):
        return tool_input
    if not isinstance(tool_input, dict):
        return ""
    for key in ("command", "patch", "input"):
        value = tool_input.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, list):  # ["apply_patch", "*** Begin Patch ..."]
            return "\n".join(v for v in value if isinstance(v, str))
    return ""


class Codex(Adapter):
    name = "codex"

    def parse(self, payload: dict[str, Any]) -> HookRequest | None:
        event = text_field(payload, "hook_event_name")
        cwd = text_field(payload, "cwd")
        session = text_field(payload, "session_id")
        if event == "SessionStart":
            return HookRequest("context", cwd, [], session, event)
        if event != "PreToolUse" or payload.get("tool_name") not in PATCH_TOOLS:
            return None
        files = patch_files(_patch_text(payload.get("tool_input")))
        if not files:
            return None
        return HookRequest("write", cwd, files, session, event)

    def deny(self, reason: str, summary: str, request: HookRequest) -> dict[str, Any]:
        return pre_tool_use_deny(reason)

    def context(self, text: str, request: HookRequest) -> dict[str, Any] | None:
        return additional_context("SessionStart", text)


ADAPTER = Codex()
