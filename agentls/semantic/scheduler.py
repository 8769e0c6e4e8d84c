"""The engine's background semantic checks: which pair runs when, and who may say so.

The analysis thread hands over its picture after every change (`observe`): which
sessions changed when, and, once the picture is settled (the full check ran), the
pairs to check with their current snapshot trees. Check threads (`jobs` of them, 1
by default) take work in this order: a person's request (`request`, from `agentls
verify` or an editor command) first, then background checks, which run only when

- trunk's `[tool.agentls.verify]` enables them (`enabled = true`),
- this user allowed background checks for this repository (agentls.semantic.trust),
- no attached editor window said its workspace is untrusted,
- no land runs (the land lock; a check running when a land starts is cancelled and
  queued again), and
- both sessions of the pair have been quiet for `quiet` seconds (30 by default);

overlapping pairs first, then the rest, in cascade order. A pair whose verdict is in
the store (by both trees, base and commands) is never run again. When a session
changes while one of its pairs is being checked, that check is cancelled (its process
group killed) and queued again for the new state. Status (queue length, what runs,
its latest output line) goes out through NOTIFY; finished checks through CHANGED
(the engine then publishes a report with the new verdict).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentls.errors import AgentlsError
from agentls.semantic import config as verify_config
from agentls.semantic import trust
from agentls.semantic.book import SemanticBook
from agentls.semantic.pairs import Pair, Side, candidates, trunk_side
from agentls.semantic.scratch import sweep
from agentls.semantic.verdict import check_pair
from agentls.semantic.verify import answer, pair_result

log = logging.getLogger(__name__)

NOTIFY_EVERY = 0.5  # seconds between two progress notifications
LAND_POLL = 1.0  # seconds between looks at the land lock while checks run
Progress = Callable[[str, "int | None"], None]


@dataclass
class Demand:
    """A person's request: these pairs, now."""

    pairs: list[Pair]
    trunk: Side | None
    config: verify_config.VerifyConfig
    force: bool
    progress: Progress
    done: threading.Event = field(default_factory=threading.Event)
    results: list[dict[str, Any]] = field(default_factory=list)
    error: BaseException | None = None
    cancelled: bool = False


@dataclass
class Running:
    pair: Pair
    explicit: bool
    cancel: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.time)
    message: str = ""
    why_cancelled: str = ""


class Scheduler:
    """Background and requested semantic checks of one repository (one per engine)."""

    def __init__(
        self,
        common_dir: Path,
        cwd: Path,
        notify: Callable[[dict[str, Any]], None],
        changed: Callable[[], None],
    ) -> None:
        self.common_dir, self.cwd = Path(common_dir), Path(cwd)
        self.notify, self.changed = notify, changed
        self._cond = threading.Condition()
        self._config: verify_config.VerifyConfig | None = None
        self._config_commit: str | None = None
        self._config_error: str | None = None
        self._pairs: list[Pair] = []
        self._trunk: Side | None = None
        self._changed_at: dict[str, float] = {}  # side id -> monotonic time of its last change
        self._seen: dict[str, tuple[Any, ...]] = {}  # session id -> what it was last time
        self._demands: deque[Demand] = deque()
        self._running: list[Running] = []
        self._untrusted: set[int] = set()  # connections whose editor distrusts the workspace
        self._failed_keys: dict[str, float] = {}  # checks that crashed: not retried at once
        self._stopped = False
        self._land = False
        self._last_status: dict[str, Any] | None = None
        self._last_notify = 0.0
        self.stats = {"checks": 0, "cached": 0, "cancelled": 0, "found": 0}
        self._threads: list[threading.Thread] = []

    # --- life --------------------------------------------------------------------------------

    def start(self) -> None:
        """Sweep what a crashed engine left in the scratch checkouts, then start threads."""
        for line in sweep(self.common_dir):
            log.info("%s", line)
        watch = threading.Thread(target=self._watch_lands, name="agentls-semantic-lands")
        watch.daemon = True
        watch.start()
        self._threads.append(watch)
        self._ensure_workers(1)

    def _ensure_workers(self, count: int) -> None:
        workers = [t for t in self._threads if t.name.startswith("agentls-semantic-check")]
        for index in range(len(workers), count):
            thread = threading.Thread(
                target=self._work, name=f"agentls-semantic-check-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopped = True
            for running in self._running:
                running.why_cancelled = "the engine stops"
                running.cancel.set()
            for demand in self._demands:
                demand.cancelled = True
                demand.done.set()
            self._demands.clear()
            self._cond.notify_all()
        end = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, end - time.monotonic()))

    # --- what the engine tells it (analysis thread, connections) ----------------------------

    def config_for(self, ws: Any) -> verify_config.VerifyConfig | None:
        """Trunk's verify settings (read again when trunk moves); None when unreadable."""
        commit = ws.trunk.commit
        if commit != self._config_commit:
            self._config_commit = commit
            try:
                self._config = verify_config.load(ws.repository.cwd, commit)
                self._config_error = None
            except AgentlsError as exc:
                self._config, self._config_error = None, str(exc)
                log.warning("semantic checks: %s", exc)
        return self._config

    def observe(self, ws: Any, settled: bool) -> None:
        """The analysis thread's latest picture. SETTLED: the full check ran (snapshots known)."""
        config = self.config_for(ws)
        enabled = config is not None and config.enabled and bool(config.commands())
        now = time.monotonic()
        for session_id, state in ws.states.items():
            seen = (id(state), state.version, state.head)
            if self._seen.get(session_id) != seen:
                self._seen[session_id] = seen
                self._changed_at[session_id] = now
        trunk_seen = ("trunk", ws.trunk.commit)
        if self._seen.get("@trunk") != trunk_seen:
            self._seen["@trunk"] = trunk_seen
            self._changed_at["@trunk"] = now
        if not settled:
            return
        pairs = candidates(ws, with_trunk=config.trunk) if enabled and config is not None else []
        trunk = trunk_side(ws) if enabled else None
        with self._cond:
            trees = {side.id: side.tree for pair in pairs for side in (pair.a, pair.b)}
            for running in self._running:
                for side in (running.pair.a, running.pair.b):
                    if trees.get(side.id) != side.tree:
                        running.why_cancelled = f"{side.name} changed"
                        running.cancel.set()
            self._pairs, self._trunk = pairs, trunk
            if config is not None:
                self._ensure_workers(config.jobs)
            self._cond.notify_all()
        self._tell()

    def set_trusted(self, connection: int, trusted: bool) -> None:
        """An editor window says whether its workspace is trusted (VS Code's workspace trust)."""
        with self._cond:
            if trusted:
                self._untrusted.discard(connection)
            else:
                self._untrusted.add(connection)
                for running in self._running:
                    if not running.explicit:
                        running.why_cancelled = "an untrusted workspace is open"
                        running.cancel.set()
            self._cond.notify_all()
        self._tell()

    def left(self, connection: int) -> None:
        self.set_trusted(connection, True)

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()
        self._tell()

    def request(
        self,
        pairs: list[Pair],
        config: verify_config.VerifyConfig,
        *,
        trunk: Side | None,
        force: bool,
        progress: Progress,
    ) -> dict[str, Any]:
        """Check PAIRS now (a person asked); blocks until done. Verify's answer."""
        demand = Demand(pairs, trunk, config, force, progress)
        with self._cond:
            if self._stopped:
                raise AgentlsError("the engine is stopping", code="engine-unavailable")
            self._demands.append(demand)
            for running in self._running:
                if not running.explicit:  # a person waits: background work steps aside
                    running.why_cancelled = "a requested check goes first"
                    running.cancel.set()
            self._cond.notify_all()
        self._tell()
        demand.done.wait()
        if demand.error is not None:
            raise demand.error
        return answer(demand.results, config, cancelled=demand.cancelled)

    # --- status ---------------------------------------------------------------------------------

    def background_state(self) -> str:
        """on | disabled | needs-opt-in | untrusted (why background checks do not run)."""
        config = self._config
        if config is None or not config.enabled or not config.commands():
            return "disabled"
        if self._untrusted:
            return "untrusted"
        if not trust.background_allowed(self.common_dir):
            return "needs-opt-in"
        return "on"

    def status(self) -> dict[str, Any]:
        with self._cond:
            background = self.background_state()
            pending = self._pending_count() if self._pairs else 0
            running = [
                {
                    "pair": _names(r.pair),
                    "viaTrunk": r.pair.via_trunk,
                    "label": r.pair.label,
                    "explicit": r.explicit,
                    "started": r.started,
                    "message": r.message,
                }
                for r in self._running
            ]
            config = self._config
            return {
                "enabled": bool(config and config.enabled),
                "background": background,
                "paused": "land" if self._land else None,
                "running": running,
                "queue": pending + sum(len(d.pairs) for d in self._demands),
                "pairs": len(self._pairs),
                "quiet": config.quiet if config else verify_config.DEFAULT_QUIET,
                "jobs": config.jobs if config else 1,
                "source": config.source if config else None,
                "error": self._config_error,
                "stats": dict(self.stats),
            }

    def _pending_count(self) -> int:
        """Pairs with no verdict for their current trees (answered from the store)."""
        store = self._store()
        try:
            book = SemanticBook(store)
            key = self._config.commands_key() if self._config else ""
            running = {r.pair.key(key) for r in self._running}
            return sum(
                1
                for pair in self._pairs
                if pair.key(key) not in running and book.lookup(pair.key(key)) is None
            )
        finally:
            store.close()

    def _tell(self, progress: bool = False) -> None:
        """Send the status when it changed (progress lines at most every NOTIFY_EVERY s)."""
        now = time.monotonic()
        if progress and now - self._last_notify < NOTIFY_EVERY:
            return
        try:
            status = self.status()
        except Exception:
            log.warning("could not read the semantic status", exc_info=True)
            return
        if status != self._last_status:
            self._last_status = status
            self._last_notify = now
            self.notify(status)

    # --- the check threads --------------------------------------------------------------------

    def _store(self) -> Any:
        from agentls.store import Store

        return Store(self.common_dir / "agentls")

    def _work(self) -> None:
        store = self._store()
        try:
            while True:
                job = self._take(store)
                if job is None:
                    return
                if isinstance(job, Demand):
                    self._serve(store, job)
                else:
                    self._background(store, *job)
        except Exception:
            log.exception("the semantic check thread failed")
        finally:
            store.close()

    def _take(self, store: Any) -> Demand | tuple[Pair, verify_config.VerifyConfig] | None:
        with self._cond:
            while not self._stopped:
                if self._demands:
                    return self._demands.popleft()
                wait = LAND_POLL
                if self.background_state() == "on" and not self._land:
                    pick, wake = self._due(store)
                    if pick is not None and self._config is not None:
                        return pick, self._config
                    if wake is not None:
                        wait = min(wait, max(0.05, wake - time.monotonic()))
                self._cond.wait(wait)
            return None

    def _due(self, store: Any) -> tuple[Pair | None, float | None]:
        """The first pair due for a background check, or when the next one will be."""
        assert self._config is not None
        config, book = self._config, SemanticBook(store)
        commands_key = config.commands_key()
        busy = {r.pair.key(commands_key) for r in self._running}
        now, wake = time.monotonic(), None
        pointed = False
        for pair in self._pairs:
            key = pair.key(commands_key)
            if key in busy or self._failed_keys.get(key, 0) > now:
                continue
            if book.lookup(key) is not None:
                if (book.latest_key(pair.ids)) != key:
                    book.point(pair.ids, key)  # back to a state already checked
                    pointed = True
                continue
            quiet_since = max(self._changed_at.get(s.id, now) for s in (pair.a, pair.b))
            due = quiet_since + config.quiet
            if due <= now:
                if pointed:
                    self.changed()
                return pair, wake
            wake = due if wake is None else min(wake, due)
        if pointed:
            self.changed()
        return None, wake

    def _background(self, store: Any, pair: Pair, config: verify_config.VerifyConfig) -> None:
        running = Running(pair, explicit=False)
        verdict = self._check(store, running, config, False, None, self._trunk)
        if verdict is None and running.why_cancelled:
            log.info("semantic check of %s cancelled: %s", pair.label, running.why_cancelled)

    def _serve(self, store: Any, demand: Demand) -> None:
        try:
            for index, pair in enumerate(demand.pairs):
                if self._stopped:
                    demand.cancelled = True
                    break
                demand.progress(
                    f"[{index + 1}/{len(demand.pairs)}] {pair.label}: checking",
                    100 * index // max(1, len(demand.pairs)),
                )
                running = Running(pair, explicit=True)
                verdict = self._check(
                    store, running, demand.config, demand.force, demand.progress, demand.trunk
                )
                if verdict is None:
                    demand.cancelled = True
                    break
                demand.results.append(pair_result(verdict))
        except BaseException as exc:
            demand.error = exc
        finally:
            demand.done.set()

    def _check(
        self,
        store: Any,
        running: Running,
        config: verify_config.VerifyConfig,
        force: bool,
        progress: Progress | None,
        trunk: Side | None,
    ) -> dict[str, Any] | None:
        pair = running.pair
        with self._cond:
            self._running.append(running)
        self._tell()

        def step(message: str, percent: int | None) -> None:
            running.message = message.splitlines()[0][:200] if message else ""
            if progress is not None:
                progress(f"{pair.label}: {message}", percent)
            self._tell(progress=True)

        key = pair.key(config.commands_key())
        try:
            verdict = check_pair(
                self.common_dir, self.cwd, store, config, pair,
                trunk=trunk, cancel=running.cancel, progress=step, force=force,
            )  # fmt: skip
        except Exception:
            log.exception("semantic check of %s failed", pair.label)
            self._failed_keys[key] = time.monotonic() + 300  # not again for a while
            verdict = None
            if running.explicit:
                raise
        finally:
            with self._cond:
                with contextlib.suppress(ValueError):
                    self._running.remove(running)
                self._cond.notify_all()
        if verdict is None:
            self.stats["cancelled"] += 1
        else:
            self.stats["cached" if verdict.get("cached") else "checks"] += 1
            if verdict["status"] == "semantic" and not verdict.get("cached"):
                self.stats["found"] += 1
            self.changed()
        self._tell()
        return verdict

    # --- lands ------------------------------------------------------------------------------------

    def _watch_lands(self) -> None:
        """Pause background checks while a land runs (any process: the land lock)."""
        store = None
        try:
            while not self._stopped:
                if self.background_state() == "on" or self._land:
                    if store is None:
                        store = self._store()
                    landing = _land_running(store, self.common_dir)
                    if landing != self._land:
                        with self._cond:
                            self._land = landing
                            if landing:
                                for running in self._running:
                                    if not running.explicit:
                                        running.why_cancelled = "a land started"
                                        running.cancel.set()
                            self._cond.notify_all()
                        self._tell()
                with self._cond:
                    if not self._stopped:
                        self._cond.wait(LAND_POLL)
        except Exception:
            log.exception("the land watch of semantic checks failed")
        finally:
            if store is not None:
                store.close()


def _names(pair: Pair) -> list[str]:
    return [pair.b.name] if pair.via_trunk else [pair.a.name, pair.b.name]


def _land_running(store: Any, common_dir: Path) -> bool:
    """Whether a live process holds the land lock (read from the store, never probed)."""
    try:
        row = store.db.execute("SELECT pid FROM land_lock").fetchone()
    except Exception:  # no land ever ran here: no table yet
        return False
    if row is None:
        return False
    try:
        os.kill(int(row[0]), 0)
    except ProcessLookupError:
        return False  # a crashed land: the next land recovers it
    except PermissionError:
        return True
    return True
