"""Collision kinds, line ranges, claims and research forks."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentls.claims import glob_matches, globs_intersect, validate_glob
from agentls.errors import InvalidInputError
from agentls.workspace import Workspace
from tests.conftest import Repo, numbered


@pytest.fixture
def pair(repo: Repo):
    repo.write(repo.main, "auth/login.py", numbered(30))
    repo.write(repo.main, "billing/pay.py", numbered(30))
    repo.commit(repo.main, "base")
    return repo, repo.worktree("a", "a"), repo.worktree("b", "b")


def test_ranges_point_at_each_sides_lines(pair) -> None:
    repo, a, b = pair
    lines = numbered(30).splitlines(keepends=True)
    mine = [*lines[:3], "new top\n", *lines[3:]]  # shifts everything below by one
    mine[20] = "mine 20\n"
    repo.write(a, "auth/login.py", "".join(mine))
    theirs = list(lines)
    theirs[19] = "theirs 20\n"
    theirs[28] = "theirs 29\n"
    repo.write(b, "auth/login.py", "".join(theirs))
    with Workspace(a) as ws:
        [c] = ws.refresh().overlaps
    assert c.kind == "conflict" and c.detail == ["contents"]
    # Only the hunks taking part in the conflict, in each side's own line numbers.
    assert c.ranges == {"a": [(21, 21)], "b": [(20, 20)]}


def test_far_apart_edits_overlap_cleanly(pair) -> None:
    repo, a, b = pair
    repo.write(a, "auth/login.py", numbered(30).replace("line 2\n", "mine\n"))
    repo.write(b, "auth/login.py", numbered(30).replace("line 25\n", "theirs\n"))
    with Workspace(a) as ws:
        [c] = ws.refresh().overlaps
    assert (c.kind, c.ranges) == ("overlap", {"a": [(2, 2)], "b": [(25, 25)]})


def test_modify_delete_conflict_has_no_range_on_the_deleting_side(pair) -> None:
    repo, a, b = pair
    (a / "billing/pay.py").unlink()
    repo.write(b, "billing/pay.py", numbered(30).replace("line 5\n", "x\n"))
    with Workspace(a) as ws:
        [c] = ws.refresh().overlaps
    assert c.kind == "conflict" and "modify/delete" in c.detail
    assert c.ranges == {"a": [], "b": [(5, 5)]}


def test_ownership_names_writer_owner_and_glob(pair) -> None:
    repo, a, b = pair
    repo.write(b, "auth/login.py", numbered(30).replace("line 7\n", "stray\n"))
    with Workspace(a) as ws:
        ws.refresh()
        ws.store.update(ws.session("a").id, claims=["auth/**"])
        report = ws.refresh()
    [c] = report.overlaps
    assert (c.kind, c.sessions, c.detail) == ("ownership", ["b", "a"], ["auth/**"])
    assert c.ranges["b"] == [(7, 7)]


def test_research_fork_writes_are_flagged_except_brief_and_handoff(pair) -> None:
    repo, a, _b = pair
    fork = repo.worktree("fork", None, start="a")
    repo.write(fork, "BRIEF.md", "notes\n")
    repo.write(fork, "HANDOFF.md", "notes\n")
    repo.write(fork, "auth/login.py", numbered(30).replace("line 1\n", "oops\n"))
    with Workspace(a) as ws:
        ws.refresh()
        ws.store.update(ws.session("fork").id, role="research")
        report = ws.refresh()
    [c] = report.overlaps
    assert (c.kind, c.path, c.sessions) == ("research-write", "auth/login.py", ["fork"])
    assert report.session("fork").changed == ["BRIEF.md", "HANDOFF.md", "auth/login.py"]


def test_ignore_globs_hide_collisions(pair) -> None:
    repo, a, b = pair
    repo.write(a, "auth/login.py", numbered(30).replace("line 2\n", "mine\n"))
    repo.write(b, "auth/login.py", numbered(30).replace("line 2\n", "theirs\n"))
    with Workspace(a, ignore=["auth/**"]) as ws:
        assert ws.refresh().overlaps == []


@pytest.mark.parametrize(
    ("glob", "path", "expected"),
    [
        ("auth/**", "auth/login.py", True),
        ("auth/**", "auth/deep/x.py", True),
        ("auth/**", "authz/x.py", False),
        ("auth", "auth/x.py", True),
        ("auth", "auth", True),
        ("*.lock", "poetry.lock", True),
        ("*.lock", "sub/poetry.lock", False),
        ("**/*.lock", "sub/poetry.lock", True),
        ("src/*.py", "src/a.py", True),
        ("src/*.py", "src/a/b.py", False),
        ("src/?.py", "src/a.py", True),
    ],
)
def test_glob_matching(glob: str, path: str, expected: bool) -> None:
    assert glob_matches(validate_glob(glob), path) is expected


@pytest.mark.parametrize("bad", ["", "  ", "/etc/**", "../x", "a/../../b", "a//b", "C:\\x"])
def test_bad_globs_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInputError):
        validate_glob(bad)


def test_glob_intersection() -> None:
    assert globs_intersect("auth/**", "auth/login.py")
    assert globs_intersect("auth/**", "auth/sub/**")
    assert not globs_intersect("auth/**", "billing/**")


def test_landed_work_a_session_carries_is_labelled_via_trunk(repo: Repo) -> None:
    """A session that branched after a landing carries it: git's conflict between the
    two sessions is reported on their pair too, labelled as coming from trunk."""
    repo.write(repo.main, "app.py", numbered(20))
    repo.commit(repo.main, "base")
    early = repo.worktree("early", "early")
    repo.write(early, "app.py", numbered(20).replace("line 3\n", "early\n"))
    repo.write(repo.main, "app.py", numbered(20).replace("line 3\n", "landed\n"))
    repo.commit(repo.main, "landed")
    late = repo.worktree("late", "late")  # branched after the landing, changed nothing
    repo.write(late, "other.py", "x\n")
    with Workspace(early) as ws:
        report = ws.refresh()
    pairs = {(c.kind, tuple(c.sessions), c.via) for c in report.overlaps}
    assert pairs == {
        ("conflict", ("main", "early"), None),
        ("conflict", ("early", "late"), "trunk"),
    }


def test_line_ranges_are_worked_out_while_git_merges(pair) -> None:
    """The full check reads both sides' hunks of the paths they both changed while git
    merges the pair; the report then finds them done."""
    repo, a, b = pair
    repo.write(a, "auth/login.py", numbered(30).replace("line 9\n", "mine\n"))
    repo.write(b, "auth/login.py", numbered(30).replace("line 9\n", "theirs\n"))
    with Workspace(a) as ws:
        ws.scan(ws.begin())
        assert not ws.analyzer.lines._hunks
        ws.reconcile()
        ahead = dict(ws.analyzer.lines._hunks)
        assert len(ahead) == 2  # the base to each side, before any report asked
        [collision] = ws.report().overlaps
        assert collision.kind == "conflict"
        assert ws.analyzer.lines._hunks == ahead  # the report needed nothing more


def test_reconcile_stops_between_pairs_when_asked(pair) -> None:
    repo, a, b = pair
    repo.write(b, "auth/login.py", numbered(30).replace("line 9\n", "theirs\n"))
    with Workspace(a) as ws:
        ws.refresh()
        state, rel = ws.locate(a / "auth/login.py")  # type: ignore[misc]
        ws.buffer_changed(state, rel, numbered(30).replace("line 9\n", "mine\n"))
        asked = []
        assert ws.reconcile(interrupted=lambda: asked.append(1) or True) is False
        assert len(asked) == 1  # stopped before the first pair
        assert all(p.verified is None for p in ws.analyzer.pairs.values() if p.conflicts)
        assert ws.reconcile() is True
        assert all(p.verified is not None for p in ws.analyzer.pairs.values())
        [collision] = ws.report().overlaps
        assert collision.kind == "conflict"


def test_session_notes_never_collide(pair) -> None:
    """Every session keeps its own HANDOFF.md / BRIEF.md: notes are not collisions."""
    repo, a, b = pair
    for wt in (a, b):
        repo.write(wt, "HANDOFF.md", f"# notes of {wt.name}\n")
        repo.write(wt, "BRIEF.md", f"# brief of {wt.name}\n")
        repo.write(wt, "docs/HANDOFF.md", f"# a real file, edited in {wt.name}\n")
    with Workspace(a) as ws:
        report = ws.refresh()
    assert {(c.kind, c.path) for c in report.overlaps} == {("conflict", "docs/HANDOFF.md")}
    assert "HANDOFF.md" in report.session("a").changed  # still part of the change set


def _picture(report) -> tuple[list[tuple], list[str]]:
    collisions = sorted(
        (c.kind, c.path, tuple(c.sessions), sorted(c.ranges.items()), c.via)
        for c in report.overlaps
    )
    return collisions, [s.name for s in report.sessions]


def test_a_long_lived_workspace_reports_what_a_fresh_one_does(repo: Repo) -> None:
    """The engine's Workspace keeps each pair's collisions and each session's info between
    reports and asks again only what changed (Analyzer.all_collisions): after edits, a new
    cascade order, a rename and a removed session it must say what a cold start says."""
    from agentls.lifecycle.metadata import rename_session, set_priority

    original = numbered(30)
    repo.write(repo.main, "f.txt", original)
    repo.write(repo.main, "g.txt", original)
    repo.commit(repo.main, "base")
    a, b, c = (repo.worktree(n, n) for n in ("a", "b", "c"))
    repo.write(b, "f.txt", original.replace("line 5\n", "b five\n"))
    repo.write(c, "g.txt", original.replace("line 9\n", "c nine\n"))

    def fresh():
        with Workspace(repo.main) as cold:
            return _picture(cold.refresh())

    with Workspace(repo.main) as ws:
        assert _picture(ws.refresh()) == fresh()

        def edit(wt, path: str, text: str) -> None:
            repo.write(wt, path, text)
            located = ws.locate(wt / path)
            assert located is not None
            ws.file_changed(*located)

        edit(a, "f.txt", original.replace("line 5\n", "a five\n"))
        assert ("conflict", "f.txt", ("a", "b")) in [p[:3] for p in _picture(ws.report())[0]]
        assert _picture(ws.report()) == fresh()
        edit(a, "g.txt", original.replace("line 20\n", "a twenty\n"))
        assert _picture(ws.report()) == fresh()

        set_priority(ws, "c", -5)  # c lands first now: every pair with it turns around
        assert _picture(ws.report())[1][:2] == ["c", "main"]
        assert _picture(ws.report()) == fresh()

        rename_session(ws, "b", "bee")
        assert ("conflict", "f.txt", ("a", "bee")) in [p[:3] for p in _picture(ws.report())[0]]
        assert _picture(ws.report()) == fresh()

        edit(a, "f.txt", original)  # a's conflict with bee goes away, its overlap on g stays
        assert _picture(ws.report()) == fresh()

        repo.git(repo.main, "worktree", "remove", "--force", str(c))
        ws.refresh()
        assert "c" not in _picture(ws.report())[1]
        assert _picture(ws.report()) == fresh()


def test_the_report_follows_a_pairs_verdicts_when_no_side_changed(pair) -> None:
    """The full check may correct a pair's verdicts while neither session changed (its
    snapshots are what they were): the report must show the pair's answer as it is now,
    not the list kept from the report before."""
    repo, a, b = pair
    repo.write(a, "auth/login.py", numbered(30).replace("line 5\n", "a\n"))
    repo.write(b, "auth/login.py", numbered(30).replace("line 5\n", "b\n"))
    with Workspace(a) as ws:
        assert [c.kind for c in ws.refresh().overlaps] == ["conflict"]
        sa, sb = (ws.states[s.id] for s in ws.sessions if s.name in ("a", "b"))
        checked = ws.analyzer.check_pair(sa, sb)
        checked.conflicts.clear()  # as if an earlier answer had missed it...
        checked.overlaps.clear()
        checked.verified = None
        ws.analyzer._bump(checked)
        assert ws.report().overlaps == []  # ...which the report shows, as it is
        ws.reconcile()  # the full check runs again and finds the conflict
        assert [c.kind for c in ws.report().overlaps] == ["conflict"]


def test_the_warm_up_during_scans_leaves_the_answer_as_it_was(pair) -> None:
    """warm_up (run while git scans worktrees) does the commit-only work ahead: every
    pair's merge-base and committed change sets. The answer after it is the same, also
    when a side's uncommitted work undoes a committed change."""
    repo, a, b = pair
    repo.write(a, "auth/login.py", numbered(30).replace("line 4\n", "a4\n"))
    repo.commit(a, "a's work")
    repo.write(a, "auth/login.py", numbered(30))  # uncommitted: back as on the base
    repo.write(b, "auth/login.py", numbered(30).replace("line 4\n", "b4\n"))
    repo.commit(b, "b's work")
    repo.write(a, "billing/pay.py", numbered(30).replace("line 9\n", "a9\n"))
    repo.write(b, "billing/pay.py", numbered(30).replace("line 9\n", "b9\n"))
    with Workspace(a) as cold:
        expected = [c.key() for c in cold.refresh().overlaps]
    assert expected and all("auth/login.py" not in key for key in map(str, expected))
    with Workspace(a) as ws:
        states = ws.begin()
        steps = sum(1 for _ in ws.analyzer.warm_up(ws._pairs()))
        assert steps == 3 * 3  # 3 pairs (main, a, b): a base each, then both sides' diffs
        assert all(p.base is not None for p in ws.analyzer.pairs.values())
        ws.scan(states)
        ws.reconcile()
        assert [c.key() for c in ws.report().overlaps] == expected


def test_an_unchanged_collision_stays_the_same_object_after_an_edit(pair) -> None:
    """After an edit, the pair's collisions are worked out again; one equal to before is
    the object made before, so the engine does not make its JSON again."""
    repo, a, b = pair
    for side in (a, b):
        repo.write(side, "auth/login.py", numbered(30).replace("line 5\n", f"{side.name}\n"))
        repo.write(side, "billing/pay.py", numbered(30).replace("line 9\n", f"{side.name}\n"))
    with Workspace(a) as ws:
        before = {c.path: c for c in ws.refresh().overlaps}
        assert sorted(before) == ["auth/login.py", "billing/pay.py"]
        # a moves its edit two lines down: no conflict now, an overlap.
        repo.write(a, "auth/login.py", numbered(30).replace("line 7\n", "a\n"))
        located = ws.locate(a / "auth/login.py")
        assert located is not None and ws.file_changed(*located)
        after = {c.path: c for c in ws.report().overlaps}
    assert after["billing/pay.py"] is before["billing/pay.py"]
    moved = after["auth/login.py"]
    assert moved.kind == "overlap" and moved.ranges == {"a": [(7, 7)], "b": [(5, 5)]}


@settings(max_examples=200, deadline=None)
@given(
    code=st.integers(0, 8),
    remote=st.integers(0, 4),
    which=st.integers(0, 13),
)
def test_the_pairs_of_one_session_are_those_pairs_of_lists_in_its_order(
    code: int, remote: int, which: int
) -> None:
    """pairs_with(s) is pairs_of filtered to the pairs s is a side of (what an edit of
    s re-decides), for a code session, a remote one and a research fork (in neither)."""
    from agentls.analysis import pairs_of, pairs_with

    states: list[Any] = [object() for _ in range(code + remote + 1)]
    code_states, remote_states = states[:code], states[code : code + remote]
    changed = states[which % len(states)]
    expected = [p for p in pairs_of(code_states, remote_states) if changed in (p[0], p[1])]
    assert pairs_with(changed, code_states, remote_states) == expected
