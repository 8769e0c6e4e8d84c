"""`agentls verify`: build and test pairs of sessions merged, now (semantic conflicts).

Asks the repository's engine when one runs (one check at a time across every front
end, editors' unsaved work included), else checks in this process. Running it is the
person's request: it needs trunk's `[tool.agentls.verify] enabled = true`, not the
per-user opt-in that background checks need (`--allow-background` gives that).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from agentls.errors import AgentlsError
from agentls.vocabulary import plural

STATUS_WORDS = {
    "semantic": "semantic conflict",
    "pass": "pass",
    "side-fails": "fails alone",
    "pre-existing": "fails already",
    "conflict": "git conflict",
    "same": "nothing new",
    "timeout": "timed out",
}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    verify = subparsers.add_parser(
        "verify",
        help="build and test each pair of sessions merged: find semantic conflicts",
        description="Build and test each pair of code sessions merged (and each session "
        "merged with trunk) in a scratch checkout, with the commands of "
        "[tool.agentls.land]; a pair whose sides pass alone but fail merged has a "
        "semantic conflict. Needs [tool.agentls.verify] enabled = true on trunk.",
    )
    verify.add_argument(
        "--pair", nargs=2, metavar=("A", "B"), help="check only this pair (B may be trunk)"
    )
    verify.add_argument("--force", action="store_true", help="run again, ignoring cached results")
    verify.add_argument("--json", action="store_true", help="print the results as JSON")
    verify.add_argument(
        "--exit-code", action="store_true", help="exit 1 when a semantic conflict is found"
    )
    trust = verify.add_mutually_exclusive_group()
    trust.add_argument(
        "--allow-background",
        action="store_true",
        help="let the engine run these checks by itself when sessions go quiet (you, here)",
    )
    trust.add_argument(
        "--forbid-background", action="store_true", help="withdraw --allow-background"
    )
    trust.add_argument(
        "--status", action="store_true", help="what the engine's background checks are doing"
    )
    trust.add_argument(
        "--clean", action="store_true", help="remove the scratch checkouts nobody is using"
    )
    verify.set_defaults(run=run_verify)


def _engine(common_dir: Any) -> Any:
    from agentls.engine.client import connect

    return connect(common_dir)


def _engine_command(client: Any, command: str, arguments: dict[str, Any], progress: Any) -> Any:
    """The engine's answer; AgentlsError for a refusal; None when it went away."""
    from agentls.engine.protocol import REFUSED, EngineError

    try:
        return client.call(
            "command",
            {"command": command, "arguments": arguments},
            timeout=None,
            on_progress=progress,
        )
    except EngineError as exc:
        if exc.code == REFUSED and isinstance(exc.data, dict):
            from agentls.wording import WORDS

            code, data = exc.data.get("code"), exc.data.get("data") or {}
            if code in WORDS:  # worded here, with the CLI's hint
                raise AgentlsError(code=code, data=data) from exc
            raise AgentlsError(
                exc.data.get("message") or exc.message, code=code, data=data
            ) from exc
        if exc.code == REFUSED or exc.code == -32602:
            raise AgentlsError(exc.message) from exc
        return None  # an engine on its way out: check here instead


def _progress(args: argparse.Namespace) -> Any:
    def show(value: dict[str, Any]) -> None:
        message = str(value.get("message") or "")
        if args.json:
            return
        # The pair being checked and each command started; not every line of output.
        if message.startswith("[") or "running `" in message:
            print(f"  {message}", file=sys.stderr, flush=True)

    return show


def run_verify(args: argparse.Namespace) -> int:
    from agentls.git.repo import find_repository
    from agentls.semantic import trust

    repository = find_repository(args.directory)
    common = repository.common_dir
    if args.clean:
        from agentls.semantic.scratch import remove_all

        removed = remove_all(common)
        print(
            f"removed {plural(len(removed), 'scratch checkout')}"
            if removed
            else "nothing to remove"
        )
        return 0
    client = _engine(common)
    try:
        if args.allow_background or args.forbid_background:
            allow = bool(args.allow_background)
            answer = None
            if client is not None:
                answer = _engine_command(
                    client, "agentls.verify.allowBackground", {"allow": allow}, None
                )
            if answer is None:
                trust.set_background(common, allow, "agentls verify --allow-background")
            print(
                "background checks allowed for this repository (when trunk enables them)"
                if allow
                else "background checks withdrawn for this repository"
            )
            return 0
        if args.status:
            status = _engine_command(client, "agentls.verify.status", {}, None) if client else None
            if status is None:
                status = {"engine": False, "background": _background_here(common)}
            _print(args, status, lambda: _status_text(status))
            return 0
        arguments: dict[str, Any] = {"force": bool(args.force)}
        if args.pair:
            arguments["pair"] = list(args.pair)
        result = None
        if client is not None:
            result = _engine_command(client, "agentls.verify.run", arguments, _progress(args))
    finally:
        if client is not None:
            client.close()
    if result is None:
        from agentls.semantic.verify import verify
        from agentls.workspace import Workspace

        show = _progress(args)
        with Workspace(args.directory) as ws:
            result = verify(
                ws,
                pair=arguments.get("pair"),
                force=arguments["force"],
                progress=lambda message, percent: show({"message": message, "percent": percent}),
            )
    _print(args, result, lambda: results_text(result))
    return 1 if args.exit_code and result.get("found") else 0


def _background_here(common: Any) -> str:
    from agentls.semantic import trust

    return "allowed" if trust.background_allowed(common) else "needs-opt-in"


def _print(args: argparse.Namespace, data: dict[str, Any], text: Any) -> None:
    if args.json:
        json.dump(data, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        print(text())


def _status_text(status: dict[str, Any]) -> str:
    if status.get("engine") is False:
        return f"no engine runs for this repository; background checks: {status['background']}"
    lines = [
        f"semantic checks: {'enabled' if status.get('enabled') else 'not enabled on trunk'}"
        f"; background: {status.get('background')}"
        + (f" (paused: {status['paused']} running)" if status.get("paused") else ""),
        f"queue: {status.get('queue', 0)} of {plural(status.get('pairs', 0), 'pair')} unchecked",
    ]
    for running in status.get("running", []):
        lines.append(f"running: {running['label']}: {running.get('message') or ''}")
    return "\n".join(lines)


def results_text(result: dict[str, Any]) -> str:
    """The answer of verify for a person."""
    lines = []
    for pair in result.get("pairs", []):
        label = " + ".join(pair["sessions"])
        if pair.get("trunk"):
            label += f" + {pair['trunk']} (trunk)"
        word = STATUS_WORDS.get(pair["status"], pair["status"])
        cached = " (cached)" if pair.get("cached") else ""
        lines.append(f"{word:<18} {label}{cached}")
        lines.append(f"    {pair['reason']}")
        failed = pair.get("failed")
        if pair["status"] == "semantic" and failed:
            for failure in failed.get("failures", [])[:10]:
                where = f"{failure['path']}:{failure['line']}" if failure.get("path") else ""
                name = failure.get("name") or "broke at"
                lines.append(f"    {name}  {where}".rstrip())
            if failed.get("log"):
                lines.append(f"    full log: {failed['log']}")
            tail = failed.get("tail") or []
            if tail:
                lines.append("    last lines:")
                lines += [f"      {line}" for line in tail[-10:]]
    lines.append(result.get("message", ""))
    return "\n".join(lines)
