"""A land runs its build and tests without freezing diagnostics in any window."""

from __future__ import annotations

import asyncio
import time

from tests.conftest import Repo, git, numbered
from tests.server.conftest import deadline, wait_diagnostics
from tests.server.test_diagnostics import conflicts_with, edit_line

SLOW_TEST_SECONDS = 6


@deadline(120)
async def test_diagnostics_keep_flowing_while_a_session_lands(repo: Repo, windows) -> None:
    repo.write(repo.main, "f.txt", numbered(40))
    repo.write(repo.main, ".agentls.toml", f'[land]\ntest = "sleep {SLOW_TEST_SECONDS}"\n')
    repo.commit(repo.main, "base with a slow test command")
    a, b = repo.worktree("a", branch="a"), repo.worktree("b", branch="b")
    lander = repo.worktree("c", branch="c")
    repo.write(lander, "independent.txt", "c's own work\n")
    landed_head = repo.commit(lander, "c's work")
    win_a = await windows(a)
    win_b = await windows(b)
    await win_b.wait_status(lambda s: len(s["sessions"]) == 4, "B sees four sessions")

    answer = await win_a.command("agentls.session.land", {"session": "c"})
    assert answer["ok"] is True and answer["operation"], answer
    await asyncio.sleep(1)  # the land is now inside its slow test command
    assert answer["operation"] not in win_a.finished
    started = time.monotonic()
    repo.write(b, "f.txt", edit_line(numbered(40), 10, "b's ten"))
    repo.write(a, "f.txt", edit_line(numbered(40), 10, "a's ten"))
    await wait_diagnostics(win_b.client, b / "f.txt", conflicts_with("a"), "conflict during land")
    assert time.monotonic() - started < SLOW_TEST_SECONDS - 2, "diagnostics waited for the land"
    assert answer["operation"] not in win_a.finished

    end = await win_a.finish(answer)
    assert end["ok"] is True and end["result"]["ok"] is True, end
    assert git(repo.main, "rev-parse", "main") == landed_head
