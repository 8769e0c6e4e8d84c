"""Hostile input to the real server: every request answered, odd files never read.

Framing is tested with raw bytes on the server's stdin (a client library would
refuse to send them); documents and commands through pytest-lsp. The codes are the
ones docs/server.md lists.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from tests.conftest import Repo, numbered
from tests.server.conftest import deadline, server_env, uri

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602


class RawServer:
    """`agentls serve` driven byte by byte; a reader thread collects framed replies."""

    def __init__(self, folder: Path, log: Path) -> None:
        self.log = open(log, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agentls", "serve"],
            cwd=folder,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=server_env(),
        )
        self.replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self._others: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        out = self.proc.stdout
        while True:
            length = None
            while (line := out.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line or length is None:
                return
            self.replies.put(json.loads(out.read(length)))

    def write(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: Any) -> None:
        body = json.dumps(message).encode()
        self.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def answer(self, msg_id: Any, timeout: float = 20) -> dict[str, Any]:
        """The response with MSG_ID (None: an error with id null); fails after TIMEOUT."""
        end = time.monotonic() + timeout
        for seen in self._others:
            if "method" not in seen and seen.get("id") == msg_id:
                self._others.remove(seen)
                return seen
        while True:
            try:
                reply = self.replies.get(timeout=max(end - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"no answer to request {msg_id!r}") from None
            if "method" not in reply and reply.get("id") == msg_id:
                return reply
            self._others.append(reply)

    def request(self, msg_id: Any, method: str, params: Any = None) -> dict[str, Any]:
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self.answer(msg_id)

    def sessions(self) -> dict[str, Any]:
        reply = self.request(
            f"sessions-{time.monotonic()}",
            "workspace/executeCommand",
            {"command": "agentls.sessions", "arguments": [{}]},
        )
        assert "result" in reply, reply
        return reply["result"]  # type: ignore[no-any-return]

    def alive(self) -> bool:
        """The server runs and still answers a plain request."""
        return self.proc.poll() is None and "report" in self.sessions()

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)
        self.log.close()


@pytest.fixture
def raw(repo: Repo, tmp_path: Path) -> Iterator[RawServer]:
    repo.write(repo.main, "f.txt", numbered(5))
    repo.commit(repo.main, "base")
    server = RawServer(repo.main, tmp_path / "server.log")
    reply = server.request(0, "initialize", {"capabilities": {}, "rootUri": uri(repo.main)})
    assert "result" in reply, reply
    server.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    try:
        end = time.monotonic() + 30
        while server.sessions()["report"] is None:  # attached to the engine
            assert time.monotonic() < end, "the server did not attach to its engine"
            time.sleep(0.1)
        yield server
    finally:
        server.close()


def _code(reply: dict[str, Any]) -> int:
    assert "error" in reply, reply
    return int(reply["error"]["code"])


def test_a_twenty_digit_content_length_is_refused_and_reading_goes_on(raw: RawServer) -> None:
    raw.write(b"Content-Length: 99999999999999999999\r\n\r\n{}")
    assert raw.alive()
    # A request claiming more than the limit is answered by its id, unread.
    body = json.dumps({"jsonrpc": "2.0", "id": "big", "method": "shutdown"}).encode()
    raw.write(b"Content-Length: %d\r\n\r\n" % (200 * 1024 * 1024) + body)
    raw.send(
        {
            "jsonrpc": "2.0",
            "id": "next",
            "method": "workspace/executeCommand",
            "params": {"command": "agentls.sessions", "arguments": [{}]},
        }
    )
    big = raw.answer("big")
    assert _code(big) == INVALID_REQUEST and "too large" in big["error"]["message"], big
    assert "result" in raw.answer("next")
    assert raw.alive()


def test_bodies_that_are_not_requests_get_json_rpc_errors(raw: RawServer) -> None:
    raw.write(b"Content-Length: 8\r\n\r\nnot json")
    assert _code(raw.answer(None)) == PARSE_ERROR
    raw.write(b"Content-Length: 2\r\n\r\n[]")
    assert _code(raw.answer(None)) == INVALID_REQUEST
    raw.send({"jsonrpc": "2.0", "id": [1], "method": "shutdown"})
    assert _code(raw.answer(None)) == INVALID_REQUEST
    raw.send({"jsonrpc": "1.0", "id": 7, "method": "shutdown"})
    assert _code(raw.answer(7)) == INVALID_REQUEST
    raw.write(b"garbage line\r\nContent-Type: x\r\n\r\n")  # noise between messages
    assert raw.alive()


def test_every_request_gets_an_answer(raw: RawServer) -> None:
    cases = [
        ("agentls/whatever", None, METHOD_NOT_FOUND),  # unknown, without params
        ("agentls/whatever", {}, METHOD_NOT_FOUND),
        ("textDocument/hover", None, METHOD_NOT_FOUND),
        ("textDocument/codeAction", {"bogus": 1}, INVALID_PARAMS),
        ("textDocument/codeAction", None, INVALID_PARAMS),
        ("workspace/executeCommand", 5, INVALID_PARAMS),
        ("workspace/executeCommand", {"command": 5}, INVALID_PARAMS),
        (
            "workspace/executeCommand",
            {"command": "agentls.nope", "arguments": []},
            INVALID_PARAMS,  # pygls: an unknown command is a bad argument to executeCommand
        ),
    ]
    for i, (method, params, code) in enumerate(cases):
        reply = raw.request(i + 100, method, params)
        assert _code(reply) == code, (method, params, reply)
        assert reply["error"]["message"], reply
    # Notifications that do not fit are dropped quietly: no answer, no pop-up.
    raw.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"x": 1}})
    raw.send({"jsonrpc": "2.0", "method": "textDocument/didChange"})
    assert raw.alive()
    shown = [m for m in raw._others if m.get("method") == "window/showMessage"]
    assert not any("Error in server" in m["params"]["message"] for m in shown), shown
    # After shutdown, requests are refused out loud.
    assert "result" in raw.request("bye", "shutdown")
    assert (
        _code(
            raw.request(
                "late",
                "workspace/executeCommand",
                {"command": "agentls.sessions", "arguments": [{}]},
            )
        )
        == INVALID_REQUEST
    )


def test_strings_no_name_can_be_are_invalid_params(raw: RawServer) -> None:
    """NUL, lone surrogates, over-long values: -32602 with the argument named."""
    # json.dumps writes lone surrogates as \\ud800 escapes, as a client would.
    cases = [
        ("agentls.session.new", {"name": "a\x00b"}, "'name' contains a NUL"),
        ("agentls.session.new", {"name": "ok", "branch": "b\x00"}, "'branch' contains a NUL"),
        ("agentls.session.new", {"name": "\ud800"}, "'name' contains a lone surrogate"),
        ("agentls.session.new", {"name": "ok", "dir": "d" * 5000}, "'dir' is longer than"),
        ("agentls.session.claim", {"session": "main", "globs": ["x\x00/**"]}, "'globs' contains"),
        ("agentls.session.rename", {"session": "main", "name": "n" * 5000}, "'name' is longer"),
        ("agentls.session.handoff", {"session": "\udcff\ud800"}, "lone surrogate"),
    ]
    for i, (command, arguments, says) in enumerate(cases):
        reply = raw.request(
            f"s{i}", "workspace/executeCommand", {"command": command, "arguments": [arguments]}
        )
        assert _code(reply) == INVALID_PARAMS, (command, arguments, reply)
        assert says in reply["error"]["message"], reply
    # A name of the right kind that the rules refuse is the lifecycle's refusal.
    reply = raw.request(
        "long",
        "workspace/executeCommand",
        {"command": "agentls.session.new", "arguments": [{"name": "n" * 300}]},
    )
    assert _code(reply) == -32001 and "invalid session name" in reply["error"]["message"], reply
    assert raw.alive()


def test_the_engine_refuses_such_strings_too(repo: Repo) -> None:
    """The CLI and hooks reach the engine without the server: same codes."""
    from agentls.engine.protocol import EngineError
    from agentls.engine.spawn import attach

    repo.write(repo.main, "f.txt", numbered(5))
    repo.commit(repo.main, "base")
    os.environ["AGENTLS_ENGINE_GRACE"] = "0.2"
    try:
        client = attach(repo.main / ".git")
    finally:
        del os.environ["AGENTLS_ENGINE_GRACE"]
    try:
        for method, params in [
            (
                "command",
                {"command": "agentls.session.new", "arguments": {"name": "x", "branch": "a\x00"}},
            ),
            ("check", {"cwd": str(repo.main), "paths": ["f\x00.txt"]}),
            ("check", {"cwd": str(repo.main), "paths": ["\ud800"]}),
            ("diff", {"path": "f.txt", "session": "main", "other": "m" * 5000}),
        ]:
            with pytest.raises(EngineError) as refused:
                client.call(method, params, timeout=30)
            assert refused.value.code == INVALID_PARAMS, (method, params, refused.value)
        assert client.call("stats", {})["ready"]
    finally:
        client.close()


# --- documents that are not regular files ------------------------------------------------


@deadline(90)
async def test_opening_a_fifo_or_a_device_never_blocks_the_server(repo: Repo, windows) -> None:
    repo.write(repo.main, "f.txt", numbered(5))
    repo.commit(repo.main, "base")
    a = repo.worktree("a", "a")
    fifo = a / "pipe"
    os.mkfifo(fifo)
    (a / "zero").symlink_to("/dev/zero")
    window = await windows(a)
    await window.wait_status(lambda s: s["self"] == "a", "status")
    for target, text in [(fifo, ""), (a / "zero", ""), (Path("/dev/zero"), "x")]:
        window.open(target, text)
        window.change(target, "", 2)  # same size as the FIFO's st_size: 0
        result = await asyncio.wait_for(window.command("agentls.sessions", {}), 15)
        assert result["self"] == "a"
    # The engine neither hangs on the FIFO in the worktree.
    fifo_report = await asyncio.wait_for(window.command("agentls.refresh", {}), 30)
    assert fifo_report["self"] == "a"
    assert window.client._server is not None and window.client._server.returncode is None


@deadline(60)
async def test_odd_uris_are_ignored(repo: Repo, windows) -> None:
    repo.write(repo.main, "f.txt", numbered(5))
    repo.commit(repo.main, "base")
    window = await windows(repo.main)
    await window.wait_status(lambda s: s["self"] is not None, "status")
    from lsprotocol import types

    for odd in ("file:///tmp/a%00b", "file:///tmp/%ED%A0%80", "untitled:Untitled-1"):
        window.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=odd, language_id="plaintext", version=1, text="x"
                )
            )
        )
    # A buffer holding a lone surrogate (no file can) is forwarded as the editor would
    # save it ("?"), so the engine counts the unsaved edit instead of failing on it.
    window.open(repo.main / "f.txt", numbered(5) + "\ud800\n")

    async def edited() -> bool:
        result = await asyncio.wait_for(window.command("agentls.sessions", {}), 15)
        me = next(s for s in result["report"]["sessions"] if s["name"] == result["self"])
        return "f.txt" in me["changed"]

    end = asyncio.get_running_loop().time() + 20
    while not await edited():
        assert asyncio.get_running_loop().time() < end, "the unsaved buffer never counted"
        await asyncio.sleep(0.1)
    with pytest.raises(JsonRpcException) as refused:
        await window.command("agentls.compare", {"path": "f.txt", "session": "x\x00", "other": "y"})
    assert refused.value.code == INVALID_PARAMS


# --- agentls.compare writes only into its own private folder --------------------------------


@deadline(60)
async def test_compare_never_writes_through_a_planted_symlink(
    repo: Repo, windows, tmp_path: Path
) -> None:
    repo.write(repo.main, "f.txt", numbered(5))
    repo.commit(repo.main, "base")
    a = repo.worktree("a", "a")
    repo.write(a, "f.txt", numbered(5).replace("line 2\n", "a two\n"))
    window = await windows(a)
    await window.wait_status(lambda s: s["self"] == "a", "status")
    folder = repo.main / ".git" / "agentls" / "tmp" / "compare"
    folder.mkdir(parents=True, exist_ok=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    # An agent in some worktree plants the file the next comparison will write.
    (folder / "a..main--f.txt.diff").symlink_to(victim)
    result = await window.command(
        "agentls.compare", {"path": "f.txt", "session": "a", "other": "main"}
    )
    written = Path(result["path"])
    assert victim.read_text() == "precious\n"
    assert written.parent == folder and not written.is_symlink()
    assert "-a two" in written.read_text()
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    # A symlinked folder is refused, with the reason.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.rename(folder, tmp_path / "old-compare")
    folder.symlink_to(elsewhere)
    with pytest.raises(JsonRpcException) as refused:
        await window.command("agentls.compare", {"path": "f.txt", "session": "a", "other": "main"})
    assert refused.value.code == -32001 and "is a symlink" in str(refused.value)
    assert list(elsewhere.iterdir()) == []
