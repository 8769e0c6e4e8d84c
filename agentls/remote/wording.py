"""How remote sessions and fetches are named to a person (CLI, diagnostics).

The language server imports this: it stays free of pygit2 (~0.2 s to import).
"""

from __future__ import annotations

import time
from typing import Any


def who(info: dict[str, Any], now: float | None = None) -> str:
    """ "codex/fix-login on origin, committed 12 min ago" or, for published work,
    "uncommitted work of alice (billing) on origin, published 3 min ago"."""
    remote = info.get("remote") or {}
    where = remote.get("remote") or "the remote"
    when = age(remote.get("committed"), now)
    if remote.get("wip"):
        return (
            f"uncommitted work of {remote.get('user')} ({remote.get('session')}) on {where}, "
            f"published {when}"
        )
    return f"{remote.get('branch') or info.get('branch')} on {where}, committed {when}"


def branch_cell(info: Any) -> str:
    """The status table's branch cell for a remote session row."""
    remote = info.remote or {}
    if remote.get("wip"):
        return (
            f"{remote.get('user')}/{remote.get('session')} (uncommitted) on {remote.get('remote')}"
        )
    return f"{info.branch} on {remote.get('remote')} [remote]"


def fetch_lines(remotes: list[dict[str, Any]], now: float | None = None) -> list[str]:
    """One line per remote: when it was fetched, or why it could not be."""
    now = time.time() if now is None else now
    lines = []
    for item in remotes:
        name, count = item.get("remote"), item.get("sessions", 0)
        sessions = f"{count} remote session{'s' if count != 1 else ''}"
        if item.get("problem"):
            lines.append(f"remote settings ignored: {item['problem']}")
        if item.get("tried") is None:
            lines.append(f"{name}: never fetched ({sessions}); run `agentls fetch`")
        elif item.get("reachable"):
            lines.append(f"{name}: fetched {age(item.get('fetched'), now)} ({sessions})")
        else:
            retry = item.get("retry")
            again = f"; next try in {max(int(retry - now), 0)} s" if retry else ""
            last = f", last fetched {age(item['fetched'], now)}" if item.get("fetched") else ""
            lines.append(
                f"{name}: remote unreachable ({item.get('error')}){last}{again} ({sessions})"
            )
    return lines


def age_text(seconds_ago: float) -> str:
    """ "just now", "12 min ago", "3 h ago", "2 days ago"."""
    if seconds_ago < 60:
        return "just now"
    if seconds_ago < 3600:
        return f"{int(seconds_ago // 60)} min ago"
    if seconds_ago < 2 * 86400:
        return f"{int(seconds_ago // 3600)} h ago"
    return f"{int(seconds_ago // 86400)} days ago"


def age(timestamp: float | None, now: float | None = None) -> str:
    """How long ago TIMESTAMP was, in words ("never" for none)."""
    if timestamp is None:
        return "never"
    return age_text(max((now or time.time()) - timestamp, 0))
