"""check_paths: from disk and from a live Workspace, against git's own merge."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from agentls.agents.check import check_paths
from agentls.workspace import Workspace
from tests.agents.conftest import Parallel
from tests.conftest import Repo, git, numbered


def _findings(result: dict, path: str) -> list[dict]:
    entry = next(f for f in result["files"] if f["path"] == path)
    return entry["findings"]


def _merge_tree_conflicts(cwd: Path, ours: str, theirs: str) -> set[str]:
    proc = subprocess.run(
        ["git", "merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    return set(proc.stdout.splitlines()[1:]) - {""} if proc.returncode == 1 else set()


def test_clear_file_is_clear(parallel: Parallel) -> None:
    result = check_paths(None, parallel.auth, ["docs/readme.md"])
    assert result["clear"] is True
    assert result["session"]["name"] == "feat-auth"
    assert _findings(result, "docs/readme.md") == []


def test_untouched_file_changed_elsewhere_is_reported(parallel: Parallel) -> None:
    result = check_paths(None, parallel.auth, ["shared.txt"])
    (finding,) = _findings(result, "shared.txt")
    assert finding["kind"] == "changed"
    assert finding["session"] == "feat-billing"
    assert finding["ranges"] == {"self": [], "other": [[40, 40]]}
    assert finding["file"] == str(parallel.billing / "shared.txt")
    assert finding["handoff"] == ["# billing", "Rework invoice rounding"]
    assert result["clear"] is False


def test_conflict_matches_git_merge_tree(parallel: Parallel) -> None:
    repo = parallel.repo
    repo.write(parallel.auth, "shared.txt", numbered(60).replace("line 41\n", "auth 41\n"))
    result = check_paths(None, parallel.auth, [str(parallel.auth / "shared.txt")])
    (finding,) = _findings(result, "shared.txt")
    # git's verdict on the same two states (auth's edit committed to compare)
    repo.commit(parallel.auth, "auth: line 41")
    oracle = _merge_tree_conflicts(parallel.main, "feat/auth", "feat/billing")
    assert oracle == {"shared.txt"}
    assert finding["kind"] == "conflict"
    assert finding["detail"] == ["contents"]
    assert finding["ranges"] == {"self": [[41, 41]], "other": [[40, 40]]}


def test_far_apart_edits_overlap_cleanly_like_git(parallel: Parallel) -> None:
    repo = parallel.repo
    repo.write(parallel.auth, "shared.txt", numbered(60).replace("line 5\n", "auth 5\n"))
    result = check_paths(None, parallel.auth, ["shared.txt"])
    (finding,) = _findings(result, "shared.txt")
    repo.commit(parallel.auth, "auth: line 5")
    assert _merge_tree_conflicts(parallel.main, "feat/auth", "feat/billing") == set()
    assert finding["kind"] == "overlap"
    assert finding["ranges"] == {"self": [[5, 5]], "other": [[40, 40]]}


def test_claims_and_unstaged_work_of_other_sessions(parallel: Parallel) -> None:
    with Workspace(parallel.main) as ws:
        ws.refresh()
        ws.store.update(ws.session("feat-billing").id, claims=["billing/**"])
    result = check_paths(None, parallel.auth, ["billing/invoice.py", "billing/new.py"])
    (invoice,) = _findings(result, "billing/invoice.py")
    assert invoice["kind"] == "ownership"
    assert invoice["claim"] == "billing/**"
    assert invoice["changed"] is True
    assert invoice["ranges"]["other"] == [[3, 3]]
    (new,) = _findings(result, "billing/new.py")
    assert new == {**new, "kind": "ownership", "changed": False, "claim": "billing/**"}


def test_ignored_and_outside_paths(parallel: Parallel, tmp_path: Path) -> None:
    parallel.repo.write(parallel.billing, "debug.log", "noise\n")
    result = check_paths(None, parallel.auth, ["debug.log", str(tmp_path / "elsewhere.txt")])
    assert [f["path"] for f in result["files"]] == ["debug.log"]
    assert result["clear"] is True


def test_primary_checkout_uncommitted_work_counts(parallel: Parallel) -> None:
    parallel.repo.write(parallel.main, "docs/readme.md", "readme\nmore\n")
    result = check_paths(None, parallel.auth, ["docs/readme.md"])
    (finding,) = _findings(result, "docs/readme.md")
    assert finding["session"] == "main"
    assert finding["kind"] == "changed"
    assert finding["ranges"]["other"] == [[2, 2]]


def test_live_workspace_gives_the_same_answer(parallel: Parallel) -> None:
    repo = parallel.repo
    repo.write(parallel.auth, "shared.txt", numbered(60).replace("line 40\n", "auth 40\n"))
    paths = ["shared.txt", "docs/readme.md", "billing/invoice.py"]
    cold = check_paths(None, parallel.auth, paths)
    with Workspace(parallel.main) as ws:
        ws.refresh()
        live = check_paths(ws, parallel.auth, paths)
    assert live == cold
    assert _findings(live, "shared.txt")[0]["kind"] == "conflict"


def test_unknown_session_is_an_error(parallel: Parallel) -> None:
    from agentls.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="no session named"):
        check_paths(None, parallel.auth, ["shared.txt"], "nope")


def test_cli_exit_codes_and_json(parallel: Parallel, tmp_path: Path) -> None:
    clear = parallel.agentls("check", "docs/readme.md")
    assert (clear.returncode, clear.stdout) == (0, "docs/readme.md: clear\n")
    contested = parallel.agentls("check", "shared.txt", "--json")
    assert contested.returncode == 1, contested.stderr
    data = json.loads(contested.stdout)
    assert data["files"][0]["findings"][0]["session"] == "feat-billing"
    text = parallel.agentls("check", "shared.txt")
    assert text.returncode == 1
    assert "feat-billing (branch feat/billing) has uncommitted or unmerged" in text.stdout
    outside = parallel.agentls("check", "x.txt", cwd=tmp_path)
    assert outside.returncode == 2
    assert "not inside a git repository" in outside.stderr
    assert git(parallel.auth, "status", "--porcelain") == ""


def test_configured_ignore_globs_silence_a_path(parallel: Parallel) -> None:
    git(parallel.main, "config", "--add", "agentls.ignore", "shared.*")
    result = check_paths(None, parallel.auth, ["shared.txt", "billing/invoice.py"])
    assert [f["path"] for f in result["files"]] == ["billing/invoice.py"]
    with Workspace(parallel.main) as ws:
        ws.refresh()
        assert check_paths(ws, parallel.auth, ["shared.txt"])["files"] == []


def test_session_notes_are_always_clear(parallel: Parallel) -> None:
    """Writing your own HANDOFF.md never contests another session's HANDOFF.md."""
    parallel.repo.write(parallel.billing, "HANDOFF.md", "# billing's notes\n")
    parallel.repo.write(parallel.auth, "HANDOFF.md", "# auth's notes\n")
    result = check_paths(None, parallel.auth, ["HANDOFF.md", "BRIEF.md"])
    assert result["clear"] is True, result


def test_other_sessions_merges_go_to_git_in_one_round_trip(
    parallel: Parallel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file many sessions changed: one batch to merge-tree, each verdict still git's."""
    from agentls.git.merge import MergeTree

    repo = parallel.repo
    edits = {"x-conflict": "line 41\n", "x-clean": "line 10\n", "x-far": "line 55\n"}
    for name, line in edits.items():
        wt = repo.worktree(name, f"feat/{name}")
        repo.write(wt, "shared.txt", numbered(60).replace(line, f"{name} was here\n"))
        repo.commit(wt, name)
    repo.write(parallel.auth, "shared.txt", numbered(60).replace("line 41\n", "auth 41\n"))
    batches: list[int] = []
    merge_batch = MergeTree._merge_batch

    def counted(self: MergeTree, pairs: list[tuple[str, str]], *rest: Any) -> list:
        batches.append(len(pairs))
        return merge_batch(self, pairs, *rest)

    monkeypatch.setattr(MergeTree, "_merge_batch", counted)
    result = check_paths(None, parallel.auth, ["shared.txt"])
    assert batches == [4]  # billing and the three above, in one round trip
    kinds = {f["session"]: f["kind"] for f in _findings(result, "shared.txt")}
    repo.commit(parallel.auth, "auth: line 41")
    for name in ["billing", *edits]:
        conflicted = _merge_tree_conflicts(parallel.main, "feat/auth", f"feat/{name}")
        assert kinds[f"feat-{name}"] == ("conflict" if conflicted else "overlap"), name
    assert set(kinds.values()) == {"conflict", "overlap"}


def test_an_attributes_file_only_the_index_holds_still_applies(repo: Repo) -> None:
    """A skip-worktree `.gitattributes` (sparse checkouts) is read from the index, as git
    does: CRLF line ends that `text` normalises away are no change of the other session."""
    repo.write(repo.main, ".gitattributes", "*.csv text\n")
    repo.write(repo.main, "data.csv", "a,b\n1,2\n")
    repo.commit(repo.main, "base")
    one = repo.worktree("one", "feat/one")
    two = repo.worktree("two", "feat/two")
    git(two, "update-index", "--skip-worktree", ".gitattributes")
    (two / ".gitattributes").unlink()
    (two / "data.csv").write_bytes(b"a,b\r\n1,2\r\n")
    # git: no change (status goes by the file's size, diff by what `git add` would store)
    assert git(two, "diff", "--name-only").strip() == ""
    with open(two / ".git", encoding="utf-8") as dotgit:  # the index says who is skipped
        admin = Path(dotgit.read().split("gitdir:", 1)[1].strip())
    assert (admin / "index").read_bytes()[4:8] != b"\0\0\0\2"
    assert check_paths(None, one, ["data.csv"])["clear"] is True
    # and the same bytes with an edit are a change
    (two / "data.csv").write_bytes(b"a,b\r\n1,3\r\n")
    (finding,) = _findings(check_paths(None, one, ["data.csv"]), "data.csv")
    assert finding["kind"] == "changed" and finding["session"] == "feat-two"
