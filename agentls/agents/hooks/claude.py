"""Claude Code: `PreToolUse` for Write/Edit/MultiEdit/NotebookEdit, `SessionStart`
and `UserPromptSubmit` for context.

Only a `deny` puts text in front of the model *before* the write
(`permissionDecisionReason`); `ask` reasons are often not shown, and
`additionalContext` on PreToolUse arrives only after the tool ran.
"""

from __future__ import annotations

from typing import Any

from agentls.agents.hooks import (
    Adapter,
    HookRequest,
    additional_context,
    pre_tool_use_deny,
    text_field,
)

WRITE_TOOLS = {"Write", "Edit", "MultiEdit", "NotebookEdit"}
CONTEXT_EVENTS = {"SessionStart", "UserPromptSubmit"}


class Claude(Adapter):
    name = "claude"

    def parse(self, payload: dict[str, Any]) -> HookRequest | None:
        event = text_field(payload, "hook_event_name")
        cwd = text_field(payload, "cwd")
        session = text_field(payload, "session_id")
        if event in CONTEXT_EVENTS:
            return HookRequest("context", cwd, [], session, event)
        if event != "PreToolUse" or payload.get("tool_name") not in WRITE_TOOLS:
            return None
        path = text_field(payload.get("tool_input"), "file_path", "notebook_path")
        if not path:
            return None
        return HookRequest("write", cwd, [path], session, event)

    def deny(self, reason: str, summary: str, request: HookRequest) -> dict[str, Any]:
        return pre_tool_use_deny(reason)

    def context(self, text: str, request: HookRequest) -> dict[str, Any] | None:
        return additional_context(request.event, text)


ADAPTER = Claude()
