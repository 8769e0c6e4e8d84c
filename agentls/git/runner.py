"""Run git as a subprocess with an argument list (never a shell string).

Every git agentls runs (here, the persistent merge-tree, GitPython) gets `git_env`:
no pager, no prompt, no locale, no optional locks, and no repository code. Analysis
(status, overlaps, the engine, agent hooks) must never run what a repository or its
config can plant, so hooks (`post-index-change` fires on the snapshot's `git add`,
`reference-transaction` on update-ref, `post-checkout`, `pre-rebase`,
`prepare-commit-msg` during land's rebase...) and the fsmonitor command are switched
off for every call, lifecycle commands included: they run in the engine without a
terminal, and a hook there could prompt, hang, or write into a worktree mid-land.
What stays on, because it is what git stores or merges, not a side program: clean
and smudge filters (`filter=lfs`, working-tree-encoding) that `git add` and checkout
apply, merge drivers that `git merge-tree` and rebase apply, and the user's commit
signing during land's rebase. Porcelain diffs pass --no-ext-diff --no-textconv.
The one configured command agentls runs on purpose is land's build/test (docs/landing.md).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agentls.errors import GitError

# Keep git's output stable and free of pagers, prompts and localisation.
_BASE_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "LC_ALL": "C",
    "GIT_OPTIONAL_LOCKS": "0",
}


# Appended to GIT_CONFIG_PARAMETERS, which git reads after every config file and after
# GIT_CONFIG_COUNT, so these win over the repository's and the user's settings.
# A hooks path that is not a folder means no hook is ever found.
NO_REPOSITORY_CODE = (("core.hooksPath", "/dev/null"), ("core.fsmonitor", "false"))
# `git diff` between commits as text: no diff.external / GIT_EXTERNAL_DIFF, no textconv.
PLAIN_DIFF = ("diff", "--no-color", "--no-ext-diff", "--no-textconv")


def internal_env() -> dict[str, str]:
    """The variables agentls sets on every git it runs (see the module docstring)."""
    env = dict(_BASE_ENV)
    quoted = " ".join(f"'{key}'='{value}'" for key, value in NO_REPOSITORY_CODE)
    inherited = os.environ.get("GIT_CONFIG_PARAMETERS", "").strip()
    env["GIT_CONFIG_PARAMETERS"] = f"{inherited} {quoted}" if inherited else quoted
    return env


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(internal_env())
    if extra:
        env.update(extra)
    return env


def gitpython_repo(path: str | Path) -> Any:
    """A GitPython Repo whose git commands run with `internal_env` too."""
    import git as gitpython

    repo = gitpython.Repo(path)
    repo.git.update_environment(**internal_env())
    return repo


def run_git_bytes(
    args: Sequence[str],
    cwd: str | Path,
    *,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run `git ARGS` in CWD; raise GitError with git's stderr when it fails and CHECK."""
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=str(cwd),
            input=input,
            capture_output=True,
            env=git_env(env),
            check=False,
        )
    except FileNotFoundError as exc:  # git missing, or cwd gone
        if not Path(cwd).exists():
            raise GitError.refuse("folder-gone", folder=str(cwd)) from exc
        raise GitError.refuse("git-missing", needed="2.38") from exc
    if check and proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip() or f"exit code {proc.returncode}"
        raise GitError.refuse(
            "git-failed", command=" ".join(args[:3]), cwd=str(cwd), detail=detail,
            exit_code=proc.returncode,
        )  # fmt: skip
    return proc


def run_git(
    args: Sequence[str],
    cwd: str | Path,
    *,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> str:
    """Run git and return stdout as text (trailing newline stripped)."""
    proc = run_git_bytes(
        args, cwd, input=input.encode() if input is not None else None, env=env, check=check
    )
    return proc.stdout.decode(errors="surrogateescape").rstrip("\n")


def git_ok(args: Sequence[str], cwd: str | Path, env: Mapping[str, str] | None = None) -> bool:
    """True when git exits 0 (used for yes/no questions like `merge-base --is-ancestor`)."""
    return run_git_bytes(args, cwd, env=env, check=False).returncode == 0
