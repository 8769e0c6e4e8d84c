"""Lifecycle verbs: new, fork, rename, claim, release, priority, handoff, land, remove, restore."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from agentls.cli import seconds
from agentls.vocabulary import plural

Handler = Callable[[Any, argparse.Namespace], dict[str, Any]]


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C so every cleanup on the way out runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def _interruptible(as_json: bool) -> Iterator[None]:
    """While a verb changes things, SIGTERM/SIGHUP unwind it like Ctrl-C does (the land
    lock is released, a running build/test process group is stopped, the journal says
    where it stopped) instead of killing the process on the spot."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError):  # ValueError: not the main thread
            previous[signum] = signal.signal(signum, stop)
    try:
        yield
    except KeyboardInterrupt as exc:
        if not isinstance(exc, Interrupted):
            exc.signum = signal.SIGINT  # type: ignore[attr-defined]
        from agentls.cli import print_error
        from agentls.errors import AgentlsError

        name = signal.Signals(exc.signum).name  # type: ignore[attr-defined]
        print_error(AgentlsError.refuse("interrupted", signal=name), as_json)
        raise
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _workspace(args: argparse.Namespace) -> Any:
    from agentls.workspace import Workspace

    return Workspace(args.directory)


def _this_session(ws: Any, args: argparse.Namespace) -> str:
    """The session whose worktree holds the folder agentls runs in (for a left-out NAME)."""
    from agentls.errors import InvalidInputError
    from agentls.sessions import discover_sessions, session_at

    found = session_at(discover_sessions(ws.repository, ws.store), Path(args.directory))
    if found is None:
        raise InvalidInputError.refuse("no-session-here", folder=str(Path(args.directory)))
    return found.name


def _emit(args: argparse.Namespace, result: dict[str, Any], text: Callable[[], str]) -> int:
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        print(text())
    return 0 if result.get("ok", True) else 1


def _verb(handler: Handler, text: Callable[[dict[str, Any]], str]) -> Callable[..., int]:
    def run(args: argparse.Namespace) -> int:
        with _interruptible(args.json), _workspace(args) as ws:
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

    with _interruptible(args.json), _workspace(args) as ws:
        if args.all:
            if args.name or args.keep_open or args.remove:
                from agentls.errors import InvalidInputError

                raise InvalidInputError.refuse(
                    "invalid-argument",
                    problem="land --all takes no session name, --keep-open or --remove",
                    hint="land one session by name for those",
                )
            # A dry run has no progress to show; the plan is in the printed table.
            result = land_all(ws, progress=None if args.dry_run else progress,
                              dry_run=args.dry_run, approved_only=args.approved,
                              push=False if args.no_push else None)  # fmt: skip
        else:
            if args.approved:
                from agentls.errors import InvalidInputError

                raise InvalidInputError.refuse(
                    "invalid-argument", problem="--approved goes with --all",
                    hint="land one session by name",
                )  # fmt: skip
            name = args.name or _this_session(ws, args)
            result = land(ws, name, dry_run=args.dry_run, keep_open=args.keep_open,
                          remove=args.remove, progress=None if args.dry_run else progress,
                          wait=args.wait, push=False if args.no_push else None)  # fmt: skip
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
    error = result.get("error") or {}
    if failed and error.get("hint"):
        lines.append(f"next: {error['hint']}")
    if result.get("handoff"):
        lines.append(f"wrote {result['handoff']}")
    removed = result.get("removed")
    if removed:
        lines.append(_removed_text(removed))
    return "\n".join(lines)


def _removed_text(r: dict[str, Any]) -> str:
    lines = [
        f"removed session {r['session']} ({r['path']})"
        + (f"; backup at {r['backup']}" if r.get("backup") else "")
    ]
    ignored = r.get("ignored") or {}
    if ignored.get("kept"):
        lines.append(
            f"kept {plural(len(ignored['kept']), 'git-ignored file')}"
            f" ({', '.join(ignored['kept'][:5])}) at {ignored['keptAt']}"
        )
    if ignored.get("deleted"):
        lines.append(f"deleted git-ignored {', '.join(ignored['deleted'][:5])}")
    return "\n".join(lines)


def _rename_text(r: dict[str, Any]) -> str:
    if r["old"] == r["name"]:
        return f"session {r['name']} already has that name; nothing changed"
    moved = f" (moved {plural(len(r['backups']), 'backup ref')} along)" if r.get("backups") else ""
    return f"renamed {r['old']} to {r['name']}{moved}"


def _release_text(r: dict[str, Any]) -> str:
    released = r.get("released") or []
    first = (
        f"{r['session']} released {', '.join(released)}"
        if released
        else f"{r['session']} held no claims; nothing released"
    )
    return f"{first}; it claims {', '.join(r['claims']) or 'nothing'} now"


def _restore_text(r: dict[str, Any]) -> str:
    if not r.get("changed", True):
        return f"{r['branch']} is already at {r['new'][:12]} ({r['backup']}); nothing changed"
    return (
        f"{r['branch']} is back at {r['new'][:12]} ({r['backup']})"
        + ("; its uncommitted files are back as changes" if r.get("uncommitted") else "")
        + (f"; previous head kept at {r['saved']}" if r["saved"] else "")
    )


def _recover(ws: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Exit 1 while a land is left that recovery could not settle (it says why)."""
    from agentls import lifecycle as lc

    recovered = lc.recover(ws)
    left = [e.name for e in lc.unfinished(ws)]
    return {"ok": not left, "recovered": recovered, "unfinished": left}


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
        "rename": (lambda ws, a: lc.rename_session(ws, a.old, a.new), _rename_text),
        "claim": (
            lambda ws, a: lc.claim(ws, a.name, a.globs, force=a.force),
            lambda r: (
                f"{r['session']} claims {', '.join(r['claims'])}"
                + "".join(f"\nshared: {s}" for s in r["shared"])
            ),
        ),
        "release": (lambda ws, a: lc.release(ws, a.name, a.globs or None), _release_text),
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
        "remove": (lambda ws, a: lc.remove_session(ws, a.name, force=a.force), _removed_text),
        "restore": (lambda ws, a: lc.restore_session(ws, a.name, a.backup), _restore_text),
        "recover": (_recover, lambda r: "\n".join(r["recovered"]) or "nothing to recover"),
    }


def _lazy(verb: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        handler, text = _verbs()[verb]
        return _verb(handler, text)(args)

    return run


NAME_HELP = "the session's name (see `agentls status`)"
HERE_HELP = "the session's name (default: the session whose worktree holds this folder)"


def register(subparsers: Any) -> None:
    """Add the lifecycle verbs to the `agentls` command line."""

    def add(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = subparsers.add_parser(
            name, help=help_text, description=description
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        return parser

    p = add(
        "new",
        "create a worktree + branch and register it as a session",
        "Create a git worktree on a new branch next to the repository and register it as a"
        " code session. Nothing is created when any check fails.",
    )
    p.add_argument("name", help="the new session's name (letters, digits, '.', '_', '-')")
    p.add_argument("--branch", help="branch to create (default: NAME)")
    p.add_argument("--from", dest="start", metavar="REF", help="start point (default: trunk)")
    p.add_argument("--dir", help="worktree folder (default: ../<repo>-<NAME>)")
    p.add_argument("--claim", action="append", metavar="GLOB", help="claim paths (repeatable)")
    p.add_argument("--agent", metavar="CMD", help="start this agent command in the new worktree")
    p.set_defaults(run=_verb(_new, _new_text))

    p = add(
        "fork",
        "create a research fork of a session (uncommitted work included)",
        "Create a read-only research session: a detached worktree at a snapshot of another"
        " session, uncommitted work included. Forks answer questions and are never landed.",
    )
    p.add_argument("name", help="the fork's name")
    p.add_argument("--from", dest="source", metavar="SESSION", help="default: this worktree's")
    p.set_defaults(run=_lazy("fork"))

    p = add(
        "rename",
        "rename a session",
        "Rename a session everywhere at once (its backups move along).",
    )
    p.add_argument("old", help="the session's current name")
    p.add_argument("new", help="its new name")
    p.set_defaults(run=_lazy("rename"))

    p = add(
        "claim",
        "claim paths (globs) for a session",
        "Give a session ownership of paths; writes into them by other sessions are reported.",
    )
    p.add_argument("name", help=NAME_HELP)
    p.add_argument("globs", nargs="+", metavar="GLOB", help="path globs, e.g. 'auth/**'")
    p.add_argument("--force", action="store_true", help="share a path another session claims")
    p.set_defaults(run=_lazy("claim"))

    p = add(
        "release",
        "release a session's claims (all when no GLOB)",
        "Drop some or all of a session's claims.",
    )
    p.add_argument("name", help=NAME_HELP)
    p.add_argument("globs", nargs="*", metavar="GLOB", help="claims to drop (default: all)")
    p.set_defaults(run=_lazy("release"))

    p = add(
        "priority",
        "set a session's cascade priority (lower lands first)",
        "Set a session's place in the cascade: lower numbers are shown first and land first.",
    )
    p.add_argument("name", help=NAME_HELP)
    p.add_argument("priority", help="a whole number from -1000000 to 1000000")
    p.set_defaults(run=_lazy("priority"))

    p = add(
        "handoff",
        "write HANDOFF.md in a session's worktree",
        "Write or refresh the agentls section of HANDOFF.md in a session's worktree, with a"
        " resume prompt for the next agent.",
    )
    p.add_argument("name", nargs="?", help=HERE_HELP)
    p.set_defaults(run=_lazy("handoff"))

    p = add(
        "land",
        "rebase onto trunk, build + test, fast-forward trunk",
        "Land a finished session: rebase its branch onto trunk, run the configured build and"
        " test commands, then fast-forward trunk. Exit 0 landed, 1 the land failed, 2 refused.",
    )
    p.add_argument("name", nargs="?", help=HERE_HELP)
    p.add_argument("--all", action="store_true", help="land every finished session in order")
    p.add_argument("--dry-run", action="store_true", help="show what would happen")
    p.add_argument("--approved", action="store_true", help="with --all: approved sessions only")
    p.add_argument("--keep-open", action="store_true", help="leave a conflicted rebase open")
    p.add_argument("--remove", action="store_true", help="remove worktree + branch after landing")
    p.add_argument("--wait", type=seconds, metavar="SECONDS", help="wait for another land's lock")
    p.add_argument(
        "--no-push", action="store_true",
        help="land on the local trunk only, even when trunk tracks a remote branch",
    )  # fmt: skip
    p.set_defaults(run=_land)

    p = add(
        "remove",
        "remove a session's worktree, branch and registration",
        "Remove a session's worktree, branch and registration. Its work is kept under"
        " refs/agentls/backup/<name>/, and small git-ignored files are copied aside.",
    )
    p.add_argument("name", help=NAME_HELP)
    p.add_argument("--force", action="store_true", help="even with unlanded or uncommitted work")
    p.set_defaults(run=_lazy("remove"))

    p = add(
        "restore",
        "put a session's branch back to a backup ref",
        "Put a session's branch back to one of its backups; the current head is kept first.",
    )
    p.add_argument("name", help=NAME_HELP)
    p.add_argument("backup", nargs="?", help="backup ref or its timestamp (default: latest)")
    p.set_defaults(run=_lazy("restore"))

    p = add(
        "recover",
        "finish or undo an interrupted land",
        "Finish or undo lands a killed process left half-done, and remove lock files that"
        " killed git processes left behind.",
    )
    p.set_defaults(run=_lazy("recover"))
