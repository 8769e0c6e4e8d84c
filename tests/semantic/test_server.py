"""Semantic conflicts in the editor: the real server (pytest-lsp) over the real engine."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from agentls.semantic import trust
from tests.conftest import Repo
from tests.semantic.conftest import common_dir
from tests.semantic.test_background import semantic_pair
from tests.server.conftest import deadline, uri, wait_diagnostics

SEMANTIC_CHANGED = "agentls/semanticChanged"


def semantic(diagnostics: list[types.Diagnostic]) -> list[types.Diagnostic]:
    return [d for d in diagnostics if d.code == "semantic"]


def _plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@deadline(170)
async def test_a_semantic_conflict_shows_in_both_sessions_with_its_actions(
    shop: Repo, windows: Any
) -> None:
    semantic_pair(shop, verify="quiet = 0.5")
    trust.set_background(common_dir(shop), True, "test")
    cart, rename = shop.root / "cart", shop.root / "rename"
    win = await windows(cart, options={"operations": True})
    statuses: list[dict[str, Any]] = []
    win.client.feature(SEMANTIC_CHANGED)(lambda params: statuses.append(_plain(params)))
    test_file = cart / "tests" / "test_cart.py"
    win.open(test_file)
    found = await wait_diagnostics(
        win.client, test_file, lambda ds: bool(semantic(ds)), "a semantic diagnostic", 150
    )
    diagnostic = semantic(found)[0]
    assert diagnostic.range.start.line == 7  # the failing assertion, line 8
    assert "merged with session rename" in diagnostic.message
    assert "each passes alone" in diagnostic.message
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    data = _plain(diagnostic.data)
    assert data["kind"] == "semantic" and data["other"] == "rename"
    assert data["semantic"]["pair"] == ["cart", "rename"]
    assert data["semantic"]["tests"] == ["tests.test_cart.CartTest.test_checkout"]
    assert statuses and statuses[-1]["background"] == "on"

    actions = await win.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(test_file)),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    assert actions is not None
    by_title = {a.title: a for a in actions if isinstance(a, types.CodeAction)}
    log_action = next(a for t, a in by_title.items() if "open the full log of" in t)
    rerun = next(a for t, a in by_title.items() if "re-run the semantic check" in t)
    assert not any("claim" in t for t in by_title), by_title  # not about one file's owner
    assert log_action.command is not None and rerun.command is not None
    shown = await win.command(log_action.command.command, *log_action.command.arguments or [])
    assert shown["shown"] is True and Path(shown["path"]).is_file()
    assert win.client.shown_documents[-1].uri == uri(Path(shown["path"]))
    assert _plain(rerun.command.arguments) == [{"pair": ["cart", "rename"], "force": True}]
    result = await win.run(rerun.command.command, *rerun.command.arguments, timeout=120)
    assert result["found"] == 1 and result["pairs"][0]["cached"] is False

    # The other session's window: its first changed file, since the test is not its own.
    other = await windows(rename)
    prices = rename / "shop" / "prices.py"
    other.open(prices)
    theirs = await wait_diagnostics(
        other.client, prices, lambda ds: bool(semantic(ds)), "rename's semantic diagnostic", 30
    )
    assert semantic(theirs)[0].range.start.line == 0
    assert "merged with session cart" in semantic(theirs)[0].message


@deadline(60)
async def test_an_untrusted_workspace_refuses_to_run_checks(shop: Repo, windows: Any) -> None:
    semantic_pair(shop, verify="quiet = 0.5")
    # As VS Code does: trust in the initializationOptions only; the user's settings (the
    # workspace/configuration answer, didChangeConfiguration) never mention it.
    win = await windows(
        shop.root / "cart",
        options={"operations": True, "trusted": False},
        configuration={"logLevel": "info"},
    )
    await win.wait_status(lambda status: True, "the window attached")
    win.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"agentls": {"logLevel": "info"}})
    )
    with pytest.raises(JsonRpcException) as refused:
        await win.command("agentls.verify.run", {})
    assert refused.value.data["code"] == "workspace-untrusted"
    with pytest.raises(JsonRpcException):
        await win.command("agentls.verify.allowBackground", {"allow": True})
    assert not trust.background_allowed(common_dir(shop))
    await win.wait_status(lambda status: True, "the window attached")
    status = await win.command("agentls.verify.status", {})
    for _ in range(50):  # the window told the engine at attach
        if status["background"] == "untrusted":
            break
        await asyncio.sleep(0.1)
        status = await win.command("agentls.verify.status", {})
    assert status["background"] == "untrusted"
