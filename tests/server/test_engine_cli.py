"""`agentls engine --status/--stop` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from tests.conftest import Repo
from tests.server.conftest import server_env


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
    from agentls.engine.client import connect
    from tests.conftest import numbered

    repo.write(repo.main, "f.txt", numbered(10))
    repo.commit(repo.main, "base")
    a, b = repo.worktree("a", "a"), repo.worktree("b", "b")
    repo.write(b, "f.txt", numbered(10).replace("line 4\n", "b\n"))
    engine = subprocess.Popen(
        [sys.executable, "-m", "agentls", "-C", str(repo.main), "engine", "--grace", "30"],
        env=server_env(),
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while (client := connect(repo.main / ".git")) is None:
            assert time.monotonic() < deadline, "the engine did not come up"
            time.sleep(0.2)
        client.call("report", {})
        # An editor in A holds an unsaved, conflicting buffer; nothing is on A's disk.
        client.notify(
            "buffer", {"path": str(a / "f.txt"), "text": numbered(10).replace("line 4\n", "a\n")}
        )
        while True:
            data = json.loads(agentls("-C", str(a), "status", "--json").stdout)
            if any(c["kind"] == "conflict" for c in data["overlaps"]):
                break
            assert time.monotonic() < deadline, "status never showed the unsaved conflict"
            time.sleep(0.2)
        assert (a / "f.txt").read_text() == numbered(10)
        # Without the engine, the same command analyses the disk alone: no conflict.
        client.close()
        agentls("-C", str(repo.main), "engine", "--stop")
        assert engine.wait(timeout=30) == 0
        data = json.loads(agentls("-C", str(a), "status", "--json").stdout)
        assert data["overlaps"] == []
    finally:
        engine.kill()
