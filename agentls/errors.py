"""Errors a user can act on: what happened, to what, and what to do next.

Every error carries a stable machine CODE (e.g. `claim-taken`, `not-a-repository`)
and JSON-able DATA (e.g. the owner and the glob), so each front end (CLI, language
server, editors) can word it itself; MESSAGE is a neutral sentence, HINT the CLI's
advice on what to do. The English wording lives in one place, `agentls.wording`,
keyed by the code: raise `AgentlsError.refuse(code, **data)` and the words follow.
"""

from __future__ import annotations

from typing import Any, TypeVar

_E = TypeVar("_E", bound="AgentlsError")


class AgentlsError(Exception):
    """A refusal or failure with a message meant for a person (CLI exit code 2)."""

    exit_code = 2
    default_code = "refused"

    def __init__(
        self,
        message: str | None = None,
        hint: str | None = None,
        *,
        code: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.data: dict[str, Any] = dict(data or {})
        if message is None:
            from agentls.wording import word

            message, worded_hint = word(self.code, self.data)
            hint = hint if hint is not None else worded_hint
        super().__init__(message)
        self.message = message
        self.hint = hint

    @classmethod
    def refuse(cls: type[_E], code: str, /, **data: Any) -> _E:
        """An error of this class for CODE, worded from DATA by `agentls.wording`."""
        return cls(code=code, data=data)

    def to_json(self) -> dict[str, Any]:
        """The shape every front end reports a refusal in (`--json`, engine, server)."""
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
