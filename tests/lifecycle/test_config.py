"""Land configuration: read from trunk's committed files, validated strictly."""

from __future__ import annotations

import pytest

from agentls.errors import AgentlsError
from agentls.lifecycle.config import DEFAULT_TIMEOUT, LandConfig, load
from tests.conftest import Repo, git


def trunk(repo: Repo) -> str:
    return git(repo.main, "rev-parse", "HEAD")


def test_pyproject_and_agentls_toml(repo: Repo) -> None:
    repo.write(repo.main, "pyproject.toml", '[tool.agentls.land]\nbuild = "make"\ntimeout = 5\n')
    repo.commit(repo.main)
    config = load(repo.main, trunk(repo))
    assert (config.build, config.test, config.timeout) == (["make"], [], 5.0)
    assert config.commands() == [("build", "make")]
    repo.write(repo.main, ".agentls.toml", '[land]\ntest = ["a", "b"]\n')
    repo.commit(repo.main)
    config = load(repo.main, trunk(repo))
    assert config.test == ["a", "b"] and config.timeout == DEFAULT_TIMEOUT
    assert config.source == ".agentls.toml [land]"


def test_only_committed_trunk_config_counts(repo: Repo) -> None:
    repo.commit(repo.main, "empty")
    # Uncommitted (or branch-only) configuration is not what land runs.
    repo.write(repo.main, "pyproject.toml", '[tool.agentls.land]\ntest = "rm -rf /"\n')
    assert load(repo.main, trunk(repo)) == LandConfig()


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[tool.agentls.land]\ntset = "x"\n', "unknown land setting"),
        ("[tool.agentls.land]\ntest = 3\n", "command string"),
        ('[tool.agentls.land]\ntest = [""]\n', "command string"),
        ('[tool.agentls.land]\ntimeout = "soon"\n', "number of seconds"),
        ("[tool.agentls.land]\ntimeout = -1\n", "number of seconds"),
        ("[tool.agentls.land\n", "not valid TOML"),
    ],
)
def test_bad_configuration_is_refused(repo: Repo, toml: str, message: str) -> None:
    repo.write(repo.main, "pyproject.toml", toml)
    repo.commit(repo.main)
    with pytest.raises(AgentlsError, match=message):
        load(repo.main, trunk(repo))
