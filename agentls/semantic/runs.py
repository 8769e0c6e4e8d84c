"""One tree's build and test: run the configured commands on it in a scratch checkout.

The run is recorded in the `tree_checks` table (agentls.review.checks.CheckBook) by
tree id with each command's failing tests and full log, and a later run of the same
commands on the same tree is answered from there (unless forced): trunk's tree and a
session's tree are run once whatever number of pairs they belong to.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentls.lifecycle.commands import run_command
from agentls.review.checks import OUTPUT_KEPT, CheckBook
from agentls.semantic.failures import parse_failures
from agentls.semantic.scratch import SCRATCH_ENV, Scratch, semantic_dir
from agentls.store import Store

Progress = Callable[[str, "int | None"], None]
MAX_LOGS = 400  # full logs kept (oldest removed first)
MAX_LOG_READ = 8 * 1024 * 1024  # bytes of a log read to find failing tests


@dataclass
class TreeRun:
    """The commands' results on one tree, in order, up to the first failure."""

    tree: str
    results: list[dict[str, Any]] = field(default_factory=list)  # CheckBook's result shape
    cached: bool = False
    cancelled: bool = False
    seconds: float = 0.0  # agentls's own work around the commands (checkout, cleaning)

    @property
    def ok(self) -> bool:
        return not self.cancelled and all(r["ok"] for r in self.results)

    @property
    def timed_out(self) -> bool:
        return any(r["exitCode"] is None for r in self.results)

    def failed(self) -> tuple[int, dict[str, Any]] | None:
        """(index, result) of the command that failed, or None."""
        for index, result in enumerate(self.results):
            if not result["ok"]:
                return index, result
        return None


def logs_dir(common_dir: Path) -> Path:
    folder = semantic_dir(common_dir) / "logs"
    if not folder.is_dir():
        folder.mkdir(mode=0o700)
    return folder


def _prune_logs(folder: Path) -> None:
    logs = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime)
    for old in logs[: max(0, len(logs) - MAX_LOGS)]:
        old.unlink(missing_ok=True)


def run_tree(
    common_dir: Path,
    store: Store,
    tree: str,
    commands: Sequence[tuple[str, str]],
    *,
    timeout: float,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    force: bool = False,
    source: str = "semantic",
    session: str = "",
    low_priority: bool = True,
) -> TreeRun:
    """COMMANDS on TREE (a cached run unless FORCE); a cancelled run is not recorded."""
    report: Progress = progress or (lambda message, percent: None)
    book = CheckBook(store)
    if not force:
        cached = book.run_for(tree, commands)
        if cached is not None:
            return TreeRun(tree=tree, results=cached["results"], cached=True)
    logs = logs_dir(common_dir)
    run_id = uuid.uuid4().hex[:12]
    results = []
    started = time.monotonic()
    command_seconds = 0.0
    with Scratch.take(common_dir) as scratch:
        scratch.checkout(tree, common_dir)
        for index, (kind, command) in enumerate(commands):
            report(f"{kind}: running `{command}`", None)
            log = logs / f"{run_id}-{index}-{kind}.log"
            result = run_command(
                kind, command, scratch.folder, timeout, report,
                env={"AGENTLS_VERIFY": "1", SCRATCH_ENV: str(scratch.folder)},
                low_priority=low_priority, cancel=cancel, log=log, kill_group_after=True,
            )  # fmt: skip
            command_seconds += result.seconds
            if not result.ok and not result.cancelled:
                try:
                    with open(log, "rb") as handle:
                        text = handle.read(MAX_LOG_READ).decode(errors="replace")
                except OSError:
                    text = result.output
                found = parse_failures(text, scratch.folder)
                result.failures = [f.to_json() for f in found.tests]
                if found.location is not None and not result.failures:
                    # No test to name (a build broke): where it broke, without a name.
                    path, line = found.location
                    result.failures = [{"name": None, "path": path, "line": line}]
            results.append(result)
            if result.cancelled:
                scratch.done()
                return TreeRun(tree=tree, cancelled=True)
            if not result.ok:
                break
        scratch.done()
    _prune_logs(logs)
    book.record(tree, results, source=source, session=session)
    overhead = time.monotonic() - started - command_seconds
    return TreeRun(tree=tree, results=[_as_result(r) for r in results], seconds=overhead)


def _as_result(result: Any) -> dict[str, Any]:
    """A CommandResult in CheckBook's result shape (what a cached run returns)."""
    tail = "\n".join(result.output.splitlines()[-OUTPUT_KEPT:])
    return {
        "kind": result.kind,
        "command": result.command,
        "ok": result.ok,
        "exitCode": result.exit_code,
        "seconds": result.seconds,
        "summary": result.summary,
        "output": tail,
        "failures": list(result.failures),
        "log": result.log,
    }
