"""`agentls mcp`: the tools, called through the official SDK's own stdio client."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.agents.conftest import Parallel


def _params(parallel: Parallel) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "agentls", "mcp"],
        cwd=str(parallel.auth),
        env={"PATH": os.environ.get("PATH", ""), "AGENTLS_NO_ENGINE": "1"},
    )


def _data(result: Any) -> dict:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        return result.structured_content
    return json.loads(result.content[0].text)


async def test_mcp_tools_over_stdio(parallel: Parallel) -> None:
    async def scenario() -> None:
        async with Client(_params(parallel)) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert names == {"status", "check_files", "claim", "release", "handoff", "sessions"}

            checked = _data(await client.call_tool("check_files", {"paths": ["shared.txt"]}))
            assert checked["clear"] is False
            assert checked["files"][0]["findings"][0]["session"] == "feat-billing"
            assert checked["summary"].startswith("agentls: shared.txt is contested")
            clear = _data(await client.call_tool("check_files", {"paths": ["docs/readme.md"]}))
            assert clear["clear"] is True

            rows = _data(await client.call_tool("sessions", {}))["sessions"]
            assert {r["name"] for r in rows} == {"main", "feat-billing", "feat-auth"}

            status = _data(await client.call_tool("status", {}))
            assert status["self"] == "feat-auth"
            assert {s["name"] for s in status["report"]["sessions"]} >= {"feat-auth"}

            claimed = _data(await client.call_tool("claim", {"globs": ["auth/**"]}))
            assert claimed["ok"] is True
            rows = _data(await client.call_tool("sessions", {}))["sessions"]
            assert next(r for r in rows if r["name"] == "feat-auth")["claims"] == ["auth/**"]

            # the claim is now what billing's agent is told about
            taken = await client.call_tool(
                "check_files", {"paths": ["auth/login.py"], "session": "feat-billing"}
            )
            finding = _data(taken)["files"][0]["findings"][0]
            assert (finding["kind"], finding["claim"]) == ("ownership", "auth/**")

            released = _data(await client.call_tool("release", {}))
            assert released["ok"] is True

            bad = await client.call_tool("claim", {"globs": ["/etc/**"]})
            assert bad.is_error
            assert "absolute" in bad.content[0].text

            handoff = _data(await client.call_tool("handoff", {}))
            assert handoff["ok"] is True
            assert (parallel.auth / "HANDOFF.md").exists()

    await asyncio.wait_for(scenario(), timeout=80)
