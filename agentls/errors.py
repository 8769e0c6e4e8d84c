"""Errors a user can act on: what happened, to what, and what to do next.

Every error carries a stable machine CODE (e.g. `invalid-input`, `not-a-repository`)
and JSON-able DATA, so each front end (CLI, language server, editors) can word it
itself; MESSAGE is a neutral sentence, HINT the CLI's advice on what to do.
"""

from __future__ import annotations

from typing import Any


class AgentlsError(Exception):
    """A refusal or failure with a message meant for a person (CLI exit code 2)."""

    exit_code = 2
    default_code = "refused"

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        code: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code or self.default_code
        self.data: dict[str, Any] = dict(data or {})

    def to_json(self) -> dict[str, Any]:
        """The shape every front end reports a refusal in (engine, server, `--json`)."""
        return {"code": self.code, "message": self.message, "hint": self.hint, "data": self.data}

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class NotARepositoryError(AgentlsError):
    default_code = "not-a-repository"


class GitError(AgentlsError):
    """git itself failed; the message carries git's own words."""

    default_code = "git-failed"


class InvalidInputError(AgentlsError):
    """Bad names, globs, branch names, paths or arguments. Nothing was changed."""

    default_code = "invalid-input"
