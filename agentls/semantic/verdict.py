"""The semantic-conflict rule for one pair: merge, build and test, compare with each side.

1. git merges the two sides (`git merge-tree --write-tree` of their snapshot commits).
   A conflicted merge is git's finding, not ours: nothing runs (`conflict`). A merge
   that equals one side adds nothing to run (`same`).
2. The configured commands run on the merged tree (agentls.semantic.runs). If they
   pass, the pair passes (`pass`): a passing pair costs one run.
3. When the merge fails a command, each side's own run is consulted (cached by tree):
   - a side that fails alone, and not the way trunk fails, broke itself (`side-fails`:
     a flaky or broken test is not the pair's fault);
   - when every side passes, or fails just as trunk does, and the merge fails the same
     way as one of them, it is old breakage (`pre-existing`);
   - otherwise each side is fine alone and only their merge fails: a **semantic
     conflict** (`semantic`), with the failing command, its exit code, the tests that
     newly fail and the end of the output.
   "The same way" means: the same command, the same exit code and, when the runner's
   output names them, the same failing tests.
A time limit hit anywhere gives no answer (`timeout`). A cancelled check gives None
and records nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentls.git.runner import run_git_bytes
from agentls.semantic.book import SemanticBook
from agentls.semantic.config import VerifyConfig
from agentls.semantic.pairs import Pair, Side
from agentls.semantic.runs import TreeRun, run_tree
from agentls.store import Store
from agentls.vocabulary import plural

Progress = Callable[[str, "int | None"], None]
TAIL_LINES = 30  # lines of the failing command's output kept in the verdict
STATUSES = ("semantic", "pass", "side-fails", "pre-existing", "conflict", "same", "timeout")


def merge_trees(cwd: Path, ours: str, theirs: str) -> tuple[bool, str | None]:
    """(clean, merged tree) from git's own merge of two commits."""
    proc = run_git_bytes(["merge-tree", "--write-tree", "--no-messages", ours, theirs], cwd,
                         check=False)  # fmt: skip
    if proc.returncode not in (0, 1):
        detail = proc.stderr.decode(errors="replace").strip()
        from agentls.errors import GitError

        raise GitError(f"git merge-tree failed: {detail}")
    first = proc.stdout.decode(errors="replace").split("\n", 1)[0].strip()
    return proc.returncode == 0, first or None


# (command index, exit code, failing test names) of a run's first failure; None: passed.
Failure = tuple[int, "int | None", frozenset[str]]


def failure_of(run: TreeRun) -> Failure | None:
    failed = run.failed()
    if failed is None:
        return None
    index, result = failed
    names = frozenset(f["name"] for f in result.get("failures", []) if f.get("name"))
    return index, result["exitCode"], names


def same_failure(one: Failure | None, other: Failure | None) -> bool:
    if one is None or other is None:
        return False
    if one[0] != other[0] or one[1] != other[1]:
        return False
    return not (one[2] and other[2]) or one[2] == other[2]


class _Runs:
    """The runs a verdict needs, each made (or read from the cache) once."""

    def __init__(
        self,
        common_dir: Path,
        store: Store,
        config: VerifyConfig,
        cancel: threading.Event | None,
        progress: Progress,
        force: bool,
    ) -> None:
        self.common_dir, self.store, self.config = common_dir, store, config
        self.cancel, self.progress, self.force = cancel, progress, force
        self.done: dict[str, TreeRun] = {}
        self.overhead = 0.0

    def of(self, tree: str, label: str, who: str) -> TreeRun | None:
        """TREE's run (LABEL names it in progress, WHO in the tree_checks table)."""
        if tree not in self.done:

            def step(message: str, percent: int | None) -> None:
                self.progress(f"{label}: {message}", percent)

            run = run_tree(
                self.common_dir, self.store, tree, self.config.commands(),
                timeout=self.config.timeout, progress=step, cancel=self.cancel,
                force=self.force, session=who,
            )  # fmt: skip
            if run.cancelled:
                return None
            self.overhead += run.seconds
            self.done[tree] = run
        return self.done[tree]


def _side_summary(run: TreeRun) -> dict[str, Any]:
    failed = run.failed()
    return {
        "ok": run.ok,
        "cached": run.cached,
        "summary": "; ".join(r["summary"] for r in run.results) or "nothing ran",
        "failures": [] if failed is None else failed[1].get("failures", []),
    }


def check_pair(
    common_dir: Path,
    cwd: Path,
    store: Store,
    config: VerifyConfig,
    pair: Pair,
    *,
    trunk: Side | None = None,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> dict[str, Any] | None:
    """PAIR's verdict (cached by Pair.key unless FORCE); None when CANCEL stopped it."""
    report: Progress = progress or (lambda message, percent: None)
    key = pair.key(config.commands_key())
    book = SemanticBook(store)
    if not force:
        known = book.lookup(key)
        if known is not None:
            book.point(pair.ids, key)
            return {**known, "cached": True}
    started = time.monotonic()
    verdict: dict[str, Any] = {
        "key": key,
        "a": pair.a.to_json(),
        "b": pair.b.to_json(),
        "base": pair.base,
        "viaTrunk": pair.via_trunk,
        "overlap": pair.overlap,
        "commands": [list(c) for c in config.commands()],
        "merged": None,
        "failed": None,
        "sides": {},
    }
    merge_started = time.monotonic()
    clean, merged = merge_trees(cwd, pair.a.commit, pair.b.commit)
    runs = _Runs(common_dir, store, config, cancel, report, force)
    runs.overhead += time.monotonic() - merge_started
    verdict["merged"] = merged
    status, reason = _decide(pair, clean, merged, trunk, runs, verdict)
    if status is None:
        return None  # cancelled
    verdict.update(
        status=status,
        reason=reason,
        time=time.time(),
        seconds=time.monotonic() - started,
        overhead=runs.overhead,
        cached=False,
    )
    book.record(pair.ids, key, verdict)
    return verdict


def _decide(
    pair: Pair,
    clean: bool,
    merged: str | None,
    trunk: Side | None,
    runs: _Runs,
    verdict: dict[str, Any],
) -> tuple[str | None, str]:
    a, b = pair.a, pair.b
    both = pair.label
    if not clean or merged is None:
        return "conflict", f"git cannot merge {both} cleanly: nothing to build"
    if merged in (a.tree, b.tree):
        same = a if merged == a.tree else b
        return "same", f"{both} merged is {same.name} itself: nothing new to build"
    merged_run = runs.of(merged, "merged", both)
    if merged_run is None:
        return None, ""
    if merged_run.ok:
        return "pass", f"{both} merged pass {_commands_text(verdict)}"
    index, failed = merged_run.failed() or (0, merged_run.results[-1])
    verdict["failed"] = {
        "index": index,
        "kind": failed["kind"],
        "command": failed["command"],
        "exitCode": failed["exitCode"],
        "seconds": failed["seconds"],
        "failures": failed.get("failures", []),
        "newFailures": [],
        "tail": failed["output"].splitlines()[-TAIL_LINES:],
        "log": failed.get("log"),
    }
    command = f"`{failed['command']}`"
    if merged_run.timed_out:
        return "timeout", f"{command} timed out on {both} merged: no answer"
    side_runs = {}
    for key, side in (("a", a), ("b", b)):
        run = runs.of(side.tree, f"{side.name} alone", side.name)
        if run is None:
            return None, ""
        side_runs[key] = run
        verdict["sides"][key] = _side_summary(run)
    if any(run.timed_out for run in side_runs.values()):
        return "timeout", f"{command} timed out on one side alone: no answer"
    trunk_failure: Failure | None = None
    trunk_known = False

    def like_trunk(failure: Failure) -> bool:
        nonlocal trunk_failure, trunk_known
        if pair.via_trunk:
            return same_failure(failure, failure_of(side_runs["a"]))
        if trunk is None:
            return False
        if not trunk_known:
            trunk_run = runs.of(trunk.tree, f"{trunk.name} (trunk) alone", trunk.name)
            if trunk_run is None:
                raise _Cancelled
            verdict["sides"]["trunk"] = _side_summary(trunk_run)
            trunk_failure, trunk_known = failure_of(trunk_run), True
        return same_failure(failure, trunk_failure)

    merged_failure = failure_of(merged_run)
    try:
        failing = {k: f for k, run in side_runs.items() if (f := failure_of(run)) is not None}
        broken = [k for k, f in failing.items() if not like_trunk(f)]
    except _Cancelled:
        return None, ""
    if broken:
        names = " and ".join(pair.a.name if k == "a" else pair.b.name for k in broken)
        alone = _first_summary(side_runs, broken)
        return "side-fails", f"{names} fails alone ({alone}): not the merge's doing"
    if any(same_failure(merged_failure, f) for f in failing.values()):
        who = pair.b.name if "b" in failing else pair.a.name
        return "pre-existing", f"{both} merged fail {command} as {who} already does alone"
    old = set().union(*(f[2] for f in failing.values())) if failing else set()
    if trunk_failure is not None:
        old |= trunk_failure[2]
    assert merged_failure is not None
    new = sorted(merged_failure[2] - old)
    verdict["failed"]["newFailures"] = new
    tests = f": {', '.join(new[:3])}{' …' if len(new) > 3 else ''}" if new else ""
    alone = "each passes alone" if not failing else "each alone fails only as trunk does"
    exit_text = f"exit {failed['exitCode']}"
    return "semantic", f"{command} fails on {both} merged ({exit_text}{tests}); {alone}"


class _Cancelled(Exception):
    pass


def _first_summary(runs: dict[str, TreeRun], keys: list[str]) -> str:
    failed = runs[keys[0]].failed()
    return failed[1]["summary"] if failed else "failed"


def _commands_text(verdict: dict[str, Any]) -> str:
    kinds = [kind for kind, _ in verdict["commands"]]
    return plural(len(kinds), "command") + f" ({', '.join(sorted(set(kinds)))})"
