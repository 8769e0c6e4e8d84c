"""git's clean filters (CRLF normalisation, ident): the per-file path records what `git add` does.

The full snapshot runs `git add -A`, which normalises line endings and collapses
`$Id$` keywords. File events and unsaved buffers must record the same blob, or an
untouched file looks changed after any event and the incremental answer differs
from the full one.
"""

from __future__ import annotations

from pathlib import Path

from agentls.agents.check import check_paths
from agentls.workspace import Workspace
from tests.conftest import Repo, numbered


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def _two_sessions(repo: Repo, attributes: str | None, autocrlf: str | None) -> tuple[Path, Path]:
    if autocrlf is not None:
        repo.git(repo.main, "config", "core.autocrlf", autocrlf)
    if attributes is not None:
        repo.write(repo.main, ".gitattributes", attributes)
    repo.write(repo.main, "a.txt", numbered(20))
    repo.commit(repo.main, "base")
    mine = repo.worktree("mine", "mine")
    theirs = repo.worktree("theirs", "theirs")
    repo.write(theirs, "a.txt", numbered(20).replace("line 10\n", "theirs\n"))
    # The same text with Windows line endings: git add records the committed blob.
    (mine / "a.txt").write_bytes(_crlf(numbered(20)).encode())
    return mine, theirs


def _assert_untouched_after_event(mine: Path) -> None:
    with Workspace(mine) as ws:
        report = ws.refresh()
        info = report.session("mine")
        assert info is not None and info.changed == [], "the full path normalises CRLF"
        assert not report.overlaps
        located = ws.locate(mine / "a.txt")
        assert located is not None
        state, rel = located
        assert not ws.file_changed(state, rel), "an event for an untouched CRLF file changed state"
        assert state.changed == set()
        assert not ws.report().overlaps, "incremental answer differs from the full one"
        # An unsaved buffer holding the same CRLF text is no change either.
        assert not ws.buffer_changed(state, rel, _crlf(numbered(20)))
        assert not ws.report().overlaps
        assert not ws.buffer_closed(state, rel)
        # A real edit (still CRLF) is seen, normalised: the same blob as `git add`.
        edited = _crlf(numbered(20).replace("line 10\n", "mine\n"))
        (mine / "a.txt").write_bytes(edited.encode())
        assert ws.file_changed(state, rel)
        [collision] = ws.report().overlaps
        assert (collision.kind, collision.path) == ("conflict", "a.txt")
        assert collision.ranges["mine"] == [(10, 10)]
        incremental = state.entry(rel)
        with Workspace(mine) as cold:
            cold.refresh()
            assert cold.states[state.session.id].entry(rel) == incremental
            assert [c.key() for c in cold.report().overlaps] == [collision.key()]


def test_text_auto_attribute_normalises_crlf_per_file(repo: Repo) -> None:
    mine, _ = _two_sessions(repo, "* text=auto\n", None)
    _assert_untouched_after_event(mine)


def test_core_autocrlf_normalises_crlf_per_file(repo: Repo) -> None:
    mine, _ = _two_sessions(repo, None, "true")
    _assert_untouched_after_event(mine)


def test_buffer_with_crlf_matches_saved_file(repo: Repo) -> None:
    mine, _ = _two_sessions(repo, "*.txt text eol=crlf\n", None)
    with Workspace(mine) as ws:
        ws.refresh()
        located = ws.locate(mine / "a.txt")
        assert located is not None
        state, rel = located
        edited = _crlf(numbered(20).replace("line 3\n", "buffer\n"))
        assert ws.buffer_changed(state, rel, edited)
        from_buffer = state.entry(rel)
        (mine / "a.txt").write_bytes(edited.encode())
        ws.buffer_closed(state, rel)
        assert state.entry(rel) == from_buffer, "buffer and saved file record different blobs"
        blob = ws.git[from_buffer[0]].data  # type: ignore[index]
        assert b"\r" not in blob


def test_ident_keyword_collapses_like_git_add(repo: Repo) -> None:
    repo.write(repo.main, ".gitattributes", "*.c ident\n")
    repo.write(repo.main, "x.c", "/* $Id$ */\nint x;\n")
    repo.commit(repo.main, "base")
    wt = repo.worktree("wt", "feature")
    # Checkout expanded the keyword; the committed blob still says `$Id$`.
    assert "$Id: " in (wt / "x.c").read_text()
    with Workspace(wt) as ws:
        assert ws.refresh().session("feature").changed == []  # type: ignore[union-attr]
        state, rel = ws.locate(wt / "x.c")  # type: ignore[misc]
        assert not ws.file_changed(state, rel)
        assert not ws.buffer_changed(state, rel, (wt / "x.c").read_text())
        assert state.changed == set()


def test_hook_check_normalises_crlf(repo: Repo) -> None:
    """The cold hook check reads other sessions' files the same way."""
    _mine, theirs = _two_sessions(repo, "* text=auto\n", None)
    result = check_paths(None, theirs, ["a.txt"])
    assert result["clear"], result["files"]


def _event_then_compare_with_cold(wt: Path, rel: str, name: str) -> None:
    with Workspace(wt) as ws:
        ws.refresh()
        state, located = ws.locate(wt / rel)  # type: ignore[misc]
        assert not ws.file_changed(state, located), "an event for an unchanged file"
        (wt / rel).write_bytes((wt / rel).read_bytes())
        with Workspace(wt) as cold:
            cold.refresh()
            assert state.entry(rel) == cold.states[state.session.id].entry(rel)
        assert state.changed == {rel}  # the new file, stored as git add stores it
        assert ws.report().session(name).changed == [rel]  # type: ignore[union-attr]


def test_filter_driver_runs_like_git_add(repo: Repo) -> None:
    """libgit2 runs no filter drivers: those paths are hashed by git itself."""
    repo.git(repo.main, "config", "filter.upper.clean", "tr a-z A-Z")
    repo.write(repo.main, ".gitattributes", "*.up filter=upper\n")
    repo.commit(repo.main, "base")
    wt = repo.worktree("wt", "feature")
    repo.write(wt, "x.up", "shout\n")
    _event_then_compare_with_cold(wt, "x.up", "feature")
    with Workspace(wt) as ws:
        ws.refresh()
        state, rel = ws.locate(wt / "x.up")  # type: ignore[misc]
        assert ws.git[state.entry(rel)[0]].data == b"SHOUT\n"  # type: ignore[index]
        ws.buffer_changed(state, rel, "quiet\n")
        assert ws.git[state.entry(rel)[0]].data == b"QUIET\n"  # type: ignore[index]


def test_working_tree_encoding_is_converted_like_git_add(repo: Repo) -> None:
    repo.write(repo.main, ".gitattributes", "*.u16 text working-tree-encoding=UTF-16LE\n")
    repo.commit(repo.main, "base")
    wt = repo.worktree("wt", "feature")
    repo.write(wt, "notes.u16", "héllo\n".encode("utf-16-le"))
    _event_then_compare_with_cold(wt, "notes.u16", "feature")


def test_crlf_already_in_the_index_is_kept_like_git_add(repo: Repo) -> None:
    """git's "safer autocrlf": a file committed with CRLF is not normalised later."""
    repo.write(repo.main, "w.txt", b"a\r\nb\r\n")
    repo.commit(repo.main, "crlf committed")
    repo.git(repo.main, "config", "core.autocrlf", "true")
    wt = repo.worktree("wt", "feature")
    repo.write(wt, "w.txt", b"a\r\nb\r\nc\r\n")
    _event_then_compare_with_cold(wt, "w.txt", "feature")
    with Workspace(wt) as ws:
        ws.refresh()
        state, rel = ws.locate(wt / "w.txt")  # type: ignore[misc]
        assert ws.git[state.entry(rel)[0]].data == b"a\r\nb\r\nc\r\n"  # type: ignore[index]


def test_attributes_and_config_changed_after_load_apply_to_later_events(repo: Repo) -> None:
    repo.write(repo.main, "a.txt", numbered(3))
    repo.write(repo.main, "sub/b.txt", numbered(3))
    repo.commit(repo.main, "base")
    wt = repo.worktree("wt", "feature")
    with Workspace(wt) as ws:
        ws.refresh()
        state, _ = ws.locate(wt / "a.txt")  # type: ignore[misc]
        (wt / "sub/b.txt").write_bytes(_crlf(numbered(3)).encode())
        assert ws.file_changed(state, "sub/b.txt")  # no rules yet: CRLF is a change
        repo.write(wt, "sub/.gitattributes", "*.txt text\n")
        assert ws.file_changed(state, "sub/b.txt"), "a new .gitattributes applies"
        assert state.changed == set()  # b.txt is as committed again (no event for the rules)
        (wt / "a.txt").write_bytes(_crlf(numbered(3)).encode())
        repo.git(wt, "config", "core.autocrlf", "true")
        assert not ws.file_changed(state, "a.txt"), "core.autocrlf set after load applies"
