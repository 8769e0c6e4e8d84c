"""`agentls review` on the command line: text, JSON, actions, and the interactive sweep
driven for real through a pseudo-terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import GIT_ENV, Repo, git, numbered
from tests.lifecycle.helpers import agentls
from tests.review.conftest import edit, reviews_table, session


def _three(repo: Repo) -> dict[str, Path]:
    return {
        "a": session(repo, "a", {"app.txt": edit(numbered(20), 2, "a's two")}),
        "b": session(repo, "b", {"b.txt": "b\n"}),
        "c": session(repo, "c", {"c.txt": "c\n"}),
    }


def test_the_queue_as_text_and_json(review_repo: Repo) -> None:
    repo = review_repo
    wts = _three(repo)
    repo.write(wts["b"], "b.txt", "b, uncommitted\n")
    proc = agentls(repo.main, "review")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("review queue (oldest first), trunk main at ")
    assert "require-review: off" in lines[0]
    assert [line.split()[1] for line in lines[1:4]] == ["a", "b", "c"]
    assert "landable now" in lines[1] and "not reviewed" in lines[1]
    assert "blocked: 1 file with uncommitted work" in lines[2]
    queue = json.loads(agentls(repo.main, "review", "--json", check=True).stdout)
    assert [i["session"] for i in queue["items"]] == ["a", "b", "c"]
    newest = json.loads(agentls(repo.main, "review", "--json", "--newest-first").stdout)
    assert [i["session"] for i in newest["items"]] == ["c", "b", "a"]


def test_one_item_as_text_and_json(review_repo: Repo) -> None:
    repo = review_repo
    _three(repo)
    text = agentls(repo.main, "review", "a", check=True).stdout
    assert text.startswith("[1] a (branch a, priority")
    assert "a: work" in text and "M  app.txt  +1 −1" in text
    item = json.loads(agentls(repo.main, "review", "a", "--json", check=True).stdout)["item"]
    assert item["files"] == [
        {"path": "app.txt", "status": "M", "oldPath": None, "insertions": 1, "deletions": 1,
         "binary": False, "uncommitted": False}
    ]  # fmt: skip
    missing = agentls(repo.main, "review", "nope")
    assert missing.returncode == 2 and "no session named 'nope'" in missing.stderr


def test_verdicts_from_the_command_line(review_repo: Repo) -> None:
    repo = review_repo
    wts = _three(repo)
    head_a = git(repo.main, "rev-parse", "a")
    proc = agentls(repo.main, "review", "a", "--approve", "--head", head_a)
    assert proc.returncode == 0 and proc.stdout.strip() == f"approved a at {head_a[:12]}"
    proc = agentls(repo.main, "review", "b", "--request-changes", "Name the constant.", "--json")
    result = json.loads(proc.stdout)
    assert result["verdict"] == "changes-requested" and result["handoff"].endswith("HANDOFF.md")
    assert "The reviewer asks: Name the constant." in (wts["b"] / "HANDOFF.md").read_text()
    assert agentls(repo.main, "review", "c", "--skip").stdout.startswith("skipped c at ")
    assert [r[2] for r in reviews_table(repo)] == ["approved", "changes-requested", "skipped"]
    queue = json.loads(agentls(repo.main, "review", "--json").stdout)
    assert [i["review"]["state"] for i in queue["items"]] == [
        "approved", "changes-requested", "skipped"
    ]  # fmt: skip


def test_bad_command_lines_are_refused_and_change_nothing(review_repo: Repo) -> None:
    repo = review_repo
    _three(repo)
    stale = git(repo.main, "rev-parse", "main")
    cases = [
        (["review", "--approve"], "which session? give its NAME"),
        (["review", "a", "--land", "--skip"], "--land approves and lands"),
        (["review", "a", "--approve", "--skip"], "give one action"),
        (["review", "a", "--request-changes", " "], "needs notes"),
        (["review", "a", "--force"], "--force goes with --remove only"),
        (["review", "a", "--approve", "--head", stale], "moved while it was reviewed"),
        (["review", "a", "--approve", "--head", "HEAD"], "invalid head"),
        (["review", "main", "--approve"], "trunk"),
    ]
    for args, message in cases:
        proc = agentls(repo.main, *args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert message in proc.stderr, (args, proc.stderr)
    assert reviews_table(repo) == []


def test_land_remove_and_checks_from_the_command_line(review_repo: Repo) -> None:
    repo = review_repo
    wts = _three(repo)
    proc = agentls(repo.main, "review", "a", "--land")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "landed a: main is now" in proc.stdout
    assert git(repo.main, "rev-parse", "main") == git(repo.main, "rev-parse", "a")
    proc = agentls(repo.main, "review", "b", "--run-checks")
    assert proc.returncode == 0 and "passed (run from a review" in proc.stdout
    refused = agentls(repo.main, "review", "c", "--remove")
    assert refused.returncode == 2 and "commit not on main" in refused.stderr
    head_c = git(repo.main, "rev-parse", "c")
    proc = agentls(repo.main, "review", "c", "--remove", "--force", "--json")
    backup = json.loads(proc.stdout)["backup"]
    assert git(repo.main, "rev-parse", backup) == head_c and not wts["c"].exists()


# --- the interactive sweep, through a pseudo-terminal ------------------------------------------


class Terminal:
    """`agentls ARGS` on a pseudo-terminal: send keys, wait for what it prints."""

    def __init__(self, cwd: Path, args: list[str], env: dict[str, str | None]) -> None:
        """ENV's values are set; a None value unsets that variable."""
        master, slave = pty.openpty()
        full = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "TERM": "dumb"}
        for key, value in env.items():
            full.pop(key, None)
            if value is not None:
                full[key] = value
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agentls", *args],
            cwd=cwd,
            env=full,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.output = b""
        self.seen = 0

    def expect(self, text: str, timeout: float = 60) -> str:
        """Wait until TEXT appears after what was already matched; the output up to it."""
        wanted = text.encode()
        deadline = time.monotonic() + timeout
        while self.output.find(wanted, self.seen) == -1:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self.master], [], [], max(0.0, remaining))
            if not ready:
                raise AssertionError(f"no {text!r} within {timeout} s; got:\n{self.tail()}")
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the program exited
                data = b""
            if not data:
                raise AssertionError(f"the program ended before {text!r}; got:\n{self.tail()}")
            self.output += data
        end = self.output.find(wanted, self.seen) + len(wanted)
        before = self.output[self.seen : end].decode(errors="replace")
        self.seen = end
        return before

    def tail(self) -> str:
        return self.output[-3000:].decode(errors="replace")

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout=timeout)
        while True:  # drain what is left
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if not ready:
                break
            try:
                data = os.read(self.master, 65536)
            except OSError:
                break
            if not data:
                break
            self.output += data
        os.close(self.master)
        return code


PROMPT = "[q]uit  [?]"


def _pager(tmp_path: Path) -> tuple[dict[str, str | None], Path]:
    """A pager that keeps what it is given, in a file whose name has a space (no shell)."""
    script = tmp_path / "pager.py"
    script.write_text(
        "import sys\n"
        "data = sys.stdin.buffer.read()\n"
        "open(sys.argv[1], 'ab').write(data)\n"
        "print(f'(paged {len(data)} bytes)')\n"
    )
    capture = tmp_path / "paged output.txt"
    pager = f"{sys.executable} {script} '{capture}'"
    return {"GIT_PAGER": pager, "PAGER": "false"}, capture  # $GIT_PAGER wins, as in git


def test_the_interactive_sweep_pages_approves_requests_changes_and_lands(
    review_repo: Repo, tmp_path: Path
) -> None:
    repo = review_repo
    wts = _three(repo)
    env, capture = _pager(tmp_path)
    env.update({"GIT_PAGER": None, "PAGER": env["GIT_PAGER"]})  # no $GIT_PAGER: $PAGER
    env.update({"EDITOR": None, "VISUAL": None})
    term = Terminal(repo.main, ["review"], env)
    term.expect("review queue (oldest first)")
    first = term.expect(PROMPT)
    assert "[1/3] a (branch a" in first and "M  app.txt  +1 −1" in first
    term.send("d")
    term.expect("(paged ")
    paged = capture.read_text()
    assert "+a's two" in paged and "-line 2" in paged and "app.txt" in paged
    term.expect(PROMPT)
    term.send("a")
    term.expect(f"approved a at {git(repo.main, 'rev-parse', 'a')[:12]}")
    assert "[2/3] b (branch b" in term.expect(PROMPT)
    term.send("c")
    term.expect("What should b change? (one line; empty cancels): ")
    term.send("Please add a test for b.\n")
    term.expect("requested changes from b at ")
    assert "[3/3] c (branch c" in term.expect(PROMPT)
    term.send("l")
    term.expect("landed c: main is now")
    summary = term.expect("\n", timeout=60) + term.expect("reviewed: ")
    assert summary
    assert term.finish() == 0
    assert "a approved; b changes requested; c approved and landed" in term.tail()
    # What git says afterwards.
    assert git(repo.main, "rev-parse", "main") == git(repo.main, "rev-parse", "c")
    assert "The reviewer asks: Please add a test for b." in (wts["b"] / "HANDOFF.md").read_text()
    assert [r[2] for r in reviews_table(repo)] == ["approved", "changes-requested", "approved"]


def test_the_sweep_takes_notes_from_the_editor_and_removes_with_consent(
    review_repo: Repo, tmp_path: Path
) -> None:
    repo = review_repo
    wts = _three(repo)
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys\n"
        "text = open(sys.argv[1]).read()\n"
        "open(sys.argv[1], 'w').write('Split the function.\\nKeep the API.\\n' + text)\n"
    )
    env, _ = _pager(tmp_path)
    env.update({"VISUAL": "", "EDITOR": f"{sys.executable} {editor}"})
    term = Terminal(repo.main, ["review"], env)
    term.expect(PROMPT)
    term.send("?")
    assert "request changes: your notes go into" in term.expect(PROMPT)
    term.send("c")
    term.expect("requested changes from a at ")
    term.expect(PROMPT)
    term.send("x")
    term.expect("[y/N] ")
    term.send("n")
    term.expect("not removed")
    term.expect(PROMPT)
    term.send("x")
    term.expect("[y/N] ")
    term.send("y")
    term.expect("removed session b; backup at refs/agentls/backup/b/")
    term.expect(PROMPT)
    term.send("q")
    assert term.finish() == 0
    assert "a changes requested; b removed" in term.tail()
    handoff = (wts["a"] / "HANDOFF.md").read_text()
    assert "The reviewer asks: Split the function.\nKeep the API." in handoff
    assert "What should session" not in handoff  # the template's comment lines are dropped
    assert not wts["b"].exists() and wts["c"].exists()
    assert [r[2] for r in reviews_table(repo)] == ["changes-requested"]


def test_the_sweep_shows_what_changed_since_the_last_review(
    review_repo: Repo, tmp_path: Path
) -> None:
    repo = review_repo
    wt = session(repo, "s", {"s.txt": "first\n"})
    agentls(repo.main, "review", "s", "--approve", check=True)
    repo.write(wt, "s.txt", "first\nsecond, after the review\n")
    repo.commit(wt, "after review")
    env, capture = _pager(tmp_path)
    term = Terminal(repo.main, ["review"], env)
    shown = term.expect(PROMPT)
    assert "CHANGED SINCE REVIEW" in shown and "since review: 1 new commit," in shown
    term.send("v")
    term.expect("(paged ")
    assert capture.read_text().count("+second, after the review") == 1
    assert "+first" not in capture.read_text()  # only the news since the reviewed head
    term.expect(PROMPT)
    term.send("n")
    assert term.finish() == 0
    assert "s passed over" in term.tail()


def test_without_a_terminal_review_prints_the_queue(review_repo: Repo) -> None:
    repo = review_repo
    _three(repo)
    proc = subprocess.run(
        [sys.executable, "-m", "agentls", "review"], cwd=repo.main, input="a\nq\n",
        capture_output=True, text=True, timeout=60, env={**os.environ, **GIT_ENV},
    )  # fmt: skip
    assert proc.returncode == 0 and proc.stdout.startswith("review queue")
    assert reviews_table(repo) == []  # keys on a pipe are not taken as verdicts
