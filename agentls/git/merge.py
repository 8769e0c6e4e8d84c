"""git's own three-way merge (`git merge-tree --write-tree`), the oracle for conflicts.

A long-lived `git merge-tree --stdin` process answers every merge, so a question
costs a pipe round trip instead of a process start. git buffers its stdout when it
is a pipe, so the process runs under `stdbuf -o0`.

Where attributes come from. `git merge-tree` reads `.gitattributes` (`merge=union`,
`binary`, `-merge`, custom drivers, `eol`, `text`) from the working tree of the
checkout it runs in, so the same two commits could merge differently depending on
the folder a front end was started from. Here every merge says which attribute
files it reads (an `AttributeSource`: paths and blob ids), and runs in a scratch
work tree that holds exactly those files (`GIT_DIR` is the repository, `GIT_WORK_TREE`
the scratch folder). git 2.39 has no `--attr-source`; this is the same thing. One
process runs per distinct source; most repositories need a single one. The
repository's `info/attributes` and the user's global attributes file apply to every
merge, as they do to every git command.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import subprocess
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pygit2

from agentls.errors import GitError
from agentls.git.attributes import NO_ATTRIBUTES, AttributeFiles, AttributeSource
from agentls.git.runner import git_env

# Attribute folders nobody used for this long are removed (seconds).
_UNUSED_FOR = 7 * 24 * 3600

# A stage entry of a conflicted path: (blob id, mode).
StageEntry = tuple[str, int]


@dataclass(frozen=True)
class MergeMessage:
    paths: tuple[str, ...]
    kind: str  # e.g. "CONFLICT (contents)", "CONFLICT (modify/delete)", "Auto-merging"
    text: str


@dataclass(frozen=True)
class MergeResult:
    clean: bool
    tree: str
    conflicted: tuple[str, ...]  # exactly the paths git lists as conflicted
    messages: tuple[MergeMessage, ...] = field(default=())
    # path -> {stage: entry}: 1 the merge-base's version, 2 ours, 3 theirs.
    stages: dict[str, dict[int, StageEntry]] = field(default_factory=dict)
    # path -> the CONFLICT messages naming it, made on first use (see _conflicts_at).
    _by_path: dict[str, list[MergeMessage]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def _conflicts_at(self, path: str) -> list[MergeMessage]:
        """git's CONFLICT messages naming PATH, in git's order. Indexed once: asking every
        message for each conflicted path was quadratic (release branches of a real
        project: ~450 paths and as many messages a merge)."""
        index = self._by_path
        if index is None:
            index = {}
            for message in self.messages:
                if message.kind.startswith("CONFLICT"):
                    for named in dict.fromkeys(message.paths):
                        index.setdefault(named, []).append(message)
            object.__setattr__(self, "_by_path", index)  # frozen: a cache, not data
        return index.get(path, [])

    def conflict_kinds(self, path: str) -> list[str]:
        """The CONFLICT (...) types git reported for PATH, e.g. ["modify/delete"]."""
        kinds = []
        for message in self._conflicts_at(path):
            kind = message.kind.removeprefix("CONFLICT (").rstrip(")")
            # git's machine-readable type is "contents" for add/add too; its words say which.
            said = re.match(r"CONFLICT \(([^)]+)\)", message.text)
            kinds.append(said[1] if kind == "contents" and said and said[1] == "add/add" else kind)
        return kinds

    def related(self, path: str) -> tuple[str, ...]:
        """Other paths git names in the same CONFLICT messages as PATH (a rename's
        other end, the suggested place of a file in a renamed folder)."""
        found: list[str] = []
        for message in self._conflicts_at(path):
            found += [p for p in message.paths if p != path and p not in found]
        return tuple(found)


# For file/directory and file/symlink clashes git stores one side as `path~<commit>`;
# the commit is a snapshot id that means nothing to a person, so report `path`.
_SIDE_SUFFIX = re.compile(r"~[0-9a-f]{40}(?:[0-9a-f]{24})?$")


def conflict_path(listed: str) -> str:
    """The worktree path behind a path git listed as conflicted."""
    return _SIDE_SUFFIX.sub("", listed)


_DONE = object()


class _TokenReader:
    """Reads NUL-terminated tokens from a pipe."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buffer = bytearray()

    def wait(self, work: Iterator[None]) -> None:
        """Step WORK until git's next answer starts arriving (see _step_until_answered)."""
        _step_until_answered([self], work)

    @property
    def buffered(self) -> bool:
        """Part of an answer was read already (select() would not say so)."""
        return bool(self._buffer)

    def next(self) -> str:
        while True:
            end = self._buffer.find(b"\0")
            if end >= 0:
                token = bytes(self._buffer[:end])
                del self._buffer[: end + 1]
                return token.decode(errors="surrogateescape")
            chunk = os.read(self.fd, 65536)
            if not chunk:
                raise GitError("git merge-tree stopped unexpectedly")
            self._buffer += chunk


def _arriving(readers: list[_TokenReader]) -> list[_TokenReader]:
    """READERS on which an answer has started to arrive (read already, or in the pipe)."""
    waiting = select.select([r.fd for r in readers if not r.buffered], [], [], 0)[0]
    return [r for r in readers if r.buffered or r.fd in waiting]


def _step_until_answered(
    readers: list[_TokenReader], work: Iterator[None], until: float | None = None
) -> list[_TokenReader]:
    """Step WORK, one piece at a time, until git's answer starts arriving on READERS:
    Python's own work on the time it would spend blocked in read(). Those readers, or
    [] once WORK is done (or fails: its owner meets the error when it redoes it) or
    the monotonic time UNTIL has come."""
    while not (arriving := _arriving(readers)):
        if until is not None and time.monotonic() >= until:
            break
        try:
            if next(work, _DONE) is _DONE:
                break
        except Exception:
            break
    return arriving


def _read_result(tokens: _TokenReader) -> MergeResult:
    clean = tokens.next() == "1"
    tree = tokens.next()
    conflicted: list[str] = []
    stages: dict[str, dict[int, StageEntry]] = {}
    if not clean:
        # "<mode> <blob> <stage>\t<path>" for every stage of every conflicted path
        while (line := tokens.next()) != "":
            info, _, listed = line.partition("\t")
            mode, blob, stage = info.split(" ")
            path = conflict_path(listed)
            if path not in conflicted:
                conflicted.append(path)
            stages.setdefault(path, {})[int(stage)] = (blob, int(mode, 8))
    messages: list[MergeMessage] = []
    while (count := tokens.next()) != "":
        if not count.isdigit():
            # git 2.39 prints its advice on conflicted submodules ("Recursive merging with
            # submodules...") where the empty token ending the messages belongs.
            break
        paths = tuple(conflict_path(tokens.next()) for _ in range(int(count)))
        kind = tokens.next()
        messages.append(MergeMessage(paths, kind, tokens.next()))
    return MergeResult(clean, tree, tuple(conflicted), tuple(messages), stages)


class _Process:
    """One `git merge-tree --stdin` running in one attribute source's scratch work tree."""

    def __init__(self, git_dir: Path, work_tree: Path, source: str = "") -> None:
        self.source = source  # the attribute source's key
        stdbuf = shutil.which("stdbuf")
        if stdbuf is None:
            raise GitError("stdbuf (GNU coreutils) is required to talk to git merge-tree")
        argv = ["git", "merge-tree", "--stdin", "--write-tree", "-z"]
        self.proc = subprocess.Popen(
            [stdbuf, "-o0", *argv],
            cwd=work_tree,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=git_env({"GIT_DIR": str(git_dir), "GIT_WORK_TREE": str(work_tree)}),
        )
        assert self.proc.stdout is not None
        self.tokens = _TokenReader(self.proc.stdout.fileno())

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        proc = self.proc
        if proc.stdin:
            proc.stdin.close()
        proc.kill()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()


class MergeTree:
    """Persistent `git merge-tree --stdin` processes for one repository. Thread-safe.

    GIT_DIR is the repository's common dir; every process runs in a scratch work tree
    holding one attribute source's files, never in a user's checkout.
    """

    MAX_PROCESSES = 4
    # merge_all: a merge still running after this long (seconds) gets company, the next
    # question going to another process. Merges of long-lived real branches take
    # 0.4-0.9 s each, one after another in one process; the usual merges take ~1 ms
    # and never wait this long, so they never pay a second process's start (~4 ms).
    SPREAD_AFTER = 0.02
    MAX_SIDE_BY_SIDE = 4

    def __init__(self, git_dir: Path, repo: pygit2.Repository | None = None) -> None:
        self._git_dir = git_dir
        self._lock = threading.Lock()
        self._processes: OrderedDict[str, _Process] = OrderedDict()
        self._scratch: Path | None = None
        self._private_scratch = False
        self._repo = repo
        self._attribute_files: AttributeFiles | None = None
        # merge_all's merges under way at once: at most one per core (git's merge is
        # single-threaded), and the most it had in its last call.
        self.side_by_side = min(self.MAX_SIDE_BY_SIDE, max(1, os.cpu_count() or 1))
        self.most_at_once = 0

    @property
    def repo(self) -> pygit2.Repository:
        if self._repo is None:
            self._repo = pygit2.Repository(str(self._git_dir))
        return self._repo

    def attributes_of(self, commit: str) -> AttributeSource:
        """The attribute files in COMMIT's tree (memoized per subtree)."""
        if self._attribute_files is None:
            self._attribute_files = AttributeFiles(self.repo)
        return self._attribute_files.of_tree(commit)

    # --- attribute sources ---------------------------------------------------------------

    def _work_tree(self, source: AttributeSource) -> tuple[Path, bool]:
        """A folder holding SOURCE's attribute files, shared by every agentls process.

        It lives under the repository (`<common-dir>/agentls/attributes/<key>`), named
        by the content it holds, so processes share it and one killed mid-merge leaves
        nothing behind in /tmp; a folder is written aside and renamed into place, so
        a reader never sees it half-made. Folders unused for a week are swept. True
        with the folder when it had to be made (again).
        """
        if self._scratch is None:
            self._scratch = self._scratch_root()
        folder = self._scratch / source.key
        if folder.is_dir():
            with contextlib.suppress(OSError):
                os.utime(folder)  # in use: keep it from the sweep
            return folder, False
        import tempfile  # here: a hook start-up with no attribute source never needs it

        staging = Path(tempfile.mkdtemp(prefix="new-", dir=self._scratch))
        for path, blob in source.files:
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self._blob(blob))
        try:
            staging.rename(folder)
        except OSError:  # another process made it first: same content
            shutil.rmtree(staging, ignore_errors=True)
        self._sweep(self._scratch)
        return folder, True

    def _scratch_root(self) -> Path:
        shared = self._git_dir / "agentls" / "attributes"
        with contextlib.suppress(OSError):
            shared.mkdir(parents=True, exist_ok=True, mode=0o700)
        if os.access(shared, os.W_OK):
            return shared
        # A repository we may not write to: a private folder, removed by close().
        self._private_scratch = True
        import tempfile

        return Path(tempfile.mkdtemp(prefix="agentls-attributes-"))

    @staticmethod
    def _sweep(root: Path) -> None:
        """Remove attribute folders nobody used for a week, and staging left by kills."""
        now = time.time()
        for entry in root.iterdir():
            unused_for = _UNUSED_FOR if not entry.name.startswith("new-") else 3600
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime < now - unused_for:
                    shutil.rmtree(entry, ignore_errors=True)

    def _blob(self, blob: str) -> bytes:
        try:
            return bytes(self.repo[blob].peel(pygit2.Blob).data)
        except (KeyError, ValueError, pygit2.GitError) as exc:
            raise GitError(f"attributes file {blob} is not in the object store") from exc

    def _process(self, source: AttributeSource, busy: Iterable[_Process] = ()) -> _Process:
        """SOURCE's own process. The folder is looked at on every batch: a process whose
        folder was removed (swept, or by hand) would read no attributes, so it is
        restarted. The least recently used go beyond MAX_PROCESSES, never one in BUSY
        (merging a question of merge_all's)."""
        work_tree, made = self._work_tree(source)
        process = self._processes.get(source.key)
        if process is not None and process.alive and not made:
            self._processes.move_to_end(source.key)
            return process
        if process is not None:
            process.close()
            del self._processes[source.key]
        process = _Process(self._git_dir, work_tree, source.key)
        self._processes[source.key] = process
        keep = {id(p) for p in busy} | {id(process)}
        for key, old in list(self._processes.items()):
            if len(self._processes) <= self.MAX_PROCESSES:
                break
            if id(old) not in keep:
                del self._processes[key]
                old.close()
        return process

    # --- merging ----------------------------------------------------------------------------

    def merge(
        self,
        ours: str,
        theirs: str,
        attributes: AttributeSource | None = None,
        while_waiting: Iterator[None] | None = None,
    ) -> MergeResult:
        """Merge two commits the way `git merge` would, without touching any worktree.

        Attributes come from ATTRIBUTES, by default from OURS's tree: what a rebase of
        THEIRS onto OURS reads, since it checks OURS out before replaying. WHILE_WAITING
        is stepped while git merges (see _TokenReader.wait).
        """
        source = self.attributes_of(ours) if attributes is None else attributes
        return self.merge_many([(ours, theirs)], source, while_waiting)[0]

    def merge_many(
        self,
        pairs: list[tuple[str, str]],
        attributes: AttributeSource = NO_ATTRIBUTES,
        while_waiting: Iterator[None] | None = None,
    ) -> list[MergeResult]:
        """Several merges in one round trip: all questions are written, then all answers read.

        Questions are ~82 bytes, so a batch of up to 256 fits the pipe buffer and
        writing never blocks on git's unread answers.
        """
        results: list[MergeResult] = []
        for start in range(0, len(pairs), 256):
            results += self._merge_batch(pairs[start : start + 256], attributes, while_waiting)
        return results

    def merge_all(
        self,
        questions: list[tuple[str, str, AttributeSource]],
        while_waiting: Iterator[None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> list[MergeResult | None]:
        """git's answer to each question (ours, theirs, attributes), merges side by side.

        Questions go out one per process; when one has been merging for SPREAD_AFTER,
        the next goes to a process of its own (up to one per core), closed again at the
        end. WHILE_WAITING is stepped while every process merges. STOP is asked before
        each question goes out: once it says yes, the merges under way are answered and
        the rest are None.
        """
        results: list[MergeResult | None] = [None] * len(questions)
        waiting = deque(range(len(questions)))
        tries = [0] * len(questions)
        self.most_at_once = 0
        work = while_waiting if while_waiting is not None else iter(())
        busy: dict[_Process, tuple[int, float]] = {}  # process -> (question, since when)
        extra: list[_Process] = []  # started here, closed here
        with self._lock:
            try:
                while waiting or busy:
                    if waiting and stop is not None and stop():
                        waiting.clear()
                        continue
                    process = self._free(questions[waiting[0]][2], busy, extra) if waiting else None
                    if process is not None:
                        index = waiting.popleft()
                        ours, theirs, _ = questions[index]
                        tries[index] += 1
                        try:
                            assert process.proc.stdin is not None
                            process.proc.stdin.write(f"{ours} {theirs}\n".encode())
                            process.proc.stdin.flush()
                        except OSError as exc:
                            self._failed(process, extra, questions, index, tries, waiting, exc)
                            continue
                        busy[process] = (index, time.monotonic())
                        self.most_at_once = max(self.most_at_once, len(busy))
                        continue
                    for process in self._answered(busy, work, bool(waiting)):
                        index = busy[process][0]
                        try:
                            results[index] = _read_result(process.tokens)
                        except (GitError, OSError, ValueError) as exc:
                            del busy[process]
                            self._failed(process, extra, questions, index, tries, waiting, exc)
                            continue
                        del busy[process]
            finally:
                for process in busy:  # out of step with its answers now
                    self._drop(process, extra)
                for process in extra:
                    process.close()
        return results

    def _free(
        self,
        source: AttributeSource,
        busy: dict[_Process, tuple[int, float]],
        extra: list[_Process],
    ) -> _Process | None:
        """A process for SOURCE with no question out, or None: this source's own
        process, one started here for it, or a new one when the merges under way have
        run for SPREAD_AFTER and there is a core for it."""
        mine = self._processes.get(source.key)
        if mine is None or mine not in busy:
            return self._process(source, busy)
        for process in extra:
            if process.source == source.key and process not in busy:
                return process
        if len(busy) >= self.side_by_side or time.monotonic() < self._spread_at(busy):
            return None
        process = _Process(self._git_dir, self._work_tree(source)[0], source.key)
        extra.append(process)
        return process

    def _spread_at(self, busy: dict[_Process, tuple[int, float]]) -> float:
        """When the merges under way have run long enough to get company."""
        return min(since for _, since in busy.values()) + self.SPREAD_AFTER

    def _answered(
        self, busy: dict[_Process, tuple[int, float]], work: Iterator[None], more: bool
    ) -> list[_Process]:
        """The processes whose answer has started to arrive. WORK is stepped meanwhile,
        until one has, or (with MORE questions waiting and a core for them) until
        SPREAD_AFTER makes another process worth starting; [] then."""
        spread_at = self._spread_at(busy) if more and len(busy) < self.side_by_side else None
        readers = [process.tokens for process in busy]
        arriving = _step_until_answered(readers, work, spread_at)
        if not arriving:  # the work is done: wait for git, or for company to be due
            timeout = None if spread_at is None else max(0.0, spread_at - time.monotonic())
            select.select([r.fd for r in readers], [], [], timeout)
            arriving = _arriving(readers)
        return [process for process in busy if process.tokens in arriving]

    def _failed(
        self,
        process: _Process,
        extra: list[_Process],
        questions: list[tuple[str, str, AttributeSource]],
        index: int,
        tries: list[int],
        waiting: deque[int],
        error: Exception,
    ) -> None:
        """git died on question INDEX (an unknown object, say): its process goes, and
        the question is asked once more on a fresh one before the error is reported."""
        self._drop(process, extra)
        if tries[index] >= 2:
            ours, theirs, _ = questions[index]
            raise GitError(f"git merge-tree could not merge {ours} and {theirs}") from error
        waiting.appendleft(index)

    def _drop(self, process: _Process, extra: list[_Process]) -> None:
        process.close()
        if process in extra:
            extra.remove(process)
        elif self._processes.get(process.source) is process:
            del self._processes[process.source]

    def _merge_batch(
        self,
        pairs: list[tuple[str, str]],
        attributes: AttributeSource,
        while_waiting: Iterator[None] | None,
    ) -> list[MergeResult]:
        if not pairs:
            return []
        with self._lock:
            for attempt in (1, 2):
                process = self._process(attributes)
                assert process.proc.stdin is not None
                try:
                    process.proc.stdin.write("".join(f"{a} {b}\n" for a, b in pairs).encode())
                    process.proc.stdin.flush()
                    if while_waiting is not None:
                        process.tokens.wait(while_waiting)
                    return [_read_result(process.tokens) for _ in pairs]
                except (BrokenPipeError, GitError) as exc:
                    # git dies on an unknown object; restart once, then report.
                    process.close()
                    self._processes.pop(attributes.key, None)
                    if attempt == 2:
                        raise GitError(f"git merge-tree could not merge {pairs}") from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            for process in self._processes.values():
                process.close()
            self._processes.clear()
            if self._scratch is not None and self._private_scratch:
                shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
