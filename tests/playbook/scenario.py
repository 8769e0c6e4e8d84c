"""The seed playbook, end to end, in one real repository — written once, played by drivers.

The steps follow `seed/parallel-sessions-playbook.txt`: a dual kickoff (a scaffolder
session and a research fork writing BRIEF.md), three sessions scoped by claims with
agent hooks installed, collisions while they work, a cascade land in which the
second session conflicts, the handoff and its resume prompt, the re-scoped session
landing, a review of what is left and the removal of every session. A driver runs
the agentls verbs (the command line, or the language server's commands); the agents'
own actions (editing, committing, rebasing, their hooks) are real git and real
`agentls hook` processes. Nothing passes --force, and trunk's checkout is clean at
the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Protocol

from tests.conftest import GIT_ENV, Repo, git

HOOK_TIMEOUT = 60
CONFIG = "".join(f"SETTING_{i} = {i}\n" for i in range(1, 11))
TEST_SCRIPT = """\
import pathlib
import sys

# The project's own test: every module compiles and the shared config is importable.
for path in sorted(pathlib.Path("src").rglob("*.py")):
    compile(path.read_text(), str(path), "exec")
sys.path.insert(0, "src")
import shared.config  # noqa: E402

print("checked", len(list(pathlib.Path("src").rglob("*.py"))), "modules")
"""


class Driver(Protocol):
    """The agentls verbs the person runs (one implementation per front end)."""

    async def new(self, name: str, claims: list[str], agent: str | None) -> dict[str, Any]: ...
    async def fork(self, name: str, source: str) -> dict[str, Any]: ...
    async def priority(self, name: str, priority: int) -> dict[str, Any]: ...
    async def handoff(self, name: str) -> dict[str, Any]: ...
    async def land(self, name: str) -> dict[str, Any]: ...
    async def land_all(self) -> dict[str, Any]: ...
    async def remove(self, name: str) -> dict[str, Any]: ...
    async def report(self) -> dict[str, Any]: ...


def fake_agents(folder: Path) -> dict[str, str]:
    """`claude` and `codex` programs that do nothing: `new --agent` needs them on PATH.

    The agents' real work (edits, commits, their hooks) is played by the scenario.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("claude", "codex"):
        program = folder / name
        program.write_text("#!/bin/sh\nexit 0\n")
        program.chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def make_repository(repo: Repo) -> None:
    repo.write(repo.main, "README.md", "# shop\n")
    repo.write(repo.main, "check.py", TEST_SCRIPT)
    repo.write(repo.main, "pyproject.toml", '[tool.agentls.land]\ntest = "python3 check.py"\n')
    repo.commit(repo.main, "shop: the empty project")


def commit_all(worktree: Path, message: str) -> list[str]:
    """What an agent does: `git add -A && git commit`; the files the commit holds."""
    git(worktree, "add", "-A")
    git(worktree, "commit", "-q", "-m", message)
    return git(worktree, "show", "--name-only", "--format=", "HEAD").split()


async def hook(agent: str, payload: dict[str, Any], cwd: Path) -> str:
    """Run `agentls hook AGENT` as the agent does: a real process, the payload on stdin."""

    def run() -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "agentls", "hook", agent],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            cwd=cwd,
            env={**os.environ, **GIT_ENV},
            timeout=HOOK_TIMEOUT,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    return await asyncio.to_thread(run)


def session(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in report["sessions"] if s["name"] == name)


def collisions(report: dict[str, Any]) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(c["kind"], c["path"], tuple(sorted(c["sessions"]))) for c in report["overlaps"]}


def agentls_paths(files: list[str]) -> list[str]:
    return [
        f for f in files if f in ("HANDOFF.md", "BRIEF.md") or f.startswith((".claude", ".codex"))
    ]


async def play(driver: Driver, repo: Repo) -> None:
    root, main = repo.root, repo.main

    # --- dual kickoff: a scaffolder writes structure, a research fork writes a brief ---------
    made = await driver.new("scaffold", ["src/**"], "claude")
    scaffold = Path(made["session"]["path"])
    assert any("settings.local.json" in line for line in made["agent"]["hooks"]), made
    forked = await driver.fork("research", "main")
    research = Path(forked["session"]["path"])
    repo.write(scaffold, "src/auth/__init__.py", "")
    repo.write(scaffold, "src/billing/__init__.py", "")
    repo.write(scaffold, "src/shared/__init__.py", "")
    repo.write(scaffold, "src/shared/config.py", CONFIG)
    repo.write(scaffold, "CLAUDE.md", "# shop\nauth/ and billing/ are separate modules.\n")
    repo.write(research, "BRIEF.md", "# Brief\n- tokens expire (SETTING_3)\n- invoices round\n")
    picture = await driver.report()
    assert session(picture, "research")["role"] == "research"
    assert picture["overlaps"] == [], picture["overlaps"]  # a brief is not a research-write
    modules = [f"src/{m}/__init__.py" for m in ("auth", "billing", "shared")]
    expected = sorted(["CLAUDE.md", *modules, "src/shared/config.py"])
    assert session(picture, "scaffold")["changed"] == expected  # no agentls file among them
    assert agentls_paths(commit_all(scaffold, "scaffold: modules and shared config")) == []
    landed = await driver.land("scaffold")
    assert landed["ok"], landed
    brief = (research / "BRIEF.md").read_text()  # the person reads the brief...
    assert "tokens expire" in brief
    for name in ("scaffold", "research"):  # ...and both kickoff sessions go
        removed = await driver.remove(name)
        assert removed["ok"] and removed["forced"] is False, removed

    # --- three sessions, scoped by claims, in cascade order, with their agents' hooks ------
    for position, (name, claims, agent) in enumerate(
        [
            ("auth", ["src/auth/**"], "claude"),
            ("billing", ["src/billing/**"], "codex"),
            ("docs", ["docs/**"], "claude"),
        ],
        start=1,
    ):
        made = await driver.new(name, claims, agent)
        assert made["session"]["branch"] == name
        await driver.priority(name, position)
    auth, billing, docs = (root / f"repo-{n}" for n in ("auth", "billing", "docs"))
    assert (auth / ".claude/settings.local.json").is_file()
    assert (main / ".codex/hooks.json").is_file()  # where Codex reads a worktree's hooks
    assert (billing / ".codex/hooks.json").is_file()  # where older Codex releases read them
    for checkout in (main, auth, billing, docs):
        assert git(checkout, "status", "--porcelain") == "", checkout

    # --- collisions while they work -----------------------------------------------------------
    repo.write(auth, "src/auth/login.py", "def login(user):\n    return user\n")
    repo.write(auth, "src/shared/config.py", CONFIG.replace("SETTING_3 = 3", "SETTING_3 = 120"))
    patch = (
        "*** Begin Patch\n*** Update File: src/shared/config.py\n@@\n-SETTING_3 = 3\n"
        "+SETTING_3 = 30\n*** End Patch\n"
    )
    payload = {
        "hook_event_name": "PreToolUse",
        "tool_name": "apply_patch",
        "tool_input": {"command": patch},
        "cwd": str(billing),
        "session_id": "codex-billing",
    }
    denied = json.loads(await hook("codex", payload, billing))["hookSpecificOutput"]
    assert denied["permissionDecision"] == "deny"
    assert "session auth" in denied["permissionDecisionReason"]
    assert await hook("codex", payload, billing) == ""  # the retry goes through
    repo.write(billing, "src/shared/config.py", CONFIG.replace("SETTING_3 = 3", "SETTING_3 = 30"))
    repo.write(billing, "src/billing/invoice.py", "def total(xs):\n    return round(sum(xs), 2)\n")
    repo.write(docs, "docs/guide.md", "# Guide\nLog in, then pay.\n")
    auth_notes = "# auth\nLogin with expiring tokens; SETTING_3 is the token lifetime.\n"
    repo.write(auth, "HANDOFF.md", auth_notes)
    await driver.handoff("auth")  # agentls's section below the agent's own notes
    picture = await driver.report()
    assert collisions(picture) == {("conflict", "src/shared/config.py", ("auth", "billing"))}
    for name in ("auth", "billing", "docs"):
        assert agentls_paths(session(picture, name)["changed"]) == [], name
    # The codex agent in billing, starting fresh, is told who it collides with — not
    # about agentls's files.
    context = json.loads(
        await hook("codex", {"hook_event_name": "SessionStart", "cwd": str(billing)}, billing)
    )["hookSpecificOutput"]["additionalContext"]
    assert "src/shared/config.py: conflict with auth" in context
    assert ".codex" not in context and ".claude" not in context
    for worktree, message in ((auth, "auth: login"), (billing, "billing: invoices"),
                              (docs, "docs: guide")):  # fmt: skip
        assert agentls_paths(commit_all(worktree, message)) == [], worktree

    # --- the cascade: auth lands, billing conflicts, docs (independent) lands ---------------
    cascade = await driver.land_all()
    assert cascade["plan"] == ["auth", "billing", "docs"], cascade
    outcome = {r["session"]: (r["ok"], r["skipped"]) for r in cascade["results"]}
    assert outcome == {"auth": (True, False), "billing": (False, False), "docs": (True, False)}
    assert "src/shared/config.py" in next(
        r["message"] for r in cascade["results"] if r["session"] == "billing"
    )
    trunk_files = git(main, "ls-files").split()
    assert "src/auth/login.py" in trunk_files and "docs/guide.md" in trunk_files
    assert git(main, "status", "--porcelain") == ""
    assert not (main / "HANDOFF.md").exists()  # land --all never writes into trunk's checkout

    # --- the handoff and the resume prompt ------------------------------------------------------
    handoff = (billing / "HANDOFF.md").read_text()
    assert "Read HANDOFF.md and continue. You are session billing on branch billing." in handoff
    assert "The conflicting files are: [src/shared/config.py]" in handoff
    assert "Stay within the files you own: src/billing/**." in handoff
    assert (auth / "HANDOFF.md").read_text().startswith(auth_notes)  # the agent's notes kept

    # --- re-scoped: billing leaves shared config to auth and keeps its setting in billing/ ---
    git(billing, "rebase", "main", check=False)  # stops on the conflict, as predicted
    repo.write(
        billing, "src/shared/config.py", git(main, "show", "main:src/shared/config.py") + "\n"
    )
    repo.write(billing, "src/billing/settings.py", "INVOICE_TOKEN_LIFETIME = 30\n")
    git(billing, "add", "-A")
    git(billing, "-c", "core.editor=true", "rebase", "--continue")
    assert git(billing, "status", "--porcelain") == ""  # HANDOFF.md is a note, not work
    landed = await driver.land("billing")
    assert landed["ok"], landed
    assert "src/billing/settings.py" in git(main, "ls-files")

    # --- review what is left ------------------------------------------------------------------
    picture = await driver.report()
    assert picture["overlaps"] == []
    for name in ("auth", "billing", "docs"):
        info = session(picture, name)
        assert (info["ahead"], info["dirty"], info["changed"]) == (0, False, []), info

    # --- removal: every session goes without --force; trunk's checkout stays clean ---------
    for name in ("auth", "billing", "docs"):
        removed = await driver.remove(name)
        assert removed["ok"] and removed["forced"] is False, removed
    picture = await driver.report()
    assert [s["name"] for s in picture["sessions"]] == ["main"]
    assert git(main, "status", "--porcelain") == ""
    authors = set(git(main, "log", "--format=%ae", "main").split())
    assert authors == {GIT_ENV["GIT_AUTHOR_EMAIL"]}  # no agentls snapshot commit on trunk
    assert agentls_paths(git(main, "ls-files").split()) == []
