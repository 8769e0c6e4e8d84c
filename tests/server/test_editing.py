"""Editor-like use of the real server: incremental edits, encodings, shared buffers, CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.conftest import Repo, numbered
from tests.server.conftest import Window, deadline, uri, wait_diagnostics


def _setup(repo: Repo, *names: str) -> list[Path]:
    repo.write(repo.main, "f.txt", numbered(20))
    repo.commit(repo.main, "base")
    return [repo.worktree(n, branch=n) for n in names]


def replace_line(window: Window, path: Path, line: int, old: str, new: str, version: int) -> None:
    """An incremental didChange, as editors send it: the text of LINE (1-based) replaced."""
    window.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri(path), version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        types.Position(line - 1, 0), types.Position(line - 1, len(old))
                    ),
                    text=new,
                )
            ],
        )
    )


def close(window: Window, path: Path) -> None:
    window.client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri(path)))
    )


async def engine_view(window: Window, name: str) -> dict[str, Any]:
    """Session NAME as the engine sees it once everything this window sent is applied.

    `agentls.refresh` queues behind this window's buffer notifications: a barrier.
    """
    result = await window.command("agentls.refresh", {})
    return next(s for s in result["report"]["sessions"] if s["name"] == name)


def cli(folder: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "agentls", "-C", str(folder), *args],
        check=True,
        capture_output=True,
        timeout=60,
    )


@deadline(60)
async def test_untouched_crlf_and_non_utf8_files_are_not_edits(repo: Repo, windows) -> None:
    crlf = "".join(f"line {i}\r\n" for i in range(1, 21))
    (repo.main / "crlf.txt").write_bytes(crlf.encode())
    (repo.main / "latin1.txt").write_bytes("café\n".encode("latin-1") * 5)
    (repo.main / "bom.txt").write_bytes(b"\xef\xbb\xbfhello\n")
    (a,) = _setup(repo, "a")
    window = await windows(a)
    await window.wait_status(lambda s: s["self"] == "a", "status")
    # What editors send: CRLF kept, Latin-1 decoded, the UTF-8 BOM stripped.
    window.open(a / "crlf.txt", crlf)
    window.open(a / "latin1.txt", "café\n" * 5)
    window.open(a / "bom.txt", "hello\n")
    me = await engine_view(window, "a")
    assert me["changed"] == [] and not me["dirty"], me
    # An agent rewrites the open (unmodified) CRLF file: the engine must see it.
    (a / "crlf.txt").write_bytes(crlf.replace("line 3", "agent 3").encode())
    await window.wait_status(
        lambda s: any(x["name"] == "a" and x["changed"] == 1 for x in s["sessions"]),
        "the agent's write to an open file counted",
    )
    assert (await engine_view(window, "a"))["changed"] == ["crlf.txt"]


@deadline(60)
async def test_incremental_edit_of_a_latin1_file_changes_only_that_line(
    repo: Repo, windows
) -> None:
    text = "".join(f"ligne {i} café\n" for i in range(1, 11))
    (repo.main / "l.txt").write_bytes(text.encode("latin-1"))
    a, b = _setup(repo, "a", "b")
    (b / "l.txt").write_bytes(text.replace("ligne 3 ", "b trois ").encode("latin-1"))
    window = await windows(a)
    await window.wait_status(lambda s: s["self"] == "a", "status")
    window.open(a / "l.txt", text)
    replace_line(window, a / "l.txt", 3, "ligne 3 café", "a trois éé", 2)
    found = await wait_diagnostics(
        window.client, a / "l.txt", lambda ds: any(d.code == "conflict" for d in ds), "conflict"
    )
    (diag,) = found
    # Only line 3 differs: the other lines' é still match the disk's Latin-1 bytes.
    assert diag.data["ranges"] == [[3, 3]] and diag.data["otherRanges"] == [[3, 3]], diag.data
    assert (a / "l.txt").read_bytes() == text.encode("latin-1")  # nothing written


@deadline(60)
async def test_one_file_unsaved_in_two_windows(repo: Repo, windows) -> None:
    a, b = _setup(repo, "a", "b")
    first, second, other = await windows(a), await windows(a), await windows(b)
    for window, name in ((first, "a"), (second, "a"), (other, "b")):
        await window.wait_status(lambda s, n=name: s["self"] == n, f"{name}'s status")
    repo.write(b, "f.txt", numbered(20).replace("line 5\n", "b five\n"))
    f = a / "f.txt"
    first.open(f)
    second.open(f)
    replace_line(first, f, 5, "line 5", "first five", 2)
    await wait_diagnostics(
        other.client, b / "f.txt", lambda ds: [d.code for d in ds] == ["conflict"], "conflict"
    )
    replace_line(second, f, 10, "line 10", "second ten", 2)  # the latest edit shows
    await wait_diagnostics(
        other.client, b / "f.txt", lambda ds: [d.code for d in ds] == ["overlap"], "overlap"
    )
    # The second window discards its edit: the first window's unsaved text counts again.
    close(second, f)
    await wait_diagnostics(
        other.client, b / "f.txt", lambda ds: [d.code for d in ds] == ["conflict"], "back"
    )
    assert (await engine_view(first, "a"))["changed"] == ["f.txt"]
    # The first one discards too: the disk (untouched) is the truth.
    close(first, f)
    await wait_diagnostics(other.client, b / "f.txt", lambda ds: not ds, "cleared")


@deadline(60)
async def test_cli_rename_and_claim_reach_open_windows(repo: Repo, windows) -> None:
    a, b = _setup(repo, "a", "b")
    sub = a / "sub"
    sub.mkdir()
    window = await windows(sub)  # a window on a subfolder of a worktree
    other = await windows(b)
    await window.wait_status(lambda s: s["self"] == "a", "a's status")
    await other.wait_status(lambda s: s["self"] == "b", "b's status")
    repo.write(a, "f.txt", numbered(20).replace("line 5\n", "a five\n"))
    repo.write(b, "f.txt", numbered(20).replace("line 5\n", "b five\n"))
    await wait_diagnostics(
        other.client, b / "f.txt", lambda ds: any("session a at" in d.message for d in ds), "a"
    )
    cli(a, "rename", "a", "alpha")
    await window.wait_status(lambda s: s["self"] == "alpha", "the new name in a's window")
    await wait_diagnostics(
        other.client,
        b / "f.txt",
        lambda ds: any("session alpha (a)" in d.message for d in ds),
        "the new name in b's diagnostic",
    )
    cli(b, "claim", "b", "f.txt")
    await wait_diagnostics(
        window.client,
        a / "f.txt",
        lambda ds: any(d.code == "ownership" and "claimed by session b" in d.message for d in ds),
        "b's claim seen in a's window",
    )
