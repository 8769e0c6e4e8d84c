"""Errors a user can act on: what happened, to what, and what to do next."""

from __future__ import annotations


class AgentlsError(Exception):
    """A refusal or failure with a message meant for a person (CLI exit code 2)."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class NotARepositoryError(AgentlsError):
    pass


class GitError(AgentlsError):
    """git itself failed; the message carries git's own words."""


class InvalidInputError(AgentlsError):
    """Bad names, globs, branch names, paths or arguments. Nothing was changed."""
