"""git's merges side by side (MergeTree.merge_all, Analyzer.check_pairs): the same
answers as one merge after another, a stop that leaves git's processes in step, and
no process left behind."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentls.errors import GitError
from agentls.git.attributes import AttributeSource
from agentls.git.merge import MergeTree
from agentls.workspace import Workspace
from tests.conftest import Repo, numbered

NO_RULES = AttributeSource()


def _merge_processes() -> int:
    """This process's children that are `git merge-tree` (stdbuf execs git)."""
    found = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        found += parent == os.getpid() and b"merge-tree" in cmdline
    return found


@pytest.fixture
def commits(repo: Repo) -> list[str]:
    """Five commits off one base: four edit line 3 of f.txt differently, one another file."""
    repo.write(repo.main, "f.txt", numbered(10))
    repo.write(repo.main, "g.txt", numbered(10, "g"))
    repo.commit(repo.main, "base")
    made = []
    for n in range(5):
        wt = repo.worktree(f"w{n}", f"w{n}")
        lines = (wt / "f.txt").read_text().splitlines(keepends=True)
        lines[2] = f"three from w{n}\n"
        repo.write(wt, "g.txt" if n == 4 else "f.txt", "".join(lines))
        made.append(repo.commit(wt, f"w{n}"))
    return made


def _merger(repo: Repo, *, spread_after: float, side_by_side: int) -> MergeTree:
    merger = MergeTree(Path(repo.git(repo.main, "rev-parse", "--absolute-git-dir")))
    merger.SPREAD_AFTER = spread_after
    merger.side_by_side = side_by_side
    return merger


def test_merges_side_by_side_answer_as_one_after_another(repo: Repo, commits: list[str]) -> None:
    questions = [(a, b, NO_RULES) for a in commits for b in commits if a < b]
    alone = _merger(repo, spread_after=3600, side_by_side=3)
    spread = _merger(repo, spread_after=0, side_by_side=3)
    try:
        one_by_one = [alone.merge(a, b, rules) for a, b, rules in questions]
        assert sum(not r.clean for r in one_by_one) == 6  # the four f.txt edits pairwise
        assert alone.merge_all(questions) == one_by_one
        assert alone.most_at_once == 1  # ~1 ms merges never wait for company

        steps: list[int] = []

        def work() -> Iterator[None]:
            for n in range(10_000):
                steps.append(n)
                yield

        assert spread.merge_all(questions, work()) == one_by_one
        assert spread.most_at_once == 3
        assert _merge_processes() == 2  # each merger's own; the extra ones are gone
        assert spread.merge_all(questions[:1]) == one_by_one[:1]  # its own, still in step
    finally:
        alone.close()
        spread.close()
    assert _merge_processes() == 0


def test_a_stop_leaves_the_rest_unasked_and_git_in_step(repo: Repo, commits: list[str]) -> None:
    questions = [(commits[0], b, NO_RULES) for b in commits[1:]]
    merger = _merger(repo, spread_after=0, side_by_side=2)
    asked = 0

    def stop() -> bool:
        nonlocal asked
        asked += 1
        return asked > 2  # two questions go out, then the stop comes

    try:
        answers = merger.merge_all(questions, stop=stop)
        assert [a is not None for a in answers] == [True, True, False, False]
        expected = [merger.merge(a, b, rules) for a, b, rules in questions]
        assert answers[:2] == expected[:2]
        assert merger.merge_all(questions) == expected
    finally:
        merger.close()


def test_a_merge_git_cannot_make_is_refused_and_the_next_call_works(
    repo: Repo, commits: list[str]
) -> None:
    questions = [(commits[0], commits[1], NO_RULES), ("0" * 40, commits[1], NO_RULES)]
    merger = _merger(repo, spread_after=0, side_by_side=2)
    try:
        with pytest.raises(GitError, match=r"could not merge 0{40} and"):
            merger.merge_all(questions)
        assert _merge_processes() <= 1
        assert merger.merge_all(questions[:1])[0] == merger.merge(*questions[0])
    finally:
        merger.close()


def test_a_full_check_side_by_side_reports_what_one_after_another_does(repo: Repo) -> None:
    """Six sessions, conflicts, overlaps, a rename and uncommitted work: the report with
    every merge side by side is the report with one after another."""
    repo.write(repo.main, "shared.py", numbered(40))
    repo.write(repo.main, "moved.py", numbered(30, "m"))
    repo.commit(repo.main, "base")
    for n in range(5):
        wt = repo.worktree(f"s{n}", f"s{n}")
        lines = (wt / "shared.py").read_text().splitlines(keepends=True)
        lines[5 + (n % 2) * 20] = f"line from s{n}\n"  # even ones conflict, odd ones too
        repo.write(wt, "shared.py", "".join(lines))
        if n == 1:  # renamed, and line 4 edited as s2 edits it at the old path
            repo.git(wt, "mv", "moved.py", "renamed.py")
            repo.write(wt, "renamed.py", numbered(30, "m").replace("m 4\n", "m FOUR\n"))
        if n == 2:
            repo.write(wt, "moved.py", numbered(30, "m").replace("m 4\n", "m four\n"))
        if n % 2:
            repo.commit(wt, f"s{n}")
    reports = []
    for spread_after in (3600.0, 0.0):
        with Workspace(repo.main) as ws:
            ws.merger.SPREAD_AFTER = spread_after
            ws.merger.side_by_side = 3
            reports.append(ws.refresh().to_json())
            most = ws.merger.most_at_once
    assert most == 3
    assert reports[0] == reports[1]
    kinds = {(c["kind"], c["path"]) for c in reports[0]["overlaps"]}
    assert ("conflict", "shared.py") in kinds and ("conflict", "renamed.py") in kinds


def test_an_interrupted_full_check_is_finished_by_the_next(repo: Repo) -> None:
    repo.write(repo.main, "shared.py", numbered(20))
    repo.commit(repo.main, "base")
    for n in range(4):
        wt = repo.worktree(f"s{n}", f"s{n}")
        repo.write(wt, "shared.py", numbered(20).replace("line 3\n", f"s{n}\n"))
    with Workspace(repo.main) as ws:
        ws.merger.SPREAD_AFTER, ws.merger.side_by_side = 0.0, 2
        ws.scan(ws.begin())
        # An edit arrives once two of the six merges are under way.
        assert ws.reconcile(lambda: ws.merger.most_at_once >= 2) is False
        partial = ws.report()
        assert ws.reconcile() is True
        whole = ws.report()
    with Workspace(repo.main) as fresh:
        assert whole.to_json() == fresh.refresh().to_json()
    conflicts = [c for c in whole.overlaps if c.kind == "conflict"]
    assert len(conflicts) == 6  # the four sessions pairwise, trunk untouched
    assert len([c for c in partial.overlaps if c.kind == "conflict"]) == 2
