"""Crash safety: SIGKILL the landing process at every step, then check and recover.

After each kill: trunk is at its old value or the new one and nothing else; the
branch is at its old head or the rebased one; nothing reachable was lost; then
`agentls land` explains, finishes or undoes what agentls started, and lands.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import pytest

from agentls.lifecycle import pending
from agentls.lifecycle.landing import KILL_ENV, KILL_POINTS
from tests.conftest import Repo, git
from tests.lifecycle.helpers import agentls, all_commits, workspace


def prepare(repo: Repo) -> tuple[Path, str, str]:
    """Session `a` with two commits; trunk moved on since, so the rebase has work to do."""
    repo.write(repo.main, "pyproject.toml", '[tool.agentls.land]\nbuild = "true"\ntest = "true"\n')
    repo.commit(repo.main, "configure")
    agentls(repo.main, "new", "a", check=True)
    wt = repo.root / "repo-a"
    repo.write(wt, "a1.txt", "one\n")
    repo.commit(wt, "a: one")
    repo.write(wt, "a2.txt", "two\n")
    repo.commit(wt, "a: two")
    repo.write(repo.main, "trunk.txt", "trunk moved on\n")
    repo.commit(repo.main, "trunk: more")
    return wt, git(repo.main, "rev-parse", "main"), git(wt, "rev-parse", "HEAD")


def is_rebased(repo: Repo, commit: str, trunk_old: str) -> bool:
    """COMMIT is the two commits of `a` replayed on TRUNK_OLD."""
    subjects = git(repo.main, "log", "--format=%s", f"{trunk_old}..{commit}").splitlines()
    return git(repo.main, "rev-parse", f"{commit}~2") == trunk_old and subjects == [
        "a: two",
        "a: one",
    ]


# Every kill point with trunk checked out in the primary worktree (merge --ff-only), and
# the points around the fast-forward again with trunk checked out nowhere (update-ref).
CASES = [(step, True) for step in KILL_POINTS] + [
    (step, False) for step in ("rebased", "tested", "mid-ff")
]


def rebase_dir(worktree: Path) -> Path:
    return Path(git(worktree, "rev-parse", "--path-format=absolute", "--git-dir")) / "rebase-merge"


@pytest.mark.parametrize(
    ("step", "trunk_checked_out"),
    CASES,
    ids=[f"{s}-{'worktree' if c else 'ref'}" for s, c in CASES],
)
def test_kill_at_every_step(land_repo: Repo, step: str, trunk_checked_out: bool) -> None:
    repo = land_repo
    wt, trunk_old, head_old = prepare(repo)
    if not trunk_checked_out:
        git(repo.main, "checkout", "-q", "--detach")
    reachable = all_commits(repo)

    killed = agentls(repo.main, "land", "a", env={KILL_ENV: step})
    assert killed.returncode == -signal.SIGKILL, (step, killed.stdout, killed.stderr)

    # Invariants right after the crash.
    trunk = git(repo.main, "rev-parse", "main")
    branch = git(repo.main, "rev-parse", "refs/heads/a")
    assert trunk == trunk_old or is_rebased(repo, trunk, trunk_old), step
    assert (trunk != trunk_old) == (step == "mid-ff"), "trunk moved at the wrong step"
    assert rebase_dir(wt).is_dir() == (step == "mid-rebase")
    assert branch == head_old or is_rebased(repo, branch, trunk_old), step
    assert reachable <= all_commits(repo), "a commit became unreachable"
    if trunk_checked_out:
        assert git(repo.main, "status", "--porcelain") == "", "trunk's files out of step"
        assert git(repo.main, "rev-parse", "HEAD") == trunk
    with workspace(repo) as ws:
        notes = pending(ws)
    assert any("interrupted at step" in n for n in notes), notes

    # The next land explains, recovers and finishes the job.
    again = agentls(repo.main, "land", "a", "--json")
    assert again.returncode == 0, (step, again.stdout, again.stderr)
    result = json.loads(again.stdout)
    assert result["ok"] and result["recovered"], result
    assert any("stale land lock" in line for line in result["recovered"])
    final = git(repo.main, "rev-parse", "main")
    assert is_rebased(repo, final, trunk_old)
    assert git(repo.main, "rev-parse", "refs/heads/a") == final
    assert not (
        Path(git(wt, "rev-parse", "--path-format=absolute", "--git-dir")) / "rebase-merge"
    ).exists()
    assert git(wt, "status", "--porcelain") == ""
    assert reachable <= all_commits(repo)
    with workspace(repo) as ws:
        assert pending(ws) == []
        assert ws.store.by_name("a").landed is not None
    if step == "mid-rebase":
        assert any("aborted the rebase agentls had started" in r for r in result["recovered"])
    if step == "mid-ff":
        assert any("marked a landed" in r for r in result["recovered"])


# What `git rebase` had written when a SIGKILL stopped it while it wrote its state (seen
# in `make torture`, seed 106): head-name, the interactive marker, and `onto` created but
# still empty; orig-head not yet there. HEAD still on the branch, no file touched.
KILLED_WHILE_WRITING_STATE = """#!/bin/sh
case " $* " in
  *" rebase "*)
    if [ ! -e "$AGENTLS_TEST_MARK" ]; then
      : > "$AGENTLS_TEST_MARK"
      state="$(REAL rev-parse --path-format=absolute --git-dir)/rebase-merge"
      mkdir "$state" && printf 'refs/heads/a\\n' > "$state/head-name"
      : > "$state/interactive"
      : > "$state/onto"
      kill -9 "$PPID"
      exit 137
    fi ;;
esac
exec REAL "$@"
"""


def test_a_rebase_killed_while_git_wrote_its_state_is_undone(
    land_repo: Repo, tmp_path: Path
) -> None:
    """An empty field is one git was writing: the half-written rebase is agentls's own
    (it was at its rebase step), so recovery drops it and the next land lands."""
    repo = land_repo
    wt, trunk_old, head_old = prepare(repo)
    reachable = all_commits(repo)
    wrapper = tmp_path / "bin" / "git"
    wrapper.parent.mkdir()
    real_git = shutil.which("git")
    assert real_git is not None
    wrapper.write_text(KILLED_WHILE_WRITING_STATE.replace("REAL", real_git))
    wrapper.chmod(0o755)
    path = f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}"
    env = {"PATH": path, "AGENTLS_TEST_MARK": str(tmp_path / "killed")}

    killed = agentls(repo.main, "land", "a", env=env)
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)
    assert (rebase_dir(wt) / "onto").read_text() == ""
    assert git(repo.main, "rev-parse", "refs/heads/a") == head_old

    again = agentls(repo.main, "land", "a", "--json", env=env)
    assert again.returncode == 0, (again.stdout, again.stderr)
    result = json.loads(again.stdout)
    assert any("aborted the rebase agentls had started" in r for r in result["recovered"])
    assert is_rebased(repo, git(repo.main, "rev-parse", "main"), trunk_old)
    assert not rebase_dir(wt).exists()
    assert git(wt, "status", "--porcelain") == ""
    assert reachable <= all_commits(repo)
    with workspace(repo) as ws:
        assert pending(ws) == []


def test_recovery_never_aborts_a_rebase_it_did_not_start(land_repo: Repo) -> None:
    repo = land_repo
    wt, _trunk_old, head_old = prepare(repo)
    killed = agentls(repo.main, "land", "a", env={KILL_ENV: "locked"})
    assert killed.returncode == -signal.SIGKILL
    # The person starts their own rebase in that worktree, and it stops on a conflict.
    repo.write(repo.main, "a1.txt", "trunk's own a1\n")
    repo.commit(repo.main, "trunk adds a1")
    proc = git(wt, "rebase", "main", check=False)
    assert (
        Path(git(wt, "rev-parse", "--path-format=absolute", "--git-dir")) / "rebase-merge"
    ).is_dir(), proc
    recovered = agentls(repo.main, "recover")
    assert recovered.returncode == 0, recovered.stderr
    assert "did not start" in recovered.stdout and "left it alone" in recovered.stdout
    assert (
        Path(git(wt, "rev-parse", "--path-format=absolute", "--git-dir")) / "rebase-merge"
    ).is_dir()
    # And land refuses to touch it, saying what to do.
    refused = agentls(repo.main, "land", "a")
    assert refused.returncode == 2 and "rebase is in progress" in refused.stderr
    git(wt, "rebase", "--abort")
    assert git(wt, "rev-parse", "HEAD") == head_old
