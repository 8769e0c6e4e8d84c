"""Workload generator: a repository of N files with 8 (or more) worktree sessions.

Reused between runs (keyed by size and sessions) under $AGENTLS_BENCH_DIR (default
/tmp/agentls-bench). Each session has committed and uncommitted work in its own
package, and edits to shared files: some far apart (overlaps), some on the same
lines (conflicts). Deterministic for a given size and number of sessions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SESSIONS = 8
LINES_PER_FILE = 40
SHARED = [f"shared/config{i}.py" for i in range(4)]
# Lines odd sessions write in shared files: apart from each other and from line 5 (the
# even sessions' line), so odd sessions overlap without conflicting. Sessions 1-7 keep
# the lines they always had; the rest take free lines that touch none of them.
ODD_LINES = {1: 13, 3: 19, 5: 25, 7: 31}
FREE_LINES = [7, 9, 11, 15, 17, 21, 23, 27, 29, 33, 35, 37, 39]
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


@dataclass
class Workload:
    root: Path
    files: int
    worktrees: list[Path]  # worktrees[0] is the primary checkout (trunk)

    @property
    def sessions(self) -> int:
        return len(self.worktrees)

    def contested(self, session: int) -> list[str]:
        """Shared files this session edits (other sessions edit them too)."""
        return [SHARED[session % len(SHARED)], SHARED[(session + 1) % len(SHARED)]]

    def own(self, session: int) -> str:
        return f"pkg{session}/mod0.py"


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, capture_output=True, env=ENV, check=True
    )
    return proc.stdout.decode()


def file_text(path: str, marker: str = "") -> str:
    lines = [f"# {path} line {n}{marker if n == 1 else ''}\n" for n in range(1, LINES_PER_FILE)]
    return "".join(lines)


def _paths(files: int) -> list[str]:
    per_package = max(3, min(100, files // 16))
    paths = list(SHARED)
    index = 0
    while len(paths) < files:
        package, module = divmod(index, per_package)
        paths.append(f"pkg{package}/mod{module}.py")
        index += 1
    return paths


def _fast_import(main: Path, paths: list[str]) -> None:
    """Create the base commit with git fast-import: much faster than writing and adding."""
    chunks = [b"commit refs/heads/main\n", b"committer bench <bench@example.com> 0 +0000\n"]
    chunks.append(b"data 5\nbase\n")
    for path in paths:
        data = file_text(path).encode()
        chunks.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
    chunks.append(b"\n")
    _git(main, "fast-import", "--quiet", stdin=b"".join(chunks))
    _git(main, "reset", "-q", "--hard", "main")


def _edit_line(wt: Path, path: str, line: int, text: str) -> None:
    target = wt / path
    lines = target.read_text().splitlines(keepends=True)
    lines[line - 1] = text + "\n"
    target.write_text("".join(lines))


def shared_line(session: int) -> int:
    """The line SESSION writes in the shared files it edits."""
    if session % 2 == 0:
        return 5
    if session in ODD_LINES:
        return ODD_LINES[session]
    slot = (session - 9) // 2
    if slot >= len(FREE_LINES):
        raise ValueError(f"the workload supports at most {9 + 2 * len(FREE_LINES)} sessions")
    return FREE_LINES[slot]


def generate(
    files: int, base_dir: Path | None = None, sessions: int = SESSIONS, busy: int | None = None
) -> Workload:
    """The workload of FILES files and SESSIONS worktrees, built once and reused.

    BUSY sessions (the first ones; all by default) also edit the shared files; the
    others only work in packages of their own, as sessions scoped by ownership do.
    """
    base_dir = base_dir or Path(os.environ.get("AGENTLS_BENCH_DIR", "/tmp/agentls-bench"))
    busy = sessions if busy is None else min(busy, sessions)
    # The 8-session workload keeps its old folder name, so existing copies are reused.
    name = f"repo-{files}" if sessions == SESSIONS else f"repo-{files}x{sessions}"
    root = base_dir / (name if busy == sessions else f"{name}-busy{busy}")
    worktrees = [root / "main"] + [root / f"s{i}" for i in range(1, sessions)]
    done = root / ".complete"
    if done.exists():
        return Workload(root, files, worktrees)
    paths = _paths(files)
    if f"pkg{sessions - 1}/mod1.py" not in paths:
        raise ValueError(f"{files} files are too few for {sessions} sessions' own packages")
    if root.exists():
        shutil.rmtree(root)
    main = worktrees[0]
    main.mkdir(parents=True)
    _git(main, "init", "-q", "-b", "main")
    _fast_import(main, paths)
    (main / ".gitignore").write_text("node_modules/\n*.log\n")
    _git(main, "add", ".gitignore")
    _git(main, "commit", "-q", "-m", "ignore")
    for i, wt in enumerate(worktrees[1:], 1):
        _git(main, "worktree", "add", "-q", "-b", f"session{i}", str(wt), "main")
    workload = Workload(root, files, worktrees)
    for i, wt in enumerate(worktrees):
        own = f"pkg{i}/mod1.py"
        if i:  # committed work in its own package
            _edit_line(wt, own, 3, f"committed by session {i}")
            _git(wt, "commit", "-q", "-am", f"session {i} work")
        # Uncommitted: own files, and shared files. Even sessions write line 5 (conflicts
        # between them), odd sessions write a line of their own (overlaps).
        _edit_line(wt, workload.own(i), 2, f"uncommitted by session {i}")
        for shared in workload.contested(i) if i < busy else ():
            _edit_line(wt, shared, shared_line(i), f"session {i} was here")
        (wt / f"pkg{i}/new_{i}.py").write_text("untracked\n")
        (wt / "node_modules").mkdir(exist_ok=True)
        (wt / "node_modules" / "junk.js").write_text("ignored\n")
    done.write_text("ok\n")
    return workload
