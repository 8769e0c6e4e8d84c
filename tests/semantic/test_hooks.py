"""Agents hear about a semantic conflict once, in the context their hooks give them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from agentls.semantic.verify import verify
from tests.conftest import Repo
from tests.semantic.conftest import fresh
from tests.semantic.test_background import semantic_pair


def hook(cwd: Path, payload: dict[str, str]) -> str:
    """`agentls hook claude` as Claude Code runs it (no engine: read from disk and store)."""
    proc = subprocess.run(
        [sys.executable, "-m", "agentls", "hook", "claude"],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "AGENTLS_NO_ENGINE": "1"},
        timeout=60,
        check=True,
    )
    return proc.stdout


def test_the_agent_is_told_once(shop: Repo) -> None:
    semantic_pair(shop)
    cart = shop.root / "cart"
    with fresh(shop) as ws:
        verify(ws)
    prompt = {"session_id": "a", "cwd": str(cart), "hook_event_name": "UserPromptSubmit"}
    told = json.loads(hook(cart, {**prompt, "prompt": "go on"}))
    text = told["hookSpecificOutput"]["additionalContext"]
    assert "semantic conflict: merged with session rename's work" in text
    assert "tests.test_cart.CartTest.test_checkout" in text and "each passes alone" in text
    assert hook(cart, {**prompt, "prompt": "and on"}) == ""  # said once
    start = {"session_id": "b", "cwd": str(cart), "hook_event_name": "SessionStart"}
    context = json.loads(hook(cart, start))["hookSpecificOutput"]["additionalContext"]
    assert "semantic conflict" in context  # a new agent session hears it at its start
