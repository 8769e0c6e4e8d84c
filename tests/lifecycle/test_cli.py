"""The lifecycle command line as a user runs it: folders, -C, and what it prints."""

from __future__ import annotations

from tests.conftest import Repo, git
from tests.lifecycle.helpers import agentls


def test_relative_dir_is_relative_to_the_C_folder(land_repo: Repo) -> None:
    elsewhere = land_repo.root / "far" / "away"
    elsewhere.mkdir(parents=True)
    made = agentls(elsewhere, "-C", str(land_repo.main), "new", "x", "--dir", "../x-here")
    assert made.returncode == 0, made.stderr
    # As if started in the -C folder (like git -C): next to the repository, not next to cwd.
    assert (land_repo.root / "x-here" / "app.txt").is_file()
    assert not (elsewhere.parent / "x-here").exists()
    assert f"at {land_repo.root / 'x-here'}" in made.stdout


def test_land_remove_says_what_it_removed(land_repo: Repo) -> None:
    assert agentls(land_repo.main, "new", "done").returncode == 0
    wt = land_repo.root / "repo-done"
    land_repo.write(wt, "d.txt", "d\n")
    land_repo.commit(wt, "done work")
    landed = agentls(land_repo.main, "land", "done", "--remove")
    assert landed.returncode == 0, landed.stderr
    last = landed.stdout.strip().splitlines()[-1]
    assert last.startswith(f"removed session done ({wt}); backup at refs/agentls/backup/done/")
    assert not wt.exists()


def test_land_all_dry_run_prints_the_plan_once(land_repo: Repo) -> None:
    for name in ("a", "b"):
        assert agentls(land_repo.main, "new", name).returncode == 0
        wt = land_repo.root / f"repo-{name}"
        land_repo.write(wt, f"{name}.txt", f"{name}\n")
        land_repo.commit(wt, f"{name} work")
    dry = agentls(land_repo.main, "land", "--all", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.count("plan: a -> b") == 1, dry.stdout
    assert dry.stdout.splitlines()[0] == "plan: a -> b"


def test_handoff_and_land_default_to_the_session_of_this_folder(land_repo: Repo) -> None:
    assert agentls(land_repo.main, "new", "here").returncode == 0
    wt = land_repo.root / "repo-here"
    land_repo.write(wt, "src/h.txt", "h\n")
    land_repo.commit(wt, "here work")
    written = agentls(wt / "src", "handoff")  # from a subfolder of the worktree
    assert written.returncode == 0, written.stderr
    assert (wt / "HANDOFF.md").is_file() and not (land_repo.main / "HANDOFF.md").exists()
    dry = agentls(wt, "land", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "here would land 1 commit cleanly" in dry.stdout


def test_a_left_out_name_outside_any_worktree_is_refused(land_repo: Repo) -> None:
    bare = land_repo.root / "bare.git"
    git(land_repo.root, "clone", "-q", "--bare", str(land_repo.main), str(bare))
    git(bare, "worktree", "add", "-q", str(land_repo.root / "bare-wt"), "main")
    outside = agentls(land_repo.root, "-C", str(bare), "handoff")  # a bare repo: no worktree
    assert outside.returncode == 2
    assert "which session? give a NAME" in outside.stderr


def test_wait_must_be_a_non_negative_number(land_repo: Repo) -> None:
    for bad in ("-1", "nan", "inf", "soon"):
        refused = agentls(land_repo.main, "land", "main", "--wait", bad)
        assert refused.returncode == 2 and "--wait" in refused.stderr, bad
