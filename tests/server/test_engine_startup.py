"""The engine's start-up: open files first, nothing lost while worktrees are scanned.

The engine's analysis thread (engine.worker.Worker) runs here on real repositories
with its real inotify watcher; only the socket in front of it is left out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentls.engine.protocol import EngineError
from agentls.engine.worker import Job, Worker
from agentls.workspace import Workspace
from tests.conftest import Repo, git, numbered
from tests.core.test_snapshot import _tree


class Published:
    """Reports the worker publishes, in order."""

    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []
        self.changed = threading.Condition()

    def __call__(self, serialized: str, report: dict[str, Any]) -> None:
        with self.changed:
            self.reports.append(report)
            self.changed.notify_all()

    def wait(self, predicate: Any, timeout: float = 30) -> dict[str, Any]:
        end = time.monotonic() + timeout
        with self.changed:
            while True:
                found = next((r for r in reversed(self.reports) if predicate(r)), None)
                if found is not None:
                    return found
                remaining = end - time.monotonic()
                assert remaining > 0, "no such report was published"
                self.changed.wait(remaining)


def call(worker: Worker, method: str, params: dict[str, Any], timeout: float = 60) -> Any:
    """A request as a connection sends it; waits for the answer."""
    done = threading.Event()
    answer: list[Any] = []

    def reply(result: Any, error: EngineError | None) -> None:
        answer.append(error if error is not None else result)
        done.set()

    worker.put(Job(kind="call", method=method, params=params, reply=reply))
    assert done.wait(timeout), f"no answer to {method}"
    if isinstance(answer[0], EngineError):
        raise answer[0]
    return answer[0]


def pending_call(worker: Worker, method: str, params: dict[str, Any]) -> list[Any]:
    """Queue a request; the returned list receives its answer."""
    answer: list[Any] = []
    worker.put(
        Job(
            kind="call",
            method=method,
            params=params,
            reply=lambda result, error: answer.append(error or result),
        )
    )
    return answer


def collisions(report: dict[str, Any], path: str) -> set[tuple[str, ...]]:
    return {(c["kind"], *sorted(c["sessions"])) for c in report["overlaps"] if c["path"] == path}


def three_sessions(repo: Repo) -> tuple[Path, Path]:
    repo.write(repo.main, "f.txt", numbered(30))
    repo.write(repo.main, "quiet.txt", numbered(5))
    repo.commit(repo.main, "base")
    b = repo.worktree("b", "b")
    c = repo.worktree("c", "c")
    repo.write(b, "f.txt", numbered(30).replace("line 7\n", "b seven\n"))
    repo.write(c, "f.txt", numbered(30).replace("line 7\n", "c seven\n"))
    repo.write(c, "other.txt", "only c\n")
    return b, c


@pytest.fixture
def worker(repo: Repo) -> Iterator[tuple[Worker, Published]]:
    published = Published()
    created: list[Worker] = []

    def make(**options: Any) -> tuple[Worker, Published]:
        w = Worker(repo.main / ".git", published, **options)
        created.append(w)
        return w, published

    yield make  # type: ignore[misc]
    for w in created:
        if w.thread.is_alive():
            w.stop()
            w.thread.join(timeout=10)
        else:
            w._close()


def test_open_files_are_answered_before_the_scans(repo: Repo, worker: Any) -> None:
    b, _c = three_sessions(repo)
    w, published = worker()
    w._open()  # sessions and HEADs only; no worktree watched or scanned yet
    assert w._loading is not None and not w.ws.complete
    subscribed = pending_call(w, "subscribe", {"open": [str(b / "f.txt")]})
    reported = pending_call(w, "report", {})
    w._batch(w._queued())
    [partial] = subscribed
    assert partial["complete"] is False
    assert collisions(partial, "f.txt") == {("conflict", "b", "c")}
    assert collisions(partial, "other.txt") == set()  # not asked about, not scanned yet
    assert reported == [], "the CLI's report waits for the complete picture"
    while w._loading is not None:
        w._load_step()
    [complete] = reported
    assert complete["complete"] is True and published.reports[-1] is complete
    with Workspace(repo.main) as cold:
        expected = cold.refresh().to_json()
    assert {(c["kind"], c["path"], *c["sessions"]) for c in complete["overlaps"]} == {
        (c["kind"], c["path"], *c["sessions"]) for c in expected["overlaps"]
    }
    assert complete["sessions"] == expected["sessions"]


def test_an_engine_started_early_waits_for_its_first_clients_open_files(
    repo: Repo, worker: Any
) -> None:
    """`agentls serve` starts its engine before loading pygls: the engine reads the
    sessions, then walks and scans no worktree until that server asks for its open
    files, so their answer has the disk and the cores to itself. A trunk setting (sent
    just before) does not end the wait; the first other request does."""
    b, _c = three_sessions(repo)
    w, published = worker(first_client_within=60)
    w.start()
    assert w.ready.wait(30)
    call(w, "configure", {})
    time.sleep(0.3)
    assert not any(w.watcher.is_root(str(s.path)) for s in w.ws.sessions), "walked already"
    assert w.stats["complete"] is False
    answer = call(w, "subscribe", {"open": [str(b / "f.txt")]})
    assert collisions(answer, "f.txt") == {("conflict", "b", "c")}
    complete = published.wait(lambda r: r.get("complete"))
    assert collisions(complete, "other.txt") == set()
    assert all(w.watcher.is_root(str(s.path)) for s in w.ws.sessions)


def test_an_engine_started_early_goes_on_when_nobody_asks(repo: Repo, worker: Any) -> None:
    """A server that never asks (it crashed while loading) holds the start-up back no
    longer than the time it was given; `agentls engine --status` is a request too."""
    three_sessions(repo)
    w, published = worker(first_client_within=0.5)
    w.start()
    complete = published.wait(lambda r: r.get("complete"))
    assert collisions(complete, "f.txt") == {("conflict", "b", "c")}
    assert w.stats["loaded_in"] >= 0.5
    asked, _ = worker(first_client_within=60)
    asked.start()
    assert call(asked, "stats", {}, timeout=30)["complete"] is True


def test_check_while_starting_reads_the_paths_asked(repo: Repo, worker: Any) -> None:
    b, _c = three_sessions(repo)
    w, _ = worker()
    w._open()
    answer = pending_call(w, "check", {"cwd": str(b), "paths": ["f.txt", "quiet.txt"]})
    w._batch(w._queued())
    [result] = answer
    assert not w.ws.complete
    files = {f["path"]: f["findings"] for f in result["files"]}
    assert [(f["kind"], f["session"]) for f in files["f.txt"]] == [("conflict", "c")]
    assert files["quiet.txt"] == []


def test_files_open_later_are_answered_too(repo: Repo, worker: Any) -> None:
    _b, c = three_sessions(repo)
    w, published = worker()
    w._open()
    call_answer = pending_call(w, "focus", {"paths": [str(c / "f.txt")]})
    w._batch(w._queued())
    assert call_answer[0]["complete"] is False and call_answer[0]["changed"] is True
    assert collisions(published.reports[-1], "f.txt") == {("conflict", "b", "c")}


def test_edits_while_starting_are_not_lost(repo: Repo, worker: Any) -> None:
    """Files written while the engine watches and scans the worktrees end up in its
    state exactly as `git add -A` sees them once the writing stops."""
    repo.write(repo.main, ".gitignore", "ignored/\n")
    for i in range(400):
        repo.write(repo.main, f"pkg{i % 20}/mod{i}.py", numbered(8))
    repo.commit(repo.main, "base")
    trees = [repo.main] + [repo.worktree(f"wt{n}", f"s{n}") for n in range(1, 6)]
    stop = threading.Event()

    def write() -> None:
        n = 0
        while not stop.is_set():
            for k, wt in enumerate(trees):
                repo.write(wt, f"pkg{n % 20}/mod{(n * 7 + k) % 400}.py", f"edit {n}\n")
                repo.write(wt, f"fresh/n{n % 50}.txt", f"new {n}\n")
                if n % 5 == 0:
                    (wt / f"pkg{(n + 3) % 20}/mod{(n * 11) % 400}.py").unlink(missing_ok=True)
            n += 1
            time.sleep(0.002)

    writer = threading.Thread(target=write)
    w, _ = worker()
    writer.start()
    try:
        w.start()
        time.sleep(1.0)
    finally:
        stop.set()
        writer.join()
    time.sleep(0.5)  # let inotify deliver the last writes
    call(w, "report", {})  # answered once loaded and every queued event is applied
    for wt in trees:
        located = w.ws.locate(wt / "x")
        assert located is not None
        live, expected = located[0].snapshot_tree(), _tree(wt)
        if live != expected:
            diff = git(wt, "diff", "--stat", "--no-renames", expected, live)
            raise AssertionError(f"{wt.name} lost an edit: {diff}")


def test_tracked_files_in_ignored_folders_and_new_deep_folders(repo: Repo, worker: Any) -> None:
    """A folder git ignores but tracks files in is watched; so is a folder made later
    inside a folder that had no subfolders (the walk skips listing those)."""
    repo.write(repo.main, ".gitignore", "build/\n")
    repo.write(repo.main, "build/keep.txt", numbered(10))
    repo.write(repo.main, "leaf/only.txt", numbered(10))
    git(repo.main, "add", "-f", "build/keep.txt")
    repo.commit(repo.main, "base")
    b = repo.worktree("b", "b")
    repo.write(repo.main, "build/keep.txt", numbered(10).replace("line 2\n", "main two\n"))
    w, published = worker()
    w.start()
    call(w, "report", {})
    repo.write(b, "build/keep.txt", numbered(10).replace("line 2\n", "b two\n"))
    report = published.wait(lambda r: bool(collisions(r, "build/keep.txt")))
    assert collisions(report, "build/keep.txt") == {("conflict", "b", "main")}
    repo.write(repo.main, "leaf/deeper/new.txt", "main\n")
    repo.write(b, "leaf/deeper/new.txt", "b\n")
    # The new folder's walk may read a file created but not yet written (an
    # empty add merges cleanly: an overlap) before its close-write event: wait past it.
    report = published.wait(
        lambda r: ("conflict", "b", "main") in collisions(r, "leaf/deeper/new.txt")
    )
    assert collisions(report, "leaf/deeper/new.txt") == {("conflict", "b", "main")}


def test_a_worktree_git_cannot_read_does_not_stall_the_start(repo: Repo, worker: Any) -> None:
    _b, c = three_sessions(repo)
    gitdir = Path(git(c, "rev-parse", "--absolute-git-dir"))
    (gitdir / "index").write_bytes(b"not an index")  # `git status` refuses this worktree
    w, _ = worker()
    w.start()
    report = call(w, "report", {})
    assert report["complete"] is True
    # The others are scanned: b's uncommitted edit is there; c counts as its HEAD.
    assert "f.txt" in next(s for s in report["sessions"] if s["name"] == "b")["changed"]


def test_the_language_server_process_loads_no_git_library(tmp_path: Path) -> None:
    """An editor waits for `agentls serve` to import before it can open a file: the
    engine does all git work, so the server leaves pygit2 (~0.2 s of a ~1 s start on
    a slow machine) out. Outside a repository it starts no engine and exits at EOF."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "agentls", "serve"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    loaded = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "agentls.server.server" in loaded, proc.stderr[-2000:]
    assert not {"pygit2", "git", "agentls.changes"} & loaded
