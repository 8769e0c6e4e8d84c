"""The kill campaign: random lifecycle sequences, SIGKILLed anywhere, then `recover`.

Each sequence builds a small real repository with a few sessions and runs random
operations through the real CLI (`agentls.cli.main` in a forked child, so the
imports are paid once): land, land --all, two concurrent lands, rename, fork,
handoff, remove (plain or --force), restore, new — with "agent work" (commits,
uncommitted and git-ignored files) in between. An operation may be SIGKILLed after
a random delay (the agentls process alone, or with its git children as a power cut
would), or at its Nth git call, before, after or during that call, by a `git` on
PATH that wraps the real one. After every operation, and after `agentls recover`:

- every commit that was a branch head, worktree HEAD or backup before the operation
  is still reachable;
- trunk is where it was or a fast-forward of it;
- every uncommitted file is still in its worktree with the same bytes, or in a
  backup ref (forced remove), or kept aside (git-ignored files of a removed session);
- and after recovery: `git fsck` is clean, no lock is left (the land lock, git's
  *.lock files), no journal entry is running, no rebase is in progress, every
  branch worktree is on its branch, no store row belongs to a worktree git lost
  (no ghost session), trunk's checkout is clean, and `agentls status` works.

Run: python -m tests.lifecycle.torture --sequences 2000 [--seed N] [--workers 2]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Torture",
    "GIT_AUTHOR_EMAIL": "torture@example.com",
    "GIT_COMMITTER_NAME": "Torture",
    "GIT_COMMITTER_EMAIL": "torture@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
}
NOTES = {"HANDOFF.md", "BRIEF.md"}
OP_TIMEOUT = 60.0
NAMES = ["ann", "bob", "cid", "dee", "eve", "fay", "gus", "hal", "ivy", "jon"]

# At the victim's Nth git call: kill the agentls process before git runs, after it
# ran, or while it runs (git killed too, as a power cut would: lock files stay behind).
GIT_WRAPPER = r"""#!/bin/sh
if [ -n "$TORTURE_VICTIM" ] && [ -n "$TORTURE_KILL_AT" ]; then
  counter="$TORTURE_DIR/calls-$TORTURE_VICTIM"
  n=$(( $(cat "$counter" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$counter"
  if [ "$n" = "$TORTURE_KILL_AT" ]; then
    case "$TORTURE_KILL_HOW" in
      before) kill -9 "$TORTURE_VICTIM"; exit 137 ;;
      after) "$TORTURE_REAL_GIT" "$@"; code=$?; kill -9 "$TORTURE_VICTIM"; exit $code ;;
      during)
        "$TORTURE_REAL_GIT" "$@" <&0 &
        child=$!
        sleep "$TORTURE_KILL_DELAY"
        kill -9 "$TORTURE_VICTIM" "$child" 2>/dev/null
        wait "$child"
        exit 137 ;;
    esac
  fi
fi
exec "$TORTURE_REAL_GIT" "$@"
"""


class Violation(AssertionError):
    """An invariant of the campaign does not hold."""


@dataclass
class Kill:
    how: str  # none | timer | timer-group | git-before | git-after | git-during
    delay: float = 0.0  # timer: seconds; git-during: seconds git runs before the kill
    at: int = 0  # git-*: which git call

    def describe(self) -> str:
        if self.how == "none":
            return ""
        if self.how.startswith("timer"):
            return f" [{self.how} {self.delay * 1000:.0f}ms]"
        return f" [{self.how} at git call {self.at}]"


@dataclass
class Outcome:
    argv: list[str]
    code: int | None  # None when killed
    out: str
    err: str


@dataclass
class World:
    """One sequence's repository and what the campaign knows about it."""

    root: Path
    rng: random.Random
    env: dict[str, str]
    log: list[str] = field(default_factory=list)

    @property
    def main(self) -> Path:
        return self.root / "repo"

    @property
    def common(self) -> Path:
        return self.main / ".git"

    def git(self, cwd: Path, *args: str, check: bool = True, input: str | None = None) -> str:
        proc = subprocess.run(
            [self.env["TORTURE_REAL_GIT"], *args],
            cwd=cwd,
            input=input,
            capture_output=True,
            text=True,
            env={**os.environ, **GIT_ENV},
            check=False,
        )
        if check and proc.returncode != 0:
            raise Violation(f"git {' '.join(args)} failed in {cwd}: {proc.stderr}")
        return proc.stdout.strip()


# --- running the CLI in a forked child, maybe killing it -----------------------------------


def run_cli(world: World, argv: list[str], kill: Kill, cwd: Path | None = None) -> Outcome:
    return run_many(world, [(argv, kill)], cwd)[0]


def run_many(
    world: World, jobs: list[tuple[list[str], Kill]], cwd: Path | None = None
) -> list[Outcome]:
    """Start every job at once (concurrent lands), each in its own process group."""
    with contextlib.ExitStack() as files:
        started = []
        for argv, kill in jobs:
            out = files.enter_context(tempfile.TemporaryFile())
            err = files.enter_context(tempfile.TemporaryFile())
            pid = os.fork()
            if pid == 0:  # the child: become agentls
                _child(world, argv, kill, cwd, out.fileno(), err.fileno())
            _TRACKED.add(pid)
            with contextlib.suppress(OSError):
                os.setpgid(pid, pid)  # also from here: no race with the kill below
            started.append((pid, argv, kill, out, err, time.monotonic()))
        outcomes = []
        for pid, argv, kill, out, err, t0 in started:
            if kill.how.startswith("timer"):
                remaining = kill.delay - (time.monotonic() - t0)
                if remaining > 0:
                    time.sleep(remaining)
                with contextlib.suppress(ProcessLookupError):
                    if kill.how == "timer-group":
                        os.killpg(pid, signal.SIGKILL)
                    else:
                        os.kill(pid, signal.SIGKILL)
            status = _wait(pid, t0 + OP_TIMEOUT)
            _wait_group_gone(pid)  # git children the kill orphaned finish (or die) first
            out.seek(0)
            err.seek(0)
            code = os.waitstatus_to_exitcode(status)
            outcomes.append(
                Outcome(
                    argv,
                    None if code == -signal.SIGKILL else code,
                    out.read().decode(errors="replace"),
                    err.read().decode(errors="replace"),
                )
            )
        return outcomes


def _child(world: World, argv: list[str], kill: Kill, cwd: Path | None, out: int, err: int) -> None:
    """In the forked child: become `agentls ARGV` and exit with its code."""
    code = 70
    try:
        os.setpgid(0, 0)
        os.chdir(cwd or world.main)
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.environ.update(world.env)
        os.environ["TORTURE_VICTIM"] = str(os.getpid())
        if kill.how.startswith("git-"):
            os.environ["TORTURE_KILL_AT"] = str(kill.at)
            os.environ["TORTURE_KILL_HOW"] = kill.how.removeprefix("git-")
            os.environ["TORTURE_KILL_DELAY"] = f"{kill.delay:.3f}"
        sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False))
        sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", closefd=False))
        from agentls.cli import main

        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 71
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


_TRACKED: set[int] = set()  # the operations we started (orphans are reaped, not tracked)
_REAPED: dict[int, int] = {}


def become_subreaper() -> None:
    """Orphans of killed operations become our children (not init's, which may reap
    them late), so "its git children are gone" can be waited for exactly."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _reap() -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in _TRACKED:  # an orphan's pid may be reused by a later operation
            _REAPED[pid] = status


def _wait(pid: int, deadline: float) -> int:
    while True:
        _reap()
        if pid in _REAPED:
            _TRACKED.discard(pid)
            return _REAPED.pop(pid)
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            time.sleep(0.1)
            _reap()
            _REAPED.pop(pid, None)
            _TRACKED.discard(pid)
            raise Violation(f"an operation hung for {OP_TIMEOUT}s")
        time.sleep(0.002)


def _wait_group_gone(pgid: int) -> None:
    deadline = time.monotonic() + OP_TIMEOUT
    while True:
        _reap()
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            return
        time.sleep(0.002)


# --- reading the repository ------------------------------------------------------------


def worktrees(world: World) -> list[dict[str, str]]:
    out = world.git(world.main, "worktree", "list", "--porcelain")
    found: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in [*out.splitlines(), ""]:
        if not line:
            if current:
                found.append(current)
            current = {}
            continue
        key, _, value = line.partition(" ")
        current[key] = value
    return found


def sessions(world: World) -> list[tuple[str, str, str]]:
    """(name, role, path) rows of the store."""
    path = world.common / "agentls" / "store.sqlite3"
    if not path.exists():
        return []
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
        return [tuple(r) for r in db.execute("SELECT name, role, path FROM sessions")]


def heads(world: World) -> set[str]:
    out = world.git(world.main, "for-each-ref", "--format=%(objectname)")
    found = set(out.split())
    for wt in worktrees(world):
        if wt.get("HEAD") and set(wt["HEAD"]) != {"0"}:
            found.add(wt["HEAD"])
    return found


# What a `git worktree add` killed half-way leaves locked (its HEAD is zeros until git
# points it at the commit): `rev-list --all` fails on it until `agentls recover` removes it.
ADDING = "initializing"


def half_added(world: World) -> list[Path]:
    found = []
    for admin in sorted((world.common / "worktrees").glob("*")):
        with contextlib.suppress(OSError):
            if (admin / "locked").read_text().strip() == ADDING:
                found.append(admin)
    return found


def reachable(world: World) -> set[str]:
    proc = subprocess.run(
        [world.env["TORTURE_REAL_GIT"], "rev-list", "--all"],
        cwd=world.main, capture_output=True, text=True, env={**os.environ, **GIT_ENV},
        check=False,
    )  # fmt: skip
    if proc.returncode == 0:
        return set(proc.stdout.split())
    if not half_added(world):
        raise Violation(f"git rev-list --all failed in {world.main}: {proc.stderr}")
    # Between a kill and recover only: every ref and every worktree HEAD git has set.
    tips = "".join(f"{tip}\n" for tip in sorted(heads(world)))
    return set(world.git(world.main, "rev-list", "--stdin", input=tips).split())


def trunk(world: World) -> str:
    return world.git(world.main, "rev-parse", "refs/heads/main")


def is_ancestor(world: World, a: str, b: str) -> bool:
    proc = subprocess.run(
        [world.env["TORTURE_REAL_GIT"], "merge-base", "--is-ancestor", a, b],
        cwd=world.main,
        capture_output=True,
        check=False,
    )
    return proc.returncode == 0


def digest(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def uncommitted(world: World) -> dict[tuple[str, str], str]:
    """(worktree, path) -> blob id of every uncommitted or git-ignored file."""
    found = {}
    for wt in worktrees(world):
        folder = Path(wt["worktree"])
        if not folder.is_dir():
            continue
        out = world.git(
            folder, "status", "--porcelain", "-z", "--untracked-files=all", "--ignored",
            check=False,
        )  # fmt: skip
        records = iter(out.split("\0"))
        for record in records:
            if len(record) < 4:
                continue
            status, rel = record[:2], record[3:]
            if status[0] in "RC":
                next(records, None)
            if rel in NOTES or rel.endswith("/"):
                continue
            with contextlib.suppress(OSError):
                target = folder / rel
                if target.is_file() and not target.is_symlink():
                    found[(str(folder), rel)] = digest(target.read_bytes())
    return found


def backup_blobs(world: World, since: set[str]) -> set[tuple[str, str]]:
    """(path, blob) in backup refs that did not exist at SINCE (refs), for lost-file checks."""
    out = world.git(world.main, "for-each-ref", "--format=%(refname)", "refs/agentls/backup/")
    found = set()
    for ref in out.split():
        if ref in since:
            continue
        tree = world.git(world.main, "ls-tree", "-r", ref)
        for line in tree.splitlines():
            meta, _, path = line.partition("\t")
            found.add((path, meta.split()[2]))
    return found


def kept_blobs(world: World) -> set[tuple[str, str]]:
    found = set()
    kept = world.common / "agentls" / "kept"
    if kept.is_dir():
        for stamp in kept.glob("*/*"):
            for path in stamp.rglob("*"):
                if path.is_file():
                    found.add((path.relative_to(stamp).as_posix(), digest(path.read_bytes())))
    return found


def backup_refs(world: World) -> set[str]:
    out = world.git(world.main, "for-each-ref", "--format=%(refname)", "refs/agentls/")
    return set(out.split())


# --- the invariants --------------------------------------------------------------------


@dataclass
class Before:
    heads: set[str]
    trunk: str
    files: dict[tuple[str, str], str]
    refs: set[str]


def before(world: World) -> Before:
    return Before(heads(world), trunk(world), uncommitted(world), backup_refs(world))


def check_kept(world: World, was: Before, when: str) -> None:
    """Nothing lost, trunk only forward: true right after a kill, before any recovery."""
    lost = was.heads - reachable(world)
    if lost:
        raise Violation(f"{when}: commits became unreachable: {sorted(lost)}")
    now = trunk(world)
    if now != was.trunk and not is_ancestor(world, was.trunk, now):
        raise Violation(f"{when}: trunk moved from {was.trunk} to {now}, not a fast-forward")
    files_now = uncommitted(world)
    missing = {k: v for k, v in was.files.items() if files_now.get(k) != v}
    if missing:
        saved = backup_blobs(world, was.refs) | kept_blobs(world)
        lost_files = [k for k, v in missing.items() if (k[1], v) not in saved]
        if lost_files:
            raise Violation(f"{when}: uncommitted files lost: {sorted(lost_files)}")


def check_settled(world: World) -> None:
    """After `agentls recover`: nothing pending, nothing locked, no ghost, trunk clean."""
    fsck = subprocess.run(
        [world.env["TORTURE_REAL_GIT"], "fsck", "--no-dangling", "--no-progress"],
        cwd=world.main,
        capture_output=True,
        text=True,
        check=False,
    )
    if fsck.returncode != 0 or fsck.stdout.strip():
        raise Violation(f"git fsck: {fsck.stdout}{fsck.stderr}")
    state = world.common / "agentls"
    with contextlib.closing(sqlite3.connect(state / "store.sqlite3", timeout=30)) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        if "land_lock" in tables and db.execute("SELECT * FROM land_lock").fetchall():
            raise Violation("the land lock is still recorded as held")
        if "land_journal" in tables:
            open_lands = db.execute(
                "SELECT name, step, message FROM land_journal WHERE status = 'running'"
            ).fetchall()
            if open_lands:
                raise Violation(f"lands left running after recover: {open_lands}")
        ids = {r[0] for r in db.execute("SELECT id FROM sessions")}
        landed_in = (
            {(r[0], r[1]) for r in db.execute("SELECT worktree, branch FROM land_journal")}
            if "land_journal" in tables
            else set()
        )
    if half_added(world):
        raise Violation(
            f"worktrees a killed `git worktree add` left half-made: {half_added(world)}"
        )
    locks = [str(p) for p in world.common.rglob("*.lock") if p.name != "land.lock"]
    if locks:
        raise Violation(f"git lock files left: {locks}")
    live_ids = set()
    for admin in [world.common, *(world.common / "worktrees").glob("*")]:
        with contextlib.suppress(OSError):
            live_ids.add((admin / "agentls-session-id").read_text().strip())
    ghosts = ids - live_ids
    if ghosts:
        raise Violation(f"ghost sessions (store rows without a worktree): {ghosts}")
    listed = worktrees(world)
    checked_out = {wt.get("branch") for wt in listed}
    for wt in listed:
        folder = Path(wt["worktree"])
        if not (folder / ".git").exists():
            # A remove killed after the folder went: the session says "folder gone" and
            # `agentls remove` finishes it (never guessed: an unmounted disk looks the same).
            continue
        admin = Path(world.git(folder, "rev-parse", "--path-format=absolute", "--git-dir"))
        for marker in ("rebase-merge", "rebase-apply", "MERGE_HEAD"):
            if (admin / marker).exists():
                raise Violation(f"{folder}: {marker} left behind")
        # A land (even killed) leaves the worktree on its branch, as it found it.
        if not wt.get("branch"):
            for worktree, branch in landed_in:
                ref = f"refs/heads/{branch}"
                exists = world.git(world.main, "rev-parse", "--verify", "--quiet", ref, check=False)
                if worktree == str(folder) and exists and ref not in checked_out:
                    raise Violation(f"{folder}: left detached by a land of {branch}")
    dirty = world.git(world.main, "status", "--porcelain", "--untracked-files=no")
    if dirty:
        raise Violation(f"trunk's checkout is not clean:\n{dirty}")


def check_output(outcome: Outcome) -> None:
    if outcome.code is None:
        return
    if "Traceback" in outcome.err or outcome.code not in (0, 1, 2):
        raise Violation(f"agentls {' '.join(outcome.argv)} -> {outcome.code}:\n{outcome.err}")
    if outcome.code == 2:
        lines = [line for line in outcome.err.splitlines() if line.strip()]
        if len(lines) != 1 or not lines[0].startswith("agentls: "):
            raise Violation(f"a refusal that is not one line: {outcome.err!r}")


# --- the operations ---------------------------------------------------------------------


def code_sessions(world: World) -> list[str]:
    main = str(world.main)
    return sorted(n for n, r, p in sessions(world) if r == "code" and p != main)


def all_sessions(world: World) -> list[str]:
    main = str(world.main)
    return sorted(n for n, r, p in sessions(world) if p != main)


def folder_of(world: World, name: str) -> Path | None:
    return next((Path(p) for n, _, p in sessions(world) if n == name), None)


def agent_work(world: World) -> str:
    """What an agent does between commands: commits, uncommitted and ignored files."""
    names = code_sessions(world)
    if not names:
        return "no session to work in"
    name = world.rng.choice(names)
    folder = folder_of(world, name)
    if folder is None or not (folder / ".git").exists():
        return f"{name}: folder gone"
    branch = world.git(folder, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    if not branch or (world.git(folder, "rev-parse", "--git-dir") and _busy(world, folder)):
        return f"{name}: not on a branch or busy"
    rng = world.rng
    kind = rng.choice(["commit", "commit", "commit", "uncommitted", "ignored", "fail"])
    if kind in ("commit", "fail"):
        lines = (folder / "shared.txt").read_text().splitlines()
        line = rng.randrange(len(lines))
        lines[line] = f"{name} {rng.randrange(1000)}"
        (folder / "shared.txt").write_text("\n".join(lines) + "\n")
        (folder / f"{name}-{rng.randrange(100)}.txt").write_text(f"{name}\n")
        if kind == "fail":
            (folder / "fail.me").write_text("the tests fail while this exists\n")
        elif (folder / "fail.me").exists():
            (folder / "fail.me").unlink()
        world.git(folder, "add", "-A")
        world.git(folder, "commit", "-q", "-m", f"{name}: work", check=False)
        return f"{name}: {kind} (line {line + 1})"
    if kind == "uncommitted":
        (folder / f"draft-{rng.randrange(100)}.txt").write_text(f"{name} draft {rng.random()}\n")
        return f"{name}: uncommitted draft"
    (folder / f"settings-{rng.randrange(10)}.local").write_text(f"{name} {rng.random()}\n")
    return f"{name}: ignored settings"


def _busy(world: World, folder: Path) -> bool:
    admin = Path(world.git(folder, "rev-parse", "--path-format=absolute", "--git-dir"))
    return any((admin / m).exists() for m in ("rebase-merge", "rebase-apply", "index.lock"))


def choose_kill(rng: random.Random) -> Kill:
    roll = rng.random()
    if roll < 0.35:
        return Kill("none")
    if roll < 0.6:
        return Kill(rng.choice(["timer", "timer-group"]), delay=rng.uniform(0.0, 0.35))
    how = rng.choice(["git-before", "git-after", "git-during", "git-during"])
    return Kill(how, delay=rng.choice([0.0, 0.001, 0.003, 0.01]), at=rng.randint(1, 30))


def choose_op(world: World) -> list[list[str]]:
    """One operation (two argvs for concurrent lands)."""
    rng = world.rng
    code = code_sessions(world)
    every = all_sessions(world)
    fresh = [n for n in NAMES if n not in {s[0] for s in sessions(world)}]
    ops: list[tuple[float, list[list[str]]]] = []
    if code:
        ops.append((5, [["land", rng.choice(code)]]))
        ops.append((1, [["land", rng.choice(code), "--remove"]]))
        ops.append((1.5, [["restore", rng.choice(code)]]))
    if len(code) >= 2:
        a, b = rng.sample(code, 2)
        ops.append((2, [["land", a, "--wait", "30"], ["land", b, "--wait", "30"]]))
    ops.append((2, [["land", "--all"]]))
    if every:
        ops.append((1.5, [["remove", rng.choice(every), *(["--force"] * rng.randint(0, 1))]]))
        ops.append((1, [["handoff", rng.choice(every)]]))
        if fresh:
            ops.append((1, [["rename", rng.choice(every), rng.choice(fresh)]]))
            ops.append((1, [["fork", rng.choice(fresh), "--from", rng.choice(every)]]))
    if fresh and len(code) < 4:
        ops.append((2 if len(code) < 2 else 0.5, [["new", rng.choice(fresh)]]))
    total = sum(w for w, _ in ops)
    pick = rng.uniform(0, total)
    for weight, argvs in ops:
        pick -= weight
        if pick <= 0:
            return argvs
    return ops[-1][1]


# --- one sequence ----------------------------------------------------------------------


def build(world: World) -> None:
    world.main.mkdir(parents=True)
    world.git(world.main, "init", "-q", "-b", "main")
    for key, value in (("user.name", "Torture"), ("user.email", "t@example.com")):
        world.git(world.main, "config", key, value)
    (world.main / "shared.txt").write_text("".join(f"line {i}\n" for i in range(1, 13)))
    (world.main / ".gitignore").write_text("*.local\n")
    (world.main / "pyproject.toml").write_text(
        '[tool.agentls.land]\ntest = "test ! -e fail.me && sleep 0.02"\n'
    )
    world.git(world.main, "add", "-A")
    world.git(world.main, "commit", "-q", "-m", "initial")
    for name in world.rng.sample(NAMES, world.rng.randint(2, 3)):
        # Plain worktrees, as `git worktree add` makes them: agentls names them by branch.
        world.git(world.main, "worktree", "add", "-q", "-b", name, str(world.root / f"repo-{name}"))
    done = run_cli(world, ["status"], Kill("none"))
    if done.code != 0:
        raise Violation(f"setup: agentls status: {done.err}")
    for _ in range(world.rng.randint(1, 4)):
        agent_work(world)


def sequence(root: Path, seed: int, steps: int) -> list[str]:
    """Build, play STEPS operations with random kills, recover, check; the log."""
    rng = random.Random(seed)
    real_git = shutil.which("git", path=os.environ.get("TORTURE_PATH")) or "/usr/bin/git"
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True)
    wrapper = bin_dir / "git"
    wrapper.write_text(GIT_WRAPPER)
    wrapper.chmod(0o755)
    env = {
        **GIT_ENV,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "TORTURE_DIR": str(root),
        "TORTURE_REAL_GIT": real_git,
        "NO_COLOR": "1",
        "AGENTLS_ENGINE_GRACE": "0",
    }
    world = World(root, rng, env)
    with _logged(world.log):
        build(world)
        for step in range(steps):
            play(world, step)
        recover(world, before(world))
    return world.log


def play(world: World, step: int) -> None:
    rng = world.rng
    if rng.random() < 0.5:
        world.log.append(f"work: {agent_work(world)}")
    argvs = choose_op(world)
    was = before(world)
    kills = [choose_kill(rng) for _ in argvs]
    cwd = None
    if argvs[0][0] == "land" and "--remove" in argvs[0] and rng.random() < 0.5:
        cwd = folder_of(world, argvs[0][1])  # from inside the session's own folder
    outcomes = run_many(world, list(zip(argvs, kills, strict=True)), cwd)
    for argv, kill, outcome in zip(argvs, kills, outcomes, strict=True):
        state = "killed" if outcome.code is None else f"exit {outcome.code}"
        world.log.append(f"{step}: agentls {' '.join(argv)}{kill.describe()} -> {state}")
        check_output(outcome)
    check_kept(world, was, f"after step {step}")
    if any(o.code is None for o in outcomes) or rng.random() < 0.15:
        recover(world, was, status=False)


def recover(world: World, was: Before, status: bool = True) -> None:
    done = run_cli(world, ["recover"], Kill("none"))
    world.log.append(f"recover -> exit {done.code}: {done.out.strip()[:300]}")
    check_output(done)
    if done.code != 0:
        raise Violation(f"recover could not settle everything:\n{done.out}{done.err}")
    check_kept(world, was, "after recover")
    check_settled(world)
    if status:
        shown = run_cli(world, ["status"], Kill("none"))
        if shown.code != 0:
            raise Violation(f"status after recover: {shown.err}")


# --- the campaign ------------------------------------------------------------------------


PROGRESS_EVERY = 100  # sequences per worker between progress lines (long campaigns only)


def campaign(sequences: int, seed: int, workers: int, steps: int, keep: bool) -> int:
    """Run SEQUENCES sequences over WORKERS processes; the number that failed."""
    base = Path(tempfile.mkdtemp(prefix="agentls-torture-"))
    started = time.monotonic()
    chunks = [list(range(w, sequences, workers)) for w in range(workers)]
    children = []
    for chunk in chunks:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            become_subreaper()
            failures = []
            for done, index in enumerate(chunk, 1):
                folder = base / f"seq-{index}"
                try:
                    sequence(folder, seed + index, steps)
                except Exception as exc:
                    failure = {"seed": seed + index, "error": str(exc)[:4000],
                               "log": _log_of(exc), "folder": str(folder)}  # fmt: skip
                    failures.append(failure)
                    with contextlib.suppress(OSError):
                        (folder / "torture-failure.json").write_text(json.dumps(failure, indent=1))
                    # Said at once: a long campaign shows its first failure within minutes.
                    _say(f"seed {seed + index} FAILED (kept in {folder})")
                else:
                    if not keep:
                        shutil.rmtree(folder, ignore_errors=True)
                if done % PROGRESS_EVERY == 0 and len(chunk) > PROGRESS_EVERY:
                    minutes = (time.monotonic() - started) / 60
                    _say(f"worker {chunk[0]}: {done}/{len(chunk)} sequences,"
                         f" {len(failures)} failed, {minutes:.0f} min")  # fmt: skip
            os.write(write, json.dumps(failures).encode())
            os._exit(0)
        os.close(write)
        children.append((pid, read))
    failed: list[dict[str, Any]] = []
    for pid, read in children:
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
        os.waitpid(pid, 0)
        failed += json.loads(data or b"[]")
    seconds = time.monotonic() - started
    for failure in failed:
        print(f"FAILED seed {failure['seed']} (kept in {failure['folder']}):", file=sys.stderr)
        print("  " + "\n  ".join(failure["log"]), file=sys.stderr)
        print(f"  -> {failure['error']}", file=sys.stderr)
    print(
        f"torture: {sequences} sequences ({steps} steps each, seeds {seed}..{seed + sequences - 1})"
        f" in {seconds:.0f}s: {len(failed)} failed"
    )
    if not failed and not keep:
        shutil.rmtree(base, ignore_errors=True)
    return len(failed)


def _say(line: str) -> None:
    print(f"torture: {line}", file=sys.stderr, flush=True)


def _log_of(exc: BaseException) -> list[str]:
    return getattr(exc, "torture_log", [])


@contextlib.contextmanager
def _logged(world_log: list[str]) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        exc.torture_log = list(world_log)  # type: ignore[attr-defined]
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=200)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("TORTURE_SEED", "1")))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep every repository")
    args = parser.parse_args(argv)
    # Import everything a child needs once, before any fork (no threads start here).
    import agentls.cli
    import agentls.cli.lifecycle
    import agentls.cli.report
    import agentls.lifecycle
    import agentls.workspace

    agentls.lifecycle.load_all()

    failed = campaign(args.sequences, args.seed, args.workers, args.steps, args.keep)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
