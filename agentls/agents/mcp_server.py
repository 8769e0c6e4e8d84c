"""`agentls mcp`: agentls's answers as MCP tools, for agents that prefer tools to hooks.

Built on the official SDK (2.x: `mcp.server.MCPServer`) over stdio. Every tool
opens the repository fresh, so what it reports is what is on disk now; the
session defaults to the worktree the server was started in.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agentls.errors import AgentlsError, InvalidInputError

INSTRUCTIONS = (
    "agentls coordinates parallel coding sessions (git worktrees) on one repository. "
    "Call check_files before editing files: it says which other sessions changed or claim "
    "them, with line ranges and what those sessions are doing. Use claim for the paths you "
    "own, handoff to write HANDOFF.md, status/sessions for the whole picture."
)


def _lifecycle(name: str) -> Callable[..., dict[str, Any]]:
    """A lifecycle function (agentls.lifecycle.NAME), wherever that package keeps it."""
    for module in ("agentls.lifecycle", "agentls.lifecycle.metadata", "agentls.lifecycle.handoff"):
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if callable(found):
            return found  # type: ignore[no-any-return]
    raise AgentlsError(f"this agentls build has no {name}", "update agentls")


class Tools:
    """The tool implementations, independent of MCP (plain dicts in, dicts out)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).resolve()

    @contextmanager
    def workspace(self) -> Iterator[Any]:
        from agentls.workspace import Workspace

        with Workspace(self.folder) as ws:
            ws.refresh()
            yield ws

    def _session(self, ws: Any, session: str | None) -> str:
        if session:
            return session
        from agentls.sessions import session_at

        own = session_at(ws.sessions, self.folder)
        if own is None:
            raise InvalidInputError(
                f"{self.folder} is not inside a session's worktree", "pass the session's name"
            )
        return str(own.name)

    def status(self) -> dict[str, Any]:
        with self.workspace() as ws:
            report = ws.report().to_json()
            from agentls.sessions import session_at

            own = session_at(ws.sessions, self.folder)
            return {"self": own.name if own else None, "report": report}

    def sessions(self) -> dict[str, Any]:
        with self.workspace() as ws:
            report = ws.report()
            rows = []
            for info in report.sessions:
                rows.append(
                    {
                        "name": info.name,
                        "branch": info.branch,
                        "role": info.role,
                        "priority": info.priority,
                        "path": info.path,
                        "claims": info.claims,
                        "changed": len(info.changed),
                        "dirty": info.dirty,
                        "ahead": info.ahead,
                        "behind": info.behind,
                        "collisions": len(report.collisions_of(info.name)),
                    }
                )
            return {"sessions": rows}

    def check_files(self, paths: list[str], session: str | None = None) -> dict[str, Any]:
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise InvalidInputError("paths must be a list of file paths")
        from agentls.agents.check import check_paths
        from agentls.agents.decision import reason_for

        result = check_paths(None, self.folder, paths, session)
        decision = reason_for(result)
        result["summary"] = decision.reason if decision else "clear: no other session touches these"
        return result

    def claim(self, globs: list[str], session: str | None = None, force: bool = False) -> dict:
        with self.workspace() as ws:
            return _lifecycle("claim")(ws, self._session(ws, session), globs, force=force)

    def release(self, globs: list[str] | None = None, session: str | None = None) -> dict:
        with self.workspace() as ws:
            return _lifecycle("release")(ws, self._session(ws, session), globs)

    def handoff(self, session: str | None = None) -> dict[str, Any]:
        with self.workspace() as ws:
            return _lifecycle("write_handoff")(ws, self._session(ws, session))


@contextmanager
def _as_tool_errors() -> Iterator[None]:
    """A refusal (bad glob, unknown session...) reaches the model with its message."""
    from mcp.server.mcpserver.exceptions import ToolError

    try:
        yield
    except AgentlsError as exc:
        raise ToolError(str(exc)) from exc


def build_server(folder: str | Path) -> Any:
    """The MCPServer with agentls's tools, rooted at FOLDER."""
    from mcp.server import MCPServer

    tools = Tools(folder)
    server = MCPServer("agentls", instructions=INSTRUCTIONS)

    @server.tool(description="Sessions of this repository, their collisions and the trunk.")
    def status() -> dict[str, Any]:
        with _as_tool_errors():
            return tools.status()

    @server.tool(description="One line per session: branch, role, claims, changed files.")
    def sessions() -> dict[str, Any]:
        with _as_tool_errors():
            return tools.sessions()

    @server.tool(
        description=(
            "Before editing: which other sessions changed or claim these files (paths relative "
            "to the worktree or absolute), predicted conflicts with line ranges on both sides, "
            "and what those sessions say they are doing. `clear` is true when nobody else does."
        )
    )
    def check_files(paths: list[str], session: str | None = None) -> dict[str, Any]:
        with _as_tool_errors():
            return tools.check_files(paths, session)

    @server.tool(description="Claim path globs (e.g. 'billing/**') for a session (default: this).")
    def claim(globs: list[str], session: str | None = None, force: bool = False) -> dict[str, Any]:
        with _as_tool_errors():
            return tools.claim(globs, session, force)

    @server.tool(description="Release some claimed globs, or all of them when none are given.")
    def release(globs: list[str] | None = None, session: str | None = None) -> dict[str, Any]:
        with _as_tool_errors():
            return tools.release(globs, session)

    @server.tool(description="Write HANDOFF.md for a session (default: this one); its path.")
    def handoff(session: str | None = None) -> dict[str, Any]:
        with _as_tool_errors():
            return tools.handoff(session)

    return server


def serve(folder: str | Path) -> None:
    """Run the MCP server on stdio until the client closes it."""
    build_server(folder).run("stdio")
