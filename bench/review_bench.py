"""The review sweep: building the queue and opening one item, against the naive method.

    python -m bench review [--sizes 5000,50000] [--runs 30]

The workload is bench/workload.py's: 8 worktrees (trunk's checkout and 7 sessions,
each with committed and uncommitted work). agentls answers from the Workspace the
engine keeps warm, so its loading (bench core's "cold full analysis") is not timed
here; what is timed is building the queue (every session's summary: commits,
file list with line counts, landability, collisions from the report, review state,
checks, notes) and one item (its full diff list and commits), both untouched and
right after a live edit (the edited session's change set must be diffed again).

The naive method is what a script or a person does per session: `git merge-base`,
`git log base..HEAD`, `git diff --numstat -M base` and `git status --porcelain`,
each as a process, for every session (the queue) or for one (an item).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from agentls.review.queue import build_item, build_queue
from agentls.workspace import Workspace
from bench.options import count, counts
from bench.stats import row, summary
from bench.workload import Workload, generate

QUEUE_BUDGET_MS = 300.0
ITEM_BUDGET_MS = 100.0


def _timed(function: object, *args: object, **kwargs: object) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)  # type: ignore[operator]
    return (time.perf_counter() - start) * 1000


def _edit(ws: Workspace, workload: Workload, n: int, tag: str) -> str:
    """Save a new edit (never seen before: TAG) in session 1 + N % 7; its name."""
    session = 1 + n % (len(workload.worktrees) - 1)
    target = workload.worktrees[session] / workload.own(session)
    lines = target.read_text().splitlines(keepends=True)
    lines[6] = f"review bench edit {tag} {n} {time.perf_counter_ns()}\n"
    target.write_text("".join(lines))
    located = ws.locate(target)
    assert located is not None
    ws.file_changed(*located)
    return located[0].session.name


def agentls_samples(workload: Workload, runs: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {
        "queue": [], "queue-edit": [], "item": [], "item-edit": [], "first": []
    }  # fmt: skip
    import agentls.lifecycle

    agentls.lifecycle.load_all()  # the engine has it loaded; time work, not imports

    with Workspace(workload.worktrees[0]) as ws:
        ws.refresh()
        samples["first"].append(_timed(build_queue, ws))  # the review caches are empty
        names = [i["session"] for i in build_queue(ws)["items"]]
        assert len(names) == len(workload.worktrees) - 1, names
        for n in range(runs):
            build_queue(ws)  # the previous round's edits are diffed here, untimed
            samples["queue"].append(_timed(build_queue, ws))
            samples["item"].append(_timed(build_item, ws, names[n % len(names)]))
            _edit(ws, workload, n, "queue")
            samples["queue-edit"].append(_timed(build_queue, ws))
            edited = _edit(ws, workload, n + 3, "item")  # its change set is new: diffed again
            samples["item-edit"].append(_timed(build_item, ws, edited))
    return samples


def engine_samples(workload: Workload, runs: int) -> dict[str, list[float]]:
    """The same two questions through a running engine's socket (what editors wait for)."""
    from agentls.engine.client import connect

    main = workload.worktrees[0]
    engine = subprocess.Popen(
        [sys.executable, "-m", "agentls", "-C", str(main), "engine", "--grace", "5"],
        stderr=subprocess.DEVNULL,
    )
    samples: dict[str, list[float]] = {"queue": [], "item": []}
    try:
        deadline = time.monotonic() + 120
        while (client := connect(main / ".git")) is None:
            if time.monotonic() > deadline:
                raise RuntimeError("the engine did not come up")
            time.sleep(0.1)
        try:
            client.call("report", {}, timeout=300)  # loaded
            ask = {"command": "agentls.review.queue", "arguments": {}}
            names = [i["session"] for i in client.call("command", ask, timeout=60)["items"]]
            for n in range(runs):
                samples["queue"].append(_timed(client.call, "command", ask, timeout=60))
                one = {"command": "agentls.review.item",
                       "arguments": {"session": names[n % len(names)]}}  # fmt: skip
                samples["item"].append(_timed(client.call, "command", one, timeout=60))
        finally:
            client.close()
    finally:
        engine.terminate()
        engine.wait(timeout=30)
    return samples


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def naive_session(worktree: Path) -> int:
    """One session the naive way; the number of files it changed."""
    base = _git(worktree, "merge-base", "main", "HEAD").strip()
    _git(worktree, "log", "--format=%H%x00%an%x00%s", f"{base}..HEAD")
    numstat = _git(worktree, "diff", "--numstat", "-M", base)
    status = _git(worktree, "status", "--porcelain", "--untracked-files=all")
    return len(numstat.splitlines()) + status.count("??")


def naive_samples(workload: Workload, runs: int) -> dict[str, list[float]]:
    sessions = workload.worktrees[1:]
    samples: dict[str, list[float]] = {"queue": [], "item": []}
    for n in range(runs):
        start = time.perf_counter()
        for worktree in sessions:
            naive_session(worktree)
        samples["queue"].append((time.perf_counter() - start) * 1000)
        samples["item"].append(_timed(naive_session, sessions[n % len(sessions)]))
    return samples


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench review")
    parser.add_argument("--sizes", type=counts(), default="5000,50000")
    parser.add_argument("--runs", type=count(), default=30)
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores; 8 worktrees (trunk + 7 sessions); times in ms")
    for size in args.sizes:
        start = time.perf_counter()
        workload = generate(size)
        print(f"\n{size} files (workload ready in {time.perf_counter() - start:.1f} s)")
        ours = agentls_samples(workload, args.runs)
        via_engine = engine_samples(workload, args.runs)
        naive_runs = max(3, args.runs // 5) if size >= 50000 else args.runs
        theirs = naive_samples(workload, naive_runs)
        print(row("queue, first build (empty caches)", ours["first"]))
        print(row("queue (7 items)", ours["queue"]))
        print(row("queue right after a saved edit", ours["queue-edit"]))
        print(row("queue through the engine's socket", via_engine["queue"]))
        print(row("naive queue: 4 git processes per session", theirs["queue"]))
        print(row("one item's diff list", ours["item"]))
        print(row("one item right after a saved edit in it", ours["item-edit"]))
        print(row("one item through the engine's socket", via_engine["item"]))
        print(row("naive item: 4 git processes", theirs["item"]))
        worst_queue = max(
            *(summary(ours[k])["p99"] for k in ("queue", "queue-edit", "first")),
            summary(via_engine["queue"])["p99"],
        )
        worst_item = max(
            *(summary(ours[k])["p99"] for k in ("item", "item-edit")),
            summary(via_engine["item"])["p99"],
        )
        print(
            f"  budgets: queue <= {QUEUE_BUDGET_MS:.0f} ms (worst p99 {worst_queue:.1f}: "
            f"{'ok' if worst_queue <= QUEUE_BUDGET_MS else 'OVER'}), item <= "
            f"{ITEM_BUDGET_MS:.0f} ms (worst p99 {worst_item:.1f}: "
            f"{'ok' if worst_item <= ITEM_BUDGET_MS else 'OVER'})"
        )
        ratio = summary(theirs["queue"])["p50"] / summary(ours["queue-edit"])["p50"]
        print(f"  queue after an edit is {ratio:,.0f}x faster than the naive queue (p50)")
