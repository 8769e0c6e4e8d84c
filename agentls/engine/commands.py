"""The lifecycle commands (`agentls.session.*`): typed arguments and their dispatch.

`validate` is stdlib-only so the language server checks arguments before anything
moves; `run_command` runs in the engine's analysis thread against its Workspace and
calls `agentls.lifecycle`, imported lazily (another area builds it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentls.vocabulary import noun

# command -> {argument: (type, required)}; "globs"/"claims" are lists of strings.
STR, INT, BOOL, STRS = "string", "integer", "boolean", "list of strings"
SCHEMAS: dict[str, dict[str, tuple[str, bool]]] = {
    "agentls.sessions": {},
    "agentls.refresh": {},
    "agentls.session.new": {
        "name": (STR, True),
        "branch": (STR, False),
        "from": (STR, False),
        "dir": (STR, False),
        "claims": (STRS, False),
        "agent": (STR, False),
    },
    "agentls.session.fork": {"name": (STR, True), "from": (STR, False)},
    "agentls.session.rename": {"session": (STR, True), "name": (STR, True)},
    "agentls.session.claim": {
        "session": (STR, True),
        "globs": (STRS, True),
        "force": (BOOL, False),
    },
    "agentls.session.release": {"session": (STR, True), "globs": (STRS, False)},
    "agentls.session.priority": {"session": (STR, True), "priority": (INT, True)},
    "agentls.session.handoff": {"session": (STR, True)},
    "agentls.session.land": {
        "session": (STR, True),
        "dryRun": (BOOL, False),
        "keepOpen": (BOOL, False),
        "remove": (BOOL, False),
    },
    "agentls.session.landAll": {"approvedOnly": (BOOL, False), "dryRun": (BOOL, False)},
    "agentls.session.remove": {"session": (STR, True), "force": (BOOL, False)},
    "agentls.session.restore": {"session": (STR, True), "backup": (STR, False)},
    "agentls.session.recover": {},
    # The review sweep (agentls.review): read the queue and one item, record a verdict.
    "agentls.review.queue": {"newestFirst": (BOOL, False)},
    "agentls.review.item": {"session": (STR, True), "newestFirst": (BOOL, False)},
    "agentls.review.verdict": {
        "session": (STR, True),
        "verdict": (STR, True),
        "notes": (STR, False),
        "head": (STR, False),
        "land": (BOOL, False),
    },
    "agentls.review.runChecks": {"session": (STR, True)},
    # Semantic checks (agentls.semantic): run now, read the status, allow background checks.
    "agentls.verify.run": {"pair": (STRS, False), "force": (BOOL, False)},
    "agentls.verify.status": {},
    "agentls.verify.allowBackground": {"allow": (BOOL, True)},
}

LIFECYCLE_COMMANDS = tuple(c for c in SCHEMAS if c.startswith("agentls.session."))
REVIEW_COMMANDS = tuple(c for c in SCHEMAS if c.startswith("agentls.review."))
VERIFY_COMMANDS = tuple(c for c in SCHEMAS if c.startswith("agentls.verify."))
# Commands that change nothing: the engine answers them without refreshing afterwards.
READ_ONLY_COMMANDS = frozenset({"agentls.review.queue", "agentls.review.item"})


class ArgumentError(ValueError):
    """The arguments do not fit the command's schema (-> InvalidParams)."""


# No name, glob, branch or folder agentls accepts is longer (PATH_MAX is 4096 bytes).
MAX_STRING = 4096


def string_problem(value: str) -> str | None:
    """Why VALUE can never be a name, glob, branch or path; None when it could be."""
    if len(value) > MAX_STRING:
        return f"is longer than {MAX_STRING} characters"
    if "\0" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (not valid Unicode text)"
    return None


def _fits(value: Any, kind: str) -> bool:
    if kind == STR:
        return isinstance(value, str)
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == BOOL:
        return isinstance(value, bool)
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def validate(command: str, arguments: Any) -> dict[str, Any]:
    """The one argument object of COMMAND, checked; raises ArgumentError."""
    schema = SCHEMAS.get(command)
    if schema is None:
        raise ArgumentError(f"unknown command {command!r}")
    if arguments in (None, []):
        arguments = [{}]
    if not isinstance(arguments, list) or len(arguments) != 1:
        raise ArgumentError(f"{command} takes exactly one argument object, e.g. [{{...}}]")
    (params,) = arguments
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ArgumentError(
            f"{command}: the argument must be an object, got {type(params).__name__}"
        )
    unknown = sorted(set(params) - set(schema))
    if unknown:
        known = ", ".join(schema) or "none"
        raise ArgumentError(
            f"{command}: unknown {noun(len(unknown), 'argument')} {', '.join(unknown)}"
            f" (known: {known})"
        )
    for key, (kind, required) in schema.items():
        if key not in params or params[key] is None:
            if required:
                raise ArgumentError(f"{command}: missing required argument {key!r} ({kind})")
            continue
        if not _fits(params[key], kind):
            raise ArgumentError(f"{command}: {key!r} must be a {kind}")
        strings = params[key] if kind == STRS else [params[key]] if kind == STR else []
        for value in strings:
            problem = string_problem(value)
            if problem is not None:
                raise ArgumentError(f"{command}: {key!r} {problem}")
    return {k: v for k, v in params.items() if v is not None}


Progress = Callable[[dict[str, Any]], None]


def run_command(ws: Any, params: dict[str, Any], progress: Progress | None = None) -> Any:
    """Run one lifecycle command in the engine. PARAMS: {"command", "arguments": {...}}."""
    from agentls.engine.protocol import REFUSED, EngineError

    command = params.get("command")
    if not isinstance(command, str) or command not in LIFECYCLE_COMMANDS + REVIEW_COMMANDS:
        raise EngineError(f"unknown lifecycle command {command!r}", -32602)
    try:
        args = validate(command, [params.get("arguments") or {}])
    except ArgumentError as exc:
        raise EngineError(str(exc), -32602) from exc
    try:
        import agentls.lifecycle as lifecycle

        lifecycle.load_all()  # a broken install is refused here, not halfway through
    except ImportError as exc:
        raise EngineError(f"session lifecycle is not available: {exc}", REFUSED) from exc

    def need(name: str) -> Callable[..., Any]:
        function = getattr(lifecycle, name, None)
        if function is None:
            raise EngineError(f"agentls.lifecycle.{name} is not available yet", REFUSED)
        return function  # type: ignore[no-any-return]

    def report(message: str, percent: int | None = None) -> None:
        if progress is not None:
            progress({"message": message, "percent": percent})

    if command in REVIEW_COMMANDS:
        from agentls.review.commands import run_review

        return run_review(ws, command, args, report)

    verb = command.removeprefix("agentls.session.")
    result: Any
    if verb == "new":
        result = need("new_session")(
            ws,
            args["name"],
            branch=args.get("branch"),
            start=args.get("from"),
            folder=args.get("dir"),
            claims=args.get("claims", ()),
            agent=args.get("agent"),
        )
    elif verb == "fork":
        result = need("fork_session")(ws, args["name"], source=args.get("from"))
    elif verb == "rename":
        result = need("rename_session")(ws, args["session"], args["name"])
    elif verb == "claim":
        result = need("claim")(ws, args["session"], args["globs"], force=args.get("force", False))
    elif verb == "release":
        result = need("release")(ws, args["session"], args.get("globs"))
    elif verb == "priority":
        result = need("set_priority")(ws, args["session"], args["priority"])
    elif verb == "handoff":
        _refuse_trunk_checkout(ws, args["session"])
        result = need("write_handoff")(ws, args["session"])
    elif verb == "land":
        result = need("land")(
            ws,
            args["session"],
            dry_run=args.get("dryRun", False),
            keep_open=args.get("keepOpen", False),
            remove=args.get("remove", False),
            progress=report,
        )
    elif verb == "landAll":
        result = need("land_all")(
            ws,
            progress=report,
            approved_only=args.get("approvedOnly", False),
            dry_run=args.get("dryRun", False),
        )
    elif verb == "restore":
        result = need("restore_session")(ws, args["session"], args.get("backup"))
    elif verb == "recover":
        result = {"ok": True, "recovered": need("recover")(ws)}
    else:
        result = need("remove_session")(ws, args["session"], force=args.get("force", False))
    if isinstance(result, dict):
        result.setdefault("ok", True)
        if result["ok"] is False and not isinstance(result.get("error"), dict):
            result["error"] = failure(verb, result)
        for row in result.get("results", []) if verb == "landAll" else []:
            if row.get("ok") is False and not row.get("skipped") and "error" not in row:
                row["error"] = failure("land", row)
    return result


def failure(verb: str, result: dict[str, Any]) -> dict[str, Any]:
    """The error object of a result with "ok": false (a land that ran and failed).

    The same shape as a refusal's: {"code", "message", "data"}. A result that names
    its own code (and data) keeps it; otherwise the code says which verb failed.
    """
    if verb == "landAll":
        failed = [r["session"] for r in result.get("results", []) if not r.get("ok")]
        skipped = [r["session"] for r in result.get("results", []) if r.get("skipped")]
        return {
            "code": result.get("code") or "land-all-incomplete",
            "message": result.get("message")
            or f"{len(failed)} of {len(result.get('results', []))} sessions did not land",
            "data": result.get("data") or {"failed": failed, "skipped": skipped},
        }
    data = result.get("data")
    if not isinstance(data, dict):
        data = {
            key: result[key]
            for key in ("session", "conflicts", "backup", "handoff")
            if result.get(key) is not None
        }
    default = "land-conflict" if result.get("conflicts") else "land-failed"
    return {
        "code": result.get("code") or default,
        "message": str(result.get("message") or f"{verb} failed"),
        "data": data,
    }


def _refuse_trunk_checkout(ws: Any, name: str) -> None:
    """A handoff note is never written into trunk's checkout (it is nobody's session work)."""
    from agentls.errors import AgentlsError
    from agentls.lifecycle.common import session_named, trunk_session

    target = session_named(ws, name)
    trunk = trunk_session(ws)
    if trunk is not None and trunk.id == target.id:
        raise AgentlsError(
            f"session {target.name} is trunk's checkout ({target.path}); "
            "a handoff note is written only into a session's own worktree",
            code="trunk-checkout",
            data={"session": target.name, "path": str(target.path), "trunk": ws.trunk.branch},
        )
