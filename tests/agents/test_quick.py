"""quick_check: what a write can be told without pygit2 is the full check's answer
exactly (clear), or exactly its findings' fingerprints (deny once); anything it cannot
decide goes to the full check."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentls.agents.bases import bases_file, read_bases
from agentls.agents.check import check_paths
from agentls.agents.quick import quick_check
from agentls.workspace import Workspace
from tests.agents.conftest import Parallel
from tests.conftest import Repo, git, numbered
from tests.core.test_oracle import (
    ATTRIBUTES,
    BINARY,
    PATHS,
    REPOSITORY_EXAMPLES,
    build,
    session_ops,
    trunk_move_lists,
)

EXAMPLES = max(5, int(os.environ.get("AGENTLS_HYPOTHESIS_EXAMPLES", "25")) // 2)


def _located(worktree: Path) -> tuple[Path, Path]:
    common = git(worktree, "rev-parse", "--path-format=absolute", "--git-common-dir")
    return worktree.resolve(), Path(common).resolve()


def clear_answer(cwd: Path, paths: list[str], located: tuple[Path, Path]) -> dict | None:
    """The quick answer when it is "clear", else None."""
    quick = quick_check(cwd, paths, located)
    return None if quick is None else quick.answer


def told(full: dict) -> set[tuple[str, str]]:
    """What deny-once compares: (file, fingerprint) of every finding."""
    return {(e["file"], f["fingerprint"]) for e in full["files"] for f in e["findings"]}


def _quick(parallel: Parallel, *paths: str, cwd: Path | None = None) -> dict | None:
    where = cwd or parallel.auth
    return clear_answer(where, list(paths), _located(where))


def _full_then_quick(parallel: Parallel, *paths: str) -> tuple[dict, dict | None]:
    full = check_paths(None, parallel.auth, list(paths))
    return full, _quick(parallel, *paths)


def test_a_clear_write_is_the_full_checks_answer(parallel: Parallel) -> None:
    assert _quick(parallel, "docs/readme.md") is None  # no base remembered yet
    full, quick = _full_then_quick(parallel, "docs/readme.md", "docs/brand-new.md", "debug.log")
    assert full["clear"] is True
    assert quick == full
    billing_head = git(parallel.billing, "rev-parse", "HEAD")
    main_head = git(parallel.main, "rev-parse", "HEAD")
    assert read_bases(_located(parallel.main)[1])[(billing_head, main_head)] == main_head


def test_work_elsewhere_goes_to_the_full_check(parallel: Parallel) -> None:
    check_paths(None, parallel.auth, ["docs/readme.md"])  # remembers every base
    assert _quick(parallel, "docs/readme.md") is not None
    assert _quick(parallel, "shared.txt") is None  # billing committed a change
    assert _quick(parallel, "billing/invoice.py") is None  # billing's unstaged change
    assert _quick(parallel, "docs/readme.md", "shared.txt") is None  # one of several
    for paths in (["shared.txt"], ["billing/invoice.py"], ["docs/readme.md", "shared.txt"]):
        quick = quick_check(parallel.auth, paths, _located(parallel.auth))
        assert quick is not None and quick.answer is None
        full = check_paths(None, parallel.auth, paths)
        assert set(quick.findings) == told(full) != set()
    parallel.repo.write(parallel.billing, "docs/new.md", "untracked\n")
    assert _quick(parallel, "docs/new.md") is None
    (parallel.billing / "docs" / "readme.md").chmod(0o755)
    assert _quick(parallel, "docs/readme.md") is None
    (parallel.billing / "docs" / "readme.md").unlink()
    assert _quick(parallel, "docs/readme.md") is None
    assert check_paths(None, parallel.auth, ["docs/readme.md"])["clear"] is False


@pytest.mark.parametrize(
    "setup",
    [
        "attributes-in-worktree",
        "attributes-in-info",
        "autocrlf",
        "claim",
        "research-writer",
        "trunk-moved",
        "worktree-config",
        "conditional-include",
    ],
)
def test_what_only_the_full_check_decides(parallel: Parallel, setup: str) -> None:
    check_paths(None, parallel.auth, ["docs/readme.md"])
    assert _quick(parallel, "docs/readme.md") is not None
    common = _located(parallel.main)[1]
    if setup == "attributes-in-worktree":
        parallel.repo.write(parallel.billing, ".gitattributes", "*.md text eol=crlf\n")
    elif setup == "attributes-in-info":
        (common / "info").mkdir(exist_ok=True)
        (common / "info" / "attributes").write_text("*.md ident\n")
    elif setup == "autocrlf":
        git(parallel.main, "config", "core.autocrlf", "true")
    elif setup == "claim":
        with Workspace(parallel.main) as ws:
            ws.refresh()
            ws.store.update(ws.session("feat-billing").id, claims=["docs/**"])
    elif setup == "research-writer":
        with Workspace(parallel.main) as ws:
            ws.refresh()
            ws.store.update(ws.session("feat-auth").id, role="research")
    elif setup == "trunk-moved":
        parallel.repo.write(parallel.main, "other.txt", "trunk moved\n")
        parallel.repo.commit(parallel.main, "trunk moves")
    elif setup == "worktree-config":
        git(parallel.main, "config", "extensions.worktreeConfig", "true")
    elif setup == "conditional-include":
        git(parallel.main, "config", f"includeIf.gitdir:{parallel.billing}.path", "/dev/null")
    assert quick_check(parallel.auth, ["docs/readme.md"], _located(parallel.auth)) is None
    full = check_paths(None, parallel.auth, ["docs/readme.md"])
    if setup == "trunk-moved":  # the full check remembered the new bases
        assert _quick(parallel, "docs/readme.md") == full
    if setup == "claim":
        assert full["clear"] is False


def test_a_mangled_bases_file_costs_a_full_check(parallel: Parallel) -> None:
    check_paths(None, parallel.auth, ["docs/readme.md"])
    target = bases_file(_located(parallel.main)[1])
    kept = target.read_text()
    target.write_text("garbage\0\n" + kept.replace(" ", "  "))
    assert read_bases(_located(parallel.main)[1]) == {}
    assert _quick(parallel, "docs/readme.md") is None
    full = check_paths(None, parallel.auth, ["docs/readme.md"])  # and it is mended
    assert target.read_text() == kept
    assert _quick(parallel, "docs/readme.md") == full


def test_the_hook_answers_a_clear_write_without_pygit2(parallel: Parallel) -> None:
    payload = json.dumps(
        {
            "session_id": "s-clear",
            "transcript_path": "/tmp/t.jsonl",
            "cwd": str(parallel.auth),
            "hook_event_name": "PreToolUse",
            "tool_name": "Edit",
            "tool_input": {
                "file_path": str(parallel.auth / "docs/readme.md"),
                "old_string": "readme",
                "new_string": "README",
            },
        }
    )
    env = {**os.environ, "AGENTLS_NO_ENGINE": "1"}

    def run() -> tuple[str, set[str]]:
        imported, out = parallel.hook_imports(payload, env)
        return out, imported

    first, imported_first = run()  # nothing remembered: the full check, with pygit2
    second, imported_second = run()
    assert first == second == ""  # allowed, silently, both times
    assert "pygit2" in imported_first
    # Nor dataclasses (with inspect: ~10 ms of a hook); agentls's types here are NamedTuples.
    assert not {"pygit2", "dataclasses", "inspect"} & imported_second
    parallel.repo.write(parallel.billing, "docs/readme.md", "readme\nbilling\n")
    denied, imported = run()  # told for the first time: the full check says what and where
    assert "feat-billing" in denied and "line 2" in denied
    assert "pygit2" in imported
    retried, imported = run()  # deny once: told already, for this very version
    assert retried == ""
    assert "pygit2" not in imported
    parallel.repo.write(parallel.billing, "docs/readme.md", "readme\nbilling moved on\n")
    denied_again, _ = run()  # their change moved: told again
    assert "feat-billing" in denied_again


@settings(REPOSITORY_EXAMPLES, max_examples=EXAMPLES)
@given(
    plans=st.lists(session_ops, min_size=2, max_size=4),
    trunk_moves=trunk_move_lists,
    attributes=st.one_of(st.none(), st.sampled_from(ATTRIBUTES)),  # half without any
    branch_off=st.lists(st.booleans(), min_size=4, max_size=4),
    moves_before=st.one_of(st.none(), st.integers(1, 3)),
)
def test_whenever_it_answers_the_full_check_agrees(
    tmp_path_factory, plans, trunk_moves, attributes, branch_off, moves_before
) -> None:
    """Random sessions (edits, renames, mode changes, links, folders, attributes, files
    born after the base): every answer it gives is the full check's, for every writer."""
    repo = Repo(tmp_path_factory.mktemp("clear"))
    worktrees = build(repo, plans, trunk_moves, False, attributes, branch_off, False, moves_before)
    untouched = "a-file-nobody-touches.txt"
    for wt in worktrees:
        located = _located(wt)
        for path in [*PATHS, BINARY, untouched]:
            full = check_paths(None, wt, [path])
            quick = quick_check(wt, [path], located)
            if quick is None:
                continue
            if quick.answer is not None:
                assert full["clear"], (wt.name, path)
                assert quick.answer == full, (wt.name, path)
            else:
                assert not full["clear"], (wt.name, path)
                assert sorted(quick.findings) == sorted(told(full)), (wt.name, path)


def test_an_executable_file_left_alone_is_clear(repo: Repo) -> None:
    repo.write(repo.main, "run.sh", "#!/bin/sh\n")
    (repo.main / "run.sh").chmod(0o755)
    repo.write(repo.main, "notes.txt", numbered(3))
    repo.commit(repo.main, "base")
    other = repo.worktree("other", "feat/other")
    mine = repo.worktree("mine", "feat/mine")
    repo.write(other, "notes.txt", numbered(4))
    repo.commit(other, "other")
    assert (other / "run.sh").stat().st_mode & stat.S_IXUSR
    full = check_paths(None, mine, ["run.sh"])
    assert clear_answer(mine, ["run.sh"], _located(mine)) == full
    assert full["clear"] is True


def test_bytes_git_would_store_differently_are_not_clear(repo: Repo) -> None:
    """The bytes on disk are the base's, but a `text` rule makes `git add` store them
    with LF: git counts the file as changed, so the answer cannot come from the bytes."""
    repo.write(repo.main, "crlf.txt", b"one\r\ntwo\r\n")
    repo.commit(repo.main, "base")
    other = repo.worktree("other", "feat/other")
    mine = repo.worktree("mine", "feat/mine")
    repo.write(other, "notes.txt", "other's own file\n")
    repo.commit(other, "other")
    check_paths(None, mine, ["crlf.txt"])
    assert clear_answer(mine, ["crlf.txt"], _located(mine)) is not None
    repo.write(other, ".gitattributes", "*.txt text\n")
    full = check_paths(None, mine, ["crlf.txt"])
    assert full["clear"] is False, "git stores other's crlf.txt with LF now: a change"
    assert clear_answer(mine, ["crlf.txt"], _located(mine)) is None


def test_a_failing_shortcut_is_logged_and_the_full_check_decides(
    parallel: Parallel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentls.agents import quick
    from agentls.agents.runner import run_hook

    def broken(self: object, cwd: Path, paths: object) -> None:
        raise RuntimeError("a bug in the shortcut")

    monkeypatch.setattr(quick._QuickCheck, "run", broken)
    monkeypatch.setenv("AGENTLS_NO_ENGINE", "1")
    payload = {
        "session_id": "s-broken",
        "transcript_path": "/tmp/t.jsonl",
        "cwd": str(parallel.auth),
        "hook_event_name": "PreToolUse",
        "tool_name": "Edit",
        "tool_input": {"file_path": str(parallel.auth / "shared.txt"), "old_string": "a"},
    }
    out, code = run_hook("claude", json.dumps(payload))
    assert code == 0 and "feat-billing" in out  # denied by the full check
    log = (_located(parallel.main)[1] / "agentls" / "hooks.log").read_text()
    assert "quick check failed, checking in full: RuntimeError('a bug in the shortcut')" in log
