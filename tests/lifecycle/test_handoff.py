"""HANDOFF.md: generated between markers, everything else kept byte for byte, idempotent."""

from __future__ import annotations

import pytest

from agentls.errors import AgentlsError
from agentls.lifecycle import claim, new_session, write_handoff
from agentls.lifecycle.handoff import BEGIN, END
from tests.conftest import Repo
from tests.lifecycle.helpers import workspace


@pytest.fixture
def pair(land_repo: Repo) -> Repo:
    with workspace(land_repo) as ws:
        new_session(ws, "auth", claims=["auth/**"])
        new_session(ws, "billing")
    auth, billing = land_repo.root / "repo-auth", land_repo.root / "repo-billing"
    land_repo.write(auth, "app.txt", "auth\n" + "".join(f"line {i}\n" for i in range(2, 21)))
    land_repo.commit(auth, "auth edits line 1")
    land_repo.write(billing, "app.txt", "billing\n" + "".join(f"line {i}\n" for i in range(2, 21)))
    land_repo.write(billing, "auth/token.py", "x = 1\n")
    return land_repo


def test_handoff_content_and_idempotence(pair: Repo) -> None:
    path = pair.root / "repo-billing" / "HANDOFF.md"
    with workspace(pair) as ws:
        first = write_handoff(ws, "billing")
    assert first == {"ok": True, "session": "billing", "path": str(path), "changed": True}
    text = path.read_text()
    assert text.startswith(BEGIN) and text.rstrip().endswith(END)
    for expected in (
        "session billing",
        "- Branch: `billing`",
        "Distance to trunk: 0 ahead, 0 behind",
        "- `app.txt`",
        "- `auth/token.py`",
        "conflict `app.txt` with auth (auth): here L1, there L1",
        "ownership `auth/token.py`",
        "never landed",
        "Read HANDOFF.md and continue. You are session billing on branch billing.",
    ):
        assert expected in text, expected
    data = path.read_bytes()
    with workspace(pair) as ws:  # a new process, same state: same bytes
        assert write_handoff(ws, "billing")["changed"] is False
        assert write_handoff(ws, "billing")["changed"] is False
    assert path.read_bytes() == data


def test_bytes_outside_markers_are_preserved(pair: Repo) -> None:
    path = pair.root / "repo-auth" / "HANDOFF.md"
    before = b"# My notes\r\n\r\nweird bytes \xff\xfe and no final newline"
    path.write_bytes(before)
    with workspace(pair) as ws:
        write_handoff(ws, "auth")
    data = path.read_bytes()
    assert data.startswith(before + b"\n\n" + BEGIN.encode())
    # The agent adds notes after the section; the next write keeps them and the prefix.
    after = b"\n\n## Later notes\ntrailing \x00 bytes\n"
    path.write_bytes(data + after)
    with workspace(pair) as ws:
        claim(ws, "auth", ["docs/**"])  # the state changes, so the section changes
        assert write_handoff(ws, "auth")["changed"] is True
    final = path.read_bytes()
    assert final.startswith(before + b"\n\n" + BEGIN.encode())
    assert final.endswith(END.encode() + b"\n" + after)
    assert b"`docs/**`" in final


def test_broken_markers_refused_and_file_untouched(pair: Repo) -> None:
    path = pair.root / "repo-auth" / "HANDOFF.md"
    path.write_text(f"notes\n{BEGIN}\nhalf a section\n")
    before = path.read_bytes()
    with workspace(pair) as ws, pytest.raises(AgentlsError, match="broken agentls section"):
        write_handoff(ws, "auth")
    assert path.read_bytes() == before


def test_handoff_refuses_missing_folder(pair: Repo) -> None:
    import shutil

    shutil.rmtree(pair.root / "repo-billing")
    with workspace(pair) as ws, pytest.raises(AgentlsError, match="is gone"):
        write_handoff(ws, "billing")
