"""Build/test results by tree id: from lands, and run from a review in a scratch checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentls.errors import AgentlsError
from agentls.lifecycle import land
from agentls.review.checks import run_checks
from agentls.review.queue import build_item, build_queue
from tests.conftest import Repo, git
from tests.review.conftest import fresh, session


def _configure(repo: Repo, test: str) -> None:
    repo.write(repo.main, ".agentls.toml", f"[land]\ntest = {test!r}\n")
    repo.commit(repo.main, "land settings")


def test_a_lands_results_show_for_exactly_that_tree(review_repo: Repo) -> None:
    repo = review_repo
    _configure(repo, "echo checking; test ! -e broken.txt")
    wt = session(repo, "s", {"broken.txt": "this makes the test fail\n"})
    repo.write(repo.main, "trunk.txt", "trunk moved, so land rebases\n")
    repo.commit(repo.main, "trunk work")
    with fresh(repo) as ws:
        result = land(ws, "s")
        assert result["ok"] is False
        rebased = git(repo.main, "rev-parse", "s")  # land leaves the branch rebased
        item = build_item(ws, "s")["item"]
    checks = item["checks"]
    assert checks is not None and checks["ok"] is False and checks["source"] == "land"
    assert checks["tree"] == git(repo.main, "rev-parse", f"{rebased}^{{tree}}")
    assert checks["results"][0]["exitCode"] == 1
    assert "checking" in checks["results"][0]["output"]
    # Another tree has no result: a fix is untested until something runs.
    (wt / "broken.txt").unlink()
    repo.commit(wt, "s: fix")
    with fresh(repo) as ws:
        assert build_queue(ws)["items"][0]["checks"] is None


def test_run_checks_uses_a_scratch_checkout_of_head(
    review_repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = review_repo
    out = tmp_path / "where.txt"
    monkeypatch.setenv("REVIEW_OUT", str(out))
    # A global post-checkout hook must not run: analysis and reviews never run hooks.
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    marker = tmp_path / "hook-ran"
    (hooks / "post-checkout").write_text(f"#!/bin/sh\ntouch {marker}\n")
    (hooks / "post-checkout").chmod(0o755)
    global_config = tmp_path / "gitconfig"
    global_config.write_text(f"[core]\n\thooksPath = {hooks}\n")
    _configure(repo, 'cat s.txt > "$REVIEW_OUT" && pwd >> "$REVIEW_OUT"')
    wt = session(repo, "s", {"s.txt": "committed\n"})
    repo.write(wt, "s.txt", "uncommitted edit\n")
    with fresh(repo) as ws:
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
        result = run_checks(ws, "s")
        assert result["ok"] is True, result
        summary = build_queue(ws)["items"][0]
    content, folder = out.read_text().splitlines()
    assert content == "committed"  # HEAD's tree, not the worktree's uncommitted state
    # agentls's own scratch checkout under the git dir (kept for the next check), not wt.
    common = Path(git(repo.main, "rev-parse", "--path-format=absolute", "--git-common-dir"))
    assert Path(folder).parent == common / "agentls" / "semantic" / "scratch"
    assert not marker.exists()
    assert summary["checks"]["source"] == "review" and summary["checks"]["ok"] is True
    assert summary["checks"]["tree"] == git(repo.main, "rev-parse", "s^{tree}")
    assert (wt / "s.txt").read_text() == "uncommitted edit\n"
    assert git(repo.main, "worktree", "list").count("\n") == 1  # no worktree was added


def test_run_checks_reports_a_failure_and_refuses_without_commands(review_repo: Repo) -> None:
    repo = review_repo
    _configure(repo, "exit 3")
    session(repo, "s", {"s.txt": "s\n"})
    with fresh(repo) as ws:
        result = run_checks(ws, "s")
        assert result["ok"] is False
        assert result["checks"]["results"][0]["exitCode"] == 3
    repo.write(repo.main, ".agentls.toml", "[land]\n")
    repo.commit(repo.main, "no commands")
    with fresh(repo) as ws, pytest.raises(AgentlsError, match="no build or test commands"):
        run_checks(ws, "s")
    assert os.environ.get("AGENTLS_LANDING") is None
