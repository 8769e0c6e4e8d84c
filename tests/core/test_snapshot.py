"""The snapshot path: HEAD's tree plus what `git status` names equals `git add -A`.

Every test builds a worktree state, loads it the way the engine does (a scan of the
worktree's own index, then the files git named read through the clean filters) and
compares the snapshot tree, entry by entry, with the tree a temporary-index
`git add -A` + `git write-tree` gives (tests/core/oracle.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pygit2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentls.changes import SessionState
from agentls.git.trees import OverlayTree, change_sets, changed_paths, clear_tree_cache
from agentls.workspace import Workspace
from tests.conftest import GIT_ENV, Repo, git, numbered
from tests.core.test_oracle import ATTRIBUTES, BINARY, PATHS, apply, build, op, session_ops


def _tree(worktree: Path) -> str:
    """The oracle: the tree a temporary copy of the index gets from `git add -A`."""
    gitdir = Path(git(worktree, "rev-parse", "--absolute-git-dir"))
    with tempfile.TemporaryDirectory() as temp:
        index = Path(temp) / "index"
        if (gitdir / "index").exists():
            shutil.copy2(gitdir / "index", index)  # keeps the mtime: racy entries stay racy
        env = {**os.environ, **GIT_ENV, "GIT_INDEX_FILE": str(index)}
        subprocess.run(
            ["git", "add", "-A", "--ignore-errors", "--", "."],
            cwd=worktree,
            env=env,
            capture_output=True,
            check=False,
        )
        out = subprocess.run(
            ["git", "write-tree"],
            cwd=worktree,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return out.stdout.strip()


def _listing(worktree: Path, tree: str) -> dict[str, str]:
    out = git(worktree, "ls-tree", "-r", "-z", "--full-tree", tree)
    listing = {}
    for record in out.split("\0"):
        if record:
            info, path = record.split("\t", 1)
            listing[path] = info
    return listing


def _state(ws: Workspace, worktree: Path) -> SessionState:
    located = ws.locate(worktree / "x")
    assert located is not None
    return located[0]


def assert_snapshot_is_git_add_all(worktree: Path) -> SessionState:
    """WORKTREE's state, loaded cold, has exactly the tree `git add -A` writes."""
    with Workspace(worktree) as ws:
        ws.refresh()
        state = _state(ws, worktree)
        expected = _tree(worktree)
        got = state.snapshot_tree()
        if got != expected:
            assert _listing(worktree, got) == _listing(worktree, expected)
        assert got == expected
        # The change sets agree with git's diffs of the same trees.
        if state.base:
            names = git(worktree, "diff", "--no-renames", "--name-only", "-z", state.base, expected)
        else:
            names = git(worktree, "ls-tree", "-r", "-z", "--name-only", expected)
        assert state.changed == {n for n in names.split("\0") if n}
        head = git(worktree, "rev-parse", "--verify", "-q", "HEAD", check=False)
        if head:
            names = git(worktree, "diff", "--no-renames", "--name-only", "-z", head, expected)
            assert set(state.uncommitted) == {n for n in names.split("\0") if n}
        return state


def _base(repo: Repo) -> Path:
    repo.write(repo.main, "a.txt", numbered(10))
    repo.write(repo.main, "dir/x.txt", numbered(5))
    repo.write(repo.main, "dir/deep/y.txt", numbered(3))
    repo.write(repo.main, "tool.sh", "echo hi\n")
    repo.write(repo.main, ".gitignore", "ignored/\n*.log\n")
    repo.commit(repo.main, "base")
    return repo.worktree("wt", "feature")


# --- property: any mix of committed, staged and unstaged work ------------------------------


@settings(
    max_examples=int(os.environ.get("AGENTLS_HYPOTHESIS_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plans=st.lists(session_ops, min_size=2, max_size=2),
    touched=st.lists(st.sampled_from([*PATHS, BINARY]), max_size=3),
    attributes=st.sampled_from(ATTRIBUTES),
    # After a first scan refreshed agentls's copy of the index (agentls.git.status_index),
    # often within its second. Not attribute rules: one that changes the clean filters of
    # bytes already on disk is seen only by a racy re-read, by git as much as agentls.
    later=st.lists(
        st.tuples(st.sampled_from([*PATHS, BINARY]), op.filter(lambda o: o[0] != "attributes")),
        max_size=2,
    ),
)
def test_snapshot_equals_git_add_all(tmp_path_factory, plans, touched, attributes, later) -> None:
    repo = Repo(tmp_path_factory.mktemp("snapshot"))
    worktrees = build(repo, plans, [], False, attributes)
    for wt in worktrees:
        for path in touched:  # stat data changes, bytes do not
            apply(repo, wt, path, ("touch", 0, ""))
        assert_snapshot_is_git_add_all(wt)
        for path, operation in later:
            apply(repo, wt, path, operation)
        assert_snapshot_is_git_add_all(wt)


# --- racy git ---------------------------------------------------------------------------------


def _same_second(action, edit) -> None:  # type: ignore[no-untyped-def]
    """Run ACTION, then EDIT within the same wall-clock second."""
    for _attempt in range(40):
        start = int(time.time())
        action()
        edit()
        if int(time.time()) == start:
            return
        time.sleep(0.05)
    raise AssertionError("could not edit within the second of the index write")


def test_racy_edit_after_commit(repo: Repo) -> None:
    """Same size, same second as the index write: git re-reads it by content."""
    wt = _base(repo)

    def commit() -> None:
        # Written again on every attempt: a retry must not commit the last one's edit.
        repo.write(wt, "b.txt", "AAAA\n")
        repo.commit(wt, "racy")

    _same_second(commit, lambda: repo.write(wt, "b.txt", "BBBB\n"))
    assert git(wt, "show", "HEAD:b.txt") == "AAAA"
    time.sleep(1.1)  # the scan comes a second later
    state = assert_snapshot_is_git_add_all(wt)
    assert "b.txt" in state.uncommitted


def test_racy_edit_after_status_refreshed_the_index(repo: Repo) -> None:
    """`git status` (with locks) rewrites the index; an edit in that second is still seen."""
    wt = _base(repo)
    repo.write(wt, "a.txt", "1234\n")
    repo.commit(wt, "four bytes")
    time.sleep(1.1)
    _same_second(
        lambda: git(wt, "status", "--porcelain"), lambda: repo.write(wt, "a.txt", "5678\n")
    )
    time.sleep(1.1)
    state = assert_snapshot_is_git_add_all(wt)
    assert "a.txt" in state.uncommitted


def test_stat_only_changes_are_no_change(repo: Repo) -> None:
    wt = _base(repo)
    for path in ("a.txt", "dir/x.txt"):
        data = (wt / path).read_bytes()
        (wt / path).write_bytes(data)  # new mtime, same bytes
        os.utime(wt / path, (1, 1))
    state = assert_snapshot_is_git_add_all(wt)
    assert not state.dirty


# --- what git records beyond bytes ----------------------------------------------------------


def test_staged_unstaged_untracked_and_deleted(repo: Repo) -> None:
    wt = _base(repo)
    repo.write(wt, "a.txt", numbered(10).replace("line 2\n", "staged\n"))
    git(wt, "add", "a.txt")
    repo.write(wt, "a.txt", numbered(10).replace("line 2\n", "unstaged\n"))  # both
    repo.write(wt, "new/untracked.txt", "u\n")
    repo.write(wt, "ignored/junk.txt", "i\n")
    repo.write(wt, "debug.log", "i\n")
    (wt / "dir/x.txt").unlink()
    git(wt, "rm", "-q", "--cached", "tool.sh")  # staged delete, file still there: untracked
    repo.write(wt, "intent.txt", "intent\n")
    git(wt, "add", "-N", "intent.txt")
    git(wt, "add", "-f", "debug.log")  # tracked although ignored
    state = assert_snapshot_is_git_add_all(wt)
    assert {"a.txt", "new/untracked.txt", "dir/x.txt", "intent.txt"} <= set(state.uncommitted)


def test_file_and_folder_swaps(repo: Repo) -> None:
    wt = _base(repo)
    (wt / "a.txt").unlink()
    repo.write(wt, "a.txt/inner.txt", "inner\n")
    for name in ("dir/x.txt", "dir/deep/y.txt"):
        (wt / name).unlink()
    (wt / "dir/deep").rmdir()
    (wt / "dir").rmdir()
    repo.write(wt, "dir", "a file now\n")
    assert_snapshot_is_git_add_all(wt)


def test_folder_replaced_by_a_link_to_itself(repo: Repo) -> None:
    """git status names only the link: below it, lstat fails with ELOOP, not ENOENT.
    `git add -A` still drops the folder's files, and so does the change set."""
    wt = _base(repo)
    shutil.rmtree(wt / "dir")
    os.symlink("dir", wt / "dir")
    state = assert_snapshot_is_git_add_all(wt)
    assert state.changed == {"dir", "dir/x.txt", "dir/deep/y.txt"}


def test_symlinks_and_modes(repo: Repo) -> None:
    wt = _base(repo)
    os.symlink("a.txt", wt / "link")
    os.symlink("dir", wt / "dirlink")  # a symlinked folder is one entry, the link
    (wt / "tool.sh").chmod(0o755)
    (wt / "a.txt").chmod(0o755)
    assert_snapshot_is_git_add_all(wt)


def test_core_filemode_false(repo: Repo) -> None:
    git(repo.main, "config", "core.fileMode", "false")
    wt = _base(repo)
    (wt / "tool.sh").chmod(0o755)  # no change for git
    repo.write(wt, "run.sh", "echo run\n")
    (wt / "run.sh").chmod(0o755)  # a new file is a plain file
    state = assert_snapshot_is_git_add_all(wt)
    assert "tool.sh" not in state.uncommitted


def test_unmerged_paths_take_the_file_as_it_is(repo: Repo) -> None:
    wt = _base(repo)
    repo.write(repo.main, "a.txt", numbered(10).replace("line 3\n", "main\n"))
    repo.commit(repo.main, "main side")
    repo.write(wt, "a.txt", numbered(10).replace("line 3\n", "feature\n"))
    repo.commit(wt, "feature side")
    git(wt, "merge", "-q", "main", check=False)  # conflicts: a.txt is unmerged
    assert "a.txt" in git(wt, "ls-files", "--unmerged")
    assert_snapshot_is_git_add_all(wt)


def test_unborn_head(repo: Repo) -> None:
    """A worktree on an orphan branch: no HEAD, everything in its index is new."""
    wt = _base(repo)
    git(wt, "checkout", "-q", "--orphan", "fresh")
    repo.write(wt, "first.txt", "first\n")
    git(wt, "add", "first.txt")
    repo.write(wt, "sub/second.txt", "second\n")
    state = assert_snapshot_is_git_add_all(wt)
    assert state.head is None and "a.txt" in state.changed


def test_names_git_quotes(repo: Repo) -> None:
    wt = _base(repo)
    for name in ("with space.txt", "naïve/ü.txt", 'quote"d.txt', "tab\there.txt", "new\nline"):
        repo.write(wt, name, "x\n")
    assert_snapshot_is_git_add_all(wt)


# --- gitlinks ---------------------------------------------------------------------------------


def test_nested_repositories_and_submodules(repo: Repo) -> None:
    library = repo.root / "library"
    library.mkdir()
    git(library, "init", "-q", "-b", "main")
    repo.write(library, "lib.c", "int lib;\n")
    repo.commit(library, "lib")
    repo.write(repo.main, "a.txt", "a\n")
    repo.commit(repo.main, "base")
    git(
        repo.main, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(library), "sub"
    )
    repo.commit(repo.main, "submodule")
    wt = repo.worktree("wt", "feature")
    # Not checked out in the new worktree: git keeps the gitlink.
    assert_snapshot_is_git_add_all(wt)
    git(wt, "-c", "protocol.file.allow=always", "submodule", "update", "-q", "--init")
    sub = wt / "sub"
    repo.write(sub, "lib.c", "int dirty;\n")  # dirty content is the submodule's business
    assert_snapshot_is_git_add_all(wt)
    repo.commit(sub, "moved")  # its HEAD moved: the gitlink changes
    nested = wt / "vendor" / "nested"
    nested.mkdir(parents=True)
    git(nested, "init", "-q", "-b", "main")
    repo.write(nested, "n.txt", "n\n")
    repo.commit(nested, "nested")  # an untracked repository with a commit: a gitlink
    empty = wt / "empty_repo"
    empty.mkdir()
    git(empty, "init", "-q")  # without a commit: git add skips it
    state = assert_snapshot_is_git_add_all(wt)
    assert {"sub", "vendor/nested"} <= set(state.uncommitted)


# --- sparse checkouts --------------------------------------------------------------------------


def test_sparse_checkout(repo: Repo) -> None:
    wt = _base(repo)
    git(wt, "sparse-checkout", "set", "--no-cone", "/a.txt", "/tool.sh")
    assert not (wt / "dir").exists()
    repo.write(wt, "a.txt", "edited\n")
    assert_snapshot_is_git_add_all(wt)


def test_skip_worktree_entry(repo: Repo) -> None:
    wt = _base(repo)
    git(wt, "update-index", "--skip-worktree", "a.txt")
    repo.write(wt, "a.txt", "ignored by git while skip-worktree\n")
    (wt / "tool.sh").unlink()
    git(wt, "update-index", "--skip-worktree", "tool.sh")
    state = assert_snapshot_is_git_add_all(wt)
    with Workspace(wt) as ws:  # an event for the missing skip-worktree file keeps the entry
        ws.refresh()
        state = _state(ws, wt)
        before = state.entry("tool.sh")
        assert not ws.file_changed(state, "tool.sh") and state.entry("tool.sh") == before


def test_deleted_file_event_in_a_version_2_index(repo: Repo) -> None:
    """No extended flags (index version 2): a vanished file is gone, no index load needed."""
    wt = _base(repo)
    gitdir = Path(git(wt, "rev-parse", "--absolute-git-dir"))
    assert (gitdir / "index").read_bytes()[4:8] == (2).to_bytes(4, "big")
    with Workspace(wt) as ws:
        ws.refresh()
        state = _state(ws, wt)
        (wt / "tool.sh").unlink()
        assert ws.file_changed(state, "tool.sh") and state.entry("tool.sh") is None
        assert state.filters._index is None  # the worktree's index was never loaded


# --- clean filters ------------------------------------------------------------------------------


def test_crlf_and_ident(repo: Repo) -> None:
    repo.write(repo.main, ".gitattributes", "*.txt text=auto\n*.c ident\n")
    repo.write(repo.main, "a.txt", numbered(5))
    repo.write(repo.main, "k.c", "/* $Id$ */\n")
    repo.commit(repo.main, "base")
    wt = repo.worktree("wt", "feature")
    (wt / "a.txt").write_bytes(numbered(5).replace("\n", "\r\n").encode())  # same content
    (wt / "new.txt").write_bytes(b"one\r\ntwo\r\n")
    (wt / "k.c").write_text("/* $Id: 0123456789012345678901234567890123456789 $ */\n")
    state = assert_snapshot_is_git_add_all(wt)
    assert "a.txt" not in state.uncommitted and "k.c" not in state.uncommitted


def test_autocrlf_without_attributes(repo: Repo) -> None:
    git(repo.main, "config", "core.autocrlf", "true")
    repo.write(repo.main, "a.txt", numbered(5))
    repo.commit(repo.main, "base")
    wt = repo.worktree("wt", "feature")
    (wt / "a.txt").write_bytes(numbered(6).replace("\n", "\r\n").encode())
    (wt / "b.txt").write_bytes(b"b\r\n")
    assert_snapshot_is_git_add_all(wt)


def test_attributes_file_deleted_from_the_worktree(repo: Repo) -> None:
    """`git add -A` stages the deletion of .gitattributes before it reads attributes:
    the index's copy no longer applies (git check-attr would still show it)."""
    repo.write(repo.main, ".gitattributes", "* text=auto\n")
    repo.write(repo.main, "a.txt", numbered(3))
    repo.commit(repo.main, "base")
    wt = repo.worktree("wt", "feature")
    (wt / ".gitattributes").unlink()
    (wt / "new.txt").write_bytes(b"x\r\ny\r\n")
    assert_snapshot_is_git_add_all(wt)
    with Workspace(wt) as ws:  # and per file, for an event
        ws.refresh()
        state = _state(ws, wt)
        (wt / "later.txt").write_bytes(b"p\r\nq\r\n")
        assert ws.file_changed(state, "later.txt")
        live = state.snapshot_tree()
    assert live == _tree(wt)


def test_attributes_file_outside_a_sparse_checkout(repo: Repo) -> None:
    """A skip-worktree .gitattributes is read from the index, by git and by agentls."""
    repo.write(repo.main, ".gitattributes", "* text=auto\n")
    repo.write(repo.main, "a.txt", numbered(3))
    repo.commit(repo.main, "base")
    wt = repo.worktree("wt", "feature")
    git(wt, "sparse-checkout", "set", "--no-cone", "/*.txt")
    assert not (wt / ".gitattributes").exists()
    (wt / "new.txt").write_bytes(b"x\r\ny\r\n")
    assert_snapshot_is_git_add_all(wt)
    with Workspace(wt) as ws:
        ws.refresh()
        state = _state(ws, wt)
        (wt / "later.txt").write_bytes(b"p\r\nq\r\n")
        assert ws.file_changed(state, "later.txt")
        live = state.snapshot_tree()
    assert live == _tree(wt)


def test_filter_driver(repo: Repo) -> None:
    git(repo.main, "config", "filter.upper.clean", "tr a-z A-Z")
    git(repo.main, "config", "filter.upper.smudge", "cat")
    repo.write(repo.main, ".gitattributes", "*.up filter=upper\n")
    repo.write(repo.main, "a.up", "HELLO\n")
    repo.commit(repo.main, "base")
    wt = repo.worktree("wt", "feature")
    repo.write(wt, "a.up", "hello\n")  # cleans to what HEAD has
    repo.write(wt, "b.up", "new\n")
    state = assert_snapshot_is_git_add_all(wt)
    assert "a.up" not in state.uncommitted


def test_libgit2_is_asked_only_where_an_attribute_source_exists(repo: Repo) -> None:
    """libgit2's first attribute lookup loads the worktree's whole index: without an
    attributes file (on disk, in HEAD, in info/) or core.autocrlf nothing is asked."""
    wt = _base(repo)
    with Workspace(wt) as ws:
        ws.refresh()
        filters = _state(ws, wt).filters
        assert not filters.attributes_apply("dir/x.txt")
        repo.write(wt, "dir/.gitattributes", "*.txt ident\n")
        assert filters.attributes_apply("dir/x.txt")
        assert not filters.attributes_apply("a.txt")  # not below dir/
        (wt / "dir/.gitattributes").unlink()
        info = Path(git(wt, "rev-parse", "--git-common-dir")) / "info"
        if not info.is_absolute():
            info = wt / info
        info.mkdir(exist_ok=True)
        (info / "attributes").write_text("*.sh -text\n")
        assert filters.attributes_apply("a.txt")
        (info / "attributes").unlink()
        assert not filters.attributes_apply("a.txt")
        git(wt, "config", "core.autocrlf", "input")
        assert filters.attributes_apply("a.txt")


# --- changed while scanning ----------------------------------------------------------------------


def test_files_changed_while_scanning(repo: Repo) -> None:
    """git stat'ed the worktree, then files changed: their events, handled before or
    after the scan is taken in, leave the state `git add -A` gives afterwards."""
    wt = _base(repo)
    repo.write(wt, "a.txt", "first edit\n")
    for events_first in (True, False):
        with Workspace(wt) as ws:
            ws.begin()
            state = _state(ws, wt)
            scan = state.begin_scan()
            while not scan.done():
                time.sleep(0.01)
            repo.write(wt, "a.txt", f"edited after git looked {events_first}\n")  # git named it
            repo.write(wt, "dir/x.txt", f"edited after git looked {events_first}\n")  # did not
            repo.write(wt, f"late{events_first}.txt", "created after git looked\n")
            events = ("a.txt", "dir/x.txt", f"late{events_first}.txt")
            if events_first:  # the engine handles events while a scan runs
                for path in events:
                    ws.file_changed(state, path)
                state.finish_scan(scan)
            else:
                state.finish_scan(scan)
                for path in events:
                    ws.file_changed(state, path)
            live = state.snapshot_tree()
        assert live == _tree(wt)


# --- the tree builder ---------------------------------------------------------------------------

FILES = ["a", "b/c", "b/d/e", "b/d/f", "g/h", "b", "g"]


@settings(max_examples=60, deadline=None)
@given(
    base=st.dictionaries(st.sampled_from(FILES), st.sampled_from(["1", "2"]), max_size=4),
    steps=st.lists(
        st.tuples(st.sampled_from(FILES), st.sampled_from([None, "1", "2", "3"])), max_size=8
    ),
)
def test_overlay_tree_writes_what_an_index_writes(tmp_path_factory, base, steps) -> None:
    """Any sequence of entry changes (file/folder clashes resolved as git add does)
    writes the tree a fresh index of the same files writes, and diffs like libgit2."""
    path = tmp_path_factory.mktemp("trees")
    repo = pygit2.init_repository(str(path), bare=True)
    blobs = {text: str(repo.create_blob(text.encode())) for text in ("1", "2", "3")}

    def valid(files: dict[str, str]) -> dict[str, str]:
        # A path cannot be a file and a folder at once: the later one wins, as in git add.
        kept: dict[str, str] = {}
        for name, text in files.items():
            kept = {k: v for k, v in kept.items() if not _clash(k, name)}
            kept[name] = text
        return kept

    def write(files: dict[str, str]) -> str:
        index = pygit2.Index()
        for name, text in files.items():
            index.add(pygit2.IndexEntry(name, pygit2.Oid(hex=blobs[text]), 0o100644))
        return str(index.write_tree(repo))

    base = valid(base)
    base_tree = repo[write(base)].peel(pygit2.Tree) if base else None
    overlay = OverlayTree(repo, base_tree)
    current = dict(base)
    for name, text in steps:
        if text is None:
            current.pop(name, None)
            overlay.set(name, None)
        else:
            for gone in [k for k in current if _clash(k, name)]:
                del current[gone]
                overlay.set(gone, None)
            current[name] = text
            overlay.set(name, (blobs[text], 0o100644))
        got = overlay.write()
        assert got == write(current)
        new_tree = repo[got].peel(pygit2.Tree)
        if base_tree is not None:
            expected, added, deleted = _libgit2_change_sets(base_tree, new_tree)
        else:
            expected, added, deleted = set(current), set(current), set()
        assert changed_paths(repo, base_tree, new_tree) == expected
        assert change_sets(repo, base_tree, new_tree) == (expected, added, deleted)


def _libgit2_change_sets(old: pygit2.Tree, new: pygit2.Tree) -> tuple[set[str], set[str], set[str]]:
    """(changed, added, deleted) as libgit2's tree diff with INCLUDE_TYPECHANGE lists them."""
    changed: set[str] = set()
    added: set[str] = set()
    deleted: set[str] = set()
    flags = pygit2.enums.DiffOption.INCLUDE_TYPECHANGE
    for delta in old.diff_to_tree(new, flags=flags).deltas:
        changed |= {delta.old_file.path, delta.new_file.path}
        if delta.status == pygit2.enums.DeltaStatus.ADDED:
            added.add(delta.new_file.path)
        elif delta.status == pygit2.enums.DeltaStatus.DELETED:
            deleted.add(delta.old_file.path)
    return changed, added, deleted


def _clash(a: str, b: str) -> bool:
    return a != b and (a.startswith(b + "/") or b.startswith(a + "/"))


def test_scan_never_writes_the_index(repo: Repo) -> None:
    wt = _base(repo)
    repo.write(wt, "a.txt", "edited\n")
    gitdir = Path(git(wt, "rev-parse", "--absolute-git-dir"))
    before = (gitdir / "index").stat()
    time.sleep(1.1)
    with Workspace(wt) as ws:
        ws.refresh()
    after = (gitdir / "index").stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert not list(gitdir.glob("index.lock"))


def test_change_sets_match_libgit2_on_links_modes_and_file_folder_swaps(tmp_path) -> None:
    repo = pygit2.init_repository(str(tmp_path / "bare"), bare=True)

    def tree(entries: dict[str, tuple[str, int]]) -> pygit2.Tree:
        index = pygit2.Index()
        for name, (text, mode) in entries.items():
            index.add(pygit2.IndexEntry(name, repo.create_blob(text.encode()), mode))
        return repo[index.write_tree(repo)].peel(pygit2.Tree)

    old = tree({"a": ("x", 0o100644), "d": ("y", 0o100644), "e": ("z", 0o100644)})
    new = tree({"a": ("x", 0o120000), "d/f": ("y", 0o100644), "e": ("z", 0o100755)})
    changed, added, deleted = _libgit2_change_sets(old, new)
    assert (changed, added, deleted) == ({"a", "d", "d/f", "e"}, {"d/f"}, {"d"})
    assert change_sets(repo, old, new) == (changed, added, deleted)
    assert change_sets(repo, new, old) == (changed, deleted, added)


def test_change_sets_read_raw_folders_as_libgit2_does(tmp_path) -> None:
    """Folders are parsed from their raw tree objects: names with spaces, digits, bytes
    that are not UTF-8, links, gitlinks and executables come out as libgit2 names them."""
    repo_dir = tmp_path / "raw.git"
    git(tmp_path, "init", "-q", "--bare", str(repo_dir))

    def fed(args: list[str], data: bytes) -> str:
        proc = subprocess.run(["git", *args], cwd=repo_dir, input=data, capture_output=True)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.decode().strip()

    def blob(text: str) -> str:
        return fed(["hash-object", "-w", "--stdin"], text.encode())

    def mktree(lines: list[bytes]) -> str:
        return fed(["mktree", "-z", "--missing"], b"\0".join(lines) + b"\0")

    x, y = blob("x\n"), blob("y\n")
    commit = "1" * 40  # a gitlink names a commit that need not exist here
    inner_old = mktree([f"100644 blob {x}\tdeep 1.txt".encode()])
    inner_new = mktree([f"100644 blob {y}\tdeep 1.txt".encode()])
    old_id = mktree([
        f"100644 blob {x}\t10 files.txt".encode(),
        f"100644 blob {x}\t".encode() + b"bad\xffname",
        f"100644 blob {x}\tlink".encode(),
        f"100644 blob {x}\trun.sh".encode(),
        f"160000 commit {commit}\tsub".encode(),
        f"040000 tree {inner_old}\tsub dir".encode(),
        f"100644 blob {x}\tsame.txt".encode(),
    ])  # fmt: skip
    new_id = mktree([
        f"100644 blob {y}\t10 files.txt".encode(),
        f"100644 blob {y}\t".encode() + b"bad\xffname",
        f"120000 blob {x}\tlink".encode(),
        f"100755 blob {x}\trun.sh".encode(),
        f"160000 commit {'2' * 40}\tsub".encode(),
        f"040000 tree {inner_new}\tsub dir".encode(),
        f"100644 blob {x}\tsame.txt".encode(),
        f"100644 blob {x}\tü new.txt".encode(),
    ])  # fmt: skip
    repo = pygit2.Repository(str(repo_dir))
    old, new = (repo[oid].peel(pygit2.Tree) for oid in (old_id, new_id))
    changed, added, deleted = _libgit2_change_sets(old, new)
    assert "same.txt" not in changed and "ü new.txt" in added
    for _ in range(2):  # parsed, then from the cache of parsed folders
        assert change_sets(repo, old, new) == (changed, added, deleted)
        assert change_sets(repo, new, old) == (changed, deleted, added)
    clear_tree_cache()
    assert change_sets(repo, old, new) == (changed, added, deleted)


def test_change_sets_reuse_a_folder_diff_at_every_path_it_appears(tmp_path) -> None:
    """Folder diffs are kept by the folders' ids, relative to them: the same pair of
    folders under two names (and in a later diff) is reported at each path."""
    repo = pygit2.init_repository(str(tmp_path / "bare"), bare=True)

    def tree(entries: dict[str, str]) -> pygit2.Tree:
        index = pygit2.Index()
        for name, text in entries.items():
            index.add(pygit2.IndexEntry(name, repo.create_blob(text.encode()), 0o100644))
        return repo[index.write_tree(repo)].peel(pygit2.Tree)

    clear_tree_cache()
    old = tree({"x/a/f": "1", "x/a/g": "1", "y/a/f": "1", "y/a/g": "1", "z": "1"})
    new = tree({"x/a/f": "2", "x/a/h": "1", "y/a/f": "2", "y/a/h": "1", "z": "1"})
    expected = _libgit2_change_sets(old, new)
    assert expected[0] == {"x/a/f", "x/a/g", "x/a/h", "y/a/f", "y/a/g", "y/a/h"}
    assert change_sets(repo, old, new) == expected
    later = tree({"q/r/a/f": "2", "q/r/a/h": "1"})  # the new folder again, deeper
    before = tree({"q/r/a/f": "1", "q/r/a/g": "1"})
    assert change_sets(repo, before, later) == _libgit2_change_sets(before, later)
    assert change_sets(repo, later, before) == _libgit2_change_sets(later, before)
