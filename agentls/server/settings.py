"""Settings from `initializationOptions` and `workspace/configuration` (section "agentls")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types

CODES = ("conflict", "overlap", "ownership", "research-write", "trunk-conflict", "semantic")
DEFAULT_SEVERITY = {
    "conflict": "warning",
    "overlap": "information",
    "ownership": "warning",
    "research-write": "warning",
    "trunk-conflict": "warning",
    "semantic": "warning",
}
SEVERITIES = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
    "off": None,
    "none": None,
}
LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass
class Settings:
    severity: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SEVERITY))
    ignore: list[str] = field(default_factory=list)
    trunk: str | None = None
    log_level: str = "info"
    # The editor trusts this workspace (VS Code's workspace trust). False: no background
    # semantic checks while this window is attached, and agentls.verify.* is refused.
    trusted: bool = True

    def level(self, code: str) -> types.DiagnosticSeverity | None:
        """The LSP severity for CODE; None when the user turned it off."""
        return SEVERITIES[self.severity.get(code, DEFAULT_SEVERITY.get(code, "warning"))]


def parse_settings(raw: Any) -> tuple[Settings, list[str]]:
    """Settings from RAW (flat or under "agentls"), and a problem list for the user.

    Anything unusable is reported and replaced by its default, never fatal.
    """
    settings = Settings()
    problems: list[str] = []
    if isinstance(raw, dict) and isinstance(raw.get("agentls"), dict):
        raw = raw["agentls"]
    if raw is None:
        return settings, problems
    if not isinstance(raw, dict):
        return settings, [f"settings must be an object, got {type(raw).__name__}"]
    severity = raw.get("severity")
    if isinstance(severity, dict):
        for code, value in severity.items():
            if code not in CODES:
                problems.append(f"severity: unknown code {code!r} (known: {', '.join(CODES)})")
            elif not isinstance(value, str) or value.lower() not in SEVERITIES:
                problems.append(f"severity.{code}: {value!r} is not one of {', '.join(SEVERITIES)}")
            else:
                settings.severity[code] = value.lower()
    elif severity is not None:
        problems.append('severity must be an object such as {"overlap": "hint"}')
    ignore = raw.get("ignore")
    if isinstance(ignore, list) and all(isinstance(g, str) for g in ignore):
        from agentls.claims import validate_glob

        for glob in ignore:
            try:
                validate_glob(glob)
            except Exception as exc:  # an InvalidInputError with the reason
                problems.append(f"ignore: {exc}")
            else:
                settings.ignore.append(glob)
    elif ignore is not None:
        problems.append("ignore must be a list of globs")
    trunk = raw.get("trunk")
    if isinstance(trunk, str) and trunk.strip():
        settings.trunk = trunk.strip()
    elif trunk not in (None, ""):
        problems.append("trunk must be a branch name or null")
    trusted = raw.get("trusted")
    if isinstance(trusted, bool):
        settings.trusted = trusted
    elif trusted is not None:
        problems.append("trusted must be true or false")
        settings.trusted = False  # unsure means untrusted: running commands is code execution
    level = raw.get("logLevel")
    if isinstance(level, str) and level.lower() in LOG_LEVELS:
        settings.log_level = level.lower()
    elif level is not None:
        problems.append(f"logLevel must be one of {', '.join(LOG_LEVELS)}")
    return settings, problems


def mentions_trusted(raw: Any) -> bool:
    """Whether RAW (flat or under "agentls") says anything about workspace trust.

    VS Code sends `trusted` with its initializationOptions only: the settings it pushes
    and its workspace/configuration answers are the user's settings, without it. Those
    must not turn an untrusted window trusted again (use_settings keeps what it had).
    """
    if isinstance(raw, dict) and isinstance(raw.get("agentls"), dict):
        raw = raw["agentls"]
    return isinstance(raw, dict) and "trusted" in raw
