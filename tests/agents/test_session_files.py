"""Agents and agentls's own files: where hooks are installed, what `check` quotes, payloads."""

from __future__ import annotations

import json

from agentls.agents.check import check_paths
from agentls.agents.install import install, install_for_agent_command
from agentls.lifecycle import write_handoff
from agentls.workspace import Workspace
from tests.agents.conftest import Parallel
from tests.conftest import git


def _agentls_commands(path) -> list[str]:  # type: ignore[no-untyped-def]
    data = json.loads(path.read_text())
    return [
        h["command"]
        for groups in data.get("hooks", {}).values()
        for group in groups
        for h in group.get("hooks", [])
        if "agentls" in h.get("command", "")
    ]


def test_check_quotes_the_sessions_own_notes_not_agentls_section(parallel: Parallel) -> None:
    with Workspace(parallel.main) as ws:
        write_handoff(ws, "feat-billing")  # the generated section after billing's own notes
    text = (parallel.billing / "HANDOFF.md").read_text()
    assert text.startswith("# billing\nRework invoice rounding\n") and "agentls:begin" in text
    (finding,) = check_paths(None, parallel.auth, ["shared.txt"])["files"][0]["findings"]
    assert finding["handoff"] == ["# billing", "Rework invoice rounding"]
    # Only agentls's section: nothing to quote, and the deny says nothing about it.
    generated = text[text.index("<!-- agentls:begin -->") :]
    (parallel.billing / "HANDOFF.md").write_text(generated)
    (finding,) = check_paths(None, parallel.auth, ["shared.txt"])["files"][0]["findings"]
    assert finding["handoff"] == []
    shown = parallel.agentls("check", "shared.txt")
    assert "says it is working on" not in shown.stdout and "agentls:" not in shown.stdout


def test_cursor_payload_with_a_byte_order_mark_is_read(parallel: Parallel) -> None:
    payload = {
        "conversation_id": "conv-bom",
        "hook_event_name": "preToolUse",
        "workspace_roots": [str(parallel.auth)],
        "tool_name": "Write",
        "tool_input": {"file_path": str(parallel.auth / "shared.txt"), "contents": "x"},
    }
    out, code, err = parallel.hook("cursor", "\ufeff" + json.dumps(payload))
    assert code == 0, err
    assert json.loads(out)["permission"] == "deny"


def test_codex_hooks_go_where_codex_reads_them_and_stay_out_of_the_work(
    parallel: Parallel,
) -> None:
    result = parallel.agentls("hooks", "install", "codex")
    assert result.returncode == 0, result.stderr
    main_config = parallel.main / ".codex/hooks.json"
    own_config = parallel.auth / ".codex/hooks.json"
    # Codex reads a linked worktree's project hooks from the main checkout; older
    # releases read the worktree's own file: both have the hooks.
    assert _agentls_commands(main_config) and _agentls_commands(own_config)
    assert f"{main_config}: created" in result.stdout
    assert "trusted project" in result.stdout and "/hooks" in result.stdout
    for checkout in (parallel.main, parallel.auth, parallel.billing):
        assert ".codex" not in git(checkout, "status", "--porcelain")
    removed = parallel.agentls("hooks", "install", "codex", "--uninstall")
    assert removed.returncode == 0
    assert not main_config.exists() and not own_config.exists()


def test_a_tracked_hook_file_is_left_to_the_user(parallel: Parallel) -> None:
    parallel.repo.write(parallel.main, ".codex/hooks.json", '{"hooks": {}}\n')
    parallel.repo.write(parallel.main, ".gemini/settings.json", '{"theme": "GitHub"}\n')
    parallel.repo.commit(parallel.main, "the team's agent settings")
    git(parallel.main, "worktree", "add", "-q", "-b", "late", str(parallel.repo.root / "late"))
    late = parallel.repo.root / "late"
    lines = install("codex", parallel.auth)
    assert (parallel.main / ".codex/hooks.json").read_text() == '{"hooks": {}}\n'
    assert any("tracked in the main checkout: left alone" in line for line in lines)
    assert git(parallel.main, "status", "--porcelain") == ""
    # `new --agent gemini` never edits a tracked file; an explicit install does, and says so.
    automatic = install_for_agent_command(late, "gemini")
    assert automatic == [f"note: {late / '.gemini/settings.json'} is tracked: left alone;"
                         " `agentls hooks install gemini` adds the hook to it as a change of"
                         " yours to commit"]  # fmt: skip
    asked = install("gemini", late)
    assert any("is tracked: commit this change" in line for line in asked)
    assert git(late, "status", "--porcelain") == "M .gemini/settings.json"


def test_claude_hooks_move_from_the_shared_settings_file(parallel: Parallel) -> None:
    shared = parallel.auth / ".claude/settings.json"
    shared.parent.mkdir()
    command = {"type": "command", "command": "agentls hook claude", "timeout": 10}
    shared.write_text(json.dumps({"hooks": {"SessionStart": [{"hooks": [command]}]}}))
    lines = install("claude", parallel.auth)
    assert f"{shared}: deleted (nothing else was in it)" in lines
    assert _agentls_commands(parallel.auth / ".claude/settings.local.json")
    assert git(parallel.auth, "status", "--porcelain") == ""
