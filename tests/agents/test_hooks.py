"""`agentls hook AGENT`: each agent's payload shape in, that agent's answer out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentls.agents.hooks.codex import patch_files
from tests.agents.conftest import Parallel
from tests.conftest import numbered

REASON_START = "agentls: shared.txt is contested by another session"


def _claude(parallel: Parallel, tool: str, tool_input: dict, session: str = "c-1") -> dict:
    return {
        "session_id": session,
        "transcript_path": "/tmp/t.jsonl",
        "cwd": str(parallel.auth),
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": tool_input,
        "tool_use_id": "toolu_01",
    }


def _reason(out: str, *keys: str) -> str:
    data = json.loads(out)
    for key in keys:
        data = data[key]
    assert isinstance(data, str)
    return data


def _assert_reason(reason: str) -> None:
    assert reason.startswith(REASON_START)
    assert "session feat-billing (branch feat/billing)" in reason
    assert "at line 40" in reason
    assert 'says it is working on: "# billing / Rework invoice rounding"' in reason
    assert "retry this same edit to proceed anyway" in reason


@pytest.mark.parametrize(
    ("tool", "tool_input"),
    [
        ("Write", {"file_path": "{auth}/shared.txt", "content": "x\n"}),
        ("Edit", {"file_path": "{auth}/shared.txt", "old_string": "line 1", "new_string": "a"}),
        (
            "MultiEdit",
            {"file_path": "{auth}/shared.txt", "edits": [{"old_string": "a", "new_string": "b"}]},
        ),
        ("NotebookEdit", {"notebook_path": "{auth}/shared.txt", "new_source": "x"}),
    ],
)
def test_claude_denies_once_then_allows_the_retry(
    parallel: Parallel, tool: str, tool_input: dict
) -> None:
    filled = {
        k: v.format(auth=parallel.auth) if isinstance(v, str) else v for k, v in tool_input.items()
    }
    payload = _claude(parallel, tool, filled)
    out, code, err = parallel.hook("claude", payload)
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"hookSpecificOutput"}
    specific = data["hookSpecificOutput"]
    assert set(specific) == {"hookEventName", "permissionDecision", "permissionDecisionReason"}
    assert specific["hookEventName"] == "PreToolUse"
    assert specific["permissionDecision"] == "deny"
    _assert_reason(specific["permissionDecisionReason"])
    # the retry of the same edit goes through, silently
    assert parallel.hook("claude", payload)[:2] == ("", 0)
    # another agent session has not been told yet
    assert parallel.hook("claude", _claude(parallel, tool, filled, "c-2"))[0] != ""


def test_claude_denies_again_when_the_other_change_moves(parallel: Parallel) -> None:
    payload = _claude(parallel, "Edit", {"file_path": str(parallel.auth / "shared.txt")})
    assert parallel.hook("claude", payload)[0]
    assert parallel.hook("claude", payload)[0] == ""
    text = numbered(60).replace("line 40\n", "billing 40\n").replace("line 50\n", "b50\n")
    parallel.repo.write(parallel.billing, "shared.txt", text)
    again = parallel.hook("claude", payload)[0]
    assert "lines 40, 50" in _reason(again, "hookSpecificOutput", "permissionDecisionReason")


def test_claude_is_silent_when_clear_and_for_other_tools(parallel: Parallel) -> None:
    clear = _claude(parallel, "Write", {"file_path": str(parallel.auth / "docs/readme.md")})
    assert parallel.hook("claude", clear)[:2] == ("", 0)
    read = _claude(parallel, "Read", {"file_path": str(parallel.auth / "shared.txt")})
    assert parallel.hook("claude", read)[:2] == ("", 0)


@pytest.mark.parametrize(
    "stdin",
    ["", "garbage", "[1, 2]", '{"hook_event_name": "PreToolUse", "tool_name": "Write"}'],
)
def test_fail_open_on_garbage(parallel: Parallel, stdin: str) -> None:
    out, code, _ = parallel.hook("claude", stdin)
    assert (out, code) == ("", 0)


def test_fail_open_outside_a_repository(parallel: Parallel, tmp_path: Path) -> None:
    payload = {
        "session_id": "x",
        "cwd": str(tmp_path),
        "hook_event_name": "PreToolUse",
        "tool_name": "Write",
        "tool_input": {"file_path": str(tmp_path / "a.txt"), "content": "x"},
    }
    assert parallel.hook("claude", payload, cwd=tmp_path)[:2] == ("", 0)


def test_fail_open_logs_internal_errors(parallel: Parallel) -> None:
    # A trunk that does not exist makes the check fail: the write must still be allowed.
    parallel.repo.git(parallel.main, "config", "agentls.trunk", "no-such-branch")
    payload = _claude(parallel, "Edit", {"file_path": str(parallel.auth / "shared.txt")})
    assert parallel.hook("claude", payload)[:2] == ("", 0)
    log = (parallel.main / ".git" / "agentls" / "hooks.log").read_text()
    assert "claude hook failed open" in log and "no trunk branch" in log


def test_codex_apply_patch_with_several_files(parallel: Parallel) -> None:
    patch = (
        "*** Begin Patch\n"
        "*** Update File: shared.txt\n@@\n-line 40\n+codex 40\n"
        "*** Add File: notes/new.md\n+hello\n"
        "*** Delete File: docs/readme.md\n"
        "*** End Patch\n"
    )
    assert patch_files(patch) == ["shared.txt", "notes/new.md", "docs/readme.md"]
    payload = {
        "session_id": "codex-1",
        "turn_id": "t1",
        "cwd": str(parallel.auth),
        "hook_event_name": "PreToolUse",
        "model": "gpt-5-codex",
        "permission_mode": "default",
        "tool_name": "apply_patch",
        "tool_input": {"command": patch},
        "tool_use_id": "call_1",
    }
    out, code, err = parallel.hook("codex", payload)
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"hookSpecificOutput"}
    assert set(data["hookSpecificOutput"]) == {
        "hookEventName",
        "permissionDecision",
        "permissionDecisionReason",
    }
    assert data["hookSpecificOutput"]["permissionDecision"] == "deny"
    _assert_reason(data["hookSpecificOutput"]["permissionDecisionReason"])
    assert parallel.hook("codex", payload)[:2] == ("", 0)
    clear = {**payload, "tool_input": {"command": "*** Begin Patch\n*** Add File: x.py\n+x\n"}}
    assert parallel.hook("codex", {**clear, "session_id": "codex-2"})[:2] == ("", 0)


def test_cursor_pre_tool_use(parallel: Parallel) -> None:
    payload = {
        "conversation_id": "conv-1",
        "generation_id": "gen-1",
        "hook_event_name": "preToolUse",
        "workspace_roots": [str(parallel.auth)],
        "tool_name": "Write",
        "tool_input": {"file_path": str(parallel.auth / "shared.txt"), "contents": "x"},
    }
    out, code, err = parallel.hook("cursor", payload)
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"permission", "user_message", "agent_message"}
    assert data["permission"] == "deny"
    assert data["user_message"] == "agentls: shared.txt contested by feat-billing"
    _assert_reason(data["agent_message"])
    assert parallel.hook("cursor", payload)[:2] == ("", 0)


@pytest.mark.parametrize(
    ("tool", "tool_input"),
    [
        ("write_file", {"file_path": "{auth}/shared.txt", "content": "x"}),
        ("replace", {"file_path": "{auth}/shared.txt", "old_string": "a", "new_string": "b"}),
    ],
)
def test_gemini_before_tool(parallel: Parallel, tool: str, tool_input: dict) -> None:
    filled = {k: v.format(auth=parallel.auth) for k, v in tool_input.items()}
    payload = {
        "session_id": "g-1",
        "transcript_path": "/tmp/g.json",
        "cwd": str(parallel.auth),
        "hook_event_name": "BeforeTool",
        "timestamp": "2026-01-01T00:00:00Z",
        "tool_name": tool,
        "tool_input": filled,
    }
    out, code, err = parallel.hook("gemini", payload)
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"decision", "reason"}
    assert data["decision"] == "deny"
    _assert_reason(data["reason"])
    assert parallel.hook("gemini", payload)[:2] == ("", 0)


@pytest.mark.parametrize("as_string", [True, False])
def test_copilot_pre_tool_use(parallel: Parallel, as_string: bool) -> None:
    args = {"path": str(parallel.auth / "shared.txt"), "old_str": "a", "new_str": "b"}
    payload = {
        "timestamp": 1704614600000,
        "cwd": str(parallel.auth),
        "toolName": "edit",
        "toolArgs": json.dumps(args) if as_string else args,
    }
    out, code, err = parallel.hook("copilot", payload)
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"permissionDecision", "permissionDecisionReason"}
    assert data["permissionDecision"] == "deny"
    _assert_reason(data["permissionDecisionReason"])
    assert parallel.hook("copilot", payload)[:2] == ("", 0)


def test_session_start_context_for_claude_and_gemini(parallel: Parallel) -> None:
    for agent, event in (("claude", "SessionStart"), ("gemini", "SessionStart")):
        payload = {"session_id": "s", "cwd": str(parallel.auth), "hook_event_name": event}
        out, code, err = parallel.hook(agent, payload)
        assert code == 0, err
        specific = json.loads(out)["hookSpecificOutput"]
        assert specific["hookEventName"] == "SessionStart"
        text = specific["additionalContext"]
        assert text.startswith("agentls: you are session feat-auth (branch feat/auth)")
        assert "feat-billing (" in text


def test_prompt_submit_repeats_context_only_when_it_changes(parallel: Parallel) -> None:
    payload = {
        "session_id": "p",
        "cwd": str(parallel.auth),
        "hook_event_name": "UserPromptSubmit",
        "prompt": "go on",
    }
    first = json.loads(parallel.hook("claude", payload)[0])["hookSpecificOutput"]
    assert first["hookEventName"] == "UserPromptSubmit"
    assert parallel.hook("claude", payload)[:2] == ("", 0)
    parallel.repo.write(parallel.auth, "shared.txt", numbered(60).replace("line 40\n", "a\n"))
    changed = json.loads(parallel.hook("claude", payload)[0])["hookSpecificOutput"]
    assert "shared.txt: conflict with feat-billing" in changed["additionalContext"]
