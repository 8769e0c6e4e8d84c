"""Conflict context: what a failed rebase collided with, for the agent to restructure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentls.git.runner import PLAIN_DIFF, gitpython_repo, run_git
from agentls.lifecycle.common import is_ancestor
from agentls.lifecycle.journal import Entry

MAX_COMMITS = 20
MAX_HUNK_LINES = 80

PROMPT = (
    "Your previous changes conflicted with another branch that landed first. "
    "The conflicting files are: [{files}]. "
    "Restructure your changes to work with the updated main branch."
)


def conflicted_files(worktree: Path) -> list[str]:
    """Unmerged paths of the rebase stopped in WORKTREE."""
    out = run_git(["diff", "--name-only", "--diff-filter=U", "-z"], cwd=worktree)
    return sorted({p for p in out.split("\0") if p})


def _landed_by(cwd: Path, commit: str, landings: list[Entry]) -> str | None:
    """The session whose land brought COMMIT onto trunk, from the journal."""
    for entry in reversed(landings):
        if (
            entry.trunk_new
            and is_ancestor(cwd, commit, entry.trunk_new)
            and not is_ancestor(cwd, commit, entry.trunk_old)
        ):
            return entry.name
    return None


def conflict_context(
    cwd: Path,
    files: list[str],
    branch_head: str,
    trunk: str,
    landings: list[Entry],
    trunk_branch: str = "main",
) -> dict[str, Any]:
    """Files, the trunk commits (and sessions) that touched them, and trunk's diff hunks."""
    base = run_git(["merge-base", branch_head, trunk], cwd=cwd)
    repo = gitpython_repo(cwd)  # hooks and fsmonitor off
    try:
        commits = []
        if files:
            for commit in repo.iter_commits(f"{base}..{trunk}", paths=files, max_count=MAX_COMMITS):
                touched = sorted({str(f) for f in commit.stats.files} & set(files))
                commits.append(
                    {
                        "commit": commit.hexsha,
                        "summary": str(commit.summary),
                        "author": str(commit.author.name),
                        "session": _landed_by(cwd, commit.hexsha, landings),
                        "files": touched,
                    }
                )
    finally:
        repo.close()
    hunks: dict[str, str] = {}
    for path in files:
        diff = run_git([*PLAIN_DIFF, "-U2", base, trunk, "--", path], cwd=cwd)
        lines = diff.splitlines()
        body = [line for line in lines if not line.startswith(("diff --git", "index "))]
        if len(body) > MAX_HUNK_LINES:
            body = [*body[:MAX_HUNK_LINES], f"... ({len(body) - MAX_HUNK_LINES} more lines)"]
        hunks[path] = "\n".join(body)
    prompt = PROMPT.format(files=", ".join(files)).replace("main branch", f"{trunk_branch} branch")
    return {
        "files": files,
        "base": base,
        "trunk": trunk,
        "commits": commits,
        "hunks": hunks,
        "prompt": prompt,
    }
