"""Semantic checks in the language server: the `agentls.verify.*` commands, the
`agentls/semanticChanged` notification and the progress of background checks.

- `agentls.verify.run {"pair"?, "force"?}` is a long operation (it answers at once and
  ends with `agentls/operationFinished`); `agentls.verify.status` and
  `agentls.verify.allowBackground {"allow"}` go to the engine; `agentls.verify.showLog
  {"log"}` shows a check's full log (only files of agentls's own log folder).
- The window's `trusted` setting (VS Code's workspace trust) goes to the engine: while
  an untrusted window is attached, no background check runs, and this window refuses
  the commands that run or allow checks (`workspace-untrusted`).
- Every status the engine pushes is forwarded as `agentls/semanticChanged`; while
  checks run, clients that support `window.workDoneProgress` also see them as
  `$/progress` ("agentls: Checking merged builds").
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls import uris

from agentls.engine.commands import VERIFY_COMMANDS
from agentls.engine.protocol import EngineError
from agentls.server import window
from agentls.server.protocol import Invocation
from agentls.server.refusals import refusal

if TYPE_CHECKING:
    from agentls.server.server import AgentlsServer

log = logging.getLogger(__name__)

SEMANTIC_CHANGED = "agentls/semanticChanged"
SHOW_LOG = "agentls.verify.showLog"
STATUS = "agentls.verify.status"
UNTRUSTED = "workspace-untrusted"
PROGRESS_TOKEN = "agentls-semantic-checks"


def register(server: Any, lifecycle: Any) -> None:
    """The verify commands; LIFECYCLE makes the handler of an engine command."""
    engine_command = lifecycle(STATUS)

    async def verify_command(ls: AgentlsServer, call: Invocation) -> Any:
        if call.command != STATUS and not ls.settings.trusted:
            raise refusal(
                UNTRUSTED,
                "this workspace is not trusted: agentls runs no build or test commands for it",
                {"command": call.command},
            )
        return await engine_command(ls, call)

    for command in VERIFY_COMMANDS:
        server.command(command)(verify_command)
    server.command(SHOW_LOG)(show_log)


async def show_log(ls: AgentlsServer, call: Invocation) -> dict[str, Any]:
    """Show a semantic check's full log, at its end (only agentls's own logs)."""
    from agentls.server.commands import one_object

    params = one_object(call, {"log": str}, {})
    if ls.common_dir is None:
        raise refusal("engine-unavailable", "not attached to a repository yet; try again")
    folder = (ls.common_dir / "agentls" / "semantic" / "logs").resolve()
    path = Path(params["log"])
    try:
        info = os.lstat(path)
        inside = path.resolve().parent == folder
    except (OSError, ValueError):
        info, inside = None, False
    if info is None or not inside or not stat.S_ISREG(info.st_mode) or path.suffix != ".log":
        raise refusal(
            "invalid-input",
            f"{params['log']} is not a log of agentls's semantic checks (it may have been pruned)",
            {"log": params["log"]},
        )
    with open(path, "rb") as handle:
        last = max(1, handle.read().count(b"\n"))
    uri = uris.from_fs_path(str(path)) or str(path)
    result = await window.show_or_tell(ls, "the full log", uri, str(path), [last, last])
    return {**result, "path": str(path)}


# --- trust and status ---------------------------------------------------------------------


async def send_trust(ls: AgentlsServer) -> None:
    """Tell the engine whether this window's workspace is trusted."""
    if ls.engine is None:
        return
    try:
        await asyncio.to_thread(ls.engine.call, "configure", {"trusted": ls.settings.trusted})
    except EngineError as exc:
        log.warning("could not tell the engine about workspace trust: %s", exc.message)


async def after_connect(ls: AgentlsServer) -> None:
    """Once attached: the window's trust to the engine (the engine pushes its status)."""
    if not ls.settings.trusted:
        await send_trust(ls)


def status_changed(ls: AgentlsServer, status: dict[str, Any]) -> None:
    """The engine's semantic status changed: tell the client, move the progress."""
    if status == getattr(ls, "semantic_status", None):
        return
    ls.semantic_status = status  # type: ignore[attr-defined]
    try:
        ls.protocol.notify(SEMANTIC_CHANGED, status)
    except Exception:
        log.debug("could not send %s", SEMANTIC_CHANGED, exc_info=True)
        return
    if ls.client_features.work_done_progress and not ls.stopping:
        ls.spawn(_progress(ls))


def _progress_text(status: dict[str, Any]) -> str:
    running = status.get("running") or []
    if not running:
        return ""
    first = running[0]
    text = f"{first['label']}: {first.get('message') or 'starting'}"
    queue = status.get("queue") or 0
    return (text[:100] + "…" if len(text) > 101 else text) + (f" ({queue} queued)" if queue else "")


async def _progress(ls: AgentlsServer) -> None:
    """Bring `$/progress` in line with the latest status (one token while checks run)."""
    state: dict[str, Any] = ls.__dict__.setdefault("_semantic_progress", {"token": None})
    if state.get("busy"):
        state["again"] = True
        return
    state["busy"] = True
    try:
        while True:
            state["again"] = False
            status = getattr(ls, "semantic_status", None) or {}
            text = _progress_text(status)
            if text and state["token"] is None:
                token = f"{PROGRESS_TOKEN}-{os.urandom(4).hex()}"
                try:
                    await asyncio.wait_for(ls.work_done_progress.create_async(token), 5)
                except Exception as exc:
                    log.info("no progress for semantic checks: %s", exc or type(exc).__name__)
                    return
                state["token"] = token
                ls.work_done_progress.begin(
                    token,
                    types.WorkDoneProgressBegin(
                        title="agentls: Checking merged builds", message=text, cancellable=False
                    ),
                )
            elif text:
                ls.work_done_progress.report(
                    state["token"], types.WorkDoneProgressReport(message=text)
                )
            elif state["token"] is not None:
                ls.work_done_progress.end(
                    state["token"], types.WorkDoneProgressEnd(message="semantic checks done")
                )
                state["token"] = None
            if not state["again"]:
                return
    finally:
        state["busy"] = False
