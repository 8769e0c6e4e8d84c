"""One adapter per agent: read its hook payload, answer in its format.

Every adapter turns a payload into a HookRequest (a write about to happen, or a
moment to give context) and renders a deny or a context message. The decision
itself is the same for every agent (agentls.agents.decision). Standard library only.
"""

from __future__ import annotations

import json
from typing import Any

AGENTS = ("claude", "codex", "cursor", "gemini", "copilot")


class HookRequest:
    """What a payload asks for. A plain class: `dataclasses` costs ~5 ms to import."""

    def __init__(
        self, kind: str, cwd: str, files: list[str], agent_session: str = "", event: str = ""
    ) -> None:
        self.kind = kind  # "write": files are about to be written; "context": say what is contested
        self.cwd = cwd
        self.files = files
        self.agent_session = agent_session
        self.event = event  # the agent's own event name, echoed in context answers


class Adapter:
    name = ""

    def parse(self, payload: dict[str, Any]) -> HookRequest | None:
        """What this payload asks for; None when agentls has nothing to say about it."""
        raise NotImplementedError

    def deny(self, reason: str, summary: str, request: HookRequest) -> dict[str, Any]:
        raise NotImplementedError

    def context(self, text: str, request: HookRequest) -> dict[str, Any] | None:
        """The answer that puts TEXT in front of the model; None when unsupported."""
        return None


def pre_tool_use_deny(reason: str) -> dict[str, Any]:
    """The `hookSpecificOutput` deny Claude Code and Codex both read before a tool runs."""
    return {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": reason,
        }
    }


def additional_context(event: str, text: str) -> dict[str, Any]:
    """Context for the model at EVENT (Claude Code, Codex and Gemini CLI share the shape)."""
    return {"hookSpecificOutput": {"hookEventName": event, "additionalContext": text}}


def text_field(mapping: Any, *keys: str) -> str:
    """The first non-empty string among KEYS of MAPPING."""
    if not isinstance(mapping, dict):
        return ""
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def object_field(mapping: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The first of KEYS holding an object (or a JSON string of one)."""
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                continue
        if isinstance(value, dict):
            return value
    return {}


def adapter(agent: str) -> Adapter:
    """The adapter for AGENT (one of AGENTS); imports only that agent's module."""
    if agent not in AGENTS:
        raise ValueError(f"unknown agent {agent!r}: use one of {', '.join(AGENTS)}")
    import importlib

    module = importlib.import_module(f"agentls.agents.hooks.{agent}")
    found: Adapter = module.ADAPTER
    return found
