"""Long operations (land, land-all, new, fork) and refusals, through the real server."""

from __future__ import annotations

import asyncio
import stat
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.conftest import Repo, git, numbered
from tests.server.conftest import deadline, wait_diagnostics
from tests.server.test_diagnostics import edit_line

OPERATIONS = {"operations": True}  # an editor that handles agentls/operationFinished


def _slow_land_repo(repo: Repo, seconds: float) -> Path:
    repo.write(repo.main, "f.txt", numbered(20))
    repo.write(repo.main, ".agentls.toml", f'[land]\ntest = "sleep {seconds}"\n')
    repo.commit(repo.main, "base")
    lander = repo.worktree("c", branch="c")
    repo.write(lander, "c.txt", "c\n")
    repo.commit(lander, "c's work")
    return lander


@deadline(90)
async def test_land_reports_progress_on_the_clients_token_and_finishes(repo: Repo, windows) -> None:
    lander = _slow_land_repo(repo, 4)
    window = await windows(lander, options=OPERATIONS)
    await window.wait_status(lambda s: s["self"] == "c", "status")
    token = "editor-token-1"
    window.client.progress_reports[token] = []
    started = time.monotonic()
    answer = await window.client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="agentls.session.land", arguments=[{"session": "c"}], work_done_token=token
        )
    )
    assert time.monotonic() - started < 3
    assert answer == {
        "ok": True,
        "operation": answer["operation"],
        "command": "agentls.session.land",
        "title": "Landing c",
    }
    await asyncio.sleep(1.5)  # inside the tests now
    running = await window.command("agentls.operations", {})
    (listed,) = running["operations"]
    assert listed["operation"] == answer["operation"] and listed["title"] == "Landing c"
    assert listed["message"] == "running tests: sleep 4", listed

    end = await window.finish(answer)
    assert end["ok"] is True and end["error"] is None
    assert end["command"] == "agentls.session.land" and end["title"] == "Landing c"
    result = end["result"]
    assert result["ok"] is True and result["session"] == "c"
    assert result["trunk"]["new"] == git(repo.main, "rev-parse", "main")
    assert result["message"] == f"landed c: main is now {result['trunk']['new'][:12]}"

    reports = window.client.progress_reports[token]
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert reports[0].title == "agentls: Landing c"
    messages = [r.message for r in reports if isinstance(r, types.WorkDoneProgressReport)]
    assert "rebasing onto main" in messages or "holding the land lock" in messages, messages
    assert "running tests: sleep 4" in messages, messages
    assert all(len(m or "") <= 120 and "\n" not in (m or "") for m in messages)
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    # This client handles the notification itself: no extra message about the land.
    assert not [m for m in window.client.messages if "landed c" in m.message]
    assert (await window.command("agentls.operations", {}))["operations"] == []
    status = await window.wait_status(
        lambda s: any(x["name"] == "c" and x["landed"] for x in s["sessions"]), "c landed"
    )
    assert next(x for x in status["sessions"] if x["name"] == "c")["ahead"] == 0


@deadline(120)
async def test_land_all_new_and_fork_are_operations(repo: Repo, windows) -> None:
    repo.write(repo.main, "f.txt", numbered(20))
    repo.write(repo.main, ".agentls.toml", '[land]\ntest = "test ! -e broken"\n')
    repo.commit(repo.main, "base: tests fail when a file named broken exists")
    first, second = repo.worktree("first", branch="first"), repo.worktree("second", branch="second")
    repo.write(first, "broken", "")
    repo.write(first, "f.txt", edit_line(numbered(20), 5, "FIRST"))
    repo.commit(first, "first")
    repo.write(second, "f.txt", edit_line(numbered(20), 5, "SECOND"))
    repo.commit(second, "second")
    window = await windows(repo.main)  # progress on a token the server creates
    await window.wait_status(lambda s: len(s["sessions"]) == 3, "three sessions")

    plan = await window.command("agentls.session.landAll", {"dryRun": True})
    assert "operation" not in plan and plan["dryRun"] is True
    assert plan["plan"] == ["first", "second"]

    answer = await window.command("agentls.session.landAll", {})
    assert answer["title"] == "Landing all sessions"
    end = await window.finish(answer)
    assert end["ok"] is False
    assert end["error"]["code"] == "land-all-incomplete"
    assert end["error"]["data"] == {"failed": ["first", "second"], "skipped": ["second"]}
    rows = {r["session"]: r for r in end["result"]["results"]}
    assert rows["second"]["skipped"] is True and "error" not in rows["second"]
    assert rows["first"]["error"]["code"] == "command-failed"  # the lifecycle's own code
    created = [t for t in window.client.progress_reports if str(t).startswith("agentls-op-")]
    assert created, window.client.progress_reports.keys()
    # The client that did not say it handles operationFinished also gets a message.
    told = [m for m in window.client.messages if m.message.startswith("agentls: land all:")]
    assert told and told[0].type == types.MessageType.Warning
    assert "not landed: first" in told[0].message and "skipped: second" in told[0].message

    # new, with a slow post-checkout hook (the user's own): answered at once.
    hooks = repo.main / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    hook = hooks / "post-checkout"
    hook.write_text("#!/bin/sh\nsleep 6\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    started = time.monotonic()
    answer = await window.command("agentls.session.new", {"name": "gamma"})
    assert time.monotonic() - started < 3 and answer["title"] == "Creating session gamma"
    assert answer["operation"] not in window.finished
    end = await window.finish(answer)
    assert end["ok"] is True and end["result"]["session"]["name"] == "gamma"
    hook.unlink()

    answer = await window.command("agentls.session.fork", {"name": "probe", "from": "gamma"})
    assert answer["title"] == "Forking gamma as probe"
    end = await window.finish(answer)
    assert end["result"]["session"]["role"] == "research"

    # A refused operation ends with the refusal's code (nothing to land here).
    answer = await window.command("agentls.session.land", {"session": "gamma"})
    end = await window.finish(answer)
    assert end["ok"] is False and end["result"] is None
    assert isinstance(end["error"]["code"], str) and end["error"]["message"]


@deadline(60)
async def test_refusals_carry_a_code_and_data_and_are_not_logged_as_errors(
    repo: Repo, windows, capfd: pytest.CaptureFixture[str]
) -> None:
    repo.write(repo.main, "f.txt", numbered(20))
    repo.commit(repo.main, "base")
    a = repo.worktree("a", branch="a")
    window = await windows(a)
    await window.wait_status(lambda s: s["self"] == "a", "status")
    capfd.readouterr()

    with pytest.raises(JsonRpcException) as refused:
        await window.command("agentls.session.rename", {"session": "a", "name": "main"})
    error = refused.value
    assert error.code == -32001
    assert isinstance(error.data["code"], str) and error.data["code"]
    assert error.data["message"] == error.message
    assert "`" not in error.message and "--" not in error.message, error.message
    assert isinstance(error.data["data"], dict)

    with pytest.raises(JsonRpcException) as bad:
        await window.command("agentls.session.priority", {"session": "a", "priority": "high"})
    assert bad.value.code == -32602 and bad.value.data["code"] == "invalid-arguments"

    # Nothing to hand off into trunk's checkout.
    with pytest.raises(JsonRpcException) as trunk:
        await window.command("agentls.session.handoff", {"session": "main"})
    assert trunk.value.data["code"] == "trunk-checkout"
    assert trunk.value.data["data"]["session"] == "main"
    assert not (repo.main / "HANDOFF.md").exists()

    await asyncio.sleep(0.5)  # the server's stderr reaches this process asynchronously
    logged = capfd.readouterr().err
    assert "Traceback" not in logged and " ERROR " not in logged, logged


@deadline(90)
async def test_land_dry_run_answers_with_the_plan(repo: Repo, windows) -> None:
    lander = _slow_land_repo(repo, 30)
    window = await windows(lander)
    await window.wait_status(lambda s: s["self"] == "c", "status")
    started = time.monotonic()
    plan = await window.command("agentls.session.land", {"session": "c", "dryRun": True})
    assert time.monotonic() - started < 5
    assert plan["dryRun"] is True and plan["ok"] is True and "operation" not in plan
    assert [s["step"] for s in plan["steps"]][-2:] == ["test", "fast-forward"]
    # Trunk's own diagnostics stay where they are: a dry run changes nothing.
    repo.write(lander, "f.txt", edit_line(numbered(20), 3, "c three"))
    repo.write(repo.main, "f.txt", edit_line(numbered(20), 3, "main three"))
    await wait_diagnostics(
        window.client, lander / "f.txt", lambda ds: len(ds) == 1, "a conflict via trunk"
    )


def test_closing_the_engine_connection_ends_a_call_in_flight(repo: Repo) -> None:
    """A window closing during a land: the call waiting for it must end at once, or the
    server's exit would wait for that thread (and a client, for the server) forever."""
    import threading

    from agentls.engine.protocol import EngineError
    from tests.server.test_engine_cli import running_engine

    _slow_land_repo(repo, 30)
    with running_engine(repo.main) as (_engine, client):
        outcome: list[object] = []
        reading = threading.Event()
        release = threading.Event()

        def progress(value: dict[str, object]) -> None:
            # Hold the connection's reader (as a busy listener would) until after close().
            reading.set()
            release.wait(10)

        def land() -> None:
            try:
                outcome.append(
                    client.call(
                        "command",
                        {"command": "agentls.session.land", "arguments": {"session": "c"}},
                        timeout=None,
                        on_progress=progress,
                    )
                )
            except EngineError as exc:
                outcome.append(exc)

        thread = threading.Thread(target=land, daemon=True)
        thread.start()
        assert reading.wait(20), "no progress from the land"
        client.close()
        release.set()
        thread.join(5)
        assert not thread.is_alive(), "the call kept waiting after close()"
        assert isinstance(outcome[0], EngineError)


@deadline(90)
async def test_fork_without_from_forks_the_calling_windows_session(repo: Repo, windows) -> None:
    repo.write(repo.main, "f.txt", numbered(20))
    repo.commit(repo.main, "base")
    feature = repo.worktree("feature", branch="feature")
    repo.write(feature, "f.txt", edit_line(numbered(20), 3, "FEATURE'S UNCOMMITTED WORK"))
    first = await windows(repo.main)  # this window's server starts the engine, in main
    await first.wait_status(lambda s: len(s["sessions"]) == 2, "two sessions")
    second = await windows(feature)
    await second.wait_status(lambda s: s["self"] == "feature", "feature's window")

    answer = await second.command("agentls.session.fork", {"name": "probe"})
    assert answer["title"] == "Forking feature as probe"
    end = await second.finish(answer)
    assert end["ok"] is True, end
    session = end["result"]["session"]
    assert session["role"] == "research" and session["source"] == "feature"
    # The fork holds feature's state, uncommitted work included, not main's.
    assert "FEATURE'S UNCOMMITTED WORK" in (Path(session["path"]) / "f.txt").read_text()
