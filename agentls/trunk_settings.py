"""agentls's settings as trunk has them committed: `.agentls.toml` (`[land]`, `[verify]`,
`[remote]`) or `pyproject.toml` (`[tool.agentls.land]`...). Read from trunk's commit,
never a worktree, so a branch cannot change how it is landed, checked or shared."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from agentls.errors import AgentlsError
from agentls.git.runner import run_git_bytes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def committed_file(cwd: Path, commit: str, path: str) -> str | None:
    """PATH's text at COMMIT; None when it has no such file."""
    proc = run_git_bytes(["show", f"{commit}:{path}"], cwd, check=False)
    return proc.stdout.decode(errors="replace") if proc.returncode == 0 else None


def trunk_section(cwd: Path, commit: str, section: str) -> tuple[Any, str] | None:
    """agentls's [SECTION] settings committed at COMMIT (trunk) and where they were
    found: `.agentls.toml`'s [SECTION] wins over pyproject's [tool.agentls.SECTION].
    One home for land, verify and remote settings; None when neither file has it."""
    for path in (".agentls.toml", "pyproject.toml"):
        text = committed_file(cwd, commit, path)
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
