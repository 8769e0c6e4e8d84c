"""The playbook through the command line: every verb a real `agentls` process."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo
from tests.lifecycle.helpers import agentls
from tests.playbook.scenario import fake_agents, make_repository, play


class CommandLine:
    """The Driver for `agentls VERB … --json`, run in trunk's checkout."""

    def __init__(self, repo: Repo, env: dict[str, str]) -> None:
        self.cwd = repo.main
        self.env = env
        self.ran: list[list[str]] = []

    async def run(self, *args: str, ok: tuple[int, ...] = (0,)) -> dict[str, Any]:
        self.ran.append(list(args))
        proc = await asyncio.to_thread(agentls, self.cwd, *args, "--json", env=self.env)
        assert proc.returncode in ok, f"agentls {' '.join(args)}: {proc.stdout}{proc.stderr}"
        return json.loads(proc.stdout)  # type: ignore[no-any-return]

    async def new(self, name: str, claims: list[str], agent: str | None) -> dict[str, Any]:
        args = ["new", name, *(a for glob in claims for a in ("--claim", glob))]
        return await self.run(*args, *(["--agent", agent] if agent else []))

    async def fork(self, name: str, source: str) -> dict[str, Any]:
        return await self.run("fork", name, "--from", source)

    async def priority(self, name: str, priority: int) -> dict[str, Any]:
        return await self.run("priority", name, str(priority))

    async def handoff(self, name: str) -> dict[str, Any]:
        return await self.run("handoff", name)

    async def land(self, name: str) -> dict[str, Any]:
        return await self.run("land", name, ok=(0, 1))

    async def land_all(self) -> dict[str, Any]:
        return await self.run("land", "--all", ok=(0, 1))

    async def remove(self, name: str) -> dict[str, Any]:
        return await self.run("remove", name)

    async def report(self) -> dict[str, Any]:
        return await self.run("status")


@pytest.mark.slow
async def test_the_playbook_through_the_command_line(repo: Repo, tmp_path: Path) -> None:
    make_repository(repo)
    driver = CommandLine(repo, fake_agents(tmp_path / "bin"))
    await play(driver, repo)
    assert driver.ran and not any("--force" in args for args in driver.ran)
