"""Drive the real `agentls serve` subprocess with pytest-lsp clients (one per window)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar, Union

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls import uris
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient, make_test_lsp_client

from agentls.engine.client import connect
from agentls.engine.protocol import EngineError

SESSIONS_CHANGED = "agentls/sessionsChanged"
OPERATION_FINISHED = "agentls/operationFinished"
DIAGNOSTICS = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
T = TypeVar("T")


def deadline(
    seconds: float,
) -> Callable[[Callable[..., Awaitable[T]]], Callable[..., Awaitable[T]]]:
    """Fail an async test with a clear message when it runs longer than SECONDS."""

    def wrap(test: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        @functools.wraps(test)
        async def run(*args: Any, **kwargs: Any) -> T:
            try:
                return await asyncio.wait_for(test(*args, **kwargs), seconds)
            except asyncio.TimeoutError:
                pytest.fail(f"{test.__name__} did not finish within {seconds} s")

        return run

    return wrap


def uri(path: Path) -> str:
    return uris.from_fs_path(str(path.resolve())) or str(path)


async def until(
    client: LanguageClient,
    method: str,
    predicate: Callable[[], Any],
    what: str,
    timeout: float = 15.0,
) -> Any:
    """Wait until PREDICATE holds; it is re-checked as METHOD notifications arrive.

    pytest-lsp keeps one future per method and breaks when one is cancelled, so the
    wait is armed once, never cancelled, and a short poll covers missed wake-ups.
    """
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    waiter: asyncio.Future[Any] | None = None
    while True:
        if waiter is None or waiter.done():
            waiter = asyncio.ensure_future(client.protocol.wait_for_notification_async(method))
            # A wait still armed when the server exits gets pytest-lsp's "exited" error;
            # nobody awaits it then, so take it here (or asyncio logs it at exit).
            waiter.add_done_callback(_take_outcome)
        value = predicate()
        if value:
            return value
        remaining = end - loop.time()
        if remaining <= 0:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.wait({waiter}, timeout=min(remaining, 0.05))


def _take_outcome(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def agentls_diagnostics(client: LanguageClient, path: Path) -> list[types.Diagnostic]:
    return [d for d in client.diagnostics.get(uri(path), []) if d.source == "agentls"]


async def wait_diagnostics(
    client: LanguageClient,
    path: Path,
    predicate: Callable[[list[types.Diagnostic]], bool],
    what: str,
    timeout: float = 15.0,
) -> list[types.Diagnostic]:
    def check() -> list[types.Diagnostic] | None:
        found = agentls_diagnostics(client, path)
        return found if predicate(found) else None

    result = await until(client, DIAGNOSTICS, lambda: check() is not None, what, timeout)
    assert result
    return agentls_diagnostics(client, path)


class Window:
    """One editor window: an LSP client running `agentls serve` on one folder."""

    def __init__(self, client: LanguageClient, folder: Path) -> None:
        self.client = client
        self.folder = folder
        self.status: list[dict[str, Any]] = []
        self.finished: dict[str, dict[str, Any]] = {}  # operation id -> its end

        @client.feature(SESSIONS_CHANGED)
        def sessions_changed(params: Any) -> None:
            self.status.append(_plain(params))

        @client.feature(OPERATION_FINISHED)
        def operation_finished(params: Any) -> None:
            end = _plain(params)
            self.finished[end["operation"]] = end

    @property
    def pid(self) -> int:
        assert self.client._server is not None
        return self.client._server.pid

    async def command(self, name: str, *arguments: Any) -> Any:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=list(arguments))
        )

    async def finish(self, answer: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
        """The `agentls/operationFinished` params of the operation ANSWER started."""
        operation = answer["operation"]
        return await until(  # type: ignore[no-any-return]
            self.client,
            OPERATION_FINISHED,
            lambda: self.finished.get(operation),
            f"operation {operation} to finish",
            timeout,
        )

    async def run(self, name: str, *arguments: Any, timeout: float = 60.0) -> Any:
        """Run a command to its end: an operation's result (a refused one raises, as a
        synchronous command would), or the command's own answer."""
        answer = await self.command(name, *arguments)
        if isinstance(answer, dict) and "operation" in answer:
            end = await self.finish(answer, timeout)
            if end["result"] is None:
                error = end["error"]
                raise JsonRpcException(error["message"], code=-32001, data=error)
            return end["result"]
        return answer

    async def wait_status(self, predicate: Callable[[dict[str, Any]], bool], what: str) -> dict:
        def check() -> dict[str, Any] | None:
            return next((s for s in reversed(self.status) if predicate(s)), None)

        return await until(self.client, SESSIONS_CHANGED, check, what)  # type: ignore[no-any-return]

    def open(self, path: Path, text: str | None = None) -> None:
        text = path.read_text() if text is None else text
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri(path), language_id="plaintext", version=1, text=text
                )
            )
        )

    def change(self, path: Path, text: str, version: int) -> None:
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri(path), version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )


def _plain(value: Any) -> Any:
    """Notification params arrive as attrs-like objects; make them plain dicts."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "_asdict"):  # pygls turns unknown objects into namedtuples
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "__dict__") and not isinstance(value, (str, int, float, bool)):
        return {k: _plain(v) for k, v in vars(value).items()}
    return value


def _fix_code_action_hook(client: LanguageClient) -> None:
    """lsprotocol structures every code action that has a command as a bare Command.

    Editors tell them apart by `typeof command === "string"`; so does this client.
    """
    converter = client.protocol._converter

    def hook(obj: Any, _: Any) -> Any:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)
        return converter.structure(obj, types.CodeAction)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], hook)  # noqa: UP007


# What VS Code and Neovim 0.11 advertise, as far as agentls cares.
EDITOR_CAPABILITIES = types.ClientCapabilities(
    window=types.WindowClientCapabilities(
        work_done_progress=True,
        show_document=types.ShowDocumentClientCapabilities(support=True),
    ),
    workspace=types.WorkspaceClientCapabilities(configuration=True),
)


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env["AGENTLS_ENGINE_GRACE"] = "0.5"  # engines of finished tests go away fast
    env["PYTHONUNBUFFERED"] = "1"
    return env


async def open_window(
    folder: Path,
    *,
    options: dict[str, Any] | None = None,
    configuration: Any = None,
    capabilities: types.ClientCapabilities | None = None,
) -> Window:
    client = make_test_lsp_client()
    _fix_code_action_hook(client)
    if configuration is not None:
        client.set_configuration(configuration, section="agentls")
    window = Window(client, folder)
    await client.start_io(
        sys.executable, "-m", "agentls", "serve", cwd=str(folder), env=server_env()
    )
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or EDITOR_CAPABILITIES,
            root_uri=uri(folder),
            workspace_folders=[types.WorkspaceFolder(uri=uri(folder), name=folder.name)],
            initialization_options=options,
        )
    )
    return window


async def close_window(window: Window) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(window.client.shutdown_session(), 10)
    await window.client.stop()


@pytest_asyncio.fixture
async def windows() -> AsyncIterator[Callable[..., Awaitable[Window]]]:
    """Open windows with `await windows(folder)`; all are shut down afterwards."""
    opened: list[Window] = []

    async def make(folder: Path, **kwargs: Any) -> Window:
        window = await open_window(folder, **kwargs)
        opened.append(window)
        return window

    yield make
    for window in opened:
        await close_window(window)


def engine_stats(common_dir: Path) -> dict[str, Any] | None:
    """The running engine's stats; None when none runs (or it is on its way out)."""
    end = time.monotonic() + 5
    while True:
        client = connect(common_dir)
        if client is None:
            return None
        try:
            return client.call("stats", {}, timeout=10)  # type: ignore[no-any-return]
        except EngineError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)  # it closed the connection while exiting: look again
        finally:
            client.close()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); check its state.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pid: int, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(autouse=True)
def _no_engine_left(tmp_path: Path) -> Any:
    """After each test, no engine for a repository of this test may survive."""
    yield
    for common in tmp_path.glob("**/.git"):
        if not common.is_dir():
            continue
        stats = engine_stats(common)
        if stats is None:
            continue
        if not wait_gone(stats["pid"], 5):
            os.kill(stats["pid"], signal.SIGKILL)
            pytest.fail(f"the engine {stats['pid']} for {common} outlived its clients")
