"""Core analysis: cold full analysis, incremental per-file updates, and the naive cycle.

    python -m bench core [--sizes 200,5000,50000] [--events 300]

The naive method is what peers do on every change: snapshot every worktree with a
temporary index (`git add -A`, `write-tree`, `commit-tree`) and run `git merge-tree`
for every pair, each as its own process (bench/naive.py).
"""

from __future__ import annotations

import argparse
import os
import time

from agentls.git.trees import clear_tree_cache
from agentls.workspace import Workspace
from bench.naive import naive_cycle
from bench.options import count, counts
from bench.stats import row, summary
from bench.workload import Workload, generate


def cold(workload: Workload, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        clear_tree_cache()  # cold: nothing parsed by the previous run
        start = time.perf_counter()
        with Workspace(workload.worktrees[0]) as ws:
            ws.refresh()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def incremental(workload: Workload, events: int) -> tuple[list[float], list[float], int]:
    """(saved-file samples, unsaved-buffer samples, collisions seen)."""
    disk: list[float] = []
    buffers: list[float] = []
    with Workspace(workload.worktrees[0]) as ws:
        ws.refresh()
        collisions = len(ws.report().overlaps)
        for n in range(events):
            session = n % len(workload.worktrees)
            wt = workload.worktrees[session]
            contested = workload.contested(session)
            rel = contested[n % 2] if n % 3 else workload.own(session)
            target = wt / rel
            lines = target.read_text().splitlines(keepends=True)
            line = 5 if n % 4 == 0 else 20  # alternate conflicting and clean edits
            lines[line - 1] = f"event {n} from session {session}\n"
            text = "".join(lines)
            target.write_text(text)
            start = time.perf_counter()
            located = ws.locate(target)
            assert located is not None
            ws.file_changed(*located)
            ws.report()
            disk.append((time.perf_counter() - start) * 1000)

            state, path = located
            start = time.perf_counter()
            ws.buffer_changed(state, path, text.replace(f"event {n}", f"typing {n}"))
            ws.report()
            buffers.append((time.perf_counter() - start) * 1000)
            ws.buffer_closed(state, path)
    return disk, buffers, collisions


def renames(workload: Workload, events: int) -> list[float]:
    """A file renamed in one session (its delete and its add, as a watcher sends them)
    -> updated report; half of them files other sessions edit (conflicts at both paths)."""
    samples: list[float] = []
    with Workspace(workload.worktrees[0]) as ws:
        ws.refresh()
        for n in range(events):
            session = 1 + n % (len(workload.worktrees) - 1)
            wt = workload.worktrees[session]
            old = workload.contested(session)[0] if n % 2 == 0 else workload.own(session)
            new = old.replace(".py", "_moved.py")
            for src, dst in ((old, new), (new, old)):
                (wt / src).rename(wt / dst)
                start = time.perf_counter()
                for path in (src, dst):
                    located = ws.locate(wt / path)
                    assert located is not None
                    ws.file_changed(*located)
                ws.report()
                samples.append((time.perf_counter() - start) * 1000)
    return samples


def naive(workload: Workload, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        naive_cycle(workload.worktrees)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench core")
    parser.add_argument("--sizes", type=counts(), default="200,5000,50000")
    parser.add_argument("--events", type=count(), default=300)
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores; 8 sessions per repository; times in ms")
    for size in args.sizes:
        start = time.perf_counter()
        workload = generate(size)
        print(f"\n{size} files (workload ready in {time.perf_counter() - start:.1f} s)")
        runs = 3 if size >= 50000 else 5
        cold_samples = cold(workload, runs)
        disk, buffers, collisions = incremental(workload, args.events)
        renamed = renames(workload, max(10, args.events // 10))
        naive_samples = naive(workload, runs)
        print(f"  collisions in the workload: {collisions}")
        print(row("cold full analysis (8 snapshots + 28 merges)", cold_samples))
        print(row("incremental: saved file -> updated report", disk))
        print(row("incremental: unsaved buffer -> updated report", buffers))
        print(row("incremental: file renamed -> updated report", renamed))
        print(row("naive full cycle (what peers do)", naive_samples))
        ratio = summary(naive_samples)["p50"] / summary(disk)["p50"]
        print(f"  incremental is {ratio:,.0f}x faster than the naive cycle (p50 vs p50)")
        ratio = summary(naive_samples)["p50"] / summary(cold_samples)["p50"]
        print(f"  naive ÷ cold full analysis: {ratio:.1f}x (p50 vs p50; issue 10: >= 3x at 5k)")
