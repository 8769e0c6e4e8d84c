"""`agentls engine --status/--stop` from the command line."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agentls.cli.serve import FIRST_CLIENT_WITHIN
from agentls.engine.client import EngineClient, connect
from agentls.engine.protocol import EngineError
from tests.conftest import Repo, git, numbered
from tests.server.conftest import server_env, wait_gone


@contextlib.contextmanager
def running_engine(main: Path) -> Iterator[tuple[subprocess.Popen[bytes], EngineClient]]:
    """An engine for MAIN's repository and a client attached to it; killed afterwards."""
    engine = subprocess.Popen(
        [sys.executable, "-m", "agentls", "-C", str(main), "engine", "--grace", "30"],
        env=server_env(),
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while (client := connect(main / ".git")) is None:
            assert time.monotonic() < deadline, "the engine did not come up"
            time.sleep(0.1)
        try:
            yield engine, client
        finally:
            client.close()
    finally:
        engine.kill()
        engine.wait(timeout=30)


def agentls(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentls", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=server_env(),
    )


def test_status_and_stop(repo: Repo) -> None:
    repo.write(repo.main, "a.txt", "a\n")
    repo.commit(repo.main, "base")
    main = str(repo.main)
    assert agentls("-C", main, "engine", "--status").returncode == 1  # none runs yet
    engine = subprocess.Popen(
        [sys.executable, "-m", "agentls", "-C", main, "engine", "--grace", "30"],
        env=server_env(),
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while (status := agentls("-C", main, "engine", "--status")).returncode != 0:
            assert time.monotonic() < deadline, "the engine did not come up"
            time.sleep(0.2)
        assert json.loads(status.stdout)["pid"] == engine.pid
        stopped = agentls("-C", main, "engine", "--stop")
        assert stopped.returncode == 0 and stopped.stderr == "", stopped.stderr
        assert engine.wait(timeout=30) == 0
        assert agentls("-C", main, "engine", "--status").returncode == 1
    finally:
        engine.kill()


def test_status_reads_the_engines_live_report(repo: Repo) -> None:
    """The CLI attaches to a running engine, so it sees editors' unsaved buffers too."""
    repo.write(repo.main, "f.txt", numbered(10))
    repo.commit(repo.main, "base")
    a, b = repo.worktree("a", "a"), repo.worktree("b", "b")
    repo.write(b, "f.txt", numbered(10).replace("line 4\n", "b\n"))
    with running_engine(repo.main) as (engine, client):
        client.call("report", {})
        # An editor in A holds an unsaved, conflicting buffer; nothing is on A's disk.
        client.notify(
            "buffer", {"path": str(a / "f.txt"), "text": numbered(10).replace("line 4\n", "a\n")}
        )
        _until(
            lambda: any(
                c["kind"] == "conflict"
                for c in json.loads(agentls("-C", str(a), "status", "--json").stdout)["overlaps"]
            ),
            "status showing the unsaved conflict",
        )
        assert (a / "f.txt").read_text() == numbered(10)
        # Without the engine, the same command analyses the disk alone: no conflict.
        agentls("-C", str(repo.main), "engine", "--stop")
        assert engine.wait(timeout=30) == 0
    data = json.loads(agentls("-C", str(a), "status", "--json").stdout)
    assert data["overlaps"] == []


def _serves(common: Path) -> bool:
    client = connect(common)
    if client is not None:
        client.close()
    return client is not None


def _until(predicate: Callable[[], object], what: str, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_big_engine_log_is_rotated_and_lines_are_stamped(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentls.engine.paths import log_path
    from agentls.engine.spawn import attach

    repo.write(repo.main, "a.txt", "a\n")
    repo.commit(repo.main, "base")
    common = repo.main / ".git"
    log = log_path(common)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("old line\n" * ((2 << 20) // 9))  # 2 MiB of earlier runs
    monkeypatch.setenv("AGENTLS_ENGINE_GRACE", "0.2")
    client = attach(common)
    pid = client.call("stats", {})["pid"]
    client.close()
    assert wait_gone(pid, 30), "the engine did not exit"
    assert log.stat().st_size < 10_000, "the engine log keeps growing"
    assert (log.parent / "engine.log.1").read_text().startswith("old line\n")
    lines = log.read_text().splitlines()
    assert any(f"engine[{pid}] INFO" in line and "starts for" in line for line in lines), lines
    assert lines[0][:4].isdigit(), lines  # a timestamp first


def test_an_engine_started_while_the_old_one_exits_takes_over(repo: Repo) -> None:
    """The lock is busy and nobody answers (an engine on its way out): wait, then serve."""
    from agentls.engine.paths import lock_path

    repo.write(repo.main, "a.txt", "a\n")
    repo.commit(repo.main, "base")
    common = repo.main / ".git"
    lock = lock_path(common)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # the old engine, exiting
        engine = subprocess.Popen(
            [sys.executable, "-m", "agentls", "engine", "--repository", str(common)],
            env={**server_env(), "AGENTLS_ENGINE_GRACE": "0.2"},
            stderr=subprocess.DEVNULL,
        )

        def opened_the_lock() -> bool:
            with contextlib.suppress(OSError):
                fds = Path(f"/proc/{engine.pid}/fd").iterdir()
                return any(os.readlink(fd) == str(lock) for fd in fds)
            return False

        try:
            _until(lambda: opened_the_lock() or engine.poll() is not None, "the new engine")
        finally:
            fcntl.flock(held.fileno(), fcntl.LOCK_UN)  # the old engine is gone
    try:
        _until(lambda: _serves(common) or engine.poll() is not None, "the new engine to serve")
        client = connect(common)
        assert client is not None, f"the new engine gave up (exit {engine.returncode})"
        assert client.call("stats", {})["pid"] == engine.pid
        client.close()
        assert engine.wait(timeout=30) == 0
    finally:
        engine.kill()


def test_a_vanished_nested_repository_leaves_the_change_set(repo: Repo) -> None:
    """Deleting a nested repo's folder drops its gitlink, not only the files below it."""
    import shutil

    repo.write(repo.main, "a.txt", "a\n")
    repo.commit(repo.main, "base")
    work = repo.worktree("w", "w")
    nested = work / "vendor"
    nested.mkdir()
    git(nested, "init", "-q")
    repo.write(nested, "x.txt", "x\n")
    repo.commit(nested, "nested")
    with running_engine(repo.main) as (_engine, client):

        def changed() -> list[str]:
            report = client.call("report", {})
            return next(s["changed"] for s in report["sessions"] if s["name"] == "w")

        assert changed() == ["vendor"]
        shutil.rmtree(nested)
        _until(lambda: changed() == [], "the nested repo to leave the change set")


def test_a_land_outlives_the_window_that_asked_for_it(repo: Repo) -> None:
    """The last client leaves while its land runs: the engine finishes it, then exits."""
    repo.write(repo.main, "f.txt", numbered(5))
    repo.write(repo.main, ".agentls.toml", '[land]\ntest = "sleep 3"\n')
    repo.commit(repo.main, "base with a slow test command")
    lander = repo.worktree("c", branch="c")
    repo.write(lander, "c.txt", "c's own work\n")
    landed = repo.commit(lander, "c's work")
    engine = subprocess.Popen(
        [sys.executable, "-m", "agentls", "-C", str(repo.main), "engine", "--grace", "0.5"],
        env=server_env(),
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while (client := connect(repo.main / ".git")) is None:
            assert time.monotonic() < deadline, "the engine did not come up"
            time.sleep(0.1)
        started = time.monotonic()
        # A client that sends the land and hangs up at once (a window closed mid-land).
        land = {"command": "agentls.session.land", "arguments": {"session": "c"}}
        progress = threading.Event()
        asking = threading.Thread(
            target=_call_quietly, args=(client, land, lambda _: progress.set()), daemon=True
        )
        asking.start()
        assert progress.wait(30), "the land never reported progress"
        client.close()
        assert engine.wait(timeout=60) == 0
        # It stayed past its 0.5 s grace for the 3 s test command, and the land completed.
        assert time.monotonic() - started > 3
        assert git(repo.main, "rev-parse", "main") == landed
        assert git(repo.main, "status", "--porcelain") == ""
    finally:
        engine.kill()
        engine.wait(timeout=30)


def _call_quietly(client: EngineClient, params: dict[str, object], on_progress: Any) -> None:
    with contextlib.suppress(EngineError):  # the connection closes under it
        client.call("command", params, timeout=30, on_progress=on_progress)


def test_serve_starts_its_folders_engine_before_the_client_says_anything(
    repo: Repo, tmp_path: Path
) -> None:
    """Editors start `agentls serve` in the workspace folder: the engine of that folder's
    repository starts while the server still loads pygls (no `initialize` needed), and
    one nobody attaches to goes away after its grace. A folder outside any repository
    starts nothing."""
    repo.write(repo.main, "a.txt", numbered(5))
    repo.commit(repo.main, "base")
    session = repo.worktree("s1", "s1")
    common = repo.main / ".git"
    server = subprocess.Popen(
        [sys.executable, "-m", "agentls", "serve"],
        cwd=session,
        env=server_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _until(lambda: _serves(common), "the engine to serve before initialize")
        client = connect(common)
        assert client is not None
        engine_pid = client.call("stats", {})["pid"]
        client.close()
        # It holds its walks and scans for the server's open files (Worker docstring).
        cmdline = Path(f"/proc/{engine_pid}/cmdline").read_bytes().split(b"\0")
        at = cmdline.index(b"--first-client-within")
        assert float(cmdline[at + 1]) == FIRST_CLIENT_WITHIN > 0
    finally:
        assert server.stdin is not None
        server.stdin.close()  # the editor went away without a word
        server.wait(timeout=30)
    # Watched by its pid: every connection would restart its grace.
    assert wait_gone(engine_pid, 60), "the unattached engine did not exit after its grace"

    outside = tmp_path / "not-a-repository"
    outside.mkdir()
    lone = subprocess.run(
        [sys.executable, "-m", "agentls", "serve"],
        cwd=outside,
        env=server_env(),
        input=b"",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert lone.stdout == b""  # nothing on the protocol stream, and no engine anywhere
    assert not (outside / ".git").exists() and not _serves(common)


def test_a_bad_first_client_wait_is_refused(repo: Repo) -> None:
    repo.write(repo.main, "a.txt", "a\n")
    repo.commit(repo.main, "base")
    for bad in ("-1", "nan", "inf", "soon"):
        done = agentls("-C", str(repo.main), "engine", "--first-client-within", bad)
        assert done.returncode == 2, (bad, done.stderr)
        assert "is not a number of seconds (0 or more)" in done.stderr
        assert not (repo.main / ".git" / "agentls" / "engine.sock").exists()


def test_an_engine_waits_for_the_first_client_it_was_promised(repo: Repo) -> None:
    """`agentls serve` starts its engine early and attaches only once pygls is loaded
    (0.5-1.3 s, longer on a busy machine). A short grace must not end that engine
    before then: the server would find it gone, or lose it while subscribing."""
    repo.write(repo.main, "a.txt", "a\n")
    repo.commit(repo.main, "base")
    started = time.monotonic()
    engine = subprocess.Popen(
        [sys.executable, "-m", "agentls", "-C", str(repo.main), "engine", "--grace", "0.1",
         "--first-client-within", "3"],
        env=server_env(),
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert engine.wait(timeout=60) == 0
    finally:
        engine.kill()
    assert time.monotonic() - started >= 3
