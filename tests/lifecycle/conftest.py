"""Lifecycle test fixtures: a repository with a land configuration."""

from __future__ import annotations

import pytest

from tests.conftest import Repo


@pytest.fixture
def land_repo(repo: Repo) -> Repo:
    """A repository whose trunk configures a quick test command."""
    repo.write(repo.main, "app.txt", "".join(f"line {i}\n" for i in range(1, 21)))
    repo.write(repo.main, "pyproject.toml", '[tool.agentls.land]\ntest = "true"\n')
    repo.commit(repo.main, "initial")
    return repo
