"""GitHub Copilot (CLI and coding agent): `preToolUse` with `toolName` and
`toolArgs` (a JSON string, or an object), or the VS Code-compatible snake_case
shape; a deny is `permissionDecision: "deny"` with `permissionDecisionReason`.
"""

from __future__ import annotations

from typing import Any

from agentls.agents.hooks import Adapter, HookRequest, object_field, text_field

WRITE_TOOLS = {"edit", "create", "write", "str_replace", "str_replace_editor", "apply_patch"}
PATH_KEYS = ("path", "file_path", "filePath")


class Copilot(Adapter):
    name = "copilot"

    def parse(self, payload: dict[str, Any]) -> HookRequest | None:
        tool = text_field(payload, "toolName", "tool_name")
        if tool.lower() not in WRITE_TOOLS:
            return None
        args = object_field(payload, "toolArgs", "tool_input", "toolInput")
        path = text_field(args, *PATH_KEYS)
        if not path:
            return None
        cwd = text_field(payload, "cwd")
        session = text_field(payload, "sessionId", "session_id")
        return HookRequest("write", cwd, [path], session, "preToolUse")

    def deny(self, reason: str, summary: str, request: HookRequest) -> dict[str, Any]:
        return {"permissionDecision": "deny", "permissionDecisionReason": reason}


ADAPTER = Copilot()
