"""The playbook through the language server: every verb a `workspace/executeCommand`.

One editor window (a real `agentls serve` over stdio, driven by pytest-lsp) is open
on trunk's checkout; the shared engine it starts runs every lifecycle command, and
the agents' hooks ask that engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo
from tests.playbook.scenario import fake_agents, make_repository, play
from tests.server.conftest import Window, deadline


class LanguageServer:
    """The Driver for the server's `agentls.session.*` commands."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self.ran: list[tuple[str, dict[str, Any]]] = []

    async def run(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        """COMMAND's result; land, land-all, new and fork finish as operations."""
        self.ran.append((command, arguments or {}))
        if arguments is None:
            return await self.window.run(command, timeout=240)
        return await self.window.run(command, arguments, timeout=240)

    async def new(self, name: str, claims: list[str], agent: str | None) -> dict[str, Any]:
        arguments: dict[str, Any] = {"name": name, "claims": claims}
        if agent is not None:
            arguments["agent"] = agent
        return await self.run("agentls.session.new", arguments)  # type: ignore[no-any-return]

    async def fork(self, name: str, source: str) -> dict[str, Any]:
        return await self.run("agentls.session.fork", {"name": name, "from": source})  # type: ignore[no-any-return]

    async def priority(self, name: str, priority: int) -> dict[str, Any]:
        arguments = {"session": name, "priority": priority}
        return await self.run("agentls.session.priority", arguments)  # type: ignore[no-any-return]

    async def handoff(self, name: str) -> dict[str, Any]:
        return await self.run("agentls.session.handoff", {"session": name})  # type: ignore[no-any-return]

    async def land(self, name: str) -> dict[str, Any]:
        return await self.run("agentls.session.land", {"session": name})  # type: ignore[no-any-return]

    async def land_all(self) -> dict[str, Any]:
        return await self.run("agentls.session.landAll")  # type: ignore[no-any-return]

    async def remove(self, name: str) -> dict[str, Any]:
        return await self.run("agentls.session.remove", {"session": name})  # type: ignore[no-any-return]

    async def report(self) -> dict[str, Any]:
        result = await self.run("agentls.refresh")
        return result["report"]  # type: ignore[no-any-return]


@pytest.mark.slow
@deadline(300)
async def test_the_playbook_through_the_language_server(
    repo: Repo, tmp_path: Path, windows: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_repository(repo)
    # The engine the server starts inherits PATH: it finds the agents `new --agent` names.
    monkeypatch.setenv("PATH", fake_agents(tmp_path / "bin")["PATH"])
    window = await windows(repo.main)
    await window.wait_status(lambda s: s.get("self") == "main", "the window's first status")
    driver = LanguageServer(window)
    await play(driver, repo)
    assert driver.ran and not any(arguments.get("force") for _, arguments in driver.ran)
