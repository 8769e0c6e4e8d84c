"""`agentls hook AGENT`: read the agent's payload, decide, answer — and never block by accident.

The fast path imports only the standard library: locate the repository by
reading `.git` files, ask the shared engine over its Unix socket, and touch the
store only when there is something to deny. Without an engine, a write no other
session touched, or one whose findings this agent session was told already, is
answered without pygit2 (agentls.agents.quick); anything else imports the per-path
disk check (agentls.agents.check), which loads pygit2 but never the language-server
stack. Anything unexpected allows the write and is logged to
`<common>/agentls/hooks.log` (or stderr when there is no repository).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from agentls.agents.decision import reason_for
from agentls.agents.hooks import HookRequest, adapter
from agentls.agents.locate import locate

LOG_NAME = "hooks.log"
ENGINE_TIMEOUT = 2.0


def _log(common: Path | None, message: str) -> None:
    line = f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}\n"
    if common is not None:
        try:
            state = common / "agentls"
            state.mkdir(parents=True, exist_ok=True)
            with open(state / LOG_NAME, "a", encoding="utf-8") as handle:
                handle.write(line)
            return
        except OSError:
            pass
    sys.stderr.write("agentls hook: " + line)


def _engine_call(common: Path, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """The shared engine's answer, or None when no engine runs (or it failed)."""
    if os.environ.get("AGENTLS_NO_ENGINE"):
        return None
    try:
        from agentls.engine.client import connect
    except ImportError:
        return None
    try:
        client = connect(common, timeout=ENGINE_TIMEOUT)
    except Exception as exc:  # a broken engine must not break the hook
        _log(common, f"engine unreachable, checking from disk: {exc!r}")
        return None
    if client is None:
        return None
    try:
        return client.call(method, params)
    except Exception as exc:
        _log(common, f"engine {method} failed, checking from disk: {exc!r}")
        return None
    finally:
        client.close()


def _already_told(agent: str, request: HookRequest, located: tuple[Path, Path]) -> bool:
    """Without pygit2: the write is clear, or every finding it has was told to this
    agent session already (agentls.agents.quick); False when that is not known."""
    from agentls.agents.quick import quick_check

    try:
        quick = quick_check(request.cwd, request.files, located)
    except Exception as exc:  # a bug here must not decide: the full check is the authority
        _log(located[1], f"quick check failed, checking in full: {exc!r}")
        return False
    if quick is None:
        return False
    if quick.answer is not None:
        return reason_for(quick.answer) is None
    from agentls.agents.seen import Seen

    seen = Seen(located[1] / "agentls")
    try:
        return seen.all_told(agent, request.agent_session, quick.findings)
    finally:
        seen.close()


def _answer_write(agent: str, request: HookRequest, located: tuple[Path, Path]) -> Any:
    cwd, files = request.cwd, request.files
    result = _engine_call(located[1], "check", {"cwd": cwd, "paths": files, "session": None})
    if result is None:
        if _already_told(agent, request, located):
            return None  # the commonest writes, answered without pygit2
        from agentls.agents.check import check_paths

        result = check_paths(None, cwd, files, None, located=located)
    decision = reason_for(result)
    if decision is None:
        return None
    from agentls.agents.seen import Seen

    seen = Seen(located[1] / "agentls")
    try:
        if not seen.first_time(agent, request.agent_session, decision.items):
            return None  # already told: the retry goes through
    finally:
        seen.close()
    _log(located[1], f"{agent} denied once: {decision.summary}")
    return adapter(agent).deny(decision.reason, decision.summary, request)


def _answer_context(agent: str, request: HookRequest, located: tuple[Path, Path]) -> Any:
    from agentls.agents.context import summary_for

    text = summary_for(request.cwd, located)
    if not text:
        return None
    if request.event == "UserPromptSubmit":
        # Every prompt would repeat it: say it again only when it changed.
        import hashlib

        from agentls.agents.seen import Seen

        digest = hashlib.sha1(text.encode()).hexdigest()[:16]
        seen = Seen(located[1] / "agentls")
        try:
            if not seen.first_time(agent, request.agent_session, [("<context>", digest)]):
                return None
        finally:
            seen.close()
    return adapter(agent).context(text, request)


def run_hook(agent: str, stdin_text: str) -> tuple[str, int]:
    """(stdout text, exit code) for one hook invocation. Fails open: ("", 0)."""
    located: tuple[Path, Path] | None = None
    try:
        handler = adapter(agent)
        # Some agents (Cursor on Windows) start the payload with a UTF-8 byte order mark.
        payload = json.loads(stdin_text.removeprefix("\ufeff"))
        if not isinstance(payload, dict):
            raise ValueError("hook payload is not a JSON object")
        request = handler.parse(payload)
        if request is None:
            return "", 0
        cwd = request.cwd or os.getcwd()
        request.cwd = cwd
        located = locate(cwd)
        if located is None:
            from agentls.git.repo import find_repository

            try:
                repository = find_repository(cwd)
            except Exception:
                return "", 0  # not a repository: nothing to coordinate
            located = (repository.toplevel or repository.common_dir, repository.common_dir)
        if request.kind == "write":
            answer = _answer_write(agent, request, located)
        else:
            answer = _answer_context(agent, request, located)
        if answer is None:
            return "", 0
        return json.dumps(answer) + "\n", 0
    except Exception as exc:
        import traceback

        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        if located is None:
            try:
                located = locate(os.getcwd())
            except Exception:
                located = None
        _log(located[1] if located else None, f"{agent} hook failed open: {detail}")
        if os.environ.get("AGENTLS_HOOK_DEBUG"):
            traceback.print_exc()
        return "", 0


def check_cli(cwd: str, paths: list[str], session: str | None) -> dict[str, Any]:
    """`agentls check`: like the hook, but errors are reported (AgentlsError, exit 2)."""
    located = locate(cwd)
    if located is None:
        from agentls.git.repo import find_repository

        repository = find_repository(cwd)  # raises NotARepositoryError with a hint
        located = (repository.toplevel or repository.common_dir, repository.common_dir)
    params = {"cwd": cwd, "paths": paths, "session": session}
    result = _engine_call(located[1], "check", params)
    if result is not None and result.get("ok", True):
        return result
    from agentls.agents.check import check_paths

    return check_paths(None, cwd, paths, session, located=located)
