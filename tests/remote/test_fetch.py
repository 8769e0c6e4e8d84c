"""Fetching remote sessions: into agentls's namespace only, quietly, with back-off."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentls.git.repo import find_repository
from agentls.remote.config import RemoteConfig
from agentls.remote.fetch import backoff, fetch, namespace_refs, read_statuses
from agentls.workspace import Workspace
from tests.conftest import git
from tests.remote.conftest import Daemon, Network, edit_line


def remote_names(folder: Path) -> list[str]:
    with Workspace(folder) as ws:
        report = ws.refresh()
    return [s.name for s in report.sessions if s.role == "remote"]


def test_fetch_brings_session_refs_into_agentls_namespace_only(network: Network) -> None:
    here, cloud = network.machine("laptop"), network.machine("cloud")
    cloud.cloud_branch(
        "codex/fix-login", "f.txt", edit_line(cloud.main.joinpath("f.txt").read_text(), 3, "x")
    )
    cloud.cloud_branch("feature/other", "g.txt", "other\n")  # not a session pattern
    before = git(here.main, "for-each-ref", "refs/remotes")
    result = fetch(find_repository(here.main), RemoteConfig())
    assert result.ok and result.changed
    refs = namespace_refs(here.main)
    assert list(refs) == ["refs/agentls/remote/origin/heads/codex/fix-login"]
    # The user's remote-tracking branches did not move (no opportunistic update).
    assert git(here.main, "for-each-ref", "refs/remotes") == before
    assert not (here.main / ".git" / "FETCH_HEAD").exists()
    assert remote_names(here.main) == ["origin:codex/fix-login"]


def test_deleted_and_merged_branches_drop_out(network: Network) -> None:
    here, cloud = network.machine("laptop"), network.machine("cloud")
    text = cloud.main.joinpath("f.txt").read_text()
    cloud.cloud_branch("claude/a", "f.txt", edit_line(text, 1, "a"))
    cloud.cloud_branch("claude/b", "g.txt", "b\n")
    repo = find_repository(here.main)
    fetch(repo, RemoteConfig())
    assert sorted(remote_names(here.main)) == ["origin:claude/a", "origin:claude/b"]
    # claude/a lands on trunk (here), claude/b is deleted on the remote.
    git(cloud.main, "push", "-q", "origin", "claude/a:main", ":claude/b")
    fetch(repo, RemoteConfig())
    git(here.main, "pull", "-q", "--ff-only")
    assert "refs/agentls/remote/origin/heads/claude/b" not in namespace_refs(here.main)
    assert remote_names(here.main) == []  # a is merged into trunk, b is gone


def test_pull_request_heads_and_custom_patterns(network: Network) -> None:
    here, cloud = network.machine("laptop"), network.machine("cloud")
    cloud.branch("topic")
    cloud.write("g.txt", "pr\n")
    cloud.commit()
    cloud.push("topic:refs/pull/7/head", "topic:feature/x")
    config = RemoteConfig(patterns=("refs/pull/*/head", "feature/*"))
    fetch(find_repository(here.main), config)
    assert sorted(remote_names(here.main)) == ["origin:feature/x", "origin:pull/7/head"]


class _AskForPassword(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="agentls test"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def password_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AskForPassword)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/repo.git"
    finally:
        server.shutdown()
        server.server_close()


def test_a_remote_asking_for_a_password_fails_quietly_and_backs_off(
    network: Network, password_server: str
) -> None:
    here = network.machine("laptop")
    git(here.main, "remote", "add", "private", password_server)
    # A credential helper that would answer must not be what saves us here.
    git(here.main, "config", "credential.helper", "")
    repo = find_repository(here.main)
    config = RemoteConfig(remotes=("private",), interval=60)
    started = time.monotonic()
    result = fetch(repo, config, now=1000.0)
    assert time.monotonic() - started < 30  # nobody was asked for anything
    (status,) = result.statuses
    assert not status.reachable and status.failures == 1
    assert "Authentication failed" in status.error or "could not read" in status.error
    assert status.retry == 1000.0 + backoff(1, 60)
    # Still backing off: the background fetcher skips it, a person's fetch does not.
    again = fetch(repo, config, force=False, now=1010.0)
    assert again.statuses[0].failures == 1 and again.statuses[0].tried == 1000.0
    forced = fetch(repo, config, force=True, now=1020.0)
    assert forced.statuses[0].failures == 2
    assert read_statuses(repo)["private"].retry == 1020.0 + backoff(2, 60)
    assert backoff(2, 60) == 2 * backoff(1, 60)


def test_git_daemon_going_away_and_coming_back(daemon_network: tuple[Network, Daemon]) -> None:
    network, daemon = daemon_network
    here, cloud = network.machine("laptop"), network.machine("cloud")
    text = cloud.main.joinpath("f.txt").read_text()
    cloud.cloud_branch("cursor/one", "f.txt", edit_line(text, 5, "one"))
    repo = find_repository(here.main)
    config = RemoteConfig(interval=1)
    assert fetch(repo, config).ok
    assert remote_names(here.main) == ["origin:cursor/one"]

    daemon.stop()
    down = fetch(repo, config)
    assert not down.ok and down.statuses[0].failures == 1
    # What was fetched before stays a session while the remote is away.
    assert remote_names(here.main) == ["origin:cursor/one"]
    with Workspace(here.main) as ws:
        report = ws.refresh()
    assert report.remotes[0]["reachable"] is False and report.remotes[0]["fetched"]

    daemon.start()
    cloud.cloud_branch("cursor/two", "g.txt", "two\n")
    up = fetch(repo, config)
    assert up.ok and up.statuses[0].failures == 0 and up.statuses[0].retry is None
    assert sorted(remote_names(here.main)) == ["origin:cursor/one", "origin:cursor/two"]
