"""Gemini CLI: `BeforeTool` for `write_file` / `replace` (`tool_input.file_path`),
`SessionStart` for context; a deny is `decision: "deny"` with a `reason`.
"""

from __future__ import annotations

from typing import Any

from agentls.agents.hooks import Adapter, HookRequest, additional_context, text_field

WRITE_TOOLS = {"write_file", "replace", "edit"}


class Gemini(Adapter):
    name = "gemini"

    def parse(self, payload: dict[str, Any]) -> HookRequest | None:
        event = text_field(payload, "hook_event_name")
        cwd = text_field(payload, "cwd")
        session = text_field(payload, "session_id")
        if event == "SessionStart":
            return HookRequest("context", cwd, [], session, event)
        if event != "BeforeTool" or payload.get("tool_name") not in WRITE_TOOLS:
            return None
        path = text_field(payload.get("tool_input"), "file_path", "absolute_path", "path")
        if not path:
            return None
        return HookRequest("write", cwd, [path], session, event)

    def deny(self, reason: str, summary: str, request: HookRequest) -> dict[str, Any]:
        return {"decision": "deny", "reason": reason}

    def context(self, text: str, request: HookRequest) -> dict[str, Any] | None:
        return additional_context("SessionStart", text)


ADAPTER = Gemini()
