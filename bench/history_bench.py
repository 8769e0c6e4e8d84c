"""Cold full analysis on real history, against the naive method in the same run.

    python -m bench history [--sizes 5000] [--repo PATH ...] [--runs 5]

Workloads (bench/real_history.py): by default real merge scenarios replayed as 8
sessions on a long history (no network, from bench/data/real-merges.fi); with
--repo, a fresh clone (no commit-graph file) of a local repository with trunk and
seven sessions replaying its real recent commits.

- **cold, in process**: a new Workspace, `refresh()`, the report as JSON: what
  `agentls overlaps --json` does once it runs. Its scans use agentls's copies of the
  worktrees' indexes that earlier runs refreshed (agentls.git.status_index); the
  **first scan** row removes them before each run: a fresh checkout's racily clean
  files are all hashed again, as by the first agentls run ever on these worktrees.
- **cold, `agentls overlaps --json`**: the command as a new process, no engine
  running: interpreter start and imports included.
- **naive**: snapshot every worktree with a temporary index, then one
  `git merge-tree --write-tree` process per pair (bench/naive.py).

Runs alternate between the methods, so load from other jobs hits both alike.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from agentls.cli import write_json
from agentls.git.repo import find_repository
from agentls.git.status_index import STATUS_FOLDER
from agentls.git.trees import clear_tree_cache
from agentls.workspace import Workspace
from bench.naive import naive_merges, naive_snapshots
from bench.options import count, counts
from bench.real_history import Workload, from_repository, generate
from bench.stats import row, summary


class _TimedWorkspace(Workspace):
    """A Workspace that clocks its full check (git's merges) and its report."""

    analysis_ms = 0.0
    report_ms = 0.0

    def reconcile(self, interrupted=None):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return super().reconcile(interrupted)
        finally:
            self.analysis_ms += (time.perf_counter() - start) * 1000

    def report(self):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return super().report()
        finally:
            self.report_ms += (time.perf_counter() - start) * 1000


def cold_in_process(workload: Workload) -> tuple[float, float, float]:
    """(total, full check, report + JSON) milliseconds of one cold analysis."""
    clear_tree_cache()  # cold: nothing parsed by the previous run
    start = time.perf_counter()
    with _TimedWorkspace(workload.worktrees[0]) as ws:
        report = ws.refresh()
        started = time.perf_counter()
        write_json(report.to_json(), io.StringIO())  # as `overlaps --json` writes it
        ws.report_ms += (time.perf_counter() - started) * 1000
    return (time.perf_counter() - start) * 1000, ws.analysis_ms, ws.report_ms


def first_scan(workload: Workload) -> float:
    """Milliseconds of one cold analysis with no copy of any worktree's index yet."""
    shutil.rmtree(
        find_repository(workload.worktrees[0]).scratch_dir / STATUS_FOLDER, ignore_errors=True
    )
    return cold_in_process(workload)[0]


def cold_command(workload: Workload) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "agentls", "overlaps", "--json"],
        cwd=workload.worktrees[0],
        capture_output=True,
        check=False,
    )
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"agentls overlaps failed: {proc.stderr.decode()}")
    return elapsed


def measure(workload: Workload, runs: int) -> None:
    with Workspace(workload.worktrees[0]) as ws:
        report = ws.refresh()
    kinds = report.counts()
    via = sum(1 for c in report.overlaps if c.via == "trunk")
    print(
        f"\n{workload.label}: {workload.files:,} files, {len(workload.worktrees)} sessions; "
        f"{kinds['conflict']} conflicts ({via} via trunk), {kinds['overlap']} overlaps"
    )
    in_process: list[float] = []
    first: list[float] = []
    analysis: list[float] = []
    reporting: list[float] = []
    command: list[float] = []
    naive: list[float] = []
    naive_merge: list[float] = []
    for _ in range(runs):
        total, checked, reported = cold_in_process(workload)
        in_process.append(total)
        analysis.append(checked)
        reporting.append(reported)
        first.append(first_scan(workload))
        command.append(cold_command(workload))
        start = time.perf_counter()
        snapshots = naive_snapshots(workload.worktrees)
        merged = time.perf_counter()
        naive_merges(workload.worktrees, snapshots)
        naive.append((time.perf_counter() - start) * 1000)
        naive_merge.append((time.perf_counter() - merged) * 1000)
    print(row("cold, in process (refresh + JSON report)", in_process))
    print(row("  of which: full check (all pairs' merges)", analysis))
    print(row("  of which: report + JSON", reporting))
    print(row("cold, in process, first scan (no index copies yet)", first))
    print(row("cold, `agentls overlaps --json` (a new process)", command))
    print(row("naive (8 temp-index snapshots + 28 merge-trees)", naive))
    print(row("  of which: 28 merge-trees", naive_merge))
    measured = (("in process", in_process), ("first scan", first), ("command", command))
    for label, samples in measured:
        ratio = summary(naive)["p50"] / summary(samples)["p50"]
        print(f"  naive ÷ cold {label}: {ratio:.1f}x (p50 vs p50)")
    ratio = summary(naive_merge)["p50"] / summary(analysis)["p50"]
    print(f"  naive merges ÷ full check: {ratio:.1f}x (p50 vs p50)")


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench history")
    parser.add_argument(
        "--sizes",
        type=counts(allow_none=True),
        default="5000",
        help="default workload sizes ('' for none)",
    )
    parser.add_argument("--repo", type=Path, action="append", default=[], help="a local clone")
    parser.add_argument("--runs", type=count(), default=5)
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores; times in ms")
    for size in args.sizes:
        start = time.perf_counter()
        workload = generate(size)
        print(f"(workload ready in {time.perf_counter() - start:.1f} s)")
        measure(workload, args.runs)
    for repo in args.repo:
        start = time.perf_counter()
        workload = from_repository(repo)
        print(f"(clone and sessions ready in {time.perf_counter() - start:.1f} s)")
        measure(workload, args.runs)
