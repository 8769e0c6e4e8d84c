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
