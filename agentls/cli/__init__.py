"""The command line. Each area registers its verbs from its own module.

Imports of heavy stacks (pygls, mcp) happen inside the verb handlers, so fast
paths such as `agentls hook` stay fast.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from agentls import __version__
from agentls.errors import AgentlsError

if TYPE_CHECKING:  # argparse is imported lazily: `agentls hook` never needs it
    import argparse

# Modules that each define `register(subparsers)`; handlers are set with set_defaults(run=...).
AREAS = (
    "agentls.cli.report",
    "agentls.cli.lifecycle",
    "agentls.cli.serve",
    "agentls.cli.agents",
    "agentls.cli.review",
)


def build_parser() -> argparse.ArgumentParser:
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            self.print_usage(sys.stderr)
            print(f"agentls: error: {message}", file=sys.stderr)
            raise SystemExit(2)

    parser = _Parser(
        prog="agentls",
        description="Air-traffic control for parallel coding agents in git worktrees.",
    )
    parser.add_argument("--version", action="version", version=f"agentls {__version__}")
    parser.add_argument(
        "-C", dest="directory", default=".", help="run as if started in this folder"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in AREAS:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if len(words) == 2 and words[0] == "hook":
        # An agent runs `agentls hook AGENT` before every write: skip building every
        # area's parser (~20 ms) on that path.
        from agentls.cli.agents import hook_fast_path

        code = hook_fast_path(words[1])
        if code is not None:
            return code
    import logging  # not on the hook's fast path above

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="agentls: %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.run(args) or 0)
    except AgentlsError as exc:
        print(f"agentls: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
