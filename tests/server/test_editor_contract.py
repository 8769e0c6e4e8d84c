"""What editors build on: diagnostics per range, actions once, file versions, words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.conftest import Repo, git, numbered
from tests.server.conftest import agentls_diagnostics, deadline, uri, wait_diagnostics
from tests.server.test_diagnostics import edit_line


async def _actions(window: Any, path: Path, found: list[types.Diagnostic]) -> list[Any]:
    actions = await window.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(path)),
            range=types.Range(types.Position(0, 0), types.Position(40, 0)),
            context=types.CodeActionContext(diagnostics=found),
        )
    )
    return [a for a in actions or [] if isinstance(a, types.CodeAction)]


@deadline(90)
async def test_one_diagnostic_per_range_and_each_action_once(repo: Repo, windows) -> None:
    original = numbered(40)
    repo.write(repo.main, "f.txt", original)
    repo.commit(repo.main, "base")
    mine = repo.worktree("mine", branch="mine")
    payments = repo.worktree("payments", branch="payments")
    window = await windows(mine)
    await window.wait_status(lambda s: s["self"] == "mine", "status")
    await window.command("agentls.session.claim", {"session": "payments", "globs": ["f.txt"]})
    repo.write(payments, "f.txt", edit_line(edit_line(original, 3, "p three"), 30, "p thirty"))
    repo.write(mine, "f.txt", edit_line(edit_line(original, 3, "m three"), 30, "m thirty"))
    found = await wait_diagnostics(
        window.client,
        mine / "f.txt",
        lambda ds: {d.code for d in ds} == {"conflict", "ownership"} and len(ds) == 4,
        "two conflict ranges and two ownership ranges",
    )
    conflicts = sorted((d for d in found if d.code == "conflict"), key=lambda d: d.range.start.line)
    assert [d.range.start.line for d in conflicts] == [2, 29]
    assert [d.data["range"] for d in conflicts] == [[3, 3], [30, 30]]
    for diagnostic in conflicts:
        assert diagnostic.data["ranges"] == [[3, 3], [30, 30]]
        assert diagnostic.data["otherRanges"] == [[3, 3], [30, 30]]
        labels = [r.message for r in diagnostic.related_information or []]
        assert labels == ["payments (../payments) line 3", "payments (../payments) line 30"]
        assert "session payments at lines 3, 30;" in diagnostic.message
    ownership = next(d for d in found if d.code == "ownership")
    assert ownership.message.startswith("f.txt is claimed by session payments;")

    actions = await _actions(window, mine / "f.txt", found)
    titles = [a.title for a in actions]
    assert titles == [
        "agentls: open payments' version (line 3)",
        "agentls: compare with payments' version",
        "agentls: claim f.txt for mine",
        "agentls: write mine's handoff note (HANDOFF.md in this worktree)",
    ], titles
    assert len(actions[0].diagnostics or []) == 4  # each action answers every diagnostic
    status = window.status[-1]
    me = next(s for s in status["sessions"] if s["name"] == "payments")
    assert me["claims"] == ["f.txt"] and me["counts"]["conflict"] == 1
    assert me["counts"]["ownership"] == 1 and me["collisions"] == 2 and me["landed"] is False


@deadline(60)
async def test_no_handoff_into_trunks_checkout_and_research_writes_point_nowhere(
    repo: Repo, windows
) -> None:
    original = numbered(20)
    repo.write(repo.main, "f.txt", original)
    repo.commit(repo.main, "base")
    a = repo.worktree("a", branch="a")
    window = await windows(a)
    await window.wait_status(lambda s: s["self"] == "a", "status")
    repo.write(a, "f.txt", edit_line(original, 4, "a four"))
    repo.write(repo.main, "f.txt", edit_line(original, 4, "main four"))
    repo.commit(repo.main, "trunk moves")
    found = await wait_diagnostics(
        window.client, a / "f.txt", lambda ds: len(ds) == 1, "a conflict via trunk"
    )
    assert found[0].data["via"] == "trunk" and found[0].code == "conflict"
    actions = await _actions(window, a / "f.txt", found)
    assert "agentls: open main's version (line 4)" in [x.title for x in actions]
    (handoff,) = [x for x in actions if "handoff" in x.title]
    assert handoff.command is not None and list(handoff.command.arguments or []) == [
        {"session": "a"}
    ]
    # In trunk's own window the same conflict offers no handoff at all.
    trunk_window = await windows(repo.main)
    mirror = await wait_diagnostics(
        trunk_window.client, repo.main / "f.txt", lambda ds: len(ds) == 1, "trunk's side"
    )
    titles = [x.title for x in await _actions(trunk_window, repo.main / "f.txt", mirror)]
    assert titles and not [t for t in titles if "handoff" in t], titles

    fork = await window.run("agentls.session.fork", {"name": "probe", "from": "a"})
    probe = Path(fork["session"]["path"])
    repo.write(probe, "g.txt", "a finding written as code\n")
    probe_window = await windows(probe)
    found = await wait_diagnostics(
        probe_window.client,
        probe / "g.txt",
        lambda ds: any(d.code == "research-write" for d in ds),
        "a research write",
    )
    (write,) = found
    assert write.data["other"] is None and write.data["otherPath"] is None
    assert write.related_information is None
    assert "?" not in write.message and "probe" not in write.message
    assert await _actions(probe_window, probe / "g.txt", found) == []


@deadline(60)
async def test_an_unsaved_edit_keeps_its_squiggle_to_the_end_of_the_line(
    repo: Repo, windows
) -> None:
    original = numbered(20)
    repo.write(repo.main, "f.txt", original)
    repo.commit(repo.main, "base")
    a, b = repo.worktree("a", branch="a"), repo.worktree("b", branch="b")
    window = await windows(b)
    await window.wait_status(lambda s: s["self"] == "b", "status")
    repo.write(a, "f.txt", edit_line(original, 6, "a six"))
    text = edit_line(original, 6, "b six")
    repo.write(b, "f.txt", text)
    window.open(b / "f.txt", text)
    found = await wait_diagnostics(window.client, b / "f.txt", lambda ds: len(ds) == 1, "conflict")
    assert found[0].range.end.character == len("b six")
    # Typing on the same line changes no collision (the report stays as it was), yet
    # the squiggle must follow the line's new end.
    longer = "b six, and a good deal more typed since"
    window.change(b / "f.txt", edit_line(original, 6, longer), 2)
    await wait_diagnostics(
        window.client,
        b / "f.txt",
        lambda ds: len(ds) == 1 and ds[0].range.end.character == len(longer),
        "the squiggle at the new end of line 6",
        timeout=5,
    )


@deadline(60)
async def test_file_versions_for_native_diffs(repo: Repo, windows) -> None:
    original = numbered(10)
    repo.write(repo.main, "f.txt", original)
    repo.write(repo.main, "blob.bin", b"\x00\x01binary")
    base = repo.commit(repo.main, "base")
    a = repo.worktree("a", branch="a")
    committed = edit_line(original, 2, "a two")
    repo.write(a, "f.txt", committed)
    head = repo.commit(a, "a's change")
    repo.write(repo.main, "f.txt", edit_line(original, 9, "trunk nine"))
    repo.commit(repo.main, "trunk moves on")
    window = await windows(a)
    await window.wait_status(lambda s: s["self"] == "a", "status")
    unsaved = edit_line(committed, 5, "a five, unsaved")
    window.open(a / "f.txt", committed)
    window.change(a / "f.txt", unsaved, 2)

    async def version(**args: Any) -> dict[str, Any]:
        return await window.command("agentls.fileVersion", {"session": "a", **args})  # type: ignore[no-any-return]

    current = await version(path="f.txt")
    for _ in range(50):  # the buffer reaches the engine asynchronously
        if current["text"] == unsaved:
            break
        current = await version(path="f.txt")
    assert current == {
        "text": unsaved,
        "binary": False,
        "exists": True,
        "uri": uri(a / "f.txt"),
        "label": "a: f.txt (unsaved)",
        "commit": None,
    }
    at_head = await version(path="f.txt", at="head")
    assert at_head["text"] == committed and at_head["uri"] is None
    assert at_head["label"] == f"a: f.txt @ HEAD {head[:12]}"
    at_base = await version(path="f.txt", at="base")
    assert at_base["text"] == original and at_base["commit"] == base
    at_commit = await version(path="f.txt", at=git(repo.main, "rev-parse", "main")[:10])
    assert "trunk nine" in at_commit["text"]
    binary = await version(path="blob.bin")
    assert binary["binary"] is True and binary["text"] is None
    missing = await version(path="nothing.txt")
    assert missing["exists"] is False and missing["text"] is None
    for bad in ({"path": "../etc/passwd"}, {"path": "f.txt", "at": "HEAD~1"}):
        with pytest.raises(JsonRpcException) as refused:
            await version(**bad)
        assert refused.value.data["code"] == "invalid-input", bad

    compared = await window.command(
        "agentls.compare", {"path": "f.txt", "session": "a", "other": "main"}
    )
    assert compared["left"] == {"session": "a", "path": "f.txt", "at": "current"}
    assert compared["right"] == {"session": "main", "path": "f.txt", "at": "current"}
    assert agentls_diagnostics(window.client, a / "f.txt") is not None


def test_own_notifications_are_written_as_the_json_they_are() -> None:
    """agentls/* notifications skip cattrs (a sessionsChanged at 30 sessions cost ~1 ms
    there) and still read exactly as cattrs would write them; LSP's own go through it."""
    import json

    from pygls.protocol.json_rpc import JsonRPCNotification

    from agentls.server.server import AgentlsServer

    protocol = AgentlsServer().protocol
    status = {
        "self": "mine",
        "sessions": [{"name": "mine", "branch": None, "counts": {"conflict": 1}, "claims": []}],
        "counts": {"conflict": 1, "overlap": 0},
        "complete": True,
    }
    own = JsonRPCNotification(method="agentls/sessionsChanged", jsonrpc="2.0", params=status)
    written = json.loads(json.dumps(own, default=protocol._serialize_message))
    assert written == protocol._converter.unstructure(own)
    assert written == {"jsonrpc": "2.0", "method": "agentls/sessionsChanged", "params": status}
    assert protocol._serialize_message(own)["params"] is status  # not walked, not copied

    params = types.PublishDiagnosticsParams(
        uri="file:///x",
        diagnostics=[
            types.Diagnostic(
                range=types.Range(types.Position(0, 0), types.Position(0, 1)),
                message="m",
                code_description=None,
            )
        ],
    )
    lsp = types.PublishDiagnosticsNotification(params=params)
    written = json.loads(json.dumps(lsp, default=protocol._serialize_message))
    assert written["params"]["diagnostics"][0]["range"]["end"] == {"line": 0, "character": 1}
    assert "codeDescription" not in written["params"]["diagnostics"][0]  # cattrs drops None
