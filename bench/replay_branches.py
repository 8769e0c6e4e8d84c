"""Replay a repository's real branches as simultaneous sessions and hold agentls to git.

    python -m bench.replay_branches --repo CLONE [--branches 8] [--trunk main] [--match GLOB]

Trunk is checked out at its real tip, and each of the newest branches (release
branches, long-lived features: anything sharing history with trunk) gets a worktree at
its own tip, all at once, the way a team's sessions stand. agentls's full analysis
runs once from every worktree as the starting folder; the answers must be the same.
Then every pair, trunk included, is held to `git merge-tree` run in each side's
checkout (that side's `.gitattributes`), both ways round, as bench/replay_merges.py
holds a single merge: a path git conflicts on that agentls does not report for that
pair is a miss, a conflict where git merges cleanly both ways is a false alarm.
Between real branches most conflicts come through history one side already has
(criss-cross merges, back-ports): the class issue 10 saw missed.

Everything happens in a shared clone in a temporary folder: the repository read is
never written. Needs the network only to have the clone; tests never run this.
"""

from __future__ import annotations

import argparse
import fnmatch
import io
import itertools
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agentls.cli import write_json
from agentls.git.trees import clear_tree_cache
from agentls.report import Report
from agentls.workspace import Workspace
from bench.mine_history import merge_tree
from bench.naive import naive_merges, naive_snapshots
from bench.replay_merges import Tally, git, hold


def _branches(clone: Path, trunk: str, wanted: int, match: str) -> list[str]:
    """The WANTED newest branches besides TRUNK named like MATCH that share history
    with it."""
    names = git(
        clone, "for-each-ref", "--sort=-committerdate", "--format=%(refname:short)", "refs/heads"
    ).splitlines()
    chosen: list[str] = []
    for name in names:
        if len(chosen) == wanted:
            break
        if name == trunk or not fnmatch.fnmatchcase(name, match):
            continue
        related = subprocess.run(["git", "merge-base", trunk, name], cwd=clone, capture_output=True)
        if related.returncode == 0:
            chosen.append(name)
    return chosen


def _conflicts(report: Report, names: dict[Path, str]) -> dict[frozenset[str], set[str]]:
    """Each pair's conflicted paths in REPORT, the pair named by its worktrees' branches."""
    folders = {s.name: Path(s.path).resolve() for s in report.sessions}
    found: dict[frozenset[str], set[str]] = {}
    for collision in report.overlaps:
        if collision.kind == "conflict":
            pair = frozenset(names[folders[s]] for s in collision.sessions)
            found.setdefault(pair, set()).add(collision.path)
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replay_branches")
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--branches", type=int, default=8, help="newest branches to replay")
    parser.add_argument("--trunk", default="main")
    parser.add_argument("--match", default="*", help="only branches named like this glob")
    args = parser.parse_args(argv)
    tally, differing = Tally(), []
    stopping = paths = 0  # pairs git stops on, and their conflicted paths
    with tempfile.TemporaryDirectory(prefix="agentls-branches-") as temp:
        clone = Path(temp) / "repo"
        git(Path(temp), "clone", "-q", "--shared", "--no-checkout", str(args.repo), str(clone))
        remote = git(clone, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/remotes/origin")
        current = git(clone, "branch", "--show-current")
        for name in remote.splitlines():
            if name not in ("HEAD", current):
                git(clone, "branch", "-q", "-f", name, f"origin/{name}")
        git(clone, "checkout", "-q", "-f", args.trunk)
        branches = _branches(clone, args.trunk, args.branches, args.match)
        folders = {clone.resolve(): args.trunk}
        for name in branches:
            folder = Path(temp) / name.replace("/", "-")
            git(clone, "worktree", "add", "-q", "-f", str(folder), name)
            folders[folder.resolve()] = name
        print(f"trunk {args.trunk} and {len(branches)} branches: {', '.join(branches)}", flush=True)
        answers, cold = [], []
        for folder in folders:  # every worktree as the starting folder
            clear_tree_cache()  # each run cold: nothing parsed by the one before
            start = time.perf_counter()
            with Workspace(folder) as workspace:
                report = workspace.refresh()
                write_json(report.to_json(), io.StringIO())  # as `overlaps --json` writes it
            cold.append((time.perf_counter() - start) * 1000)
            answers.append(_conflicts(report, folders))
        start = time.perf_counter()
        worktrees = list(folders)
        naive_merges(worktrees, naive_snapshots(worktrees))
        naive = (time.perf_counter() - start) * 1000
        first = answers[0]
        differing = [folders[f] for f, a in zip(folders, answers, strict=True) if a != first]
        by_name = {name: folder for folder, name in folders.items()}
        for one, other in itertools.combinations(folders.values(), 2):
            onto_one = set(merge_tree(by_name[one], one, other)[0])
            onto_other = set(merge_tree(by_name[other], other, one)[0])
            found = first.get(frozenset((one, other)), set())
            hold(found, onto_one, onto_other, f"{one} + {other}", tally)
            if onto_one or onto_other:
                stopping += 1
                paths += len(onto_one | onto_other)
    tally.show(("started elsewhere, a different answer", differing))
    print(
        f"{tally.replays} pairs held to git, from {len(answers)} starting folders; "
        f"git stops on {stopping} of them ({paths} paths)"
    )
    print(
        f"cold full analysis + JSON, once from each folder: p50 {statistics.median(cold):.0f} ms"
        f" (max {max(cold):.0f}); the naive method once: {naive:.0f} ms"
    )
    return 1 if differing or tally.misses or tally.false_alarms else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
