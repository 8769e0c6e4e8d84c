"""Scratch checkouts: where agentls builds and tests a tree that is nobody's worktree.

Each is a small repository of its own under `<common>/agentls/semantic/scratch/slot-N/`
that borrows the objects (`objects/info/alternates`): never a git worktree (it would
become a session), never a user's folder or index, and no git hooks run in it. A
process holds a slot with an flock on `slot-N.lock`, and keeps it between checks:
moving it to the next tree is `git read-tree -u --reset` (only the files that differ
are written; files a previous run changed are restored) then `git clean -ffdx`
(whatever the previous build or test left behind goes), so a check pays for the
files it changes, not for the size of the repository.

`slot-N.json` says whether a command runs in it. A slot left "busy" by a process
that died (kill -9 of the engine mid-check) is swept by the next engine (and by
whoever takes it next): the processes its command left running are killed (they
carry `AGENTLS_SCRATCH=<folder>` in their environment) and the folder is removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agentls.engine.guard import make_private_dir
from agentls.errors import AgentlsError
from agentls.git.runner import run_git_bytes

MAX_SLOTS = 16
SCRATCH_ENV = "AGENTLS_SCRATCH"  # marks every process a check starts, for the sweep


def semantic_dir(common_dir: Path) -> Path:
    """`<common>/agentls/semantic/`: scratch checkouts and full logs (0700)."""
    folder = Path(common_dir) / "agentls" / "semantic"
    make_private_dir(folder.parent)
    make_private_dir(folder)
    return folder


def scratch_root(common_dir: Path) -> Path:
    folder = semantic_dir(common_dir) / "scratch"
    make_private_dir(folder)
    return folder


class Scratch:
    """One scratch checkout, held (flock) by this process until released."""

    def __init__(self, root: Path, slot: int, lock_fd: int) -> None:
        self.root = root
        self.slot = slot
        self.folder = root / f"slot-{slot}"
        self.state_file = root / f"slot-{slot}.json"
        self._fd: int | None = lock_fd
        self.tree: str | None = None

    # --- taking and giving back ---------------------------------------------------------

    @classmethod
    def take(cls, common_dir: Path) -> Scratch:
        """A free slot (the lowest), settled: what a dead holder left is cleaned first."""
        root = scratch_root(common_dir)
        for slot in range(MAX_SLOTS):
            fd = _lock(root / f"slot-{slot}.lock")
            if fd is None:
                continue
            scratch = cls(root, slot, fd)
            try:
                scratch._settle()
            except BaseException:
                scratch.release()
                raise
            return scratch
        raise AgentlsError.refuse("scratch-busy", slots=MAX_SLOTS)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # drops the flock; the checkout stays for the next check
            self._fd = None

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # --- state -----------------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        try:
            data = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_state(self, **state: Any) -> None:
        temp = self.state_file.with_suffix(".tmp")
        temp.write_text(json.dumps({"pid": os.getpid(), "time": time.time(), **state}))
        os.replace(temp, self.state_file)

    def _settle(self) -> None:
        """Clean up after a holder that died mid-check; learn which tree is checked out."""
        state = self._state()
        if state.get("state") == "busy" or (self.folder.exists() and not state):
            kill_leftovers(self.folder)
            shutil.rmtree(self.folder, ignore_errors=True)
            self.state_file.unlink(missing_ok=True)
            return
        tree = state.get("tree")
        self.tree = tree if isinstance(tree, str) and (self.folder / ".git").is_dir() else None

    # --- checking out ------------------------------------------------------------------------

    def checkout(self, tree: str, common_dir: Path) -> None:
        """Make the folder hold exactly TREE (and nothing else), marked busy."""
        self._write_state(state="busy", tree=None)
        if not (self.folder / ".git").is_dir():
            shutil.rmtree(self.folder, ignore_errors=True)
            self._init(common_dir)
        self._git("read-tree", "-u", "--reset", tree)
        self._git("clean", "-ffdxq")
        self.tree = tree
        self._write_state(state="busy", tree=tree)

    def done(self) -> None:
        """The command ended (and its process group was killed): the slot can be reused."""
        self._write_state(state="idle", tree=self.tree)

    def _init(self, common_dir: Path) -> None:
        self.folder.mkdir(mode=0o700)
        self._git("init", "-q", "--template=", str(self.folder))
        alternates = self.folder / ".git" / "objects" / "info" / "alternates"
        alternates.parent.mkdir(parents=True, exist_ok=True)
        alternates.write_text(str(Path(common_dir).resolve() / "objects") + "\n")
        # The index keeps stat data, so the next read-tree writes only what changed.
        self._git("config", "core.untrackedCache", "false")
        self._git("config", "gc.auto", "0")

    def _git(self, *args: str) -> None:
        run_git_bytes(["-c", "advice.detachedHead=false", *args], self.folder)


def _lock(path: Path) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _marked_processes(folder: Path) -> Iterator[int]:
    """Processes of this user whose environment says they run a check in FOLDER."""
    marker = f"{SCRATCH_ENV}={folder}".encode()
    proc = Path("/proc")
    if not proc.is_dir():
        return
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                yield int(entry.name)


def kill_leftovers(folder: Path) -> int:
    """SIGKILL every process a dead holder's command left running in FOLDER; how many."""
    killed = 0
    for _ in range(5):  # what was forking while we looked is found on the next round
        found = list(_marked_processes(folder))
        if not found:
            break
        for pid in found:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(0.05)
    return killed


def sweep(common_dir: Path) -> list[str]:
    """Settle every slot nobody holds (engine start): what a crash left behind goes."""
    root = Path(common_dir) / "agentls" / "semantic" / "scratch"
    if not root.is_dir():
        return []
    swept = []
    for lock in sorted(root.glob("slot-*.lock")):
        try:
            slot = int(lock.stem.removeprefix("slot-"))
        except ValueError:
            continue
        fd = _lock(lock)
        if fd is None:
            continue  # in use by a live process
        scratch = Scratch(root, slot, fd)
        try:
            busy = scratch._state().get("state") == "busy"
            scratch._settle()
            if busy:
                swept.append(f"removed the scratch checkout {scratch.folder} of a check cut short")
        finally:
            scratch.release()
    return swept


def remove_all(common_dir: Path) -> list[str]:
    """Remove every scratch checkout nobody holds (`agentls verify --clean`)."""
    root = Path(common_dir) / "agentls" / "semantic" / "scratch"
    removed = []
    for lock in sorted(root.glob("slot-*.lock")) if root.is_dir() else []:
        fd = _lock(lock)
        if fd is None:
            continue
        try:
            folder = lock.with_suffix("")
            kill_leftovers(folder)
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(str(folder))
            lock.with_suffix(".json").unlink(missing_ok=True)
        finally:
            os.close(fd)
    return removed
