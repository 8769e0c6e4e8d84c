"""Two editor windows on two worktrees of one repository, through the real server."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.conftest import Repo, numbered
from tests.server.conftest import (
    agentls_diagnostics,
    deadline,
    uri,
    wait_diagnostics,
)


def edit_line(text: str, line: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    lines[line - 1] = new + "\n"
    return "".join(lines)


def two_worktrees(repo: Repo) -> tuple[Path, Path]:
    repo.write(repo.main, "f.txt", numbered(40))
    repo.write(repo.main, "g.txt", numbered(40))
    repo.commit(repo.main, "base")
    return repo.worktree("a", branch="a"), repo.worktree("b", branch="b")


def conflicts_with(name: str) -> Any:
    return lambda ds: any(d.code == "conflict" and f"session {name} " in d.message for d in ds)


@deadline(90)
async def test_saved_then_unsaved_conflicts_reach_the_other_window(repo: Repo, windows) -> None:
    a, b = two_worktrees(repo)
    original = numbered(40)
    win_a = await windows(a)
    win_b = await windows(b)
    await win_b.wait_status(lambda s: s["self"] == "b" and len(s["sessions"]) == 3, "B's status")
    await win_a.wait_status(lambda s: s["self"] == "a", "A's status")

    # B saves a change to line 10; A saves a different one: B must see a conflict.
    repo.write(b, "f.txt", edit_line(original, 10, "b's line ten"))
    repo.write(a, "f.txt", edit_line(original, 10, "a's line ten\nand one more"))
    found = await wait_diagnostics(win_b.client, b / "f.txt", conflicts_with("a"), "conflict in B")
    (diag,) = found
    assert diag.source == "agentls" and diag.code == "conflict"
    assert diag.severity == types.DiagnosticSeverity.Warning
    assert (diag.range.start.line, diag.range.end.line) == (9, 9)  # B's line 10, 0-based
    assert diag.range.end.character == len("b's line ten")
    # A session on a branch of its own name is named once ("session a", not "a (a)").
    assert "conflicts with session a at lines 10–11;" in diag.message, diag.message
    assert diag.related_information
    related = diag.related_information[0]
    assert related.location.uri == uri(a / "f.txt")
    assert related.location.range.start.line == 9
    assert diag.data["other"] == "a" and diag.data["otherRanges"] == [[10, 11]]
    # A sees the mirror image.
    mirror = await wait_diagnostics(win_a.client, a / "f.txt", conflicts_with("b"), "conflict in A")
    assert (mirror[0].range.start.line, mirror[0].range.end.line) == (9, 10)

    # Unsaved: A types into g.txt (never saved) against B's saved change.
    repo.write(b, "g.txt", edit_line(original, 20, "b's twenty"))
    g_in_a = a / "g.txt"
    win_a.open(g_in_a)
    win_a.change(g_in_a, edit_line(original, 20, "a's unsaved twenty"), 2)
    found = await wait_diagnostics(
        win_b.client, b / "g.txt", conflicts_with("a"), "unsaved edit in A seen by B"
    )
    assert found[0].range.start.line == 19
    assert g_in_a.read_text() == original  # nothing was written to A's worktree

    # Undo the unsaved edit: the conflict clears in B.
    win_a.change(g_in_a, original, 3)
    await wait_diagnostics(win_b.client, b / "g.txt", lambda ds: not ds, "cleared after undo")

    # The code actions on B's diagnostic.
    actions = await win_b.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(b / "f.txt")),
            range=diag.range,
            context=types.CodeActionContext(diagnostics=[diag]),
        )
    )
    assert actions is not None
    titles = [a.title for a in actions if isinstance(a, types.CodeAction)]
    assert any("open a's version" in t for t in titles), titles
    assert any("compare with a's version" in t for t in titles), titles
    assert any("claim f.txt for b" in t for t in titles), titles
    assert any("write b's handoff note (HANDOFF.md in this worktree)" in t for t in titles), titles
    compare = next(x for x in actions if isinstance(x, types.CodeAction) and "compare" in x.title)
    assert compare.command is not None
    result = await win_b.command(compare.command.command, *compare.command.arguments or [])
    assert "-b's line ten" in result["diff"] and "+a's line ten" in result["diff"]
    assert Path(result["path"]).is_file() and not str(result["path"]).startswith(str(b))
    # The handoff quick fix writes this session's notes, never the other's worktree.
    handoff = next(x for x in actions if isinstance(x, types.CodeAction) and "handoff" in x.title)
    assert handoff.command is not None
    written = await win_b.command(handoff.command.command, *handoff.command.arguments or [])
    assert written["path"] == str(b / "HANDOFF.md") and not (a / "HANDOFF.md").exists()
    opened = next(x for x in actions if isinstance(x, types.CodeAction) and "open" in x.title)
    assert opened.command is not None
    await win_b.command(opened.command.command, *opened.command.arguments or [])
    shown = win_b.client.shown_documents[-1]
    assert shown.uri == uri(a / "f.txt") and shown.selection is not None
    assert shown.selection.start.line == 9


@deadline(120)
async def test_git_operations_update_diagnostics(repo: Repo, windows) -> None:
    a, b = two_worktrees(repo)
    original = numbered(40)
    win_b = await windows(b)
    await win_b.wait_status(lambda s: s["self"] == "b", "B's status")
    f_b = b / "f.txt"

    # Commit: B commits its change, A commits a conflicting one; the conflict stays.
    repo.write(b, "f.txt", edit_line(original, 5, "b five"))
    repo.commit(b, "b's change")
    repo.write(a, "f.txt", edit_line(original, 5, "a five"))
    repo.commit(a, "a's change")
    await wait_diagnostics(win_b.client, f_b, conflicts_with("a"), "conflict after commits")

    # Checkout: A goes back to main's state; the conflict goes away.
    repo.git(a, "checkout", "-q", "--detach", "main")
    await wait_diagnostics(win_b.client, f_b, lambda ds: not ds, "cleared after A's checkout")

    # Rebase: A takes B's exact change (an overlap), then B rebases onto A and its
    # commit becomes empty: the overlap disappears.
    repo.git(a, "checkout", "-q", "a")
    repo.git(a, "reset", "-q", "--hard", "main")
    repo.write(a, "f.txt", edit_line(original, 5, "b five"))
    repo.commit(a, "same change")
    await wait_diagnostics(
        win_b.client, f_b, lambda ds: any(d.code == "overlap" for d in ds), "overlap"
    )
    repo.git(b, "rebase", "-q", "a")
    await wait_diagnostics(win_b.client, f_b, lambda ds: not ds, "cleared after the rebase")

    # Worktree add: a new session with a conflicting change appears...
    repo.write(b, "f.txt", edit_line(original, 30, "b thirty"))
    c = repo.worktree("c", branch="c")
    repo.write(c, "f.txt", edit_line(original, 30, "c thirty"))
    await wait_diagnostics(win_b.client, f_b, conflicts_with("c"), "conflict with new session c")
    # ...and is renamed: messages use the new name.
    renamed = await win_b.command("agentls.session.rename", {"session": "c", "name": "charlie"})
    assert renamed["ok"] is True
    await wait_diagnostics(win_b.client, f_b, conflicts_with("charlie"), "renamed session")
    # ...and removed: the conflict goes away.
    repo.git(repo.main, "worktree", "remove", "--force", str(c))
    await wait_diagnostics(win_b.client, f_b, lambda ds: not ds, "cleared after worktree remove")


@deadline(60)
async def test_trunk_conflict_and_settings(repo: Repo, windows) -> None:
    _a, b = two_worktrees(repo)
    original = numbered(40)
    # Severity override and an ignore glob through initializationOptions.
    win_b = await windows(b, options={"severity": {"trunk-conflict": "error"}, "ignore": ["g.txt"]})
    # The engine's start-up is staged (open files first): start from its complete picture.
    await win_b.wait_status(lambda s: s["self"] == "b" and s["complete"], "B's status")
    repo.write(b, "f.txt", edit_line(original, 7, "b seven"))
    repo.write(b, "g.txt", edit_line(original, 7, "b seven"))
    # Work already on trunk: main commits conflicting changes.
    repo.write(repo.main, "f.txt", edit_line(original, 7, "main seven"))
    repo.write(repo.main, "g.txt", edit_line(original, 7, "main seven"))
    repo.commit(repo.main, "trunk moves")
    found = await wait_diagnostics(
        win_b.client,
        b / "f.txt",
        lambda ds: any(d.code == "conflict" and d.data.get("via") == "trunk" for d in ds),
        "conflict via trunk",
    )
    # One vocabulary: the code is the kind (as in the report and the Sessions view);
    # "via trunk" is a label with its own severity setting.
    assert found[0].severity == types.DiagnosticSeverity.Error
    assert found[0].data["kind"] == "conflict"
    assert found[0].message.startswith("conflicts with main (already on trunk) at line 7;")
    assert "rebase onto main" in found[0].message and "session main" not in found[0].message
    # Both files collide (g.txt is only hidden in the editor); the watcher may bring
    # g.txt's edit in a later report than f.txt's, so wait for it rather than assume it.
    await win_b.wait_status(
        lambda s: s["counts"]["conflict"] >= 1 and s["total"] >= 2 and s["complete"],
        "both files counted",
    )
    assert agentls_diagnostics(win_b.client, b / "g.txt") == []
    result = await win_b.command("agentls.sessions", {})
    assert result["self"] == "b"
    paths = {c["path"] for c in result["report"]["overlaps"]}
    assert {"f.txt", "g.txt"} <= paths


def test_self_session_is_the_deepest_worktree_holding_the_folder() -> None:
    from agentls.server.diagnostics import self_session

    report = {
        "sessions": [
            {"name": "main", "path": "/r/main"},
            {"name": "s1", "path": "/r/s1"},
            {"name": "nested", "path": "/r/main/sub/wt"},
            {"name": "s10", "path": "/r/s10/"},
        ]
    }
    found = {
        folder: (self_session(report, Path(folder)) or {}).get("name")
        for folder in ("/r/main", "/r/main/pkg", "/r/main/sub/wt/x", "/r/s10/a", "/r/s1", "/r")
    }
    assert found == {
        "/r/main": "main",
        "/r/main/pkg": "main",
        "/r/main/sub/wt/x": "nested",
        "/r/s10/a": "s10",  # not s1: a folder name, not a string prefix
        "/r/s1": "s1",
        "/r": None,
    }


def _age(path: Path, seconds: float) -> None:
    """Date PATH's mtime SECONDS back (ctime moves to now: a changed inode)."""
    stamp = path.stat().st_mtime - seconds
    os.utime(path, (stamp, stamp))


def test_line_lengths_of_an_unchanged_file_are_read_once(tmp_path: Path) -> None:
    from agentls.server.diagnostics import read_line_lengths

    path = tmp_path / "f.txt"
    path.write_text("one\ntwo\n")
    _age(path, 10)
    first = read_line_lengths(path)
    assert first is not None and list(first) == [3, 3, 0]
    assert read_line_lengths(path) is first  # a stat, not a read


def test_line_lengths_follow_every_change_of_the_file(tmp_path: Path) -> None:
    from agentls.server.diagnostics import read_line_lengths

    def lengths(path: Path) -> list[int] | None:
        found = read_line_lengths(path)
        return None if found is None else list(found)

    path = tmp_path / "f.txt"
    path.write_text("one\ntwo\n")
    _age(path, 10)
    assert lengths(path) == [3, 3, 0]
    # Same size, and dated as before: the change is still seen (ctime, or a new inode).
    old = path.stat().st_mtime
    path.write_text("onetwo\n\n")
    os.utime(path, (old, old))
    assert lengths(path) == [6, 0, 0]
    replacement = tmp_path / "f.new"
    replacement.write_text("o\nt\nxyz\n")
    os.replace(replacement, path)
    _age(path, 10)
    assert lengths(path) == [1, 1, 3, 0]
    path.unlink()
    assert lengths(path) is None


def test_line_lengths_of_a_file_just_written_are_read_again(tmp_path: Path) -> None:
    from agentls.server.diagnostics import read_line_lengths

    # Written within the timestamp's granularity, a same-size change can keep every
    # stat field but ctime's coarse tick: such a file is never taken from memory.
    path = tmp_path / "f.txt"
    path.write_text("one\ntwo\n")
    first = read_line_lengths(path)
    assert first is not None and list(first) == [3, 3, 0]
    assert read_line_lengths(path) is not first


def test_a_long_list_of_the_other_sides_lines_is_named_in_part(tmp_path: Path) -> None:
    """Release branches differ in thousands of places in a file: the message names six
    of the other side's ranges and how many more, and links those six; every range of
    this side still gets its diagnostic, and `otherRanges` keeps them all."""
    from agentls.server.diagnostics import build
    from agentls.server.settings import Settings
    from agentls.vocabulary import SHOWN_RANGES

    theirs = [[n * 10, n * 10 + 1] for n in range(1, 41)]
    own = [[n * 10 + 5, n * 10 + 5] for n in range(1, 31)]
    sessions = [
        {"name": name, "path": str(tmp_path / name), "branch": name, "role": "code"}
        for name in ("a", "b")
    ]
    report = {
        "trunk": {"branch": "main"},
        "sessions": sessions,
        "overlaps": [
            {
                "kind": "conflict",
                "path": "big.py",
                "sessions": ["a", "b"],
                "ranges": {"a": own, "b": theirs},
                "detail": ["contents"],
            }
        ],
    }
    [(file, diagnostics)] = build(report, sessions[0], Settings(), lambda _: None).items()
    assert file == tmp_path / "a" / "big.py" and len(diagnostics) == len(own)
    first = diagnostics[0]
    shown = "lines 10–11, 20–21, 30–31, 40–41, 50–51, 60–61"
    assert f"at {shown} and {40 - SHOWN_RANGES} more" in first.message, first.message
    assert len(first.related_information or []) == SHOWN_RANGES
    assert first.data["otherRanges"] == theirs
