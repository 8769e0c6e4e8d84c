"""The `agentls.review.*` commands: structured results for the server and the engine.

Arguments are validated against `agentls.engine.commands.SCHEMAS` before they get
here. `verdict` with `land: true` is split by the language server: it records the
approval here, then lands through `agentls.session.land` (the long-operation path),
so a land never runs on the engine's analysis thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentls.errors import InvalidInputError
from agentls.review.actions import record_verdict
from agentls.review.checks import run_checks
from agentls.review.queue import build_item, build_queue
from agentls.workspace import Workspace

Progress = Callable[[str, "int | None"], None]


def run_review(
    ws: Workspace, command: str, args: dict[str, Any], progress: Progress | None = None
) -> dict[str, Any]:
    verb = command.removeprefix("agentls.review.")
    newest_first = bool(args.get("newestFirst", False))
    if verb == "queue":
        return build_queue(ws, newest_first=newest_first)
    if verb == "item":
        return build_item(ws, args["session"], newest_first=newest_first)
    if verb == "verdict":
        if args.get("land"):
            raise InvalidInputError(
                "the engine records verdicts only; land with agentls.session.land afterwards"
            )
        return record_verdict(
            ws, args["session"], args["verdict"], args.get("notes"), head=args.get("head")
        )
    if verb == "runChecks":
        return run_checks(ws, args["session"], progress)
    raise InvalidInputError(f"unknown review command {command!r}")
