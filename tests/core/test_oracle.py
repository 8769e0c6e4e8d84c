"""Property-based: every pair's collisions are git merge-tree's answer, from any folder.

The generated repositories cover what real history has: edits, renames (with edits,
both sides renaming, folders moved), deletions, mode changes, line endings, binary
files, symlinks, file/folder swaps, `.gitattributes` that differ between sessions,
sessions that branch off other sessions (files born after the trunk base), trunk
moving after everyone branched, and criss-cross merges (two merge-bases).
"""

from __future__ import annotations

import itertools
import os
import shutil
import stat
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agentls.report import Report
from agentls.workspace import Workspace
from tests.conftest import Repo, numbered
from tests.core.oracle import Oracle, oracle_snapshot, touches

BASE_FILES = ["a.txt", "src/b.py", "src/e.py", "dir with space/c.md"]
PATHS = [*BASE_FILES, "naïve/ü.txt", "src/n.py", "new/deep/d.txt"]
BINARY = "img.bin"
LINES = 12
ATTRIBUTE_RULES = ["*.txt merge=union\n", "*.py -merge\n", "*.md binary\n", "*.bin merge=union\n"]
# Live edits only add merge rules: a rule that changes clean filters (text, eol) leaves
# files git has not re-read in a state only a racy `git add -A` would notice.
MERGE_RULES = ["*.txt merge=union\n", "*.py -merge\n", "*.md -merge\n"]
EXAMPLES = int(os.environ.get("AGENTLS_HYPOTHESIS_EXAMPLES", "25"))

rename_target = st.sampled_from(["moved.txt", "src/moved.py", "lib/b.py"])
# One operation a session applies to one path.
op = st.one_of(
    st.tuples(st.just("edit"), st.integers(1, LINES), st.sampled_from(["X", "Y", "Z"])),
    st.tuples(st.just("insert"), st.integers(0, LINES), st.sampled_from(["X", "Y"])),
    st.tuples(st.just("delete_line"), st.integers(1, LINES), st.just("")),
    st.tuples(st.just("remove"), st.just(0), st.just("")),
    st.tuples(st.just("rename"), st.just(0), rename_target),
    st.tuples(st.just("rename_edit"), st.integers(1, LINES), rename_target),
    st.tuples(st.just("move_dir"), st.just(0), st.sampled_from(["lib", "pkg/src"])),
    st.tuples(st.just("attributes"), st.just(0), st.sampled_from(ATTRIBUTE_RULES)),
    st.tuples(st.just("chmod"), st.just(0), st.just("")),
    st.tuples(st.just("crlf"), st.just(0), st.just("")),
    st.tuples(st.just("no_newline"), st.just(0), st.just("")),
    st.tuples(st.just("binary"), st.just(0), st.sampled_from(["\x00\x01", "\x00\x02"])),
    st.tuples(st.just("symlink"), st.just(0), st.sampled_from(["a.txt", "elsewhere"])),
    st.tuples(st.just("to_dir"), st.just(0), st.sampled_from(["X", "Y"])),
)
stage = st.sampled_from(["commit", "stage", "unstaged"])
session_ops = st.lists(
    st.tuples(st.sampled_from([*PATHS, BINARY]), op, stage), min_size=0, max_size=4
)
trunk_move_lists = st.lists(st.tuples(st.sampled_from(PATHS), op, stage), max_size=2)
# Each example builds real repositories: no deadline, and fixtures that outlive examples.
REPOSITORY_EXAMPLES = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def apply(repo: Repo, wt: Path, path: str, operation: tuple[str, int, str]) -> list[str]:
    """Apply OPERATION to PATH in WT; the paths (files or folders) it touched."""
    kind, line, text = operation
    full = wt / path
    if kind == "attributes":  # one more rule in the root's .gitattributes
        rules = wt / ".gitattributes"
        if rules.is_symlink() or rules.is_dir():
            return []
        before = rules.read_text() if rules.exists() else ""
        repo.write(wt, ".gitattributes", before + text)
        return [".gitattributes"]
    if kind == "move_dir":  # move PATH's folder, with everything in it
        folder = full.parent
        target = wt / text
        if folder == wt or not folder.is_dir() or folder.is_symlink() or target.exists():
            return []
        target.parent.mkdir(parents=True, exist_ok=True)
        folder.rename(target)
        return [folder.relative_to(wt).as_posix(), text]
    if full.is_dir() and not full.is_symlink():
        if kind == "to_dir" or (kind in ("rename", "rename_edit", "chmod", "touch")):
            return []
        shutil.rmtree(full)  # a file takes the folder's place
    if kind == "to_dir":  # a folder takes the file's place (git drops the file)
        if full.is_file() or full.is_symlink():
            full.unlink()
        full.mkdir(parents=True, exist_ok=True)
        (full / "inner.txt").write_text(f"{text} inner\n")
        return [path]
    if kind == "touch":  # an event for a file whose bytes did not change
        if full.is_file() and not full.is_symlink():
            full.write_bytes(full.read_bytes())
        return [path]
    if kind == "remove":
        if full.exists() or full.is_symlink():
            full.unlink()
        return [path]
    if kind in ("rename", "rename_edit"):
        target = wt / text
        if not full.exists() or full.is_symlink() or target.exists() or target.is_symlink():
            return []
        if any(
            p.is_file() or p.is_symlink() for p in target.parents if p != wt and wt in p.parents
        ):
            return []
        target.parent.mkdir(parents=True, exist_ok=True)
        full.rename(target)
        if kind == "rename_edit":
            apply(repo, wt, text, ("edit", line, "R"))
        return [path, text]
    if kind == "symlink":
        if full.exists() or full.is_symlink():
            full.unlink()
        full.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(text, full)
        return [path]
    if kind == "binary":
        if full.is_symlink():  # never write through a link (it may point at itself)
            full.unlink()
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_bytes(text.encode() + b"\xff" * 8)
        return [path]
    if full.is_symlink():
        full.unlink()
    if any(p.is_file() or p.is_symlink() for p in full.parents if p != wt and wt in p.parents):
        return []  # a file is where a folder of PATH would be
    raw = full.read_bytes().decode("latin-1") if full.exists() else ""
    lines = raw.splitlines(keepends=True)
    if kind == "edit":
        if line <= len(lines):
            lines[line - 1] = f"{text} {line}\n"
        else:
            lines.append(f"{text} new\n")
    elif kind == "insert":
        lines.insert(min(line, len(lines)), f"{text} inserted\n")
    elif kind == "delete_line" and line <= len(lines):
        del lines[line - 1]
    elif kind == "crlf":
        lines = [ln.rstrip("\n").rstrip("\r") + "\r\n" for ln in lines]
    elif kind == "no_newline" and lines:
        # The whole line end: a lone CR left behind makes git's autocrlf take the file
        # as binary where libgit2's does not (a known gap of the per-file clean filter).
        lines[-1] = lines[-1].rstrip("\n").rstrip("\r")
    elif kind == "chmod":
        if full.exists():
            full.chmod(full.stat().st_mode ^ stat.S_IXUSR)
        return [path]
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_bytes("".join(lines).encode("latin-1"))
    return [path]


# git's clean filters: the snapshot's `git add -A` applies them, so must every per-file read.
ATTRIBUTES = [
    None,
    "* text=auto\n",
    "* text=auto\n*.md text eol=crlf\n*.py ident\n*.bin -text\n",
    "autocrlf",  # core.autocrlf=true, no attributes file
]


def _commit_or_stage(repo: Repo, wt: Path, when: str) -> None:
    if when == "commit":
        repo.commit(wt, "work")
    elif when == "stage":
        repo.git(wt, "add", "-A")


def build(
    repo: Repo,
    plans: list[list],
    trunk_moves: list,
    detach_last: bool,
    attributes: str | None = None,
    branch_off: list[bool] | None = None,
    criss_cross: bool = False,
    moves_before: int | None = None,
) -> list[Path]:
    """Sessions 1.. branch off main, or off the session before them (BRANCH_OFF, after its
    commits: files born after the trunk base). Trunk moves before session MOVES_BEFORE
    branches (sessions from there on carry it: a file trunk added after the others
    branched, which two later sessions modify and delete), else after all of them."""

    def move_trunk() -> None:
        for target, operation, _ in trunk_moves:
            apply(repo, repo.main, target, operation)
        if trunk_moves:
            repo.commit(repo.main, "trunk moved")

    if attributes == "autocrlf":
        repo.git(repo.main, "config", "core.autocrlf", "true")
    elif attributes is not None:
        repo.write(repo.main, ".gitattributes", attributes)
    for path in BASE_FILES:
        repo.write(repo.main, path, numbered(LINES, prefix=f"{path} line"))
    repo.write(repo.main, BINARY, b"\x00base" + b"\xff" * 8)
    repo.write(repo.main, ".gitignore", "ignored/\n*.log\n")
    repo.commit(repo.main, "base")
    worktrees = [repo.main]
    count = len(plans)
    if criss_cross and count >= 3:
        # Two sessions that merged each other's work: their pair has two merge-bases.
        one, two = repo.worktree("wt1", "s1"), repo.worktree("wt2", "s2")
        apply(repo, one, "a.txt", ("edit", 2, "cc1"))
        tip_one = repo.commit(one, "cc1")
        apply(repo, two, "src/b.py", ("edit", 2, "cc2"))
        tip_two = repo.commit(two, "cc2")
        repo.git(one, "merge", "-q", "-s", "ours", "--no-edit", tip_two)
        repo.git(two, "merge", "-q", "-s", "ours", "--no-edit", tip_one)
    for i in range(1, count):
        if i == moves_before:
            move_trunk()
        path = repo.root / f"wt{i}"
        if not path.exists():
            start = "main"
            if branch_off and branch_off[i] and i >= 2:
                start = repo.git(worktrees[i - 1], "rev-parse", "HEAD")
            detach = detach_last and i == count - 1
            repo.worktree(f"wt{i}", None if detach else f"s{i}", start=start)
        worktrees.append(path)
        for target, operation, when in plans[i]:
            apply(repo, path, target, operation)
            _commit_or_stage(repo, path, when)
    if moves_before is None or moves_before >= count:
        move_trunk()  # trunk moves after everyone branched
    for target, operation, when in plans[0]:
        apply(repo, repo.main, target, operation)
        _commit_or_stage(repo, repo.main, when)
    for wt in worktrees:
        repo.write(wt, "ignored/junk.txt", "ignored\n")
        repo.write(wt, "debug.log", "ignored\n")
    return worktrees


def assert_matches_oracle(report: Report, worktrees: list[Path], oracle: Oracle) -> None:
    """Every conflict git reports for a pair appears for that pair, as git names it."""
    info = {Path(s.path): s for s in report.sessions}
    order = [s.name for s in report.sessions]
    snapshots = {wt: oracle_snapshot(wt) for wt in worktrees}
    heads = {wt: oracle.repo_head(wt) for wt in worktrees}
    own = {
        wt: oracle.changed(oracle.merge_base(heads[wt], "main"), snapshots[wt]) for wt in worktrees
    }
    for first, second in itertools.combinations(worktrees, 2):
        a, b = sorted((first, second), key=lambda wt: order.index(info[wt.resolve()].name))
        sa, sb = info[a.resolve()], info[b.resolve()]
        onto = b if sb.is_trunk and not sa.is_trunk else a
        merged = oracle.merge(snapshots[onto], snapshots[a], snapshots[b])
        ours = [c for c in report.overlaps if c.sessions == [sa.name, sb.name]]
        conflicts = {c.path: c for c in ours if c.kind == "conflict"}
        label = f"{sa.name} ↔ {sb.name}"
        missing = merged.conflicted - set(conflicts)
        assert not missing, f"{label}: git conflicts on {sorted(missing)}, agentls does not say so"
        changed_here = [
            oracle.changed(oracle.merge_base(heads[a], heads[b]), snapshots[wt]) for wt in (a, b)
        ]
        for path in set(conflicts) - merged.conflicted:
            # Only the other end of a rename git reports: the path one side still has.
            merged_path = conflicts[path].merged_path
            assert merged_path in merged.conflicted, f"{label}: {path} is no conflict of git's"
            assert path in changed_here[0] | changed_here[1], f"{label}: {path} is nobody's"
        for path in merged.conflicted:
            kinds = [k for paths, k in merged.messages if path in paths] or ["contents"]
            assert conflicts[path].detail == kinds, f"{label}: {path} kinds"
        trunk_pair = sa.is_trunk or sb.is_trunk
        pair_base = oracle.merge_base(heads[a], heads[b])
        for path in merged.conflicted:
            collision = conflicts[path]
            if trunk_pair:
                assert collision.via is None, f"{label}: {path} is a conflict with trunk itself"
            elif not collision.paths and merged.related(path) <= {path}:
                trunk_bases = [oracle.merge_base(heads[wt], "main") for wt in (a, b)]
                carried = [  # trunk commits below each side's trunk base, above the pair's base
                    oracle.changed(oracle.merge_base(pair_base, base), base) for base in trunk_bases
                ]
                expected = any(
                    not touches(own[wt], path) and touches(moved, path)
                    for wt, moved in zip((a, b), carried, strict=True)
                )
                assert (collision.via == "trunk") == expected, f"{label}: {path} via trunk"
        if len(oracle.merge_bases(heads[a], heads[b])) > 1:
            continue  # overlaps are measured from one merge-base; git merged a virtual one
        changed = [oracle.changed(pair_base, snapshots[wt]) for wt in (a, b)]
        overlapping = (changed[0] & changed[1]) - set(conflicts)
        if not trunk_pair:  # overlaps are both sessions' own work
            overlapping = {p for p in overlapping if touches(own[a], p) and touches(own[b], p)}
        got = {c.path for c in ours if c.kind == "overlap"}
        assert got == overlapping, f"{label}: overlaps"


def _classes(**cases: dict) -> list:
    """One hypothesis @example per named class, with the generator's defaults filled in."""
    defaults = {
        "trunk_moves": [],
        "detach_last": False,
        "attributes": None,
        "branch_off": [False] * 4,
        "criss_cross": False,
        "moves_before": None,
    }
    return [example(**{**defaults, **case}) for case in cases.values()]


# Every class issue #10 names, run on every test run (random examples add the rest).
CLASSES = _classes(
    rename_and_edit={
        "plans": [
            [],
            [("src/b.py", ("rename_edit", 5, "lib/b.py"), "commit")],
            [("src/b.py", ("edit", 5, "Y"), "unstaged")],
        ]
    },
    rename_rename_binary={
        "plans": [
            [],
            [(BINARY, ("rename", 0, "moved.txt"), "commit")],
            [(BINARY, ("rename", 0, "src/moved.py"), "stage")],
        ]
    },
    folder_moved_edit_inside={
        "plans": [
            [],
            [
                ("src/e.py", ("move_dir", 0, "lib"), "commit"),
                ("lib/e.py", ("edit", 3, "X"), "unstaged"),
            ],
            [("src/e.py", ("edit", 3, "Y"), "commit"), ("src/n.py", ("edit", 1, "Y"), "commit")],
        ]
    },
    born_on_trunk_after_the_base_modified_and_deleted={
        "plans": [
            [],
            [("new/deep/d.txt", ("edit", 1, "X"), "commit")],
            [("new/deep/d.txt", ("remove", 0, ""), "commit")],
        ],
        "trunk_moves": [("new/deep/d.txt", ("edit", 1, "T"), "commit")],
        "moves_before": 1,
    },
    ancestor_branches={
        "plans": [
            [],
            [("a.txt", ("edit", 3, "X"), "unstaged")],
            [("src/n.py", ("edit", 1, "Y"), "commit")],
            [("a.txt", ("edit", 5, "Z"), "commit")],
        ],
        "trunk_moves": [("a.txt", ("edit", 3, "T"), "commit")],
        "moves_before": 2,
        "branch_off": [False, False, False, True],
    },
    criss_cross={
        "plans": [
            [],
            [("a.txt", ("edit", 2, "X"), "commit")],
            [("a.txt", ("edit", 2, "Y"), "unstaged")],
        ],
        "criss_cross": True,
    },
    attributes_differ_between_sessions={
        "plans": [
            [("a.txt", ("edit", 4, "Z"), "commit")],
            [
                ("a.txt", ("attributes", 0, "*.txt merge=union\n"), "commit"),
                ("a.txt", ("edit", 4, "X"), "commit"),
            ],
            [("a.txt", ("edit", 4, "Y"), "unstaged")],
        ]
    },
)


def _with_classes(test):  # type: ignore[no-untyped-def]
    for case in CLASSES:
        test = case(test)
    return test


def assert_same_from_every_folder(worktrees: list[Path]) -> None:
    """The report is git's answer whichever worktree agentls starts from."""
    first: list[dict] | None = None
    with Oracle(worktrees[0]) as oracle:
        for folder in worktrees:
            with Workspace(folder) as workspace:
                report = workspace.refresh()
            assert_matches_oracle(report, worktrees, oracle)
            shape = [c.to_json() for c in report.overlaps]
            if first is None:
                first = shape
            assert shape == first, f"the report from {folder.name} differs"


@REPOSITORY_EXAMPLES
@given(
    plans=st.lists(session_ops, min_size=2, max_size=4),
    trunk_moves=trunk_move_lists,
    detach_last=st.booleans(),
    attributes=st.sampled_from(ATTRIBUTES),
    branch_off=st.lists(st.booleans(), min_size=4, max_size=4),
    criss_cross=st.booleans(),
    moves_before=st.one_of(st.none(), st.integers(1, 3)),
)
@_with_classes
def test_pairs_match_git_merge_tree(
    tmp_path_factory,
    plans,
    trunk_moves,
    detach_last,
    attributes,
    branch_off,
    criss_cross,
    moves_before,
) -> None:
    repo = Repo(tmp_path_factory.mktemp("oracle"))
    worktrees = build(
        repo, plans, trunk_moves, detach_last, attributes, branch_off, criss_cross, moves_before
    )
    assert_same_from_every_folder(worktrees)


live_op = st.one_of(
    st.tuples(st.just("edit"), st.integers(1, LINES), st.sampled_from(["X", "Y", "Z"])),
    st.tuples(st.just("insert"), st.integers(0, LINES), st.sampled_from(["X", "Y"])),
    st.tuples(st.just("delete_line"), st.integers(1, LINES), st.just("")),
    st.tuples(st.just("remove"), st.just(0), st.just("")),
    st.tuples(st.just("rename"), st.just(0), rename_target),
    st.tuples(st.just("rename_edit"), st.integers(1, LINES), rename_target),
    st.tuples(st.just("move_dir"), st.just(0), st.sampled_from(["lib", "pkg/src"])),
    st.tuples(st.just("attributes"), st.just(0), st.sampled_from(MERGE_RULES)),
    st.tuples(st.just("chmod"), st.just(0), st.just("")),
    st.tuples(st.just("crlf"), st.just(0), st.just("")),
    st.tuples(st.just("touch"), st.just(0), st.just("")),
    st.tuples(st.just("to_dir"), st.just(0), st.sampled_from(["X", "Y"])),
    st.tuples(st.just("binary"), st.just(0), st.sampled_from(["\x00\x01", "\x00\x02"])),
)


def feed_events(ws: Workspace, wt: Path, touched: list[str]) -> None:
    """What the watcher sends: each name, files found in a new folder, and the tracked
    files of a vanished folder."""
    for rel in touched:
        located = ws.locate(wt / rel)
        assert located is not None
        state, name = located
        below = [p for p in state.paths_under(name) if p != name]
        if (wt / rel).is_dir():
            below += [p.relative_to(wt).as_posix() for p in (wt / rel).rglob("*")]
        for path in [name, *below]:
            ws.file_changed(state, path)


def _shape(report: Report) -> list[tuple]:
    return sorted(
        (
            c.kind,
            c.path,
            tuple(c.sessions),
            c.via,
            tuple(sorted(c.paths.items())),
            tuple(c.detail),
            c.merged_path,
        )
        for c in report.overlaps
    )


@REPOSITORY_EXAMPLES
@given(
    committed=st.lists(session_ops, min_size=3, max_size=3),
    live=st.lists(
        st.lists(st.tuples(st.sampled_from([*PATHS, BINARY]), live_op), max_size=4),
        min_size=3,
        max_size=3,
    ),
    attributes=st.sampled_from(ATTRIBUTES),
    branch_off=st.lists(st.booleans(), min_size=3, max_size=3),
)
@example(  # trunk moved a folder live, s2 renamed a file into it: git suggests the new
    # folder ("directory rename suggested"); s2's .gitattributes edit re-decided that
    # path on its own and dropped it (found by hypothesis)
    committed=[
        [("src/n.py", ("remove", 0, ""), "commit"), ("src/b.py", ("remove", 0, ""), "commit")],
        [],
        [],
    ],
    live=[
        [("src/b.py", ("move_dir", 0, "lib"))],
        [],
        [
            ("a.txt", ("rename_edit", 1, "src/moved.py")),
            ("a.txt", ("attributes", 0, "*.txt merge=union\n")),
        ],
    ],
    attributes=None,
    branch_off=[False, False, False],
)
@example(  # renames done live: a rename + edit against an edit, a folder moved with an edit
    committed=[[], [], []],
    live=[
        [],
        [("src/b.py", ("rename_edit", 5, "lib/b.py")), ("src/e.py", ("move_dir", 0, "pkg/src"))],
        [("src/b.py", ("edit", 5, "Y")), ("src/e.py", ("edit", 2, "Z"))],
    ],
    attributes=None,
    branch_off=[False, False, False],
)
@example(  # rename/rename live, one session's rename committed first
    committed=[[], [(BINARY, ("rename", 0, "moved.txt"), "commit")], []],
    live=[[("a.txt", ("edit", 1, "X"))], [], [(BINARY, ("rename", 0, "src/moved.py"))]],
    attributes=None,
    branch_off=[False, False, True],
)
@example(  # a folder one session committed, turned back into a file live; the session
    # branched off it carries the folder unchanged: no file/directory clash (found by
    # hypothesis: the clash was measured from trunk's base, not the pair's)
    committed=[[], [("new/deep/d.txt", ("to_dir", 0, "X"), "commit")], []],
    live=[[], [("new/deep/d.txt", ("crlf", 0, ""))], []],
    attributes="autocrlf",
    branch_off=[False, False, True],
)
def test_incremental_path_matches_full_path(
    tmp_path_factory, committed, live, attributes, branch_off
) -> None:
    """Edits fed one file at a time (renames and moved folders too) give the same
    answer as a cold full analysis, before any full check runs again."""
    repo = Repo(tmp_path_factory.mktemp("incremental"))
    worktrees = build(repo, committed, [], False, attributes, branch_off)
    with Workspace(worktrees[0]) as live_ws:
        live_ws.refresh()
        for wt, edits in zip(worktrees, live, strict=True):
            for path, operation in edits:
                feed_events(live_ws, wt, apply(repo, wt, path, operation))
                # As the engine does after every batch: each report reuses the lists of
                # pairs that did not change since the one before (Analyzer.all_collisions).
                live_ws.report()
        live_report = live_ws.report()
        with Workspace(worktrees[0]) as cold_ws:
            cold_report = cold_ws.refresh()
        # Every session's change set, file by file, equals the one `git add -A` gives.
        assert {s.name: s.changed for s in live_report.sessions} == {
            s.name: s.changed for s in cold_report.sessions
        }
        assert _shape(live_report) == _shape(cold_report)
        live_ws.reconcile()
        assert _shape(live_ws.report()) == _shape(cold_report)
        with Oracle(worktrees[0]) as oracle:
            assert_matches_oracle(live_ws.report(), worktrees, oracle)
