"""Reading a worktree's files on a client's behalf: regular files only, bounded, never blocking.

A path an editor opens or a session changed can be anything the file system holds:
a FIFO (reading it waits forever), a device (`/dev/zero` never ends), a socket, a
symlink planted to point outside the worktree, or a file of many gigabytes. agentls
reads a file only when it is a regular file no larger than a limit; the type is
checked before opening (opening some devices has effects) and again on the open
descriptor (the path may have been swapped in between). Stdlib only.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path

# The most agentls reads of one file into memory. Larger files are still analysed:
# git itself hashes them, streaming (agentls.git.filters.WorktreeFilters.store).
MAX_FILE_BYTES = 32 * 1024 * 1024


class UnreadableFile(OSError):
    """PATH exists but agentls will not read it; str() says why."""


class NotARegularFile(UnreadableFile):
    """A FIFO, socket, device or folder (or a symlink, when links are not followed)."""


class FileTooLarge(UnreadableFile):
    """A regular file larger than the limit."""


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISLNK, "a symlink"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _check(path: Path, info: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise NotARegularFile(f"{path} is {_kind(info.st_mode)}; agentls reads regular files only")
    if info.st_size > limit:
        raise FileTooLarge(f"{path} is larger than {limit} bytes ({info.st_size})")


def read_regular(
    path: str | Path,
    *,
    limit: int | None = None,
    follow_symlinks: bool = True,
    head: bool = False,
) -> bytes:
    """The bytes of PATH when it is a regular file of at most LIMIT (MAX_FILE_BYTES) bytes.

    Raises FileNotFoundError (and other OSErrors) like open(), NotARegularFile or
    FileTooLarge otherwise. Without FOLLOW_SYMLINKS a symlink at PATH is refused.
    HEAD reads the first LIMIT bytes of a larger file instead of refusing it.
    """
    path = Path(path)
    limit = MAX_FILE_BYTES if limit is None else limit
    info = os.stat(path, follow_symlinks=follow_symlinks)
    _check(path, info, sys.maxsize if head else limit)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) and not follow_symlinks:
            raise NotARegularFile(f"{path} is a symlink; agentls does not follow it") from exc
        raise
    try:
        info = os.fstat(fd)
        _check(path, info, sys.maxsize if head else limit)  # swapped since the stat above?
        cap = limit if head else limit + 1  # one byte past the limit tells it grew
        # One read for a file that does not change (like FileIO.readall), then EOF.
        chunks = [os.read(fd, min(info.st_size + 1, cap))]
        size = len(chunks[0])
        while size < cap and (chunk := os.read(fd, min(1 << 20, cap - size))):
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise FileTooLarge(f"{path} is larger than {limit} bytes")  # it grew
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)
