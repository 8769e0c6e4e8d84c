"""Remote sessions (issue 15): what one fetch cycle costs, and that a fetch bringing
one changed ref re-analyses only that ref's pairs.

A shared bare remote, a "cloud" clone that pushes REMOTES branches (`codex/s<i>`, each
editing its own file and, every fourth, a file a local session edits too), and this
machine with LOCAL worktree sessions holding uncommitted edits. Each cycle the cloud
moves one branch and pushes; here `fetch` + `Workspace.refresh` + `report` run (what
the engine's fetcher does), and then, in the same cycle, the naive way: every pair
merged again by a fresh Analyzer. Reported: time per cycle and pairs merged.

    python -m bench remote                           # 100 remote sessions, 5k files
    python -m bench remote --remotes 10,100 --files 50000 --cycles 10
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from agentls.analysis import Analyzer
from agentls.git.repo import find_repository
from agentls.remote.config import RemoteConfig
from agentls.remote.fetch import fetch
from agentls.workspace import Workspace
from bench.options import count, counts
from bench.stats import row

LOCAL = 3
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, capture_output=True, env=ENV, check=True
    )
    return proc.stdout.decode()


def text(path: str, marker: str = "") -> str:
    return "".join(f"# {path} line {n}{marker if n == 5 else ''}\n" for n in range(1, 30))


def build(root: Path, files: int, remotes: int) -> tuple[Path, Path]:
    """(this machine's primary checkout, the cloud's clone) around a fresh bare remote."""
    server, seed = root / "server.git", root / "seed"
    _git(root, "init", "-q", "--bare", "-b", "main", str(server))
    _git(root, "init", "-q", "-b", "main", str(seed))
    paths = [f"pkg{i // 100}/mod{i % 100}.py" for i in range(files)]
    chunks = [b"commit refs/heads/main\ncommitter bench <bench@example.com> 0 +0000\n"]
    chunks.append(b"data 5\nbase\n")
    for path in paths:
        data = text(path).encode()
        chunks.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
    _git(seed, "fast-import", "--quiet", stdin=b"".join(chunks) + b"\n")
    _git(seed, "push", "-q", str(server), "main:main")
    here, cloud = root / "here", root / "cloud"
    _git(root, "clone", "-q", str(server), str(here))
    _git(root, "clone", "-q", str(server), str(cloud))
    for i in range(LOCAL):
        worktree = root / f"local{i}"
        _git(here, "worktree", "add", "-q", "-b", f"local{i}", str(worktree))
        shared = f"pkg0/mod{i}.py"
        (worktree / shared).write_text(text(shared, f" local{i}"))
    # Every remote branch in one fast-import and one push.
    chunks = []
    main = _git(cloud, "rev-parse", "main").strip()
    for i in range(remotes):
        own = f"pkg{1 + i % max(files // 100 - 1, 1)}/mod{i % 100}.py"
        touched = [own] + ([f"pkg0/mod{i % LOCAL}.py"] if i % 4 == 0 else [])
        chunks.append(f"commit refs/heads/codex/s{i}\n".encode())
        chunks.append(b"committer cloud <cloud@example.com> 1 +0000\ndata 4\nwip\n")
        chunks.append(f"from {main}\n".encode())
        for path in touched:
            data = text(path, f" s{i}").encode()
            chunks.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
    _git(cloud, "fast-import", "--quiet", stdin=b"".join(chunks) + b"\n")
    _git(cloud, "push", "-q", "origin", "refs/heads/codex/*:refs/heads/codex/*")
    return here, cloud


def move_one(cloud: Path, cycle: int, remotes: int) -> None:
    """A cloud agent commits again on one branch and pushes it."""
    branch = f"codex/s{(cycle * 7) % remotes}"
    parent = _git(cloud, "rev-parse", branch).strip()
    path = "pkg0/mod0.py"
    data = text(path, f" cycle{cycle}").encode()
    script = (
        f"commit refs/heads/{branch}\ncommitter cloud <cloud@example.com> {cycle + 2} +0000\n"
        f"data 6\nagain\nfrom {parent}\nM 100644 inline {path}\ndata {len(data)}\n"
    ).encode()
    _git(cloud, "fast-import", "--quiet", stdin=script + data + b"\n\n")
    _git(cloud, "push", "-q", "--force", "origin", f"{branch}:{branch}")


class Counting:
    """Counts the merges git answers (the real merge-tree process does the work)."""

    def __init__(self, ws: Workspace) -> None:
        self.merges = 0
        real = ws.merger.merge_many

        def merge_many(pairs: list[tuple[str, str]], *rest: Any) -> list:  # type: ignore[type-arg]
            self.merges += len(pairs)
            return real(pairs, *rest)  # the attribute source, when the caller passes one

        ws.merger.merge_many = merge_many  # type: ignore[method-assign]


def run_size(files: int, remotes: int, cycles: int) -> None:
    with tempfile.TemporaryDirectory(prefix="agentls-remote-bench-") as temp:
        root = Path(temp)
        started = time.perf_counter()
        here, cloud = build(root, files, remotes)
        print(
            f"\n{files} files, {remotes} remote sessions, {LOCAL} local sessions + trunk "
            f"(built in {time.perf_counter() - started:.1f} s)"
        )
        repo = find_repository(here)
        config = RemoteConfig()
        with Workspace(here) as ws:
            counter = Counting(ws)
            started = time.perf_counter()
            fetch(repo, config)
            report = ws.refresh()
            first = (time.perf_counter() - started) * 1000
            remote_rows = [s for s in report.sessions if s.role == "remote"]
            pairs = len(ws._pairs())
            print(
                f"  first fetch + full analysis: {first:.0f} ms, {len(remote_rows)} remote "
                f"sessions, {pairs} pairs, {counter.merges} merges, "
                f"{sum(c.kind == 'conflict' for c in report.overlaps)} conflicts"
            )
            idle, fetch_ms, refresh_ms, cycle_ms, naive_ms = [], [], [], [], []
            incremental_merges, naive_merges = [], []
            for cycle in range(cycles):
                started = time.perf_counter()
                fetch(repo, config)  # nothing moved: the cost of a quiet cycle
                idle.append((time.perf_counter() - started) * 1000)
                move_one(cloud, cycle, remotes)
                counter.merges = 0
                started = time.perf_counter()
                assert fetch(repo, config).changed
                fetched = time.perf_counter()
                report = ws.refresh()
                done = time.perf_counter()
                fetch_ms.append((fetched - started) * 1000)
                refresh_ms.append((done - fetched) * 1000)
                cycle_ms.append((done - started) * 1000)
                incremental_merges.append(counter.merges)
                expected = {(c.kind, c.path, tuple(c.sessions)) for c in report.overlaps}
                # The naive way, same states: the same refresh with a fresh analyzer,
                # which merges every pair again.
                counter.merges = 0
                started = time.perf_counter()
                ws.analyzer = Analyzer(ws.git, ws.merger)
                naive = ws.refresh()
                naive_ms.append((time.perf_counter() - started) * 1000)
                naive_merges.append(counter.merges)
                got = {(c.kind, c.path, tuple(c.sessions)) for c in naive.overlaps}
                assert got == expected, "the incremental and naive answers differ"
            print(row("quiet fetch (nothing moved)", idle))
            print(row("fetch bringing one changed ref", fetch_ms))
            print(row("  refresh + analysis after it (incremental)", refresh_ms))
            print(row("  push-to-report: fetch + refresh (incremental)", cycle_ms))
            print(row("  naive: same refresh, every pair merged again", naive_ms))
            # Live edits in a local session while REMOTES remote sessions are loaded: the
            # work depends on the sessions that touch the edited file, not on their number.
            local = next(st for st in ws.states.values() if st.session.name == "local1")
            contested = sum(1 for st in ws.remote.states.values() if "pkg0/mod1.py" in st.changed)
            for path, label in (
                ("pkg0/mod50.py", "edit a file no remote session touches"),
                ("pkg0/mod1.py", f"edit a file {contested} remote sessions also changed"),
            ):
                edits = []
                for i in range(20):
                    started = time.perf_counter()
                    ws.buffer_changed(local, path, text(path, f" edit{i}"))
                    ws.report()
                    edits.append((time.perf_counter() - started) * 1000)
                print(row(f"  {label}", edits))
            print(
                f"  pairs merged per changed ref: incremental "
                f"{sorted(set(incremental_merges))}, naive {sorted(set(naive_merges))} "
                f"(of {len(ws._pairs())} pairs)"
            )


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench remote")
    parser.add_argument(
        "--files", type=counts(), default="5000", help="repository sizes, comma-separated"
    )
    parser.add_argument(
        "--remotes", type=counts(), default="100", help="remote session counts, comma-separated"
    )
    parser.add_argument("--cycles", type=count(), default=10)
    args = parser.parse_args(argv)
    print("machine shared with other work: compare columns of the same run only")
    for files in args.files:
        for remotes in args.remotes:
            run_size(files, remotes, args.cycles)
