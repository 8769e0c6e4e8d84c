"""Property-based: every pair's conflicts and overlaps equal git merge-tree's answer."""

from __future__ import annotations

import itertools
import os
import shutil
import stat
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentls.workspace import Workspace
from tests.conftest import Repo, numbered
from tests.core.oracle import oracle_pair, oracle_snapshot, own_changes, touches

PATHS = ["a.txt", "src/b.py", "dir with space/c.md", "naïve/ü.txt", "new/deep/d.txt"]
BINARY = "img.bin"
LINES = 12

# One operation a session applies to one path.
op = st.one_of(
    st.tuples(st.just("edit"), st.integers(1, LINES), st.sampled_from(["X", "Y", "Z"])),
    st.tuples(st.just("insert"), st.integers(0, LINES), st.sampled_from(["X", "Y"])),
    st.tuples(st.just("delete_line"), st.integers(1, LINES), st.just("")),
    st.tuples(st.just("remove"), st.just(0), st.just("")),
    st.tuples(st.just("rename"), st.just(0), st.sampled_from(["moved.txt", "src/moved.py"])),
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


def apply(repo: Repo, wt: Path, path: str, operation: tuple[str, int, str]) -> None:
    kind, line, text = operation
    full = wt / path
    if full.is_dir() and not full.is_symlink():
        if kind == "to_dir" or (kind in ("rename", "chmod", "touch") and full.exists()):
            return
        shutil.rmtree(full)  # a file takes the folder's place
    if kind == "to_dir":  # a folder takes the file's place (git drops the file)
        if full.is_file() or full.is_symlink():
            full.unlink()
        full.mkdir(parents=True, exist_ok=True)
        (full / "inner.txt").write_text(f"{text} inner\n")
        return
    if kind == "touch":  # an event for a file whose bytes did not change
        if full.is_file() and not full.is_symlink():
            full.write_bytes(full.read_bytes())
        return
    if kind == "remove":
        if full.exists() or full.is_symlink():
            full.unlink()
        return
    if kind == "rename":
        if full.exists() and not full.is_symlink():
            target = wt / text
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                full.rename(target)
        return
    if kind == "symlink":
        if full.exists() or full.is_symlink():
            full.unlink()
        full.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(text, full)
        return
    if kind == "binary":
        if full.is_symlink():  # never write through a link (it may point at itself)
            full.unlink()
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_bytes(text.encode() + os.urandom(0) + b"\xff" * 8)
        return
    if full.is_symlink():
        full.unlink()
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
        lines[-1] = lines[-1].rstrip("\n")
    elif kind == "chmod":
        if full.exists():
            full.chmod(full.stat().st_mode ^ stat.S_IXUSR)
        return
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_bytes("".join(lines).encode("latin-1"))


# git's clean filters: the snapshot's `git add -A` applies them, so must every per-file read.
ATTRIBUTES = [
    None,
    "* text=auto\n",
    "* text=auto\n*.md text eol=crlf\n*.py ident\n*.bin -text\n",
    "autocrlf",  # core.autocrlf=true, no attributes file
]


def build(
    repo: Repo,
    plans: list[list],
    trunk_moves: list,
    detach_last: bool,
    attributes: str | None = None,
) -> list[Path]:
    if attributes == "autocrlf":
        repo.git(repo.main, "config", "core.autocrlf", "true")
    elif attributes is not None:
        repo.write(repo.main, ".gitattributes", attributes)
    for path in PATHS[:3]:
        repo.write(repo.main, path, numbered(LINES))
    repo.write(repo.main, BINARY, b"\x00base" + b"\xff" * 8)
    repo.write(repo.main, ".gitignore", "ignored/\n*.log\n")
    repo.commit(repo.main, "base")
    worktrees = [repo.main]
    for i, _ in enumerate(plans[1:], 1):
        detach = detach_last and i == len(plans) - 1
        worktrees.append(repo.worktree(f"wt{i}", None if detach else f"s{i}"))
    for path, operation, _ in trunk_moves:  # trunk moves after everyone branched
        apply(repo, repo.main, path, operation)
    if trunk_moves:
        repo.commit(repo.main, "trunk moved")
    for wt, plan in zip(worktrees, plans, strict=True):
        for path, operation, when in plan:
            apply(repo, wt, path, operation)
            if when == "commit":
                repo.commit(wt, "work")
            elif when == "stage":
                repo.git(wt, "add", "-A")
        repo.write(wt, "ignored/junk.txt", "ignored\n")
        repo.write(wt, "debug.log", "ignored\n")
    return worktrees


def assert_matches_oracle(workspace: Workspace, worktrees: list[Path]) -> None:
    report = workspace.report()
    names = {Path(s.path): s.name for s in report.sessions}
    snapshots = {wt: oracle_snapshot(wt) for wt in worktrees}
    for a, b in itertools.combinations(worktrees, 2):
        pair = {names[a.resolve()], names[b.resolve()]}
        conflicted, overlapping = oracle_pair(worktrees[0], snapshots[a], snapshots[b])
        if worktrees[0] not in (a, b):
            # Between two non-trunk sessions only their own work counts: trunk commits
            # one of them carries are the trunk session's collisions.
            own_a = own_changes(worktrees[0], snapshots[a])
            own_b = own_changes(worktrees[0], snapshots[b])
            conflicted = {p for p in conflicted if touches(own_a, p) and touches(own_b, p)}
            overlapping = {p for p in overlapping if touches(own_a, p) and touches(own_b, p)}
        ours = [c for c in report.overlaps if set(c.sessions) == pair]
        got_conflicts = {c.path for c in ours if c.kind == "conflict"}
        got_overlaps = {c.path for c in ours if c.kind == "overlap"}
        assert got_conflicts == conflicted, f"{sorted(pair)} conflicts"
        assert got_overlaps == overlapping, f"{sorted(pair)} overlaps"


@settings(
    max_examples=int(os.environ.get("AGENTLS_HYPOTHESIS_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plans=st.lists(session_ops, min_size=2, max_size=4),
    trunk_moves=st.lists(st.tuples(st.sampled_from(PATHS), op, stage), max_size=2),
    detach_last=st.booleans(),
    attributes=st.sampled_from(ATTRIBUTES),
)
def test_pairs_match_git_merge_tree(
    tmp_path_factory, plans, trunk_moves, detach_last, attributes
) -> None:
    repo = Repo(tmp_path_factory.mktemp("oracle"))
    worktrees = build(repo, plans, trunk_moves, detach_last, attributes)
    with Workspace(worktrees[-1]) as workspace:
        workspace.refresh()
        assert_matches_oracle(workspace, worktrees)


content_op = st.one_of(
    st.tuples(st.just("edit"), st.integers(1, LINES), st.sampled_from(["X", "Y", "Z"])),
    st.tuples(st.just("insert"), st.integers(0, LINES), st.sampled_from(["X", "Y"])),
    st.tuples(st.just("delete_line"), st.integers(1, LINES), st.just("")),
    st.tuples(st.just("remove"), st.just(0), st.just("")),
    st.tuples(st.just("chmod"), st.just(0), st.just("")),
    st.tuples(st.just("crlf"), st.just(0), st.just("")),
    st.tuples(st.just("touch"), st.just(0), st.just("")),
    st.tuples(st.just("to_dir"), st.just(0), st.sampled_from(["X", "Y"])),
    st.tuples(st.just("binary"), st.just(0), st.sampled_from(["\x00\x01", "\x00\x02"])),
)


@settings(
    max_examples=int(os.environ.get("AGENTLS_HYPOTHESIS_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    committed=st.lists(session_ops, min_size=3, max_size=3),
    live=st.lists(
        st.lists(st.tuples(st.sampled_from([*PATHS, BINARY]), content_op), max_size=4),
        min_size=3,
        max_size=3,
    ),
    attributes=st.sampled_from(ATTRIBUTES),
)
def test_incremental_path_matches_full_path(tmp_path_factory, committed, live, attributes) -> None:
    """Edits fed one file at a time give the same answer as a cold full analysis."""
    repo = Repo(tmp_path_factory.mktemp("incremental"))
    worktrees = build(repo, committed, [], False, attributes)
    with Workspace(worktrees[0]) as live_ws:
        live_ws.refresh()
        for wt, edits in zip(worktrees, live, strict=True):
            for path, operation in edits:
                apply(repo, wt, path, operation)
                located = live_ws.locate(wt / path)
                assert located is not None
                state, rel = located
                # What the watcher sends: the name, files found in a new folder, and
                # the tracked files of a vanished folder.
                below = [e.path for e in state.index if e.path.startswith(rel + "/")]
                if (wt / path).is_dir():
                    below += [p.relative_to(wt).as_posix() for p in (wt / path).rglob("*")]
                for name in [rel, *below]:
                    live_ws.file_changed(state, name)
        live_report = live_ws.report()
        incremental = {c.key() for c in live_report.overlaps}
        with Workspace(worktrees[0]) as cold_ws:
            cold_report = cold_ws.refresh()
            full = {c.key() for c in cold_report.overlaps}
        # Every session's change set, file by file, equals the one `git add -A` gives.
        assert {s.name: s.changed for s in live_report.sessions} == {
            s.name: s.changed for s in cold_report.sessions
        }
        renames_possible = any(op[0] == "rename" for plan in committed for _, op, _ in plan)
        if not renames_possible:
            assert incremental == full
        live_ws.reconcile()
        assert {c.key() for c in live_ws.report().overlaps} == full
        assert_matches_oracle(live_ws, worktrees)
