"""`agentls.verify.*` in the engine: run pairs now, read the status, allow background checks.

Prepared on the analysis thread (the pairs come from the live Workspace, editors'
unsaved buffers included); the returned callable waits for the scheduler on a thread
of its own, so analysis never waits for a build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentls.engine.commands import ArgumentError, validate
from agentls.engine.protocol import INVALID_PARAMS, EngineError
from agentls.errors import AgentlsError
from agentls.semantic import trust
from agentls.semantic.pairs import trunk_side
from agentls.semantic.verify import require_enabled, select

RUN, STATUS, ALLOW = "agentls.verify.run", "agentls.verify.status", "agentls.verify.allowBackground"


def prepare_verify(worker: Any, job: Any) -> Callable[[], Any]:
    """What answers the command JOB; raises refusals at once."""
    command = job.params.get("command")
    try:
        args = validate(command, [job.params.get("arguments") or {}])
    except ArgumentError as exc:
        raise EngineError(str(exc), INVALID_PARAMS) from exc
    scheduler = worker.semantic
    if scheduler is None:
        raise AgentlsError("semantic checks could not start in this engine (see its log)")
    if command == STATUS:
        status = scheduler.status()
        return lambda: {"ok": True, **status}
    if command == ALLOW:
        where = trust.set_background(
            worker.ws.repository.common_dir, args["allow"], "agentls.verify.allowBackground"
        )
        scheduler.wake()
        state = scheduler.background_state()
        return lambda: {"ok": True, "background": state, "file": str(where)}
    ws = worker.ws
    ws.reconcile()  # the authoritative picture: every snapshot current
    config = require_enabled(ws)
    pairs = select(ws, args.get("pair"), config)
    trunk = trunk_side(ws)

    def progress(message: str, percent: int | None) -> None:
        if job.progress is not None:
            job.progress({"message": message, "percent": percent})

    def run() -> Any:
        return scheduler.request(
            pairs, config, trunk=trunk, force=args.get("force", False), progress=progress
        )

    return run
