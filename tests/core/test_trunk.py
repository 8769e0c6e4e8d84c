"""Trunk resolution: config, origin/HEAD, main, master, or a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentls.errors import AgentlsError
from agentls.git.repo import find_repository, resolve_trunk
from tests.conftest import Repo, git


def test_main_by_default(repo: Repo) -> None:
    repo.write(repo.main, "a", "a\n")
    repo.commit(repo.main)
    assert resolve_trunk(find_repository(repo.main)).branch == "main"


def test_master_when_no_main(repo: Repo) -> None:
    repo.write(repo.main, "a", "a\n")
    repo.commit(repo.main)
    git(repo.main, "branch", "-m", "main", "master")
    assert resolve_trunk(find_repository(repo.main)).branch == "master"


def test_config_wins(repo: Repo) -> None:
    repo.write(repo.main, "a", "a\n")
    repo.commit(repo.main)
    git(repo.main, "branch", "develop")
    git(repo.main, "config", "agentls.trunk", "develop")
    trunk = resolve_trunk(find_repository(repo.main))
    assert (trunk.branch, trunk.ref) == ("develop", "refs/heads/develop")


def test_configured_trunk_must_exist(repo: Repo) -> None:
    repo.write(repo.main, "a", "a\n")
    repo.commit(repo.main)
    git(repo.main, "config", "agentls.trunk", "nope")
    with pytest.raises(AgentlsError, match=r"'nope'.*does not exist"):
        resolve_trunk(find_repository(repo.main))


def test_origin_head(tmp_path: Path) -> None:
    upstream = Repo(tmp_path / "up")
    upstream.write(upstream.main, "a", "a\n")
    upstream.commit(upstream.main)
    git(upstream.main, "branch", "-m", "main", "trunk")
    git(tmp_path, "clone", "-q", str(upstream.main), "clone")
    trunk = resolve_trunk(find_repository(tmp_path / "clone"))
    assert trunk.branch == "trunk"


def test_no_trunk_says_how_to_set_one(repo: Repo) -> None:
    repo.write(repo.main, "a", "a\n")
    repo.commit(repo.main)
    git(repo.main, "branch", "-m", "main", "work")
    with pytest.raises(AgentlsError) as caught:
        resolve_trunk(find_repository(repo.main))
    assert "git config agentls.trunk" in str(caught.value)
