"""agentls's own files (notes, hook configuration) are never a session's work.

Each test is one defect of issue 11 ("agentls's own files are not the user's work"),
played through the real CLI or the lifecycle functions on a real repository.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agentls.errors import AgentlsError
from agentls.lifecycle import (
    claim,
    fork_session,
    land,
    land_all,
    new_session,
    remove_session,
    rename_session,
    restore_session,
    set_priority,
    write_handoff,
)
from agentls.session_files import BEGIN
from tests.conftest import Repo, git
from tests.lifecycle.helpers import agentls, workspace

SNAPSHOT_AUTHOR = "agentls@localhost"


def lines(text: str, first: str) -> str:
    return first + "\n" + "".join(f"line {i}\n" for i in range(2, 21))


def authors(cwd: Path, revs: str) -> list[str]:
    return git(cwd, "log", "--format=%ae", revs).split()


@pytest.fixture
def fake_agents(tmp_path: Path) -> dict[str, str]:
    """`claude` and `codex` programs on PATH (they do nothing): `new --agent` needs one."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("claude", "codex"):
        program = bin_dir / name
        program.write_text("#!/bin/sh\nexit 0\n")
        program.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def test_handoff_from_a_refused_land_blocks_neither_land_nor_remove(land_repo: Repo) -> None:
    assert agentls(land_repo.main, "new", "s1").returncode == 0
    assert agentls(land_repo.main, "new", "s2").returncode == 0
    s1, s2 = land_repo.root / "repo-s1", land_repo.root / "repo-s2"
    land_repo.write(s1, "app.txt", lines("", "s1"))
    land_repo.commit(s1, "s1")
    land_repo.write(s2, "app.txt", lines("", "s2"))
    land_repo.commit(s2, "s2")
    assert agentls(land_repo.main, "land", "s1").returncode == 0
    refused = agentls(land_repo.main, "land", "s2")
    assert refused.returncode == 1 and "conflicts with main in app.txt" in refused.stdout
    assert (s2 / "HANDOFF.md").is_file()
    assert git(s2, "status", "--porcelain") == ""  # a note, not uncommitted work
    # The agent resolves: rebase onto trunk, take both lines, continue.
    git(s2, "rebase", "main", check=False)
    land_repo.write(s2, "app.txt", lines("", "s1 and s2"))
    git(s2, "add", "app.txt")
    git(s2, "-c", "core.editor=true", "rebase", "--continue")
    landed = agentls(land_repo.main, "land", "s2")
    assert landed.returncode == 0, landed.stdout + landed.stderr
    status = json.loads(agentls(land_repo.main, "status", "--json", check=True).stdout)
    s2_info = next(s for s in status["sessions"] if s["name"] == "s2")
    assert s2_info["changed"] == [] and s2_info["dirty"] is False
    removed = agentls(land_repo.main, "remove", "s2")
    assert removed.returncode == 0, removed.stderr
    assert git(land_repo.main, "status", "--porcelain") == ""


def test_asked_for_handoff_blocks_no_later_remove(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        new_session(ws, "done")
        wt = land_repo.root / "repo-done"
        land_repo.write(wt, "done.txt", "done\n")
        land_repo.commit(wt, "done")
        assert land(ws, "done")["ok"]
        write_handoff(ws, "done")  # as the CLI, the MCP tool or a code action would
        write_handoff(ws, "main")  # trunk's checkout, asked for by name
        assert git(land_repo.main, "status", "--porcelain") == ""
        assert remove_session(ws, "done")["forced"] is False


def test_agent_hook_files_are_not_work(land_repo: Repo, fake_agents: dict[str, str]) -> None:
    for name in ("auth", "billing"):
        made = agentls(land_repo.main, "new", name, "--agent", "claude", env=fake_agents)
        assert made.returncode == 0, made.stderr
        assert ".claude/settings.local.json: created" in made.stdout
    auth, billing = land_repo.root / "repo-auth", land_repo.root / "repo-billing"
    for wt in (auth, billing):
        assert not (wt / ".claude/settings.json").exists()  # the shared, committed file
        settings = json.loads((wt / ".claude/settings.local.json").read_text())
        assert "agentls hook claude" in json.dumps(settings["hooks"])
        assert git(wt, "status", "--porcelain") == ""
    # An agent that commits everything does not commit agentls's files.
    land_repo.write(auth, "auth.txt", "auth\n")
    land_repo.commit(auth, "auth work")  # git add -A
    assert git(auth, "show", "--name-only", "--format=", "HEAD") == "auth.txt"
    land_repo.write(billing, "billing.txt", "billing\n")
    status = json.loads(agentls(land_repo.main, "status", "--json", check=True).stdout)
    assert status["overlaps"] == []  # no `overlap .claude/settings.local.json`
    landed = agentls(land_repo.main, "land", "auth")
    assert landed.returncode == 0, landed.stdout + landed.stderr
    assert ".claude" not in git(land_repo.main, "ls-files")


def test_session_start_context_names_no_agentls_file(
    land_repo: Repo, fake_agents: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("auth", "billing"):
        agentls(land_repo.main, "new", name, "--agent", "claude", env=fake_agents, check=True)
    auth, billing = land_repo.root / "repo-auth", land_repo.root / "repo-billing"
    land_repo.write(billing, "app.txt", lines("", "billing"))
    with workspace(land_repo) as ws:
        write_handoff(ws, "billing")
        write_handoff(ws, "auth")
    from agentls.agents.runner import run_hook

    payload = {"hook_event_name": "SessionStart", "cwd": str(auth), "session_id": "x"}
    monkeypatch.setenv("AGENTLS_NO_ENGINE", "1")
    text, code = run_hook("claude", json.dumps(payload))
    assert code == 0
    context = json.loads(text)["hookSpecificOutput"]["additionalContext"]
    assert "billing (1 files)" in context
    assert ".claude" not in context and "HANDOFF" not in context.split("agentls stops")[0]


def test_restore_brings_back_real_work_notes_and_facts(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        new_session(ws, "auth", branch="feat/auth", claims=["auth/**"])
        set_priority(ws, "auth", 7)
    wt = land_repo.root / "repo-auth"
    land_repo.write(wt, "auth/login.py", "login = 1\n")
    head = land_repo.commit(wt, "auth: login")
    land_repo.write(wt, "auth/token.py", "draft\n")  # uncommitted
    land_repo.write(wt, "app.txt", "changed, not committed\n")
    with workspace(land_repo) as ws:
        write_handoff(ws, "auth")
        notes = (wt / "HANDOFF.md").read_text().replace(BEGIN, "# my notes\n" + BEGIN, 1)
        (wt / "HANDOFF.md").write_text(notes)
        backup = remove_session(ws, "auth", force=True)["backup"]
    # The backup keeps the uncommitted files, never the note.
    assert git(land_repo.main, "show", f"{backup}:auth/token.py") == "draft"
    assert "HANDOFF.md" not in git(land_repo.main, "ls-tree", "-r", "--name-only", backup)
    restored = agentls(land_repo.main, "restore", "auth")
    assert restored.returncode == 2 and f"agentls new auth --from {backup}" in restored.stderr
    made = agentls(land_repo.main, "new", "auth", "--from", backup, "--json")
    assert made.returncode == 0, made.stderr
    result = json.loads(made.stdout)
    assert result["restored"]["uncommitted"] is True
    assert result["restored"]["files"] == ["HANDOFF.md"]
    # Real commits only: the branch is back at the session's head, on its old branch.
    assert git(wt, "rev-parse", "HEAD") == head
    assert git(wt, "rev-parse", "--abbrev-ref", "HEAD") == "feat/auth"
    assert SNAPSHOT_AUTHOR not in authors(wt, "main..HEAD")
    # The uncommitted files are uncommitted again; the notes are back, still a note.
    assert git(wt, "diff", "--name-only") == "app.txt"
    assert git(wt, "ls-files", "--others", "--exclude-standard") == "auth/token.py"
    assert git(wt, "diff", "--cached", "--name-only") == ""
    assert (wt / "HANDOFF.md").read_text() == notes
    land_repo.commit(wt, "auth: the rest")  # the agent commits what it had (git add -A)
    assert git(wt, "show", "--name-only", "--format=", "HEAD").split() == [
        "app.txt",
        "auth/token.py",
    ]
    with workspace(land_repo) as ws:
        auth = ws.session("auth")
        assert (auth.role, auth.claims, auth.priority) == ("code", ["auth/**"], 7)
        dry = land(ws, "auth", dry_run=True)
        assert "rebase 2 commits of" in json.dumps(dry["steps"])
        assert land(ws, "auth")["ok"]
    assert SNAPSHOT_AUTHOR not in authors(land_repo.main, "main")


def test_restored_research_fork_comes_back_as_research_with_claims(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        fork_session(ws, "probe", source="main")
        claim(ws, "probe", ["docs/**"])
    wt = land_repo.root / "repo-probe"
    land_repo.write(wt, "BRIEF.md", "# What the auth middleware does\n")
    with workspace(land_repo) as ws:
        assert ws.refresh().overlaps == []  # a brief is not a research-write
        removed = remove_session(ws, "probe")  # notes are not work: no --force
        assert removed["forced"] is False
        result = new_session(ws, "probe", start=removed["backup"])
        probe = ws.session("probe")
    assert result["restored"]["role"] == "research"
    assert (probe.role, probe.claims, probe.branch) == ("research", ["docs/**"], None)
    assert (wt / "BRIEF.md").read_text() == "# What the auth middleware does\n"
    with workspace(land_repo) as ws, pytest.raises(AgentlsError, match="research fork"):
        land(ws, "probe")


def test_land_never_takes_agentls_snapshot_commits_to_trunk(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        new_session(ws, "wip")
        wt = land_repo.root / "repo-wip"
        land_repo.write(wt, "wip.txt", "draft\n")
        backup = remove_session(ws, "wip", force=True)["backup"]
    # By hand, with plain git, the snapshot commit becomes a branch's tip.
    git(land_repo.main, "branch", "by-hand", backup)
    other = land_repo.root / "by-hand"
    git(land_repo.main, "worktree", "add", "-q", str(other), "by-hand")
    trunk = git(land_repo.main, "rev-parse", "main")
    for args in (("land", "by-hand", "--dry-run"), ("land", "by-hand")):
        refused = agentls(land_repo.main, *args)
        assert refused.returncode == 2, refused.stdout
        assert "agentls's own snapshot commit" in refused.stderr
        assert "git reset --soft" in refused.stderr
    assert git(land_repo.main, "rev-parse", "main") == trunk
    # Following the advice lands the files as the user's own commit.
    git(other, "reset", "--soft", "HEAD~1")
    git(other, "commit", "-qm", "wip, mine now")
    assert agentls(land_repo.main, "land", "by-hand").returncode == 0
    assert SNAPSHOT_AUTHOR not in authors(land_repo.main, "main")


def test_restore_of_a_snapshot_backup_keeps_the_branch_real(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        new_session(ws, "a")
    wt = land_repo.root / "repo-a"
    land_repo.write(wt, "a.txt", "a\n")
    head = land_repo.commit(wt, "a")
    land_repo.write(wt, "draft.txt", "draft\n")
    with workspace(land_repo) as ws:
        backup = remove_session(ws, "a", force=True)["backup"]
        new_session(ws, "a", start=backup)
        git(wt, "stash", "-u")  # the worktree is clean again, the branch at its head
        result = restore_session(ws, "a", backup)
    assert result["new"] == head and result["uncommitted"] is True
    assert git(wt, "rev-parse", "HEAD") == head
    assert git(wt, "status", "--porcelain") == "?? draft.txt"


def test_tracked_handoff_is_the_users_and_agentls_does_not_edit_it_alone(land_repo: Repo) -> None:
    land_repo.write(land_repo.main, "HANDOFF.md", "# team notes\n")
    land_repo.commit(land_repo.main, "we track HANDOFF.md")
    with workspace(land_repo) as ws:
        new_session(ws, "first")
        new_session(ws, "late")
    first, late = land_repo.root / "repo-first", land_repo.root / "repo-late"
    land_repo.write(first, "app.txt", lines("", "first"))
    land_repo.commit(first, "first")
    land_repo.write(late, "app.txt", lines("", "late"))
    land_repo.commit(late, "late")
    with workspace(land_repo) as ws:
        assert land(ws, "first")["ok"]
        refused = land(ws, "late")
        assert refused["ok"] is False and refused["conflicts"] == ["app.txt"]
        assert refused.get("handoff") is None
        assert (late / "HANDOFF.md").read_text() == "# team notes\n"  # left alone
        asked = write_handoff(ws, "late")
    assert asked["tracked"] is True and asked["changed"] is True
    assert git(late, "diff", "--name-only") == "HANDOFF.md"  # now the user's change


def test_land_all_writes_notes_only_into_sessions_it_refused(land_repo: Repo) -> None:
    """A guard (land --all already behaved): notes go only where a land was refused."""
    with workspace(land_repo) as ws:
        for name in ("first", "second", "third", "idle"):
            new_session(ws, name)
        fork_session(ws, "probe", source="main")
    for name in ("first", "second", "third"):
        wt = land_repo.root / f"repo-{name}"
        land_repo.write(wt, "app.txt", lines("", name))
        land_repo.commit(wt, name)
    with workspace(land_repo) as ws:
        result = land_all(ws)
    outcome = [(r["session"], r["ok"], r["skipped"]) for r in result["results"]]
    assert outcome == [("first", True, False), ("second", False, False), ("third", False, True)]
    have = sorted(p.parent.name for p in land_repo.root.glob("*/HANDOFF.md"))
    assert have == ["repo-second"]
    assert git(land_repo.main, "status", "--porcelain", "--ignored") == ""


def test_rename_keeps_what_a_removal_kept(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        new_session(ws, "old", claims=["old/**"])
        backup = remove_session(ws, "old")["backup"]
        new_session(ws, "old")
        moved = rename_session(ws, "old", "new")["backups"]
        remove_session(ws, "new")
        (ref,) = [m for m in moved if m.endswith(backup.rsplit("/", 1)[1])]
        result = new_session(ws, "again", start=ref)
    assert result["restored"]["claims"] == ["old/**"]
