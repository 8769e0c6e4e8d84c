"""HANDOFF.md: generated between markers, everything else kept byte for byte, idempotent."""

from __future__ import annotations

import pytest

from agentls.errors import AgentlsError
from agentls.lifecycle import claim, fork_session, land, new_session, write_handoff
from agentls.lifecycle.handoff import BEGIN, END
from tests.conftest import Repo, git
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
    assert first == {
        "ok": True,
        "session": "billing",
        "path": str(path),
        "changed": True,
        "tracked": False,
    }
    text = path.read_text()
    assert text.startswith(BEGIN) and text.rstrip().endswith(END)
    for expected in (
        "session billing",
        "- Branch: `billing`",
        "Distance to trunk: 0 ahead, 0 behind",
        "- `app.txt`",
        "- `auth/token.py`",
        "conflict `app.txt` with auth: here L1, there L1",
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


def _prompt(text: str) -> str:
    return text.split("### Resume prompt", 1)[1].split("```text\n", 1)[1].split("\n```", 1)[0]


def test_research_fork_handoff_reads_sensibly(pair: Repo) -> None:
    with workspace(pair) as ws:
        fork_session(ws, "probe", source="billing")
    probe = pair.root / "repo-probe"
    pair.write(probe, "notes.txt", "a finding\n")
    with workspace(pair) as ws:
        text = (probe / "HANDOFF.md").read_text() if write_handoff(ws, "probe") else ""
    assert "- research-write `notes.txt`: this fork changed it (L1)" in text
    assert "with probe" not in text  # the fork is not its own "other session"
    assert "research forks are never landed" in text and "- never landed" not in text
    prompt = _prompt(text)
    assert prompt.startswith("Read HANDOFF.md and continue. You are session probe (a research")
    assert "()" not in prompt and "Other sessions" not in prompt


def test_ownership_lines_say_who_owns_and_who_writes(pair: Repo) -> None:
    with workspace(pair) as ws:
        write_handoff(ws, "auth")
        write_handoff(ws, "billing")
    owner = (pair.root / "repo-auth" / "HANDOFF.md").read_text()
    writer = (pair.root / "repo-billing" / "HANDOFF.md").read_text()
    assert (
        "- ownership `auth/token.py`: billing changes L1 of a file you claim (`auth/**`)" in owner
    )
    assert "- ownership `auth/token.py`: you change L1 of a file auth claims (`auth/**`)" in writer
    # billing's work is uncommitted; auth's is committed.
    assert "- `auth/token.py` (uncommitted)" in writer and "- `app.txt` (uncommitted)" in writer
    assert "- `app.txt`\n" in owner


def test_open_rebase_handoff_names_the_branch_and_the_next_step(pair: Repo) -> None:
    billing = pair.root / "repo-billing"
    pair.commit(billing, "billing work")
    with workspace(pair) as ws:
        assert land(ws, "auth")["ok"]
        result = land(ws, "billing", keep_open=True)
        assert result["ok"] is False
    text = (billing / "HANDOFF.md").read_text()
    git(billing, "rebase", "--abort")
    assert "- Branch: `billing` — a rebase is in progress" in text
    prompt = _prompt(text)
    assert prompt.startswith("Read HANDOFF.md and continue. You are session billing on branch")
    assert "research fork" not in prompt
    assert "Restructure your changes" in prompt
    assert "`git rebase --continue`" in prompt and "`agentls land billing` again" in prompt


def test_failed_tests_output_reaches_the_handoff(pair: Repo) -> None:
    pair.write(pair.main, "pyproject.toml", '[tool.agentls.land]\ntest = "echo boom-42; exit 3"\n')
    pair.commit(pair.main, "failing test command")
    auth = pair.root / "repo-auth"
    (auth / "HANDOFF.md").write_text("my notes\n")
    with workspace(pair) as ws:
        result = land(ws, "auth")
    assert result["ok"] is False and result["handoff"] == str(auth / "HANDOFF.md")
    text = (auth / "HANDOFF.md").read_text()
    assert text.startswith("my notes\n")
    assert "```text\nboom-42\n```" in text
    prompt = _prompt(text)
    assert "Your last land failed: test `echo boom-42; exit 3` failed (exit 3)" in prompt
    assert "`agentls land auth` again" in prompt
