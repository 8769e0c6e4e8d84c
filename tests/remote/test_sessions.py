"""Remote sessions in the analysis: git's merge is the oracle, only moved refs cost."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentls.git.repo import find_repository
from agentls.remote.config import RemoteConfig
from agentls.remote.fetch import fetch
from agentls.workspace import Workspace
from tests.conftest import GIT_ENV, git, numbered
from tests.core.oracle import oracle_snapshot
from tests.remote.conftest import Machine, Network, edit_line


def merge_tree_conflicts(cwd: Path, a: str, b: str) -> set[str]:
    """`git merge-tree --write-tree`'s conflicted paths: the oracle."""
    proc = subprocess.run(
        ["git", "merge-tree", "--write-tree", "--name-only", "-z", "--no-messages", a, b],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**GIT_ENV, "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return {p for p in proc.stdout.split("\0")[1:] if p}


def collisions(ws: Workspace, name: str, kind: str = "conflict") -> dict[str, dict]:
    report = ws.report()
    return {c.path: c.ranges for c in report.overlaps if name in c.sessions and c.kind == kind}


def test_push_on_a_cloud_machine_is_a_conflict_here_with_lines(network: Network) -> None:
    here, cloud = network.machine("laptop"), network.machine("cloud")
    feat = here.worktree("feat", "feat")
    text = numbered(40)
    here.write("f.txt", edit_line(text, 12, "mine"), feat)  # uncommitted
    head = cloud.cloud_branch("codex/fix-login", "f.txt", edit_line(text, 12, "theirs"))
    fetch(find_repository(here.main), RemoteConfig())
    with Workspace(here.main) as ws:
        report = ws.refresh()
        row = report.session("origin:codex/fix-login")
        assert row is not None and row.role == "remote" and row.head == head
        assert row.remote is not None
        assert (row.remote["remote"], row.remote["branch"]) == ("origin", "codex/fix-login")
        assert row.remote["author"] == "Cloud" and row.changed == ["f.txt"]
        found = collisions(ws, "origin:codex/fix-login")
        assert found == {"f.txt": {"feat": [(12, 12)], "origin:codex/fix-login": [(12, 12)]}}
        assert merge_tree_conflicts(here.main, oracle_snapshot(feat), head) == {"f.txt"}
        # trunk's checkout does not conflict with it: nothing changed there.
        assert all("main" not in c.sessions for c in report.overlaps)
        assert report.to_json()["sessions"][-1]["remote"]["branch"] == "codex/fix-login"


def test_a_branch_already_checked_out_locally_is_not_a_second_session(network: Network) -> None:
    here, cloud = network.machine("laptop"), network.machine("cloud")
    cloud.cloud_branch("claude/x", "f.txt", edit_line(numbered(40), 2, "x"))
    git(here.main, "fetch", "-q", "origin")
    here.worktree("review-x", "review-x", start="origin/claude/x")
    fetch(find_repository(here.main), RemoteConfig())
    with Workspace(here.main) as ws:
        report = ws.refresh()
        assert [s.name for s in report.sessions] == ["main", "review-x"]
        assert ws.remote.hidden == {"origin:claude/x": "already in local session review-x"}
        assert report.overlaps == []


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    mine=st.dictionaries(st.integers(1, 12), st.sampled_from(["a", "b", ""]), max_size=3),
    theirs=st.dictionaries(st.integers(1, 12), st.sampled_from(["a", "c", ""]), max_size=3),
    delete=st.sampled_from(["", "mine", "theirs"]),
)
def test_remote_conflicts_are_exactly_git_merge_tree(
    tmp_path_factory: pytest.TempPathFactory, mine: dict, theirs: dict, delete: str
) -> None:
    network = Network(tmp_path_factory.mktemp("net"))
    here, cloud = network.machine("laptop"), network.machine("cloud")
    feat = here.worktree("feat", "feat")
    base = numbered(40)

    def edited(changes: dict[int, str]) -> str:
        text = base
        for line, value in changes.items():
            text = edit_line(text, line, f"{value} {line}" if value else "")
        return text

    here.write("f.txt", edited(mine), feat)
    if delete == "mine":
        (feat / "g.txt").unlink()
    here.write("g.txt", "mine\n", feat) if delete == "theirs" else None
    cloud.branch("copilot/p")
    cloud.write("f.txt", edited(theirs))
    if delete == "theirs":
        (cloud.main / "g.txt").unlink()
    if delete == "mine":
        cloud.write("g.txt", "theirs\n")
    head = cloud.commit("p")
    cloud.push("copilot/p:copilot/p")
    fetch(find_repository(here.main), RemoteConfig())
    with Workspace(here.main) as ws:
        ws.refresh()
        predicted = set(collisions(ws, "origin:copilot/p"))
    assert predicted == merge_tree_conflicts(here.main, oracle_snapshot(feat), head)


def test_one_changed_ref_re_analyses_only_its_pairs(network: Network) -> None:
    here, cloud = network.machine("laptop"), network.machine("cloud")
    feat = here.worktree("feat", "feat")
    here.write("f.txt", edit_line(numbered(40), 20, "mine"), feat)
    for i in range(6):
        cloud.cloud_branch(f"cursor/s{i}", "f.txt", edit_line(numbered(40), 20 + i, f"s{i}"))
    repo = find_repository(here.main)
    fetch(repo, RemoteConfig())
    with Workspace(here.main) as ws:
        ws.refresh()
        assert len(ws.remote.states) == 6

        def seen() -> dict:  # which merge a pair's answer came from
            return {k: (id(p), p.version, p.verified) for k, p in ws.analyzer.pairs.items()}

        versions = seen()
        assert len(versions) == 1 + 2 * 6  # main-feat, and each remote with main and feat
        assert set(collisions(ws, "origin:cursor/s0")) == {"f.txt"}
        cloud.cloud_branch("cursor/s3", "g.txt", "moved\n", start="origin/main")
        assert fetch(repo, RemoteConfig()).changed
        ws.refresh()
        moved = {key for key, answer in seen().items() if versions.get(key) != answer}
        changed_id = ws.remote.find("origin:cursor/s3").id  # type: ignore[union-attr]
        assert moved and all(changed_id in key for key in moved)
        assert len(moved) == 2  # with main and with feat; nothing else was merged again
        assert set(collisions(ws, "origin:cursor/s3")) == set()


def test_lifecycle_verbs_refuse_a_remote_session(network: Network) -> None:
    from agentls.errors import AgentlsError
    from agentls.lifecycle import claim, rename_session

    here, cloud = network.machine("laptop"), network.machine("cloud")
    cloud.cloud_branch("codex/fix", "f.txt", "x\n")
    fetch(find_repository(here.main), RemoteConfig())
    with Workspace(here.main) as ws:
        ws.refresh()
        for verb in (
            lambda: rename_session(ws, "origin:codex/fix", "mine"),
            lambda: claim(ws, "origin:codex/fix", ["f.txt"]),
        ):
            with pytest.raises(AgentlsError) as refused:
                verb()
            assert refused.value.code == "remote-session"
            assert refused.value.data["remote"] == "origin"
            assert "lives on another machine" in refused.value.message
        assert [s.name for s in ws.sessions] == ["main"]  # nothing changed


def cli(machine: Machine, *args: str) -> subprocess.CompletedProcess[str]:
    import sys

    return subprocess.run(
        [sys.executable, "-m", "agentls", *args],
        cwd=machine.main,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, **GIT_ENV},
        timeout=120,
        check=False,
    )


def test_cli_fetch_status_overlaps_and_refusal(network: Network) -> None:
    import json

    here, cloud = network.machine("laptop"), network.machine("cloud")
    feat = here.worktree("feat", "feat")
    here.write("f.txt", edit_line(numbered(40), 7, "mine"), feat)
    cloud.cloud_branch("claude/fix", "f.txt", edit_line(numbered(40), 7, "theirs"))

    before = cli(here, "status")
    assert before.returncode == 0 and "claude/fix" not in before.stdout
    assert "origin" not in before.stdout  # a repository that never fetched hears nothing

    status = cli(here, "status", "--fetch")
    assert status.returncode == 0, status.stderr
    assert "origin:claude/fix  remote" in status.stdout
    assert "claude/fix on origin [remote]" in status.stdout
    assert "origin: fetched just now (1 remote session)" in status.stdout
    assert "feat ↔ origin:claude/fix" in status.stdout

    data = json.loads(cli(here, "overlaps", "--json").stdout)
    (conflict,) = [c for c in data["overlaps"] if c["kind"] == "conflict"]
    assert conflict["sessions"] == ["feat", "origin:claude/fix"]
    assert data["remotes"][0]["remote"] == "origin" and data["remotes"][0]["reachable"]

    refused = cli(here, "rename", "origin:claude/fix", "x")
    assert refused.returncode == 2
    assert "origin:claude/fix is a remote session (claude/fix on origin)" in refused.stderr

    git(here.main, "remote", "set-url", "origin", str(network.root / "gone.git"))
    failed = cli(here, "fetch")
    assert failed.returncode == 1 and "origin: remote unreachable" in failed.stdout
    later = cli(here, "status")
    assert (
        "origin: remote unreachable (" in later.stdout and "last fetched just now" in later.stdout
    )
    assert "origin:claude/fix" in later.stdout  # the last fetched state still counts


def test_review_queue_leaves_remote_sessions_out(network: Network) -> None:
    from agentls.review.queue import build_queue

    here, cloud = network.machine("laptop"), network.machine("cloud")
    cloud.cloud_branch("codex/fix", "f.txt", "x\n")
    fetch(find_repository(here.main), RemoteConfig())
    with Workspace(here.main) as ws:
        ws.refresh()
        queue = build_queue(ws)
    assert [n["session"] for n in queue["notQueued"]] == ["main"]
    assert queue["items"] == []
