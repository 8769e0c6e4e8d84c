"""`agentls serve` (the language server) and `agentls engine` (the shared daemon)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from agentls.cli import seconds
from agentls.errors import AgentlsError, InvalidInputError

# How long an engine a language server starts early waits for that server's open
# files before it walks and scans the worktrees (see Worker._hold_for_first_client):
# the server asks 0.5-1.3 s after starting it, once pygls and lsprotocol are loaded.
FIRST_CLIENT_WITHIN = 2.0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = subparsers.add_parser(
        "serve",
        help="run the language server (stdio)",
        description="Run agentls's language server on stdio, as editors start it.",
    )
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead (debugging)")
    serve.set_defaults(run=run_serve)

    engine = subparsers.add_parser(
        "engine",
        help="the shared analysis engine one repository's servers attach to",
        description="Run, inspect or stop the shared analysis engine of a repository.",
    )
    engine.add_argument("--repository", type=Path, help="git common dir (default: from -C)")
    engine.add_argument("--detach", action="store_true", help="fork into the background")
    engine.add_argument("--grace", type=float, help="seconds to stay after the last client")
    engine.add_argument(
        "--first-client-within",
        type=seconds,
        default=0.0,
        metavar="SECONDS",
        help="wait up to SECONDS for the first client's request (its open files) before "
        "walking and scanning the worktrees (language servers pass this when they start "
        "the engine)",
    )
    engine.add_argument("--status", action="store_true", help="print the running engine's stats")
    engine.add_argument("--stop", action="store_true", help="ask the running engine to exit")
    engine.set_defaults(run=run_engine_command)


def run_serve(args: argparse.Namespace) -> int:
    host = port = None
    if args.tcp:
        host, _, port_text = args.tcp.rpartition(":")
        if not host or not port_text.isdigit():
            raise InvalidInputError.refuse(
                "invalid-argument", problem=f"--tcp wants HOST:PORT, got {args.tcp!r}"
            )
        port = int(port_text)
    _start_engine_early(Path(args.directory))
    from agentls.server.server import serve  # pygls and lsprotocol: ~0.5 s of imports

    serve(host=host, port=port, verbose=args.verbose)
    return 0


def _start_engine_early(folder: Path) -> None:
    """Start the engine of FOLDER's repository (editors start the server in the workspace
    folder) before importing the language-server stack: the engine reads its sessions
    on the other core meanwhile, so the first diagnostics come sooner. Only the standard
    library runs here; anything unusual is left to the server after `initialize`."""
    from agentls.agents.locate import locate
    from agentls.engine.client import connect
    from agentls.engine.spawn import start_engine

    try:
        located = locate(folder.resolve())
        if located is None:
            return
        client = connect(located[1])
        if client is not None:
            client.close()  # one runs already
            return
        start_engine(located[1], wait=False, first_client_within=FIRST_CLIENT_WITHIN)
    except Exception:  # the server starts (or explains) it after initialize instead
        return


def _common_dir(args: argparse.Namespace) -> Path:
    if args.repository:
        return Path(args.repository).resolve()
    from agentls.git.repo import find_repository

    return find_repository(args.directory).common_dir


def run_engine_command(args: argparse.Namespace) -> int:
    common = _common_dir(args)
    if args.status or args.stop:
        from agentls.engine.client import connect
        from agentls.engine.protocol import EngineError

        client = connect(common)
        if client is None:
            print("no engine runs for this repository", file=sys.stderr)
            return 1
        try:
            result = client.call("shutdown" if args.stop else "stats", {})
        except EngineError as exc:
            if not args.stop:
                raise AgentlsError(f"the engine did not answer: {exc}") from exc
            result = {"stopped": True}  # it may close the connection before answering
        finally:
            client.close()
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    import logging

    from agentls.engine.daemon import DEFAULT_GRACE, listen, serve_engine

    grace = args.grace
    if grace is None:
        grace = float(os.environ.get("AGENTLS_ENGINE_GRACE", DEFAULT_GRACE))
    # Bind before forking: an unsafe folder or an unusable socket path is refused here,
    # with exit status 1, instead of in a detached child nobody hears.
    endpoint = listen(common, grace)
    if endpoint is None:
        if args.detach:
            print(f"an engine already runs for {common}", file=sys.stderr)
        return 0
    if args.detach:
        if os.fork() != 0:
            endpoint.close_inherited()
            return 0  # the parent returns; the child serves what was bound
        os.setsid()
    logging.getLogger("agentls").setLevel(logging.INFO)
    # Its stderr is <common>/agentls/engine.log, shared by every engine run: stamp lines.
    for handler in logging.getLogger().handlers:
        handler.setFormatter(
            logging.Formatter("%(asctime)s engine[%(process)d] %(levelname)s %(name)s: %(message)s")
        )
    logging.getLogger("agentls.engine").info("engine starts for %s", common)
    return serve_engine(endpoint, grace, args.first_client_within)
