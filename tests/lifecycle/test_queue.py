"""land --all: planned order, sequential overlapping lands, skipping dependants of a failure."""

from __future__ import annotations

import json

from agentls.lifecycle import land_all, new_session, set_priority
from agentls.lifecycle.queue import plan
from tests.conftest import Repo, git
from tests.lifecycle.helpers import agentls, workspace


def edit(repo: Repo, name: str, path: str, line: int, text: str) -> None:
    wt = repo.root / f"repo-{name}"
    lines = (wt / path).read_text().splitlines(keepends=True)
    lines[line - 1] = text + "\n"
    repo.write(wt, path, "".join(lines))
    repo.commit(wt, f"{name} edits {path}:{line}")


def test_overlapping_sessions_land_in_priority_order(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        for name in ("alpha", "zeta", "solo"):
            new_session(ws, name)
        set_priority(ws, "zeta", -10)
        set_priority(ws, "solo", 50)
    edit(land_repo, "alpha", "app.txt", 2, "ALPHA")
    edit(land_repo, "zeta", "app.txt", 18, "ZETA")  # same file, far apart: an overlap
    land_repo.write(land_repo.root / "repo-solo", "solo.txt", "solo\n")
    land_repo.commit(land_repo.root / "repo-solo", "solo work")
    with workspace(land_repo) as ws:
        order, edges = plan(ws.refresh())
        assert order == ["zeta", "alpha", "solo"]
        assert edges == {"zeta": {"alpha"}, "alpha": {"zeta"}}
        result = land_all(ws)
    assert result["ok"], result
    assert [r["session"] for r in result["results"]] == ["zeta", "alpha", "solo"]
    subjects = git(land_repo.main, "log", "--format=%s", "-3").splitlines()
    assert subjects == ["solo work", "alpha edits app.txt:2", "zeta edits app.txt:18"]


def test_failure_skips_dependants_and_continues_with_independent(land_repo: Repo) -> None:
    land_repo.write(
        land_repo.main, "pyproject.toml", '[tool.agentls.land]\ntest = "test ! -e broken"\n'
    )
    land_repo.commit(land_repo.main, "tests fail when a file named broken exists")
    with workspace(land_repo) as ws:
        for name in ("first", "second", "third"):
            new_session(ws, name)
    land_repo.write(land_repo.root / "repo-first", "broken", "")
    edit(land_repo, "first", "app.txt", 5, "FIRST")
    edit(land_repo, "second", "app.txt", 5, "SECOND")
    land_repo.write(land_repo.root / "repo-third", "third.txt", "3\n")
    land_repo.commit(land_repo.root / "repo-third", "third work")
    trunk_old = git(land_repo.main, "rev-parse", "main")
    run = agentls(land_repo.main, "land", "--all", "--json")
    assert run.returncode == 1, run.stderr
    result = json.loads(run.stdout)
    assert result["plan"] == ["first", "second", "third"]
    outcome = {r["session"]: r for r in result["results"]}
    assert not outcome["first"]["ok"] and "failed" in outcome["first"]["message"]
    assert outcome["second"]["skipped"] and "overlaps first" in outcome["second"]["message"]
    assert outcome["third"]["ok"]
    assert git(land_repo.main, "log", "--format=%s", f"{trunk_old}..main") == "third work"
    table = agentls(land_repo.main, "land", "--all")
    assert "FAILED" in table.stdout and "skipped" in table.stdout


def test_dry_run_shows_the_plan_and_changes_nothing(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        for name in ("alpha", "beta"):
            new_session(ws, name)
    edit(land_repo, "alpha", "app.txt", 3, "ALPHA")
    edit(land_repo, "beta", "app.txt", 15, "BETA")
    refs_before = git(land_repo.main, "for-each-ref")
    run = agentls(land_repo.main, "land", "--all", "--dry-run", "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["dryRun"] is True and result["plan"] == ["alpha", "beta"]
    assert [r["ok"] for r in result["results"]] == [True, True]
    assert git(land_repo.main, "for-each-ref") == refs_before
    table = agentls(land_repo.main, "land", "--all", "--dry-run")
    assert "would land" in table.stdout and "landed" not in table.stdout


def test_handoff_notes_do_not_link_sessions_in_the_plan(land_repo: Repo) -> None:
    with workspace(land_repo) as ws:
        for name in ("one", "two"):
            new_session(ws, name)
    for name in ("one", "two"):
        wt = land_repo.root / f"repo-{name}"
        land_repo.write(wt, f"{name}.txt", f"{name}\n")
        land_repo.commit(wt, f"{name} work")
        # Each agent keeps its own untracked notes: they never go to trunk.
        (wt / "HANDOFF.md").write_text(f"notes of {name}\n")
        (wt / "BRIEF.md").write_text(f"brief of {name}\n")
    with workspace(land_repo) as ws:
        order, edges = plan(ws.refresh())
    assert order == ["one", "two"] and edges == {}
