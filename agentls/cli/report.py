"""`agentls status`, `agentls overlaps` and `agentls demo`."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from agentls.cli import write_json

if TYPE_CHECKING:
    from agentls.report import Report


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    status = subparsers.add_parser(
        "status",
        help="sessions, collisions and advice for this repository",
        description="Show every session (worktree) of this repository in cascade order, where"
        " their work collides, and the playbook's advice.",
    )
    status.add_argument("--json", action="store_true", help="print the report as JSON")
    status.add_argument("--trunk", help="compare against this branch instead of the trunk")
    status.add_argument("--fetch", action="store_true", help="fetch remote sessions first")
    status.set_defaults(run=run_status, exit_at_once=True)  # reads only: see _exit_now

    overlaps = subparsers.add_parser(
        "overlaps",
        help="collisions between sessions",
        description="List where sessions' work collides: predicted conflicts (git's own"
        " merge), overlaps, ownership and research writes.",
    )
    overlaps.add_argument("--json", action="store_true", help="print the report as JSON")
    overlaps.add_argument(
        "--exit-code", action="store_true", help="exit 1 when any conflict is predicted"
    )
    overlaps.add_argument("--trunk", help="compare against this branch instead of the trunk")
    overlaps.add_argument("--fetch", action="store_true", help="fetch remote sessions first")
    overlaps.set_defaults(run=run_overlaps, exit_at_once=True)  # reads only: see _exit_now

    demo = subparsers.add_parser(
        "demo",
        help="build an example repository and show its status",
        description="Build an example repository with five sessions offline, land one of"
        " them, and show what agentls sees.",
    )
    demo.add_argument("--dir", type=Path, help="where to build it (default: a new temp folder)")
    demo.set_defaults(run=run_demo)


def _report(args: argparse.Namespace) -> Report:
    """The engine's live report when one runs (editors' unsaved work included), else a
    fresh analysis in this process."""
    from agentls.lifecycle import pending
    from agentls.workspace import Workspace

    if getattr(args, "fetch", False):
        from agentls.remote.cli import fetch_now

        fetch_now(args.directory)  # an unreachable remote is reported in the report itself
    with Workspace(args.directory, trunk=args.trunk) as workspace:
        report = None if args.trunk else _engine_report(workspace.repository.common_dir)
        if report is None:
            report = workspace.refresh()
        report.warnings += pending(workspace)  # interrupted lands, explained
        return report


def _engine_report(common_dir: Path) -> Report | None:
    from agentls.engine.client import connect
    from agentls.engine.protocol import EngineError
    from agentls.report import Report

    client = connect(common_dir)
    if client is None:
        return None
    try:
        data = client.call("report", {}, timeout=30)
    except EngineError:
        return None  # an engine that is going away: analyse here instead
    finally:
        client.close()
    return Report.from_json(data) if data else None


def run_status(args: argparse.Namespace) -> int:
    from agentls.advice import advice
    from agentls.render import render_status

    report = _report(args)
    if args.json:
        data = report.to_json()
        data["advice"] = advice(report)
        write_json(data, sys.stdout)
    else:
        render_status(report)
    return 0


def run_overlaps(args: argparse.Namespace) -> int:
    from agentls.render import collision_line, pair_label

    report = _report(args)
    if args.json:
        write_json(report.to_json(), sys.stdout)
    elif not report.overlaps:
        print("no collisions")
    else:
        for collision in report.overlaps:
            print(pair_label(collision) + ": " + collision_line(collision))
    conflicted = any(c.kind == "conflict" for c in report.overlaps)
    return 1 if args.exit_code and conflicted else 0


def run_demo(args: argparse.Namespace) -> int:
    from agentls.demo import build_demo, play_demo
    from agentls.render import render_status
    from agentls.workspace import Workspace

    primary = build_demo(args.dir)
    with Workspace(primary) as workspace:
        before = workspace.refresh()
    names = ", ".join(s.name for s in before.sessions if not s.is_trunk)
    print(
        f"Built a demo repository under {primary.parent} with {len(before.sessions)} sessions:"
        f" the main checkout on trunk, and {names}.\n"
    )
    for action, succeeded, said in play_demo(primary):
        print(f"$ {action}\n  {'' if succeeded else 'refused: '}{said}\n")
    with Workspace(primary) as workspace:
        report = workspace.refresh()
    print("What agentls sees now:\n")
    render_status(report)
    # `make demo` runs agentls from .venv/bin, which is usually not on PATH.
    command = "agentls" if shutil.which("agentls") else str(Path(sys.argv[0]).absolute())
    print(
        "\nTry it yourself:\n"
        f"  cd {primary.parent / 'shop-hotfix'} && {command} status\n"
        f"  {command} -C {primary} overlaps --json\n"
        f"  {command} -C {primary} land --all --dry-run\n"
        "  open any of those folders in VS Code or Neovim with the agentls plugin"
    )
    return 0
