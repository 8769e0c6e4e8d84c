"""Lifecycle test fixtures: a repository with land configuration, and a per-test timeout."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from types import FrameType

import pytest

from tests.conftest import Repo

TEST_TIMEOUT = 60  # seconds; every lifecycle test fails loudly instead of hanging


@pytest.fixture(autouse=True)
def _timeout(request: pytest.FixtureRequest) -> Iterator[None]:
    def expired(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"{request.node.nodeid} took longer than {TEST_TIMEOUT}s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TEST_TIMEOUT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def land_repo(repo: Repo) -> Repo:
    """A repository whose trunk configures a quick test command."""
    repo.write(repo.main, "app.txt", "".join(f"line {i}\n" for i in range(1, 21)))
    repo.write(repo.main, "pyproject.toml", '[tool.agentls.land]\ntest = "true"\n')
    repo.commit(repo.main, "initial")
    return repo
