"""`agentls hooks install AGENT [--uninstall]`: merge, idempotence, nothing else touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentls.agents.install import CONFIG_FILES, agent_for_command, install_for_agent_command
from tests.agents.conftest import Parallel

EXISTING = {
    "claude": {
        "model": "opus",
        "permissions": {"allow": ["Bash(make test)"]},
        "hooks": {
            "PreToolUse": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "./guard.sh"}]}
            ],
            "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}],
        },
    },
    "codex": {"hooks": {"PostToolUse": [{"hooks": [{"type": "command", "command": "log"}]}]}},
    "cursor": {"version": 1, "hooks": {"afterFileEdit": [{"command": "./format.sh"}]}},
    "gemini": {
        "theme": "GitHub",
        "hooks": {
            "BeforeTool": [
                {"matcher": "run_shell_command", "hooks": [{"type": "command", "command": "audit"}]}
            ]
        },
    },
    "copilot": {"version": 1, "hooks": {"sessionStart": [{"type": "command", "bash": "echo hi"}]}},
}


def _hook_commands(data: dict) -> list[str]:
    found = []
    for groups in data.get("hooks", {}).values():
        for group in groups:
            for handler in [group, *group.get("hooks", [])]:
                command = handler.get("command") or handler.get("bash")
                if isinstance(command, str) and "agentls" in command:
                    found.append(command)
    return found


@pytest.mark.parametrize("agent", sorted(CONFIG_FILES))
def test_install_merges_idempotently_and_uninstall_restores(parallel: Parallel, agent: str) -> None:
    config = parallel.auth / CONFIG_FILES[agent]
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps(EXISTING[agent], indent=2) + "\n")
    before = json.loads(config.read_text())

    first = parallel.agentls("hooks", "install", agent)
    assert first.returncode == 0, first.stderr
    assert "added agentls in hooks." in first.stdout
    data = json.loads(config.read_text())
    commands = _hook_commands(data)
    assert commands and all(c.endswith(f"hook {agent}") for c in commands)
    # everything that was there is still there, unchanged
    for key, value in before.items():
        if key != "hooks":
            assert data[key] == value
    for event, groups in before["hooks"].items():
        for group in groups:
            assert group in data["hooks"][event]

    second = parallel.agentls("hooks", "install", agent)
    assert second.returncode == 0
    assert "already installed" in second.stdout
    assert json.loads(config.read_text()) == data

    removed = parallel.agentls("hooks", "install", agent, "--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert "removed agentls" in removed.stdout
    assert json.loads(config.read_text()) == before
    again = parallel.agentls("hooks", "install", agent, "--uninstall")
    assert "not installed" in again.stdout


@pytest.mark.parametrize("agent", sorted(CONFIG_FILES))
def test_install_creates_and_uninstall_deletes_its_own_file(parallel: Parallel, agent: str) -> None:
    config = parallel.auth / CONFIG_FILES[agent]
    result = parallel.agentls("hooks", "install", agent)
    assert result.returncode == 0, result.stderr
    assert f"{config}: created" in result.stdout
    assert _hook_commands(json.loads(config.read_text()))
    parallel.agentls("hooks", "install", agent, "--uninstall")
    assert not config.exists()


def test_installed_claude_hook_runs_and_denies(parallel: Parallel) -> None:
    parallel.agentls("hooks", "install", "claude")
    data = json.loads((parallel.auth / ".claude/settings.local.json").read_text())
    (group,) = data["hooks"]["PreToolUse"]
    assert group["matcher"] == "Write|Edit|MultiEdit|NotebookEdit"
    assert set(data["hooks"]) == {"PreToolUse", "SessionStart", "UserPromptSubmit"}


def test_broken_config_is_refused_and_left_alone(parallel: Parallel) -> None:
    config = parallel.auth / ".claude/settings.local.json"
    config.parent.mkdir(parents=True)
    config.write_text("{ not json")
    result = parallel.agentls("hooks", "install", "claude")
    assert result.returncode == 2
    assert "cannot read" in result.stderr and str(config) in result.stderr
    assert config.read_text() == "{ not json"


def test_install_for_agent_command(parallel: Parallel, tmp_path: Path) -> None:
    assert agent_for_command("claude --resume") == "claude"
    assert agent_for_command("/usr/local/bin/codex") == "codex"
    assert agent_for_command("gh copilot") == "copilot"
    assert agent_for_command("cursor-agent") == "cursor"
    assert agent_for_command("aider --model x") is None
    changes = install_for_agent_command(parallel.billing, "gemini -m flash")
    assert changes[0] == f"{parallel.billing / '.gemini/settings.json'}: created"
    assert install_for_agent_command(parallel.billing, "gemini") == []
    assert install_for_agent_command(parallel.billing, "aider") == []
