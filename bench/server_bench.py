"""End-to-end latency of the language server and engine (issues 3 and 16, S1..S6).

Two real `agentls serve` processes (windows A and B, sessions s1 and s2) on a
workload from bench/workload.py with 8 or 30 worktree sessions; every number is
measured at B's LSP client, so it includes inotify, the engine, the socket hop, the
server and the stdio hop. The naive cycle (bench/naive.py: a temporary-index
snapshot of every worktree, one `git merge-tree` per pair) runs in the same run.

    python -m bench server                                   # 5k files; 8 and 30 sessions
    python -m bench server --files 50000 --sessions 30 --cold
    python -m bench server --events 300 --idle 60

S1 is engine start (no engine running; B's server starts it) to the first complete
report at B, and to the first diagnostics for the file B has open (shared/config2.py,
which other sessions changed too). `--cold` measures both once more with the page
cache dropped first (`echo 3 > /proc/sys/vm/drop_caches`, as root), and the naive
cycle likewise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

from lsprotocol import types
from pygls import uris
from pygls.lsp.client import LanguageClient
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification

from agentls.engine.protocol import EngineError
from bench.naive import naive_cycle
from bench.options import count, counts, seconds
from bench.workload import ENV as GIT_ENV
from bench.workload import Workload, generate

BENCH_FILE = "pkg2/mod9.py"  # S2-S4: only A and B ever write it
OPEN_FILE = "shared/config2.py"  # open in B from the start; other sessions changed it too
NEW_FILES = "pkg1/bench_new{}.txt"  # S5's commits in A


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True, text=True
    ).stdout


def stats_table(name: str, samples: list[float]) -> str:
    if not samples:
        return f"{name:<48} (no samples)"
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"{name:<48} n={len(samples):<4} median {statistics.median(samples):8.1f} ms"
        f"   p99 {p99:8.1f} ms   max {max(samples):8.1f} ms"
    )


# --- the workload, reused between runs -----------------------------------------------------


def restore(workload: Workload) -> None:
    """Put back what a run changed: A's commits and new files, the bench file in A and B.

    The first run records every worktree's HEAD next to the workload.
    """
    record = workload.root / "bench-heads.json"
    if not record.exists():
        heads = {str(wt): git(wt, "rev-parse", "HEAD").strip() for wt in workload.worktrees}
        record.write_text(json.dumps(heads))
    heads = json.loads(record.read_text())
    for wt in workload.worktrees[1:3]:
        if git(wt, "rev-parse", "HEAD").strip() != heads[str(wt)]:
            git(wt, "reset", "-q", "--soft", heads[str(wt)])
            git(wt, "reset", "-q")
        for i in range(50):
            (wt / NEW_FILES.format(i)).unlink(missing_ok=True)
        git(wt, "checkout", "-q", "HEAD", "--", BENCH_FILE)


def drop_caches(workload: Workload) -> str:
    """Empty the page cache (and the inode and dentry caches) before a cold measure."""
    subprocess.run(["sync"], check=False)
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return "page cache dropped (echo 3 > /proc/sys/vm/drop_caches)"
    except OSError as exc:
        # Not root: evict the files' data at least (inodes and folders stay cached).
        for folder, _dirs, files in os.walk(workload.root):
            for name in files:
                with contextlib.suppress(OSError):
                    fd = os.open(os.path.join(folder, name), os.O_RDONLY)
                    try:
                        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                    finally:
                        os.close(fd)
        return f"drop_caches refused ({exc}); file data evicted with posix_fadvise only"


def naive_ms(workload: Workload) -> float:
    start = time.perf_counter()
    naive_cycle(workload.worktrees)
    return (time.perf_counter() - start) * 1000


# --- one editor window ------------------------------------------------------------------------


class Status(NamedTuple):
    """What the benchmark needs of one agentls/sessionsChanged: no more.

    The client keeps only these atoms. Keeping every notification's params (30
    sessions of nested objects each) made this process's own garbage collector pause
    for up to 0.7 s by the end of a run, and those pauses were the p99 of S2/S3.
    """

    complete: bool
    sessions: dict[str, tuple[int, bool]]  # name -> (ahead, dirty)


class PlainJsonProtocol(LanguageServerProtocol):
    """agentls's own notifications as plain JSON objects, as VS Code and Neovim get them.

    pygls's client turns the params of a notification it has no type for into
    namedtuples, making a new class for every JSON object: ~150 classes per
    sessionsChanged at 30 sessions. That cost this process (the editor here) ~10 ms
    of CPU per report, on the same two cores as the server, and was counted as S2.
    """

    def structure_message(self, data: dict[str, Any]) -> Any:
        method = data.get("method", "")
        if "id" not in data and method.startswith("agentls/"):
            return JsonRPCNotification(
                method=method, jsonrpc=data["jsonrpc"], params=data.get("params")
            )
        return super().structure_message(data)


class Window:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.client = LanguageClient("bench", "1", protocol_cls=PlainJsonProtocol)
        self.publishes: dict[str, list[tuple[float, int]]] = {}
        self.status: list[tuple[float, Status]] = []
        self.changed = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.publishes.setdefault(params.uri, []).append(
                (time.perf_counter(), len(params.diagnostics))
            )
            self.changed.set()

        @self.client.feature("agentls/sessionsChanged")
        def sessions(params: Any) -> None:
            summary = {s["name"]: (int(s["ahead"]), bool(s["dirty"])) for s in params["sessions"]}
            status = Status(bool(params.get("complete", True)), summary)
            self.status.append((time.perf_counter(), status))
            self.changed.set()

        @self.client.feature("agentls/reviewChanged")
        @self.client.feature("agentls/semanticChanged")
        def ignored(params: Any) -> None:
            pass

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def log_message(params: Any) -> None:
            pass

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def show_message(params: Any) -> None:
            print("server says:", params.message, file=sys.stderr)

    async def start(self) -> None:
        env = {**os.environ, "AGENTLS_ENGINE_GRACE": "1"}
        # In the workspace folder, as VS Code and Neovim start it.
        await self.client.start_io(
            sys.executable, "-m", "agentls", "serve", env=env, cwd=str(self.folder)
        )
        folder_uri = uris.from_fs_path(str(self.folder))
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=folder_uri,
                workspace_folders=[types.WorkspaceFolder(uri=folder_uri or "", name="w")],
            )
        )
        self.client.initialized(types.InitializedParams())

    def uri(self, path: str) -> str:
        return uris.from_fs_path(str((self.folder / path).resolve())) or ""

    def open(self, path: str) -> None:
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=self.uri(path),
                    language_id="text",
                    version=1,
                    text=(self.folder / path).read_text(),
                )
            )
        )

    async def wait(self, predicate: Any, timeout: float = 300) -> float:
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

    def complete_at(self) -> float | None:
        for stamp, status in self.status:
            if status.complete:
                return stamp
        return None

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


def peak_rss_mib(pid: int) -> float:
    """The engine's high-water mark of resident memory (VmHWM)."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def wait_engine_gone(common: Path, timeout: float = 60) -> None:
    """Wait until the engine has exited. Polled by its pid, not its socket: every client
    that connects restarts the engine's grace period, so asking would keep it alive."""
    end = time.monotonic() + timeout
    pid = None
    while pid is None:
        try:
            pid = engine_stats(common).get("pid")
        except EngineError:  # it closed the connection while answering: it is exiting
            if time.monotonic() > end:
                raise
            await asyncio.sleep(0.1)
            continue
        break
    while pid and time.monotonic() < end:
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return
        await asyncio.sleep(0.1)
    if pid:
        raise TimeoutError(f"the engine (pid {pid}) did not exit within {timeout:.0f} s")


# --- S1: engine start -------------------------------------------------------------------------


async def start_b(b: Path) -> tuple[Window, dict[str, float]]:
    """Start window B (and with it the engine), its file open from the first moment."""
    win = Window(b)
    t0 = time.perf_counter()
    await win.start()
    up = time.perf_counter()  # the server answered `initialize`: Python and pygls loaded
    win.open(OPEN_FILE)
    uri = win.uri(OPEN_FILE)
    first = await win.wait(
        lambda: next((t for t, count in win.publishes.get(uri, []) if count > 0), None)
    )
    complete = await win.wait(win.complete_at)
    return win, {
        "server up": (up - t0) * 1000,
        "open file": (first - t0) * 1000,
        "complete": (complete - t0) * 1000,
    }


async def cold_start(workload: Workload, cold: bool) -> dict[str, float]:
    """One S1 measure on its own engine (stopped again afterwards)."""
    common = workload.worktrees[0] / ".git"
    await wait_engine_gone(common)
    if cold:
        drop_caches(workload)
    win, times = await start_b(workload.worktrees[2])
    stats = engine_stats(common)
    times["rss"] = stats.get("rss_kib", 0) / 1024
    times["engine"] = (stats.get("loaded_in") or 0) * 1000
    await win.stop()
    await wait_engine_gone(common)
    return times


# --- S2..S6 ------------------------------------------------------------------------------------


async def measure(workload: Workload, events: int, idle: float) -> dict[str, Any]:
    a, b = workload.worktrees[1], workload.worktrees[2]
    base = (a / BENCH_FILE).read_text()
    mine = base.replace("line 20\n", "b twenty\n", 1)
    conflict = base.replace("line 20\n", "a twenty\n", 1)
    assert mine != base and conflict != base
    (b / BENCH_FILE).write_text(mine)
    results: dict[str, Any] = {}
    win_b, s1 = await start_b(b)
    results["s1"] = s1
    common = workload.worktrees[0] / ".git"
    loaded = engine_stats(common)
    results["rss_loaded"] = loaded.get("rss_kib", 0) / 1024
    results["watches"] = loaded.get("watches", 0)
    win_a = Window(a)
    await win_a.start()
    await win_a.wait(lambda: bool(win_a.status))
    b_uri = win_b.uri(BENCH_FILE)
    a_uri = uris.from_fs_path(str(a / BENCH_FILE)) or ""
    # This process is the editor here; a real one is not a Python heap of lsprotocol
    # and pygls. Its collector walked that heap every ~0.4 s (60 ms pauses, counted as
    # the server's latency): what exists now is set aside from collection.
    gc.collect()
    gc.freeze()

    async def toggle(kind: str, i: int) -> float:
        want = i % 2 == 0  # even: conflicting, odd: back to base (clears)
        text = conflict if want else base
        before = len(win_b.publishes.get(b_uri, []))
        start = time.perf_counter()
        if kind == "write":
            (a / BENCH_FILE).write_text(text)
        elif kind == "rename":
            tmp = a / (BENCH_FILE + ".tmp~")
            tmp.write_text(text)
            os.replace(tmp, a / BENCH_FILE)
        else:
            win_a.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=a_uri, version=i + 2),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )

        def arrived() -> float | None:
            for stamp, published in win_b.publishes.get(b_uri, [])[before:]:
                if (published > 0) == want:
                    return stamp
            return None

        stamp = await win_b.wait(arrived, timeout=30)
        return (stamp - start) * 1000

    for kind, label in (
        ("write", "S2 saved edit (plain write)"),
        ("rename", "S2 saved edit (rename)"),
    ):
        results[label] = [await toggle(kind, i) for i in range(events)]
        if (a / BENCH_FILE).read_text() != base:
            await toggle(kind, 1)
    (a / BENCH_FILE).write_text(base)
    win_a.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=a_uri, language_id="text", version=1, text=base
            )
        )
    )
    results["S3 unsaved didChange"] = [await toggle("change", i) for i in range(events)]
    win_a.client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=a_uri))
    )
    await asyncio.sleep(0.5)

    # S4: 100 saves at 20 ms intervals; lag of the last diagnostic after the last save.
    lags = []
    for _round in range(3):
        for i in range(100):
            text = base.replace("line 20\n", f"a twenty v{i}\n", 1) if i < 99 else base
            (a / BENCH_FILE).write_text(text)
            last = time.perf_counter()
            await asyncio.sleep(0.02)
        stamp = await win_b.wait(
            lambda: win_b.last_count(b_uri) == 0 and win_b.publishes[b_uri][-1][0]
        )
        lags.append(max(0.0, (stamp - last) * 1000))
        (a / BENCH_FILE).write_text(conflict)
        await win_b.wait(lambda: (win_b.last_count(b_uri) or 0) > 0)
    results["S4 burst of 100 (last diagnostic lag)"] = lags

    # S5: a commit in A (which holds the conflicting change) -> B's status shows it.
    commits = []
    for i in range(5):
        (a / NEW_FILES.format(i)).write_text("x\n")
        seen = len(win_b.status)
        start = time.perf_counter()
        git(a, "add", "-A")
        git(a, "commit", "-q", "-m", f"c{i}")
        target = i + 1

        def committed(seen: int = seen, target: int = target) -> float | None:
            for stamp, status in win_b.status[seen:]:
                ahead, dirty = status.sessions.get("session1", (0, True))
                if ahead >= target + 1 and not dirty:
                    return stamp
            return None

        stamp = await win_b.wait(committed, timeout=60)
        commits.append((stamp - start) * 1000)
    results["S5 commit -> updated report"] = commits

    # S6: idle.
    before = engine_stats(common)
    await asyncio.sleep(idle)
    after = engine_stats(common)
    cpu = (after["cpu_user"] + after["cpu_system"]) - (before["cpu_user"] + before["cpu_system"])
    results["idle"] = {
        "seconds": idle,
        "cpu_ms": cpu * 1000,
        "rss": after["rss_kib"] / 1024,
        "peak_rss": peak_rss_mib(int(after["pid"])),
        "watches": after.get("watches", 0),
    }
    await win_a.stop()
    await win_b.stop()
    await wait_engine_gone(common)
    return results


# --- the run ------------------------------------------------------------------------------------


def tier(files: int, sessions: int, args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    workload = generate(files, sessions=sessions, busy=args.busy)
    print(
        f"\n--- {files} files x {sessions} sessions, {min(args.busy, sessions)} editing shared"
        f" files ({workload.root}, ready in {time.perf_counter() - t0:.1f} s) ---",
        flush=True,
    )
    restore(workload)
    load_before = os.getloadavg()[0]
    pairs = sessions * (sessions - 1) // 2
    try:
        naive = [naive_ms(workload) for _ in range(args.naive)]
        starts = [asyncio.run(cold_start(workload, cold=False)) for _ in range(args.starts)]
        cold: dict[str, float] = {}
        naive_cold = 0.0
        if args.cold:
            print(drop_caches(workload), flush=True)
            naive_cold = naive_ms(workload)
            cold = asyncio.run(cold_start(workload, cold=True))
        results = asyncio.run(measure(workload, args.events, args.idle))
    finally:
        restore(workload)
    # The machine is shared: say how busy it was (1-minute load average, 2 cores).
    print(f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    naive_p50 = statistics.median(naive)
    label = f"naive cycle ({sessions} snapshots + {pairs} merges)"
    print(stats_table(label + ", warm", naive))
    if args.cold:
        print(stats_table(label + ", cache dropped", [naive_cold]))
    s1 = [results["s1"], *starts]
    print(stats_table("S1 start -> B's server answers initialize", [s["server up"] for s in s1]))
    print(stats_table("S1 start -> diagnostics of the open file", [s["open file"] for s in s1]))
    print(stats_table("S1 start -> first complete report, warm", [s["complete"] for s in s1]))
    print(stats_table("   of which engine start-up (in the engine)", [s["engine"] for s in starts]))
    if cold:
        print(stats_table("S1 start -> diagnostics of the open file, cold", [cold["open file"]]))
        print(stats_table("S1 start -> first complete report, cold", [cold["complete"]]))
    for name in (
        "S2 saved edit (plain write)",
        "S2 saved edit (rename)",
        "S3 unsaved didChange",
        "S4 burst of 100 (last diagnostic lag)",
        "S5 commit -> updated report",
    ):
        print(stats_table(name, results[name]))
    idle = results["idle"]
    print(
        f"S6 idle {idle['seconds']:.0f} s: engine CPU {idle['cpu_ms']:.0f} ms; RSS "
        f"{idle['rss']:.0f} MiB (after start-up {results['rss_loaded']:.0f} MiB, peak "
        f"{idle['peak_rss']:.0f} MiB); {idle['watches']} watches"
    )
    complete = statistics.median(s["complete"] for s in s1)
    s2 = statistics.median(results["S2 saved edit (plain write)"])
    print(
        f"start -> complete report / naive cycle: warm {complete / naive_p50:.2f}"
        + (f", cold {cold['complete'] / naive_cold:.2f}" if cold else "")
        + f"; naive / S2 median = {naive_p50 / s2:.0f}x"
    )


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench server")
    parser.add_argument(
        "--files", type=counts(), default="5000", help="files per worktree: 5000 or 5000,50000"
    )
    parser.add_argument(
        "--sessions", type=counts(3), default="8,30", help="worktree sessions per tier: 8,30"
    )
    parser.add_argument("--events", type=count(), default=300, help="events per S2/S3 measure")
    parser.add_argument("--idle", type=seconds, default=20.0, help="seconds of S6 idle (issue: 60)")
    parser.add_argument("--starts", type=count(0), default=2, help="extra warm S1 measures")
    parser.add_argument(
        "--busy",
        type=count(0),
        default=8,
        help="sessions that also edit the shared files (the rest keep to their own packages)",
    )
    parser.add_argument("--naive", type=count(), default=3, help="warm naive cycles")
    parser.add_argument(
        "--cold", action="store_true", help="also start with the page cache dropped (root)"
    )
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores; times from B's LSP client", flush=True)
    for files in args.files:
        for sessions in args.sessions:
            tier(files, sessions, args)
