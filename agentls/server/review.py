"""The review commands in the language server, and the `agentls/reviewChanged` notification.

`agentls.review.queue`, `.item` and `.runChecks` go to the engine like the lifecycle
commands. `agentls.review.verdict` with `"land": true` records the approval in the
engine first, then lands through `agentls.session.land`'s own handler: whatever that
command answers (the land's result, or an operation id once lands are long
operations) is the verdict result's `land`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from agentls.engine.commands import REVIEW_COMMANDS, ArgumentError, validate
from agentls.server.protocol import Invocation

log = logging.getLogger("agentls.server")

REVIEW_CHANGED = "agentls/reviewChanged"
VERDICT = "agentls.review.verdict"
LAND = "agentls.session.land"

Handler = Callable[..., Any]


def register(server: LanguageServer, lifecycle: Callable[[str], Handler]) -> None:
    """Register every `agentls.review.*` command; LIFECYCLE makes an engine command handler."""
    land = lifecycle(LAND)
    for command in REVIEW_COMMANDS:
        handler = _verdict(lifecycle(VERDICT), land) if command == VERDICT else lifecycle(command)
        server.command(command)(handler)


def _verdict(record: Handler, land: Handler) -> Handler:
    async def handler(ls: Any, call: Invocation) -> Any:
        try:
            params = validate(VERDICT, call.arguments)
        except ArgumentError as exc:
            raise JsonRpcInvalidParams(str(exc)) from exc
        wants_land = params.pop("land", False)
        if wants_land and params.get("verdict") != "approved":
            raise JsonRpcInvalidParams(f"{VERDICT}: land goes with the verdict 'approved' only")
        result = await record(ls, Invocation(VERDICT, [params]))
        if wants_land and isinstance(result, dict) and result.get("ok"):
            try:
                # A land answers with an operation id; it ends with agentls/operationFinished.
                session = {"session": result["session"]}
                result["land"] = await land(ls, Invocation(LAND, [session], call.work_done_token))
            except JsonRpcException as exc:  # refused (dirty, conflict...): the verdict stands
                data = getattr(exc, "data", None)
                result["land"] = {
                    "ok": False,
                    "message": exc.message,
                    "error": data if isinstance(data, dict) else None,
                }
        return result

    return handler


def review_changed(ls: Any, report: dict[str, Any]) -> None:
    """Tell the client when the review state in a new report differs from the last one."""
    review = report.get("review")
    if review is None or review == getattr(ls, "last_review", None):
        return
    ls.last_review = review
    ls.protocol.notify(REVIEW_CHANGED, {"sessions": review})
