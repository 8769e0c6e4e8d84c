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

# Modules that each define `register(subparsers)` (handlers are set with
# set_defaults(run=...)), with the verbs each registers: a command line whose verb is
# known builds only that area's parser. Importing and registering every area cost each
# `agentls status` ~10 ms. tests/core/test_cli.py holds this table to the areas.
AREAS: dict[str, tuple[str, ...]] = {
    "agentls.cli.report": ("status", "overlaps", "demo"),
    "agentls.cli.lifecycle": (
        "new",
        "fork",
        "rename",
        "claim",
        "release",
        "priority",
        "handoff",
        "land",
        "remove",
        "restore",
        "recover",
    ),
    "agentls.cli.serve": ("serve", "engine"),
    "agentls.cli.agents": ("check", "hook", "hooks", "mcp"),
    "agentls.cli.review": ("review",),
    "agentls.remote.cli": ("fetch", "publish", "unpublish"),
    "agentls.cli.verify": ("verify",),
}


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


def write_json(data: dict[str, Any], stream: TextIO) -> None:
    """DATA as JSON, indented down to its lists, each list item on a line of its own.

    As readable as indent=2 for a report, and written by json's C encoder: indent=2
    runs the pure-Python one, 0.9 s (and 23 MB, a range per four lines) for the
    report of a real project's five release branches, against 0.1 s (5.6 MB).
    """
    stream.write("{")
    for i, (key, value) in enumerate(data.items()):
        stream.write(("," if i else "") + f"\n  {json.dumps(key)}: ")
        if isinstance(value, list) and value:
            items = ",\n    ".join(json.dumps(item) for item in value)
            stream.write(f"[\n    {items}\n  ]")
        else:
            stream.write(json.dumps(value))
    stream.write("\n}\n" if data else "}\n")


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
    for module_name in areas_for(words):
        importlib.import_module(module_name).register(subparsers)
    return parser


def areas_for(words: Sequence[str]) -> list[str]:
    """The areas whose verbs a command line WORDS may need: its verb's alone when the
    first word after the global options (-C DIR, -v) is a known verb; otherwise every
    area, so that help, `--version` and an unknown verb see the whole command line."""
    i = 0
    while i < len(words) and words[i] in ("-C", "-v", "--verbose"):
        i += 2 if words[i] == "-C" else 1
    verb = words[i] if i < len(words) else None
    for module_name, verbs in AREAS.items():
        if verb in verbs:
            return [module_name]
    return list(AREAS)


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
