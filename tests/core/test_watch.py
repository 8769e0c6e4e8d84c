"""The watcher over real folders: events arrive, and closing it stops its thread."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import agentls.watch
from agentls.watch import Watcher
from tests.conftest import Repo, git


def _wait_for(events: list[tuple[str, str]], event: tuple[str, str]) -> bool:
    deadline = time.monotonic() + 10
    while event not in events and time.monotonic() < deadline:
        time.sleep(0.01)
    return event in events


def test_a_closed_watcher_stops_its_reader_thread(repo: Repo) -> None:
    repo.write(repo.main, "f.txt", "one\n")
    repo.commit(repo.main, "base")
    common = Path(git(repo.main, "rev-parse", "--path-format=absolute", "--git-common-dir"))
    events: list[tuple[str, str]] = []
    watcher = Watcher(common, events.append)
    watcher.sync([(repo.main, common)])
    reader = watcher._backend.fd  # type: ignore[attr-defined]
    repo.write(repo.main, "f.txt", "two\n")
    assert _wait_for(events, ("file", str(repo.main / "f.txt")))
    watcher.close()
    # A reader left running after close spins on the closed descriptor at full CPU
    # (watchdog's loop only ends when its thread is stopped).
    assert not reader.is_alive()


def test_a_worktree_unlocking_is_an_admin_event(repo: Repo) -> None:
    """`git worktree add` unlocks a new worktree last (it is locked "initializing"
    while HEAD is written), so an unlock must wake the engine: it is only then a
    session. The same for `git worktree lock` and `unlock` by hand."""
    repo.write(repo.main, "f.txt", "one\n")
    repo.commit(repo.main, "base")
    other = repo.worktree("other", branch="other")
    common = Path(git(repo.main, "rev-parse", "--path-format=absolute", "--git-common-dir"))
    admin = common / "worktrees" / "other"
    events: list[tuple[str, str]] = []
    watcher = Watcher(common, events.append)
    try:
        watcher.sync([(repo.main, common), (other, admin)])
        for verb in ("lock", "unlock"):
            events.clear()
            git(repo.main, "worktree", verb, str(other))
            deadline = time.monotonic() + 10
            while not any(kind == "admin" for kind, _ in events) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert ("admin", "lock changed in other") in events, (verb, events)
    finally:
        watcher.close()


def _many_folders(repo: Repo, count: int) -> Path:
    """COUNT committed folders of one file each; the common dir."""
    for i in range(count):
        repo.write(repo.main, f"pkg{i:03d}/f.txt", f"{i}\n")
    repo.commit(repo.main, "folders")
    return Path(git(repo.main, "rev-parse", "--path-format=absolute", "--git-common-dir"))


def _free_for_another_thread(watcher: Watcher) -> bool:
    """The watcher's lock (an RLock: its own thread would always get it) is free."""
    taken: list[bool] = []

    def take() -> None:
        got = watcher._lock.acquire(timeout=0)
        taken.append(got)
        if got:
            watcher._lock.release()

    thread = threading.Thread(target=take)
    thread.start()
    thread.join()
    return taken == [True]


FOLDERS = 40


def test_a_worktree_is_watched_a_few_folders_at_a_time(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's start-up answers an open file between parts of a worktree's walk:
    the walk yields every WALK_SLICE seconds (here: after every folder), without holding
    the watcher's lock (the inotify reader takes it for every event), and ends with
    every folder watched."""
    common = _many_folders(repo, FOLDERS)
    whole = Watcher(common, lambda event: None)
    try:
        whole.add(repo.main, common)
        expected = whole.watch_count
    finally:
        whole.close()
    events: list[tuple[str, str]] = []
    watcher = Watcher(common, events.append)
    try:
        monkeypatch.setattr(agentls.watch, "WALK_SLICE", 0.0)
        steps = watcher.add_steps(repo.main, common)
        yields = 0
        for _ in steps:
            yields += 1
            assert _free_for_another_thread(watcher)
            assert 0 < watcher.watch_count < expected
        assert yields == FOLDERS  # the top folder and FOLDERS below, a yield between each
        assert watcher.watch_count == expected
        last = repo.main / "pkg000" / "f.txt"  # the walk's stack takes the first folder last
        last.write_text("changed\n")
        assert _wait_for(events, ("file", str(last)))
    finally:
        watcher.close()


def test_a_walk_stopped_half_way_takes_its_watches_back(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start-up that starts over (a session appeared) drops its half-done walk: the
    worktree must not stay half watched, or the next add would skip it as watched."""
    common = _many_folders(repo, FOLDERS)
    monkeypatch.setattr(agentls.watch, "WALK_SLICE", 0.0)
    events: list[tuple[str, str]] = []
    watcher = Watcher(common, events.append)
    try:
        steps = watcher.add_steps(repo.main, common)
        for _ in range(FOLDERS // 2):
            next(steps)
        half = watcher.watch_count
        steps.close()
        assert not watcher.is_root(str(repo.main))
        before = watcher.watch_count
        assert before == half - FOLDERS // 2  # the worktree's watches are gone
        monkeypatch.setattr(agentls.watch, "WALK_SLICE", 1.0)
        watcher.add(repo.main, common)
        assert watcher.watch_count == before + FOLDERS + 1
        last = repo.main / "pkg000" / "f.txt"
        last.write_text("changed\n")
        assert _wait_for(events, ("file", str(last)))
    finally:
        watcher.close()
