"""agentls's settings as trunk has them committed: `.agentls.toml` (`[land]`, `[verify]`,
`[remote]`) or `pyproject.toml` (`[tool.agentls.land]`...). Read from trunk's commit,
never a worktree, so a branch cannot change how it is landed, checked or shared."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentls.errors import AgentlsError
from agentls.git.runner import run_git_bytes

if TYPE_CHECKING:
    import pygit2

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def committed_file(
    cwd: Path, commit: str, path: str, git: pygit2.Repository | None = None
) -> str | None:
    """PATH's text at COMMIT; None when it has no such file. Read in process from GIT
    when the caller has the repository open (a `git show` costs a process, ~5 ms)."""
    if git is not None:
        import pygit2

        try:
            entry = git[commit].peel(pygit2.Tree)[path]
        except (KeyError, ValueError, pygit2.GitError):
            return None
        if entry.type != pygit2.GIT_OBJECT_BLOB:
            return None
        return bytes(git[entry.id].read_raw()).decode(errors="replace")
    proc = run_git_bytes(["show", f"{commit}:{path}"], cwd, check=False)
    return proc.stdout.decode(errors="replace") if proc.returncode == 0 else None


def trunk_section(
    cwd: Path, commit: str, section: str, git: pygit2.Repository | None = None
) -> tuple[Any, str] | None:
    """agentls's [SECTION] settings committed at COMMIT (trunk) and where they were
    found: `.agentls.toml`'s [SECTION] wins over pyproject's [tool.agentls.SECTION].
    One home for land, verify and remote settings; None when neither file has it.
    GIT, when given, is the repository opened in process (see committed_file)."""
    for path in (".agentls.toml", "pyproject.toml"):
        text = committed_file(cwd, commit, path, git)
        if text is None:
            continue
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise AgentlsError.refuse(
                "invalid-config", source=f"{path} on trunk", key=None,
                problem=f"not valid TOML: {exc}",
            ) from exc  # fmt: skip
        if path == ".agentls.toml" and section in data:
            return data[section], f"{path} [{section}]"
        table = data.get("tool", {}).get("agentls", {}).get(section)
        if table is not None:
            return table, f"{path} [tool.agentls.{section}]"
    return None
