"""What git itself leaves half-done when it is killed, and `agentls recover` makes whole.

Both states come from the kill campaign (tests/lifecycle/torture.py) and are rebuilt
here with real git: a `git worktree add` killed before it pointed the new HEAD at a
commit, and a land's rebase killed while a pick was writing a file.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from agentls.lifecycle.landing import KILL_ENV
from tests.conftest import GIT_ENV, Repo, git
from tests.lifecycle.helpers import agentls, all_commits, sessions_table

REAL_GIT = shutil.which("git") or "git"


def kill_worktree_add(repo: Repo, folder: Path, at: str, *args: str) -> None:
    """Run the real `git worktree add` and SIGKILL it when it starts its AT child
    (`update-ref`: HEAD not set yet; `reset`: files being checked out)."""
    exec_path = repo.root / "exec-path"
    exec_path.mkdir(exist_ok=True)
    wrapper = exec_path / "git"
    # git runs its child commands as `git <cmd>` from its exec path, found first in PATH.
    wrapper.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "{at}" ]; then kill -9 "$PPID"; exit 137; fi\n'
        f'unset GIT_EXEC_PATH; exec "{REAL_GIT}" "$@"\n'
    )
    wrapper.chmod(0o755)
    proc = subprocess.run(
        [REAL_GIT, "worktree", "add", *args, "--", str(folder), "HEAD"],
        cwd=repo.main,
        env={**os.environ, **GIT_ENV, "GIT_EXEC_PATH": str(exec_path)},
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    admin = repo.main / ".git" / "worktrees" / folder.name
    assert (admin / "locked").read_text().strip() == "initializing"


def fsck(repo: Repo) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [REAL_GIT, "fsck", "--no-dangling", "--no-progress"],
        cwd=repo.main, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_recover_removes_a_worktree_git_was_killed_adding(land_repo: Repo) -> None:
    repo = land_repo
    agentls(repo.main, "new", "ivy", check=True)
    reachable = all_commits(repo)
    folder = repo.root / "repo-bob"
    kill_worktree_add(repo, folder, "update-ref", "--detach")
    broken = git(repo.main, "rev-list", "--all", check=False)
    assert broken == "", "the half-made worktree should break rev-list --all"

    done = agentls(repo.main, "recover")
    assert done.returncode == 0, done.stderr
    assert f"removed {folder}" in done.stdout
    assert not folder.exists()
    assert not (repo.main / ".git" / "worktrees" / "repo-bob").exists()
    assert reachable <= all_commits(repo)
    assert fsck(repo).returncode == 0, fsck(repo).stderr
    assert "repo-bob" not in git(repo.main, "worktree", "list")
    assert all(row[1] != "bob" and row[6] != str(folder) for row in sessions_table(repo))
    # The killed command can simply be run again.
    agentls(repo.main, "fork", "bob", "--from", "ivy", check=True)
    assert (folder / "app.txt").is_file()


def test_recover_keeps_files_git_did_not_write_in_a_half_added_worktree(land_repo: Repo) -> None:
    repo = land_repo
    folder = repo.root / "repo-bob"
    kill_worktree_add(repo, folder, "reset", "--detach")  # HEAD set, nothing checked out
    (folder / "app.txt").write_text(git(repo.main, "show", "HEAD:app.txt") + "\n")  # as git would
    (folder / "mine.txt").write_text("written meanwhile\n")

    done = agentls(repo.main, "recover")
    assert done.returncode == 0, done.stderr
    assert (
        f"removed {folder}" in done.stdout
        and "moved 1 file git had not written there" in done.stdout
    )
    assert not folder.exists()
    kept = list((repo.main / ".git" / "agentls" / "kept" / "repo-bob").glob("*/mine.txt"))
    assert [p.read_text() for p in kept] == ["written meanwhile\n"]
    assert fsck(repo).returncode == 0


def test_recover_removes_an_add_killed_before_it_named_its_folder(land_repo: Repo) -> None:
    """git writes the admin dir's `locked` before its `gitdir`: killed in between (seen in
    the kill campaign), the entry names no folder, and a locked entry is never pruned."""
    repo = land_repo
    admin = repo.main / ".git" / "worktrees" / "repo-bob"
    admin.mkdir(parents=True)
    (admin / "locked").write_text("initializing\n")
    folder = repo.root / "repo-bob"
    folder.mkdir()  # git makes the folder before it names it in `gitdir`
    assert "repo-bob" not in git(repo.main, "worktree", "list")
    git(repo.main, "worktree", "prune")
    assert admin.is_dir(), "git itself never removes it"

    done = agentls(repo.main, "recover")
    assert done.returncode == 0, done.stderr
    assert f"removed {admin}" in done.stdout and "before it named its folder" in done.stdout
    assert not admin.exists() and not folder.exists()  # the empty folder git made, too
    assert fsck(repo).returncode == 0
    # The killed command can simply be run again.
    agentls(repo.main, "new", "bob", check=True)
    assert (folder / "app.txt").is_file()
    # A folder of that name with anything in it is never taken.
    other_admin = admin.parent / "repo-cat"
    other_admin.mkdir()
    (other_admin / "locked").write_text("initializing\n")
    other = repo.root / "repo-cat"
    other.mkdir()
    (other / "mine.txt").write_text("mine\n")
    done = agentls(repo.main, "recover")
    assert done.returncode == 0, done.stderr
    assert not other_admin.exists() and f"removed {other_admin}" in done.stdout
    assert (other / "mine.txt").read_text() == "mine\n"


def test_recover_removes_the_lock_of_a_killed_auto_maintenance(land_repo: Repo) -> None:
    """`git maintenance run --auto`, started by a commit or merge, killed with its process
    group, leaves objects/maintenance.lock (seen in the kill campaign); a held one stays."""
    repo = land_repo
    lock = repo.main / ".git" / "objects" / "maintenance.lock"
    graph_lock = repo.main / ".git" / "objects" / "info" / "commit-graph.lock"
    graph_lock.parent.mkdir(parents=True, exist_ok=True)
    for path in (lock, graph_lock):
        path.write_text("")
    old = time.time() - 60
    os.utime(graph_lock, (old, old))
    holder = subprocess.Popen(["sleep", "60"], stdin=open(lock, "rb"))  # noqa: SIM115
    try:
        done = agentls(repo.main, "recover")
        assert done.returncode == 0, done.stderr
        assert lock.exists(), "a lock a live process holds open is left"
        assert not graph_lock.exists() and f"removed {graph_lock}" in done.stdout
    finally:
        holder.kill()
        holder.wait()
    done = agentls(repo.main, "recover")
    assert not lock.exists() and f"removed {lock}" in done.stdout


def test_recover_leaves_a_worktree_git_is_still_adding(land_repo: Repo) -> None:
    repo = land_repo
    folder = repo.root / "repo-bob"
    kill_worktree_add(repo, folder, "update-ref", "--detach")
    admin = repo.main / ".git" / "worktrees" / "repo-bob"
    # A live git working in the folder (as `git worktree add`'s own children do).
    busy = subprocess.Popen(
        [REAL_GIT, "--git-dir", str(repo.main / ".git"), "cat-file", "--batch"],
        cwd=folder, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        done = agentls(repo.main, "recover")
    finally:
        busy.communicate(b"", timeout=30)
    assert done.returncode == 0, done.stderr
    assert admin.is_dir() and folder.is_dir(), done.stdout
    assert agentls(repo.main, "recover").returncode == 0
    assert not admin.exists() and not folder.exists()


@pytest.mark.parametrize("same_bytes", [False, True], ids=["half-written", "whole"])
def test_recover_aborts_a_rebase_a_killed_pick_left_files_in_the_way_of(
    land_repo: Repo, same_bytes: bool
) -> None:
    repo = land_repo
    agentls(repo.main, "new", "a", check=True)
    wt = repo.root / "repo-a"
    repo.write(wt, "a1.txt", "one\n")
    repo.commit(wt, "a: one")
    repo.write(wt, "a2.txt", "two\n")
    repo.commit(wt, "a: two")
    head_old = git(wt, "rev-parse", "HEAD")
    repo.write(repo.main, "trunk.txt", "trunk moved on\n")
    repo.commit(repo.main, "trunk: more")
    killed = agentls(repo.main, "land", "a", env={KILL_ENV: "mid-rebase"})
    assert killed.returncode == -signal.SIGKILL
    # The next pick was killed after it wrote a2.txt and before it added it to the index.
    written = "two\n" if same_bytes else ""
    (wt / "a2.txt").write_text(written)
    done = agentls(repo.main, "recover")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "aborted the rebase agentls had started" in done.stdout
    assert git(wt, "rev-parse", "HEAD") == head_old
    assert git(wt, "symbolic-ref", "HEAD") == "refs/heads/a"
    assert git(wt, "status", "--porcelain") == ""
    assert (wt / "a2.txt").read_text() == "two\n"
    kept = list((repo.main / ".git" / "agentls" / "kept" / "a").glob("*/a2.txt"))
    assert [p.read_text() for p in kept] == [written], "the file in the way was not kept"
    assert fsck(repo).returncode == 0


def test_recover_removes_session_id_drafts_a_killed_process_left(land_repo: Repo) -> None:
    """A process killed between writing its session-id draft and linking it into place
    leaves the draft; recovery removes old ones and keeps the ids and recent drafts."""
    repo = land_repo
    agentls(repo.main, "new", "ivy", check=True)
    admin = repo.main / ".git" / "worktrees" / "repo-ivy"
    marker = admin / "agentls-session-id"
    session_id = marker.read_text()
    old = admin / "agentls-session-id.0123456789abcdef"
    old.write_text("0123456789abcdef\n")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    primary_old = repo.main / ".git" / "agentls-session-id.fedcba9876543210"
    primary_old.write_text("fedcba9876543210\n")
    os.utime(primary_old, (1_000_000_000, 1_000_000_000))
    recent = admin / "agentls-session-id.aaaaaaaaaaaaaaaa"
    recent.write_text("aaaaaaaaaaaaaaaa\n")  # a process may be about to link it

    done = agentls(repo.main, "recover")
    assert done.returncode == 0, done.stderr
    assert f"removed {old}" in done.stdout and f"removed {primary_old}" in done.stdout
    assert not old.exists() and not primary_old.exists()
    assert recent.exists() and marker.read_text() == session_id
    assert [row[1] for row in sessions_table(repo)].count("ivy") == 1


def test_recover_removes_the_lock_of_a_scan_killed_while_git_refreshed_its_index_copy(
    land_repo: Repo,
) -> None:
    """A scan's `git status` writes agentls's copy of the worktree's index under git's own
    lock (agentls.git.status_index); killed then, it leaves that lock (seen in the kill
    campaign). Only the copy's refresh is lost; recover removes the lock."""
    repo = land_repo
    assert agentls(repo.main, "status").returncode in (0, 1)
    copies = sorted((repo.main / ".git" / "agentls" / "tmp" / "status").rglob("*.index"))
    assert copies
    lock = Path(f"{copies[0]}.lock")
    lock.write_text("")
    old = time.time() - 10  # abandoned (no process holds it), not yet a minute old
    os.utime(lock, (old, old))
    done = agentls(repo.main, "recover")
    assert done.returncode == 0, done.stderr
    assert not lock.exists() and f"removed {lock}" in done.stdout
