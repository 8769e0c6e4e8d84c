"""What killed processes leave behind, found and cleared safely.

A git process killed mid-write leaves its lock file (`index.lock`, `HEAD.lock`,
`refs/heads/<branch>.lock`...): git writes the new content into the lock and renames
it over the real file, so the real file is intact and a lock nobody holds is only in
the way (`git rebase --abort` then fails with "File exists"). agentls's own snapshot
indexes (`<state-dir>/tmp/snapshot-<pid>-*.index`) are left by killed agentls
processes (`agentls.git.snapshot.clean_scratch`). Both are removed only when
provably abandoned.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

# A lock this recent may belong to a git process between closing and renaming it.
MIN_LOCK_AGE = 2.0
# Without /proc (macOS) nobody can be asked; only locks this old are taken as abandoned.
MIN_LOCK_AGE_UNVERIFIED = 600.0
MAX_REF_DEPTH = 12


def _open_files() -> set[str] | None:
    """Every file some process of ours has open (Linux /proc); None when unknowable."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return None
    found: set[str] = set()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:  # gone, or another user's process
            continue
        for fd in fds:
            try:
                found.add(os.readlink(fd))
            except OSError:
                continue
    return found


def _lock_files(folder: Path, recursive: bool) -> Iterable[Path]:
    if not folder.is_dir():
        return
    if not recursive:
        yield from (p for p in folder.glob("*.lock") if p.is_file() and not p.is_symlink())
        return
    base = len(folder.parts)
    for root, dirs, files in os.walk(folder):
        if len(Path(root).parts) - base >= MAX_REF_DEPTH:
            dirs.clear()
        for name in files:
            if name.endswith(".lock"):
                path = Path(root, name)
                if not path.is_symlink():
                    yield path


def git_lock_candidates(common_dir: Path, gitdirs: Iterable[Path]) -> list[Path]:
    """Lock files git may have left: each worktree's admin dir, the common dir, refs/."""
    found: list[Path] = []
    for gitdir in {common_dir, *gitdirs}:
        found += _lock_files(gitdir, recursive=False)
    found += _lock_files(common_dir / "refs", recursive=True)
    return sorted(set(found))


def _git_running_in(folders: list[Path]) -> bool:
    """A live git process that may write a lock runs in one of FOLDERS (git works from the
    worktree or the git dir). `git merge-tree` (analysis, ours or an engine's) only writes
    objects, never a lock, so it does not count."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not (entry / "comm").read_text().startswith("git"):
                continue
            if b"merge-tree" in (entry / "cmdline").read_bytes().split(b"\0")[1:]:
                continue
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue
        if any(cwd == folder or folder in cwd.parents for folder in folders):
            return True
    return False


def stale_locks(
    candidates: list[Path], folders: list[Path], now: float | None = None
) -> list[Path]:
    """The CANDIDATES no live process holds open and no git process can still be finishing.

    git closes a lock file just before renaming it over the real one: a lock nobody has
    open is abandoned once it is a few seconds old, or at once when no git process runs
    in the repository's FOLDERS at all.
    """
    if not candidates:
        return []
    now = time.time() if now is None else now
    held = _open_files()
    busy: bool | None = None
    stale = []
    for path in candidates:
        try:
            age = now - path.stat().st_mtime
        except OSError:
            continue
        if held is None:
            if age >= MIN_LOCK_AGE_UNVERIFIED:
                stale.append(path)
            continue
        if str(path) in held:
            continue
        if age < MIN_LOCK_AGE:
            busy = _git_running_in(folders) if busy is None else busy
            if busy:
                continue
        stale.append(path)
    return stale


def clear_stale_locks(
    common_dir: Path, gitdirs: Iterable[Path], worktrees: Iterable[Path] = ()
) -> list[str]:
    """Remove abandoned git lock files; one line per file removed."""
    removed = []
    gitdirs = list(gitdirs)
    folders = [common_dir, *gitdirs, *worktrees]
    for path in stale_locks(git_lock_candidates(common_dir, gitdirs), folders):
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(f"removed {path}, a lock file a killed git process left behind")
    return removed
