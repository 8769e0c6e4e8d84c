"""Session discovery, names and the shared store, on real worktrees."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from agentls.agents.seen import Seen
from agentls.errors import InvalidInputError, NotARepositoryError
from agentls.git.repo import find_repository, list_worktrees
from agentls.names import default_name, validate_name
from agentls.sessions import SESSION_ID_FILE, discover_sessions
from agentls.store import Store
from agentls.workspace import Workspace
from tests.conftest import Repo, git


@pytest.fixture
def three(repo: Repo) -> Repo:
    repo.write(repo.main, "src/app.py", "print('hi')\n")
    repo.commit(repo.main, "base")
    repo.worktree("wt-feature", "feat/login")
    repo.worktree("wt-detached")
    return repo


def test_discovers_every_worktree_from_a_nested_folder(three: Repo) -> None:
    nested = three.root / "wt-feature" / "src"
    with Workspace(nested) as ws:
        report = ws.refresh()
    by_path = {Path(s.path).name: s for s in report.sessions}
    assert set(by_path) == {"repo", "wt-feature", "wt-detached"}
    assert by_path["repo"].name == "main" and by_path["repo"].is_trunk
    assert by_path["wt-feature"].name == "feat-login"
    assert by_path["wt-feature"].branch == "feat/login"
    assert by_path["wt-detached"].branch is None
    assert by_path["wt-detached"].name == "wt-detached"


def test_locked_and_prunable_worktrees(three: Repo) -> None:
    git(three.main, "worktree", "lock", str(three.root / "wt-feature"))
    shutil.rmtree(three.root / "wt-detached")
    with Workspace(three.main) as ws:
        report = ws.refresh()
    by_name = {s.name: s for s in report.sessions}
    assert by_name["feat-login"].locked
    assert by_name["wt-detached"].missing
    assert by_name["wt-detached"].changed == []


def test_worktrees_through_a_symlink_and_gone_map_to_their_admin_dirs(three: Repo) -> None:
    """Each worktree's folder is its real path, and its admin dir is found whether git
    names the folder through a symlink, by its real path, or the folder is gone."""
    real = three.root / "real"
    real.mkdir()
    link = three.root / "link"
    link.symlink_to(real, target_is_directory=True)
    git(three.main, "worktree", "add", "-q", "--detach", str(link / "via-link"), "main")
    git(three.main, "worktree", "add", "-q", "--detach", str(link / "gone-via-link"), "main")
    shutil.rmtree(three.root / "wt-detached")
    shutil.rmtree(real / "gone-via-link")
    listed = {w.path.name: w for w in list_worktrees(find_repository(three.main))}
    assert listed["via-link"].path == real.resolve() / "via-link"
    assert not listed["via-link"].prunable
    assert listed["wt-detached"].path == three.root.resolve() / "wt-detached"
    assert listed["wt-detached"].prunable
    assert listed["repo"].is_primary and listed["repo"].gitdir == three.main.resolve() / ".git"
    assert listed["gone-via-link"].prunable
    for name in ("via-link", "gone-via-link", "wt-detached", "wt-feature"):
        admin = listed[name].gitdir
        assert admin.parent.name == "worktrees", (name, admin)
        dotgit = Path((admin / "gitdir").read_text().strip())
        assert dotgit.parent.resolve() == listed[name].path.resolve(), name
    ids = {w.path.name: w.gitdir.name for w in listed.values() if not w.is_primary}
    assert len(set(ids.values())) == 4  # four worktrees, four admin dirs


def test_bare_primary_is_skipped(tmp_path: Path) -> None:
    source = Repo(tmp_path / "src")
    source.write(source.main, "a.txt", "a\n")
    source.commit(source.main)
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(source.main), str(bare))
    git(bare, "worktree", "add", "-q", str(tmp_path / "wt"), "main")
    with Workspace(tmp_path / "wt") as ws:
        report = ws.refresh()
    assert [Path(s.path).name for s in report.sessions] == ["wt"]


def test_metadata_survives_worktree_move(three: Repo) -> None:
    with Workspace(three.main) as ws:
        ws.refresh()
        session = ws.session("feat-login")
        ws.store.rename(session.id, "login")
        ws.store.update(session.id, claims=["auth/**"], priority=7)
    git(three.main, "worktree", "move", str(three.root / "wt-feature"), str(three.root / "moved"))
    with Workspace(three.root / "moved") as ws:
        ws.refresh()
        moved = ws.session("login")
    assert moved.path == (three.root / "moved").resolve()
    assert moved.claims == ["auth/**"] and moved.priority == 7


def test_a_new_worktree_at_an_old_place_starts_fresh(three: Repo) -> None:
    with Workspace(three.main) as ws:
        ws.refresh()
        ws.store.rename(ws.session("wt-detached").id, "old-facts")
    git(three.main, "worktree", "remove", "--force", str(three.root / "wt-detached"))
    three.worktree("wt-detached")
    with Workspace(three.main) as ws:
        names = {s.name for s in ws.refresh().sessions}
    assert "old-facts" not in names


def test_default_names_are_valid_and_unique(three: Repo) -> None:
    three.worktree("other", "feat/login-2")
    git(three.main, "branch", "x/feat-login")
    three.worktree("clash", None)
    with Workspace(three.main) as ws:
        names = [s.name for s in ws.refresh().sessions]
    assert len(names) == len(set(names))
    for name in names:
        validate_name(name)
    assert default_name("feat/a b", Path("/x")) == "feat-a-b"
    assert default_name(None, Path("/tmp/-..weird..")) == "weird"


@pytest.mark.parametrize(
    "bad", ["", "a/b", "..", "a..b", "with space", "-lead", "x" * 65, ".hidden", "ü"]
)
def test_invalid_names_are_refused(three: Repo, bad: str) -> None:
    with Workspace(three.main) as ws:
        ws.refresh()
        session = ws.session("main")
        with pytest.raises(InvalidInputError, match="invalid session name"):
            ws.store.rename(session.id, bad)
        assert ws.store.get(session.id).name == "main"


def test_rename_to_a_taken_name_is_refused(three: Repo) -> None:
    with Workspace(three.main) as ws:
        ws.refresh()
        with pytest.raises(InvalidInputError, match="already used"):
            ws.store.rename(ws.session("main").id, "feat-login")


def test_store_is_wal_and_shared_by_processes(three: Repo) -> None:
    repository = find_repository(three.main)
    store = Store(repository.state_dir)
    records = {r.name for r in store.all()}
    store.close()
    mode = sqlite3.connect(repository.state_dir / "store.sqlite3").execute("PRAGMA journal_mode")
    assert mode.fetchone()[0] == "wal"
    # Several processes discovering at once must agree on one name per session.
    code = (
        "import sys; from agentls.git.repo import find_repository;"
        "from agentls.store import Store; from agentls.sessions import discover_sessions;"
        "r = find_repository(sys.argv[1]); s = Store(r.state_dir);"
        "print(sorted(x.name for x in discover_sessions(r, s)))"
    )
    fresh = three.worktree("fresh", "fresh")  # unknown to the store: all three race to add it
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(fresh)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = {p.communicate(timeout=60)[0] for p in procs}
    assert len(outputs) == 1, outputs
    store = Store(repository.state_dir)
    assert len(discover_sessions(repository, store)) == 4
    store.close()
    assert records <= {"main", "feat-login", "wt-detached"}


def _open_sessions(state: Path) -> Callable[[], None]:
    store = Store(state)
    assert store.all() == []
    return store.close


def _open_denials(state: Path) -> Callable[[], None]:
    seen = Seen(state)
    assert seen.first_time("claude", "s", [("a.py", "f")])
    return seen.close


@pytest.mark.parametrize("open_part", [_open_sessions, _open_denials], ids=["sessions", "denials"])
def test_a_new_store_opens_while_another_process_is_creating_it(
    tmp_path: Path, open_part: Callable[[Path], Callable[[], None]]
) -> None:
    """Switching a new database file to WAL needs it to itself, and SQLite refuses at
    once ('database is locked', no busy wait) while another connection writes to it:
    what a second agentls process met when two created the store together (seen in CI).
    The open waits for the other instead, and fails only after OPEN_TIMEOUT. Both
    parts that keep tables in the store (sessions, agents' denials) open it this way,
    and either one creating the file leaves it in WAL mode."""
    state = tmp_path / "state"
    state.mkdir()
    other = sqlite3.connect(state / "store.sqlite3", isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE creating (x)")  # a new file, still in rollback-journal mode
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO creating VALUES (1)")
    released = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    released.start()
    started = time.monotonic()
    try:
        close = open_part(state)
    finally:
        released.join()
    assert time.monotonic() - started >= 0.4  # it waited for the other writer
    close()
    other.close()
    with contextlib.closing(sqlite3.connect(state / "store.sqlite3")) as fresh:
        assert fresh.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_processes_seeing_new_worktrees_at_once_agree_on_their_ids(three: Repo) -> None:
    """Processes released together (imports done) race on worktrees no agentls process
    has seen: one id file each, one store row each, the same names everywhere."""
    code = (
        "import sys, time, pathlib; from agentls.git.repo import find_repository;"
        "from agentls.store import Store; from agentls.sessions import discover_sessions;"
        "go = pathlib.Path(sys.argv[2]);\n"
        "while not go.exists(): time.sleep(0.001)\n"
        "r = find_repository(sys.argv[1]); s = Store(r.state_dir);"
        "print(sorted((x.name, x.id) for x in discover_sessions(r, s)))"
    )
    repository = find_repository(three.main)
    for round_ in range(3):
        for n in range(2):
            three.worktree(f"new-{round_}-{n}", f"new-{round_}-{n}")
        go = three.root / f"go-{round_}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", code, str(three.main), str(go)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(6)
        ]
        time.sleep(1.0)  # every process is polling for the go file by now
        go.touch()
        outputs = {p.communicate(timeout=60)[0] for p in procs}
        assert len(outputs) == 1, outputs
        store = Store(repository.state_dir)
        sessions = discover_sessions(repository, store)
        assert len(store.all()) == len(sessions) == 4 + 2 * round_ + 1
        on_disk = {
            (w.gitdir / SESSION_ID_FILE).read_text().strip() for w in list_worktrees(repository)
        }
        assert {s.id for s in sessions} == on_disk
        store.close()


def test_outside_a_repository(tmp_path: Path) -> None:
    with pytest.raises(NotARepositoryError, match="not inside a git repository"):
        Workspace(tmp_path)


def test_a_file_belongs_to_the_deepest_worktree_holding_it(three: Repo) -> None:
    """A worktree inside another's folder owns its files; a sibling folder whose name
    starts with a worktree's name is not inside it."""
    nested = three.worktree("main/.worktrees/inner", "inner")
    sibling = three.worktree("main-notes", "notes")
    with Workspace(three.main) as ws:
        ws.refresh()
        for file, owner, relative in (
            (nested / "src" / "x.py", "inner", "src/x.py"),
            (three.main / "src" / "x.py", "main", "src/x.py"),
            (sibling / "x.py", "notes", "x.py"),
        ):
            located = ws.locate(file)
            assert located is not None, file
            assert (located[0].session.name, located[1]) == (owner, relative)
        assert ws.locate(three.root / "elsewhere" / "x.py") is None


def test_find_repository_from_every_kind_of_folder(tmp_path: Path) -> None:
    """One git process in a worktree, a second where --show-toplevel fails (a bare
    repository, inside .git): the same answer as git's own, from everywhere."""
    source = Repo(tmp_path / "src")
    source.write(source.main, "sub/a.txt", "a\n")
    source.commit(source.main)
    wt = source.worktree("wt", "wt")
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(source.main), str(bare))
    common = (source.main / ".git").resolve()
    cases = [
        (source.main, common, source.main),
        (source.main / "sub", common, source.main),
        (source.main / ".git", common, None),
        (source.main / ".git" / "refs", common, None),
        (wt / "sub", common, wt),
        (bare, bare.resolve(), None),
    ]
    for folder, expected_common, expected_top in cases:
        found = find_repository(folder)
        assert found.common_dir == expected_common, folder
        assert found.toplevel == (expected_top.resolve() if expected_top else None), folder
    with pytest.raises(NotARepositoryError):
        find_repository(tmp_path)
