"""Real-history workloads: real merges replayed as sessions, and long real-shaped history.

Two sources, both without network:

- `bench/data/real-merges.fi` (in the repository, text, small): conflicting merges
  from public Python projects' histories, trimmed to the paths either side changed and
  anonymised line by line (see bench/mine_history.py). `load_scenarios()` loads them;
  tests replay each as sessions, and `generate()` puts them into a bench repository.
- a local clone of a real repository (`python -m bench history --repo PATH`): cloned
  afresh (packed, no commit-graph file, as after `git clone`), trunk a few dozen
  commits behind its default branch's tip, and seven sessions replaying the real
  commits trunk made since (see `from_repository`), each with its last commit left
  as uncommitted work (unstaged edits, untracked new files).

`generate(files)` (the default real-history workload) builds a repository with a long
history (`HISTORY_COMMITS` commits, merges every few commits, dated a few minutes
apart), padded to FILES files, in which sessions replay real merge scenarios: pairs of
sessions hold the two sides of one real merge, one session holds a side whose other
side already landed on trunk, and every session leaves its last real change
uncommitted. Sessions branch off trunk at different depths, so merge-base searches
walk real distances, without a commit-graph file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data" / "real-merges.fi"
HISTORY_COMMITS = 3000
SESSIONS = 8
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str, stdin: bytes | None = None, check: bool = True) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, capture_output=True, env=ENV, check=False
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}: {proc.stderr.decode()}")
    return proc.stdout.decode(errors="surrogateescape")


@dataclass(frozen=True)
class Scenario:
    """One real merge: its base and the two parents, as commits in a scenario repository."""

    name: str  # e.g. "007"
    base: str
    ours: str
    theirs: str


def load_scenarios(repo: Path, stream: Path = DATA) -> list[Scenario]:
    """Import the scenario stream into REPO (an existing repository)."""
    git(repo, "fast-import", "--quiet", stdin=stream.read_bytes())
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/scenarios/")
    sides: dict[str, dict[str, str]] = {}
    for line in refs.splitlines():
        ref, commit = line.split()
        _, _, name, label = ref.split("/")
        sides.setdefault(name, {})[label] = commit
    return [Scenario(n, s["base"], s["ours"], s["theirs"]) for n, s in sorted(sides.items())]


def leave_uncommitted(worktree: Path) -> None:
    """Turn the worktree's last commit into uncommitted work: edits and deletions
    unstaged, new files untracked."""
    git(worktree, "reset", "-q", "--mixed", "HEAD~1")


@dataclass
class Workload:
    root: Path
    files: int
    worktrees: list[Path]  # worktrees[0] is the primary checkout (trunk)
    label: str


# --- the default: real merges on a long generated history --------------------------------


def _history_stream(files: int, commits: int, start: int) -> bytes:
    """A fast-import stream: a base commit of FILES padding files, then COMMITS commits
    on main touching one padding file each, with a side branch merged every 10 commits."""
    out: list[bytes] = []
    mark = 0

    def blob(text: str) -> int:
        nonlocal mark
        mark += 1
        data = text.encode()
        out.append(b"blob\nmark :%d\ndata %d\n%s\n" % (mark, len(data), data))
        return mark

    def commit(ref: str, when: int, message: str, parents: list[int], changes: list[str]) -> int:
        nonlocal mark
        mark += 1
        out.append(f"commit {ref}\nmark :{mark}\n".encode())
        out.append(f"committer bench <bench@example.com> {when} +0000\n".encode())
        out.append(f"data {len(message)}\n{message}\n".encode())
        if parents:
            out.append(f"from :{parents[0]}\n".encode())
        for parent in parents[1:]:
            out.append(f"merge :{parent}\n".encode())
        out.extend(c.encode() for c in changes)
        out.append(b"\n")
        return mark

    paths = [f"pkg{i // 100}/mod{i % 100}.py" for i in range(files)]
    base_changes = []
    for path in paths:
        base_changes.append(f"M 100644 :{blob(_padding(path, 0))} {path}\n")
    head = commit("refs/heads/main", start, "base", [], base_changes)
    side = head
    for n in range(1, commits + 1):
        when = start + n * 300
        path = paths[(n * 7919) % len(paths)]
        change = f"M 100644 :{blob(_padding(path, n))} {path}\n"
        if n % 10 == 5:  # a feature branch commit, merged five commits later
            side = commit("refs/heads/feature", when, f"feature {n}", [head], [change])
            continue
        parents = [head, side] if n % 10 == 0 and side != head else [head]
        head = commit("refs/heads/main", when, f"commit {n}", parents, [change])
        side = head if len(parents) == 2 else side
    return b"".join(out)


def _padding(path: str, version: int) -> str:
    return "".join(f"# {path} line {n} v{version if n == 3 else 0}\n" for n in range(1, 30))


def _copy_tree(scenario_repo: Path, commit: str, worktree: Path, folder: str) -> None:
    """Replace WORKTREE/FOLDER with COMMIT's files (from the scenario repository)."""
    target = worktree / folder
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit],
        cwd=scenario_repo,
        capture_output=True,
        check=True,
        env=ENV,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)


def generate(files: int, base_dir: Path | None = None) -> Workload:
    """The default real-history workload (see the module docstring); cached by size."""
    base_dir = base_dir or Path(os.environ.get("AGENTLS_BENCH_DIR", "/tmp/agentls-bench"))
    root = base_dir / f"real-{files}"
    worktrees = [root / "main"] + [root / f"s{i}" for i in range(1, SESSIONS)]
    done = root / ".complete"
    # Built from this very scenario file (mined again, the cached workload is stale).
    stamp = hashlib.sha256(DATA.read_bytes()).hexdigest() + "\n"
    label = f"real merges on a {HISTORY_COMMITS}-commit history"
    if done.exists() and done.read_text() == stamp:
        return Workload(root, files, worktrees, label)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    scenario_repo = root / "scenarios.git"
    git(root, "init", "-q", "--bare", str(scenario_repo))
    scenarios = [s for s in load_scenarios(scenario_repo) if s.ours != s.theirs]
    origin = root / "origin.git"
    git(root, "init", "-q", "--bare", "-b", "main", str(origin))
    git(
        origin,
        "fast-import",
        "--quiet",
        stdin=_history_stream(files, HISTORY_COMMITS, 1_600_000_000),
    )
    # A fresh clone: packed objects, no commit-graph file.
    git(root, "clone", "-q", "--no-local", str(origin), str(worktrees[0]))
    main = worktrees[0]
    for name, value in (("user.name", "bench"), ("user.email", "bench@example.com")):
        git(main, "config", name, value)
    # Each scenario's base lands on trunk (in a folder of its own) long before the
    # sessions branch; sessions branch off at different depths below trunk's tip.
    # Four scenarios spread over the file (it lists projects one after another).
    step = max(1, len(scenarios) // 4)
    picked = [scenarios[(i * step) % len(scenarios)] for i in range(4)]
    for n, scenario in enumerate(picked):
        _copy_tree(scenario_repo, scenario.base, main, f"real{n}")
    git(main, "add", "-A")
    git(main, "commit", "-q", "-m", "real merge bases")
    packages = min(10, max(1, files // 100))  # full ones (see _history_stream's paths)
    for n in range(40):  # more trunk history after it
        path = f"pkg{n % packages}/mod{n}.py"
        (main / path).write_text(_padding(path, 10_000 + n))
        git(main, "commit", "-q", "-am", f"trunk {n}")
    sides = [(0, "ours"), (0, "theirs"), (1, "ours"), (1, "theirs"), (2, "ours"), (2, "theirs"),
             (3, "ours")]  # fmt: skip
    for i, (number, side) in enumerate(sides, 1):
        wt = worktrees[i]
        git(main, "worktree", "add", "-q", "-b", f"session{i}", str(wt), f"HEAD~{5 * i}")
        scenario, folder = picked[number], f"real{number}"
        (wt / f"pkg{i}").mkdir(exist_ok=True)
        (wt / f"pkg{i}" / "notes.py").write_text(f"# session {i}'s own module\n")
        git(wt, "add", "-A")
        git(wt, "commit", "-q", "-m", f"session {i}: its own module")
        _copy_tree(scenario_repo, getattr(scenario, side), wt, folder)
        git(wt, "add", "-A")
        git(wt, "commit", "-q", "-m", f"session {i}: the {side} side of a real merge")
        leave_uncommitted(wt)
    # The last scenario's other side lands on trunk: the trunk pair's conflicts.
    _copy_tree(scenario_repo, picked[3].theirs, main, "real3")
    git(main, "add", "-A")
    git(main, "commit", "-q", "-m", "the theirs side of a real merge landed")
    assert not (main / ".git" / "objects" / "info" / "commit-graph").exists()
    done.write_text(stamp)
    return Workload(root, files, worktrees, label)


# --- a local clone of a real repository -----------------------------------------------------


def from_repository(source: Path, base_dir: Path | None = None, recent: int = 56) -> Workload:
    """A fresh clone of SOURCE: trunk RECENT commits behind its tip, and seven sessions
    branched off trunk a few commits back, each replaying real commits of trunk's
    future (cherry-picked, every seventh one), the last one left uncommitted."""
    base_dir = base_dir or Path(os.environ.get("AGENTLS_BENCH_DIR", "/tmp/agentls-bench"))
    name = source.resolve().parent.name if source.name in ("repo", ".git") else source.name
    root = base_dir / f"history-{name}"
    worktrees = [root / "main"] + [root / f"s{i}" for i in range(1, SESSIONS)]
    done = root / ".complete"
    if not done.exists():
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        git(root, "clone", "-q", "--no-local", str(source), str(worktrees[0]))
        main = worktrees[0]
        for graph in (main / ".git" / "objects" / "info").glob("commit-graph*"):
            shutil.rmtree(graph) if graph.is_dir() else graph.unlink()
        future = git(main, "rev-list", "--reverse", "--first-parent", "--no-merges",
                     f"--max-count={recent}", "HEAD").split()  # fmt: skip
        branch = git(main, "symbolic-ref", "--short", "HEAD").strip()
        git(main, "reset", "-q", "--hard", f"HEAD~{recent}")
        if branch != "main":
            git(main, "branch", "-q", "-m", branch, "main")
        for i in range(1, SESSIONS):
            wt = worktrees[i]
            git(main, "worktree", "add", "-q", "-b", f"session{i}", str(wt), f"HEAD~{2 * i}")
            for commit in future[i - 1 :: SESSIONS - 1]:
                pick = subprocess.run(
                    ["git", "cherry-pick", "-X", "theirs", "--allow-empty", commit],
                    cwd=wt, capture_output=True, env=ENV, check=False,
                )  # fmt: skip
                if pick.returncode != 0:  # a change that needs what other commits did
                    git(wt, "cherry-pick", "--abort", check=False)
            leave_uncommitted(wt)
        done.write_text("ok\n")
    files = int(git(worktrees[0], "ls-files", "-z").count("\0"))
    return Workload(root, files, worktrees, f"real repository {name}")
