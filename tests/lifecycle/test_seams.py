"""The lifecycle's seams, each as a user met it (issue 11): output, interrupts, killed
processes, races and odd input must never change an outcome or leave a trap."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from agentls.errors import AgentlsError
from agentls.lifecycle import land, new_session, remove_session
from agentls.lifecycle.commands import run_command
from agentls.lifecycle.common import KILL_ENV
from agentls.lifecycle.journal import Journal, pid_alive
from tests.conftest import GIT_ENV, Repo, git
from tests.lifecycle.helpers import agentls, all_commits, refs, snapshot_state, workspace


def session(repo: Repo, name: str, files: dict[str, str] | None = None) -> Path:
    """Session NAME with one commit (FILES, default NAME.txt) not on trunk."""
    agentls(repo.main, "new", name, check=True)
    wt = repo.root / f"repo-{name}"
    for path, text in (files or {f"{name}.txt": f"{name}\n"}).items():
        repo.write(wt, path, text)
    repo.commit(wt, f"{name} work")
    return wt


def configure(repo: Repo, toml: str) -> None:
    repo.write(repo.main, "pyproject.toml", toml)
    repo.commit(repo.main, "configure land")


def start(repo: Repo, *args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "agentls", *args],
        cwd=cwd or repo.main,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **GIT_ENV},
    )


def wait_for(check: object, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def running(repo: Repo) -> list[str]:
    with workspace(repo) as ws:
        return [e.name for e in Journal(ws.store).running()]


# --- output never changes an outcome ------------------------------------------------------


def test_a_closed_stdout_does_not_stop_or_fail_a_land(land_repo: Repo) -> None:
    """`agentls land s1 | head -1`: the reader goes away after one line."""
    session(land_repo, "s1")
    proc = start(land_repo, "land", "s1")
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # as `head -1` exits
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0, err
    assert first and "Traceback" not in err and "Broken pipe" not in err
    assert git(land_repo.main, "log", "-1", "--format=%s", "main") == "s1 work"
    assert running(land_repo) == []


def test_a_closed_stdout_keeps_a_failed_lands_exit_code(land_repo: Repo) -> None:
    configure(land_repo, '[tool.agentls.land]\ntest = "exit 3"\n')
    session(land_repo, "s1")
    shell = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m agentls land s1 | head -1; exit ${{PIPESTATUS[0]}}'],
        cwd=land_repo.main,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        timeout=60,
    )
    assert shell.returncode == 1, shell.stderr
    assert len(shell.stdout.splitlines()) == 1 and "Traceback" not in shell.stderr
    assert running(land_repo) == []


# --- an interrupt anywhere after the command started ----------------------------------------


@pytest.mark.parametrize("where", ["started", "on_start"])
def test_an_interrupt_right_after_the_start_still_stops_the_group(
    tmp_path: Path, where: str
) -> None:
    """A Ctrl-C that lands between the command's start and the first wait (a loaded
    machine can pause us there) stops the whole group, as one during the wait does."""
    child = tmp_path / "child.pid"

    def interrupt(*_: object) -> None:
        wait_for(lambda: child.exists() and child.read_text().strip(), "the command")
        raise KeyboardInterrupt

    hooks: dict[str, Any] = {where: interrupt}
    with pytest.raises(KeyboardInterrupt):
        run_command(
            "test", f"sleep 60 & echo $! > {child}; wait", tmp_path, 60,
            lambda *_: None, **hooks,
        )  # fmt: skip
    sleeper = int(child.read_text())
    wait_for(lambda: not pid_alive(sleeper), "the command to stop", 10)


# --- land --remove from inside the session ---------------------------------------------------


def test_land_remove_from_inside_the_sessions_own_folder(land_repo: Repo) -> None:
    wt = session(land_repo, "inside", {"src/i.txt": "i\n"})
    landed = agentls(wt / "src", "land", "--remove")
    assert landed.returncode == 0, landed.stdout + landed.stderr
    assert "landed inside" in landed.stdout
    assert f"removed session inside ({wt})" in landed.stdout
    assert not wt.exists() and "refs/heads/inside" not in refs(land_repo)
    assert git(land_repo.main, "log", "-1", "--format=%s", "main") == "inside work"
    with workspace(land_repo) as ws:
        assert {s.name for s in ws.sessions} == {"main"}


# --- Ctrl-C and SIGTERM during the test step ----------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_stops_the_whole_test_process_group(
    land_repo: Repo, tmp_path: Path, signum: int
) -> None:
    child = tmp_path / "child.pid"
    configure(land_repo, f'[tool.agentls.land]\ntest = "sleep 60 & echo $! > {child}; wait"\n')
    wt = session(land_repo, "slow")
    trunk = git(land_repo.main, "rev-parse", "main")
    head = git(wt, "rev-parse", "HEAD")
    proc = start(land_repo, "land", "slow")
    wait_for(lambda: child.exists() and child.read_text().strip(), "the test command")
    sleeper = int(child.read_text())
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, out + err
    assert "interrupted" in err and "Traceback" not in err
    # The test's own child is gone too, not left running as an orphan (a zombie is dead:
    # an init that is slow to reap orphans leaves its /proc entry, as CI's once did).
    wait_for(lambda: not pid_alive(sleeper), "the test command to stop", 10)
    # Nothing landed; the land is settled (nothing left for recovery) and can run again.
    assert git(land_repo.main, "rev-parse", "main") == trunk
    assert git(wt, "rev-parse", "HEAD") == head  # already on trunk: the rebase was a no-op
    assert running(land_repo) == []
    configure(land_repo, '[tool.agentls.land]\ntest = "true"\n')
    again = agentls(land_repo.main, "land", "slow")
    assert again.returncode == 0, again.stderr


# --- every conflicting path, not the first commit's ------------------------------------------


def test_a_rebase_conflict_reports_every_path_that_will_conflict(land_repo: Repo) -> None:
    wt = session(land_repo, "late", {"a.txt": "late a\n"})
    land_repo.write(wt, "b.txt", "late b\n")
    land_repo.commit(wt, "late: b")
    land_repo.write(land_repo.main, "a.txt", "trunk a\n")
    land_repo.write(land_repo.main, "b.txt", "trunk b\n")
    land_repo.commit(land_repo.main, "trunk: a and b")
    with workspace(land_repo) as ws:
        dry = land(ws, "late", dry_run=True)
        result = land(ws, "late")
        kept = land(ws, "late", keep_open=True)
    assert dry["conflicts"] == ["a.txt", "b.txt"]
    # The rebase stops at the first commit (a.txt); the answer still names both.
    assert result["conflicts"] == ["a.txt", "b.txt"] == kept["conflicts"]
    assert "conflicts with main in a.txt, b.txt;" in result["message"]
    assert result["error"]["code"] == "land-conflict"
    assert result["error"]["data"]["files"] == ["a.txt", "b.txt"]
    assert result["error"]["data"]["stopped_on"] == ["a.txt"]
    handoff = (wt / "HANDOFF.md").read_text()
    assert "- `a.txt`" in handoff and "- `b.txt`" in handoff
    assert "The conflicting files are: [a.txt, b.txt]" in handoff
    git(wt, "rebase", "--abort")


# --- recover tells the truth, and clears locks killed git left --------------------------------


def rebase_dir(worktree: Path) -> Path:
    return Path(git(worktree, "rev-parse", "--path-format=absolute", "--git-dir")) / "rebase-merge"


def killed_mid_rebase(repo: Repo) -> tuple[Path, str]:
    wt = session(repo, "s1", {"a1.txt": "one\n"})
    repo.write(wt, "a2.txt", "two\n")
    head = repo.commit(wt, "s1: two")
    repo.write(repo.main, "trunk.txt", "moved on\n")
    repo.commit(repo.main, "trunk moves")
    killed = agentls(repo.main, "land", "s1", env={KILL_ENV: "mid-rebase"})
    assert killed.returncode == -signal.SIGKILL
    assert rebase_dir(wt).is_dir()
    return wt, head


def old_lock(path: Path) -> Path:
    path.write_text("")
    stamp = time.time() - 60
    os.utime(path, (stamp, stamp))
    return path


def test_recover_clears_a_stale_index_lock_then_aborts_the_rebase(land_repo: Repo) -> None:
    wt, head = killed_mid_rebase(land_repo)
    lock = old_lock(rebase_dir(wt).parent / "index.lock")  # as a killed git leaves it
    recovered = agentls(land_repo.main, "recover")
    assert recovered.returncode == 0, recovered.stderr
    assert "index.lock" in recovered.stdout and "aborted the rebase" in recovered.stdout
    assert not lock.exists() and not rebase_dir(wt).exists()
    assert git(wt, "rev-parse", "HEAD") == head and git(wt, "status", "--porcelain") == ""
    assert running(land_repo) == []


def test_recover_says_so_when_it_cannot_undo_and_tries_again_later(land_repo: Repo) -> None:
    wt, head = killed_mid_rebase(land_repo)
    lock = old_lock(rebase_dir(wt).parent / "index.lock")
    with open(lock) as held:  # a live git process holds it: never removed
        first = agentls(land_repo.main, "recover", "--json")
        assert first.returncode == 1, first.stdout + first.stderr
        said = "\n".join(json.loads(first.stdout)["recovered"])
        assert "could not undo" in said and "aborted" not in said
        assert lock.exists() and rebase_dir(wt).is_dir()
        assert running(land_repo) == ["s1"]  # still open, so recovery can try again
        assert held.readable()
    os.utime(lock, (time.time() - 60, time.time() - 60))
    second = agentls(land_repo.main, "recover")
    assert second.returncode == 0 and "aborted the rebase" in second.stdout, second.stdout
    assert git(wt, "rev-parse", "HEAD") == head and running(land_repo) == []


# --- ghosts ----------------------------------------------------------------------------------


def test_a_plain_git_worktree_remove_leaves_no_ghost(land_repo: Repo) -> None:
    wt = session(land_repo, "feat")
    git(land_repo.main, "worktree", "remove", str(wt))
    again = agentls(land_repo.main, "new", "feat", "--branch", "feat-2")
    assert again.returncode == 0, again.stderr
    renamed = agentls(land_repo.main, "rename", "feat", "feat-3")
    assert renamed.returncode == 0, renamed.stderr


def test_a_remove_killed_after_the_worktree_went_leaves_no_ghost(land_repo: Repo) -> None:
    wt = session(land_repo, "gone")
    kill = {KILL_ENV: "removed-worktree"}
    killed = agentls(land_repo.main, "remove", "gone", "--force", env=kill)
    assert killed.returncode == -signal.SIGKILL and not wt.exists()
    for verb in (["rename", "gone", "other"], ["remove", "gone"]):
        refused = agentls(land_repo.main, *verb, "--json")
        assert refused.returncode == 2
        error = json.loads(refused.stdout)["error"]
        assert error["code"] == "session-removed" and "it was removed" in error["message"], verb
    # restore's advice is a command that works, although the branch was left behind.
    advice = json.loads(agentls(land_repo.main, "restore", "gone", "--json").stdout)["error"]
    assert advice["code"] == "session-removed"
    back = agentls(land_repo.main, "new", "gone", "--from", advice["data"]["backup"])
    assert back.returncode == 0, back.stderr
    assert (wt / "gone.txt").read_text() == "gone\n"
    # A leftover branch that does not match the backup is never reset.
    session(land_repo, "other")
    git(land_repo.main, "worktree", "remove", "--force", str(land_repo.root / "repo-other"))
    refused = agentls(land_repo.main, "new", "other", "--from", "main")
    assert refused.returncode == 2 and "branch 'other' already exists" in refused.stderr


# --- lock_wait, and "waiting" only when someone else holds the lock ----------------------------


def test_configured_lock_wait_is_honoured(land_repo: Repo) -> None:
    configure(land_repo, '[tool.agentls.land]\ntest = "sleep 2"\nlock_wait = 60\n')
    session(land_repo, "a")
    session(land_repo, "b")
    first = start(land_repo, "land", "a")
    with workspace(land_repo) as ws:
        wait_for(lambda: Journal(ws.store).running(), "the first land to start")
    second = agentls(land_repo.main, "land", "b")
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, out + err
    assert second.returncode == 0, second.stdout + second.stderr
    assert "lock: waiting" not in out
    assert "lock: waiting up to 60s for session a" in second.stdout
    subjects = git(land_repo.main, "log", "--format=%s", "-2", "main").splitlines()
    assert sorted(subjects) == ["a work", "b work"]


# --- land racing remove --force ---------------------------------------------------------------


def test_remove_refuses_a_session_that_is_landing(land_repo: Repo) -> None:
    configure(land_repo, '[tool.agentls.land]\ntest = "sleep 3"\n')
    session(land_repo, "a")
    lander = start(land_repo, "land", "a")
    with workspace(land_repo) as ws:
        wait_for(lambda: Journal(ws.store).running(), "the land to start")
    removed = agentls(land_repo.main, "remove", "a", "--force")
    assert removed.returncode == 2 and removed.stderr.count("\n") == 1, removed.stderr
    assert "being landed right now" in removed.stderr
    out, err = lander.communicate(timeout=60)
    assert lander.returncode == 0, out + err


def test_land_racing_remove_force_is_one_line_whatever_the_timing(land_repo: Repo) -> None:
    for round_ in range(6):
        session(land_repo, f"r{round_}")
        lander = start(land_repo, "land", f"r{round_}")
        time.sleep(0.05 * round_)
        remover = start(land_repo, "remove", f"r{round_}", "--force")
        for proc in (lander, remover):
            out, err = proc.communicate(timeout=60)
            assert proc.returncode in (0, 1, 2), (round_, out, err)
            assert "Traceback" not in err, (round_, err)
            assert proc.returncode == 0 or err.count("\n") <= 2, (round_, err)
    recovered = agentls(land_repo.main, "recover")
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    fsck = subprocess.run(["git", "fsck", "--no-dangling", "--no-progress"], cwd=land_repo.main,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert fsck.returncode == 0 and fsck.stdout == "", fsck.stdout + fsck.stderr


# --- remove and git-ignored files -------------------------------------------------------------


def test_remove_keeps_small_ignored_files_and_says_what_it_deleted(land_repo: Repo) -> None:
    land_repo.write(land_repo.main, ".gitignore", ".env\nbuild/\n")
    land_repo.commit(land_repo.main, "ignore")
    wt = session(land_repo, "env")
    land_repo.write(wt, ".env", "SECRET=1\n")
    land_repo.write(wt, "build/out.bin", "x" * 100)
    result = agentls(land_repo.main, "remove", "env", "--force", "--json")
    assert result.returncode == 0, result.stderr
    ignored = json.loads(result.stdout)["ignored"]
    assert ignored["kept"] == [".env"] and ignored["deleted"] == ["build/"]
    kept = Path(ignored["keptAt"])
    assert (kept / ".env").read_text() == "SECRET=1\n"
    assert kept.stat().st_mode & 0o077 == 0 or kept.parent.stat().st_mode & 0o077 == 0
    text = agentls(land_repo.main, "remove", "nope")  # (the text form is checked in test_cli)
    assert text.returncode == 2


# --- what killed processes leave in the store's tmp folder -------------------------------------


def test_snapshot_indexes_of_dead_processes_are_cleaned(land_repo: Repo) -> None:
    common = Path(git(land_repo.main, "rev-parse", "--path-format=absolute", "--git-common-dir"))
    scratch = common / "agentls" / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    gone_pid = 2**22 + 5  # above the kernel's largest pid_max: never a live process
    stale = [scratch / f"snapshot-{gone_pid}-{n}" for n in ("a.index", "b.index.lock")]
    for path in stale:
        path.write_bytes(b"DIRC")
    live = scratch / f"snapshot-{os.getpid()}-mine.index"
    live.write_bytes(b"DIRC")
    assert agentls(land_repo.main, "status").returncode == 0
    assert not any(p.exists() for p in stale) and live.exists()
    live.unlink()


# --- odd input, one line each -----------------------------------------------------------------


def test_a_branch_name_clash_is_one_clear_line(land_repo: Repo) -> None:
    git(land_repo.main, "branch", "feat/cli")
    agentls(land_repo.main, "status", check=True)  # sessions registered: the baseline
    before = snapshot_state(land_repo)
    for name, extra in (("feat", []), ("deep", ["--branch", "feat/cli/x"])):
        refused = agentls(land_repo.main, "new", name, *extra)
        assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
        assert "fatal" not in refused.stderr and "feat/cli" in refused.stderr
    assert snapshot_state(land_repo) == before


def test_a_very_long_dir_is_refused_in_one_line(land_repo: Repo) -> None:
    agentls(land_repo.main, "status", check=True)
    before = snapshot_state(land_repo)
    refused = agentls(land_repo.main, "new", "x", "--dir", "/tmp/" + "a" * 5000, "--json")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.count("\n") == 1 and len(refused.stderr) < 400, refused.stderr
    assert json.loads(refused.stdout)["error"]["code"] == "invalid-folder"
    assert snapshot_state(land_repo) == before


def test_a_repository_without_commits_says_so(repo: Repo) -> None:
    proc = agentls(repo.main, "status", "--json")
    assert proc.returncode == 2
    error = json.loads(proc.stdout)["error"]
    assert error["code"] == "trunk-unborn" and error["data"] == {"branch": "main"}
    assert "no commits yet" in proc.stderr and "git config agentls.trunk" not in proc.stderr


def test_the_dirty_trunk_refusal_reads_well(land_repo: Repo) -> None:
    session(land_repo, "a")
    land_repo.write(land_repo.main, "app.txt", "editing trunk\n")
    with workspace(land_repo) as ws, pytest.raises(AgentlsError) as refused:
        land(ws, "a")
    assert refused.value.code == "dirty-worktree"
    assert refused.value.message == (
        "trunk's worktree (session main) has uncommitted changes (app.txt); land never touches them"
    )
    assert refused.value.data["role"] == "trunk" and refused.value.data["paths"] == ["app.txt"]


def test_removing_a_session_never_loses_a_commit_even_through_a_ghost(land_repo: Repo) -> None:
    session(land_repo, "keep")
    reachable = all_commits(land_repo)
    with workspace(land_repo) as ws:
        remove_session(ws, "keep", force=True)
        new_session(ws, "keep")  # the name is free again, on a fresh branch from trunk
    assert reachable <= all_commits(land_repo)


# --- a fast-forward of trunk's checkout cut short ------------------------------------------

CUT_SHORT = r"""#!/bin/sh
# `git merge --ff-only TARGET` in trunk's checkout: do part of it, then die with agentls.
if [ "$1" = "merge" ] && [ "$2" = "--ff-only" ]; then
  target="$4"
  case "$CUT" in
    index-and-files) "$REAL_GIT" read-tree -m -u HEAD "$target" ;;
    one-file) "$REAL_GIT" show "$target:landed.txt" > landed.txt ;;
    empty-file) : > landed.txt ;;  # killed right after git opened the file
    half-file) "$REAL_GIT" show "$target:landed.txt" | head -c 3 > landed.txt ;;
    other-bytes) printf 'lan!' > landed.txt ;;  # not git's: someone else wrote it
  esac
  kill -9 "$PPID"
  exit 137
fi
exec "$REAL_GIT" "$@"
"""


@pytest.mark.parametrize(
    "cut", ["index-and-files", "one-file", "empty-file", "half-file", "other-bytes"]
)
def test_a_fast_forward_cut_short_is_finished_or_undone(
    land_repo: Repo, tmp_path: Path, cut: str
) -> None:
    import shutil

    wt = session(land_repo, "s1", {"landed.txt": "landed\n", "more.txt": "more\n"})
    trunk_old = git(land_repo.main, "rev-parse", "main")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text(CUT_SHORT)
    (bin_dir / "git").chmod(0o755)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "CUT": cut,
           "REAL_GIT": shutil.which("git") or "git"}  # fmt: skip
    killed = agentls(land_repo.main, "land", "s1", env=env)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert git(land_repo.main, "rev-parse", "main") == trunk_old
    assert git(land_repo.main, "status", "--porcelain") != ""  # half-landed files
    recovered = agentls(land_repo.main, "recover")
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    if cut == "other-bytes":  # not what git writes there: nothing is overwritten
        assert "did not make; left it alone" in recovered.stdout
        assert (land_repo.main / "landed.txt").read_text() == "lan!"
        assert git(land_repo.main, "rev-parse", "main") == trunk_old
        return
    assert git(land_repo.main, "status", "--porcelain") == ""
    rebased = git(wt, "rev-parse", "HEAD")
    if cut == "index-and-files":  # everything was in place: the land is finished
        assert "finished the fast-forward" in recovered.stdout
        assert git(land_repo.main, "rev-parse", "main") == rebased
        assert "marked s1 landed" in recovered.stdout
    else:  # a partial checkout is put back; landing again finishes the job
        assert "put trunk's checkout" in recovered.stdout
        assert git(land_repo.main, "rev-parse", "main") == trunk_old
        again = agentls(land_repo.main, "land", "s1")
        assert again.returncode == 0, again.stderr
        assert git(land_repo.main, "rev-parse", "main") == rebased
    assert (land_repo.main / "landed.txt").read_text() == "landed\n" or cut == "one-file"
    assert running(land_repo) == []


def test_a_fresh_lock_is_removed_only_when_no_git_could_still_be_writing_it(
    land_repo: Repo,
) -> None:
    agentls(land_repo.main, "status", check=True)
    lock = land_repo.main / ".git" / "packed-refs.lock"
    quiet = {**os.environ, **GIT_ENV}
    # A git process working in the repository (not merge-tree, which writes no lock).
    pipes = {"cwd": land_repo.main, "stdin": subprocess.PIPE, "stdout": subprocess.DEVNULL}
    busy = subprocess.Popen(["git", "cat-file", "--batch"], env=quiet, **pipes)  # type: ignore[call-overload]
    analysis = subprocess.Popen(
        ["git", "merge-tree", "--stdin", "--write-tree"], env=quiet, **pipes
    )  # type: ignore[call-overload]
    try:
        lock.write_text("")  # just written, held by nobody
        kept = agentls(land_repo.main, "recover")
        assert kept.returncode == 0 and lock.exists(), kept.stdout  # git may be renaming it
        busy.stdin.close()  # type: ignore[union-attr]
        busy.wait(timeout=10)
        removed = agentls(land_repo.main, "recover")  # only merge-tree runs now
        assert "packed-refs.lock" in removed.stdout and not lock.exists(), removed.stdout
    finally:
        for proc in (busy, analysis):
            proc.kill()
            proc.wait()
