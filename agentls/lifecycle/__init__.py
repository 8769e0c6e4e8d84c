"""Session lifecycle: new, fork, rename, claim, handoff, land, land queue, remove, restore.

One implementation for both the CLI and the language server. Every function takes
an `agentls.workspace.Workspace`, refuses bad input with AgentlsError or
InvalidInputError (changing nothing), and returns a JSON-able dict.

Each verb is imported from its module on first use (PEP 562): `agentls status` needs
only `pending` and would otherwise load every verb's stack (~30 ms of a cold command).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentls.lifecycle.create import fork_session, new_session
    from agentls.lifecycle.handoff import write_handoff
    from agentls.lifecycle.landing import land
    from agentls.lifecycle.metadata import claim, release, rename_session, set_priority
    from agentls.lifecycle.queue import land_all
    from agentls.lifecycle.recovery import pending, recover, unfinished
    from agentls.lifecycle.remove import remove_session, restore_session

# Each public name and the module (in this package) that defines it.
_HOMES = {
    "claim": "metadata",
    "fork_session": "create",
    "land": "landing",
    "land_all": "queue",
    "new_session": "create",
    "pending": "recovery",
    "recover": "recovery",
    "release": "metadata",
    "remove_session": "remove",
    "rename_session": "metadata",
    "restore_session": "remove",
    "set_priority": "metadata",
    "unfinished": "recovery",
    "write_handoff": "handoff",
}

__all__ = [
    "claim",
    "fork_session",
    "land",
    "land_all",
    "new_session",
    "pending",
    "recover",
    "release",
    "remove_session",
    "rename_session",
    "restore_session",
    "set_priority",
    "unfinished",
    "write_handoff",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def load_all() -> None:
    """Import every verb now: before a fork, or where a caller wants a missing part of
    the stack to fail at once rather than at the first verb."""
    for home in sorted(set(_HOMES.values())):
        importlib.import_module(f"{__name__}.{home}")
