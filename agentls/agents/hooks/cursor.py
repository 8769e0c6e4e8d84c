"""Cursor: `preToolUse` (tool_input with a file path); the answer is
`permission` with `agent_message` for the model and `user_message` for the person.
"""

from __future__ import annotations

from typing import Any

from agentls.agents.hooks import Adapter, HookRequest, text_field

PATH_KEYS = ("file_path", "path", "target_file", "notebook_path")
READ_ONLY_TOOLS = {"Read", "Grep", "Glob", "LS", "Shell", "Search", "ReadFile"}


class Cursor(Adapter):
    name = "cursor"

    def parse(self, payload: dict[str, Any]) -> HookRequest | None:
        event = text_field(payload, "hook_event_name")
        if event not in ("preToolUse", "PreToolUse"):
            return None
        if payload.get("tool_name") in READ_ONLY_TOOLS:
            return None
        path = text_field(payload.get("tool_input"), *PATH_KEYS)
        if not path:
            return None
        roots = payload.get("workspace_roots")
        root = roots[0] if isinstance(roots, list) and roots and isinstance(roots[0], str) else ""
        cwd = text_field(payload, "cwd") or root
        session = text_field(payload, "conversation_id", "session_id")
        return HookRequest("write", cwd, [path], session, event)

    def deny(self, reason: str, summary: str, request: HookRequest) -> dict[str, Any]:
        return {"permission": "deny", "user_message": summary, "agent_message": reason}


ADAPTER = Cursor()
