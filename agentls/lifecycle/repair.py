"""What killed processes leave behind, found and cleared safely.

A git process killed mid-write leaves its lock file (`index.lock`, `HEAD.lock`,
`refs/heads/<branch>.lock`...): git writes the new content into the lock and renames
it over the real file, so the real file is intact and a lock nobody holds is only in
the way (`git rebase --abort` then fails with "File exists"). agentls's own snapshot
indexes (`<state-dir>/tmp/snapshot-<pid>-*.index`) are left by killed agentls
processes (`agentls.git.snapshot.clean_scratch`), and a scan's git killed while it
refreshed agentls's copy of a worktree's index leaves that copy's lock
(agentls.git.status_index). All are removed only when provably abandoned.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

from agentls.git.repo import Repository
from agentls.git.runner import run_git
from agentls.git.status_index import STATUS_FOLDER
from agentls.lifecycle.common import timestamp
from agentls.vocabulary import plural

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
    """Lock files git may have left: each worktree's admin dir, the common dir, refs/,
    objects/ with objects/info/ (`maintenance.lock`, `commit-graph.lock`: the auto
    maintenance a commit or merge starts dies with the process group that started it),
    and agentls's copies of the worktrees' indexes (a scan's git refreshes them)."""
    found: list[Path] = []
    objects = common_dir / "objects"
    for gitdir in {common_dir, *gitdirs, objects, objects / "info"}:
        found += _lock_files(gitdir, recursive=False)
    found += _lock_files(common_dir / "refs", recursive=True)
    status_copies = Repository(common_dir, None).scratch_dir / STATUS_FOLDER
    found += _lock_files(status_copies, recursive=True)
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


# `git worktree add` first writes the new admin dir locked with this reason and a HEAD
# of zeros, then points HEAD at the commit, checks the files out and unlocks. Killed in
# between, it leaves an entry whose HEAD is no object: `git rev-list --all`, `gc` and
# `fsck` fail in the whole repository, and `git worktree prune` never drops it (locked).
ADDING_REASON = "initializing"


def _git_working_on(folders: list[Path]) -> bool:
    """A live git process names one of FOLDERS in its arguments or works inside one."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not (entry / "comm").read_text().startswith("git"):
                continue
            args = (entry / "cmdline").read_bytes().split(b"\0")[1:]
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue
        for folder in folders:
            if os.fsencode(folder) in args or cwd == folder or folder in cwd.parents:
                return True
    return False


def half_added_worktrees(
    common_dir: Path, worktrees: Iterable[Path] = ()
) -> list[tuple[Path, Path | None]]:
    """(admin dir, folder) of each worktree a killed `git worktree add` left half-made;
    the folder is None when git was killed before naming it.

    One still being added has a live git naming its folder or working in it; a `git
    worktree add` given a relative path is only seen by where it runs, so an entry
    younger than MIN_LOCK_AGE is left while any git runs in the repository's WORKTREES.
    """
    found: list[tuple[Path, Path | None]] = []
    admins = common_dir / "worktrees"
    if not admins.is_dir():
        return []
    for admin in sorted(admins.iterdir()):
        try:
            if (admin / "locked").read_text().strip() != ADDING_REASON:
                continue
            age = time.time() - (admin / "locked").stat().st_mtime
        except OSError:
            continue
        folder: Path | None
        try:
            folder = Path((admin / "gitdir").read_text().strip()).parent
        except FileNotFoundError:
            # Killed before git named the folder: the admin dir is all that names it
            # (undo_half_added_worktree looks for the empty folder git made).
            folder = None
        except OSError:
            continue
        if not Path("/proc/self").is_dir():
            if age < MIN_LOCK_AGE_UNVERIFIED:
                continue
        elif _git_working_on([admin] if folder is None else [folder, admin]) or (
            age < MIN_LOCK_AGE and _git_running_in([common_dir, *worktrees])
        ):
            continue  # still being added
        found.append((admin, folder))
    return found


def _checked_out(admin: Path, folder: Path, relative: str) -> bool:
    """FOLDER/RELATIVE holds exactly what git checks out there from the entry's HEAD."""
    path = folder / relative
    if path.is_symlink() or not path.is_file():
        return False
    env = {"GIT_DIR": str(admin), "GIT_WORK_TREE": str(folder)}
    expected = run_git(
        ["rev-parse", "--verify", "--quiet", f"HEAD:{relative}"], folder, env=env, check=False
    )
    actual = run_git(["hash-object", "--", relative], folder, env=env, check=False)
    return bool(expected) and expected == actual


def undo_half_added_worktree(admin: Path, folder: Path | None, kept: Path) -> str:
    """Remove what a killed `git worktree add` made; files git did not write go to KEPT."""
    if folder is None:
        shutil.rmtree(admin)
        message = (
            f"removed {admin}, a worktree a killed `git worktree add` left before it"
            " named its folder"
        )
        # git names the admin dir after the folder; agentls puts folders next to the
        # primary checkout. An empty one there is what git made: rmdir takes only that.
        common = admin.parent.parent
        guess = common.parent.parent / admin.name
        if common.name == ".git" and guess.is_dir() and not guess.is_symlink():
            with contextlib.suppress(OSError):
                guess.rmdir()
                message += f" (and its empty folder {guess})"
        return message
    moved: list[str] = []
    try:
        pointer = (folder / ".git").read_text().strip().removeprefix("gitdir: ")
        points_here = (folder / pointer).resolve() == admin.resolve()  # absolute or relative
    except OSError:
        points_here = False
    if points_here and folder.is_dir() and not folder.is_symlink():
        for root, dirs, files in os.walk(folder, topdown=True):
            base = Path(root)
            if base == folder:
                files = [f for f in files if f != ".git"]
            for name in [*files, *(d for d in dirs if (base / d).is_symlink())]:
                relative = (base / name).relative_to(folder).as_posix()
                if not _checked_out(admin, folder, relative):
                    target = kept / relative
                    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                    shutil.move(base / name, target)
                    moved.append(relative)
        shutil.rmtree(folder)
    shutil.rmtree(admin)
    what = folder if points_here else f"{admin} (its folder {folder} is not its own)"
    message = f"removed {what}, a worktree a killed `git worktree add` left half-made"
    if moved:
        message += f"; moved {plural(len(moved), 'file')} git had not written there to {kept}"
    return message


def clear_half_added_worktrees(
    common_dir: Path, kept_root: Path, worktrees: Iterable[Path] = ()
) -> list[str]:
    """Undo every `git worktree add` a kill left half-made; one line each."""
    return [
        undo_half_added_worktree(admin, folder, kept_root / admin.name / timestamp())
        for admin, folder in half_added_worktrees(common_dir, worktrees)
    ]
