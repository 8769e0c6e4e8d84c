"""`agentls check`, `agentls hook AGENT`, `agentls hooks install AGENT`, `agentls mcp`.

`hook` is on every agent write path: it imports nothing heavy here and lets
agentls.agents.runner decide what to load.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # argparse stays off the hook's import path
    import argparse

AGENT_NAMES = ("claude", "codex", "cursor", "gemini", "copilot")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    check = subparsers.add_parser(
        "check",
        help="before writing files: which other sessions changed or claim them",
        description="Before writing files: say which other sessions changed or claim them."
        " Exit 0 when every file is clear, 1 when any is contested, 2 on errors.",
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="files about to be written")
    check.add_argument("--session", help="the writing session (default: the one holding each file)")
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    check.set_defaults(run=run_check)

    hook = subparsers.add_parser(
        "hook",
        help="an agent's pre-write hook: reads its payload on stdin, answers in its format",
        description="Run by an agent before it writes a file: reads the agent's hook payload"
        " on stdin and answers in that agent's format (installed by `agentls hooks install`).",
    )
    hook.add_argument("agent", choices=AGENT_NAMES, help="which agent's payload format")
    hook.set_defaults(run=run_hook)

    hooks = subparsers.add_parser(
        "hooks",
        help="install agentls's hook into an agent's config",
        description="Manage agentls's pre-write hook in an agent's project configuration.",
    )
    hooks.set_defaults(run=lambda args: _usage_of(hooks))
    hooks_verbs = hooks.add_subparsers(dest="hooks_command", metavar="VERB")
    install = hooks_verbs.add_parser(
        "install",
        help="merge the hook into the project config",
        description="Merge agentls's hook into the agent's configuration in this worktree"
        " (or remove it again with --uninstall); other settings are kept.",
    )
    install.add_argument("agent", choices=AGENT_NAMES, help="the agent to set up")
    install.add_argument("--uninstall", action="store_true", help="remove it again")
    install.set_defaults(run=run_install)

    mcp = subparsers.add_parser(
        "mcp",
        help="an MCP server (stdio) with agentls's tools",
        description="Serve agentls's tools (status, check_files, claim, release, handoff,"
        " sessions) to an agent over MCP on stdio.",
    )
    mcp.set_defaults(run=run_mcp)


def _usage_of(parser: argparse.ArgumentParser) -> int:
    """A verb group run without its verb (`agentls hooks`): its own help, not the top's."""
    parser.print_help(sys.stderr)
    return 2


def run_hook(args: argparse.Namespace) -> int:
    return _answer_hook(args.agent)


def _answer_hook(agent: str) -> int:
    from agentls.agents.runner import run_hook as answer

    try:
        # Agents send UTF-8 JSON, whatever the locale says; some start with a byte order mark.
        payload = sys.stdin.buffer.read().decode("utf-8-sig", errors="replace")
    except (OSError, ValueError, AttributeError):
        payload = ""
    text, code = answer(agent, payload)
    if text:
        sys.stdout.write(text)
        sys.stdout.flush()
    return code


def run_check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from agentls.agents.decision import describe_file
    from agentls.agents.runner import check_cli

    cwd = str(Path(args.directory).resolve())
    result = check_cli(cwd, list(args.paths), args.session)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for entry in result["files"]:
            for line in describe_file(entry):
                print(line)
        if not result["files"]:
            print("no file inside a session's worktree")
    return 0 if result["clear"] else 1


def run_install(args: argparse.Namespace) -> int:
    from pathlib import Path

    from agentls.agents.install import NOTE, install
    from agentls.git.repo import find_repository

    repository = find_repository(args.directory)
    root = repository.toplevel or Path(args.directory).resolve()
    lines = install(args.agent, root, uninstall=args.uninstall)
    for line in lines:
        print(line)
    if not [line for line in lines if not line.startswith(NOTE)]:
        state = "not installed" if args.uninstall else "already installed"
        print(f"agentls hook for {args.agent}: {state} in {root}; nothing changed")
    return 0


def run_mcp(args: argparse.Namespace) -> int:
    from agentls.agents.mcp_server import serve

    serve(args.directory)
    return 0


def hook_fast_path(agent: str) -> int | None:
    """`agentls hook AGENT` without the full parser; None when AGENT is unknown."""
    if agent not in AGENT_NAMES:
        return None  # the full parser prints the usage error
    return _answer_hook(agent)
