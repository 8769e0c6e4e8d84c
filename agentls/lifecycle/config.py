"""Land configuration: `[tool.agentls.land]` in pyproject.toml, or `[land]` in .agentls.toml.

Read from trunk's committed files, not from the branch being landed: a branch (an
agent's work) must not be able to change which commands land runs on its behalf.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentls.errors import AgentlsError
from agentls.trunk_settings import trunk_section
from agentls.vocabulary import noun

DEFAULT_TIMEOUT = 600.0
KEYS = ("build", "test", "timeout", "lock_wait", "require-review", "push")


@dataclass(frozen=True)
class LandConfig:
    build: list[str] = field(default_factory=list)
    test: list[str] = field(default_factory=list)
    timeout: float = DEFAULT_TIMEOUT  # seconds, per command
    lock_wait: float = 0.0  # seconds to wait for another land to finish
    require_review: bool = False  # land only heads a reviewer approved (agentls.review)
    # Push trunk to its upstream after the tests pass (when trunk tracks a remote
    # branch); false: land on the local trunk only (agentls.lifecycle.upstream).
    push: bool = True
    source: str | None = None  # where it was read from, for messages

    def commands(self) -> list[tuple[str, str]]:
        return [("build", c) for c in self.build] + [("test", c) for c in self.test]


def _commands(value: Any, key: str, source: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise AgentlsError.refuse(
            "invalid-config", source=source, key=key,
            problem=f"land.{key} must be a command string or a list of them",
            hint='e.g. test = "pytest -q"',
        )  # fmt: skip
    return list(value)


def parse(table: dict[str, Any], source: str) -> LandConfig:
    """A LandConfig from one TOML table, refusing unknown keys and wrong types."""
    if not isinstance(table, dict):
        raise AgentlsError.refuse(
            "invalid-config", source=source, key=None, problem="the land settings must be a table"
        )
    unknown = set(table) - set(KEYS)
    if unknown:
        raise AgentlsError.refuse(
            "invalid-config", source=source, key=sorted(unknown)[0],
            problem=f"unknown land {noun(len(unknown), 'setting')} {', '.join(sorted(unknown))}",
            hint=f"known: {', '.join(KEYS)}",
        )  # fmt: skip
    flags: dict[str, bool] = {}
    for key, off_or_on in (("require-review", False), ("push", True)):
        flag = table.get(key, off_or_on)
        if not isinstance(flag, bool):
            raise AgentlsError.refuse(
                "invalid-config", source=source, key=key,
                problem=f"land.{key} must be true or false",
            )  # fmt: skip
        flags[key] = flag
    numbers = {}
    for key, default in (("timeout", DEFAULT_TIMEOUT), ("lock_wait", 0.0)):
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise AgentlsError.refuse(
                "invalid-config", source=source, key=key,
                problem=f"land.{key} must be a number of seconds >= 0",
            )  # fmt: skip
        numbers[key] = float(value)
    return LandConfig(
        build=_commands(table.get("build"), "build", source),
        test=_commands(table.get("test"), "test", source),
        timeout=numbers["timeout"] or DEFAULT_TIMEOUT,
        lock_wait=numbers["lock_wait"],
        require_review=flags["require-review"],
        push=flags["push"],
        source=source,
    )


def load(cwd: Path, commit: str) -> LandConfig:
    """The land configuration committed at COMMIT (trunk): .agentls.toml wins over pyproject."""
    found = trunk_section(cwd, commit, "land")
    return parse(*found) if found is not None else LandConfig()
