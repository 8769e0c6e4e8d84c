"""`agentls serve`: the pygls language server one editor window runs.

The server does no analysis itself. It attaches to its repository's engine (starting
it when none runs), forwards this window's unsaved buffers to it, and turns every
report the engine pushes into diagnostics for this window's session, plus the
`agentls/sessionsChanged` notification. Commands go to the engine as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from lsprotocol import types
from pygls import uris
from pygls.exceptions import FeatureRequestError
from pygls.lsp.server import LanguageServer

from agentls import __version__, files
from agentls.engine.client import EngineClient
from agentls.engine.protocol import EngineError
from agentls.errors import AgentlsError
from agentls.files import read_regular
from agentls.server import commands, diagnostics, framing, semantic
from agentls.server import encoding as encoding_
from agentls.server.actions import code_actions
from agentls.server.capabilities import ClientFeatures
from agentls.server.operations import Operations
from agentls.server.protocol import AgentlsProtocol
from agentls.server.refusals import (
    ENGINE_UNAVAILABLE,
    NOT_A_REPOSITORY,
    QuietRefusals,
    from_engine,
    refusal,
)
from agentls.server.review import register as register_review
from agentls.server.review import review_changed
from agentls.server.settings import Settings, mentions_trusted, parse_settings

log = logging.getLogger("agentls.server")

SESSIONS_CHANGED = "agentls/sessionsChanged"
MAX_RECONNECTS = 5


class AgentlsServer(LanguageServer):
    """One editor window's view of the shared engine."""

    def __init__(self) -> None:
        super().__init__(
            "agentls",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=AgentlsProtocol,
        )
        self.settings = Settings()
        self.folder: Path | None = None
        self.common_dir: Path | None = None
        self.engine: EngineClient | None = None
        self.idle_reason: str | None = None  # why this window stays idle (not a repository…)
        self.report: dict[str, Any] | None = None
        self.me: dict[str, Any] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.published: dict[str, list[types.Diagnostic]] = {}
        self.open_paths: dict[Path, str] = {}  # resolved path -> the uri the client uses
        self.dirty: dict[str, str] = {}  # abs path -> unsaved text (as sent to the engine)
        self.encodings: dict[str, str] = {}  # abs path -> how the editor decoded the file
        self.last_status: dict[str, Any] | None = None
        self.stopping = False
        self.reconnects = 0
        self.client_features = ClientFeatures()
        self.operations = Operations(self)
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- transport ------------------------------------------------------------------------

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve stdio with agentls's own framing loop (framing.py): every request answered."""
        from pygls.io_ import StdoutWriter

        self._stop_event = threading.Event()
        reader = framing.StdinReader(stdin or sys.stdin.buffer, self.thread_pool)
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(framing.serve(self._stop_event, reader, self.protocol))
        except BrokenPipeError:
            log.error("the client went away; the server stops")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Log what went wrong; never a pop-up per bad message (a request gets its error)."""
        if source is FeatureRequestError:
            log.info("request failed: %s", error)  # its error went back as the answer
            return
        log.error("%s: %s", getattr(source, "__name__", source), error)
        with contextlib.suppress(Exception):
            self.window_log_message(
                types.LogMessageParams(type=types.MessageType.Error, message=f"agentls: {error}")
            )

    # --- background tasks ---------------------------------------------------------------

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Run COROUTINE in the background; its exceptions are logged, never lost."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background task failed", exc_info=t.exception())

        task.add_done_callback(done)

    def tell(self, text: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=f"agentls: {text}"))

    def log_client(self, text: str, kind: types.MessageType = types.MessageType.Log) -> None:
        log.info("%s", text)
        with contextlib.suppress(Exception):  # no client attached yet
            self.window_log_message(types.LogMessageParams(type=kind, message=text))

    # --- the engine ----------------------------------------------------------------------

    async def connect(self) -> None:
        """Find the repository, attach to (or start) its engine, subscribe to reports."""
        from agentls.engine.spawn import attach
        from agentls.git.repo import find_repository

        if self.folder is None:
            self.go_idle("no workspace folder was given; agentls stays idle in this window")
            return
        try:
            repository = await asyncio.to_thread(find_repository, self.folder)
        except AgentlsError as exc:
            self.go_idle(f"{exc}. agentls stays idle in this window.")
            return
        self.common_dir = repository.common_dir
        try:
            client = await asyncio.to_thread(
                attach,
                repository.common_dir,
                on_notification=self._from_engine,
                on_close=self._engine_closed,
            )
        except (EngineError, AgentlsError) as exc:  # AgentlsError: a socket not ours
            self.tell(
                exc.message if isinstance(exc, EngineError) else str(exc), types.MessageType.Error
            )
            return
        self.engine = client
        self.log_client(f"attached to the engine of {repository.common_dir}")
        try:
            if self.settings.trunk:
                await self._configure_trunk()
            # The engine pushes the current report before it answers, then every change.
            # While it starts it answers for the files open here first.
            opened = [str(path) for path in self.open_paths]
            await asyncio.to_thread(client.call, "subscribe", {"open": opened})
        except EngineError as exc:
            self.tell(f"engine: {exc.message}", types.MessageType.Error)
        await semantic.after_connect(self)
        for path, text in self.dirty.items():  # buffers edited before (re)connecting
            self._notify_engine("buffer", {"path": path, "text": text})

    async def _configure_trunk(self) -> None:
        if self.engine is None:
            return
        try:
            await asyncio.to_thread(self.engine.call, "configure", {"trunk": self.settings.trunk})
        except EngineError as exc:
            self.tell(f"trunk setting: {exc.message}", types.MessageType.Warning)

    def go_idle(self, reason: str) -> None:
        if self.idle_reason is None:
            self.idle_reason = reason
            self.tell(reason, types.MessageType.Warning)

    def _from_engine(self, method: str, params: dict[str, Any]) -> None:
        """Engine reader thread -> the event loop."""
        if method == "report" and self.loop is not None:
            self.loop.call_soon_threadsafe(self.apply_report, params)
        elif method == "semantic" and self.loop is not None:
            self.loop.call_soon_threadsafe(semantic.status_changed, self, params)

    def _engine_closed(self) -> None:
        if self.stopping or self.loop is None:
            return
        self.loop.call_soon_threadsafe(self._reconnect)

    def _reconnect(self) -> None:
        self.engine = None
        if self.stopping or self.reconnects >= MAX_RECONNECTS:
            self.tell(
                "lost the agentls engine; restart the language server", types.MessageType.Error
            )
            return
        self.reconnects += 1
        self.log_client("the engine went away; reattaching")
        self.spawn(self.connect())

    def _notify_engine(self, method: str, params: dict[str, Any]) -> None:
        if self.engine is None:
            return
        try:
            self.engine.notify(method, params)
        except EngineError as exc:
            log.warning("engine: %s", exc.message)

    def require_engine(self) -> EngineClient:
        if self.engine is None:
            if self.idle_reason is not None:
                folder = str(self.folder) if self.folder else None
                raise refusal(NOT_A_REPOSITORY, self.idle_reason, {"folder": folder})
            raise refusal(ENGINE_UNAVAILABLE, "not attached to the agentls engine yet; try again")
        return self.engine

    async def engine_call(self, method: str, params: dict[str, Any], **kw: Any) -> Any:
        engine = self.require_engine()
        try:
            return await asyncio.to_thread(engine.call, method, params, **kw)
        except EngineError as exc:
            raise from_engine(exc) from exc

    # --- reports -> diagnostics -----------------------------------------------------------

    def _lengths(self, path: Path) -> Sequence[int] | None:
        uri = self.open_paths.get(path)
        if uri is not None:
            document = self.workspace.get_text_document(uri)
            return diagnostics.line_lengths(document.source)
        return diagnostics.read_line_lengths(path)

    def apply_report(self, report: dict[str, Any]) -> None:
        """Publish what changed for this window's session; clear what went away."""
        try:
            self._apply_report(report)
        except Exception:
            log.exception("could not apply a report")

    def _apply_report(self, report: dict[str, Any]) -> None:
        self.report = report
        self.me = diagnostics.self_session(report, self.folder)
        found = (
            diagnostics.build(report, self.me, self.settings, self._lengths)
            if self.me is not None
            else {}
        )
        found.update(self._other_open_sessions_diagnostics(report))
        fresh: dict[str, list[types.Diagnostic]] = {}
        for path, items in found.items():
            fresh[self.open_paths.get(path) or uris.from_fs_path(str(path)) or str(path)] = items
        for uri in set(self.published) | set(fresh):
            items = fresh.get(uri, [])
            if self.published.get(uri, []) != items or (uri not in self.published and items):
                self.text_document_publish_diagnostics(
                    types.PublishDiagnosticsParams(uri=uri, diagnostics=items)
                )
        self.published = fresh
        status = diagnostics.sessions_changed(report, self.me)
        if status != self.last_status:
            self.last_status = status
            self.protocol.notify(SESSIONS_CHANGED, status)
        review_changed(self, report)

    def _other_open_sessions_diagnostics(
        self, report: dict[str, Any]
    ) -> dict[Path, list[types.Diagnostic]]:
        """Diagnostics for open files of other worktrees than this window's.

        Neovim runs one client per repository, so one window opens files of several
        sessions; each such file gets its own session's diagnostics.
        """
        others: dict[str, dict[str, Any]] = {}
        for path in self.open_paths:
            session = diagnostics.self_session(report, path.parent)
            if session is not None and (self.me is None or session["name"] != self.me["name"]):
                others[session["name"]] = session
        found: dict[Path, list[types.Diagnostic]] = {}
        for session in others.values():
            built = diagnostics.build(report, session, self.settings, self._lengths)
            for path, items in built.items():
                if path in self.open_paths or path.resolve() in self.open_paths:
                    found[path] = items
        return found

    def fit_to_buffer(self, uri: str) -> None:
        """Re-end this file's ranges at its lines as the editor has them now.

        An edit that changes no collision changes no report, so nothing else would.
        """
        items = self.published.get(uri)
        if not items:
            return
        text = self.workspace.get_text_document(uri).source
        fitted = diagnostics.fit_to_text(items, diagnostics.line_lengths(text))
        if fitted is not None:
            self.published[uri] = fitted
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=fitted)
            )

    def republish(self) -> None:
        if self.report is not None:
            self.published_force()
            self.apply_report(self.report)

    def published_force(self) -> None:
        """Forget what was sent so the next apply re-sends everything (settings changed)."""
        for uri in self.published:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )
        self.published = {}

    # --- settings ------------------------------------------------------------------------

    def use_settings(self, raw: Any) -> None:
        old_trunk, old_trusted = self.settings.trunk, self.settings.trusted
        settings, problems = parse_settings(raw)
        if not mentions_trusted(raw):
            settings.trusted = old_trusted  # trust is the editor's to say, not the settings'
        self.settings = settings
        logging.getLogger("agentls").setLevel(settings.log_level.upper())
        for problem in problems:
            self.tell(f"settings: {problem}", types.MessageType.Warning)
        if settings.trunk != old_trunk and self.engine is not None:
            self.spawn(self._configure_trunk())
        if settings.trusted != old_trusted and self.engine is not None:
            self.spawn(semantic.send_trust(self))
        self.republish()

    async def pull_configuration(self) -> None:
        if not self.client_features.configuration:
            return
        try:
            result = await asyncio.wait_for(
                self.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section="agentls")])
                ),
                timeout=5,
            )
        except Exception as exc:
            log.info("workspace/configuration failed: %s", exc)
            return
        if result and result[0] is not None:
            self.use_settings(result[0])


def _root(params: types.InitializeParams) -> Path | None:
    raw: str | None = None
    if params.workspace_folders:
        raw = uris.to_fs_path(params.workspace_folders[0].uri)
    elif params.root_uri:
        raw = uris.to_fs_path(params.root_uri)
    elif params.root_path:
        raw = params.root_path
    if not raw:
        return None
    try:
        return Path(raw).resolve()
    except OSError:
        return Path(raw)


def _path(uri: str) -> Path | None:
    raw = uris.to_fs_path(uri)
    if not raw:
        return None
    try:
        return Path(raw).resolve()
    except (OSError, ValueError):  # ValueError: a NUL or a lone surrogate in the uri
        return None


server = AgentlsServer()


@server.feature(types.INITIALIZE)
def initialize(ls: AgentlsServer, params: types.InitializeParams) -> None:
    ls.folder = _root(params)
    ls.client_features = ClientFeatures.from_initialize(params)
    if params.initialization_options is not None:
        settings, problems = parse_settings(params.initialization_options)
        ls.settings = settings
        ls._init_problems = problems  # type: ignore[attr-defined]


@server.feature(types.INITIALIZED)
async def initialized(ls: AgentlsServer, params: types.InitializedParams) -> None:
    ls.loop = asyncio.get_running_loop()
    for problem in getattr(ls, "_init_problems", []):
        ls.tell(f"settings: {problem}", types.MessageType.Warning)
    ls.spawn(_start(ls))


async def _start(ls: AgentlsServer) -> None:
    await ls.pull_configuration()
    await ls.connect()


@server.feature(types.SHUTDOWN)
def shutdown(ls: AgentlsServer, params: Any) -> None:
    ls.stopping = True
    if ls.engine is not None:
        ls.engine.close()
        ls.engine = None


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(
    ls: AgentlsServer, params: types.DidChangeConfigurationParams
) -> None:
    if isinstance(params.settings, dict) and isinstance(params.settings.get("agentls"), dict):
        ls.use_settings(params.settings["agentls"])
    else:
        await ls.pull_configuration()


# --- documents: unsaved buffers go to the engine, diagnostics show on open -----------------


def _read_bytes(path: Path) -> bytes | None:
    """PATH's bytes when it is a regular file agentls may read (agentls.files), else None."""
    try:
        return read_regular(path)
    except OSError:  # gone, a FIFO or device, too large...
        return None


def _buffer_text(ls: AgentlsServer, path: Path, text: str, disk: bytes | None) -> None:
    """Forward TEXT as an unsaved buffer, or hand the file back to the disk when they match."""
    key = str(path)
    if len(text) > files.MAX_FILE_BYTES:
        # Too large to track as an unsaved buffer: the file on disk is what counts.
        if ls.dirty.pop(key, None) is not None:
            ls._notify_engine("close", {"path": key})
        return
    encoding = ls.encodings.get(key, encoding_.UTF8)
    if disk is not None and encoding_.to_bytes(text, encoding) == disk:
        # Unchanged (an undo, or the editor reloading what an agent wrote): a buffer
        # would only pin the file against later writes on disk.
        if ls.dirty.pop(key, None) is not None:
            ls._notify_engine("close", {"path": key})
        return
    ls.dirty[key] = encoding_.wire(text, encoding)
    ls._notify_engine("buffer", {"path": key, "text": ls.dirty[key]})


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: AgentlsServer, params: types.DidOpenTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = _path(uri)
    if path is None:
        return
    ls.open_paths[path] = uri
    if ls.engine is not None and (ls.report is None or ls.report.get("complete") is False):
        ls.spawn(ls.engine_call("focus", {"paths": [str(path)]}))  # the engine is starting
    disk = _read_bytes(path)
    ls.encodings[str(path)], _ = encoding_.detect(disk, params.text_document.text)
    _buffer_text(ls, path, params.text_document.text, disk)  # e.g. a restored unsaved buffer
    items = ls.published.get(uri)
    if items is None:
        # The report may name this file under another spelling of its uri.
        fs_uri = uris.from_fs_path(str(path)) or uri
        items = ls.published.pop(fs_uri, [])
        if items:
            ls.published[uri] = items
    if not items and ls.report is not None:
        ls.apply_report(ls.report)  # a file of another session's worktree: build its own
        if uri in ls.published:
            return
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=items))


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: AgentlsServer, params: types.DidChangeTextDocumentParams) -> None:
    path = _path(params.text_document.uri)
    if path is None:
        return
    text = ls.workspace.get_text_document(params.text_document.uri).source
    encoding = ls.encodings.get(str(path), encoding_.UTF8)
    try:  # read the disk only when it could be equal (same size)
        same_size = path.stat().st_size == len(encoding_.to_bytes(text, encoding))
    except (OSError, ValueError):  # ValueError: a NUL in the path
        same_size = False
    _buffer_text(ls, path, text, _read_bytes(path) if same_size else None)
    ls.fit_to_buffer(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: AgentlsServer, params: types.DidSaveTextDocumentParams) -> None:
    path = _path(params.text_document.uri)
    if path is not None and ls.dirty.pop(str(path), None) is not None:
        ls._notify_engine("close", {"path": str(path)})  # the disk is the truth again


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: AgentlsServer, params: types.DidCloseTextDocumentParams) -> None:
    path = _path(params.text_document.uri)
    if path is None:
        return
    ls.open_paths.pop(path, None)
    ls.encodings.pop(str(path), None)
    if ls.dirty.pop(str(path), None) is not None:
        ls._notify_engine("close", {"path": str(path)})


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
)
def code_action(ls: AgentlsServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    trunk_checkouts = {
        s["name"] for s in (ls.report or {}).get("sessions", []) if s.get("is_trunk")
    }
    return code_actions(params, trunk_checkouts)


commands.register(server)
register_review(server, commands.lifecycle)  # agentls.review.*
semantic.register(server, commands.lifecycle)  # agentls.verify.*


def serve(host: str | None = None, port: int | None = None, *, verbose: bool = False) -> None:
    """Run the language server on stdio (or TCP for debugging). Logs go to stderr only."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("agentls: %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(QuietRefusals())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("agentls").setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("pygls.protocol.json_rpc").addFilter(framing.QuietDeserializeErrors())
    if host is not None and port is not None:
        server.start_tcp(host, port)
    else:
        server.start_io()
