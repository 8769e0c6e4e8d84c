"""Long operations: land, land-all, new and fork answer at once and finish later.

A client's request timeout (often 10 s) must not decide whether a land "failed":
the command answers `{"ok": true, "operation": id, "command", "title"}` at once, the
work runs in the background, `$/progress` reports it (on the request's
`workDoneToken`, else on a token the server creates when the client supports
`window.workDoneProgress`), and `agentls/operationFinished` carries the end:
`{"operation", "command", "title", "ok", "result", "error"}`, `result` being exactly
what the command returned when it ran synchronously. Clients that do not declare
they handle that notification (see `capabilities.py`) also get the outcome as a
`window/showMessage`, so any LSP client learns how a land ended.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from agentls.engine.client import EngineClient
from agentls.engine.protocol import EngineError
from agentls.server.refusals import INTERNAL, engine_error_object, error_object

if TYPE_CHECKING:
    from agentls.server.server import AgentlsServer

log = logging.getLogger(__name__)

FINISHED = "agentls/operationFinished"
LAND, LAND_ALL = "agentls.session.land", "agentls.session.landAll"
NEW, FORK = "agentls.session.new", "agentls.session.fork"
VERIFY = "agentls.verify.run"
LONG_COMMANDS = frozenset({LAND, LAND_ALL, NEW, FORK, VERIFY})
CREATE_TIMEOUT = 5.0  # seconds a client gets to accept a server-created progress token
MAX_PROGRESS = 120  # characters of one progress message


def is_long(command: str, arguments: dict[str, Any]) -> bool:
    """Whether COMMAND runs as an operation (a dry run answers with its plan at once)."""
    return command in LONG_COMMANDS and not arguments.get("dryRun")


def precheck(command: str, arguments: dict[str, Any]) -> None:
    """Refuse at once, as the request's answer, what needs no repository to refuse: a
    malformed session name. Raises AgentlsError."""
    from agentls.names import validate_name

    if command in (NEW, FORK):
        validate_name(arguments.get("name"))
    if command == FORK and arguments.get("from") is not None:
        validate_name(arguments["from"])


def title(command: str, arguments: dict[str, Any]) -> str:
    if command == LAND:
        return f"Landing {arguments.get('session')}"
    if command == LAND_ALL:
        return "Landing all sessions"
    if command == NEW:
        return f"Creating session {arguments.get('name')}"
    if command == VERIFY:
        pair = arguments.get("pair")
        return f"Verifying {' + '.join(pair)} merged" if pair else "Verifying every pair merged"
    source = arguments.get("from")
    return f"Forking {source} as {arguments.get('name')}" if source else (
        f"Forking research session {arguments.get('name')}"
    )  # fmt: skip


# Land steps (the lifecycle's progress says "<step>: <detail>") in a few words.
def _step_words(step: str, detail: str, trunk: str) -> str | None:
    if step == "lock":
        return "waiting for the land lock" if "waiting" in detail else "holding the land lock"
    if step == "backup":
        return "keeping a backup of the branch"
    if step == "rebase":
        return f"rebasing onto {trunk}"
    if step in ("build", "test"):
        what = "tests" if step == "test" else "build"
        if detail.startswith("running `") and detail.endswith("`"):
            return f"running {what}: {detail[len('running `') : -1]}"
        return f"{what}: {detail}"
    if step == "fast-forward":
        return f"fast-forwarding {trunk}"
    if step in ("done", "plan", "recovery"):
        return detail if step == "done" else f"{step}: {detail}"
    return None


def short_progress(message: str, trunk: str) -> str:
    """One short line: "rebasing onto main", "api: running tests: pytest -q"."""
    line = (message.strip().splitlines() or [""])[0]
    step, sep, detail = line.partition(": ")
    words = _step_words(step, detail, trunk) if sep else None
    if words is None and sep:  # land-all: "<session>: <step>: <detail>"
        inner_step, inner_sep, inner_detail = detail.partition(": ")
        inner = _step_words(inner_step, inner_detail, trunk) if inner_sep else None
        if inner is not None:
            words = f"{step}: {inner}"
    text = words if words is not None else line
    return text if len(text) <= MAX_PROGRESS else text[: MAX_PROGRESS - 1] + "…"


def summary(command: str, heading: str, result: Any, error: dict[str, Any] | None) -> str:
    """The outcome in one sentence, for clients that only show messages."""
    result = result if isinstance(result, dict) else {}
    if command == LAND_ALL and result.get("results") is not None:
        rows = result["results"]
        landed = [r["session"] for r in rows if r.get("ok")]
        skipped = [r["session"] for r in rows if r.get("skipped")]
        failed = [r["session"] for r in rows if not r.get("ok") and not r.get("skipped")]
        if not rows:
            return "land all: nothing to land"
        parts = [f"landed {', '.join(landed)}" if landed else "landed nothing"]
        if failed:
            parts.append(f"not landed: {', '.join(failed)}")
        if skipped:
            parts.append(f"skipped: {', '.join(skipped)}")
        return "land all: " + "; ".join(parts)
    if error is not None and not result:
        return f"{heading}: {error['message']}"
    if command == VERIFY:
        return f"verify: {result.get('message')}"
    if command == LAND:
        if error is not None:
            return f"land of {result.get('session')} failed: {error['message']}"
        return str(result.get("message") or f"landed {result.get('session')}")
    session = result.get("session") if isinstance(result.get("session"), dict) else {}
    if command == NEW:
        return f"created session {session.get('name')} at {session.get('path')}"
    return f"forked {session.get('source')} as {session.get('name')} at {session.get('path')}"


@dataclass
class Operation:
    id: str
    command: str
    title: str
    arguments: dict[str, Any]
    client_token: int | str | None
    started: float = field(default_factory=time.time)
    message: str = ""  # the latest progress message
    token: int | str | None = None  # where $/progress goes (the client's or ours)

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": self.id,
            "command": self.command,
            "title": self.title,
            "arguments": self.arguments,
            "started": self.started,
            "message": self.message,
        }


class Operations:
    """The operations one server runs; each one ends with FINISHED, whatever happens."""

    def __init__(self, ls: AgentlsServer) -> None:
        self.ls = ls
        self.running: dict[str, Operation] = {}

    def start(
        self,
        engine: EngineClient,
        command: str,
        arguments: dict[str, Any],
        client_token: int | str | None,
    ) -> dict[str, Any]:
        """Start COMMAND in the background; the answer the request gets at once."""
        operation = Operation(
            id=f"op-{uuid.uuid4().hex[:12]}",
            command=command,
            title=title(command, arguments),
            arguments=arguments,
            client_token=client_token,
        )
        self.running[operation.id] = operation
        self.ls.spawn(self._run(engine, operation))
        log.info("operation %s started: %s", operation.id, operation.title)
        return {
            "ok": True,
            "operation": operation.id,
            "command": command,
            "title": operation.title,
        }

    def listing(self) -> list[dict[str, Any]]:
        return [op.to_json() for op in self.running.values()]

    # --- one operation ---------------------------------------------------------------

    async def _run(self, engine: EngineClient, op: Operation) -> None:
        result: Any = None
        error: dict[str, Any] | None = None
        try:
            op.token = await self._progress_token(op)
            self._begin(op)
            result = await asyncio.to_thread(
                engine.call,
                "command",
                {"command": op.command, "arguments": op.arguments},
                None,  # no timeout: a land takes as long as its tests
                self._reporter(op),
            )
        except EngineError as exc:
            if self.ls.stopping:  # the window is closing: nobody is left to tell
                log.debug("operation %s abandoned at shutdown", op.id)
                return
            error = engine_error_object(exc)
            log.info("operation %s refused: %s (%s)", op.id, error["message"], error["code"])
        except Exception as exc:  # a bug: still end the operation, and say so
            log.exception("operation %s failed", op.id)
            error = error_object(INTERNAL, f"{op.title} failed: {exc}")
        finally:
            self.running.pop(op.id, None)
        if error is None and isinstance(result, dict) and result.get("ok") is False:
            found = result.get("error")
            error = found if isinstance(found, dict) else error_object(
                "failed", str(result.get("message") or f"{op.title} failed")
            )  # fmt: skip
        self._finish(op, result, error)

    async def _progress_token(self, op: Operation) -> int | str | None:
        if op.client_token is not None:
            return op.client_token
        if not self.ls.client_features.work_done_progress:
            return None
        token = f"agentls-{op.id}"
        try:
            await asyncio.wait_for(
                self.ls.work_done_progress.create_async(token), timeout=CREATE_TIMEOUT
            )
        except Exception as exc:  # refused, or no answer: go without progress
            log.info("no progress for %s: %s", op.id, exc or type(exc).__name__)
            return None
        return token

    def _begin(self, op: Operation) -> None:
        if op.token is None:
            return
        self.ls.work_done_progress.begin(
            op.token,
            types.WorkDoneProgressBegin(
                title=f"agentls: {op.title}", cancellable=False, message="starting", percentage=0
            ),
        )

    def _reporter(self, op: Operation) -> Callable[[dict[str, Any]], None]:
        """Engine progress (its reader thread) -> $/progress (the event loop)."""
        loop = asyncio.get_running_loop()
        trunk = ((self.ls.report or {}).get("trunk") or {}).get("branch") or "trunk"

        def report(value: dict[str, Any]) -> None:
            op.message = short_progress(str(value.get("message") or ""), trunk)
            if op.token is None:
                return
            percent = value.get("percent")
            params = types.WorkDoneProgressReport(
                message=op.message,
                percentage=percent if isinstance(percent, int) and 0 <= percent <= 100 else None,
            )
            loop.call_soon_threadsafe(self.ls.work_done_progress.report, op.token, params)

        return report

    def _finish(self, op: Operation, result: Any, error: dict[str, Any] | None) -> None:
        if self.ls.stopping:
            return  # after shutdown the client reads nothing more (and stderr may be unread)
        ok = error is None
        text = summary(op.command, op.title, result, error)
        log.info("operation %s finished (%s): %s", op.id, "ok" if ok else error, text)
        if op.token is not None:
            self.ls.work_done_progress.end(op.token, types.WorkDoneProgressEnd(message=text))
        # The message first: whoever waits for the end finds it already there.
        if not self.ls.client_features.operations:
            if ok:
                kind = types.MessageType.Info
            elif error is not None and error.get("code") == INTERNAL:
                kind = types.MessageType.Error
            else:
                kind = types.MessageType.Warning
            self.ls.tell(text, kind)
        self.ls.protocol.notify(
            FINISHED,
            {
                "operation": op.id,
                "command": op.command,
                "title": op.title,
                "ok": ok,
                "result": result,
                "error": error,
            },
        )
