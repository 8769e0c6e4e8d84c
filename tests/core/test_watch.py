"""The watcher over real folders: events arrive, and closing it stops its thread."""

from __future__ import annotations

import time
from pathlib import Path

from agentls.watch import Watcher
from tests.conftest import Repo, git


def test_a_closed_watcher_stops_its_reader_thread(repo: Repo) -> None:
    repo.write(repo.main, "f.txt", "one\n")
    repo.commit(repo.main, "base")
    common = Path(git(repo.main, "rev-parse", "--path-format=absolute", "--git-common-dir"))
    events: list[tuple[str, str]] = []
    watcher = Watcher(common, events.append)
    watcher.sync([(repo.main, common)])
    reader = watcher._backend.fd  # type: ignore[attr-defined]
    repo.write(repo.main, "f.txt", "two\n")
    deadline = time.monotonic() + 10
    while ("file", str(repo.main / "f.txt")) not in events and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ("file", str(repo.main / "f.txt")) in events
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
