"""The test oracle: snapshots and merges computed with plain git commands only.

Independent of agentls' own code paths: a temporary index via GIT_INDEX_FILE,
`git add -A`, `git write-tree`, `git commit-tree`, then `git merge-tree --write-tree`
run in a plain checkout (`read-tree` + `checkout-index` into a temporary folder) of
the snapshot the other side would be rebased onto, so it reads that side's
`.gitattributes` as a rebase in that state would.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import GIT_ENV


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full_env = {**os.environ, **GIT_ENV, **(env or {})}
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env=full_env, check=False
    )
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and "merge-tree" not in args):
        raise AssertionError(f"git {args} failed: {proc.stderr}")
    return proc.stdout


def oracle_snapshot(worktree: Path) -> str:
    """A commit of WORKTREE's full current state, parented on HEAD."""
    gitdir = Path(_git(worktree, "rev-parse", "--absolute-git-dir").strip())
    with tempfile.TemporaryDirectory() as temp:
        index = Path(temp) / "index"
        if (gitdir / "index").exists():
            shutil.copy2(gitdir / "index", index)
        env = {"GIT_INDEX_FILE": str(index)}
        _git(worktree, "add", "-A", "--", ".", env=env)
        tree = _git(worktree, "write-tree", env=env).strip()
    head = _git(worktree, "rev-parse", "--verify", "-q", "HEAD").strip()
    parents = ["-p", head] if head else []
    return _git(worktree, "commit-tree", tree, *parents, "-m", "oracle").strip()


@dataclass
class OracleMerge:
    conflicted: set[str]
    # CONFLICT messages: (paths named, kind), e.g. (("a.py", "b.py"), "rename/delete")
    messages: list[tuple[tuple[str, ...], str]] = field(default_factory=list)

    def related(self, path: str) -> set[str]:
        return {p for paths, _ in self.messages if path in paths for p in paths}


_SUFFIX = re.compile(r"~[0-9a-f]{40}$")


class Oracle:
    """git's answers for pairs of snapshots of one repository."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        common = _git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir")
        self.common = Path(common.strip())
        self._scratch = Path(tempfile.mkdtemp(prefix="oracle-checkouts-"))
        self._checkouts: dict[str, Path] = {}

    def close(self) -> None:
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> Oracle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def checkout(self, commit: str) -> Path:
        """A plain checkout of COMMIT in a temporary folder (not a registered worktree)."""
        if commit not in self._checkouts:
            folder = self._scratch / commit
            folder.mkdir()
            env = {"GIT_INDEX_FILE": str(self._scratch / f"{commit}.index")}
            git = ["--git-dir", str(self.common), "--work-tree", str(folder)]
            _git(folder, *git, "read-tree", commit, env=env)
            _git(folder, *git, "checkout-index", "-a", "-f", env=env)
            self._checkouts[commit] = folder
        return self._checkouts[commit]

    def merge(self, onto: str, a: str, b: str) -> OracleMerge:
        """`git merge-tree` of A and B, run in a checkout of ONTO (whose attributes apply)."""
        folder = self.checkout(onto)
        git = ["--git-dir", str(self.common), "--work-tree", str(folder)]
        out = _git(folder, *git, "merge-tree", "--write-tree", "--name-only", "-z", a, b)
        tree_and_paths, _, messages = out.partition("\0\0")
        conflicted = {_SUFFIX.sub("", p) for p in tree_and_paths.split("\0")[1:] if p}
        found: list[tuple[tuple[str, ...], str]] = []
        tokens = messages.split("\0")
        i = 0
        while i < len(tokens) and tokens[i].isdigit():  # git 2.39 may end with submodule advice
            count = int(tokens[i])
            paths = tuple(_SUFFIX.sub("", p) for p in tokens[i + 1 : i + 1 + count])
            kind = tokens[i + 1 + count]
            if kind.startswith("CONFLICT"):
                kind = kind.removeprefix("CONFLICT (").rstrip(")")
                # git's type for add/add is "contents"; its words say add/add (as agentls does).
                if kind == "contents" and tokens[i + 2 + count].startswith("CONFLICT (add/add)"):
                    kind = "add/add"
                found.append((paths, kind))
            i += count + 3
        return OracleMerge(conflicted, found)

    def merge_base(self, a: str, b: str) -> str:
        return _git(self.repo, "merge-base", a, b).strip()

    def merge_bases(self, a: str, b: str) -> list[str]:
        return _git(self.repo, "merge-base", "--all", a, b).split()

    def repo_head(self, worktree: Path) -> str:
        return _git(worktree, "rev-parse", "HEAD").strip()

    def changed(self, old: str, new: str) -> set[str]:
        names = _git(self.repo, "diff", "--no-renames", "--name-only", "-z", old, new).split("\0")
        return {n for n in names if n}


def touches(changed: set[str], path: str) -> bool:
    """PATH, a folder above it or a file below it was changed (file/directory clashes)."""
    parts = path.split("/")
    return (
        path in changed
        or any("/".join(parts[:i]) in changed for i in range(1, len(parts)))
        or any(other.startswith(path + "/") for other in changed)
    )
