"""The engine's analysis thread: the only thread that touches the Workspace.

Everything arrives as a job on one queue (file events from the watcher, unsaved
buffers and requests from connections). The thread takes whatever is queued at
once, coalesces it (a file saved five times is read once), applies it, and
publishes one report when the picture changed. No timers delay a save: a batch is
whatever piled up while the previous one ran. When things go quiet after changes,
the authoritative full check (`Workspace.reconcile`) runs once.
"""

from __future__ import annotations

import difflib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentls.engine.protocol import INTERNAL_ERROR, INVALID_PARAMS, REFUSED, EngineError
from agentls.errors import AgentlsError
from agentls.remote import view as remote_view
from agentls.remote.fetcher import start_fetcher

if TYPE_CHECKING:
    from agentls.changes import SessionState
    from agentls.git.snapshot import Scan

log = logging.getLogger(__name__)

RECONCILE_AFTER = 0.3  # seconds of quiet after live updates before the full check
# Worktree scans (`git status`) running at once while the engine starts: one per core
# keeps both busy, since the walk that sets the next worktree's watches runs meanwhile.
SCANS_AT_ONCE = 2
SCAN_POLL = 0.005  # seconds between looks at running scans while nothing else is to do
# Requests answered from the partial picture while the engine starts; the rest wait.
WHILE_LOADING = frozenset({"subscribe", "focus", "check", "diff", "configure"})
# Commands that run builds and tests or wait for the land lock: they get a thread and
# a Workspace of their own, so diagnostics keep flowing in every window meanwhile.
# New and fork stay on the analysis thread: a second Workspace discovering a worktree
# while git is still creating it would race this one for its session id (and name),
# and fork snapshots the source with its unsaved buffers, which only live here.
LONG_RUNNING = frozenset(
    {
        "agentls.session.land",
        "agentls.session.landAll",
        "agentls.session.recover",
        "agentls.review.runChecks",
    }
)


# Requests that do not end the start-up's hold for the first client (see Worker): a
# server's trunk setting comes just before its subscribe (its open files).
HOLD_KEEPING_METHODS = frozenset({"configure"})


@dataclass
class Job:
    kind: str  # file | tree | admin | store | buffer | close | drop | call | semantic | stop
    path: str = ""
    text: str = ""
    owner: int = 0  # connection id (buffers, calls)
    method: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    reply: Callable[[Any, EngineError | None], None] | None = None
    progress: Callable[[dict[str, Any]], None] | None = None


Publisher = Callable[[str, dict[str, Any]], None]
Notifier = Callable[[str, dict[str, Any]], None]


class Worker:
    """Owns the Workspace; turns jobs into state changes and published reports."""

    def __init__(
        self,
        common_dir: Path,
        publish: Publisher,
        notify: Notifier | None = None,
        *,
        first_client_within: float = 0.0,
    ) -> None:
        self.common_dir = common_dir
        self.publish = publish  # (serialized report line, report json)
        self.notify: Notifier = notify or (lambda method, params: None)  # to every subscriber
        self.semantic: Any = None  # agentls.semantic.scheduler.Scheduler
        self.jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self.ready = threading.Event()
        self.ws: Any = None
        self.watcher: Any = None
        self.fetcher: Any = None
        self.last_report: dict[str, Any] | None = None
        self._last_serialized = ""
        # The last review summary: (its inputs, the summary, its JSON text).
        self._review: tuple[tuple[object, ...], list[dict[str, Any]], str] | None = None
        # abs path -> {connection: unsaved text}, the latest edit last. Two windows may
        # hold one file; when one lets go, the other's text is what counts again.
        self._buffers: dict[str, dict[int, str]] = {}
        self._needs_reconcile = False
        self._store_version = -1  # the store's data_version when last read
        self.started_error: str | None = None
        # Start-up: the steps left (watch a worktree, scan one, check pairs), and the
        # requests that need the complete picture, answered when the steps are done.
        self._loading: Iterator[bool] | None = None
        self._scans: list[tuple[SessionState, Scan]] = []  # running, oldest first
        self._waiting: list[Job] = []
        self._held: list[Job] = []  # taken off the queue while waiting for a scan
        self._started = time.monotonic()
        # A language server started this engine before loading its own code and asks
        # for its open files within FIRST_CLIENT_WITHIN seconds: the worktrees' walks
        # and scans wait for that request (or the time), so its answer has the disk and
        # the cores to itself (see _hold_for_first_client).
        self._hold_until: float | None = (
            self._started + first_client_within if first_client_within > 0 else None
        )
        self.stats: dict[str, Any] = {
            "batches": 0,
            "events": 0,
            "refreshes": 0,
            "reconciles": 0,
            "complete": False,
            "loaded_in": None,  # seconds from start to the first complete report
        }
        self.thread = threading.Thread(target=self._run, name="agentls-analysis", daemon=True)
        self._long_running = 0  # lands and checks under way (their own threads)
        self._long_lock = threading.Lock()

    # --- entry points (any thread) ------------------------------------------------------

    def start(self) -> None:
        self.thread.start()

    def put(self, job: Job) -> None:
        self.jobs.put(job)

    def sink(self, event: tuple[str, str]) -> None:
        """Watcher callback (watchdog's thread)."""
        self.jobs.put(Job(kind=event[0], path=event[1]))

    def stop(self) -> None:
        self.jobs.put(Job(kind="stop"))

    def busy(self) -> bool:
        """Whether a land or check runs: the engine must not exit under it when idle."""
        with self._long_lock:
            return self._long_running > 0

    # --- the thread ---------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._open()
        except Exception as exc:
            log.exception("engine could not open the repository")
            self.started_error = str(exc)
            self.ready.set()
            return
        self.ready.set()
        while True:
            if self._loading is not None:
                # Start-up: a step at a time, and whatever arrived in between first.
                batch = self._queued()
                if not batch:
                    if not self._hold_for_first_client():
                        self._load_step()
                    continue
            else:
                timeout = RECONCILE_AFTER if self._needs_reconcile else None
                try:
                    first = self.jobs.get(timeout=timeout)
                except queue.Empty:
                    self._idle()
                    continue
                batch = [first, *self._queued()]
            if any(job.kind == "stop" for job in batch):
                self._close()
                return
            try:
                self._batch(batch)
            except Exception:
                log.exception("engine batch failed")

    def _queued(self) -> list[Job]:
        """Whatever is queued now (coalesced into one batch); never waits for more."""
        batch, self._held = self._held, []
        while True:
            try:
                batch.append(self.jobs.get_nowait())
            except queue.Empty:
                return batch

    def _open(self) -> None:
        """Sessions and their HEADs only: the worktrees are watched and scanned in steps
        (`_load`), between which requests are answered, open files first."""
        from agentls.watch import Watcher
        from agentls.workspace import Workspace

        self.ws = Workspace(self.common_dir)
        self.watcher = Watcher(self.ws.repository.common_dir, self.sink)
        self._store_version = self.ws.store.data_version()
        self._start_semantic()  # trust and status from the start; pairs once loaded
        self._begin_loading()
        log.info(
            "%d sessions read in %.2f s; watching and scanning their worktrees",
            len(self.ws.states),
            time.monotonic() - self._started,
        )

    # --- start-up ----------------------------------------------------------------------------

    def _begin_loading(self) -> None:
        """(Re)start the load of every session not scanned yet."""
        self._cancel_scans()
        self.stats["complete"] = False
        self._loading = self._load(self.ws.begin())

    def _hold_for_first_client(self) -> bool:
        """Wait (at most until the hold ends) for the first client's request; True
        when one arrived, to be taken with the queue by the next turn."""
        if self._hold_until is None:
            return False
        left = self._hold_until - time.monotonic()
        if left <= 0:
            self._hold_until = None
            log.info("no client asked within the hold; walking and scanning the worktrees")
            return False
        try:
            self._held.append(self.jobs.get(timeout=left))
        except queue.Empty:
            return False
        return True

    def _load_step(self) -> None:
        """One start-up step; when only git is busy, wait a moment for jobs instead."""
        assert self._loading is not None
        try:
            waiting = next(self._loading)
        except StopIteration:
            self._loading = None
            self._loaded()
            return
        except Exception:
            log.exception("engine start-up step failed; starting over")
            self._begin_loading()
            return
        if waiting:
            try:
                self._held.append(self.jobs.get(timeout=SCAN_POLL))
            except queue.Empty:
                return  # taken first, with the rest of the queue, by the next turn

    def _load(self, states: list[SessionState]) -> Iterator[bool]:
        """Watch each worktree, then scan it: `git status` runs in the background (two
        at once) while the next worktrees' folders are walked, a few at a time. Watches
        come first, so nothing written during a scan is missed. Then the full check, a
        pair at a time.
        Yields after every step: True when it is only waiting for git."""
        to_watch = list(states)
        to_scan: list[SessionState] = []  # watched, not scanned yet
        warm: Iterator[None] | None = self.ws.warm_up() if states else None
        while to_watch or to_scan or self._scans:
            if self._scans and self._scans[0][1].done():
                self._finish_scan()
                yield False
            elif to_scan and len(self._scans) < SCANS_AT_ONCE:
                state = to_scan.pop(0)
                self._scans.append((state, state.begin_scan(self.ws.repository.scratch_dir)))
            elif to_watch and len(to_scan) < SCANS_AT_ONCE:
                state = to_watch.pop(0)
                session = state.session
                # A few folders at a time: a request (an open file) need not wait for a
                # whole worktree's walk. Dropped half-way (a restart), the walk is undone.
                walk = self.watcher.add_steps(
                    session.path, session.worktree.gitdir, state.head_tree
                )
                try:
                    for _ in walk:
                        yield False
                finally:
                    walk.close()
                to_scan.append(state)
                yield False
            elif warm is not None and next(warm, False) is None:
                yield False  # the full check's commit-only work, while git scans
            else:
                warm = None
                yield True
        self.watcher.sync((s.path, s.worktree.gitdir) for s in self.ws.present_sessions())
        while not self.ws.reconcile(interrupted=lambda: not self.jobs.empty()):
            if self.ws.complete:
                yield False  # interrupted by a job: answer it, then carry on
            else:
                self._loading = self._load(self.ws.begin())  # a session appeared meanwhile
                yield False

    def _finish_scan(self) -> None:
        state, scan = self._scans.pop(0)
        if self.ws.states.get(state.session.id) is not state:
            scan.close()  # the session moved or went away: its new state is loaded instead
            return
        try:
            state.finish_scan(scan)
        except AgentlsError as exc:
            # A worktree git cannot read (a corrupt index, say) must not stall the others:
            # it counts as its HEAD plus the files events bring, until a refresh.
            log.warning("could not scan %s: %s", state.session.path, exc)
            state.loaded = True

    def _cancel_scans(self) -> None:
        for _, scan in self._scans:
            scan.close()
        self._scans.clear()

    def _loaded(self) -> None:
        self.stats["complete"] = True
        if self.stats["loaded_in"] is None:
            self.stats["loaded_in"] = time.monotonic() - self._started
            log.info(
                "%d worktrees watched (%d folders) and scanned, full check done: %.2f s",
                len(self.ws.states),
                self.watcher.watch_count,
                self.stats["loaded_in"],
            )
        self._needs_reconcile = False
        self._publish()
        waiting, self._waiting = self._waiting, []
        for job in waiting:
            self._call(job)
        if self.fetcher is None:
            self.fetcher = start_fetcher(self)  # remote sessions, fetched in the background

    def _start_semantic(self) -> None:
        """Background semantic checks (off unless trunk and the user switch them on)."""
        from agentls.semantic.scheduler import Scheduler

        try:
            self.semantic = Scheduler(
                self.ws.repository.common_dir,
                self.ws.repository.cwd,
                notify=lambda status: self.notify("semantic", status),
                changed=lambda: self.put(Job(kind="semantic")),
            )
            self.semantic.start()
        except Exception:
            log.exception("semantic checks could not start")
            self.semantic = None

    def _close(self) -> None:
        if self.fetcher is not None:
            self.fetcher.stop()
        self._cancel_scans()
        for job in self._waiting:
            if job.reply is not None:
                job.reply(None, EngineError("the engine is stopping", REFUSED))
        if self.semantic is not None:
            self.semantic.stop()
        if self.watcher is not None:
            self.watcher.close()
        if self.ws is not None:
            self.ws.close()

    def _idle(self) -> None:
        # Stop between pairs as soon as anything arrives: live edits go first, and the
        # check resumes (skipping pairs already verified) at the next quiet moment.
        if not self.ws.reconcile(interrupted=lambda: not self.jobs.empty()):
            return
        self._needs_reconcile = False
        self.stats["reconciles"] += 1
        self._publish()

    def _batch(self, batch: list[Job]) -> None:
        self.stats["batches"] += 1
        self.stats["events"] += len(batch)
        changed = False
        files: dict[str, None] = {}  # ordered set: each path read once per batch

        def flush() -> bool:
            hit = False
            for path in files:
                hit |= self._safely(self._file, path)
            files.clear()
            return hit

        if any(job.kind == "admin" for job in batch) or (
            any(job.kind == "store" for job in batch) and self._safely(self._store_changed)
        ):
            changed |= self._safely(self._refresh)
        for job in batch:
            if job.kind == "file":
                files[job.path] = None
                continue
            changed |= flush()
            if job.kind == "tree":
                changed |= self._safely(self._tree, job.path)
            elif job.kind == "buffer":
                changed |= self._safely(self._buffer, job.path, job.text, job.owner)
            elif job.kind == "close":
                changed |= self._safely(self._buffer_closed, job.path, job.owner)
            elif job.kind == "drop":
                changed |= self._safely(self._drop, job.owner)
                if self.semantic is not None:
                    self.semantic.left(job.owner)
            elif job.kind == "semantic":  # a semantic check finished: its verdict shows
                changed = True
            elif job.kind == "call":
                if changed:
                    self._safely(self._publish)
                    changed = False
                self._call(job)  # answers even when it fails
        changed |= flush()
        if changed:
            self._needs_reconcile = True
            self._publish()

    def _safely(self, step: Callable[..., Any], *args: Any) -> bool:
        """Run one step of a batch; a failure is logged and never costs the other jobs."""
        try:
            return bool(step(*args))
        except Exception:
            log.exception("engine step %s%r failed", getattr(step, "__name__", step), args[:1])
            return False

    # --- state changes -------------------------------------------------------------------

    def _store_changed(self) -> bool:
        """Another process (the CLI renaming, claiming...) committed to the store.

        data_version ignores this connection's own writes, so the engine's own
        bookkeeping never triggers a refresh.
        """
        return bool(self.ws.store.data_version() != self._store_version)

    def _refresh(self, *, rescan: bool = False) -> bool:
        """Re-read sessions and trunk; worktrees whose HEAD moved are scanned again
        (with RESCAN, every worktree: a person asked, maybe for what no event said)."""
        self.stats["refreshes"] += 1
        self._store_version = self.ws.store.data_version()
        if self._loading is not None:
            # Still starting: re-read the sessions and go on loading what is not loaded.
            self._begin_loading()
            return True
        pending = self.ws.begin(rescan=rescan)
        # Watches before scans, so nothing written meanwhile (a new worktree's checkout,
        # say) is missed.
        self.watcher.sync((s.path, s.worktree.gitdir) for s in self.ws.present_sessions())
        self.ws.scan(pending)
        self.ws.reconcile()
        self._needs_reconcile = False  # refresh ran the full check
        return True

    def _file(self, path: str) -> bool:
        located = self.ws.locate(path)
        if located is None:
            return False
        state, relative = located
        return bool(self.ws.file_changed(state, relative))

    def _tree(self, folder: str) -> bool:
        """A folder vanished: every tracked file under it is re-read (and found gone)."""
        located = self.ws.locate(folder)
        if located is None:
            return False
        state, folder_path = located
        # The folder itself may be an entry too: a submodule's or nested repo's gitlink.
        paths = state.paths_under(folder_path.rstrip("/"))
        hit = False
        for path in paths:
            hit |= bool(self.ws.file_changed(state, path))
        return hit

    def _buffer(self, path: str, text: str, owner: int) -> bool:
        located = self.ws.locate(path)
        if located is None:
            return False
        held = self._buffers.setdefault(path, {})
        before = held.pop(owner, None)
        held[owner] = text  # the latest edit goes last
        state, relative = located
        try:
            return bool(self.ws.buffer_changed(state, relative, text))
        except UnicodeEncodeError:  # lone surrogates: no file can hold this text
            del held[owner]
            if before is not None:
                held[owner] = before
            log.warning("ignored an unsaved buffer of %s that is not valid Unicode", path)
            return False

    def _buffer_closed(self, path: str, owner: int) -> bool:
        held = self._buffers.get(path)
        if held is None or owner not in held:
            return False
        was_latest = next(reversed(held)) == owner
        del held[owner]
        if held and not was_latest:
            return False  # another window's later edit is what shows
        located = self.ws.locate(path)
        if located is None:
            if not held:
                del self._buffers[path]
            return False
        state, relative = located
        if held:  # another window still holds unsaved text for this file
            return bool(self.ws.buffer_changed(state, relative, next(reversed(held.values()))))
        del self._buffers[path]
        return bool(self.ws.buffer_closed(state, relative))

    def _drop(self, owner: int) -> bool:
        """A connection left (or died): its unsaved buffers no longer count."""
        hit = False
        for path in [p for p, held in self._buffers.items() if owner in held]:
            hit |= self._buffer_closed(path, owner)
        return hit

    def _publish(self) -> None:
        current = self.ws.report()
        report = current.to_json(shared=True)  # only read and sent from here on
        report["review"], review_text = self._review_summary(current)
        # False while the engine starts: the report then holds only what the files open in
        # editors (and the files asked about) showed; front ends can say "loading".
        report["complete"] = self._loading is None
        serialized = current.sorted_text(report, {"review": review_text})
        self.last_report = report
        if serialized != self._last_serialized:
            self._last_serialized = serialized
            self.publish(serialized, report)
        if self.semantic is not None and self._loading is None:
            # What changed, and (once the full check ran) the pairs to check; not while
            # starting: sessions not scanned yet have no state to build or compare.
            try:
                self.semantic.observe(self.ws, settled=not self._needs_reconcile)
            except Exception:
                log.exception("semantic checks could not take the new picture")

    def _review_summary(self, report: Any) -> tuple[list[dict[str, Any]] | None, str]:
        """Each session's review state, published with the report (agentls/reviewChanged),
        and its JSON text; made again only when what it reads changed (review_inputs)."""
        from agentls.review.summary import review_inputs, review_summary

        try:
            inputs = review_inputs(self.ws, report)
            if self._review is None or self._review[0] != inputs:
                summary = review_summary(self.ws, report)
                self._review = (inputs, summary, json.dumps(summary, sort_keys=True))
            return self._review[1], self._review[2]
        except Exception:
            log.warning("could not summarise the review state", exc_info=True)
            self._review = None
            return None, "null"

    # --- requests --------------------------------------------------------------------------

    def _call(self, job: Job) -> None:
        if job.method not in HOLD_KEEPING_METHODS:
            self._hold_until = None  # a client asked: the start-up goes on behind it
        if self._loading is not None and job.method not in WHILE_LOADING:
            self._waiting.append(job)  # answered when the start-up is done
            return
        command = job.params.get("command") if job.method == "command" else None
        if isinstance(command, str) and command.startswith("agentls.verify."):
            self._verify(job)
            return
        if job.method == "command" and job.params.get("command") in LONG_RUNNING:
            with self._long_lock:
                self._long_running += 1
            threading.Thread(
                target=self._answer_long, args=(job,), name="agentls-land", daemon=True
            ).start()
            return
        self._answer(job, self._dispatch)

    def _answer_long(self, job: Job, handler: Callable[[Job], Any] | None = None) -> None:
        try:
            self._answer(job, handler or self._run_long)
        finally:
            with self._long_lock:
                self._long_running -= 1

    def _verify(self, job: Job) -> None:
        """agentls.verify.*: prepared here, on the live Workspace (unsaved buffers count);
        refusals answer at once, the checks themselves are waited for on a thread (the
        engine stays up for them, like a land, when the asking window goes)."""
        from agentls.semantic.engine import prepare_verify

        work: list[Callable[[], Any]] = []

        def prepare(job: Job) -> None:
            work.append(prepare_verify(self, job))

        self._answer(job, prepare, reply_on_success=False)
        if work:
            with self._long_lock:
                self._long_running += 1
            threading.Thread(
                target=self._answer_long,
                args=(job, lambda job: work[0]()),
                name="agentls-verify",
                daemon=True,
            ).start()

    def _answer(
        self, job: Job, handler: Callable[[Job], Any], *, reply_on_success: bool = True
    ) -> None:
        assert job.reply is not None
        try:
            result = handler(job)
        except EngineError as exc:
            job.reply(None, exc)
        except AgentlsError as exc:
            log.info("refused %s: %s (%s)", job.method, exc.message, exc.code)
            job.reply(None, EngineError.refusal(exc))
        except OSError as exc:  # the system said no: a name too long, no space, no access
            message = f"{job.method} failed: {exc}"
            data = {"method": job.method, "errno": exc.errno}
            error = {"code": "os-error", "message": message, "data": data}
            job.reply(None, EngineError(message, REFUSED, error))
        except Exception as exc:
            log.exception("engine request %s failed", job.method)
            job.reply(None, EngineError(f"{job.method} failed: {exc}", INTERNAL_ERROR))
        else:
            if reply_on_success:
                job.reply(result, None)

    def _run_long(self, job: Job) -> Any:
        """A land on its own Workspace; the land lock keeps lands one at a time."""
        from agentls.engine.commands import run_command
        from agentls.workspace import Workspace

        with Workspace(self.common_dir, trunk=self.ws.trunk_override) as own:
            own.refresh()
            try:
                return run_command(own, job.params, job.progress)
            finally:
                self._refresh_before_answering()

    def _refresh_before_answering(self, timeout: float = 60.0) -> None:
        """Have the analysis thread refresh before the answer goes out, so whoever asked
        finds the engine's picture (and its next report) already past the land."""
        done = threading.Event()
        self.put(Job(kind="call", method="refresh", reply=lambda result, error: done.set()))
        if not done.wait(timeout):
            log.warning("the refresh after a long command took over %s s", timeout)

    def _dispatch(self, job: Job) -> Any:
        method, params = job.method, job.params
        if method in ("report", "subscribe"):
            if self._loading is not None:
                self._focus(params.get("open"))
            if self.last_report is None:
                self._publish()
            return self.last_report
        if method == "focus":
            return {"complete": self._loading is None, "changed": self._focus(params.get("paths"))}
        if method == "refresh":
            self._refresh(rescan=params.get("rescan") is True)
            self._publish()
            return self.last_report
        if method == "configure":
            return self._configure(params, job.owner)
        if method == "check":
            return self._check(params)
        if method == "command":
            from agentls.engine.commands import READ_ONLY_COMMANDS, run_command

            result = run_command(self.ws, params, job.progress)
            if params.get("command") not in READ_ONLY_COMMANDS:
                self._refresh()
                self._publish()
            return result
        if method == "diff":
            return self._diff(params)
        if method == "fileVersion":
            return self._file_version(params)
        if method == "remotePublish":  # the background fetcher's auto-publish (agentls.remote)
            from agentls.remote.publish import publish

            return publish(self.ws)
        if method == "stats":
            semantic = self.semantic.status() if self.semantic is not None else None
            watches = self.watcher.watch_count if self.watcher else 0
            return {**self.stats, "watches": watches, "semantic": semantic}
        raise EngineError(f"unknown engine method {method!r}", INVALID_PARAMS)

    def _focus(self, paths: Any) -> bool:
        """While starting: answer for these files (open in an editor) before the scans."""
        if self._loading is None or not paths:
            return False
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise EngineError("open files must be a list of absolute paths", INVALID_PARAMS)
        if not self.ws.focus(paths):
            return False
        self._publish()
        return True

    def _configure(self, params: dict[str, Any], owner: int = 0) -> dict[str, Any]:
        trusted = params.get("trusted")
        if trusted is not None:  # an editor's workspace trust: no background checks without it
            if not isinstance(trusted, bool):
                raise EngineError("trusted must be true or false", INVALID_PARAMS)
            if self.semantic is not None:
                self.semantic.set_trusted(owner, trusted)
            if "trunk" not in params:
                return {"trunk": self.ws.trunk.branch, "trusted": trusted}
        trunk = params.get("trunk") or None
        if trunk is not None and not isinstance(trunk, str):
            raise EngineError("trunk must be a branch name or null", INVALID_PARAMS)
        if trunk != self.ws.trunk_override:
            old = self.ws.trunk_override
            self.ws.trunk_override = trunk
            try:
                self._refresh()
            except AgentlsError:
                self.ws.trunk_override = old
                raise
            self._publish()
        return {"trunk": self.ws.trunk.branch}

    def _check(self, params: dict[str, Any]) -> Any:
        try:
            from agentls.agents.check import check_paths
        except ImportError as exc:
            raise EngineError(f"agentls.agents.check is not available: {exc}", REFUSED) from exc
        paths = params.get("paths") or []
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise EngineError("paths must be a list of strings", INVALID_PARAMS)
        cwd, session = params.get("cwd") or ".", params.get("session")
        if not isinstance(cwd, str) or not (session is None or isinstance(session, str)):
            raise EngineError("cwd must be a string and session a string or null", INVALID_PARAMS)
        _plain_strings("check", {"cwd": cwd, "session": session or "", "paths": paths})
        if self._loading is not None:  # read these paths in the sessions not scanned yet
            self.ws.focus([str(Path(cwd, p)) for p in paths])
        return check_paths(self.ws, cwd, paths, session)

    def _file_version(self, params: dict[str, Any]) -> dict[str, Any]:
        """One file as a session has it now (buffers included), at HEAD, base or a commit."""
        from agentls.versions import file_version

        session, path, at = params.get("session"), params.get("path"), params.get("at")
        if not isinstance(session, str) or not isinstance(path, str):
            raise EngineError("fileVersion needs session and path", INVALID_PARAMS)
        return file_version(self.ws, session, path, at if isinstance(at, str) else "current")

    def _diff(self, params: dict[str, Any]) -> dict[str, Any]:
        """A unified diff of PATH between two sessions' current states (buffers included)."""
        path, mine, other = params.get("path"), params.get("session"), params.get("other")
        if not all(isinstance(v, str) and v for v in (path, mine, other)):
            raise EngineError("diff needs path, session and other", INVALID_PARAMS)
        _plain_strings("diff", {"path": path, "session": mine, "other": other})
        if self._loading is not None:
            for name in (mine, other):
                self.ws.focus([str(self.ws.session(name).path / path)])
        texts = []
        for name in (mine, other):
            state = remote_view.state_named(self.ws, str(name))  # remote sessions too
            entry = state.entry(path) if state is not None else None
            blob = self.ws.git[entry[0]].data if entry else b""
            texts.append(blob.decode("utf-8", errors="replace").splitlines(keepends=True))
        lines = difflib.unified_diff(
            texts[0], texts[1], fromfile=f"{mine}/{path}", tofile=f"{other}/{path}"
        )
        return {"diff": "".join(lines), "path": path}


def _plain_strings(method: str, params: dict[str, Any]) -> None:
    """Refuse strings no path or name can be (NUL, lone surrogates, too long): InvalidParams."""
    from agentls.engine.commands import string_problem

    for key, value in params.items():
        for text in value if isinstance(value, list) else [value]:
            problem = string_problem(text)
            if problem is not None:
                raise EngineError(f"{method}: {key!r} {problem}", INVALID_PARAMS)


def wait_ready(worker: Worker, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not worker.ready.wait(0.1):
        if time.monotonic() > deadline:
            break
