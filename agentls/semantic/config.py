"""Verification settings: `[tool.agentls.verify]` in pyproject.toml, or `[verify]` in .agentls.toml.

Read from trunk's committed files, as land's settings are (agentls.lifecycle.config):
a session's own branch must not be able to switch checks on or change what they run.
The build and test commands are land's unless this table names its own.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentls.errors import AgentlsError
from agentls.lifecycle import config as land_config
from agentls.trunk_settings import trunk_section
from agentls.vocabulary import noun

DEFAULT_QUIET = 30.0  # seconds a session stays unchanged before background checks
DEFAULT_TIMEOUT = 600.0  # seconds per command on one tree
MAX_JOBS = 8
KEYS = ("enabled", "build", "test", "timeout", "quiet", "jobs", "trunk")


@dataclass(frozen=True)
class VerifyConfig:
    enabled: bool = False
    build: list[str] = field(default_factory=list)
    test: list[str] = field(default_factory=list)
    timeout: float = DEFAULT_TIMEOUT  # per command, on one tree
    quiet: float = DEFAULT_QUIET  # seconds of quiet before a session's pairs are checked
    jobs: int = 1  # checks at a time in the background
    trunk: bool = True  # also check each session merged with trunk
    source: str | None = None  # where it was read from, for messages

    def commands(self) -> list[tuple[str, str]]:
        return [("build", c) for c in self.build] + [("test", c) for c in self.test]

    def commands_key(self) -> str:
        """A short id of the command list: results of other commands never count."""
        raw = json.dumps(self.commands(), separators=(",", ":"))
        return hashlib.sha1(raw.encode()).hexdigest()[:16]


def _refuse(source: str, key: str | None, problem: str, hint: str | None = None) -> AgentlsError:
    return AgentlsError.refuse("invalid-config", source=source, key=key, problem=problem, hint=hint)


def _number(table: dict[str, Any], key: str, default: float, source: str) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise _refuse(source, key, f"verify.{key} must be a number of seconds >= 0")
    return float(value)


def _commands(value: Any, key: str, source: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _refuse(
            source, key, f"verify.{key} must be a command string or a list of them",
            'e.g. test = "pytest -q"',
        )  # fmt: skip
    return list(value)


def parse(table: Any, source: str, land: land_config.LandConfig) -> VerifyConfig:
    """A VerifyConfig from one TOML table (LAND supplies the default commands)."""
    if not isinstance(table, dict):
        raise _refuse(source, None, "the verify settings must be a table")
    unknown = set(table) - set(KEYS)
    if unknown:
        raise _refuse(
            source, sorted(unknown)[0],
            f"unknown verify {noun(len(unknown), 'setting')} {', '.join(sorted(unknown))}",
            f"known: {', '.join(KEYS)}",
        )  # fmt: skip
    for key in ("enabled", "trunk"):
        if not isinstance(table.get(key, False), bool):
            raise _refuse(source, key, f"verify.{key} must be true or false")
    jobs = table.get("jobs", 1)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= MAX_JOBS:
        raise _refuse(source, "jobs", f"verify.jobs must be a whole number from 1 to {MAX_JOBS}")
    own = "build" in table or "test" in table
    return VerifyConfig(
        enabled=table.get("enabled", False),
        build=_commands(table.get("build"), "build", source) if own else land.build,
        test=_commands(table.get("test"), "test", source) if own else land.test,
        timeout=_number(table, "timeout", DEFAULT_TIMEOUT, source) or DEFAULT_TIMEOUT,
        quiet=_number(table, "quiet", DEFAULT_QUIET, source),
        jobs=jobs,
        trunk=table.get("trunk", True),
        source=source,
    )


def load(cwd: Path, commit: str) -> VerifyConfig:
    """The verify settings committed at COMMIT (trunk); disabled when there are none."""
    land = land_config.load(cwd, commit)
    found = trunk_section(cwd, commit, "verify")
    if found is not None:
        return parse(*found, land)
    return VerifyConfig(build=land.build, test=land.test)
