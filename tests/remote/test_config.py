"""`[tool.agentls.remote]` / `.agentls.toml [remote]`: read from trunk, bad input refused."""

from __future__ import annotations

import pytest

from agentls.errors import AgentlsError
from agentls.remote.config import DEFAULT_PATTERNS, RemoteConfig, load, parse
from agentls.remote.refs import refspecs
from tests.conftest import Repo, git


def test_defaults_are_the_cloud_agents_prefixes_and_no_background_fetch() -> None:
    config = RemoteConfig()
    assert config.patterns == DEFAULT_PATTERNS == ("claude/*", "codex/*", "copilot/*", "cursor/*")
    assert config.remotes == ("origin",) and config.interval == 0 and not config.publish
    assert refspecs("origin", config) == [
        "+refs/heads/claude/*:refs/agentls/remote/origin/heads/claude/*",
        "+refs/heads/codex/*:refs/agentls/remote/origin/heads/codex/*",
        "+refs/heads/copilot/*:refs/agentls/remote/origin/heads/copilot/*",
        "+refs/heads/cursor/*:refs/agentls/remote/origin/heads/cursor/*",
        "+refs/agentls/wip/*:refs/agentls/remote/origin/agentls/wip/*",
        "+refs/heads/agentls-wip/*:refs/agentls/remote/origin/heads/agentls-wip/*",
    ]
    table = parse({}, "test")
    assert table.interval == 300 and table.configured  # a [remote] table fetches


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"remote": ["origin"]}, "remote"),  # a typo of remotes
        ({"patterns": ["a/*/b/*"]}, "patterns"),
        ({"patterns": ["--upload-pack=x"]}, "patterns"),
        ({"patterns": ["a:b"]}, "patterns"),
        ({"remotes": ["-x"]}, "remotes"),
        ({"remotes": [1]}, "remotes"),
        ({"interval": -1}, "interval"),
        ({"interval": True}, "interval"),
        ({"publish": "yes"}, "publish"),
        ({"wip-prefix": "wip"}, "wip-prefix"),
        ({"user": "a b"}, "user"),
    ],
)
def test_bad_settings_are_refused_with_the_key(table: dict, key: str) -> None:
    with pytest.raises(AgentlsError) as refused:
        parse(table, "pyproject.toml [tool.agentls.remote]")
    assert refused.value.code == "invalid-config"
    assert refused.value.data["key"] == key
    assert refused.value.message.startswith("pyproject.toml [tool.agentls.remote]: ")


def test_read_from_trunk_never_from_a_branch(repo: Repo) -> None:
    repo.write(repo.main, "pyproject.toml", '[tool.agentls.remote]\npatterns = ["feature/*"]\n')
    trunk = repo.commit(repo.main, "settings")
    branch = repo.worktree("agent", branch="agent")
    repo.write(branch, ".agentls.toml", "[remote]\npublish = true\n")
    on_branch = repo.commit(branch, "an agent switches publishing on")
    assert load(repo.main, trunk).patterns == ("feature/*",)
    assert load(repo.main, trunk).publish is False
    # Only what trunk holds counts; .agentls.toml wins over pyproject.toml there.
    assert load(repo.main, on_branch).publish is True  # (what trunk would say once landed)
    git(repo.main, "merge", "-q", "--ff-only", "agent")
    assert load(repo.main, git(repo.main, "rev-parse", "HEAD")).patterns == DEFAULT_PATTERNS


def test_broken_settings_on_trunk_do_not_break_status(repo: Repo) -> None:
    from agentls.workspace import Workspace

    repo.write(repo.main, ".agentls.toml", "[remote]\nintervall = 5\n")
    repo.commit(repo.main, "a typo")
    git(repo.main, "remote", "add", "origin", str(repo.root / "server.git"))
    with Workspace(repo.main) as ws:
        report = ws.refresh()
    assert "unknown remote setting intervall" in (ws.remote.config_problem or "")
    assert [s.name for s in report.sessions] == ["main"]
