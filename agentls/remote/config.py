"""Remote configuration: `[tool.agentls.remote]` in pyproject.toml, or `[remote]` in
.agentls.toml.

Read from trunk's committed files (like land's configuration), never from a
session's worktree: a branch, maybe an agent's work, must not be able to switch on
publishing the user's uncommitted work, or point fetches elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentls.errors import AgentlsError
from agentls.trunk_settings import trunk_section
from agentls.vocabulary import noun

if TYPE_CHECKING:
    import pygit2

DEFAULT_PATTERNS = ("claude/*", "codex/*", "copilot/*", "cursor/*")
DEFAULT_INTERVAL = 300.0  # seconds between background fetches, once configured
DEFAULT_WIP_PREFIX = "agentls-wip/"  # branch prefix for hosts that refuse custom refs
KEYS = ("remotes", "patterns", "interval", "publish", "wip", "wip-prefix", "user")
_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class RemoteConfig:
    remotes: tuple[str, ...] = ("origin",)
    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    # Seconds between the engine's background fetches; 0 = only `agentls fetch`.
    # Without a [remote] table nothing is fetched in the background.
    interval: float = 0.0
    publish: bool = False  # the engine publishes local snapshots after quiet periods
    wip: bool = True  # also fetch other users' published work (refs/agentls/wip/*)
    wip_prefix: str = DEFAULT_WIP_PREFIX
    user: str | None = None  # the <user> of published refs; default from git config
    source: str | None = None  # where it was read from, for messages

    @property
    def configured(self) -> bool:
        return self.source is not None


def _bad(source: str, key: str | None, problem: str, hint: str | None = None) -> AgentlsError:
    """The `invalid-config` refusal (worded by agentls.wording, as land's settings are)."""
    return AgentlsError.refuse("invalid-config", source=source, key=key, problem=problem, hint=hint)


def _strings(value: Any, key: str, source: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        example = 'e.g. remotes = ["origin"]' if key == "remotes" else 'e.g. patterns = ["codex/*"]'
        raise _bad(source, key, f"remote.{key} must be a string or a list of strings", example)
    return tuple(v.strip() for v in value)


def _check_pattern(pattern: str, source: str) -> str:
    """A ref pattern: a branch glob (`codex/*`) or a full ref glob (`refs/pull/*/head`)."""
    bad = (
        pattern.startswith(("-", "+", "/", "^"))
        or pattern.count("*") > 1
        or any(c in pattern for c in " ~:?[\\\0")
        or ".." in pattern
        or "//" in pattern
        or pattern.endswith(("/", ".lock"))
    )
    if bad:
        raise _bad(
            source,
            "patterns",
            f"invalid remote pattern {pattern!r}",
            "use a branch glob with at most one '*' (codex/*) or a full ref (refs/pull/*/head)",
        )
    return pattern


def _check_remote(name: str, source: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name) or ".." in name:
        raise _bad(
            source,
            "remotes",
            f"invalid remote name {name!r}",
            "name a remote as git remote lists it",
        )
    return name


def parse(table: Any, source: str) -> RemoteConfig:
    """A RemoteConfig from one TOML table, refusing unknown keys and wrong types."""
    if not isinstance(table, dict):
        raise _bad(source, None, "the remote settings must be a table")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise _bad(
            source, unknown[0],
            f"unknown remote {noun(len(unknown), 'setting')} {', '.join(unknown)}",
            f"known: {', '.join(KEYS)}",
        )  # fmt: skip
    remotes = tuple(
        _check_remote(r, source)
        for r in _strings(table.get("remotes", ["origin"]), "remotes", source)
    )
    patterns = tuple(
        _check_pattern(p, source)
        for p in _strings(table.get("patterns", list(DEFAULT_PATTERNS)), "patterns", source)
    )
    interval = table.get("interval", DEFAULT_INTERVAL)
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval < 0:
        raise _bad(
            source, "interval", "remote.interval must be a number of seconds >= 0",
            "0 switches background fetching off",
        )  # fmt: skip
    flags = {}
    for key, default in (("publish", False), ("wip", True)):
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise _bad(source, key, f"remote.{key} must be true or false")
        flags[key] = value
    prefix = table.get("wip-prefix", DEFAULT_WIP_PREFIX)
    if not isinstance(prefix, str) or not prefix.endswith("/") or "*" in prefix:
        raise _bad(
            source, "wip-prefix", "remote.wip-prefix must be a branch prefix ending in '/'",
            'e.g. wip-prefix = "agentls-wip/"',
        )  # fmt: skip
    _check_pattern(prefix + "*", source)
    user = table.get("user")
    if user is not None and (not isinstance(user, str) or not _USER.fullmatch(user)):
        raise _bad(source, "user", "remote.user must be 1-64 letters, digits, '.', '_' or '-'")
    return RemoteConfig(
        remotes=remotes,
        patterns=patterns,
        interval=float(interval),
        publish=flags["publish"],
        wip=flags["wip"],
        wip_prefix=prefix,
        user=user,
        source=source,
    )


def load(cwd: Path, commit: str | None, git: pygit2.Repository | None = None) -> RemoteConfig:
    """The remote configuration committed at COMMIT (trunk); defaults when there is none.
    GIT: the repository opened in process, when the caller has it (no `git show`)."""
    if not commit:
        return RemoteConfig()
    found = trunk_section(cwd, commit, "remote", git)
    return parse(*found) if found is not None else RemoteConfig()
