"""A generic LSP client configured by hand (Helix, Kate, Sublime LSP...) gets everything.

The client here advertises NO optional capability (no showDocument, no work-done
progress, no configuration, no agentls extensions) and gives every request 10 s, as
many clients do. The server must never send it a request it did not advertise, must
answer every request within that time (a land whose tests take longer included), and
must tell it how the land ended with `window/showMessage`.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcMethodNotFound
from pygls.lsp.client import LanguageClient as PyglsClient
from pytest_lsp import LanguageClient
from pytest_lsp.client import default_converter

from tests.conftest import Repo, git, numbered
from tests.server.conftest import _fix_code_action_hook, deadline, server_env, uri
from tests.server.test_diagnostics import edit_line

REQUEST_TIMEOUT = 10.0  # what the client allows any request
SLOW_TEST_SECONDS = 12  # longer than the client's timeout


class MinimalClient:
    """A bare LSP client: diagnostics, messages, code actions and commands, nothing else."""

    def __init__(self) -> None:
        self.client = LanguageClient(converter_factory=default_converter)
        _fix_code_action_hook(self.client)
        self.diagnostics: dict[str, list[types.Diagnostic]] = {}
        self.messages: list[types.ShowMessageParams] = []
        self.unasked: list[str] = []  # server requests/notifications for things never advertised
        self.answer_times: list[tuple[str, float]] = []
        client = self.client

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = list(params.diagnostics)

        @client.feature(types.WINDOW_SHOW_MESSAGE)
        def show_message(params: types.ShowMessageParams) -> None:
            self.messages.append(params)

        @client.feature(types.WINDOW_LOG_MESSAGE)
        def log_message(params: Any) -> None:
            pass

        @client.feature(types.PROGRESS)
        def progress(params: Any) -> None:
            self.unasked.append(types.PROGRESS)

        def refuse(method: str) -> None:
            @client.feature(method)
            def handler(params: Any) -> None:
                self.unasked.append(method)
                raise JsonRpcMethodNotFound.of(method)  # what a client without it answers

        for method in (
            types.WINDOW_SHOW_DOCUMENT,
            types.WINDOW_WORK_DONE_PROGRESS_CREATE,
            types.WORKSPACE_CONFIGURATION,
            types.CLIENT_REGISTER_CAPABILITY,
        ):
            refuse(method)

    async def start(
        self, folder: Path, capabilities: types.ClientCapabilities | None = None
    ) -> None:
        self.client.capabilities = capabilities or types.ClientCapabilities()
        await PyglsClient.start_io(
            self.client, sys.executable, "-m", "agentls", "serve", cwd=str(folder), env=server_env()
        )
        await self.request(
            types.INITIALIZE,
            types.InitializeParams(
                capabilities=self.client.capabilities,
                root_uri=uri(folder),
                workspace_folders=[types.WorkspaceFolder(uri=uri(folder), name=folder.name)],
            ),
        )
        self.client.protocol.notify(types.INITIALIZED, types.InitializedParams())

    async def request(self, method: str, params: Any) -> Any:
        started = time.monotonic()
        try:
            answer = await asyncio.wait_for(
                self.client.protocol.send_request_async(method, params), REQUEST_TIMEOUT
            )
        except asyncio.TimeoutError:
            pytest.fail(f"{method} got no answer within {REQUEST_TIMEOUT} s")
        self.answer_times.append((method, time.monotonic() - started))
        return answer

    async def command(self, name: str, argument: dict[str, Any]) -> Any:
        return await self.request(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(command=name, arguments=[argument]),
        )

    async def wait(self, predicate: Any, what: str, timeout: float = 20.0) -> Any:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = predicate()
            if found:
                return found
            await asyncio.sleep(0.05)
        pytest.fail(f"timed out after {timeout} s waiting for {what}")

    def ours(self, path: Path) -> list[types.Diagnostic]:
        return [d for d in self.diagnostics.get(uri(path), []) if d.source == "agentls"]

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self.request(types.SHUTDOWN, None), REQUEST_TIMEOUT)
            self.client.protocol.notify(types.EXIT, None)
        finally:
            await PyglsClient.stop(self.client)


@deadline(150)
async def test_a_client_with_no_optional_capabilities_gets_everything(repo: Repo) -> None:
    original = numbered(40)
    repo.write(repo.main, "f.txt", original)
    repo.write(repo.main, ".agentls.toml", f'[land]\ntest = "sleep {SLOW_TEST_SECONDS}"\n')
    repo.commit(repo.main, "base with a slow test command")
    a, b = repo.worktree("a", branch="a"), repo.worktree("b", branch="b")
    lander = repo.worktree("c", branch="c")
    repo.write(lander, "c.txt", "c's own work\n")
    landed_head = repo.commit(lander, "c's work")

    editor = MinimalClient()
    await editor.start(b)
    try:
        # Two conflicting hunks, lines 3 and 9 on both sides: two diagnostics in B.
        mine = edit_line(edit_line(original, 3, "b three"), 9, "b nine")
        theirs = edit_line(edit_line(original, 3, "a three"), 9, "a nine")
        repo.write(b, "f.txt", mine)
        repo.write(a, "f.txt", theirs)
        found = await editor.wait(
            lambda: len(editor.ours(b / "f.txt")) == 2 and editor.ours(b / "f.txt"),
            "two diagnostics",
        )
        assert sorted(d.range.start.line for d in found) == [2, 8]
        assert all(d.code == "conflict" for d in found)
        for diagnostic in found:
            assert diagnostic.related_information, diagnostic
            assert {r.location.uri for r in diagnostic.related_information} == {uri(a / "f.txt")}

        # Code actions over both lines: each offered once.
        actions = await editor.request(
            types.TEXT_DOCUMENT_CODE_ACTION,
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri(b / "f.txt")),
                range=types.Range(types.Position(0, 0), types.Position(20, 0)),
                context=types.CodeActionContext(diagnostics=found),
            ),
        )
        titles = [x.title for x in actions]
        assert len(titles) == len(set(titles)) == 4, titles
        opened = next(x for x in actions if "open a's version" in x.title)

        # "open": no showDocument (never advertised); the answer says where, and so
        # does a message the user sees.
        before = len(editor.messages)
        result = await editor.command(opened.command.command, opened.command.arguments[0])
        assert result["ok"] is True and result["shown"] is False
        assert result["location"]["uri"] == uri(a / "f.txt")
        assert result["location"]["range"]["start"]["line"] == 2
        told = await editor.wait(lambda: editor.messages[before:], "where the other version is")
        assert str(a / "f.txt") in told[0].message and "line 3" in told[0].message

        compared = await editor.command(
            "agentls.compare", {"path": "f.txt", "session": "b", "other": "a"}
        )
        assert "-b three" in compared["diff"] and "+a three" in compared["diff"]
        assert compared["shown"] is False

        # The land's tests take longer than the client waits: it answers at once...
        before = len(editor.messages)
        started = time.monotonic()
        answer = await editor.command("agentls.session.land", {"session": "c"})
        assert time.monotonic() - started < 3, "the land request waited for the land"
        assert answer["ok"] is True and answer["operation"].startswith("op-")
        assert answer["title"] == "Landing c"
        # ...and the end comes as a message, since this client knows no agentls extension.
        ended = await editor.wait(
            lambda: [m for m in editor.messages[before:] if "landed c" in m.message],
            "the land's end as a message",
            timeout=SLOW_TEST_SECONDS + 30,
        )
        assert ended[0].type == types.MessageType.Info
        assert git(repo.main, "rev-parse", "main") == landed_head
        assert landed_head[:12] in ended[0].message and landed_head not in ended[0].message

        # Nothing was ever sent that this client did not ask for, and it waited for nothing.
        assert editor.unasked == []
        assert max(seconds for _, seconds in editor.answer_times) < REQUEST_TIMEOUT
    finally:
        await editor.stop()


@deadline(90)
async def test_show_document_answered_null_or_never_still_answers(repo: Repo) -> None:
    """A client that advertises showDocument but answers null (pygls once raised a
    TypeError and never answered the command) or nothing at all."""
    repo.write(repo.main, "f.txt", numbered(10))
    repo.commit(repo.main, "base")
    a = repo.worktree("a", branch="a")
    behaviour = {"mode": "null"}
    late = asyncio.Event()  # "never" answers only after the test is done with it

    editor = MinimalClient()
    client = editor.client
    client.protocol.fm.features.pop(types.WINDOW_SHOW_DOCUMENT)

    @client.feature(types.WINDOW_SHOW_DOCUMENT)
    async def show_document(params: Any) -> Any:
        if behaviour["mode"] == "never":
            await late.wait()
        return None

    await editor.start(
        a,
        types.ClientCapabilities(
            window=types.WindowClientCapabilities(
                show_document=types.ShowDocumentClientCapabilities(support=True)
            )
        ),
    )
    try:
        for mode, within in (("null", 2.0), ("never", 8.0)):
            behaviour["mode"] = mode
            before = len(editor.messages)
            started = time.monotonic()
            result = await editor.command(
                "agentls.openOther", {"path": str(a / "f.txt"), "line": 4, "endLine": 5}
            )
            assert time.monotonic() - started < within, mode
            assert result["ok"] is True and result["shown"] is False, (mode, result)
            told = await editor.wait(
                lambda before=before: editor.messages[before:],  # type: ignore[misc]
                "a message instead",
            )
            assert "lines 4–5" in told[0].message
        late.set()  # the late answer to an abandoned request must not disturb the server
        await asyncio.sleep(0.2)
        assert (await editor.command("agentls.sessions", {}))["self"] == "a"
    finally:
        late.set()
        await editor.stop()
