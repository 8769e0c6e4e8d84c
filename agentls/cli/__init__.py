"""The command line. Each area registers its verbs from its own module.

Imports of heavy stacks (pygls, mcp) happen inside the verb handlers, so fast
paths such as `agentls hook` stay fast.

Output never changes an outcome: stdout and stderr are wrapped so that a closed
pipe (`agentls land s1 | head -1`) or a vanished terminal only silences what is
left to print, and the command still finishes and exits with its own code.
Refusals are one line on stderr (exit 2); with `--json` they are also the document
`{"ok": false, "error": {"code", "message", "hint", "data"}}` on stdout.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

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
    "agentls.remote.cli",
    "agentls.cli.verify",
)


def seconds(text: str) -> float:
    """An argparse type: a non-negative, finite number of seconds, or a usage error."""
    import argparse

    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


class SafeStream:
    """A text stream whose write errors (EPIPE, EIO) never reach the command.

    After the first failure the rest is dropped, and the file descriptor is pointed
    at /dev/null so Python's own flush at exit stays quiet too.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(text)
            except (OSError, ValueError):
                self._break()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self._break()

    def _break(self) -> None:
        self.broken = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _guard_output() -> None:
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, SafeStream):
            setattr(sys, name, SafeStream(stream))


def print_error(error: AgentlsError, as_json: bool) -> None:
    """One line on stderr; with --json also the error document on stdout."""
    print(f"agentls: {error}", file=sys.stderr)
    if as_json:
        print(json.dumps({"ok": False, "error": error.to_json()}, indent=2, sort_keys=True))


def build_parser(words: Sequence[str] = ()) -> argparse.ArgumentParser:
    import argparse

    as_json = "--json" in words

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            self.print_usage(sys.stderr)
            usage = AgentlsError.refuse("usage", problem=message, usage=self.format_usage().strip())
            print(f"agentls: error: {message}", file=sys.stderr)
            if as_json:
                print(json.dumps({"ok": False, "error": usage.to_json()}, indent=2, sort_keys=True))
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


def _exit_now(code: int) -> NoReturn:
    """End the process without the interpreter's teardown.

    Unloading pygit2 and freeing every module and object costs 15-40 ms, and an agent
    waits for it on every write (`agentls hook`), a person or a script on every
    `agentls status`. Only verbs that have written their answer and closed what they
    opened come here (`exit_at_once`); only the standard streams need flushing.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if len(words) == 2 and words[0] == "hook":
        # An agent runs `agentls hook AGENT` before every write: skip building every
        # area's parser (~20 ms) on that path.
        from agentls.cli.agents import hook_fast_path

        code = hook_fast_path(words[1])
        if code is not None:
            if argv is None:  # a process of its own, not a caller in Python
                _exit_now(code)
            return code
    import logging  # not on the hook's fast path above

    _guard_output()
    parser = build_parser(words)
    args = parser.parse_args(words)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="agentls: %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    code = _run(args)
    if argv is None and getattr(args, "exit_at_once", False):
        _exit_now(code)  # a report verb in a process of its own: nothing left to tidy
    return code


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.run(args) or 0)
    except AgentlsError as exc:
        print_error(exc, bool(getattr(args, "json", False)))
        return exc.exit_code
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP during a lifecycle verb
        return 128 + int(getattr(exc, "signum", 2))
