"""Verdicts, "changed since review", the land gate and the review actions, on real repos."""

from __future__ import annotations

import pytest

from agentls.errors import AgentlsError, InvalidInputError
from agentls.lifecycle import land, land_all
from agentls.lifecycle.handoff import BEGIN, END
from agentls.review.actions import approve_and_land, record_verdict, remove_reviewed
from agentls.review.gate import ReviewRequiredError
from agentls.review.queue import build_item, build_queue
from agentls.review.state import ReviewBook
from tests.conftest import Repo, git, numbered
from tests.lifecycle.helpers import agentls, snapshot_state
from tests.review.conftest import edit, fresh, require_review, reviews_table, session


def _review(ws, name: str) -> dict:
    return build_item(ws, name)["item"]["review"]


def test_a_verdict_records_who_which_head_and_what(review_repo: Repo) -> None:
    repo = review_repo
    git(repo.main, "config", "user.name", "Rita Reviewer")
    git(repo.main, "config", "user.email", "rita@example.com")
    session(repo, "s", {"s.txt": "s\n"})
    head = git(repo.main, "rev-parse", "s")
    with fresh(repo) as ws:
        assert _review(ws, "s")["state"] == "unreviewed"
        result = record_verdict(ws, "s", "approved", head=head)
        assert result["ok"] and result["head"] == head and result["handoff"] is None
        review = _review(ws, "s")
    assert review["state"] == "approved" and review["approved"] is True
    assert review["head"] == head
    assert review["reviewer"] == "Rita Reviewer <rita@example.com>"
    assert review["changedSinceReview"] is False
    assert reviews_table(repo) == [(ws.session("s").id, head, "approved", "")]


def test_bad_verdicts_change_nothing(review_repo: Repo) -> None:
    repo = review_repo
    session(repo, "s", {"s.txt": "s\n"})
    with fresh(repo) as ws:
        before = snapshot_state(repo)  # after discovery registered the sessions
        with pytest.raises(InvalidInputError, match="invalid verdict"):
            record_verdict(ws, "s", "lgtm")
        with pytest.raises(InvalidInputError, match="needs notes"):
            record_verdict(ws, "s", "changes-requested", "   ")
        with pytest.raises(InvalidInputError, match="invalid head"):
            record_verdict(ws, "s", "approved", head="main; rm -rf /")
        with pytest.raises(InvalidInputError, match="no session named"):
            record_verdict(ws, "nope", "approved")
        with pytest.raises(InvalidInputError, match="trunk"):
            record_verdict(ws, "main", "approved")
    assert reviews_table(repo) == []
    assert snapshot_state(repo) == before
    assert not (repo.root / "s" / "HANDOFF.md").exists()


def test_a_head_the_reviewer_did_not_see_is_refused(review_repo: Repo) -> None:
    repo = review_repo
    wt = session(repo, "s", {"s.txt": "s\n"})
    seen = git(repo.main, "rev-parse", "s")
    repo.write(wt, "s.txt", "s, then more\n")
    repo.commit(wt, "more work after the reviewer looked")
    with fresh(repo) as ws, pytest.raises(AgentlsError) as refused:
        record_verdict(ws, "s", "approved", head=seen)
    assert refused.value.code == "review-stale"  # type: ignore[attr-defined]
    assert refused.value.data["current"] == git(repo.main, "rev-parse", "s")  # type: ignore[attr-defined]
    assert reviews_table(repo) == []


def test_changed_since_review_shows_the_new_commits_and_files(review_repo: Repo) -> None:
    repo = review_repo
    wt = session(repo, "s", {"a.txt": "a\n", "b.txt": "b\n"})
    with fresh(repo) as ws:
        record_verdict(ws, "s", "approved")
        reviewed = ws.session("s").head
    repo.write(wt, "b.txt", "b changed after review\n")
    repo.write(wt, "c.txt", "c, new\n")
    later = repo.commit(wt, "after the review")
    with fresh(repo) as ws:
        item = build_item(ws, "s")["item"]
        summary = build_queue(ws)["items"][0]["review"]
    review = item["review"]
    assert review["state"] == "approved" and review["approved"] is False
    assert review["changedSinceReview"] is True and summary["changedSinceReview"] is True
    since = item["sinceReview"]
    assert since["from"] == reviewed and since["to"] == later and since["rewritten"] is False
    assert [c["id"] for c in since["commits"]] == [later]
    expected = git(repo.main, "diff", "--name-only", reviewed, later).split()
    assert sorted(f["path"] for f in since["files"]) == sorted(expected) == ["b.txt", "c.txt"]
    # A verdict on the new head makes it current again.
    with fresh(repo) as ws:
        record_verdict(ws, "s", "approved")
        assert _review(ws, "s")["approved"] is True
        assert build_item(ws, "s")["item"]["sinceReview"] is None


def test_an_approval_survives_a_rebase_that_keeps_the_change(review_repo: Repo) -> None:
    repo = review_repo
    wt = session(repo, "s", {"app.txt": edit(numbered(20), 2, "s's two")})
    with fresh(repo) as ws:
        record_verdict(ws, "s", "approved")
    repo.write(repo.main, "other.txt", "trunk moved on\n")
    repo.commit(repo.main, "unrelated trunk work")
    git(wt, "rebase", "-q", "main")
    with fresh(repo) as ws:
        review = _review(ws, "s")
        assert review["approved"] is True and review["rebasedSinceReview"] is True
        item = build_item(ws, "s")["item"]
        # Only the session's own files are news after a rewrite: trunk's other.txt is not.
        assert item["sinceReview"] is None  # the verdict still holds: nothing to re-review
    # The same rebase with a different change is a change: not approved any more.
    repo.write(wt, "app.txt", edit(numbered(20), 2, "s's two, amended"))
    git(wt, "commit", "-q", "-a", "--amend", "--no-edit")
    with fresh(repo) as ws:
        review = _review(ws, "s")
        item = build_item(ws, "s")["item"]
    assert review["approved"] is False and review["changedSinceReview"] is True
    since = item["sinceReview"]
    assert since["rewritten"] is True
    assert [f["path"] for f in since["files"]] == ["app.txt"]


def test_request_changes_keeps_the_sessions_own_notes(review_repo: Repo) -> None:
    repo = review_repo
    wt = session(repo, "s", {"s.txt": "s\n"})
    own_before = "# My notes\n\nI was halfway through the parser.\n\n"
    own_after = "\n## Later\nremember the edge case\n"
    agentls(repo.main, "handoff", "s", check=True)  # an existing generated section
    generated = (wt / "HANDOFF.md").read_text()
    (wt / "HANDOFF.md").write_text(own_before + generated + own_after)
    with fresh(repo) as ws:
        result = record_verdict(ws, "s", "changes-requested", "Add a test for the empty input.")
    assert result["handoff"] == str(wt / "HANDOFF.md")
    text = (wt / "HANDOFF.md").read_text()
    assert text.startswith(own_before) and text.endswith(own_after)
    section = text[text.index(BEGIN) : text.index(END)]
    assert "### Review: changes requested" in section
    assert "> Add a test for the empty input." in section
    prompt = section[section.index("```text") :]
    assert prompt.startswith(
        "```text\nRead HANDOFF.md and continue. You are session s on branch s.\n"
        "The reviewer asks: Add a test for the empty input.\n"
    )
    # The worktree stays clean for land, and the note survives a later handoff refresh.
    assert git(wt, "status", "--porcelain", "--untracked-files=no") == ""
    agentls(repo.main, "handoff", "s", check=True)
    assert "The reviewer asks: Add a test" in (wt / "HANDOFF.md").read_text()
    # Once approved, the request is gone from the prompt; the own notes still stay.
    with fresh(repo) as ws:
        record_verdict(ws, "s", "approved")
    agentls(repo.main, "handoff", "s", check=True)
    text = (wt / "HANDOFF.md").read_text()
    assert "The reviewer asks" not in text
    assert text.startswith(own_before) and text.endswith(own_after)


def test_request_changes_with_a_broken_handoff_records_nothing(review_repo: Repo) -> None:
    repo = review_repo
    wt = session(repo, "s", {"s.txt": "s\n"})
    (wt / "HANDOFF.md").write_text(f"notes\n{END}\nbroken: end before begin\n{BEGIN}\n")
    with fresh(repo) as ws, pytest.raises(AgentlsError, match="broken agentls section"):
        record_verdict(ws, "s", "changes-requested", "fix it")
    assert reviews_table(repo) == []


def test_the_land_gate_refuses_unapproved_heads(review_repo: Repo) -> None:
    repo = review_repo
    require_review(repo)
    wt = session(repo, "s", {"s.txt": "s\n"})
    # The branch cannot switch the gate off for itself: land reads trunk's settings.
    repo.write(wt, "pyproject.toml", '[tool.agentls.land]\ntest = "true"\nrequire-review = false\n')
    repo.commit(wt, "s: try to turn the gate off")
    trunk = git(repo.main, "rev-parse", "main")
    with fresh(repo) as ws:
        with pytest.raises(ReviewRequiredError) as refused:
            land(ws, "s")
        assert refused.value.code == "review-required"
        assert refused.value.data["session"] == "s" and refused.value.data["review"] is None
        assert "agentls review s" in str(refused.value)
        with pytest.raises(ReviewRequiredError):
            land(ws, "s", dry_run=True)
        record_verdict(ws, "s", "changes-requested", "not yet")
        with pytest.raises(ReviewRequiredError, match="changes-requested"):
            land(ws, "s")
    assert git(repo.main, "rev-parse", "main") == trunk
    # The CLI says the same, with its exit code for refusals.
    proc = agentls(repo.main, "land", "s")
    assert proc.returncode == 2
    assert "is not approved" in proc.stderr and "agentls review s" in proc.stderr
    # Approved, then moved on: refused again; approved again: it lands.
    with fresh(repo) as ws:
        record_verdict(ws, "s", "approved")
    repo.write(wt, "s.txt", "s, one more thing\n")
    repo.commit(wt, "after approval")
    with fresh(repo) as ws:
        with pytest.raises(ReviewRequiredError, match="changed since it was approved"):
            land(ws, "s")
        record_verdict(ws, "s", "approved")
        result = land(ws, "s")
    assert result["ok"], result
    assert git(repo.main, "rev-parse", "main") == git(repo.main, "rev-parse", "s")


def test_approve_and_queue_then_land_all_lands_approved_sessions_in_order(
    review_repo: Repo,
) -> None:
    repo = review_repo
    require_review(repo)
    session(repo, "a", {"app.txt": edit(numbered(20), 2, "a's two")})
    session(repo, "b", {"b.txt": "b\n"})
    session(repo, "c", {"app.txt": edit(numbered(20), 18, "c's eighteen")})
    with fresh(repo) as ws:
        record_verdict(ws, "a", "approved")
        record_verdict(ws, "c", "approved")
        record_verdict(ws, "b", "skipped")
        result = land_all(ws)
    assert result["ok"], result
    assert result["plan"] == ["a", "c"]
    assert result["waiting"] == [{"session": "b", "reason": "skipped"}]
    log = git(repo.main, "log", "--format=%s", "main").splitlines()
    assert log[:2] == ["c: work", "a: work"]  # cascade order: a first, c rebased onto it
    assert "b: work" not in log
    text = git(repo.main, "show", "main:app.txt")
    assert "a's two" in text and "c's eighteen" in text


def test_land_all_approved_option_without_the_gate(review_repo: Repo) -> None:
    repo = review_repo
    session(repo, "a", {"a.txt": "a\n"})
    session(repo, "b", {"b.txt": "b\n"})
    with fresh(repo) as ws:
        record_verdict(ws, "b", "approved")
    proc = agentls(repo.main, "land", "--all", "--approved")
    assert proc.returncode == 0, proc.stderr
    assert "waiting for review: a (not reviewed)" in proc.stdout
    assert git(repo.main, "rev-parse", "main") == git(repo.main, "rev-parse", "b")
    refused = agentls(repo.main, "land", "a", "--approved")
    assert refused.returncode == 2 and "--approved goes with --all" in refused.stderr


def test_approve_and_land_now_moves_trunk(review_repo: Repo) -> None:
    repo = review_repo
    require_review(repo)
    session(repo, "s", {"s.txt": "s\n"})
    head = git(repo.main, "rev-parse", "s")
    with fresh(repo) as ws:
        result = approve_and_land(ws, "s", head=head)
        assert result["ok"] and result["land"]["ok"], result
        assert build_queue(ws)["items"] == []
    assert git(repo.main, "rev-parse", "main") == head
    # A failing land keeps the approval and says why.
    wt = session(repo, "t", {"t.txt": "t\n"})
    repo.write(wt, "t.txt", "uncommitted\n")
    with fresh(repo) as ws:
        result = approve_and_land(ws, "t")
    assert result["ok"] is False and "uncommitted" in result["land"]["message"]
    assert result["review"]["verdict"] == "approved"


def test_remove_from_the_review_keeps_a_backup_and_forgets_the_verdicts(
    review_repo: Repo,
) -> None:
    repo = review_repo
    session(repo, "s", {"s.txt": "s\n"})
    head = git(repo.main, "rev-parse", "s")
    with fresh(repo) as ws:
        record_verdict(ws, "s", "skipped")
        session_id = ws.session("s").id
        with pytest.raises(AgentlsError, match="not on main"):
            remove_reviewed(ws, "s")  # unlanded work: the usual refusal without force
        result = remove_reviewed(ws, "s", force=True)
        assert ReviewBook(ws.store).latest(session_id) is None
    assert git(repo.main, "rev-parse", result["backup"]) == head
    assert not (repo.root / "s").exists()


def test_an_old_store_gains_the_review_tables(review_repo: Repo) -> None:
    """A store created before reviews existed (sessions and meta only) just works."""
    import sqlite3

    repo = review_repo
    session(repo, "s", {"s.txt": "s\n"})
    with fresh(repo) as ws:
        ws.store.db.executescript("DROP TABLE IF EXISTS reviews; DROP TABLE IF EXISTS tree_checks")
        path = ws.store.path
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "reviews" not in tables
    with fresh(repo) as ws:
        assert build_queue(ws)["items"][0]["review"]["state"] == "unreviewed"
        record_verdict(ws, "s", "approved")
        assert _review(ws, "s")["approved"] is True


def test_a_verdict_is_about_the_current_head_not_a_cached_one(review_repo: Repo) -> None:
    """A Workspace refreshed before the session moved still records the real head."""
    repo = review_repo
    wt = session(repo, "s", {"s.txt": "s\n"})
    with fresh(repo) as ws:
        old = ws.session("s").head
        repo.write(wt, "s.txt", "s, committed while the review was open\n")
        new = repo.commit(wt, "s: more")
        with pytest.raises(AgentlsError, match="moved while it was reviewed"):
            record_verdict(ws, "s", "approved", head=old)
        result = record_verdict(ws, "s", "approved", head=new)
    assert result["head"] == new != old
    assert reviews_table(repo)[0][1] == new


def test_the_review_summary_is_made_again_exactly_when_what_it_reads_changed(
    review_repo: Repo,
) -> None:
    """The engine keeps its summary while review_inputs stay equal (not per edit)."""
    from agentls.review.summary import review_inputs, review_summary

    repo = review_repo
    s = session(repo, "s", {"s.txt": "s\n"})
    session(repo, "t", {"t.txt": "t\n"})
    with fresh(repo) as ws:

        def inputs() -> tuple[object, ...]:
            located = ws.locate(s / "s.txt")
            assert located is not None
            ws.file_changed(*located)
            return review_inputs(ws, ws.report())

        first = inputs()
        assert inputs() == first
        repo.write(s, "s.txt", "s edited, not committed\n")  # more of the same work
        assert inputs() == first
        # A verdict from another process (another connection to the store).
        agentls(repo.main, "review", "t", "--request-changes", "Say why.", check=True)
        after_cli = inputs()
        assert after_cli != first
        # A verdict through this connection (the engine records some itself).
        record_verdict(ws, "s", "approved", head=git(repo.main, "rev-parse", "s"))
        after_own = inputs()
        assert after_own != after_cli
        states = {i["session"]: i["state"] for i in review_summary(ws, ws.report())}
        assert states == {"s": "approved", "t": "changes-requested"}
        repo.commit(s, "s: more")  # HEAD and commits ahead move
        ws.refresh()
        assert review_inputs(ws, ws.report()) != after_own
