"""A lifecycle refusal reaches the editor with the lifecycle's own code and data (the
server adds nothing and drops nothing), and is not logged as an ERROR with a traceback."""

from __future__ import annotations

import asyncio

import pytest
from pygls.exceptions import JsonRpcException

from tests.conftest import Repo
from tests.server.conftest import deadline


@deadline(90)
async def test_refusals_carry_code_and_data_and_stay_out_of_the_error_log(
    repo: Repo, windows, capfd: pytest.CaptureFixture[str]
) -> None:
    repo.write(repo.main, "a.txt", "a\n")
    repo.commit(repo.main, "base")
    a = repo.worktree("a", branch="a")
    window = await windows(a)
    await window.wait_status(lambda s: len(s["sessions"]) == 2, "both sessions")
    with pytest.raises(JsonRpcException) as taken:
        await window.command("agentls.session.rename", {"session": "a", "name": "main"})
    assert taken.value.code == -32001
    assert taken.value.data == {
        "code": "name-taken",
        "message": "the name 'main' is already used by another session",
        "data": {"name": "main", "renaming": True},
    }
    with pytest.raises(JsonRpcException) as missing:
        await window.command("agentls.session.claim", {"session": "ghost", "globs": ["x/**"]})
    assert missing.value.data["code"] == "session-not-found"
    assert missing.value.data["data"] == {"name": "ghost", "known": ["main", "a"]}
    await asyncio.sleep(0.5)  # the server's stderr is forwarded asynchronously
    logged = capfd.readouterr().err
    assert "Traceback" not in logged and "ERROR" not in logged, logged
