"""rename, claim, release, priority: durable facts in the store, and their refusals."""

from __future__ import annotations

import pytest

from agentls.errors import AgentlsError
from agentls.lifecycle import (
    claim,
    fork_session,
    land,
    new_session,
    release,
    rename_session,
    restore_session,
    set_priority,
    write_handoff,
)
from agentls.workspace import Workspace
from tests.conftest import Repo, git
from tests.lifecycle.helpers import agentls, refs, snapshot_state, workspace


@pytest.fixture
def two(land_repo: Repo) -> Repo:
    with workspace(land_repo) as ws:
        new_session(ws, "auth")
        new_session(ws, "billing")
    return land_repo


def test_rename_shows_everywhere(two: Repo) -> None:
    with workspace(two) as ws:
        fork_session(ws, "probe", source="auth")
        assert rename_session(ws, "auth", "login") == {
            "ok": True,
            "old": "auth",
            "name": "login",
            "backups": [],
            "changed": True,
        }
        assert ws.session("login").path == two.root / "repo-auth"
        assert ws.session("probe").source == "login"
        handoff = write_handoff(ws, "login")
    # Another process (another window, the CLI) sees the new name at once.
    with Workspace(two.main) as other:
        names = {s.name for s in other.report().sessions} | {
            s.name for s in other.refresh().sessions
        }
        assert "login" in names and "auth" not in names
    text = (two.root / "repo-auth" / "HANDOFF.md").read_text()
    assert handoff["changed"] and "session login" in text and "session auth" not in text


def test_rename_refusals_change_nothing(two: Repo) -> None:
    with workspace(two) as ws:
        before = snapshot_state(two)
        with pytest.raises(AgentlsError, match="already used"):
            rename_session(ws, "auth", "billing")
        with pytest.raises(AgentlsError, match="invalid session name"):
            rename_session(ws, "auth", "a/b")
        with pytest.raises(AgentlsError, match="no session named 'ghost'"):
            rename_session(ws, "ghost", "x")
        assert snapshot_state(two) == before


def test_claims_refuse_overlap_unless_forced_and_release(two: Repo) -> None:
    with workspace(two) as ws:
        assert claim(ws, "auth", ["auth/**", "./shared/"])["claims"] == ["auth/**", "shared"]
        before = snapshot_state(two)
        with pytest.raises(AgentlsError, match="overlaps auth's claim 'auth/\\*\\*'"):
            claim(ws, "billing", ["auth/login.py"])
        assert snapshot_state(two) == before
        forced = claim(ws, "billing", ["auth/login.py"], force=True)
        assert forced["claims"] == ["auth/login.py"] and forced["shared"]
        with pytest.raises(AgentlsError, match="does not claim 'nope/\\*\\*'"):
            release(ws, "auth", ["nope/**"])
        assert release(ws, "auth", ["shared"])["claims"] == ["auth/**"]
        assert release(ws, "auth")["claims"] == []
        assert ws.session("auth").claims == []


@pytest.mark.parametrize(
    ("globs", "message"),
    [(["/abs/**"], "absolute"), (["../up/**"], "leaves"), ([""], "empty"), ("auth/**", "list")],
)
def test_bad_globs_refused(two: Repo, globs: object, message: str) -> None:
    with workspace(two) as ws:
        before = snapshot_state(two)
        with pytest.raises(AgentlsError, match=message):
            claim(ws, "auth", globs)  # type: ignore[arg-type]
        assert snapshot_state(two) == before


def test_priority(two: Repo) -> None:
    with workspace(two) as ws:
        set_priority(ws, "billing", -5)
        assert next(s.name for s in ws.sessions) == "billing"
        assert set_priority(ws, "auth", "7")["priority"] == 7
        before = snapshot_state(two)
        for bad in ("high", 1.5, True, 10**9, None):
            with pytest.raises(AgentlsError, match="invalid priority"):
                set_priority(ws, "auth", bad)
        assert snapshot_state(two) == before


def test_rename_moves_backups_so_restore_finds_them(two: Repo) -> None:
    wt = two.root / "repo-auth"
    two.write(wt, "a.txt", "a\n")
    old_head = two.commit(wt, "auth work")
    two.write(two.main, "t.txt", "t\n")
    two.commit(two.main, "trunk moved")
    with workspace(two) as ws:
        landed = land(ws, "auth")
        assert landed["ok"], landed
        stamp = landed["backup"].rsplit("/", 1)[1]
        # A backup left by an earlier, removed session called "login" with the same stamp.
        git(two.main, "update-ref", f"refs/agentls/backup/login/{stamp}", "main")
        renamed = rename_session(ws, "auth", "login")
        assert sorted(renamed["backups"]) == [f"refs/agentls/backup/login/{stamp}-2"]
        assert not [r for r in refs(two) if r.startswith("refs/agentls/backup/auth/")]
        # Both backups survive; the journal (and so HANDOFF.md) names the moved ref.
        assert refs(two)[f"refs/agentls/backup/login/{stamp}-2"] == old_head
        assert f"refs/agentls/backup/login/{stamp}" in refs(two)
        write_handoff(ws, "login")
        restored = restore_session(ws, "login", f"{stamp}-2")
    assert restored["new"] == old_head and git(wt, "rev-parse", "HEAD") == old_head
    text = (wt / "HANDOFF.md").read_text()
    assert f"refs/agentls/backup/login/{stamp}-2" in text and "backup/auth/" not in text


def test_cli_rename_says_backups_moved(two: Repo) -> None:
    wt = two.root / "repo-auth"
    two.write(wt, "a.txt", "a\n")
    two.commit(wt, "auth work")
    assert agentls(two.main, "land", "auth").returncode == 0
    renamed = agentls(two.main, "rename", "auth", "login")
    assert renamed.returncode == 0, renamed.stderr
    assert renamed.stdout.strip() == "renamed auth to login (moved 1 backup ref along)"
    assert agentls(two.main, "restore", "login").returncode == 0
