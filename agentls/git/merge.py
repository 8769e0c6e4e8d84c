"""git's own three-way merge (`git merge-tree --write-tree`), the oracle for conflicts.

A single long-lived `git merge-tree --stdin` process answers every merge, so a
question costs a pipe round trip instead of a process start. git buffers its
stdout when it is a pipe, so the process runs under `stdbuf -o0`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from agentls.errors import GitError
from agentls.git.runner import git_env


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

    def conflict_kinds(self, path: str) -> list[str]:
        """The CONFLICT (...) types git reported for PATH, e.g. ["modify/delete"]."""
        kinds = []
        for message in self.messages:
            if path in message.paths and message.kind.startswith("CONFLICT"):
                kind = message.kind.removeprefix("CONFLICT (").rstrip(")")
                # git's machine-readable type is "contents" for add/add too; its words say which.
                said = re.match(r"CONFLICT \(([^)]+)\)", message.text)
                kinds.append(
                    said[1] if kind == "contents" and said and said[1] == "add/add" else kind
                )
        return kinds


# For file/directory and file/symlink clashes git stores one side as `path~<commit>`;
# the commit is a snapshot id that means nothing to a person, so report `path`.
_SIDE_SUFFIX = re.compile(r"~[0-9a-f]{40}(?:[0-9a-f]{24})?$")


def conflict_path(listed: str) -> str:
    """The worktree path behind a path git listed as conflicted."""
    return _SIDE_SUFFIX.sub("", listed)


class _TokenReader:
    """Reads NUL-terminated tokens from a pipe."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()

    def next(self) -> str:
        while True:
            end = self._buffer.find(b"\0")
            if end >= 0:
                token = bytes(self._buffer[:end])
                del self._buffer[: end + 1]
                return token.decode(errors="surrogateescape")
            chunk = os.read(self._fd, 65536)
            if not chunk:
                raise GitError("git merge-tree stopped unexpectedly")
            self._buffer += chunk


def _read_result(tokens: _TokenReader) -> MergeResult:
    clean = tokens.next() == "1"
    tree = tokens.next()
    conflicted: list[str] = []
    if not clean:
        while (listed := tokens.next()) != "":
            path = conflict_path(listed)
            if path not in conflicted:
                conflicted.append(path)
    messages: list[MergeMessage] = []
    while (count := tokens.next()) != "":
        paths = tuple(conflict_path(tokens.next()) for _ in range(int(count)))
        kind = tokens.next()
        messages.append(MergeMessage(paths, kind, tokens.next()))
    return MergeResult(clean, tree, tuple(conflicted), tuple(messages))


class MergeTree:
    """A persistent `git merge-tree --stdin` for one repository. Thread-safe."""

    def __init__(self, cwd: Path) -> None:
        self._cwd = cwd
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._tokens: _TokenReader | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            argv = ["git", "merge-tree", "--stdin", "--write-tree", "--name-only"]
            stdbuf = shutil.which("stdbuf")
            if stdbuf is None:
                raise GitError("stdbuf (GNU coreutils) is required to talk to git merge-tree")
            self._proc = subprocess.Popen(
                [stdbuf, "-o0", *argv],
                cwd=self._cwd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=git_env(),
            )
            assert self._proc.stdout is not None
            self._tokens = _TokenReader(self._proc.stdout.fileno())
        return self._proc

    def merge(self, ours: str, theirs: str) -> MergeResult:
        """Merge two commits the way `git merge` would, without touching any worktree."""
        return self.merge_many([(ours, theirs)])[0]

    def merge_many(self, pairs: list[tuple[str, str]]) -> list[MergeResult]:
        """Several merges in one round trip: all questions are written, then all answers read.

        Questions are ~82 bytes, so a batch of up to 256 fits the pipe buffer and
        writing never blocks on git's unread answers.
        """
        results: list[MergeResult] = []
        for start in range(0, len(pairs), 256):
            results += self._merge_batch(pairs[start : start + 256])
        return results

    def _merge_batch(self, pairs: list[tuple[str, str]]) -> list[MergeResult]:
        if not pairs:
            return []
        with self._lock:
            for attempt in (1, 2):
                proc = self._start()
                assert proc.stdin is not None and self._tokens is not None
                try:
                    proc.stdin.write("".join(f"{a} {b}\n" for a, b in pairs).encode())
                    proc.stdin.flush()
                    return [_read_result(self._tokens) for _ in pairs]
                except (BrokenPipeError, GitError) as exc:
                    # git dies on an unknown object; restart once, then report.
                    self.close()
                    if attempt == 2:
                        raise GitError(f"git merge-tree could not merge {pairs}") from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.stdin:
                proc.stdin.close()
            proc.kill()
            proc.wait()
            if proc.stdout:
                proc.stdout.close()
