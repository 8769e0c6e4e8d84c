"""The engine's background semantic checks: real engine process, real runs, real kills."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from agentls.engine.client import EngineClient, connect
from agentls.engine.protocol import EngineError
from agentls.semantic import trust
from tests.conftest import Repo, git
from tests.semantic.conftest import (
    PRICES,
    TEST_PRICES,
    UNITTEST,
    common_dir,
    configure,
    counting,
    runs,
    session,
    settings,
)

CART = "from shop import prices\n\n\ndef checkout(items):\n    return prices.total(items) + 5\n"
TEST_CART = (
    "import unittest\n\nfrom shop import cart\n\n\nclass CartTest(unittest.TestCase):\n"
    "    def test_checkout(self):\n        self.assertEqual(cart.checkout([1, 2]), 8)\n"
)


class Listener:
    """A subscribed engine client that keeps every report and semantic status pushed."""

    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []
        self.statuses: list[dict[str, Any]] = []
        self.changed = threading.Condition()

    def __call__(self, method: str, params: dict[str, Any]) -> None:
        with self.changed:
            (self.reports if method == "report" else self.statuses).append(params)
            self.changed.notify_all()

    def wait(self, predicate: Callable[[], Any], what: str, timeout: float = 90.0) -> Any:
        end = time.monotonic() + timeout
        with self.changed:
            while True:
                value = predicate()
                if value:
                    return value
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
                self.changed.wait(min(left, 0.2))

    def semantic(self) -> list[dict[str, Any]]:
        latest = self.reports[-1] if self.reports else {"overlaps": []}
        return [c for c in latest["overlaps"] if c["kind"] == "semantic"]


@contextmanager
def engine(repo: Repo) -> Iterator[tuple[subprocess.Popen[bytes], EngineClient, Listener]]:
    """An engine for REPO (its own process) and a subscribed client; stopped afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "agentls", "-C", str(repo.main), "engine", "--grace", "30"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    listener = Listener()
    common = common_dir(repo)
    deadline = time.monotonic() + 30
    client = None
    try:
        while (client := connect(common, on_notification=listener)) is None:
            assert time.monotonic() < deadline, "the engine did not come up"
            assert process.poll() is None, "the engine exited"
            time.sleep(0.05)
        client.call("subscribe", {}, timeout=30)
        yield process, client, listener
    finally:
        if client is not None:
            client.close()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)


def semantic_pair(repo: Repo, *, test: str = UNITTEST, verify: str = "") -> None:
    """rename renames total(); cart calls it in a new file: a semantic conflict."""
    configure(repo, settings(test=test, verify="enabled = true\n" + verify))
    session(
        repo,
        "rename",
        {
            "shop/prices.py": PRICES.replace("def total(", "def sum_prices("),
            "tests/test_prices.py": TEST_PRICES.replace("prices.total(", "prices.sum_prices("),
        },
    )
    session(repo, "cart", {"shop/cart.py": CART, "tests/test_cart.py": TEST_CART})


def marked(folder: Path) -> list[int]:
    """Processes whose environment marks them as a check running in FOLDER."""
    marker = f"AGENTLS_SCRATCH={folder}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_background_checks_find_a_semantic_conflict_once_sessions_are_quiet(
    shop: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = tmp_path / "runs.txt"
    monkeypatch.setenv("RUNS_FILE", str(counter))
    semantic_pair(shop, test=counting(UNITTEST, counter), verify="quiet = 1")
    trust.set_background(common_dir(shop), True, "test")
    with engine(shop) as (_, client, listener):
        found = listener.wait(listener.semantic, "a semantic collision in a pushed report")
        assert len(found) == 1
        collision = found[0]
        assert sorted(collision["sessions"]) == ["cart", "rename"]
        assert collision["path"] == "tests/test_cart.py"
        assert collision["ranges"]["cart"] == [[8, 8]]
        assert collision["ranges"]["rename"] == []  # not in its tree: its first changed file
        assert collision["paths"] == {"rename": "shop/prices.py"}
        check = collision["semantic"]
        assert check["tests"] == ["tests.test_cart.CartTest.test_checkout"]
        assert check["exitCode"] == 1 and check["current"] is True
        assert Path(check["log"]).is_file()
        # Progress was visible while it ran: a status naming the pair, then the queue.
        assert any(s["running"] for s in listener.statuses)
        assert listener.statuses[-1]["background"] == "on"
        done = runs(counter)
        assert done == 3  # merged, then each side alone (trunk pairs: sessions level with it)
        # An unchanged pair never runs again.
        time.sleep(2.5)
        assert runs(counter) == done
        stats = client.call("stats", {}, timeout=10)
        assert stats["semantic"]["queue"] == 0 and stats["semantic"]["stats"]["checks"] == 1


def test_background_checks_wait_for_the_users_opt_in(
    shop: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = tmp_path / "runs.txt"
    monkeypatch.setenv("RUNS_FILE", str(counter))
    semantic_pair(shop, test=counting(UNITTEST, counter), verify="quiet = 0.5")
    with engine(shop) as (_, client, listener):
        listener.wait(
            lambda: listener.statuses and listener.statuses[-1]["queue"] == 1,
            "one pair queued",
        )
        assert listener.statuses[-1]["background"] == "needs-opt-in"
        time.sleep(2)
        assert runs(counter) == 0 and not listener.semantic()
        # An explicit request needs no opt-in: the CLI asks the engine.
        cli = subprocess.run(
            [sys.executable, "-m", "agentls", "-C", str(shop.main), "verify", "--exit-code"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cli.returncode == 1, cli.stderr
        assert "semantic conflict" in cli.stdout and "cart + rename" in cli.stdout.replace(
            "rename + cart", "cart + rename"
        )
        assert "[1/1]" in cli.stderr  # progress went to stderr
        listener.wait(listener.semantic, "the requested verdict in the report")
        # Allowing background checks through the engine is the same opt-in.
        answer = client.call(
            "command",
            {"command": "agentls.verify.allowBackground", "arguments": {"allow": True}},
        )
        assert answer["background"] == "on" and trust.background_allowed(common_dir(shop))


def test_a_session_that_changes_mid_check_cancels_it_and_requeues(
    shop: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = tmp_path / "runs.txt"
    monkeypatch.setenv("RUNS_FILE", str(counter))
    # The check is slow while cart has the file "slow"; it is fast once cart drops it.
    slow = f"if [ -f slow ]; then sleep 120; fi; {UNITTEST}"
    semantic_pair(shop, test=counting(slow, counter), verify="quiet = 1")
    cart = shop.root / "cart"
    shop.write(cart, "slow", "yes\n")
    shop.commit(cart, "slow")
    trust.set_background(common_dir(shop), True, "test")
    scratch = common_dir(shop) / "agentls" / "semantic" / "scratch" / "slot-0"
    with engine(shop) as (_, _client, listener):
        listener.wait(lambda: runs(counter) == 1 and marked(scratch), "the slow check running")
        (cart / "slow").unlink()  # the session changes (uncommitted) mid-run
        found = listener.wait(listener.semantic, "the re-queued check's verdict")
        assert found[0]["semantic"]["current"] is True
        assert not marked(scratch)  # the cancelled run's processes were killed
        # The verdict's report goes out before the status that counts it (CI saw 0 here).
        stats = listener.wait(
            lambda: (
                listener.statuses
                and listener.statuses[-1]["stats"]["checks"] >= 1
                and listener.statuses[-1]["stats"]
            ),
            "the finished check counted in the status",
        )
        assert stats["cancelled"] >= 1 and stats["checks"] == 1
    # The cancelled run recorded nothing: the only verdict is for cart without "slow".
    assert runs(counter) == 4  # the cut run, then merged + each side alone


def test_kill_9_of_the_engine_mid_check_leaves_no_scratch_behind_after_restart(
    shop: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = tmp_path / "runs.txt"
    monkeypatch.setenv("RUNS_FILE", str(counter))
    semantic_pair(shop, test=counting(f"sleep 120; {UNITTEST}", counter), verify="quiet = 0.5")
    common = common_dir(shop)
    trust.set_background(common, True, "test")
    scratch_root = common / "agentls" / "semantic" / "scratch"
    worktrees = git(shop.main, "worktree", "list")
    with engine(shop) as (process, _client, listener):
        listener.wait(lambda: runs(counter) == 1, "the check started")
        assert marked(scratch_root / "slot-0")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=20)
    # The killed engine's check goes on running as an orphan until an engine sweeps it.
    assert marked(scratch_root / "slot-0")
    trust.set_background(common, False, "test")  # the new engine only sweeps
    with engine(shop) as (_, client, listener):
        client.call("stats", {}, timeout=30)
        deadline = time.monotonic() + 30
        while marked(scratch_root / "slot-0") or (scratch_root / "slot-0").exists():
            assert time.monotonic() < deadline, "the scratch checkout was not swept"
            time.sleep(0.1)
    assert git(shop.main, "worktree", "list") == worktrees  # never a git worktree


def test_background_checks_pause_while_a_land_runs(
    shop: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentls.lifecycle.journal import LandLock
    from agentls.store import Store

    counter = tmp_path / "runs.txt"
    monkeypatch.setenv("RUNS_FILE", str(counter))
    semantic_pair(shop, test=counting(UNITTEST, counter), verify="quiet = 0.5")
    common = common_dir(shop)
    trust.set_background(common, True, "test")
    store = Store(common / "agentls")
    lock = LandLock(store, common / "agentls")
    lock.acquire("someone")  # a land runs (this test process holds the lock)
    try:
        with engine(shop) as (_, _client, listener):
            listener.wait(
                lambda: listener.statuses and listener.statuses[-1]["paused"] == "land",
                "checks paused for the land",
            )
            time.sleep(2)
            assert runs(counter) == 0
            lock.release()
            listener.wait(listener.semantic, "the check once the land is over")
    finally:
        lock.release()
        store.close()


def test_an_untrusted_window_keeps_background_checks_off(
    shop: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = tmp_path / "runs.txt"
    monkeypatch.setenv("RUNS_FILE", str(counter))
    semantic_pair(shop, test=counting(UNITTEST, counter), verify="quiet = 0.5")
    common = common_dir(shop)
    trust.set_background(common, True, "test")
    with engine(shop) as (_, _client, listener):
        untrusted = connect(common)
        assert untrusted is not None
        try:
            untrusted.call("configure", {"trusted": False}, timeout=30)
            listener.wait(
                lambda: listener.statuses and listener.statuses[-1]["background"] == "untrusted",
                "background checks held back",
            )
            time.sleep(2)
            assert runs(counter) == 0
        finally:
            untrusted.close()  # the untrusted window goes away
        listener.wait(listener.semantic, "the check once no untrusted window is attached")


def test_a_requested_check_outlives_the_window_that_asked_for_it(shop: Repo) -> None:
    """The last client leaves while its `verify` runs: the engine finishes the check
    (its verdict is recorded), then exits, as it does for a land."""
    semantic_pair(shop, test=f"sleep 3; {UNITTEST}")
    process = subprocess.Popen(
        [sys.executable, "-m", "agentls", "-C", str(shop.main), "engine", "--grace", "0.5"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while (client := connect(common_dir(shop))) is None:
            assert time.monotonic() < deadline, "the engine did not come up"
            time.sleep(0.1)
        started = time.monotonic()
        progress = threading.Event()
        asking = threading.Thread(
            target=_call_quietly,
            args=(client, {"command": "agentls.verify.run", "arguments": {}}, progress.set),
            daemon=True,
        )
        asking.start()
        assert progress.wait(60), "the check never reported progress"
        client.close()  # a window closed mid-check
        assert process.wait(timeout=120) == 0
        assert time.monotonic() - started > 3  # past its 0.5 s grace: the check ran to its end
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
    # The verdict was recorded: the CLI (no engine now) answers it from the store.
    out = subprocess.run(
        [sys.executable, "-m", "agentls", "-C", str(shop.main), "verify", "--json"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    answer = json.loads(out.stdout)
    assert [(p["status"], p["cached"]) for p in answer["pairs"]] == [("semantic", True)]


def _call_quietly(client: EngineClient, params: dict[str, Any], on_progress: Any) -> None:
    with contextlib.suppress(EngineError):  # the connection closes under it
        client.call("command", params, timeout=120, on_progress=lambda _: on_progress())
