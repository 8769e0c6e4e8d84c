"""End-to-end latency of the language server and engine (issue 3, S1..S6).

Two real `agentls serve` processes (windows A and B) on a repository with 8
worktrees; every number is measured at B's LSP client, so it includes inotify,
the engine, the socket hop, the server and the stdio hop.

    python -m bench server                       # 5k files (about 2 minutes)
    python -m bench server --files 50000         # the big size
    python -m bench server --events 300 --idle 60
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls import uris
from pygls.lsp.client import LanguageClient

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}
WORKTREES = 8


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True, text=True
    ).stdout


def build(root: Path, files: int) -> list[Path]:
    main = root / "repo"
    main.mkdir(parents=True)
    git(main, "init", "-q", "-b", "main")
    body = "".join(f"line {i}\n" for i in range(1, 41))
    for i in range(files):
        folder = main / f"src/d{i // 100:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:05d}.txt").write_text(body)
    git(main, "add", "-A")
    git(main, "commit", "-q", "-m", "base")
    trees = [main]
    for n in range(1, WORKTREES):
        path = root / f"wt{n}"
        git(main, "worktree", "add", "-q", "-b", f"s{n}", str(path))
        # Every session works on a few files of its own, and one shared with its neighbour.
        for k in range(3):
            target = path / f"src/d0000/f{n * 10 + k:05d}.txt"
            target.write_text(body.replace("line 5\n", f"s{n} five\n"))
        trees.append(path)
    return trees


def stats_table(name: str, samples: list[float]) -> str:
    if not samples:
        return f"{name:<44} (no samples)"
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"{name:<44} n={len(samples):<4} median {statistics.median(samples):8.2f} ms"
        f"   p99 {p99:8.2f} ms   max {max(samples):8.2f} ms"
    )


class Window:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.client = LanguageClient("bench", "1")
        self.publishes: dict[str, list[tuple[float, int]]] = {}
        self.status: list[tuple[float, Any]] = []
        self.changed = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.publishes.setdefault(params.uri, []).append(
                (time.perf_counter(), len(params.diagnostics))
            )
            self.changed.set()

        @self.client.feature("agentls/sessionsChanged")
        def sessions(params: Any) -> None:
            self.status.append((time.perf_counter(), params))
            self.changed.set()

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def log_message(params: Any) -> None:
            pass

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def show_message(params: Any) -> None:
            print("server says:", params.message, file=sys.stderr)

    async def start(self) -> None:
        env = {**os.environ, "AGENTLS_ENGINE_GRACE": "1"}
        await self.client.start_io(sys.executable, "-m", "agentls", "serve", env=env)
        folder_uri = uris.from_fs_path(str(self.folder))
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=folder_uri,
                workspace_folders=[types.WorkspaceFolder(uri=folder_uri or "", name="w")],
            )
        )
        self.client.initialized(types.InitializedParams())

    async def wait(self, predicate: Any, timeout: float = 30) -> float:
        """Wait until PREDICATE() is truthy; the time it became so (perf_counter)."""
        end = time.perf_counter() + timeout
        while True:
            value = predicate()
            if value:
                return float(value) if not isinstance(value, bool) else time.perf_counter()
            self.changed.clear()
            remaining = end - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError("benchmark wait timed out")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)

    def last_count(self, uri: str) -> int | None:
        items = self.publishes.get(uri)
        return items[-1][1] if items else None

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self.client.shutdown_async(None), 10)
            self.client.exit(None)
        except Exception:
            pass
        await self.client.stop()


def engine_stats(common: Path) -> dict[str, Any]:
    from agentls.engine.client import connect

    client = connect(common)
    if client is None:
        return {}
    try:
        return dict(client.call("stats", {}))
    finally:
        client.close()


async def measure(trees: list[Path], events: int, idle: float) -> dict[str, list[float]]:
    a, b = trees[1], trees[2]
    shared = "src/d0000/f00099.txt"  # a file both A and B change
    base = (trees[0] / "src/d0000/f00000.txt").read_text()
    (b / shared).parent.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[float]] = {}
    win_b, win_a = Window(b), Window(a)
    # S1: cold start (no engine yet) to complete diagnostics at B.
    (b / shared).write_text(base.replace("line 20\n", "b twenty\n"))
    t0 = time.perf_counter()
    await win_b.start()
    done = await win_b.wait(lambda: win_b.status and win_b.status[-1][0])
    results["S1 cold start -> complete report at B"] = [(done - t0) * 1000]
    await win_a.start()
    await win_a.wait(lambda: bool(win_a.status))
    b_uri = uris.from_fs_path(str((b / shared).resolve())) or ""

    conflict = base.replace("line 20\n", "a twenty\n")

    async def toggle(kind: str, i: int) -> float:
        want = i % 2 == 0  # even: conflicting, odd: back to base (clears)
        text = conflict if want else base
        before = len(win_b.publishes.get(b_uri, []))
        start = time.perf_counter()
        if kind == "write":
            (a / shared).write_text(text)
        elif kind == "rename":
            tmp = a / (shared + ".tmp~")
            tmp.write_text(text)
            os.replace(tmp, a / shared)
        else:
            win_a.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(
                        uri=uris.from_fs_path(str(a / shared)) or "", version=i + 2
                    ),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )

        def arrived() -> float | None:
            items = win_b.publishes.get(b_uri, [])
            for stamp, count in items[before:]:
                if (count > 0) == want:
                    return stamp
            return None

        stamp = await win_b.wait(arrived)
        return (stamp - start) * 1000

    for kind, label in (
        ("write", "S2 saved edit (plain write)"),
        ("rename", "S2 saved edit (rename)"),
    ):
        results[label] = [await toggle(kind, i) for i in range(events)]
        if (a / shared).read_text() != base:
            await toggle(kind, 1)
    (a / shared).write_text(base)
    win_a.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uris.from_fs_path(str(a / shared)) or "",
                language_id="text",
                version=1,
                text=base,
            )
        )
    )
    results["S3 unsaved didChange"] = [await toggle("change", i) for i in range(events)]
    win_a.client.text_document_did_close(
        types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uris.from_fs_path(str(a / shared)) or "")
        )
    )
    await asyncio.sleep(0.5)

    # S4: 100 saves at 20 ms intervals; lag of the last diagnostic after the last save.
    lags = []
    for _round in range(3):
        for i in range(100):
            text = base.replace("line 20\n", f"a twenty v{i}\n") if i < 99 else base
            (a / shared).write_text(text)
            last = time.perf_counter()
            await asyncio.sleep(0.02)
        stamp = await win_b.wait(
            lambda: win_b.last_count(b_uri) == 0 and win_b.publishes[b_uri][-1][0]
        )
        lags.append(max(0.0, (stamp - last) * 1000))
        (a / shared).write_text(conflict)
        await win_b.wait(lambda: (win_b.last_count(b_uri) or 0) > 0)
    results["S4 burst of 100 (last diagnostic lag)"] = lags

    # S5: a commit in A (which holds the conflicting change) -> B's status shows it.
    commits = []
    for i in range(5):
        (a / f"src/d0001/new{i}.txt").write_text("x\n")
        seen = len(win_b.status)
        start = time.perf_counter()
        subprocess.run(["git", "add", "-A"], cwd=a, env=GIT_ENV, check=True)
        subprocess.run(["git", "commit", "-q", "-m", f"c{i}"], cwd=a, env=GIT_ENV, check=True)
        target = i + 1

        def committed(seen: int = seen, target: int = target) -> float | None:
            for stamp, params in win_b.status[seen:]:
                for s in params.sessions:
                    if s.name == "s1" and s.ahead >= target and not s.dirty:
                        return stamp
            return None

        stamp = await win_b.wait(committed)
        commits.append((stamp - start) * 1000)
    results["S5 commit -> updated diagnostics"] = commits

    # S6: idle.
    common = trees[0] / ".git"
    before = engine_stats(common)
    await asyncio.sleep(idle)
    after = engine_stats(common)
    cpu = (after["cpu_user"] + after["cpu_system"]) - (before["cpu_user"] + before["cpu_system"])
    results["_idle"] = [idle, cpu, after["rss_kib"] / 1024, after.get("watches", 0)]
    await win_a.stop()
    await win_b.stop()
    return results


def naive(trees: list[Path]) -> float:
    """What peers do per event: a fresh workspace, 8 snapshots and 28 merges."""
    from agentls.workspace import Workspace

    start = time.perf_counter()
    with Workspace(trees[0]) as ws:
        ws.refresh()
    return (time.perf_counter() - start) * 1000


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench server")
    parser.add_argument("--files", type=int, default=5000, help="files per worktree (5000, 50000)")
    parser.add_argument("--events", type=int, default=300, help="events per S2/S3 measure")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of S6 idle (issue: 60)")
    parser.add_argument("--dir", type=Path, help="build the repository here")
    args = parser.parse_args(argv)
    root = args.dir or Path(tempfile.mkdtemp(prefix="agentls-bench-"))
    print(f"building {args.files} files x {WORKTREES} worktrees in {root} ...", flush=True)
    t0 = time.perf_counter()
    trees = build(root, args.files)
    print(f"built in {time.perf_counter() - t0:.1f} s", flush=True)
    results = asyncio.run(measure(trees, args.events, args.idle))
    idle, cpu, rss, watches = results.pop("_idle")
    naive_ms = [naive(trees) for _ in range(3)]
    print(f"\nserver end to end, {args.files} files, {WORKTREES} worktrees")
    for name, samples in results.items():
        print(stats_table(name, samples))
    print(
        f"S6 idle {idle:.0f} s: engine CPU {cpu * 1000:.0f} ms total; "
        f"RSS {rss:.1f} MiB; {watches} watches"
    )
    print(stats_table("naive full recompute (8 snapshots + 28 merges)", naive_ms))
    s2 = statistics.median(results["S2 saved edit (plain write)"])
    print(f"naive / S2 median = {statistics.median(naive_ms) / s2:.0f}x")
