"""agentls's own ref namespace for remote work, and how its refs are named to people.

A pattern is a branch glob (`codex/*`: `refs/heads/codex/*` on the remote) or a full
ref glob (`refs/pull/*/head`). What the remote has at `refs/<x>` is fetched to
`refs/agentls/remote/<remote>/<x>`, so the user's `refs/remotes/...` never move.
Published work of other machines lives at `refs/agentls/wip/<user>/<session>` (or,
on hosts refusing custom refs, at branches under the configured prefix).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentls.remote.config import RemoteConfig

NAMESPACE = "refs/agentls/remote"
WIP_NAMESPACE = "refs/agentls/wip"


def source_ref(pattern: str) -> str:
    """The remote's full ref (glob) for PATTERN."""
    return pattern if pattern.startswith("refs/") else f"refs/heads/{pattern}"


def local_ref(remote: str, remote_ref: str) -> str:
    """Where the remote's REMOTE_REF is kept here."""
    return f"{NAMESPACE}/{remote}/{remote_ref.removeprefix('refs/')}"


def patterns(config: RemoteConfig) -> list[str]:
    """Every remote ref glob fetched: the session patterns, plus published work."""
    found = [source_ref(p) for p in config.patterns]
    if config.wip:
        found += [f"{WIP_NAMESPACE}/*", source_ref(config.wip_prefix + "*")]
    return list(dict.fromkeys(found))


def refspecs(remote: str, config: RemoteConfig) -> list[str]:
    """Forced refspecs (`+src:dst`): a remote branch may be rewritten; ours follows it."""
    return [f"+{ref}:{local_ref(remote, ref)}" for ref in patterns(config)]


@dataclass(frozen=True)
class RemoteRef:
    """One fetched ref: which remote, what the remote calls it, where it is kept here."""

    remote: str
    remote_ref: str  # e.g. refs/heads/codex/fix-login
    ref: str  # e.g. refs/agentls/remote/origin/heads/codex/fix-login

    @property
    def branch(self) -> str:
        """What a person calls it: the branch name, or the ref below refs/."""
        return self.remote_ref.removeprefix("refs/heads/").removeprefix("refs/")

    @property
    def wip_owner(self) -> tuple[str, str] | None:
        """(user, session) for a published snapshot, else None."""
        rest = None
        if self.remote_ref.startswith(WIP_NAMESPACE + "/"):
            rest = self.remote_ref.removeprefix(WIP_NAMESPACE + "/")
        if rest is None or rest.count("/") < 1:
            return None
        user, _, session = rest.partition("/")
        return user, session

    @property
    def name(self) -> str:
        """The session name: `origin:codex/fix-login`, `origin:wip/alice/billing`."""
        owner = self.wip_owner
        if owner is not None:
            return f"{self.remote}:wip/{owner[0]}/{owner[1]}"
        return f"{self.remote}:{self.branch}"


def parse_local_ref(ref: str) -> RemoteRef | None:
    """The RemoteRef kept at REF (under NAMESPACE), or None."""
    if not ref.startswith(NAMESPACE + "/"):
        return None
    remote, _, rest = ref.removeprefix(NAMESPACE + "/").partition("/")
    if not remote or not rest:
        return None
    return RemoteRef(remote=remote, remote_ref=f"refs/{rest}", ref=ref)


def wip_prefix_owner(ref: RemoteRef, prefix: str) -> tuple[str, str] | None:
    """(user, session) for published work kept on a branch under PREFIX."""
    if not ref.remote_ref.startswith("refs/heads/" + prefix):
        return None
    rest = ref.remote_ref.removeprefix("refs/heads/" + prefix)
    user, _, session = rest.partition("/")
    return (user, session) if user and session else None
