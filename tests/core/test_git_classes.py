"""One regression test per class of conflict agentls used to miss, each checked against
`git merge-tree` (and, for attributes, against a real `git rebase`, which is what
`agentls land` runs)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from agentls.advice import advice
from agentls.report import Collision, Report
from agentls.server.diagnostics import build as build_diagnostics
from agentls.server.settings import Settings
from agentls.workspace import Workspace
from tests.conftest import Repo, git, numbered
from tests.core.oracle import Oracle, oracle_snapshot


def _edit(repo: Repo, wt: Path, path: str, line: int, text: str) -> None:
    lines = (wt / path).read_text().splitlines(keepends=True)
    lines[line - 1] = text + "\n"
    repo.write(wt, path, "".join(lines))


def _pair(report: Report, *names: str) -> dict[str, Collision]:
    return {c.path: c for c in report.overlaps if set(c.sessions) == set(names)}


def _git_conflicts(repo: Repo, onto: Path, a: Path, b: Path) -> set[str]:
    with Oracle(repo.main) as oracle:
        snapshots = {wt: oracle_snapshot(wt) for wt in (onto, a, b)}
        return oracle.merge(snapshots[onto], snapshots[a], snapshots[b]).conflicted


def _events(ws: Workspace, wt: Path, *paths: str) -> None:
    for path in paths:
        located = ws.locate(wt / path)
        assert located is not None
        ws.file_changed(*located)


@pytest.fixture
def two(repo: Repo) -> tuple[Repo, Path, Path]:
    repo.write(repo.main, "a.py", numbered(20))
    repo.write(repo.main, "src/x.py", numbered(10, "x"))
    repo.write(repo.main, "src/y.py", numbered(10, "y"))
    repo.write(repo.main, "img.bin", b"\x00binary\xff" * 4)
    repo.commit(repo.main, "base")
    return repo, repo.worktree("s1", "s1"), repo.worktree("s2", "s2")


def test_rename_and_edit_is_a_conflict_at_both_paths(two) -> None:
    repo, s1, s2 = two
    git(s1, "mv", "a.py", "b.py")
    _edit(repo, s1, "b.py", 5, "five from s1")
    _edit(repo, s2, "a.py", 5, "five from s2")
    assert _git_conflicts(repo, s1, s1, s2) == {"b.py"}
    with Workspace(s2) as ws:
        found = _pair(ws.refresh(), "s1", "s2")
    assert set(found) == {"a.py", "b.py"}
    at_new, at_old = found["b.py"], found["a.py"]
    assert (at_new.kind, at_new.detail, at_new.paths, at_new.merged_path) == (
        "conflict",
        ["contents"],
        {"s2": "a.py"},
        None,
    )
    assert (at_old.paths, at_old.merged_path) == ({"s1": "b.py"}, "b.py")
    assert at_new.ranges == at_old.ranges == {"s1": [(5, 5)], "s2": [(5, 5)]}


def test_each_session_sees_a_rename_conflict_in_its_own_file(two) -> None:
    repo, s1, s2 = two
    git(s1, "mv", "a.py", "b.py")
    _edit(repo, s1, "b.py", 5, "five from s1")
    _edit(repo, s2, "a.py", 5, "five from s2")
    with Workspace(s2) as ws:
        report = json.loads(json.dumps(ws.refresh().to_json()))
    sessions = {s["name"]: s for s in report["sessions"]}
    for name, own, other in (("s1", "b.py", "a.py"), ("s2", "a.py", "b.py")):
        found = build_diagnostics(report, sessions[name], Settings(), lambda _: None)
        [(file, [diagnostic])] = found.items()
        assert file == Path(sessions[name]["path"]) / own
        [related] = diagnostic.related_information or []
        assert related.location.uri.endswith("/" + other)
        assert diagnostic.data["otherFile"] == other


def test_rename_done_live_shows_without_a_full_check(two) -> None:
    """Incremental: the watcher sees a delete and an add; the answer is still git's."""
    repo, s1, s2 = two
    _edit(repo, s2, "a.py", 5, "five from s2")
    with Workspace(s1) as ws:
        ws.refresh()
        (s1 / "a.py").rename(s1 / "b.py")
        _edit(repo, s1, "b.py", 5, "five from s1")
        _events(ws, s1, "a.py", "b.py")
        live = {(c.kind, c.path, tuple(c.sessions)) for c in ws.report().overlaps}
        with Workspace(s1) as cold:
            full = {(c.kind, c.path, tuple(c.sessions)) for c in cold.refresh().overlaps}
    assert live == full
    assert ("conflict", "b.py", ("s1", "s2")) in live


def test_rename_rename_of_a_binary(two) -> None:
    repo, s1, s2 = two
    git(s1, "mv", "img.bin", "one.bin")
    git(s2, "mv", "img.bin", "two.bin")
    expected = _git_conflicts(repo, s1, s1, s2)
    assert expected == {"img.bin", "one.bin", "two.bin"}
    with Workspace(s1) as ws:
        found = _pair(ws.refresh(), "s1", "s2")
    assert set(found) == expected
    assert all(c.detail == ["rename/rename"] for c in found.values())
    assert found["one.bin"].paths == {"s2": "two.bin"}


def test_folder_moved_on_one_side_edited_on_the_other(two) -> None:
    repo, s1, s2 = two
    git(s1, "mv", "src", "lib")
    _edit(repo, s1, "lib/x.py", 3, "three from s1")
    _edit(repo, s2, "src/x.py", 3, "three from s2")
    repo.write(s2, "src/new.py", "new file in the old folder\n")
    expected = _git_conflicts(repo, s1, s1, s2)
    assert expected == {"lib/x.py", "lib/new.py"}
    with Workspace(s1) as ws:
        found = _pair(ws.refresh(), "s1", "s2")
    assert set(found) == {"lib/x.py", "src/x.py", "lib/new.py", "src/new.py"}
    assert found["lib/new.py"].detail == ["directory rename suggested"]
    assert found["src/new.py"].merged_path == "lib/new.py"
    assert found["src/x.py"].ranges == {"s1": [(3, 3)], "s2": [(3, 3)]}


def test_modify_delete_of_a_file_born_after_the_trunk_base(repo: Repo) -> None:
    """A file added on a branch after trunk's base, modified by one session, deleted by
    a session that branched off it: git reports modify/delete on that pair."""
    repo.write(repo.main, "app.py", numbered(5))
    repo.commit(repo.main, "base")
    release = repo.worktree("release", "release")
    repo.write(release, "born.py", numbered(10))
    repo.commit(release, "born on the release branch")
    later = repo.worktree("later", "later", start="release")
    _edit(repo, release, "born.py", 4, "changed on release")
    repo.commit(release, "modify")
    (later / "born.py").unlink()
    repo.commit(later, "delete")
    assert _git_conflicts(repo, release, release, later) == {"born.py"}
    with Workspace(repo.main) as ws:
        found = _pair(ws.refresh(), "release", "later")
    assert found["born.py"].detail == ["modify/delete"]
    assert found["born.py"].via is None  # both sessions' own work


def test_ancestor_branch_with_no_own_commits(repo: Repo) -> None:
    """A session still at an old trunk commit edits a file trunk changed since; a session
    that branched from today's trunk carries that change: the pair conflicts via trunk."""
    repo.write(repo.main, "app.py", numbered(10))
    repo.commit(repo.main, "base")
    old = repo.worktree("old", "old")
    _edit(repo, repo.main, "app.py", 2, "landed on trunk")
    repo.commit(repo.main, "landed")
    new = repo.worktree("new", "new")
    repo.write(new, "other.py", "x\n")
    _edit(repo, old, "app.py", 2, "edited on the old branch")
    assert _git_conflicts(repo, old, old, new) == {"app.py"}
    with Workspace(new) as ws:
        report = ws.refresh()
    assert _pair(report, "old", "new")["app.py"].via == "trunk"
    assert _pair(report, "main", "old")["app.py"].via is None
    said = advice(report)
    assert any(line.startswith("2 predicted conflicts: land") for line in said), said
    assert (
        "1 of them comes through work already on main: the session without it will meet it"
        " when it rebases onto main"
    ) in said


def test_criss_cross_merges_with_two_merge_bases(repo: Repo) -> None:
    repo.write(repo.main, "app.py", numbered(10))
    repo.write(repo.main, "lib.py", numbered(10, "lib"))
    repo.commit(repo.main, "base")
    one, two = repo.worktree("one", "one"), repo.worktree("two", "two")
    _edit(repo, one, "app.py", 2, "one")
    tip_one = repo.commit(one, "one")
    _edit(repo, two, "lib.py", 2, "two")
    tip_two = repo.commit(two, "two")
    git(one, "merge", "-q", "--no-edit", tip_two)
    git(two, "merge", "-q", "--no-edit", tip_one)
    _edit(repo, one, "app.py", 5, "one again")
    _edit(repo, two, "app.py", 5, "two again")
    bases = git(repo.main, "merge-base", "--all", "one", "two").split()
    assert len(bases) == 2
    expected = _git_conflicts(repo, one, one, two)
    assert expected == {"app.py"}
    with Workspace(repo.main) as ws:
        found = _pair(ws.refresh(), "one", "two")
    assert {p for p, c in found.items() if c.kind == "conflict"} == {"app.py"}
    # Ranges are measured from git's own (virtual) base: stage 1 of the conflict.
    assert found["app.py"].ranges == {"one": [(5, 5)], "two": [(5, 5)]}


def _attributes_setup(repo: Repo) -> tuple[Path, Path]:
    repo.write(repo.main, "notes.txt", numbered(10))
    repo.commit(repo.main, "base")
    # Cascade order is the order sessions were first seen: worktrees by name.
    union, plain = repo.worktree("first", "first"), repo.worktree("second", "second")
    repo.write(union, ".gitattributes", "*.txt merge=union\n")
    for wt in (union, plain, repo.main):
        _edit(repo, wt, "notes.txt", 5, f"line five from {wt.name}")
    return union, plain


def test_attributes_come_from_the_side_rebased_onto_from_any_folder(repo: Repo) -> None:
    """Each pair reads the attributes of the session the other is rebased onto: trunk's,
    or the first in cascade order. The same answer from every starting folder."""
    union, plain = _attributes_setup(repo)
    answers = []
    for folder in (repo.main, union, plain):
        with Workspace(folder) as ws:
            report = ws.refresh()
        answers.append({(c.kind, c.path, tuple(c.sessions)) for c in report.overlaps})
    assert answers[0] == answers[1] == answers[2]
    order = [s.name for s in report.sessions]
    assert order == ["main", "first", "second"]
    expected = {
        ("conflict", "notes.txt", ("main", "first")),  # trunk's attributes: no union
        ("conflict", "notes.txt", ("main", "second")),
        ("overlap", "notes.txt", ("first", "second")),  # first lands first: its rule applies
    }
    assert answers[0] == expected
    # git, run in a checkout of the side rebased onto, agrees.
    assert _git_conflicts(repo, repo.main, repo.main, union) == {"notes.txt"}
    assert _git_conflicts(repo, union, union, plain) == set()


@pytest.mark.parametrize("rule_on", ["trunk", "session"])
def test_trunk_pair_prediction_is_what_a_rebase_does(repo: Repo, rule_on: str) -> None:
    """`agentls land` rebases the session onto trunk in its worktree; git then reads the
    attributes of trunk's tree, checked out there. The prediction says the same."""
    repo.write(repo.main, "notes.txt", numbered(10))
    repo.commit(repo.main, "base")
    session = repo.worktree("work", "work")
    where = repo.main if rule_on == "trunk" else session
    repo.write(where, ".gitattributes", "*.txt merge=union\n")
    _edit(repo, repo.main, "notes.txt", 5, "trunk's line five")
    repo.commit(repo.main, "trunk")
    _edit(repo, session, "notes.txt", 5, "the session's line five")
    repo.commit(session, "work")
    with Workspace(session) as ws:
        predicted = {c.kind for c in _pair(ws.refresh(), "main", "work").values()}
    rebase = subprocess.run(
        ["git", "rebase", "main"], cwd=session, capture_output=True, check=False
    )
    stopped = rebase.returncode != 0
    if stopped:
        git(session, "rebase", "--abort")
    assert predicted == ({"conflict"} if stopped else {"overlap"})
    assert stopped == (rule_on == "session")


def _two_edits_of_line_3(repo: Repo) -> tuple[str, str]:
    """Two sessions' commits, each changing line 3 of f.txt its own way."""
    repo.write(repo.main, "f.txt", numbered(5))
    repo.commit(repo.main, "base")
    one, two = repo.worktree("one", "one"), repo.worktree("two", "two")
    for wt in (one, two):
        _edit(repo, wt, "f.txt", 3, wt.name)
    return repo.commit(one), repo.commit(two)


def test_merges_never_read_the_folder_they_start_in(repo: Repo) -> None:
    """git merge-tree reads .gitattributes from its working tree; agentls's runs in a
    scratch one holding exactly the attribute source it was given."""
    from agentls.git.attributes import AttributeSource
    from agentls.git.merge import MergeTree

    a, b = _two_edits_of_line_3(repo)
    repo.write(repo.main, ".gitattributes", "*.txt merge=union\n")  # in the cwd, not given
    union = repo.git(repo.main, "hash-object", "-w", ".gitattributes")
    merger = MergeTree(Path(repo.git(repo.main, "rev-parse", "--absolute-git-dir")))
    try:
        assert merger.merge(a, b, AttributeSource()).conflicted == ("f.txt",)
        assert merger.merge(a, b, AttributeSource(((".gitattributes", union),))).clean
        assert merger.merge(a, b).conflicted == ("f.txt",)  # ours' tree has no rule
    finally:
        merger.close()


def test_waiting_for_git_steps_the_work_until_the_answer_starts_arriving() -> None:
    """The reader steps the work while nothing has arrived, stops at the first byte of an
    answer (even mid-work), stops when the work is done, and swallows the work's error."""
    import os
    from collections.abc import Iterator

    from agentls.git.merge import _TokenReader

    read_end, write_end = os.pipe()
    try:
        reader = _TokenReader(read_end)
        steps: list[int] = []

        def five_steps() -> Iterator[None]:
            for _ in range(5):
                steps.append(1)
                yield

        reader.wait(five_steps())
        assert len(steps) == 5  # nothing arrived: all the work ran, and the wait ended

        def answers_on_the_third_step() -> Iterator[None]:
            while True:
                steps.append(1)
                if len(steps) == 8:
                    os.write(write_end, b"1\0")
                yield

        reader.wait(answers_on_the_third_step())
        assert len(steps) == 8  # the answer arrived during step 3: no fourth step
        reader.wait(answers_on_the_third_step())
        assert len(steps) == 8  # an answer already waiting: not one step
        assert reader.next() == "1"

        def failing() -> Iterator[None]:
            steps.append(1)
            yield
            raise KeyError("a blob that is not there")

        reader.wait(failing())
        assert len(steps) == 9
    finally:
        os.close(read_end)
        os.close(write_end)


def test_work_done_while_git_merges_never_changes_an_answer(repo: Repo) -> None:
    """`while_waiting` is stepped only until git's answer arrives; work that fails there
    is dropped without leaving the long-lived merge process a step behind."""
    from collections.abc import Iterator

    from agentls.git.attributes import AttributeSource
    from agentls.git.merge import MergeTree

    a, b = _two_edits_of_line_3(repo)
    merger = MergeTree(Path(repo.git(repo.main, "rev-parse", "--absolute-git-dir")))

    def endless() -> Iterator[None]:
        while True:
            yield

    def failing() -> Iterator[None]:
        yield
        raise KeyError("a blob that is not there")

    try:
        plain = merger.merge(a, b, AttributeSource())
        assert plain.conflicted == ("f.txt",)
        # Whether git answers before the first step is up to the scheduler (a loaded CI
        # machine once answered first): the reader test below holds the stepping itself.
        assert merger.merge(a, b, AttributeSource(), while_waiting=endless()) == plain
        assert merger.merge(a, b, AttributeSource(), while_waiting=failing()) == plain
        assert merger.merge(a, a, AttributeSource()).clean  # still in step
    finally:
        merger.close()


def test_attribute_folders_are_shared_under_the_repository_and_outlive_no_one(
    repo: Repo,
) -> None:
    """The scratch work trees live in <common-dir>/agentls/attributes, named by content:
    two processes share one, a killed process leaves nothing in /tmp, and a folder
    removed under a running merge process is made again and the process restarted
    (it would otherwise read no attributes)."""
    import shutil

    from agentls.git.attributes import AttributeSource
    from agentls.git.merge import MergeTree

    a, b = _two_edits_of_line_3(repo)
    repo.write(repo.main, "rules", "*.txt merge=union\n")
    rules = repo.git(repo.main, "hash-object", "-w", "rules")
    union = AttributeSource(((".gitattributes", rules),))
    common = Path(repo.git(repo.main, "rev-parse", "--absolute-git-dir"))
    first, second = MergeTree(common), MergeTree(common)
    try:
        assert first.merge(a, b, union).clean and second.merge(a, b, union).clean
        shared = common / "agentls" / "attributes" / union.key
        assert (shared / ".gitattributes").read_text() == "*.txt merge=union\n"
        assert [p.name for p in shared.parent.iterdir()] == [union.key]  # no staging left
        shutil.rmtree(shared)
        assert first.merge(a, b, union).clean  # restarted in a folder made again
        assert shared.is_dir()
    finally:
        first.close()
        second.close()
    assert shared.is_dir()  # kept for the next process

    # A process killed mid-merge leaves nothing outside the repository.
    before = set(Path(tempfile.gettempdir()).glob("agentls-attributes-*"))
    script = (
        "import sys, os\n"
        "from pathlib import Path\n"
        "from agentls.git.attributes import AttributeSource\n"
        "from agentls.git.merge import MergeTree\n"
        "m = MergeTree(Path(sys.argv[1]))\n"
        "m.merge(sys.argv[2], sys.argv[3], AttributeSource())\n"
        "os.kill(os.getpid(), 9)\n"
    )
    killed = subprocess.run([sys.executable, "-c", script, str(common), a, b], check=False)
    assert killed.returncode == -9
    assert set(Path(tempfile.gettempdir()).glob("agentls-attributes-*")) == before
    assert (common / "agentls" / "attributes" / AttributeSource().key).is_dir()


def test_submodules_moved_differently_on_both_sides(two) -> None:
    """git 2.39 prints advice about conflicted submodules where its -z output ends the
    messages; the reader must stay in step: the submodule conflict is reported, and the
    same long-lived merge process answers the next question right."""
    repo, s1, s2 = two
    for wt, text in ((s1, "one"), (s2, "two")):
        tip = repo.commit(wt, f"a commit for the submodule to point at ({text})")
        git(wt, "update-index", "--add", "--cacheinfo", f"160000,{tip},sub")
        (wt / "sub").mkdir(exist_ok=True)  # what a checkout leaves for an uninitialised one
        _edit(repo, wt, "a.py", 5, text)
        repo.commit(wt, f"submodule moved and a.py edited ({text})")
    expected = _git_conflicts(repo, s1, s1, s2)
    assert expected == {"sub", "a.py"}
    with Workspace(repo.main) as ws:
        first = _pair(ws.refresh(), "s1", "s2")
        assert {p for p, c in first.items() if c.kind == "conflict"} == expected
        _edit(repo, s2, "a.py", 5, "one")  # s2 now agrees with s1 on a.py
        repo.commit(s2, "a.py as s1 has it")
        again = _pair(ws.refresh(), "s1", "s2")
    assert {p for p, c in again.items() if c.kind == "conflict"} == {"sub"}
