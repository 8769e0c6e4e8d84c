"""`agentls review`: the review sweep in the terminal, as text, or as JSON.

    agentls review                     in a terminal: the interactive sweep
                                       otherwise: the queue as text (--json: as JSON)
    agentls review NAME                one item (--json: its full JSON)
    agentls review NAME --approve [--land] | --request-changes MESSAGE | --skip
    agentls review NAME --land         approve and land now
    agentls review NAME --remove [--force] | --run-checks

Reading (the queue, an item) asks the repository's engine when one runs, so what
editors hold unsaved is seen; otherwise this process analyses the worktrees itself.
Actions always run here, through the same lifecycle code as `agentls land` etc.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from agentls.errors import AgentlsError, InvalidInputError


class ReviewSource:
    """Where queue and items come from (the engine, or a Workspace here) and actions go."""

    def __init__(self, directory: str, *, newest_first: bool = False) -> None:
        from agentls.git.repo import find_repository

        self.directory = directory
        self.newest_first = newest_first
        self.common_dir = find_repository(directory).common_dir
        self._ws: Any = None
        self._engine: Any = None
        self._engine_tried = False

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
        if self._ws is not None:
            self._ws.close()

    def __enter__(self) -> ReviewSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading -----------------------------------------------------------------------

    def _engine_client(self) -> Any:
        if not self._engine_tried:
            from agentls.engine.client import connect

            self._engine_tried = True
            self._engine = connect(self.common_dir)
        return self._engine

    def _read(self, command: str, arguments: dict[str, Any]) -> dict[str, Any]:
        from agentls.engine.protocol import REFUSED, EngineError

        arguments = {**arguments, "newestFirst": self.newest_first}
        client = self._engine_client()
        if client is not None:
            try:
                result = client.call(
                    "command", {"command": command, "arguments": arguments}, timeout=60
                )
                return result  # type: ignore[no-any-return]
            except EngineError as exc:
                if exc.code == REFUSED:
                    raise AgentlsError(exc.message) from exc
                self._engine = None  # an engine going away: read here instead
        from agentls.review.commands import run_review

        return run_review(self.workspace(), command, arguments)

    def queue(self) -> dict[str, Any]:
        return self._read("agentls.review.queue", {})

    def item(self, name: str) -> dict[str, Any]:
        return self._read("agentls.review.item", {"session": name})["item"]  # type: ignore[no-any-return]

    # --- acting --------------------------------------------------------------------------

    def workspace(self) -> Any:
        """A Workspace in this process, refreshed once (actions and engine-less reads)."""
        if self._ws is None:
            from agentls.workspace import Workspace

            self._ws = Workspace(self.directory)
            self._ws.refresh()
        return self._ws

    def changed(self) -> None:
        """An action moved something: read fresh state next time (here and in the engine)."""
        if self._ws is not None:
            self._ws.refresh()
        client = self._engine_client()
        if client is not None:
            from agentls.engine.protocol import EngineError

            try:
                client.call("refresh", {}, timeout=60)
            except EngineError:
                self._engine = None


def _progress(stream: Any) -> Any:
    def report(message: str, percent: int | None) -> None:
        prefix = f"[{percent:3d}%] " if percent is not None else "       "
        print(prefix + message, file=stream, flush=True)

    return report


def run(args: argparse.Namespace) -> int:
    from agentls.cli import review_text as text

    names = ("approve", "request_changes", "skip", "remove", "run_checks")
    actions = [a for a in names if getattr(args, a) not in (None, False)]
    if args.land and actions not in ([], ["approve"]):
        raise InvalidInputError("--land approves and lands; it goes with --approve only")
    if len(actions) > 1:
        raise InvalidInputError(
            "give one action: --approve, --request-changes, --skip, --remove or --run-checks"
        )
    if args.force and actions != ["remove"]:
        raise InvalidInputError("--force goes with --remove only")
    if (actions or args.land) and not args.name:
        raise InvalidInputError("which session? give its NAME", "see the queue: agentls review")
    with ReviewSource(args.directory, newest_first=args.newest_first) as source:
        if args.land or actions:
            return _act(args, source, actions[0] if actions else "approve")
        if args.name:
            item = source.item(args.name)
            _emit(args, {"ok": True, "item": item}, lambda: text.item_text(item))
            return 0
        if not args.json and sys.stdin.isatty() and sys.stdout.isatty():
            from agentls.cli.review_sweep import Sweep

            return Sweep(source).run()
        queue = source.queue()
        _emit(args, queue, lambda: text.queue_text(queue))
        return 0


def _emit(args: argparse.Namespace, result: dict[str, Any], words: Any) -> None:
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        print(words())


def _act(args: argparse.Namespace, source: ReviewSource, action: str) -> int:
    from agentls.cli import review_text as text
    from agentls.review import actions as act

    ws = source.workspace()
    head = args.head
    progress = _progress(sys.stderr if args.json else sys.stdout)
    result: dict[str, Any]
    if action == "approve" and args.land:
        from agentls.cli.lifecycle import _land_text

        result = act.approve_and_land(ws, args.name, head=head, progress=progress)
        words = [text.verdict_text(result), _land_text(result["land"])]
        _emit(args, result, lambda: "\n".join(words))
        return 0 if result["ok"] else 1
    if action in ("approve", "skip", "request_changes"):
        verdict = {"approve": "approved", "skip": "skipped"}.get(action, "changes-requested")
        result = act.record_verdict(ws, args.name, verdict, args.request_changes, head=head)
        _emit(args, result, lambda: text.verdict_text(result))
        return 0
    if action == "remove":
        result = act.remove_reviewed(ws, args.name, force=args.force)
        removed = f"removed session {result['session']} ({result['path']})"
        removed += f"; backup at {result['backup']}" if result.get("backup") else ""
        _emit(args, result, lambda: removed)
        return 0
    from agentls.review.checks import run_checks

    result = run_checks(ws, args.name, progress)
    _emit(args, result, lambda: text.checks_run_text(result))
    return 0 if result["ok"] else 1


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "review",
        help="review sessions oldest to newest; approve, land or request changes",
        description="Without NAME in a terminal: the interactive sweep. Otherwise the queue "
        "(or NAME's item) as text, or as JSON with --json.",
    )
    p.add_argument("name", nargs="?", help="the session to show or act on")
    p.add_argument("--json", action="store_true", help="print the queue/item/result as JSON")
    p.add_argument("--newest-first", action="store_true", help="sweep newest sessions first")
    flags = (
        ("--approve", "approve NAME's current head"),
        ("--land", "approve NAME and land it now"),
        ("--skip", "record that NAME was skipped"),
        ("--remove", "remove NAME's worktree and branch (a backup ref keeps the work)"),
        ("--force", "with --remove: even unlanded work"),
        ("--run-checks", "run trunk's build/test commands on NAME's head (scratch checkout)"),
    )
    for flag, help_text in flags:
        p.add_argument(flag, action="store_true", help=help_text)
    p.add_argument(
        "--request-changes",
        metavar="MESSAGE",
        help="ask NAME for changes (written into its HANDOFF.md)",
    )
    p.add_argument("--head", metavar="COMMIT", help="act only if NAME is still at this commit")
    p.set_defaults(run=run)
