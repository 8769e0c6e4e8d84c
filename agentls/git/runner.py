"""Run git as a subprocess with an argument list (never a shell string)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from agentls.errors import GitError

# Keep git's output stable and free of pagers, prompts and localisation.
_BASE_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "LC_ALL": "C",
    "GIT_OPTIONAL_LOCKS": "0",
}


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(_BASE_ENV)
    if extra:
        env.update(extra)
    return env


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
            raise GitError(f"folder does not exist: {cwd}") from exc
        raise GitError("git is not installed", "install git 2.38 or newer") from exc
    if check and proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip() or f"exit code {proc.returncode}"
        raise GitError(f"git {' '.join(args[:3])} failed in {cwd}: {detail}")
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
