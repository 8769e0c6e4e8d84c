"""`agentls fetch`, `agentls publish`, `agentls unpublish` (and `--fetch` on status/overlaps)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    fetch = subparsers.add_parser(
        "fetch",
        help="fetch remote sessions (cloud agents' and teammates' branches) now",
        description="Fetch the branches cloud agents and teammates pushed to the configured"
        " remotes (claude/*, codex/*, copilot/*, cursor/* by default) into agentls's own refs"
        " (refs/agentls/remote/...), never your remote-tracking branches, never asking for a"
        " password. They show in status and in editors as remote sessions (docs/remote.md).",
    )
    fetch.add_argument("--json", action="store_true", help="print what happened as JSON")
    fetch.set_defaults(run=run_fetch)

    publish = subparsers.add_parser(
        "publish",
        help="push each local session's snapshot (uncommitted work too) to the remote",
        description="Push each local session's snapshot (its commits plus one commit of its"
        " uncommitted, non-ignored files) to refs/agentls/wip/<user>/<session> on the remote,"
        " so other machines see your work in progress; removes the refs of sessions that are"
        " gone. What is shared: docs/remote.md.",
    )
    publish.add_argument("--remote", help="publish to this remote (default: the first configured)")
    publish.add_argument("--json", action="store_true", help="print what happened as JSON")
    publish.set_defaults(run=run_publish)

    unpublish = subparsers.add_parser(
        "unpublish",
        help="remove refs `agentls publish` pushed",
        description="Remove from the remote the refs agentls publish pushed: all of them, or"
        " those of the sessions named.",
    )
    unpublish.add_argument("sessions", nargs="*", help="only these sessions (default: all)")
    unpublish.add_argument("--json", action="store_true", help="print what happened as JSON")
    unpublish.set_defaults(run=run_unpublish)


def fetch_now(directory: str | Path) -> dict[str, Any]:
    """Fetch every configured remote now (the CLI's `fetch` and `--fetch`), then have a
    running engine refresh so every editor sees the result at once."""
    from agentls.remote import config as remote_config
    from agentls.remote import view
    from agentls.remote.fetch import fetch, require_remotes
    from agentls.workspace import Workspace

    with Workspace(directory) as ws:
        config = view.config(ws)
        if ws.remote.config_problem:
            remote_config.load(ws.repository.cwd, ws.trunk.commit)  # raises the refusal itself
        require_remotes(ws.repository, config)
        result = fetch(ws.repository, config, force=True)
        common_dir = ws.repository.common_dir
    _engine_refresh(common_dir)
    return {
        "ok": result.ok,
        "changed": result.changed,
        "remotes": [s.to_json() for s in result.statuses],
    }


def _engine_refresh(common_dir: Path) -> None:
    from agentls.engine.client import connect
    from agentls.engine.protocol import EngineError

    client = connect(common_dir)
    if client is None:
        return
    try:
        client.call("refresh", {}, timeout=60)
    except EngineError:
        pass  # an engine going away re-reads everything when it starts again
    finally:
        client.close()


def run_fetch(args: argparse.Namespace) -> int:
    from agentls.remote.wording import age

    outcome = fetch_now(args.directory)
    if args.json:
        json.dump(outcome, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for status in outcome["remotes"]:
            if status["error"] is None:
                print(f"{status['remote']}: fetched ({status['refs']} refs)")
            else:
                last = f"; last fetched {age(status['fetched'])}" if status["fetched"] else ""
                print(f"{status['remote']}: remote unreachable: {status['error']}{last}")
    return 0 if outcome["ok"] else 1


def run_publish(args: argparse.Namespace) -> int:
    from agentls.remote.publish import publish
    from agentls.workspace import Workspace

    with Workspace(args.directory) as ws:
        ws.refresh()
        result = publish(ws, remote=args.remote)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if result.get("fallback"):
        print(f"note: {result['fallback']}; published as branches instead")
    for item in result["published"]:
        what = "commits and uncommitted work" if item["uncommitted"] else "commits"
        print(f"published {item['session']} ({what}) to {result['remote']} {item['ref']}")
    for ref in result["removed"]:
        print(f"removed {ref} (its session is gone)")
    if not result["published"] and not result["removed"]:
        print("nothing to publish: no local session besides trunk's checkout")
    return 0


def run_unpublish(args: argparse.Namespace) -> int:
    from agentls.remote.publish import unpublish
    from agentls.workspace import Workspace

    with Workspace(args.directory) as ws:
        result = unpublish(ws, args.sessions or None)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif not result["removed"]:
        print("nothing published")
    else:
        for ref in result["removed"]:
            print(f"removed {ref}")
    return 0
