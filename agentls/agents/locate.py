"""Find a worktree's root and the repository's common dir without starting git.

The hook runs before every write an agent makes, so it reads `.git` files the
way git does instead of paying for a `git rev-parse` process. Anything unusual
(GIT_DIR set, a bare repository) is answered by None, and callers fall back to git.
"""

from __future__ import annotations

import os
from pathlib import Path


def _read_gitfile(dotgit: Path) -> Path | None:
    """The admin dir a `.git` file points at (`gitdir: <path>`)."""
    try:
        text = dotgit.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("gitdir:"):
            target = Path(line[len("gitdir:") :].strip())
            return target if target.is_absolute() else (dotgit.parent / target)
    return None


def _common_dir(admin: Path) -> Path:
    """A linked worktree's admin dir names the common dir in its `commondir` file."""
    try:
        relative = (admin / "commondir").read_text(encoding="utf-8").strip()
    except OSError:
        return admin
    common = Path(relative)
    return common if common.is_absolute() else admin / common


def locate(folder: str | Path) -> tuple[Path, Path] | None:
    """(worktree root, common dir), both resolved, for FOLDER; None when unsure."""
    if os.environ.get("GIT_DIR") or os.environ.get("GIT_COMMON_DIR"):
        return None
    try:
        current = Path(folder).resolve()
    except OSError:
        return None
    for candidate in (current, *current.parents):
        dotgit = candidate / ".git"
        if dotgit.is_dir():
            if not (dotgit / "HEAD").exists():
                return None
            return candidate, dotgit.resolve()
        if dotgit.is_file():
            admin = _read_gitfile(dotgit)
            if admin is None or not (admin / "HEAD").exists():
                return None
            return candidate, _common_dir(admin).resolve()
    return None
