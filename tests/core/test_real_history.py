"""Real merges from public projects' histories, replayed as sessions, against git.

bench/data/real-merges.fi holds conflicting merges from public Python projects
(trimmed to the paths either side changed, every line replaced by a token of the same
length: see bench/mine_history.py). Each is replayed as sessions in three ways: trunk
at the merge-base with the two parents as committed branches; the second parent's last
changes left uncommitted (edits and deletions unstaged, new files untracked); and the
primary checkout on trunk at the first parent. Every conflict git reports for a pair
must appear for that pair, whichever worktree agentls starts from.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from agentls.workspace import Workspace
from tests.conftest import Repo, git, numbered
from tests.core.oracle import Oracle, oracle_snapshot

DATA = Path(__file__).parents[2] / "bench" / "data" / "real-merges.fi"
NAMES = sorted(set(re.findall(r"^commit refs/scenarios/(\d+)/", DATA.read_text(), re.M)))
VARIANTS = ["committed", "uncommitted", "trunk", "carried"]


def _replay(repo: Repo, name: str, variant: str) -> tuple[Path, Path]:
    """Sessions for one scenario; the pair to check (first in cascade order first)."""
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=repo.main, input=DATA.read_bytes(), check=True
    )
    base, ours, theirs = (f"refs/scenarios/{name}/{side}" for side in ("base", "ours", "theirs"))
    landed = variant in ("trunk", "carried")
    git(repo.main, "reset", "-q", "--hard", ours if landed else base)
    if variant == "carried":
        # The first parent landed on trunk; one session still has the other parent's
        # work, another branched from today's trunk and only added a file: their pair
        # conflicts through the landed work the second carries.
        early = repo.worktree("early", "early", start=theirs)
        late = repo.worktree("late", "late", start="main")
        repo.write(late, "unrelated.txt", "a file of its own\n")
        return early, late
    first = repo.main if variant == "trunk" else repo.worktree("ours", "ours", start=ours)
    if variant == "uncommitted":
        # Everything the second parent changed, never committed: the worktree sits at
        # the base with the parent's files in place.
        second = repo.worktree("theirs", "theirs", start=base)
        git(second, "read-tree", "-m", "-u", base, theirs)
        git(second, "reset", "-q")
    else:
        second = repo.worktree("theirs", "theirs", start=theirs)
    return first, second


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", NAMES)
def test_real_merge_conflicts_are_reported(tmp_path: Path, name: str, variant: str) -> None:
    repo = Repo(tmp_path)
    first, second = _replay(repo, name, variant)
    with Oracle(repo.main) as oracle:
        snapshots = {wt: oracle_snapshot(wt) for wt in (first, second)}
        # The second is rebased onto the first (trunk, or first in cascade order).
        expected = oracle.merge(snapshots[first], snapshots[first], snapshots[second]).conflicted
    assert expected, "every scenario is a merge git stops on"
    for folder in (repo.main, second):
        with Workspace(folder) as ws:
            report = ws.refresh()
        names = {Path(s.path): s.name for s in report.sessions}
        pair = {names[first.resolve()], names[second.resolve()]}
        found = {
            c.path: c for c in report.overlaps if c.kind == "conflict" and set(c.sessions) == pair
        }
        missing = expected - set(found)
        assert not missing, f"from {folder.name}: git conflicts on {sorted(missing)}"
        if variant == "carried":
            assert all(found[p].via == "trunk" for p in expected), "landed work is labelled"


def _objects(repo: Path) -> set[str]:
    listed = git(repo, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
    return set(listed.split())


def test_miner_copies_a_real_merge_faithfully(tmp_path: Path) -> None:
    """bench/mine_history.py: a conflicting merge becomes a scenario git answers the same
    way (paths and kinds), anonymised; the scan writes nothing into the repository it
    reads, and a cached scan gives the same stream."""
    from bench.mine_history import main as mine
    from bench.mine_history import merge_tree
    from bench.real_history import load_scenarios

    repo = Repo(tmp_path / "project")
    secret = "".join(f"    value_{n} = compute_something_private({n})\n" for n in range(60))
    repo.write(repo.main, "pkg/core.py", secret)
    repo.write(repo.main, "pkg/gone.py", "def helper_function_kept_here():\n    return 1\n")
    repo.commit(repo.main, "base")
    git(repo.main, "branch", "side")
    repo.write(repo.main, "pkg/core.py", secret.replace("(30)", "(30, ours)"))
    repo.write(repo.main, "pkg/gone.py", "def helper_function_kept_here():\n    return 2\n")
    repo.commit(repo.main, "ours")
    side = repo.worktree("side-wt", None, start="side")
    repo.write(side, "pkg/core.py", secret.replace("(30)", "(30, theirs)"))
    (side / "pkg" / "gone.py").unlink()
    theirs = repo.commit(side, "theirs")
    git(repo.main, "merge", "-q", "-s", "ours", "--no-edit", theirs)  # a real two-parent merge
    expected = merge_tree(repo.main, "HEAD^1", "HEAD^2")
    assert expected == (
        ("pkg/core.py", "pkg/gone.py"),
        ("CONFLICT (contents)", "CONFLICT (modify/delete)"),
    )
    before = _objects(repo.main)

    out, cache = tmp_path / "merges.fi", tmp_path / "cache"
    argv = ["--repo", str(repo.main), "--out", str(out), "--cache", str(cache)]
    assert mine(argv) == 0
    assert _objects(repo.main) == before, "the scan wrote into the repository it read"
    stream = out.read_bytes()
    assert b"compute_something_private" not in stream, "every long line is anonymised"
    assert list(cache.iterdir()), "the scan is cached"

    replay = tmp_path / "replay.git"
    git(tmp_path, "init", "-q", "--bare", str(replay))
    [scenario] = load_scenarios(replay, out)
    assert merge_tree(replay, scenario.ours, scenario.theirs) == expected

    out.unlink()
    assert mine(argv) == 0
    assert out.read_bytes() == stream, "the cached scan builds the same scenarios"


def test_replaying_a_repository_merges_checks_every_conflict_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """bench/replay_merges.py: a history with a conflicting merge (one side renamed the
    file the other edited), a clean one, and one that conflicts only without the
    repository's `merge=union` on its changelog; all are replayed, committed, uncommitted
    and landed (one side already trunk, its session with no work of its own, so the
    conflict comes through trunk's history): agentls misses nothing git stops on, for the
    pair of sessions and for trunk with the other side, and the changelog is held to git
    with the sides' attributes, not to the attribute-free listing. The repository read
    is left as it was."""
    from bench.replay_merges import main as replay

    repo = Repo(tmp_path / "project")
    repo.write(repo.main, "pkg/core.py", numbered(20))
    repo.write(repo.main, "pkg/other.py", numbered(20))
    repo.write(repo.main, "CHANGES", numbered(5))
    repo.write(repo.main, ".gitattributes", "CHANGES merge=union\n")
    repo.commit(repo.main, "base")
    for edit in ("rename", "clean", "union"):
        git(repo.main, "branch", "-f", "side")
        text = numbered(20).replace("line 5", f"line 5 ours {edit}")
        path = {"rename": "pkg/core.py", "clean": "pkg/other.py", "union": "CHANGES"}[edit]
        repo.write(repo.main, path, text if edit != "union" else numbered(5) + "ours entry\n")
        repo.commit(repo.main, f"ours {edit}")
        side = repo.worktree(f"side-{edit}", None, start="side")
        if edit == "rename":
            git(side, "mv", "pkg/core.py", "pkg/renamed.py")
            repo.write(side, "pkg/renamed.py", numbered(20).replace("line 5", "line 5 theirs"))
        elif edit == "clean":
            repo.write(side, "pkg/new.py", "a file of its own\n")
        else:
            repo.write(side, "CHANGES", numbered(5) + "theirs entry\n")
        theirs = repo.commit(side, f"theirs {edit}")
        git(repo.main, "merge", "-q", "-s", "ours", "--no-edit", theirs)
    before = _objects(repo.main), git(repo.main, "for-each-ref")

    assert replay(["--repo", str(repo.main), "--clean", "5"]) == 0
    out = capsys.readouterr().out
    assert "3 merges: 2 conflict, 0 of unrelated histories" in out
    assert "missed: 0" in out and "false alarms: 0" in out and "12 replays" in out
    assert "pkg/core.py" in out, "the rename's old path, where the other side edits"
    assert (_objects(repo.main), git(repo.main, "for-each-ref")) == before


def test_replaying_real_branches_holds_every_pair_from_every_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """bench/replay_branches.py: trunk and three branches as simultaneous sessions. A
    release branch and trunk edit one line; a feature branch made from trunk afterwards
    carries trunk's edit in its history only, so its pair with the release branch
    conflicts through trunk; another branch renamed the file and edited the line. Every
    pair is held to git from every starting folder, and the repository read is left as
    it was."""
    from bench.replay_branches import main as replay

    repo = Repo(tmp_path / "project")
    repo.write(repo.main, "pkg/core.py", numbered(20))
    repo.write(repo.main, "pkg/other.py", numbered(20))
    repo.commit(repo.main, "base")
    release = repo.worktree("release", "release-1.x")
    repo.write(release, "pkg/core.py", numbered(20).replace("line 5", "line 5 release fix"))
    repo.commit(release, "a fix on the release branch")
    moved = repo.worktree("moved", "moved")
    git(moved, "mv", "pkg/core.py", "pkg/renamed.py")
    repo.write(moved, "pkg/renamed.py", numbered(20).replace("line 5", "line 5 moved"))
    repo.commit(moved, "rename and edit")
    repo.write(repo.main, "pkg/core.py", numbered(20).replace("line 5", "line 5 trunk"))
    repo.commit(repo.main, "trunk's own edit")
    feature = repo.worktree("feature", "feature")
    repo.write(feature, "pkg/other.py", numbered(20).replace("line 9", "line 9 feature"))
    repo.commit(feature, "the feature's own work: another file")
    for folder in (release, moved, feature):
        git(repo.main, "worktree", "remove", str(folder))
    before = _objects(repo.main), git(repo.main, "for-each-ref")

    assert replay(["--repo", str(repo.main), "--branches", "3"]) == 0
    out = capsys.readouterr().out
    assert "trunk main and 3 branches" in out
    assert "started elsewhere, a different answer: 0" in out
    assert "missed: 0" in out and "false alarms: 0" in out
    # git stops on release + trunk, release + feature (through trunk), release + moved,
    # moved + trunk and moved + feature (feature carries trunk's edit); not trunk + feature
    assert "6 pairs held to git, from 4 starting folders; git stops on 5 of them" in out
    assert "pkg/core.py" in out, "the rename's old path, where the other side edits"
    assert (_objects(repo.main), git(repo.main, "for-each-ref")) == before
