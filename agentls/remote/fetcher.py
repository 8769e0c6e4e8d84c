"""The engine's background fetcher: remote sessions kept fresh without anyone asking.

A thread of its own (fetches wait on the network; the analysis thread never does).
Every `interval` seconds (the [remote] table's; 0 or no table: never) it fetches
each configured remote that is not backing off, then asks the analysis thread to
refresh, so a moved ref becomes diagnostics in every window. With `publish = true`
it first has the analysis thread publish this machine's snapshots (unsaved buffers
included, since they live there).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FIRST_FETCH_AFTER = 2.0  # seconds after the engine starts: let the first report go out
IDLE_RECHECK = 60.0  # seconds between looks at the settings while fetching is off


class Fetcher:
    def __init__(self, worker: Any) -> None:
        self.worker = worker
        self._stop = threading.Event()
        self.cycles = 0
        self.thread = threading.Thread(target=self._run, name="agentls-fetch", daemon=True)

    def start(self) -> Fetcher:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        delay = FIRST_FETCH_AFTER
        while not self._stop.wait(delay):
            try:
                delay = self._cycle()
            except Exception:
                log.warning("background fetch failed", exc_info=True)
                delay = IDLE_RECHECK

    def _cycle(self) -> float:
        from agentls.git.repo import find_repository, resolve_trunk
        from agentls.remote.config import load
        from agentls.remote.fetch import fetch, known_remotes

        repo = find_repository(Path(self.worker.common_dir))
        trunk = resolve_trunk(repo, getattr(self.worker.ws, "trunk_override", None))
        config = load(repo.cwd, trunk.commit)
        if config.interval <= 0 or not any(r in known_remotes(repo.cwd) for r in config.remotes):
            return IDLE_RECHECK
        if config.publish:
            self._ask("remotePublish")
        fetch(repo, config, force=False)
        self.cycles += 1
        self._ask("refresh")  # new refs, gone refs, or a remote that stopped answering
        return config.interval

    def _ask(self, method: str, timeout: float = 120.0) -> None:
        """Run METHOD on the analysis thread and wait for it (the Workspace is its alone)."""
        from agentls.engine.worker import Job

        done = threading.Event()

        def reply(result: Any, error: Any) -> None:
            if error is not None:
                log.info("background %s: %s", method, getattr(error, "message", error))
            done.set()

        self.worker.put(Job(kind="call", method=method, reply=reply))
        done.wait(timeout)


def start_fetcher(worker: Any) -> Fetcher:
    return Fetcher(worker).start()
