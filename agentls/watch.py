"""File watching: every worktree (git's ignore rules honoured) and the git admin files.

On Linux one inotify descriptor (watchdog's `InotifyFD`, one reader thread) carries a
non-recursive watch per directory, so ignored trees such as `node_modules` or
`.venv` are never entered: each new directory is checked against git's ignore rules
before it is watched. Elsewhere watchdog's recursive observer is used and ignored
paths are dropped when events arrive.

Thirty worktrees of a 50k-file repository hold 1.5 million files in 15,000 folders,
so the walk that sets the watches handles folders, not files: paths stay strings,
a folder whose link count says it has no subfolders (2 on the filesystems that
keep that count, checked against the worktree's top folder first) is watched
without listing it, and a folder HEAD tracks is watched without asking git's
ignore rules (~40 µs a folder): tracked files count even in an ignored folder.

Events go to a sink as tuples:
- ("file", abs_path): a file may have changed (written, renamed, deleted, chmod);
- ("tree", abs_dir): a directory vanished, every file under it may be gone;
- ("admin", why): HEAD, a branch, or the list of worktrees changed;
- ("store", name): agentls's own database was written (a CLI rename or claim, say).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygit2

from agentls.store import STORE_FILE

log = logging.getLogger(__name__)

Event = tuple[str, str]
Steps = Generator[None, None, None]  # work done a part at a time (see Watcher.add_steps)
Sink = Callable[[Event], None]

# Names in an admin dir (common dir or worktrees/<id>) whose change means HEAD moved.
HEAD_FILES = frozenset({"HEAD", "packed-refs"})
# A worktree's lock (`git worktree lock`, and "initializing" while `git worktree add` runs).
LOCK_FILE = "locked"
# Folders whose removal means a rebase or am finished.
REBASE_DIRS = frozenset({"rebase-merge", "rebase-apply"})
# agentls's SQLite store in <common>/agentls (WAL mode: commits write store.sqlite3-wal).
STORE_PREFIX = STORE_FILE
# How long a worktree's walk runs between two yields of `Watcher.add_steps`: a request
# that arrives mid-walk waits about this long, not the 30-120 ms of a whole 50k-file
# worktree's 500 folders (or 2-7 ms a folder with the page cache dropped).
WALK_SLICE = 0.005  # seconds


@dataclass
class _Root:
    """One watched worktree."""

    path: str
    wds: set[int] = field(default_factory=set)
    _repo: pygit2.Repository | None = None
    # The filesystem keeps a folder's link count at 2 + its subfolders (None: not known yet).
    counts_links: bool | None = None

    def ignored_dir(self, folder: str) -> bool:
        if not folder.startswith(self.path + os.sep):
            return True
        relative = folder[len(self.path) + 1 :]
        if os.sep != "/":
            relative = relative.replace(os.sep, "/")
        if self._repo is None:
            try:
                self._repo = pygit2.Repository(str(self.path))
            except pygit2.GitError:
                return False
        try:
            return bool(self._repo.path_is_ignored(relative + "/"))
        except pygit2.GitError:
            return False


@dataclass
class _Dir:
    path: str
    kind: str  # "tree" | "gitdir" | "refs" | "worktrees" | "state"
    root: _Root | None = None


class Watcher:
    """Watches worktrees and git admin dirs; call `sync` whenever the worktree list changes."""

    def __init__(self, common_dir: Path, sink: Sink) -> None:
        self.common_dir = Path(common_dir)
        self.sink = sink
        self._lock = threading.RLock()
        self._roots: dict[str, _Root] = {}
        self._gitdirs: set[str] = set()
        self.limit_reached = False
        self._admin_watched = False
        self._backend: _Backend = (
            _InotifyBackend(self) if sys.platform == "linux" else _PollingBackend(self)
        )

    @property
    def watch_count(self) -> int:
        return self._backend.count()

    def sync(self, worktrees: Iterable[tuple[Path, Path]]) -> None:
        """Watch exactly these (worktree folder, admin dir) pairs, plus the shared refs."""
        wanted = {str(p): str(g) for p, g in worktrees if os.path.isdir(p)}
        with self._lock:
            self._admin()
            for gone in [r for r in self._roots if r not in wanted]:
                self._backend.unwatch_root(self._roots.pop(gone))
            for path, gitdir in wanted.items():
                self.add(path, gitdir)

    def add(self, path: str | Path, gitdir: str | Path, tracked: pygit2.Tree | None = None) -> None:
        """Watch one more worktree (and its admin dir); nothing when it is watched already.

        TRACKED (the worktree's HEAD tree) names folders that need no ignore check.
        """
        for _ in self.add_steps(path, gitdir, tracked):
            pass

    def add_steps(
        self, path: str | Path, gitdir: str | Path, tracked: pygit2.Tree | None = None
    ) -> Steps:
        """`add`, a few folders at a time: yields between them, the lock released.

        The engine's start-up adds worktrees one at a time, each just before its scan,
        and answers requests (an editor's open file first) between the yields. Closed
        before its end, the walk takes the worktree's watches back, so a later `add`
        walks it whole.
        """
        path, gitdir = str(path), str(gitdir)
        with self._lock:
            self._admin()
            if gitdir not in self._gitdirs:
                self._gitdirs.add(gitdir)
                self._backend.watch_gitdir(gitdir)
            if path in self._roots or not os.path.isdir(path):
                return
            root = _Root(path)
            self._roots[path] = root
            steps = self._backend.watch_root_steps(root, tracked)
        finished = False
        try:
            while not finished:
                with self._lock:
                    # Unwatched meanwhile (`sync` dropped it): nothing left to walk.
                    finished = self._roots.get(path) is not root or next(steps, True) is True
                if not finished:
                    yield
        finally:
            steps.close()
            if not finished:
                with self._lock:
                    if self._roots.get(path) is root:
                        self._backend.unwatch_root(self._roots.pop(path))

    def _admin(self) -> None:
        if not self._admin_watched:
            self._admin_watched = True
            self._backend.watch_admin(str(self.common_dir))

    def is_root(self, folder: str) -> bool:
        return folder in self._roots

    def close(self) -> None:
        self._backend.close()


class _Backend:
    def watch_admin(self, common_dir: str) -> None: ...
    def watch_root(self, root: _Root, tracked: pygit2.Tree | None = None) -> None: ...
    def watch_root_steps(self, root: _Root, tracked: pygit2.Tree | None = None) -> Steps:
        """watch_root, yielding between parts (backends that cannot split it do not)."""
        self.watch_root(root, tracked)
        yield from ()

    def unwatch_root(self, root: _Root) -> None: ...
    def watch_gitdir(self, gitdir: str) -> None: ...
    def count(self) -> int:
        return 0

    def close(self) -> None: ...


class _InotifyBackend(_Backend):
    """One inotify fd, a non-recursive watch per non-ignored directory."""

    def __init__(self, watcher: Watcher) -> None:
        from watchdog.observers.inotify_c import InotifyConstants as C
        from watchdog.observers.inotify_c import InotifyFD

        self.w = watcher
        self.C = C
        self.fd = InotifyFD()
        self.fd.daemon = True
        self.fd.start()
        self.dirs: dict[int, _Dir] = {}
        self.admin_paths: dict[str, set[str]] = {}  # kind -> admin folders watched
        base = C.IN_DONT_FOLLOW | C.IN_ONLYDIR | C.IN_EXCL_UNLINK
        self.tree_mask = base | (
            C.IN_CLOSE_WRITE
            | C.IN_MOVED_TO
            | C.IN_MOVED_FROM
            | C.IN_CREATE
            | C.IN_DELETE
            | C.IN_ATTRIB
            | C.IN_DELETE_SELF
            | C.IN_MOVE_SELF
        )
        self.admin_mask = base | (
            C.IN_CLOSE_WRITE | C.IN_MOVED_TO | C.IN_MOVED_FROM | C.IN_CREATE | C.IN_DELETE
        )
        # SQLite keeps its files open: a commit from another process is only a write.
        self.state_mask = base | C.IN_MODIFY | C.IN_CLOSE_WRITE | C.IN_MOVED_TO

    def count(self) -> int:
        return len(self.dirs)

    # --- adding and removing watches ---------------------------------------------------

    def _mask(self, kind: str) -> int:
        if kind == "tree":
            return int(self.tree_mask)
        return int(self.state_mask if kind == "state" else self.admin_mask)

    def _add(self, path: str, kind: str, root: _Root | None) -> bool:
        if kind != "tree" and path in self.admin_paths.get(kind, ()):
            return True  # already watched (a new worktree's admin dir is seen twice)
        try:
            wd = self.fd.add_callback(
                os.fsencode(path),
                self._mask(kind),  # type: ignore[arg-type]
                self,  # type: ignore[arg-type]
                "agentls",  # type: ignore[arg-type]
            )
        except OSError as exc:
            if exc.errno == 28 and not self.w.limit_reached:  # ENOSPC: the watch limit
                self.w.limit_reached = True
                log.warning(
                    "inotify watch limit reached; raise fs.inotify.max_user_watches (%s)", exc
                )
            elif exc.errno != 28:
                log.debug("cannot watch %s: %s", path, exc)
            return False
        self.dirs[wd] = _Dir(path, kind, root)
        if root is not None:
            root.wds.add(wd)
        else:
            self.admin_paths.setdefault(kind, set()).add(path)
        return True

    def watch_root_steps(self, root: _Root, tracked: pygit2.Tree | None = None) -> Steps:
        return self._walk_steps(root, root.path, emit=False, tracked=tracked)

    def _walk(
        self, root: _Root, top: str, *, emit: bool, tracked: pygit2.Tree | None = None
    ) -> None:
        for _ in self._walk_steps(root, top, emit=emit, tracked=tracked):
            pass

    def _walk_steps(
        self, root: _Root, top: str, *, emit: bool, tracked: pygit2.Tree | None = None
    ) -> Steps:
        """Watch TOP and every non-ignored folder below it; EMIT files found (new trees).
        Yields every WALK_SLICE seconds, between folders (never with one open).

        TRACKED is TOP's tree in HEAD: its subfolders are watched without an ignore check.
        """
        stack: list[tuple[str, pygit2.Tree | None]] = [(top, tracked)]
        slice_end = time.perf_counter() + WALK_SLICE
        walked = 0
        while stack:
            if walked and time.perf_counter() >= slice_end:
                yield
                slice_end = time.perf_counter() + WALK_SLICE
            walked += 1
            folder, tree = stack.pop()
            if not self._add(folder, "tree", root):
                continue
            if not emit and root.counts_links and _link_count(folder) == 2:
                continue  # no subfolders: nothing to list (see the module docstring)
            try:
                scan = os.scandir(folder)
            except OSError:
                continue
            subfolders = 0
            with scan:
                for entry in scan:
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        continue
                    if is_dir:
                        subfolders += 1  # .git too: the link count has it
                        if entry.name == ".git":
                            continue
                        child = entry.path
                        subtree = _subtree(tree, entry.name)
                        if self.w.is_root(child):
                            continue
                        if subtree is not None or not root.ignored_dir(child):
                            stack.append((child, subtree))
                    elif emit and entry.name != ".git":
                        self.w.sink(("file", entry.path))
            if root.counts_links is None and folder == root.path:
                # Trust link counts only where the top folder's count is exact.
                root.counts_links = subfolders > 0 and _link_count(folder) == 2 + subfolders

    def unwatch_root(self, root: _Root) -> None:
        callbacks = [(wd, "agentls") for wd in root.wds if wd in self.dirs]
        for wd in root.wds:
            self.dirs.pop(wd, None)
        root.wds.clear()
        with contextlib.suppress(OSError):
            self.fd.remove_callbacks(callbacks)  # type: ignore[arg-type]

    def watch_admin(self, common_dir: str) -> None:
        self._add(common_dir, "gitdir", None)
        for refs in ("heads", "remotes"):
            self._watch_refs(os.path.join(common_dir, "refs", refs))
        if os.path.isdir(os.path.join(common_dir, "worktrees")):
            self._add(os.path.join(common_dir, "worktrees"), "worktrees", None)
        if os.path.isdir(os.path.join(common_dir, "agentls")):
            self._add(os.path.join(common_dir, "agentls"), "state", None)

    def _watch_refs(self, top: str) -> None:
        for folder, _subdirs, _files in os.walk(top):
            self._add(folder, "refs", None)

    def watch_gitdir(self, gitdir: str) -> None:
        if gitdir != str(self.w.common_dir):
            self._add(gitdir, "gitdir", None)

    def close(self) -> None:
        # stop(), not close(): watchdog's reader loop runs until its thread is stopped,
        # and after a bare close() it spins on the closed descriptor at full CPU.
        self.fd.stop()
        if threading.current_thread() is not self.fd:
            self.fd.join(timeout=5)

    # --- the InotifyFD callback protocol (runs on watchdog's reader thread) -----------

    def on_watch_deleted(self, wd: int) -> None:
        with self.w._lock:
            d = self.dirs.pop(wd, None)
            if d is not None and d.root is not None:
                d.root.wds.discard(wd)
            elif d is not None:
                self.admin_paths.get(d.kind, set()).discard(d.path)

    def on_queue_overflow(self) -> None:
        self.w.sink(("admin", "inotify queue overflowed"))

    def on_event(self, event: Any) -> None:
        try:
            with self.w._lock:
                self._event(event)
        except Exception:  # never let one bad event stop the reader thread
            log.exception("watch event failed")

    def _event(self, event: Any) -> None:
        d = self.dirs.get(event.wd)
        if d is None:
            return
        name = os.fsdecode(event.name)
        if d.kind == "tree":
            self._tree_event(d, name, event)
        elif d.kind == "state":
            if name.startswith(STORE_PREFIX) and not event.is_directory:
                self.w.sink(("store", name))
        elif not name.endswith(".lock"):
            self._admin_event(d, name, event)

    def _tree_event(self, d: _Dir, name: str, event: Any) -> None:
        root = d.root
        assert root is not None
        if not name:
            if (event.is_delete_self or event.is_move_self) and d.path == root.path:
                self.w.sink(("admin", f"worktree folder {root.path} went away"))
            return
        if name == ".git":
            return
        full = os.path.join(d.path, name)
        if event.is_directory:
            if event.is_create or event.is_moved_to:
                if not self.w.is_root(full) and not root.ignored_dir(full):
                    self._walk(root, full, emit=True)
            elif event.is_delete or event.is_moved_from:
                self.w.sink(("tree", full))
            return
        if event.is_create and not os.path.islink(full):
            return  # a regular file's content arrives with IN_CLOSE_WRITE
        self.w.sink(("file", full))

    def _admin_event(self, d: _Dir, name: str, event: Any) -> None:
        full = os.path.join(d.path, name)
        if d.kind == "refs":
            if event.is_directory and (event.is_create or event.is_moved_to):
                self._watch_refs(full)
            self.w.sink(("admin", f"ref {name} changed"))
        elif d.kind == "worktrees":
            if event.is_directory:
                if event.is_create or event.is_moved_to:
                    self._add(full, "gitdir", None)
                self.w.sink(("admin", f"worktree admin dir {name} changed"))
        elif d.kind == "gitdir":
            if d.path == str(self.w.common_dir) and name == "worktrees" and event.is_directory:
                if event.is_create:
                    self._add(full, "worktrees", None)
                self.w.sink(("admin", "worktrees changed"))
            elif name in HEAD_FILES and not event.is_directory:
                self.w.sink(("admin", f"{name} changed in {os.path.basename(d.path)}"))
            elif name == LOCK_FILE and not event.is_directory:
                # Locked or unlocked; `git worktree add` unlocks a new worktree last, and
                # only then is it a session (its HEAD was written while still locked).
                self.w.sink(("admin", f"lock changed in {os.path.basename(d.path)}"))
            elif name in REBASE_DIRS and event.is_directory and event.is_delete:
                self.w.sink(("admin", f"{name} finished"))


class _PollingBackend(_Backend):
    """Non-Linux: watchdog's native recursive observer, ignored paths dropped on arrival."""

    def __init__(self, watcher: Watcher) -> None:
        from watchdog.observers import Observer

        self.w = watcher
        self.observer = Observer()
        self.observer.daemon = True
        self.observer.start()
        self.handles: dict[str, Any] = {}

    def _schedule(self, path: str, handler: Callable[[Any], None], recursive: bool) -> Any:
        from watchdog.events import FileSystemEventHandler

        class _Handler(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                handler(event)

        try:
            return self.observer.schedule(_Handler(), str(path), recursive=recursive)
        except OSError as exc:
            log.warning("cannot watch %s: %s", path, exc)
            return None

    def watch_root(self, root: _Root, tracked: pygit2.Tree | None = None) -> None:
        def handle(event: Any) -> None:
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                if not raw:
                    continue
                path = Path(os.fsdecode(raw))
                if ".git" in path.relative_to(root.path).parts:
                    continue
                if event.is_directory:
                    if event.event_type in ("deleted", "moved") and raw == event.src_path:
                        self.w.sink(("tree", str(path)))
                    continue
                parent = str(path.parent)
                if parent == root.path or not root.ignored_dir(parent):
                    self.w.sink(("file", str(path)))

        self.handles[root.path] = self._schedule(root.path, handle, True)

    def unwatch_root(self, root: _Root) -> None:
        handle = self.handles.pop(root.path, None)
        if handle is not None:
            self.observer.unschedule(handle)

    def watch_admin(self, common_dir: str) -> None:
        state_dir = Path(common_dir) / "agentls"

        def handle(event: Any) -> None:
            path = Path(os.fsdecode(event.src_path))
            if path.parent == state_dir and path.name.startswith(STORE_PREFIX):
                self.w.sink(("store", path.name))
                return
            if path.name.endswith(".lock") or "objects" in path.parts or "agentls" in path.parts:
                return
            if path.name in HEAD_FILES or "refs" in path.parts or "worktrees" in path.parts:
                self.w.sink(("admin", f"{path.name} changed"))

        self.handles[common_dir] = self._schedule(common_dir, handle, True)

    def close(self) -> None:
        self.observer.stop()


def _link_count(folder: str) -> int:
    try:
        return os.lstat(folder).st_nlink
    except OSError:
        return 0


def _subtree(tree: pygit2.Tree | None, name: str) -> pygit2.Tree | None:
    """The folder NAME of TREE, when HEAD tracks one there."""
    if tree is None or name not in tree:
        return None
    item = tree[name]
    if item.filemode != pygit2.enums.FileMode.TREE:
        return None
    return item.peel(pygit2.Tree)
