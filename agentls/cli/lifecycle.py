"""Lifecycle verbs: new, fork, rename, claim, release, priority, handoff, land, remove, restore."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Handler = Callable[[Any, argparse.Namespace], dict[str, Any]]


def _workspace(args: argparse.Namespace) -> Any:
    from agentls.workspace import Workspace

    return Workspace(args.directory)


def _seconds(text: str) -> float:
    """A non-negative, finite number of seconds, or a usage error that says so."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def _this_session(ws: Any, args: argparse.Namespace) -> str:
    """The session whose worktree holds the folder agentls runs in (for a left-out NAME)."""
    from agentls.errors import InvalidInputError
    from agentls.sessions import discover_sessions, session_at

    found = session_at(discover_sessions(ws.repository, ws.store), Path(args.directory))
    if found is None:
        raise InvalidInputError(
            "which session? give a NAME", "this folder is not inside a session's worktree"
        )
    return found.name


def _emit(args: argparse.Namespace, result: dict[str, Any], text: Callable[[], str]) -> int:
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        print(text())
    return 0 if result.get("ok", True) else 1


def _verb(handler: Handler, text: Callable[[dict[str, Any]], str]) -> Callable[..., int]:
    def run(args: argparse.Namespace) -> int:
        with _workspace(args) as ws:
            result = handler(ws, args)
        return _emit(args, result, lambda: text(result))

    return run


def _new(ws: Any, args: argparse.Namespace) -> dict[str, Any]:
    from agentls.lifecycle import new_session

    # Relative to the folder agentls runs "as if started in" (-C), like git -C.
    folder = str(Path(args.directory, Path(args.dir).expanduser()).absolute()) if args.dir else None
    return new_session(ws, args.name, branch=args.branch, start=args.start, folder=folder,
                       claims=args.claim or (), agent=args.agent)  # fmt: skip


def _new_text(result: dict[str, Any]) -> str:
    s = result["session"]
    where = f"on branch {s['branch']}" if s.get("branch") else "(research fork, detached)"
    lines = [f"created session {s['name']} {where} at {s['path']}"]
    restored = result.get("restored")
    if restored:
        lines.append(_restored_text(restored))
    agent = result.get("agent")
    if agent:
        lines += agent.get("hooks", [])
        if agent.get("note"):
            lines.append(f"note: {agent['note']}")
        if agent.get("started"):
            lines.append(f"started `{agent['command']}` (pid {agent['pid']}, log {agent['log']})")
        else:
            lines.append(f"to start the agent, run:\n  {agent['run']}")
    else:
        lines.append(f"start working there: cd {s['path']}")
    return "\n".join(lines)


def _restored_text(restored: dict[str, Any]) -> str:
    parts = [f"restored from {restored['from']} as a {restored['role']} session"]
    if restored.get("claims"):
        parts.append(f"claims {', '.join(restored['claims'])}")
    held = restored.get("claimsHeldElsewhere")
    if held:
        parts.append(f"not reclaimed (held by other sessions): {', '.join(held)}")
    if restored.get("uncommitted"):
        parts.append("its uncommitted files are back as changes")
    if restored.get("files"):
        parts.append(f"put back {', '.join(restored['files'])}")
    return "; ".join(parts)


def _land(args: argparse.Namespace) -> int:
    from agentls.lifecycle import land, land_all

    stream = sys.stderr if args.json else sys.stdout

    def progress(message: str, percent: int | None) -> None:
        prefix = f"[{percent:3d}%] " if percent is not None else "       "
        print(prefix + message, file=stream, flush=True)

    with _workspace(args) as ws:
        if args.all:
            if args.name or args.keep_open or args.remove:
                from agentls.errors import InvalidInputError

                raise InvalidInputError(
                    "land --all takes no session name, --keep-open or --remove",
                    "land one session by name for those",
                )
            # A dry run has no progress to show; the plan is in the printed table.
            result = land_all(ws, progress=None if args.dry_run else progress,
                              dry_run=args.dry_run, approved_only=args.approved)  # fmt: skip
        else:
            if args.approved:
                from agentls.errors import InvalidInputError

                raise InvalidInputError("--approved goes with --all", "land one session by name")
            name = args.name or _this_session(ws, args)
            result = land(ws, name, dry_run=args.dry_run, keep_open=args.keep_open,
                          remove=args.remove, progress=None if args.dry_run else progress,
                          wait=args.wait)  # fmt: skip
    return _emit(args, result, lambda: _land_text(result))


def _land_text(result: dict[str, Any]) -> str:
    if "results" in result:
        rows = [("session", "result", "message")]
        landed = "would land" if result.get("dryRun") else "landed"
        not_landed = "would fail" if result.get("dryRun") else "FAILED"
        for r in result["results"]:
            rows.append((r["session"], "skipped" if r.get("skipped") else
                         landed if r["ok"] else not_landed, r["message"]))  # fmt: skip
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        lines = [f"plan: {' -> '.join(result['plan']) or 'nothing to land'}"]
        lines += [f"  {a.ljust(widths[0])}  {b.ljust(widths[1])}  {c}" for a, b, c in rows]
        lines += [f"waiting for review: {w['session']} ({w['reason']})"
                  for w in result.get("waiting", [])]  # fmt: skip
        return "\n".join(lines)
    lines = []
    if result.get("dryRun"):
        lines += [f"  would {s['step']}: {s['detail']}" for s in result["steps"]]
    for line in result.get("recovered", []):
        lines.append(f"recovered: {line}")
    failed = not result["ok"] and not result.get("dryRun")
    lines.append(("land failed: " if failed else "") + result["message"])
    if result.get("handoff"):
        lines.append(f"wrote {result['handoff']}")
    removed = result.get("removed")
    if removed:
        lines.append(
            f"removed session {removed['session']} ({removed['path']})"
            + (f"; backup at {removed['backup']}" if removed.get("backup") else "")
        )
    return "\n".join(lines)


def _verbs() -> dict[str, tuple[Handler, Callable[[dict[str, Any]], str]]]:
    from agentls import lifecycle as lc

    return {
        "fork": (
            lambda ws, a: lc.fork_session(ws, a.name, source=a.source),
            lambda r: (
                f"forked research session {r['session']['name']} from "
                f"{r['session']['source']} at {r['session']['path']}"
            ),
        ),
        "rename": (
            lambda ws, a: lc.rename_session(ws, a.old, a.new),
            lambda r: (
                f"renamed {r['old']} to {r['name']}"
                + (f" (moved {len(r['backups'])} backup ref(s) along)" if r.get("backups") else "")
            ),
        ),
        "claim": (
            lambda ws, a: lc.claim(ws, a.name, a.globs, force=a.force),
            lambda r: (
                f"{r['session']} claims {', '.join(r['claims'])}"
                + "".join(f"\nshared: {s}" for s in r["shared"])
            ),
        ),
        "release": (
            lambda ws, a: lc.release(ws, a.name, a.globs or None),
            lambda r: f"{r['session']} claims {', '.join(r['claims']) or 'nothing'}",
        ),
        "priority": (
            lambda ws, a: lc.set_priority(ws, a.name, a.priority),
            lambda r: f"{r['session']} has priority {r['priority']}",
        ),
        "handoff": (
            lambda ws, a: lc.write_handoff(ws, a.name or _this_session(ws, a)),
            lambda r: (
                ("wrote " if r["changed"] else "unchanged: ")
                + r["path"]
                + (" (tracked: the change is yours to commit)" if r.get("tracked") else "")
            ),
        ),
        "remove": (
            lambda ws, a: lc.remove_session(ws, a.name, force=a.force),
            lambda r: (
                f"removed session {r['session']} ({r['path']})"
                + (f"; backup at {r['backup']}" if r["backup"] else "")
            ),
        ),
        "restore": (
            lambda ws, a: lc.restore_session(ws, a.name, a.backup),
            lambda r: (
                f"{r['branch']} is back at {r['new'][:12]} ({r['backup']})"
                + ("; its uncommitted files are back as changes" if r.get("uncommitted") else "")
                + (f"; previous head kept at {r['saved']}" if r["saved"] else "")
            ),
        ),
        "recover": (
            lambda ws, a: {"ok": True, "recovered": lc.recover(ws)},
            lambda r: "\n".join(r["recovered"]) or "nothing to recover",
        ),
    }


def _lazy(verb: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        handler, text = _verbs()[verb]
        return _verb(handler, text)(args)

    return run


def register(subparsers: Any) -> None:
    """Add the lifecycle verbs to the `agentls` command line."""

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help_text)
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        return parser

    p = add("new", "create a worktree + branch and register it as a session")
    p.add_argument("name")
    p.add_argument("--branch", help="branch to create (default: NAME)")
    p.add_argument("--from", dest="start", metavar="REF", help="start point (default: trunk)")
    p.add_argument("--dir", help="worktree folder (default: ../<repo>-<NAME>)")
    p.add_argument("--claim", action="append", metavar="GLOB", help="claim paths (repeatable)")
    p.add_argument("--agent", metavar="CMD", help="start this agent command in the new worktree")
    p.set_defaults(run=_verb(_new, _new_text))

    p = add("fork", "create a research fork of a session (uncommitted work included)")
    p.add_argument("name")
    p.add_argument("--from", dest="source", metavar="SESSION", help="default: this worktree's")
    p.set_defaults(run=_lazy("fork"))

    p = add("rename", "rename a session")
    p.add_argument("old")
    p.add_argument("new")
    p.set_defaults(run=_lazy("rename"))

    p = add("claim", "claim paths (globs) for a session")
    p.add_argument("name")
    p.add_argument("globs", nargs="+", metavar="GLOB")
    p.add_argument("--force", action="store_true", help="share a path another session claims")
    p.set_defaults(run=_lazy("claim"))

    p = add("release", "release a session's claims (all when no GLOB)")
    p.add_argument("name")
    p.add_argument("globs", nargs="*", metavar="GLOB")
    p.set_defaults(run=_lazy("release"))

    p = add("priority", "set a session's cascade priority (lower lands first)")
    p.add_argument("name")
    p.add_argument("priority")
    p.set_defaults(run=_lazy("priority"))

    p = add("handoff", "write HANDOFF.md in a session's worktree")
    p.add_argument("name", nargs="?", help="default: the session of this folder")
    p.set_defaults(run=_lazy("handoff"))

    p = add("land", "rebase onto trunk, build + test, fast-forward trunk")
    p.add_argument("name", nargs="?", help="default: the session of this folder")
    p.add_argument("--all", action="store_true", help="land every finished session in order")
    p.add_argument("--dry-run", action="store_true", help="show what would happen")
    p.add_argument("--approved", action="store_true", help="with --all: approved sessions only")
    p.add_argument("--keep-open", action="store_true", help="leave a conflicted rebase open")
    p.add_argument("--remove", action="store_true", help="remove worktree + branch after landing")
    p.add_argument("--wait", type=_seconds, metavar="SECONDS", help="wait for another land's lock")
    p.set_defaults(run=_land)

    p = add("remove", "remove a session's worktree, branch and registration")
    p.add_argument("name")
    p.add_argument("--force", action="store_true", help="even with unlanded or uncommitted work")
    p.set_defaults(run=_lazy("remove"))

    p = add("restore", "put a session's branch back to a backup ref")
    p.add_argument("name")
    p.add_argument("backup", nargs="?", help="backup ref or its timestamp (default: latest)")
    p.set_defaults(run=_lazy("restore"))

    p = add("recover", "finish or undo an interrupted land")
    p.set_defaults(run=_lazy("recover"))
