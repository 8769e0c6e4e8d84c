"""A private copy of a worktree's index, so `git status` remembers what it verified.

git trusts a file's stat data only when the file is older than the index file; an
entry written in the same second as the index ("racily clean") is read and hashed on
every `git status`. A worktree that `git worktree add`, a clone or a checkout just
wrote is almost all such entries (5,029 of 5,056 in the history benchmark's sessions),
and the user's own `git status` would fix that by rewriting the index. agentls's scans
must not (GIT_OPTIONAL_LOCKS=0: a background tool never takes the user's index lock),
so each of them hashed the whole worktree again: 35-60 ms instead of 10 ms at 5,000
files, every scan, until the user's git happened to rewrite the index.

So agentls scans with a copy of the index that it may write:
`<common>/agentls/tmp/status/<worktree>/<identity>.index`, where the identity is the
real index's inode, size, mtime and ctime. git never changes an index in place (it
writes a new file and renames it over), so any change to the real index, a single
`git add` or the user's own refresh, gives a new identity and the next scan copies
again. The copy keeps the real index's mtime, so its first scan has exactly the real
index's racy entries; git then refreshes and writes the copy under its own lock, with
its usual racy-clean rule, and later scans hash only what changed. The answer is
git's own either way; the copy only carries git's stat cache from one scan to the next.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from pathlib import Path

from agentls.errors import AgentlsError
from agentls.git.repo import Worktree

# Under `<common>/agentls/tmp`: copies are caches, safe to delete at any time.
STATUS_FOLDER = "status"
PRIMARY = "primary"  # the main worktree's folder; a linked one's is named like its admin dir
STALE_AGE = 60.0  # seconds: a lock or a half-made copy older than this was left by a kill


def _identity(info: os.stat_result) -> str:
    return f"{info.st_ino}-{info.st_size}-{info.st_mtime_ns}-{info.st_ctime_ns}"


def status_index(worktree: Worktree, scratch_dir: Path) -> Path | None:
    """The copy of WORKTREE's index for `git status` to read and write (see above).

    None when there is no index to copy or the copy cannot be made (a read-only
    repository, a full disk, a folder there that is not this user's own): the caller
    scans with the real index, read-only.
    """
    if worktree.is_primary:
        parts = [STATUS_FOLDER, PRIMARY]
    elif worktree.gitdir.parent.name == "worktrees":
        parts = [STATUS_FOLDER, "worktrees", worktree.gitdir.name]
    else:
        return None
    folder = scratch_dir.joinpath(*parts)
    real = worktree.gitdir / "index"
    try:
        info = os.stat(real)
    except OSError:
        return None
    copy = folder / f"{_identity(info)}.index"
    if copy.exists():
        return copy
    try:
        _make_folders(scratch_dir, parts)
        return _copy(real, folder)
    except (OSError, AgentlsError):  # AgentlsError: a folder there is not safely ours
        return None


def _make_folders(scratch_dir: Path, parts: list[str]) -> None:
    """Each folder from SCRATCH_DIR down: 0700, this user's, never a planted link."""
    from agentls.engine.guard import make_private_dir

    folder = scratch_dir
    make_private_dir(folder)
    for part in parts:
        folder = folder / part
        make_private_dir(folder)


def _copy(real: Path, folder: Path) -> Path:
    temp = folder / f".copy-{os.getpid()}-{threading.get_ident()}.tmp"
    try:
        with open(real, "rb") as source:
            # The identity of the very file read: the bytes copied are that version's.
            info = os.fstat(source.fileno())
            with open(temp, "wb") as target:
                shutil.copyfileobj(source, target)
        # Its racy entries stay racy: git compares them with the index file's mtime.
        os.utime(temp, ns=(info.st_atime_ns, info.st_mtime_ns))
        copy = folder / f"{_identity(info)}.index"
        os.replace(temp, copy)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    for old in folder.iterdir():  # earlier versions of this worktree's index
        if old.name.endswith(".index") and old != copy:  # (a live git's lock stays)
            with contextlib.suppress(OSError):
                old.unlink()
    return copy


def clean_status_indexes(scratch_dir: Path, common_dir: Path) -> None:
    """Remove the copies of worktrees that are gone, and what killed processes left
    half-made (a Workspace opening calls it)."""
    status = scratch_dir / STATUS_FOLDER
    folders = [status / PRIMARY]
    with contextlib.suppress(OSError):
        for folder in (status / "worktrees").iterdir():
            if (common_dir / "worktrees" / folder.name).is_dir():
                folders.append(folder)
            else:
                shutil.rmtree(folder, ignore_errors=True)
    now = time.time()
    for folder in folders:
        with contextlib.suppress(OSError):
            for leftover in folder.iterdir():
                if leftover.name.endswith((".tmp", ".lock")):
                    with contextlib.suppress(OSError):
                        if now - leftover.lstat().st_mtime > STALE_AGE:
                            leftover.unlink()
