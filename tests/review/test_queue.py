"""The review queue and its items, on real repositories, checked against git itself."""

from __future__ import annotations

import subprocess

from agentls.review.queue import build_item, build_queue
from tests.conftest import Repo, git, numbered
from tests.lifecycle.helpers import agentls
from tests.review.conftest import edit, fresh, queue_names, session


def test_queue_is_in_cascade_order_priority_then_age(review_repo: Repo) -> None:
    repo = review_repo
    for name in ("old", "mid", "new"):
        session(repo, name, {f"{name}.txt": f"{name}\n"})
    with fresh(repo) as ws:
        ids = {s.name: s.id for s in ws.sessions}
        # Equal priorities: age decides (oldest first); the name order says otherwise.
        for name, created in (("old", 100.0), ("mid", 200.0), ("new", 300.0)):
            ws.store.db.execute(
                "UPDATE sessions SET priority = 5, created = ? WHERE id = ?", (created, ids[name])
            )
        ws.refresh()
        assert queue_names(build_queue(ws)) == ["old", "mid", "new"]
        assert queue_names(build_queue(ws, newest_first=True)) == ["new", "mid", "old"]
        # Priority comes first: the newest session moved to the front of the cascade.
        ws.store.update(ids["new"], priority=1)
        ws.refresh()
        queue = build_queue(ws)
        assert queue_names(queue) == ["new", "old", "mid"]
        assert [i["position"] for i in queue["items"]] == [1, 2, 3]
        assert queue["order"] == "oldest-first"


def test_trunk_research_and_landed_sessions_are_not_queued(review_repo: Repo) -> None:
    repo = review_repo
    session(repo, "work", {"work.txt": "w\n"})
    idle = repo.worktree("idle", branch="idle")
    assert idle.exists()
    agentls(repo.main, "fork", "probe", "--from", "work", check=True)
    with fresh(repo) as ws:
        queue = build_queue(ws)
    assert queue_names(queue) == ["work"]
    reasons = {n["session"]: n["reason"] for n in queue["notQueued"]}
    assert reasons == {"main": "trunk", "idle": "nothing-to-review", "probe": "research"}


def test_files_and_line_counts_are_gits_numstat_from_base_to_current(review_repo: Repo) -> None:
    repo = review_repo
    repo.write(repo.main, "old/name.txt", numbered(30, "keep"))
    repo.write(repo.main, "gone.txt", "bye\n")
    repo.commit(repo.main, "more files")
    wt = repo.worktree("s", branch="s")
    (wt / "new").mkdir()
    git(wt, "mv", "old/name.txt", "new/name.txt")
    repo.write(wt, "new/name.txt", edit(numbered(30, "keep"), 2, "renamed and edited"))
    git(wt, "rm", "-q", "gone.txt")
    repo.write(wt, "app.txt", edit(numbered(20), 7, "seven"))
    repo.write(wt, "bin.dat", b"\0\1\2binary")
    repo.commit(wt, "s: rename, delete, edit, add binary")
    repo.write(wt, "app.txt", edit(edit(numbered(20), 7, "seven"), 12, "twelve, unsaved"))
    repo.write(wt, "untracked.txt", "new\n")
    with fresh(repo) as ws:
        item = build_item(ws, "s")["item"]
    base, snapshot = item["base"], item["snapshot"]
    assert base == git(repo.main, "merge-base", "main", "s")
    numstat = git(repo.main, "diff", "--numstat", "-M", base, snapshot)
    expected = {}
    for line in numstat.splitlines():
        added, deleted, path = line.split("\t")
        if " => " in path:  # {old => new} rename notation
            prefix, rest = path.split("{", 1)
            new = rest.split("}", 1)[0].split(" => ")[1]
            suffix = rest.split("}", 1)[1]
            path = prefix + new + suffix
        expected[path] = (None, None) if added == "-" else (int(added), int(deleted))
    got = {
        f["path"]: (None, None) if f["binary"] else (f["insertions"], f["deletions"])
        for f in item["files"]
    }
    assert got == expected
    by_path = {f["path"]: f for f in item["files"]}
    assert by_path["new/name.txt"]["status"] == "R"
    assert by_path["new/name.txt"]["oldPath"] == "old/name.txt"
    assert by_path["gone.txt"]["status"] == "D"
    assert by_path["bin.dat"]["status"] == "A" and by_path["bin.dat"]["binary"]
    assert by_path["untracked.txt"]["uncommitted"] and by_path["app.txt"]["uncommitted"]
    assert not by_path["gone.txt"]["uncommitted"]
    assert item["stat"]["files"] == len(expected)
    # The commits are git log's for base..head.
    log = git(repo.main, "log", "--format=%H", f"{base}..s").split()
    assert [c["id"] for c in item["commits"]] == log
    assert item["commits"][0]["summary"] == "s: rename, delete, edit, add binary"


def test_landability_blockers_and_warnings(review_repo: Repo) -> None:
    repo = review_repo
    clean = session(repo, "clean", {"clean.txt": "c\n"})
    dirty = session(repo, "dirty", {"dirty.txt": "d\n"})
    repo.write(dirty, "dirty.txt", "d, more\n")
    only_edits = repo.worktree("edits", branch="edits")
    repo.write(only_edits, "app.txt", edit(numbered(20), 1, "uncommitted only"))
    assert clean.exists()
    with fresh(repo) as ws:
        items = {i["session"]: i for i in build_queue(ws)["items"]}
    assert items["clean"]["landable"] == {
        "now": True, "blockers": [], "warnings": [], "conflicts": {"trunk": [], "earlier": []}
    }  # fmt: skip
    codes = [b["code"] for b in items["dirty"]["landable"]["blockers"]]
    assert codes == ["uncommitted"]
    assert items["dirty"]["landable"]["blockers"][0]["data"] == {"paths": ["dirty.txt"], "count": 1}
    assert items["dirty"]["dirty"] is True
    assert [b["code"] for b in items["edits"]["landable"]["blockers"]] == [
        "uncommitted",
        "nothing-to-land",
    ]


def _merge_tree_conflicts(repo: Repo, a: str, b: str) -> list[str]:
    """The oracle: the paths `git merge-tree --write-tree` reports as conflicted."""
    proc = subprocess.run(
        ["git", "merge-tree", "--write-tree", "--name-only", "--no-messages", a, b],
        cwd=repo.main, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    return sorted(proc.stdout.splitlines()[1:]) if proc.returncode == 1 else []


def test_conflicts_with_trunk_and_earlier_sessions_are_gits(review_repo: Repo) -> None:
    repo = review_repo
    first = session(repo, "first", {"app.txt": edit(numbered(20), 3, "first's three")})
    second = session(repo, "second", {"app.txt": edit(numbered(20), 3, "second's three")})
    third = session(repo, "third", {"app.txt": edit(numbered(20), 15, "third's fifteen")})
    # Trunk moves on: a conflict for third (line 15), none for the others.
    repo.write(repo.main, "app.txt", edit(numbered(20), 15, "trunk's fifteen"))
    repo.commit(repo.main, "trunk work")
    assert first.exists() and second.exists() and third.exists()
    with fresh(repo) as ws:
        queue = build_queue(ws)
    items = {i["session"]: i for i in queue["items"]}
    assert queue_names(queue) == ["first", "second", "third"]
    for name in ("first", "second", "third"):
        expected_trunk = _merge_tree_conflicts(repo, "main", name)
        assert items[name]["landable"]["conflicts"]["trunk"] == expected_trunk
        assert items[name]["behind"] == 1
        assert "behind" in [w["code"] for w in items[name]["landable"]["warnings"]]
    assert _merge_tree_conflicts(repo, "first", "second") == ["app.txt"]
    assert _merge_tree_conflicts(repo, "first", "third") == []
    # Only sessions EARLIER in the sweep count: first conflicts with nobody before it.
    assert items["first"]["landable"]["conflicts"]["earlier"] == []
    assert items["second"]["landable"]["conflicts"]["earlier"] == [
        {"session": "first", "paths": ["app.txt"]}
    ]
    assert items["third"]["landable"]["conflicts"]["trunk"] == ["app.txt"]
    assert "trunk-conflict" in [b["code"] for b in items["third"]["landable"]["blockers"]]
    assert items["second"]["collisions"]["conflict"] == 1
    # Newest first: second is now earlier than first, so first shows the conflict.
    with fresh(repo) as ws:
        reversed_items = {i["session"]: i for i in build_queue(ws, newest_first=True)["items"]}
    assert reversed_items["first"]["landable"]["conflicts"]["earlier"] == [
        {"session": "second", "paths": ["app.txt"]}
    ]
    assert reversed_items["second"]["landable"]["conflicts"]["earlier"] == []


def test_scope_lists_files_outside_the_claims(review_repo: Repo) -> None:
    repo = review_repo
    session(repo, "auth", {"auth/login.py": "x\n", "auth/util.py": "y\n", "app.txt": "z\n"})
    session(repo, "free", {"free.txt": "f\n"})
    agentls(repo.main, "claim", "auth", "auth/**", check=True)
    with fresh(repo) as ws:
        items = {i["session"]: i for i in build_queue(ws)["items"]}
    assert items["auth"]["scope"] == {"claims": ["auth/**"], "outside": ["app.txt"]}
    assert items["free"]["scope"] == {"claims": [], "outside": []}


def test_notes_are_shown_but_never_part_of_the_change(review_repo: Repo) -> None:
    repo = review_repo
    wt = session(repo, "s", {"s.txt": "s\n"})
    repo.write(wt, "BRIEF.md", "# brief\nthe task\n")
    repo.write(wt, "HANDOFF.md", "my own notes\n")
    with fresh(repo) as ws:
        summary = build_queue(ws)["items"][0]
        item = build_item(ws, "s")["item"]
    assert summary["notes"] == {"BRIEF.md": True, "HANDOFF.md": True}
    assert item["notes"] == {"BRIEF.md": "# brief\nthe task\n", "HANDOFF.md": "my own notes\n"}
    assert [f["path"] for f in item["files"]] == ["s.txt"]
    assert item["landable"]["now"] is True


def test_item_refuses_unknown_and_unreviewable_sessions(review_repo: Repo) -> None:
    import pytest

    from agentls.errors import InvalidInputError

    repo = review_repo
    session(repo, "s", {"s.txt": "s\n"})
    with fresh(repo) as ws:
        with pytest.raises(InvalidInputError, match="no session named 'nope'"):
            build_item(ws, "nope")
        with pytest.raises(InvalidInputError, match="trunk"):
            build_item(ws, "main")
