"""Session lifecycle: new, fork, rename, claim, handoff, land, land queue, remove, restore.

One implementation for both the CLI and the language server. Every function takes
an `agentls.workspace.Workspace`, refuses bad input with AgentlsError or
InvalidInputError (changing nothing), and returns a JSON-able dict.
"""

from agentls.lifecycle.create import fork_session, new_session
from agentls.lifecycle.handoff import write_handoff
from agentls.lifecycle.land import land
from agentls.lifecycle.metadata import claim, release, rename_session, set_priority
from agentls.lifecycle.queue import land_all
from agentls.lifecycle.recovery import pending, recover, unfinished
from agentls.lifecycle.remove import remove_session, restore_session

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
