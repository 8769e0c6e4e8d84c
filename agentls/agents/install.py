"""`agentls hooks install AGENT [--uninstall]`: merge the hook into an agent's project config.

Each agent reads hooks from a JSON file (agentls.session_files.HOOK_CONFIG): Claude
Code from its local, uncommitted `.claude/settings.local.json`; Codex from the
*main checkout's* `.codex/hooks.json` even in a linked worktree (older releases
read the worktree's own, so both get it); the others from their project file in
the worktree. A file agentls creates or edits that is not tracked is listed in
the repository's `info/exclude`, so it never becomes part of a session's work. A
tracked one belongs to the project: `agentls new --agent` leaves it alone and
says so, and only an explicit install edits it (the change is then the user's to
commit).

The merge touches only entries whose command runs `agentls hook <agent>`;
everything else in the file keeps its place and value. Installing twice changes
nothing; uninstalling removes only what install added (and the file, when install
created it and nothing else is left).
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

from agentls import session_files
from agentls.agents.hooks import AGENTS
from agentls.errors import InvalidInputError
from agentls.session_files import HOOK_CONFIG, LEGACY_HOOK_CONFIG

# Where each agent reads project hooks, relative to the worktree root.
CONFIG_FILES = HOOK_CONFIG
NOTE = "note: "

# Command names (`agentls new --agent CMD`) and the agent they start.
COMMANDS = {
    "claude": "claude",
    "claude-code": "claude",
    "codex": "codex",
    "cursor": "cursor",
    "cursor-agent": "cursor",
    "gemini": "gemini",
    "copilot": "copilot",
    "gh-copilot": "copilot",
}


def hook_command(agent: str) -> str:
    """The shell command the agent runs: `agentls hook AGENT` when agentls is on PATH."""
    if shutil.which("agentls"):
        return f"agentls hook {agent}"
    return f"{shlex.quote(sys.executable)} -m agentls hook {agent}"


def is_ours(command: object, agent: str) -> bool:
    return isinstance(command, str) and "agentls" in command and f"hook {agent}" in command


def _entries(agent: str, command: str) -> dict[str, list[dict[str, Any]]]:
    """event -> the hook groups agentls wants in the agent's config."""
    handler = {"type": "command", "command": command, "timeout": 10}
    if agent == "claude":
        return {
            "PreToolUse": [{"matcher": "Write|Edit|MultiEdit|NotebookEdit", "hooks": [handler]}],
            "SessionStart": [{"hooks": [handler]}],
            "UserPromptSubmit": [{"hooks": [handler]}],
        }
    if agent == "codex":
        return {
            "PreToolUse": [{"matcher": "apply_patch", "hooks": [handler]}],
            "SessionStart": [{"hooks": [handler]}],
        }
    if agent == "gemini":
        gemini = {"type": "command", "command": command, "name": "agentls", "timeout": 10000}
        return {
            "BeforeTool": [{"matcher": "write_file|replace", "hooks": [gemini]}],
            "SessionStart": [{"hooks": [gemini]}],
        }
    if agent == "cursor":
        return {"preToolUse": [{"command": command}]}
    if agent == "copilot":
        return {"preToolUse": [{"type": "command", "bash": command, "timeoutSec": 10}]}
    raise InvalidInputError(f"unknown agent {agent!r}", f"use one of {', '.join(AGENTS)}")


def _group_is_ours(group: object, agent: str) -> bool:
    """A hook group (or flat hook entry) that runs agentls's hook for AGENT."""
    if not isinstance(group, dict):
        return False
    if is_ours(group.get("command"), agent) or is_ours(group.get("bash"), agent):
        return True
    hooks = group.get("hooks")
    return isinstance(hooks, list) and any(
        isinstance(h, dict) and is_ours(h.get("command"), agent) for h in hooks
    )


def _load(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError) as exc:
        raise InvalidInputError(
            f"cannot read {path}: {exc}", "fix or move that file, then run the install again"
        ) from exc
    if not isinstance(data, dict):
        raise InvalidInputError(f"{path} does not hold a JSON object", "fix or move that file")
    return data


def _hooks_table(data: dict[str, Any], path: Path) -> dict[str, Any]:
    table = data.setdefault("hooks", {})
    if not isinstance(table, dict):
        raise InvalidInputError(f'"hooks" in {path} is not an object', "fix that file first")
    return table


def _uninstall_from(agent: str, path: Path) -> list[str]:
    data = _load(path)
    if data is None or not isinstance(data.get("hooks"), dict):
        return []
    changes: list[str] = []
    table = data["hooks"]
    for event in list(table):
        groups = table[event]
        if not isinstance(groups, list):
            continue
        kept = [g for g in groups if not _group_is_ours(g, agent)]
        if len(kept) != len(groups):
            changes.append(f"{path}: removed agentls from hooks.{event}")
            if kept:
                table[event] = kept
            else:
                del table[event]
    if not changes:
        return []
    if not table:
        del data["hooks"]
    if not data or (agent in ("cursor", "copilot") and set(data) <= {"version"}):
        path.unlink()
        changes.append(f"{path}: deleted (nothing else was in it)")
    else:
        _write(path, data)
    return changes


def _install_into(agent: str, path: Path) -> list[str]:
    data = _load(path)
    created = data is None
    data = {} if data is None else data
    if created and agent in ("cursor", "copilot"):
        data["version"] = 1  # both read `{"version": 1, "hooks": {...}}`
    table = _hooks_table(data, path)
    changes: list[str] = []
    for event, wanted in _entries(agent, hook_command(agent)).items():
        groups = table.get(event)
        if groups is None:
            groups = table[event] = []
        if not isinstance(groups, list):
            raise InvalidInputError(f"hooks.{event} in {path} is not a list", "fix that file first")
        ours = [g for g in groups if _group_is_ours(g, agent)]
        if ours == wanted:
            continue
        position = next((i for i, g in enumerate(groups) if _group_is_ours(g, agent)), len(groups))
        others = [g for g in groups if not _group_is_ours(g, agent)]
        table[event] = others[:position] + wanted + others[position:]
        changes.append(f"{path}: {'updated' if ours else 'added'} agentls in hooks.{event}")
    if changes:
        _write(path, data)
        if created:
            changes.insert(0, f"{path}: created")
    return changes


def _repository(root: Path) -> tuple[Path, Path | None] | None:
    """(common dir, main checkout or None) of the repository holding ROOT."""
    from agentls.errors import AgentlsError
    from agentls.git.repo import find_repository, list_worktrees

    try:
        repository = find_repository(root)
        primary = next((w for w in list_worktrees(repository) if w.is_primary), None)
    except AgentlsError:
        return None
    main = primary.path if primary is not None and not primary.bare and primary.exists else None
    return repository.common_dir, main


def _targets(agent: str, root: Path, main: Path | None) -> list[tuple[Path, Path]]:
    """(checkout, config file) pairs agentls installs AGENT's hooks into for ROOT."""
    relative = HOOK_CONFIG[agent]
    targets = [(root, root / relative)]
    if agent == "codex" and main is not None and main.resolve() != root.resolve():
        # Codex reads a linked worktree's project hooks from the main checkout.
        targets.insert(0, (main, main / relative))
    return targets


def install(
    agent: str, worktree: str | Path, *, uninstall: bool = False, automatic: bool = False
) -> list[str]:
    """Merge (or remove) agentls's hooks for AGENT for WORKTREE; what changed, one line each.

    Lines starting with "note: " say what was left alone and why, or what the person
    still has to do (Codex's trust step). AUTOMATIC (`agentls new --agent`) never
    edits a tracked file; an explicit install edits one in WORKTREE itself.
    """
    if agent not in HOOK_CONFIG:
        raise InvalidInputError(f"unknown agent {agent!r}", f"use one of {', '.join(AGENTS)}")
    root = Path(worktree)
    if not root.is_dir():
        raise InvalidInputError(f"not a folder: {root}", "pass the worktree to install into")
    found = _repository(root)
    common, main = found if found is not None else (None, None)
    relative = HOOK_CONFIG[agent]
    changes: list[str] = []
    notes: list[str] = []
    for checkout, path in _targets(agent, root, main):
        tracked = common is not None and session_files.is_tracked(checkout, relative)
        elsewhere = checkout is not root
        if tracked and elsewhere:
            notes.append(
                f"{NOTE}{path} is tracked in the main checkout: left alone (it is trunk's);"
                " add agentls's hook to it in a session and land it"
            )
            continue
        if tracked and automatic:
            notes.append(
                f"{NOTE}{path} is tracked: left alone; `agentls hooks install {agent}` adds"
                " the hook to it as a change of yours to commit"
            )
            continue
        if uninstall:
            changes += _uninstall_from(agent, path)
            continue
        if common is not None and not tracked:
            session_files.exclude(common, [relative])  # before the file exists: never dirty
        done = _install_into(agent, path)
        changes += done
        if done and tracked:
            notes.append(f"{NOTE}{path} is tracked: commit this change, or land refuses it")
    legacy = LEGACY_HOOK_CONFIG.get(agent)
    if legacy and common is not None and not session_files.is_tracked(root, legacy):
        try:  # earlier releases installed here; the hooks now live in the local file
            changes += _uninstall_from(agent, root / legacy)
        except InvalidInputError:
            notes.append(f"{NOTE}{root / legacy} is not valid JSON: left alone")
    if agent == "codex" and not uninstall:
        notes.append(codex_trust_note(main or root))
    return changes + notes


def codex_trust_note(main: Path) -> str:
    """What the person does once so Codex runs the hooks (it skips untrusted ones silently)."""
    return (
        f"{NOTE}Codex runs project hooks only in a trusted project, after you review them:"
        f' trust {main} when Codex asks (or add [projects."{main}"] trust_level ='
        ' "trusted" to ~/.codex/config.toml), then run /hooks in Codex and trust'
        " agentls's hooks (again after an agentls upgrade changes them)"
    )


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".agentls-tmp")
    temp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temp.replace(path)  # atomic: the agent never reads a half-written config


def agent_for_command(cmd: str) -> str | None:
    """Which agent a command line starts (`claude --resume` -> claude), or None."""
    try:
        words = shlex.split(cmd)
    except ValueError:
        words = cmd.split()
    for word in words[:2]:  # `gh copilot`, `npx codex`
        name = Path(word).name.lower()
        if name in COMMANDS:
            return COMMANDS[name]
    return None


def install_for_agent_command(worktree: str | Path, cmd: str) -> list[str]:
    """Install the hooks of the agent CMD starts into WORKTREE (`agentls new --agent CMD`).

    Returns what changed (and notes); an agent agentls has no hooks for installs nothing.
    """
    agent = agent_for_command(cmd) if isinstance(cmd, str) else None
    if agent is None:
        return []
    return install(agent, worktree, automatic=True)
