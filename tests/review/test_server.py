"""The review commands and `agentls/reviewChanged` through the real server (pytest-lsp)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.conftest import Repo, git, numbered
from tests.lifecycle.helpers import agentls
from tests.review.conftest import edit, session
from tests.server.conftest import _plain, deadline, until, uri

REVIEW_CHANGED = "agentls/reviewChanged"


class ReviewWatch:
    """Every `agentls/reviewChanged` a window receives, as plain dicts."""

    def __init__(self, window: Any) -> None:
        self.client = window.client
        self.seen: list[dict[str, Any]] = []

        @window.client.feature(REVIEW_CHANGED)
        def changed(params: Any) -> None:
            self.seen.append(_plain(params))

    async def wait(self, predicate: Any, what: str) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            return next((s for s in reversed(self.seen) if predicate(s)), None)

        return await until(self.client, REVIEW_CHANGED, check, what, timeout=30)  # type: ignore[no-any-return]


def _state(summary: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((s for s in summary["sessions"] if s["session"] == name), None)


async def _refused(call: Any) -> JsonRpcException:
    with pytest.raises(JsonRpcException) as refused:
        await call
    return refused.value


@deadline(150)
async def test_queue_item_verdicts_and_review_changed(review_repo: Repo, windows) -> None:
    repo = review_repo
    a = session(repo, "a", {"app.txt": edit(numbered(20), 2, "a's two")})
    session(repo, "b", {"b.txt": "b\n"})
    window = await windows(repo.main)
    watch = ReviewWatch(window)
    await window.wait_status(lambda s: len(s["sessions"]) == 3, "three sessions")

    queue = await window.command("agentls.review.queue", {})
    assert [i["session"] for i in queue["items"]] == ["a", "b"]
    assert queue["requireReview"] is False
    item = (await window.command("agentls.review.item", {"session": "a"}))["item"]
    assert [(f["path"], f["status"]) for f in item["files"]] == [("app.txt", "M")]
    assert item["base"] == git(repo.main, "merge-base", "main", "a")
    assert item["head"] == git(repo.main, "rev-parse", "a")

    # Approve a: recorded, and every window hears it.
    result = await window.command(
        "agentls.review.verdict", {"session": "a", "verdict": "approved", "head": item["head"]}
    )
    assert result["ok"] and result["review"]["verdict"] == "approved"
    assert result["review"]["head"] == item["head"]
    await watch.wait(lambda s: (_state(s, "a") or {}).get("approved"), "a approved")

    # a moves on: "changed since review" reaches the client without anyone asking.
    repo.write(a, "app.txt", edit(edit(numbered(20), 2, "a's two"), 9, "a's nine"))
    new_head = repo.commit(a, "a: more")
    changed = await watch.wait(
        lambda s: (_state(s, "a") or {}).get("head") == new_head, "a moved since its review"
    )
    assert _state(changed, "a") == {
        "session": "a", "head": new_head, "state": "approved", "approved": False,
        "changedSinceReview": True, "reviewedHead": item["head"],
        "reviewer": "Test <test@example.com>", "time": _state(changed, "a")["time"],
    }  # fmt: skip

    # A verdict from the command line (another process) is heard too.
    agentls(repo.main, "review", "b", "--request-changes", "Explain b.txt.", check=True)
    await watch.wait(
        lambda s: (_state(s, "b") or {}).get("state") == "changes-requested", "b's request"
    )

    # Approve and land in one go: the approval, then land's own answer (an operation
    # that ends with agentls/operationFinished).
    result = await window.command(
        "agentls.review.verdict", {"session": "a", "verdict": "approved", "land": True}
    )
    assert result["ok"] is True and result["land"]["operation"], result
    end = await window.finish(result["land"])
    assert end["ok"] is True and end["result"]["ok"] is True, end
    assert git(repo.main, "rev-parse", "main") == new_head


@deadline(120)
async def test_bad_review_commands_are_refused_with_codes(review_repo: Repo, windows) -> None:
    repo = review_repo
    session(repo, "a", {"a.txt": "a\n"})
    window = await windows(repo.main)
    await window.wait_status(lambda s: len(s["sessions"]) == 2, "two sessions")
    invalid = types.ErrorCodes.InvalidParams
    for arguments in (
        {"session": "a"},
        {"session": "a", "verdict": "approved", "extra": 1},
        {"session": 3, "verdict": "approved"},
        {"session": "a", "verdict": "skipped", "land": True},
    ):
        refused = await _refused(window.command("agentls.review.verdict", arguments))
        assert refused.code == invalid, (arguments, refused)
    refused = await _refused(
        window.command("agentls.review.verdict", {"session": "a", "verdict": "changes-requested"})
    )
    assert refused.code == -32001 and "needs notes" in refused.message
    refused = await _refused(window.command("agentls.review.item", {"session": "nope"}))
    assert refused.code == -32001 and "no session named 'nope'" in refused.message
    stale = git(repo.main, "rev-parse", "main")
    refused = await _refused(
        window.command(
            "agentls.review.verdict", {"session": "a", "verdict": "approved", "head": stale}
        )
    )
    assert refused.code == -32001 and "moved while it was reviewed" in refused.message
    # The server still answers after every refusal.
    queue = await window.command("agentls.review.queue", {"newestFirst": True})
    assert [i["session"] for i in queue["items"]] == ["a"]


@deadline(120)
async def test_the_cli_reads_the_queue_from_the_running_engine(review_repo: Repo, windows) -> None:
    """An editor's unsaved buffer is part of the review the CLI shows (engine's view)."""
    repo = review_repo
    a = session(repo, "a", {"a.txt": "a\n"})
    window = await windows(a)
    await window.wait_status(lambda s: len(s["sessions"]) == 2, "two sessions")
    target = a / "app.txt"
    window.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri(target), language_id="plaintext", version=1,
                text=edit(numbered(20), 5, "unsaved in the editor"),
            )
        )
    )  # fmt: skip

    def unsaved_seen() -> dict[str, Any] | None:
        item = json.loads(agentls(repo.main, "review", "a", "--json", check=True).stdout)["item"]
        paths = {f["path"]: f for f in item["files"]}
        return paths.get("app.txt")

    import asyncio

    for _ in range(100):
        found = await asyncio.to_thread(unsaved_seen)
        if found:
            break
        await asyncio.sleep(0.1)
    assert found == {
        "path": "app.txt", "status": "M", "oldPath": None, "insertions": 1, "deletions": 1,
        "binary": False, "uncommitted": True,
    }  # fmt: skip
    assert target.read_text() == numbered(20)  # nothing on disk: only the engine knew
