"""The server's commands (`workspace/executeCommand`); each takes one argument object.

Lifecycle commands (`agentls.session.*`) are checked here and run in the engine;
land, land-all, new and fork run as operations (`operations.py`). The others show
or read things: another session's version of a file, a comparison, one file at a
given point (`agentls.fileVersion`), the running operations.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pygls import uris
from pygls.exceptions import JsonRpcInvalidParams

from agentls.engine.commands import LIFECYCLE_COMMANDS, ArgumentError, validate
from agentls.errors import AgentlsError, InvalidInputError
from agentls.remote.server import OPEN_VERSION, cmd_open_version
from agentls.server import operations, window
from agentls.server.actions import COMPARE, OPEN_OTHER
from agentls.server.protocol import Invocation
from agentls.server.refusals import INVALID_ARGUMENTS, error_object, refusal
from agentls.vocabulary import noun, possessive

if TYPE_CHECKING:
    from agentls.server.server import AgentlsServer

log = logging.getLogger(__name__)

FILE_VERSION = "agentls.fileVersion"
OPERATIONS = "agentls.operations"


def invalid(command: str, text: str) -> JsonRpcInvalidParams:
    """-32602 with the same error object refusals carry."""
    return JsonRpcInvalidParams(
        text, data=error_object(INVALID_ARGUMENTS, text, {"command": command})
    )


def arguments(call: Invocation) -> dict[str, Any]:
    """The one argument object of a command in engine/commands.SCHEMAS, checked."""
    try:
        return validate(call.command, call.arguments)
    except ArgumentError as exc:
        raise invalid(call.command, str(exc)) from exc


def one_object(call: Invocation, required: dict[str, type], optional: dict[str, type]) -> dict:
    """The one argument object of a server-only command, with its keys checked."""
    if len(call.arguments) != 1 or not isinstance(call.arguments[0], dict):
        raise invalid(call.command, f"{call.command} takes exactly one argument object")
    params: dict[str, Any] = call.arguments[0]
    unknown = sorted(set(params) - set(required) - set(optional))
    if unknown:
        raise invalid(
            call.command,
            f"{call.command}: unknown {noun(len(unknown), 'argument')} {', '.join(unknown)}",
        )
    for key, kind in {**required, **optional}.items():
        value = params.get(key)
        if value is None and key in optional:
            continue
        if not isinstance(value, kind) or isinstance(value, bool):
            raise invalid(call.command, f"{call.command}: {key!r} must be a {kind.__name__}")
    return {k: v for k, v in params.items() if v is not None}


def sessions_result(ls: AgentlsServer) -> dict[str, Any]:
    result: dict[str, Any] = {"self": ls.me["name"] if ls.me else None, "report": ls.report}
    if ls.idle_reason:
        result["error"] = ls.idle_reason
    return result


async def cmd_sessions(ls: AgentlsServer, call: Invocation) -> dict[str, Any]:
    arguments(call)
    return sessions_result(ls)


async def cmd_refresh(ls: AgentlsServer, call: Invocation) -> dict[str, Any]:
    arguments(call)
    if ls.engine is None:
        return sessions_result(ls)
    report = await ls.engine_call("refresh", {"rescan": True})  # a person asked: read all
    ls.apply_report(report)
    return sessions_result(ls)


async def cmd_lifecycle(ls: AgentlsServer, call: Invocation) -> Any:
    params = arguments(call)
    engine = ls.require_engine()
    if call.command == operations.FORK and params.get("from") is None:
        # The engine runs in whichever worktree started it: "fork this session" means
        # this window's session, so name it here.
        from agentls.server.diagnostics import self_session

        own = self_session(ls.report, ls.folder)
        if own is None:
            exc = InvalidInputError.refuse("no-source-session")
            raise refusal(exc.code, exc.message, exc.data)
        params = {**params, "from": own["name"]}
    if operations.is_long(call.command, params):
        try:
            operations.precheck(call.command, params)
        except AgentlsError as exc:
            raise refusal(exc.code, exc.message, exc.data) from exc
        return ls.operations.start(engine, call.command, params, call.work_done_token)
    return await ls.engine_call(
        "command", {"command": call.command, "arguments": params}, timeout=None
    )


def lifecycle(command: str) -> Any:
    """The handler of an engine command (agentls.session.*, agentls.review.*): the
    command's name travels in the Invocation, so one handler serves them all."""
    return cmd_lifecycle


async def cmd_operations(ls: AgentlsServer, call: Invocation) -> dict[str, Any]:
    if call.arguments not in ([], [{}], [None]):
        raise invalid(call.command, f"{call.command} takes no arguments")
    return {"operations": ls.operations.listing()}


async def cmd_open_other(ls: AgentlsServer, call: Invocation) -> dict[str, Any]:
    """Show another session's copy of a file at its lines (or say where it is)."""
    params = one_object(call, {"path": str}, {"line": int, "endLine": int})
    line = max(params.get("line", 1), 1)
    end = max(params.get("endLine", line), line)
    path = params["path"]
    uri = uris.from_fs_path(path) or path
    owner = _session_of(ls, path)
    what = f"{possessive(owner)} version" if owner else "the other version"
    return await window.show_or_tell(ls, what, uri, path, [line, end])


def _session_of(ls: AgentlsServer, path: str) -> str | None:
    from agentls.server.diagnostics import self_session

    try:
        found = self_session(ls.report, Path(path).parent)
    except (OSError, ValueError):
        return None
    return found["name"] if found else None


async def cmd_compare(ls: AgentlsServer, call: Invocation) -> dict[str, Any]:
    """The diff between this session's and another's version: as text, as a file shown
    when the client can, and as the two sides a client's own diff editor can open."""
    params = one_object(call, {"path": str, "session": str, "other": str}, {})
    result = await ls.engine_call(
        "diff", {"path": params["path"], "session": params["session"], "other": params["other"]}
    )
    assert ls.common_dir is not None
    try:
        target = _write_compare(
            ls.common_dir,
            f"{params['session']}..{params['other']}--{params['path']}",
            result["diff"] or "(no differences)\n",
        )
    except AgentlsError as exc:  # a folder that is not private, or a link
        raise refusal(exc.code, f"cannot write the comparison: {exc.message}", exc.data) from exc
    except OSError as exc:
        message = f"cannot write the comparison: {exc}"
        raise refusal("os-error", message, {"errno": exc.errno}) from exc
    uri = uris.from_fs_path(str(target)) or str(target)
    shown = await window.show_document(ls, uri)
    if shown is None:  # no showDocument: the answer carries the diff itself
        ls.tell(f"comparison of {params['path']} written to {target}")
    return {
        "ok": True,
        "shown": bool(shown),
        "path": str(target),
        "diff": result["diff"],
        "left": {"session": params["session"], "path": params["path"], "at": "current"},
        "right": {"session": params["other"], "path": params["path"], "at": "current"},
    }


def _write_compare(common_dir: Path, label: str, text: str) -> Path:
    """Write TEXT to `<common>/agentls/tmp/compare/LABEL.diff` without following any link.

    The folders are made (or checked) private and not symlinks; the file is written
    to a fresh temporary file and renamed over the target, so a symlink planted at
    the target is replaced, never written through.
    """
    from agentls.engine.guard import make_private_dir

    folder = common_dir / "agentls"
    for part in ("tmp", "compare"):
        folder = folder / part
        make_private_dir(folder)
    name = label.replace("/", "__").replace("\0", "_")  # one file name, never a path
    name = name.encode("utf-8", "replace").decode("utf-8")[:180] + ".diff"
    target = folder / name
    fd, temp = tempfile.mkstemp(prefix=".compare-", suffix=".diff", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as out:
            out.write(text)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


async def cmd_file_version(ls: AgentlsServer, call: Invocation) -> dict[str, Any]:
    """One file as a session has it: `at` current (default), head, base or a commit id."""
    params = one_object(call, {"session": str, "path": str}, {"at": str})
    result: dict[str, Any] = await ls.engine_call(
        "fileVersion",
        {"session": params["session"], "path": params["path"], "at": params.get("at", "current")},
    )
    return result


def register(ls: AgentlsServer) -> None:
    """Register every command on LS (pygls advertises them in executeCommandProvider)."""
    ls.command("agentls.sessions")(cmd_sessions)
    ls.command("agentls.refresh")(cmd_refresh)
    for command in LIFECYCLE_COMMANDS:
        ls.command(command)(cmd_lifecycle)
    ls.command(OPERATIONS)(cmd_operations)
    ls.command(OPEN_OTHER)(cmd_open_other)
    ls.command(COMPARE)(cmd_compare)
    ls.command(FILE_VERSION)(cmd_file_version)
    ls.command(OPEN_VERSION)(cmd_open_version)  # a remote session's file (agentls.remote)
