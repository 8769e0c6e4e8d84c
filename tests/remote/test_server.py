"""Through the real server: a push on one machine becomes a diagnostic on another,
worded with who and where, with an action that opens that version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls import uris

from agentls.engine.client import connect
from tests.conftest import git, numbered
from tests.remote.conftest import Network, edit_line
from tests.server.conftest import deadline, uri, wait_diagnostics

REMOTE_SETTINGS = "[remote]\ninterval = 1\n"


def from_remote(branch: str) -> Any:
    return lambda ds: any(d.code == "conflict" and f"{branch} on origin" in d.message for d in ds)


def configure_background_fetch(network: Network) -> None:
    """Trunk (on the shared remote) switches background fetching on, every second."""
    admin = network.machine("admin")
    admin.write(".agentls.toml", REMOTE_SETTINGS)
    admin.commit("agentls: fetch remote sessions")
    admin.push("main:main")


@deadline(150)
async def test_push_on_a_becomes_a_diagnostic_on_b_with_an_open_action(
    network: Network, windows
) -> None:
    configure_background_fetch(network)
    b, cloud = network.machine("laptop"), network.machine("cloud")
    feat = b.worktree("feat", "feat")
    b.write("f.txt", edit_line(numbered(40), 30, "laptop's thirty"), feat)
    window = await windows(feat)
    await window.wait_status(lambda s: s["self"] == "feat", "feat's status")

    # A cloud agent pushes a conflicting branch; nobody on B runs anything.
    cloud.cloud_branch("codex/fix-login", "f.txt", edit_line(numbered(40), 30, "cloud's thirty"))
    found = await wait_diagnostics(
        window.client, feat / "f.txt", from_remote("codex/fix-login"), "the remote conflict", 60
    )
    (diag,) = [d for d in found if d.code == "conflict"]
    assert diag.message == (
        "conflicts with codex/fix-login on origin, committed just now, at line 30; "
        "merging would stop here"
    )
    assert diag.range.start.line == 29
    assert diag.related_information is None  # no worktree on this machine to point at
    assert diag.data["remote"]["remote"] == "origin"
    status = await window.wait_status(
        lambda s: any(r["name"] == "origin:codex/fix-login" for r in s["sessions"]),
        "the remote session in sessionsChanged",
    )
    row = next(r for r in status["sessions"] if r["name"] == "origin:codex/fix-login")
    assert row["role"] == "remote" and row["remote"]["branch"] == "codex/fix-login"
    assert row["collisions"] == 1

    actions = await window.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(feat / "f.txt")),
            range=diag.range,
            context=types.CodeActionContext(diagnostics=[diag]),
        )
    )
    assert actions is not None
    titles = [a.title for a in actions if isinstance(a, types.CodeAction)]
    assert (
        "agentls: open origin:codex/fix-login's version (codex/fix-login on origin) (line 30)"
        in titles
    ), titles
    opened = next(a for a in actions if isinstance(a, types.CodeAction) and "open" in a.title)
    assert opened.command is not None
    result = await window.command(opened.command.command, *opened.command.arguments or [])
    assert result["shown"] is True
    shown = window.client.shown_documents[-1]
    shown_path = Path(uris.to_fs_path(shown.uri) or "")
    assert "cloud's thirty" in shown_path.read_text()
    assert shown_path.stat().st_mode & 0o222 == 0  # a copy to read, not to edit
    assert shown.selection is not None and shown.selection.start.line == 29
    assert not str(shown_path).startswith(str(feat))

    compare = next(a for a in actions if isinstance(a, types.CodeAction) and "compare" in a.title)
    assert compare.command is not None
    diff = await window.command(compare.command.command, *compare.command.arguments or [])
    assert "+cloud's thirty" in diff["diff"] and "-laptop's thirty" in diff["diff"]

    # A lifecycle verb aimed at it is refused with its code, and nothing changes.
    try:
        await window.command(
            "agentls.session.rename", {"session": "origin:codex/fix-login", "name": "x"}
        )
    except Exception as exc:  # pygls raises the JSON-RPC error
        assert getattr(exc, "data", None) is not None
        data = exc.data if isinstance(exc.data, dict) else exc.data._asdict()  # type: ignore[attr-defined]
        assert data["code"] == "remote-session"
    else:
        raise AssertionError("renaming a remote session was not refused")

    # The branch lands on trunk: the remote session and its diagnostic go away.
    git(cloud.main, "push", "-q", "origin", "codex/fix-login:main")
    git(b.main, "pull", "-q", "--ff-only")
    await wait_diagnostics(
        window.client,
        feat / "f.txt",
        lambda ds: not from_remote("codex/fix-login")(ds),
        "the merged remote branch dropping out",
        60,
    )


@deadline(90)
async def test_engine_reports_an_unreachable_remote(network: Network, windows) -> None:
    configure_background_fetch(network)
    b = network.machine("laptop")
    git(b.main, "remote", "set-url", "origin", str(network.root / "nowhere.git"))
    window = await windows(b.main)
    await window.wait_status(lambda s: s["self"] == "main", "main's status")
    common = b.main / ".git"
    for _ in range(200):
        client = connect(common)
        assert client is not None
        try:
            report = client.call("report", {}, timeout=10)
        finally:
            client.close()
        remotes = report.get("remotes") or []
        if remotes and remotes[0]["reachable"] is False:
            break
        import asyncio

        await asyncio.sleep(0.2)
    else:
        raise AssertionError("the engine never said the remote is unreachable")
    assert remotes[0]["error"] and remotes[0]["retry"]


@deadline(150)
async def test_unsaved_work_published_by_bs_engine_is_a_diagnostic_on_a(
    network: Network, windows
) -> None:
    """B's engine publishes (publish = true) an unsaved buffer; A's engine fetches it."""
    admin = network.machine("admin")
    admin.write(".agentls.toml", "[remote]\ninterval = 1\npublish = true\n")
    admin.commit("agentls: publish and fetch")
    admin.push("main:main")
    a, b = network.machine("alice"), network.machine("bob")
    a_feat, b_feat = a.worktree("login", "login"), b.worktree("billing", "billing")
    a.write("g.txt", edit_line(numbered(40), 8, "alice's eight"), a_feat)
    window_b = await windows(b_feat)
    await window_b.wait_status(lambda s: s["self"] == "billing", "bob's status")
    g_b = b_feat / "g.txt"
    window_b.open(g_b)
    window_b.change(g_b, edit_line(numbered(40), 8, "bob's unsaved eight"), 2)

    window_a = await windows(a_feat)
    found = await wait_diagnostics(
        window_a.client,
        a_feat / "g.txt",
        lambda ds: any("uncommitted work of bob (billing) on origin" in d.message for d in ds),
        "bob's unsaved work as a conflict on alice's machine",
        60,
    )
    assert any(d.code == "conflict" and d.range.start.line == 7 for d in found)
    assert g_b.read_text() == numbered(40)  # published from the buffer; nothing written
    assert "refs/agentls/wip/bob/billing" in git(network.server, "for-each-ref")
