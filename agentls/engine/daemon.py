"""The engine process: one per repository, shared by every `agentls serve` and the CLI.

It holds an fcntl lock (so two engines never race), listens on the Unix socket from
`paths.socket_path`, runs one analysis thread (`worker.Worker`), and exits a grace
period after its last client leaves. A client that dies abruptly closes its socket
(the kernel does it), which counts as leaving, so nothing leaks.

The grace depends on who started it: a front end that needs it now (spawn.py passes
5 s, so closing the last editor window frees the memory), or a person typing
`agentls engine [--detach]` so agent hooks find it: that engine stays until
`agentls engine --stop` or an hour without any client (each hook call is a client).
Only processes of this user get a byte through its socket (guard.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import math
import os
import queue
import socket
import threading
import time
from pathlib import Path
from typing import Any

from agentls.engine.client import connect
from agentls.engine.guard import UnsafeEngineError, make_private_dir, peer_uid, same_user
from agentls.engine.paths import MAX_SOCKET_PATH, lock_path, socket_path, state_dir
from agentls.engine.protocol import INVALID_PARAMS, EngineError, decode, encode
from agentls.engine.worker import Job, Worker
from agentls.errors import InvalidInputError

log = logging.getLogger(__name__)

DEFAULT_GRACE = 3600.0  # seconds without clients before an engine started by hand exits
LOCK_WAIT = 15.0  # seconds a new engine waits for one that is starting or exiting
# Methods answered by the socket thread itself, without queueing behind analysis.
INSTANT = ("stats", "shutdown", "ping", "linger")


class Connection:
    """One attached client: a reader thread and a writer thread with its own queue."""

    def __init__(self, engine: Engine, sock: socket.socket, conn_id: int) -> None:
        self.engine = engine
        self.sock = sock
        self.id = conn_id
        self.subscribed = False
        self.outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.alive = True

    def start(self) -> None:
        """Serve it: started once it is registered, so leaving always finds it."""
        threading.Thread(target=self._read, name=f"engine-conn-{self.id}", daemon=True).start()
        threading.Thread(target=self._write, name=f"engine-send-{self.id}", daemon=True).start()

    def send(self, data: bytes) -> None:
        if self.alive:
            self.outbox.put(data)

    def reply(self, request_id: Any, result: Any, error: EngineError | None) -> None:
        if error is not None:
            self.send(encode({"id": request_id, "error": error.to_wire()}))
        else:
            self.send(encode({"id": request_id, "result": result}))

    def _write(self) -> None:
        while True:
            data = self.outbox.get()
            if data is None:
                return
            try:
                self.sock.sendall(data)
            except OSError:
                self.close()
                return

    def _read(self) -> None:
        stream = self.sock.makefile("rb")
        try:
            for line in stream:
                self._handle(line)
        except (OSError, ValueError):
            pass
        finally:
            stream.close()
            self.close()

    def _handle(self, line: bytes) -> None:
        try:
            message = decode(line)
        except ValueError:
            return  # garbage in, nothing out
        method = message.get("method")
        params = message.get("params")
        request_id = message.get("id")
        if not isinstance(method, str):
            if request_id is not None:
                self.reply(request_id, None, EngineError("method must be a string", INVALID_PARAMS))
            return
        if not isinstance(params, dict):
            params = {}
        if request_id is None:
            self._notification(method, params)
        elif method in INSTANT:
            self.reply(request_id, self.engine.instant(method, params), None)
        else:

            def reply(result: Any, error: EngineError | None) -> None:
                if method == "subscribe" and error is None:
                    # The current report goes out as a push first, so pushes stay ordered.
                    self.send(encode({"method": "report", "params": result}))
                    status = self.engine._semantic_status()
                    if status is not None:  # and where semantic checks stand
                        self.send(encode({"method": "semantic", "params": status}))
                    self.subscribed = True
                self.reply(request_id, result, error)

            self.engine.worker.put(
                Job(
                    kind="call",
                    method=method,
                    params=params,
                    owner=self.id,
                    reply=reply,
                    progress=lambda value: self.send(
                        encode({"method": "progress", "params": {"id": request_id, **value}})
                    ),
                )
            )

    def _notification(self, method: str, params: dict[str, Any]) -> None:
        path = params.get("path")
        if not isinstance(path, str) or not path:
            return
        if method == "buffer" and isinstance(params.get("text"), str):
            self.engine.worker.put(
                Job(kind="buffer", path=path, text=params["text"], owner=self.id)
            )
        elif method == "close":
            self.engine.worker.put(Job(kind="close", path=path, owner=self.id))

    def close(self) -> None:
        if not self.alive:
            return
        self.alive = False
        self.outbox.put(None)
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.engine.left(self)


class Engine:
    """The listening socket, its connections and the process lifetime."""

    def __init__(
        self, common_dir: Path, grace: float = DEFAULT_GRACE, first_client_within: float = 0.0
    ) -> None:
        self.common_dir = common_dir
        self.grace = grace
        self.worker = Worker(
            common_dir,
            self._broadcast,
            self._notify_all,
            first_client_within=first_client_within,
        )
        self.connections: dict[int, Connection] = {}
        self._lock = threading.Lock()
        self._ids = 0
        # No client yet counts as idle, but one that said it would come (a language
        # server that started this engine before loading its own code) gets that long
        # on top of the grace: it must not find the engine just gone.
        self._empty_since: float | None = time.monotonic() + first_client_within
        self._stop = threading.Event()
        self.started = time.time()

    def _broadcast(self, serialized: str, report: dict[str, Any]) -> None:
        line = ('{"method":"report","params":' + serialized + "}\n").encode()
        with self._lock:
            targets = [c for c in self.connections.values() if c.subscribed]
        for conn in targets:
            conn.send(line)

    def _notify_all(self, method: str, params: dict[str, Any]) -> None:
        """A notification to every subscribed client (semantic checks' status)."""
        line = encode({"method": method, "params": params})
        with self._lock:
            targets = [c for c in self.connections.values() if c.subscribed]
        for conn in targets:
            conn.send(line)

    def instant(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "shutdown":
            self._stop.set()
            return {"ok": True}
        if method == "linger":
            # A person started a second engine by hand: this one stays as long as that
            # one would have. Never shortened: another front end may rely on the longer.
            grace = params.get("grace")
            if isinstance(grace, (int, float)) and not isinstance(grace, bool):  # noqa: SIM102
                if math.isfinite(grace) and grace > self.grace:
                    self.grace = float(grace)
            return {"grace": self.grace}
        usage = _usage()
        return {
            "pid": os.getpid(),
            "clients": len(self.connections),
            "uptime": time.time() - self.started,
            "grace": self.grace,
            **usage,
            **self.worker.stats,
            "watches": self.worker.watcher.watch_count if self.worker.watcher else 0,
            "semantic": self._semantic_status(),
            "ready": self.worker.ready.is_set(),
        }

    def _semantic_status(self) -> dict[str, Any] | None:
        scheduler = self.worker.semantic
        try:
            return scheduler.status() if scheduler is not None else None
        except Exception:  # stats must answer whatever happens
            log.warning("could not read the semantic status", exc_info=True)
            return None

    def left(self, conn: Connection) -> None:
        with self._lock:
            self.connections.pop(conn.id, None)
            if not self.connections:
                self._empty_since = time.monotonic()
        self.worker.put(Job(kind="drop", owner=conn.id))

    def serve(self, listener: socket.socket) -> None:
        self.worker.start()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        while not self._stop.wait(0.2):
            with self._lock:
                idle = self._empty_since
            # A land whose window closed goes on to its end: exiting would cut it short.
            if idle is not None and time.monotonic() - idle > self.grace and not self.worker.busy():
                log.info("no clients for %.1f s; engine exits", self.grace)
                break
            if not self.common_dir.is_dir():
                log.info("repository %s is gone; engine exits", self.common_dir)
                break
        listener.close()
        with self._lock:
            conns = list(self.connections.values())
        for conn in conns:
            conn.close()
        self.worker.stop()
        self.worker.thread.join(timeout=5)

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            if not same_user(sock):
                # Not one byte is read from, or written to, another user's process.
                log.warning("refused a connection from another user (uid %s)", _uid_of(sock))
                with contextlib.suppress(OSError):
                    sock.close()
                continue
            with self._lock:
                self._ids += 1
                conn = self.connections[self._ids] = Connection(self, sock, self._ids)
                self._empty_since = None
            conn.start()


def _uid_of(sock: socket.socket) -> int | str:
    try:
        uid = peer_uid(sock)
    except OSError:
        return "unknown"
    return "unknown" if uid is None else uid


def _usage() -> dict[str, Any]:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss_kib = 0
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss_kib = int(line.split()[1])
    return {"cpu_user": usage.ru_utime, "cpu_system": usage.ru_stime, "rss_kib": rss_kib}


def _answers(common_dir: Path) -> bool:
    """Whether an engine of this user accepts connections on COMMON_DIR's socket."""
    client = connect(common_dir)
    if client is None:
        return False
    client.close()
    return True


def _ask_to_linger(common_dir: Path, grace: float) -> None:
    """Tell the engine that already serves to stay at least GRACE after its last client."""
    with contextlib.suppress(EngineError, UnsafeEngineError):
        client = connect(common_dir)
        if client is not None:
            try:
                client.call("linger", {"grace": grace}, timeout=10)
            finally:
                client.close()


def _take_lock(lock_file: Any, common_dir: Path, wait: float = LOCK_WAIT) -> bool:
    """Hold the engine lock; False when another engine serves (or does not let go).

    The lock is busy but nobody answers while an engine starts (it binds soon) or
    exits (it lets go soon): wait for one or the other. Giving up at once would
    leave a window that attaches just as the old engine exits with no engine.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pass
        else:
            return True
        if _answers(common_dir) or time.monotonic() > deadline:
            return False
        time.sleep(0.05)


class Endpoint:
    """A bound, locked engine socket that nothing serves yet.

    Split from serving so `agentls engine --detach` can refuse an unsafe folder or a
    socket it cannot bind in the foreground (exit 1, with the reason) and fork only
    once the endpoint exists: the child inherits the lock and the listening socket.
    """

    def __init__(
        self, common_dir: Path, path: Path, listener: socket.socket, lock_file: Any
    ) -> None:
        self.common_dir = common_dir
        self.path = path
        self.listener = listener
        self.lock_file = lock_file

    def close_inherited(self) -> None:
        """In the parent after a fork: drop its copies (the child keeps lock and socket)."""
        self.listener.close()
        self.lock_file.close()


def listen(common_dir: Path, grace: float = DEFAULT_GRACE) -> Endpoint | None:
    """Lock the repository's engine slot and bind its socket; None when an engine runs.

    Raises UnsafeEngineError (changing nothing) when a folder it would listen in could
    be controlled by another user, InvalidInputError for a bad grace or socket path.
    """
    if not math.isfinite(grace) or grace < 0:
        raise InvalidInputError(f"the grace period must be 0 or more seconds, got {grace}")
    common_dir = Path(common_dir).resolve()
    path = socket_path(common_dir)
    if len(os.fsencode(str(path))) > MAX_SOCKET_PATH:
        raise InvalidInputError(
            f"the engine socket path {path} is too long for a Unix socket",
            "set XDG_RUNTIME_DIR (or TMPDIR) to a shorter private folder",
        )
    make_private_dir(state_dir(common_dir))
    make_private_dir(path.parent)  # the state folder, XDG_RUNTIME_DIR or <tmp>/agentls-<uid>
    lock_file = open(lock_path(common_dir), "a+")  # noqa: SIM115 - held for the process lifetime
    if not _take_lock(lock_file, common_dir):
        log.info("an engine already runs for %s", common_dir)
        lock_file.close()
        _ask_to_linger(common_dir, grace)
        return None
    try:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # a stale socket from a crashed engine; we hold the lock
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)  # only this user may connect
        try:
            listener.bind(str(path))
        finally:
            os.umask(old_umask)
        os.chmod(path, 0o600)
        listener.listen(64)
    except BaseException:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)
        lock_file.close()
        raise
    return Endpoint(common_dir, path, listener, lock_file)


def serve_engine(
    endpoint: Endpoint, grace: float = DEFAULT_GRACE, first_client_within: float = 0.0
) -> int:
    """Serve a bound endpoint in this process until idle, then release it."""
    lock_file = endpoint.lock_file
    lock_file.seek(0)
    lock_file.truncate()
    lock_file.write(f"{os.getpid()}\n")  # the serving process (after a fork: the child)
    lock_file.flush()
    engine = Engine(endpoint.common_dir, grace, first_client_within)
    try:
        engine.serve(endpoint.listener)
    finally:
        with contextlib.suppress(OSError):
            if endpoint.path.exists():
                endpoint.path.unlink()
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)
        lock_file.close()
    return 0


def run_engine(common_dir: Path, grace: float = DEFAULT_GRACE) -> int:
    """Run the engine in this process until idle; 0 also when another engine already runs.

    Raises UnsafeEngineError (changing nothing) when a folder it would listen in could
    be controlled by another user.
    """
    endpoint = listen(common_dir, grace)
    if endpoint is None:
        return 0
    return serve_engine(endpoint, grace)
