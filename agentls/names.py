"""Session names and branch names: what is allowed, and a message when it is not."""

from __future__ import annotations

import re
from pathlib import Path

from agentls.errors import InvalidInputError
from agentls.git.runner import git_ok

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
NAME_RULE = "1-64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit"


def validate_name(name: object) -> str:
    """Return NAME when it is a valid session name, else raise InvalidInputError."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or ".." in name:
        shown = repr(name) if isinstance(name, str) else type(name).__name__
        raise InvalidInputError.refuse("invalid-name", name=shown, rule=NAME_RULE)
    return name


def default_name(branch: str | None, folder: Path) -> str:
    """A valid name derived from the branch (or folder) name; uniqueness is the store's job."""
    raw = branch or folder.name or "session"
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-._")
    cleaned = re.sub(r"\.\.+", ".", cleaned)[:64].strip("-._")
    return cleaned or "session"


def validate_branch(branch: object, cwd: Path) -> str:
    """Return BRANCH when git accepts it as a branch name (`git check-ref-format --branch`)."""
    if (
        not isinstance(branch, str)
        or not branch
        or branch.startswith("-")
        or not git_ok(["check-ref-format", "--branch", branch], cwd)
    ):
        shown = branch if isinstance(branch, str) else repr(branch)
        raise InvalidInputError.refuse("invalid-branch", branch=shown)
    return branch
