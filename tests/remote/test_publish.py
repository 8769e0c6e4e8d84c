"""Publishing local work: another machine sees this one's uncommitted work."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from agentls.errors import AgentlsError
from agentls.git.repo import find_repository
from agentls.remote.config import RemoteConfig
from agentls.remote.fetch import fetch
from agentls.remote.publish import publish, unpublish
from agentls.workspace import Workspace
from tests.conftest import git, numbered
from tests.remote.conftest import Network, edit_line


def refs_on_server(network: Network) -> set[str]:
    return {
        line.split(" ")[0]
        for line in git(
            network.server, "for-each-ref", "--format=%(refname) %(objectname)"
        ).splitlines()
    }


def test_unsaved_then_saved_work_published_on_b_conflicts_on_a(network: Network) -> None:
    a, b = network.machine("alice"), network.machine("bob")
    a_feat = a.worktree("login", "login")
    b_feat = b.worktree("billing", "billing")
    a.write("f.txt", edit_line(numbered(40), 9, "alice"), a_feat)
    b.write("f.txt", edit_line(numbered(40), 9, "bob"), b_feat)  # never committed
    with Workspace(b.main) as ws:
        ws.refresh()
        result = publish(ws)
    assert result["user"] == "bob"
    (item,) = result["published"]
    assert item == {
        "session": "billing",
        "ref": "refs/agentls/wip/bob/billing",
        "commit": item["commit"],
        "uncommitted": True,
    }
    assert "refs/agentls/wip/bob/billing" in refs_on_server(network)
    # bob's worktree, index and refs are as they were.
    assert git(b_feat, "status", "--porcelain") == "M f.txt"
    assert "wip" not in git(b.main, "for-each-ref")

    fetch(find_repository(a.main), RemoteConfig())
    with Workspace(a.main) as ws:
        report = ws.refresh()
        row = report.session("origin:wip/bob/billing")
        assert row is not None and row.role == "remote" and row.dirty
        assert row.remote and row.remote["wip"] and row.remote["user"] == "bob"
        (conflict,) = [c for c in report.overlaps if c.kind == "conflict"]
        assert conflict.sessions == ["login", "origin:wip/bob/billing"]
        assert conflict.ranges["origin:wip/bob/billing"] == [(9, 9)]

    # Publishing again with nothing new re-uses the commit: others do not re-analyse.
    with Workspace(b.main) as ws:
        ws.refresh()
        again = publish(ws)
    assert again["published"][0]["commit"] == item["commit"]

    # bob's own machine never shows his published work as somebody else's session.
    fetch(find_repository(b.main), RemoteConfig())
    with Workspace(b.main) as ws:
        names = [s.name for s in ws.refresh().sessions]
        assert names == ["main", "billing"]
        assert ws.remote.hidden == {"origin:wip/bob/billing": "this user's own published work"}


def test_committed_only_session_publishes_its_head_and_removed_sessions_are_unpublished(
    network: Network,
) -> None:
    b = network.machine("bob")
    one = b.worktree("one", "one")
    two = b.worktree("two", "two")
    b.write("g.txt", "one\n", one)
    head = b.commit("one", one)
    b.write("f.txt", "two\n", two)
    with Workspace(b.main) as ws:
        ws.refresh()
        result = publish(ws)
    by_session = {p["session"]: p for p in result["published"]}
    assert by_session["one"]["commit"] == head and not by_session["one"]["uncommitted"]
    assert by_session["two"]["uncommitted"]
    git(b.main, "worktree", "remove", "--force", str(two))
    with Workspace(b.main) as ws:
        ws.refresh()
        result = publish(ws)
    assert result["removed"] == ["refs/agentls/wip/bob/two"]
    assert "refs/agentls/wip/bob/two" not in refs_on_server(network)
    with Workspace(b.main) as ws:
        gone = unpublish(ws)
    assert gone["removed"] == ["refs/agentls/wip/bob/one"]
    assert not {r for r in refs_on_server(network) if "wip" in r}


def test_a_host_refusing_custom_refs_gets_branches_instead(network: Network) -> None:
    hook = network.server / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        "while read old new ref; do\n"
        '  case "$ref" in refs/heads/*|refs/tags/*) ;;\n'
        '  *) echo "custom refs denied: $ref"; exit 1;;\n'
        "  esac\n"
        "done\n"
    )
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    a, b = network.machine("alice"), network.machine("bob")
    b_feat = b.worktree("billing", "billing")
    b.write("f.txt", edit_line(numbered(40), 4, "bob"), b_feat)
    with Workspace(b.main) as ws:
        ws.refresh()
        result = publish(ws)
    assert (
        "refused refs/agentls/wip/: [remote rejected] (pre-receive hook declined)"
        in result["fallback"]
    )
    assert result["published"][0]["ref"] == "refs/heads/agentls-wip/bob/billing"
    a_feat = a.worktree("login", "login")
    a.write("f.txt", edit_line(numbered(40), 4, "alice"), a_feat)
    fetch(find_repository(a.main), RemoteConfig())
    with Workspace(a.main) as ws:
        report = ws.refresh()
        assert [c.sessions for c in report.overlaps if c.kind == "conflict"] == [
            ["login", "origin:wip/bob/billing"]
        ]


def test_publish_without_a_remote_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "alone"
    git(tmp_path, "init", "-q", "-b", "main", str(folder))
    (folder / "a.txt").write_text("a\n")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "a")
    with Workspace(folder) as ws:
        ws.refresh()
        with pytest.raises(AgentlsError) as refused:
            publish(ws)
    assert refused.value.code == "no-remote"
    assert not (folder / ".git" / "agentls" / "remote" / "published.json").exists()


def test_cli_publish_and_unpublish(network: Network) -> None:
    import os
    import sys

    b = network.machine("bob")
    feat = b.worktree("billing", "billing")
    b.write("f.txt", "bob\n", feat)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "agentls", *args],
            cwd=b.main,
            capture_output=True,
            text=True,
            env=dict(os.environ),
            timeout=120,
            check=False,
        )

    published = cli("publish")
    assert published.returncode == 0, published.stderr
    assert (
        "published billing (commits and uncommitted work) to origin refs/agentls/wip/bob/billing"
        in published.stdout
    )
    removed = cli("unpublish")
    assert removed.returncode == 0 and "removed refs/agentls/wip/bob/billing" in removed.stdout
    assert cli("unpublish").stdout.strip() == "nothing published"
