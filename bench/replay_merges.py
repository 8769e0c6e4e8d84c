"""Replay a repository's real merges as sessions and hold agentls's answer to git's.

    python -m bench.replay_merges --repo /path/to/clone [--merges 1500] [--clean 40]

The newest two-parent merges of the default branch are merged again by git
(`git merge-tree`, both ways round, no attributes: the listing). Every merge git stops
on, and a seeded sample of clean ones, is then replayed as sessions: trunk at the
merge-base, one worktree at each parent; once with the second parent committed, once
with its work left uncommitted on the base (edits unstaged, new files untracked), and
once with the first parent landed (trunk there too, its session no work of its own:
every conflict comes through trunk's history, and the pair and trunk must both show it).
agentls's full analysis runs in process. git is asked again in each side's checkout,
where that side's `.gitattributes` apply (`merge=union` on a changelog, say), as a
rebase onto that side would read them; agentls takes one direction, so its answer must
hold every conflict of at least one of the two. A miss is a path git conflicts on that
agentls does not report for that pair; a false alarm is a conflict reported where git
merges cleanly both ways. Paths agentls reports beyond git's (a rename's or a moved
folder's old path, where the other side still edits) are counted and listed, not
failed. Exit status 1 on any miss or false alarm. (A merge that only conflicts through
attributes, `merge=binary` say, is not in the listing.)

Everything happens in a shared clone in a temporary folder: the repository read is
never written. Needs the network only to have the clone; tests never run this.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from agentls.workspace import Workspace
from bench.mine_history import merge_tree


@dataclass
class Tally:
    replays: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)

    def show(self, *more: tuple[str, list[str]]) -> None:
        """Every list, MORE first, each with its count and its items."""
        for title, items in (
            *more,
            ("missed", self.misses),
            ("false alarms", self.false_alarms),
            ("also reported at another path (a rename's old path)", self.elsewhere),
        ):
            print(f"{title}: {len(items)}")
            for item in items:
                print(f"  {item}")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def _place(worktree: Path, branch: str, commit: str) -> None:
    git(worktree, "checkout", "-q", "-f", "-B", branch, commit)
    git(worktree, "clean", "-q", "-fdx")


def replay(clone: Path, ours: str, theirs: str, tally: Tally) -> None:
    base = git(clone, "merge-base", ours, theirs)
    first, second = clone.parent / "ours", clone.parent / "theirs"
    for variant in ("committed", "uncommitted", "landed"):
        # landed: ours is trunk already and its session has no work of its own, so
        # every conflict comes through trunk's history (the class issue 10 saw missed).
        _place(clone, "trunk", ours if variant == "landed" else base)
        _place(first, "ours", ours)
        if variant == "uncommitted":
            _place(second, "theirs", base)
            git(second, "read-tree", "-m", "-u", base, theirs)
            git(second, "reset", "-q")
        else:
            _place(second, "theirs", theirs)
        # Each way round, with the attributes of the side rebased onto.
        onto_ours = set(merge_tree(first, ours, theirs)[0])
        onto_theirs = set(merge_tree(second, theirs, ours)[0])
        with Workspace(clone) as workspace:
            report = workspace.refresh()
        names = {Path(s.path).resolve(): s.name for s in report.sessions}
        pairs = [(first, second)] + ([(clone, second)] if variant == "landed" else [])
        for one, other in pairs:
            pair = {names[one.resolve()], names[other.resolve()]}
            found = {
                c.path for c in report.overlaps if c.kind == "conflict" and set(c.sessions) == pair
            }
            label = f"{ours[:12]} + {theirs[:12]} ({variant}, {' + '.join(sorted(pair))})"
            hold(found, onto_ours, onto_theirs, label, tally)


def hold(
    found: set[str], onto_ours: set[str], onto_theirs: set[str], label: str, tally: Tally
) -> None:
    """agentls's conflicts for one pair (FOUND) against git's, each way round."""
    tally.replays += 1
    missing = min(onto_ours - found, onto_theirs - found, key=len)
    if missing:
        tally.misses.append(f"{label}: {sorted(missing)}")
    if found and not onto_ours and not onto_theirs:
        tally.false_alarms.append(f"{label}: {sorted(found)}")
    elsewhere = found - onto_ours - onto_theirs
    if elsewhere and (onto_ours or onto_theirs):
        tally.elsewhere.append(f"{label}: {sorted(elsewhere)}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replay_merges")
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--merges", type=int, default=1500, help="newest merges to look at")
    parser.add_argument("--clean", type=int, default=40, help="clean merges to replay too")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="agentls-replay-") as temp:
        clone = Path(temp) / "repo"
        git(Path(temp), "clone", "-q", "--shared", "--no-checkout", str(args.repo), str(clone))
        lines = git(
            clone, "rev-list", "--merges", "--parents", f"--max-count={args.merges}", "HEAD"
        )
        parents = [line.split()[1:] for line in lines.splitlines() if len(line.split()) == 3]
        conflicting: list[tuple[str, str]] = []
        clean: list[tuple[str, str]] = []
        unrelated = 0
        for ours, theirs in parents:
            if subprocess.run(
                ["git", "merge-base", ours, theirs], cwd=clone, capture_output=True
            ).returncode:
                unrelated += 1  # git refuses to merge unrelated histories: nothing to hold
                continue
            # Either side may be rebased onto the other: git's conflicts either way round.
            paths = set(merge_tree(clone, ours, theirs)[0]) | set(
                merge_tree(clone, theirs, ours)[0]
            )
            (conflicting if paths else clean).append((ours, theirs))
        sample = random.Random(7).sample(clean, min(args.clean, len(clean)))
        print(f"{len(parents)} merges: {len(conflicting)} conflict, {unrelated} of unrelated "
              f"histories; replaying the conflicting ones and {len(sample)} clean ones, "
              "committed, uncommitted and landed", flush=True)  # fmt: skip
        git(clone, "checkout", "-q", "-f", "-B", "trunk", parents[0][0])
        for name in ("ours", "theirs"):
            git(clone, "worktree", "add", "-q", "-f", "-B", name, str(Path(temp) / name), "trunk")
        tally = Tally()
        for ours, theirs in conflicting + sample:
            replay(clone, ours, theirs, tally)
    tally.show()
    print(f"{tally.replays} replays")
    return 1 if tally.misses or tally.false_alarms else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
