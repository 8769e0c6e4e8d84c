"""The server keeps answering: bad messages, odd folders, dying clients, huge ignored trees."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pygls.exceptions import JsonRpcException

from agentls.engine.commands import SCHEMAS
from tests.conftest import Repo, numbered
from tests.server.conftest import (
    close_window,
    deadline,
    engine_stats,
    open_window,
    wait_diagnostics,
    wait_gone,
)


def _repo_with(repo: Repo, *worktrees: str) -> list[Path]:
    repo.write(repo.main, "f.txt", numbered(20))
    repo.commit(repo.main, "base")
    return [repo.worktree(name, branch=name) for name in worktrees]


async def _still_answers(window: Any) -> None:
    result = await asyncio.wait_for(window.command("agentls.sessions", {}), 10)
    assert "report" in result


@deadline(30)
async def test_outside_a_repository_it_idles_with_one_message(tmp_path: Path, windows) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "x.txt").write_text("hello\n")
    window = await windows(folder)
    await asyncio.sleep(1.0)  # give it time to (wrongly) publish or complain twice
    window.open(folder / "x.txt")
    result = await window.command("agentls.sessions", {})
    assert result["report"] is None and result["self"] is None
    assert "not inside a git repository" in result["error"]
    assert len([m for m in window.client.messages if "agentls" in m.message]) == 1
    assert all(not ds for ds in window.client.diagnostics.values())
    with pytest.raises(JsonRpcException) as refused:
        await window.command("agentls.session.handoff", {"session": "x"})
    assert "not inside a git repository" in str(refused.value)


@deadline(60)
async def test_bad_command_arguments_are_invalid_params(repo: Repo, windows) -> None:
    (a,) = _repo_with(repo, "a")
    window = await windows(a)
    await window.wait_status(lambda s: s["self"] == "a", "status")
    for name, args in [
        ("agentls.session.rename", [{"session": "a"}]),  # missing name
        ("agentls.session.priority", [{"session": "a", "priority": "high"}]),
        ("agentls.session.claim", [{"session": "a", "globs": "x/**"}]),
        ("agentls.session.new", [{"name": "x", "bogus": 1}]),
        ("agentls.session.land", ["a"]),
        ("agentls.sessions", [{}, {}]),
    ]:
        with pytest.raises(JsonRpcException) as error:
            await window.command(name, *args)
        assert error.value.code == -32602, (name, error.value)
    # A refusal (the name is taken) is -32001 with the lifecycle's message.
    with pytest.raises(JsonRpcException) as refused:
        await window.command("agentls.session.rename", {"session": "a", "name": "main"})
    assert refused.value.code == -32001
    await _still_answers(window)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@deadline(120)
async def test_fuzzed_messages_never_kill_the_server(repo: Repo) -> None:
    (a,) = _repo_with(repo, "a")
    window = await open_window(a)
    try:
        await window.wait_status(lambda s: s["self"] == "a", "status")
        assert window.client._server is not None
        stdin = window.client._server.stdin
        assert stdin is not None

        def frame(body: bytes) -> bytes:
            return b"Content-Length: %d\r\n\r\n" % len(body) + body

        commands = [*SCHEMAS, "agentls.openOther", "agentls.compare", "agentls.nope"]
        raw: list[bytes] = []
        calls: list[tuple[str, Any]] = []

        @settings(
            max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        @given(
            st.sampled_from(commands),
            json_values,
            st.binary(max_size=40),
            st.sampled_from(
                [
                    "textDocument/didChange",
                    "textDocument/didOpen",
                    "workspace/executeCommand",
                    "textDocument/codeAction",
                    "$/unknown",
                    "initialize",
                    "agentls/whatever",
                ]
            ),
        )
        def collect(command: str, args: Any, junk: bytes, method: str) -> None:
            calls.append((command, args))
            raw.append(frame(junk))  # not JSON at all
            raw.append(
                frame(json.dumps({"jsonrpc": "2.0", "method": method, "params": args}).encode())
            )
            raw.append(
                frame(
                    json.dumps(
                        {"jsonrpc": "2.0", "id": f"fz{len(raw)}", "method": method, "params": args}
                    ).encode()
                )
            )
            raw.append(frame(json.dumps(args).encode()))

        collect()
        for data in raw:
            stdin.write(data)
        await stdin.drain()
        for command, args in calls:
            arguments = args if isinstance(args, list) else [args]
            try:
                await asyncio.wait_for(window.command(command, *arguments), 10)
            except JsonRpcException as exc:
                assert exc.code in (-32602, -32001, -32603), exc
        await _still_answers(window)
        assert window.client._server.returncode is None
    finally:
        await close_window(window)


@deadline(60)
async def test_deleted_worktree_folder_while_watched(repo: Repo, windows) -> None:
    a, b = _repo_with(repo, "a", "b")
    window = await windows(a)
    await window.wait_status(lambda s: len(s["sessions"]) == 3, "three sessions")
    repo.write(a, "f.txt", numbered(20).replace("line 3\n", "a three\n"))
    repo.write(b, "f.txt", numbered(20).replace("line 3\n", "b three\n"))
    await wait_diagnostics(window.client, a / "f.txt", lambda ds: len(ds) == 1, "conflict")
    shutil.rmtree(b)
    # On the way, b's files vanish one by one (a modify/delete conflict is real for a
    # moment); once its folder is gone, the session is missing and nothing collides.
    await window.wait_status(
        lambda s: s["total"] == 0 and any(x["name"] == "b" and x["missing"] for x in s["sessions"]),
        "b missing and no collisions",
    )
    await wait_diagnostics(window.client, a / "f.txt", lambda ds: not ds, "cleared")
    await _still_answers(window)


@deadline(90)
async def test_thousands_of_ignored_files_are_not_watched(repo: Repo, windows) -> None:
    repo.write(repo.main, ".gitignore", "node_modules/\n.venv/\n")
    (a,) = _repo_with(repo, "a")
    for top in ("node_modules", ".venv"):
        for i in range(40):
            folder = a / top / f"pkg{i}" / "lib"
            folder.mkdir(parents=True)
            for j in range(50):
                (folder / f"m{j}.js").write_text("x\n")
    window = await windows(a)
    await window.wait_status(lambda s: s["self"] == "a", "status")
    common = repo.main / ".git"
    stats = engine_stats(common)
    assert stats is not None
    # 4,000 ignored files in 160 ignored folders: only real folders are watched.
    assert stats["watches"] < 40, stats
    result = await window.command("agentls.sessions", {})
    (me,) = [s for s in result["report"]["sessions"] if s["name"] == "a"]
    assert me["changed"] == []
    # Churn inside the ignored trees costs no analysis.
    before = engine_stats(common)
    assert before is not None
    for j in range(200):
        (a / "node_modules" / "pkg0" / "lib" / f"m{j}.js").write_text("y\n")
    await asyncio.sleep(0.5)
    after = engine_stats(common)
    assert after is not None and after["events"] - before["events"] < 5, (before, after)


@deadline(60)
async def test_abrupt_disconnect_does_not_leak_the_engine(repo: Repo) -> None:
    a, b = _repo_with(repo, "a", "b")
    first = await open_window(a)
    second = await open_window(b)
    await first.wait_status(lambda s: s["self"] == "a", "first status")
    await second.wait_status(lambda s: s["self"] == "b", "second status")
    stats = engine_stats(repo.main / ".git")
    assert stats is not None and stats["clients"] >= 2
    engine_pid = stats["pid"]
    # One window dies abruptly: the engine stays for the other...
    os.kill(first.pid, signal.SIGKILL)
    await first.client.stop()
    await asyncio.sleep(1.5)
    assert engine_stats(repo.main / ".git") is not None
    await _still_answers(second)
    # ...and when the last one dies too, the engine exits after its grace period.
    os.kill(second.pid, signal.SIGKILL)
    await second.client.stop()
    assert await asyncio.to_thread(wait_gone, engine_pid, 10), "the engine outlived its clients"
    assert not (repo.main / ".git" / "agentls" / "engine.sock").exists()


@deadline(60)
async def test_the_engine_is_shared_and_restarts_when_killed(repo: Repo, windows) -> None:
    a, b = _repo_with(repo, "a", "b")
    win_a = await windows(a)
    win_b = await windows(b)
    await win_a.wait_status(lambda s: s["self"] == "a", "a")
    await win_b.wait_status(lambda s: s["self"] == "b", "b")
    stats = engine_stats(repo.main / ".git")
    assert stats is not None and stats["clients"] >= 2  # one engine serves both windows
    os.kill(stats["pid"], signal.SIGKILL)
    repo.write(a, "f.txt", numbered(20).replace("line 9\n", "a nine\n"))
    repo.write(b, "f.txt", numbered(20).replace("line 9\n", "b nine\n"))
    # Both windows reattach to a fresh engine and see the new conflict.
    await wait_diagnostics(win_b.client, b / "f.txt", lambda ds: len(ds) == 1, "after restart")
    fresh = engine_stats(repo.main / ".git")
    assert fresh is not None and fresh["pid"] != stats["pid"]
