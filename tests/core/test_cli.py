"""The command line, run as a real subprocess."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo, git, numbered

AGENTLS = [sys.executable, "-m", "agentls"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AGENTLS, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.fixture
def conflicted(repo: Repo) -> Repo:
    repo.write(repo.main, "app.py", numbered(10))
    repo.commit(repo.main, "base")
    a = repo.worktree("wa", "feat/a")
    b = repo.worktree("wb", "feat/b")
    repo.write(a, "app.py", numbered(10).replace("line 4\n", "A\n"))
    repo.commit(a, "a")
    repo.write(b, "app.py", numbered(10).replace("line 4\n", "B\n"))
    return repo


def test_overlaps_json_shape(conflicted: Repo) -> None:
    proc = run("overlaps", "--json", cwd=conflicted.root / "wb")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    head = git(conflicted.main, "rev-parse", "main")
    assert data["trunk"] == {"branch": "main", "commit": head}
    sessions = {s["name"]: s for s in data["sessions"]}
    assert set(sessions) == {"main", "feat-a", "feat-b"}
    b = sessions["feat-b"]
    assert b["path"] == str((conflicted.root / "wb").resolve())
    assert b["branch"] == "feat/b" and b["role"] == "code" and b["dirty"] is True
    assert b["head"] == head and b["base"] == head
    assert b["changed"] == ["app.py"] and b["claims"] == []
    assert data["overlaps"] == [
        {
            "kind": "conflict",
            "path": "app.py",
            "sessions": ["feat-a", "feat-b"],
            "ranges": {"feat-a": [[4, 4]], "feat-b": [[4, 4]]},
            "detail": ["contents"],
            "via": None,
            "paths": {},
            "merged_path": None,
        }
    ]


def test_exit_code_flag(conflicted: Repo) -> None:
    assert run("overlaps", "--json", "--exit-code", cwd=conflicted.main).returncode == 1
    git(conflicted.root / "wb", "checkout", "--", "app.py")
    assert run("overlaps", "--exit-code", cwd=conflicted.main).returncode == 0


def test_status_is_readable(conflicted: Repo) -> None:
    proc = run("status", cwd=conflicted.main)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "feat-a ↔ feat-b" in out and "conflict" in out and "app.py" in out
    assert "L4" in out and "3 sessions" in out
    assert re.search(r"^Collisions \(1 conflict(, \d+ overlaps?)?\)$", out, re.M), out
    assert re.search(r"^  - 1 predicted conflict: land", out, re.M), out
    data = json.loads(run("status", "--json", cwd=conflicted.main).stdout)
    assert any("sweet spot" in line for line in data["advice"])


def test_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    proc = run("overlaps", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "not inside a git repository" in proc.stderr
    # With --json the same refusal is also a document on stdout; the exit code is the same.
    as_json = run("overlaps", "--json", cwd=tmp_path)
    assert as_json.returncode == 2 and as_json.stderr == proc.stderr
    error = json.loads(as_json.stdout)
    assert error["ok"] is False
    assert error["error"]["code"] == "not-a-repository"
    assert error["error"]["data"] == {"folder": str(tmp_path.resolve())}
    assert error["error"]["message"].startswith("not inside a git repository")
    assert error["error"]["hint"]


def test_no_trunk_is_a_usage_error(repo: Repo) -> None:
    repo.write(repo.main, "a", "a\n")
    repo.commit(repo.main)
    git(repo.main, "branch", "-m", "main", "work")
    proc = run("status", cwd=repo.main)
    assert proc.returncode == 2 and "git config agentls.trunk" in proc.stderr


def test_unknown_flag_is_a_usage_error(conflicted: Repo) -> None:
    assert run("overlaps", "--nope", cwd=conflicted.main).returncode == 2


def test_demo_lands_one_session_refuses_one_and_shows_every_kind(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    proc = run("demo", "--dir", str(target))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    # One land that succeeds, one refused for a reason the user can act on.
    assert "$ agentls land docs --remove\n  landed docs: main is now" in out
    assert "$ agentls land billing\n  refused: session billing has uncommitted changes" in out
    assert "commit or stash them" in out
    # The counts agree: six sessions built, docs landed and removed, five shown.
    assert "with 6 sessions" in out and "(5 sessions)" in out and "four" not in out
    assert "Collisions (2 conflicts, 1 overlap, 2 ownership collisions, 1 research write)" in out
    assert "  - research session research wrote files: forks answer questions" in out
    shop = target / "shop"
    assert git(shop, "log", "-1", "--format=%s", "main") == "docs: say what the shop is built with"
    tests = subprocess.run(
        ["python3", "-m", "unittest", "discover", "-s", "tests", "-q"],
        cwd=shop, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stderr  # trunk's own test passes
    data = json.loads(run("overlaps", "--json", cwd=shop).stdout)
    names = {s["name"]: s for s in data["sessions"]}
    assert set(names) == {"main", "auth", "billing", "hotfix", "research"}
    assert names["research"]["role"] == "research"
    # The fork's BRIEF.md is its notes: only its stray edit is work git sees.
    research = git(target / "shop-research", "status", "--porcelain")
    assert research == "M auth/tokens.py", research  # (git() strips the leading blank)
    kinds = {c["kind"] for c in data["overlaps"]}
    assert kinds == {"conflict", "overlap", "ownership", "research-write"}
    # Running it again rebuilds the same demo; a foreign folder is refused.
    assert run("demo", "--dir", str(target)).returncode == 0
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine\n")
    refused = run("demo", "--dir", str(foreign))
    assert refused.returncode == 2 and (foreign / "keep.txt").read_text() == "mine\n"


def test_git_too_old_is_refused(conflicted: Repo, tmp_path: Path) -> None:
    fake_bin = tmp_path / "fake-bin"
    fake_bin.mkdir()
    fake_git = fake_bin / "git"
    fake_git.write_text('#!/bin/sh\necho "git version 2.30.1"\n')
    fake_git.chmod(0o755)
    proc = subprocess.run(
        [*AGENTLS, "status"],
        cwd=conflicted.main,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}"},
    )
    assert proc.returncode == 2 and "git 2.30.1 is too old" in proc.stderr


def test_report_json_round_trips(conflicted: Repo) -> None:
    from agentls.report import Report
    from agentls.workspace import Workspace

    with Workspace(conflicted.main) as ws:
        report = ws.refresh()
    data = report.to_json()
    assert Report.from_json(data).to_json() == data
    # SessionInfo.to_json is written out field by field (asdict was slow): none forgotten
    # (the underscored fields are its cached JSON, not data).
    fields = [
        {k: v for k, v in dataclasses.asdict(s).items() if not k.startswith("_")}
        for s in report.sessions
    ]
    assert data["sessions"] == fields
    assert report.to_json(shared=True) == data
    assert json.loads(report.sorted_text(data)) == data


# --- the CLI's voice ----------------------------------------------------------------------


def test_every_subcommand_help_has_a_description_and_positional_help() -> None:
    import argparse

    from agentls.cli import build_parser

    def pages(parser: argparse.ArgumentParser, path: str) -> list[tuple[str, Any]]:
        found = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found.append((f"{path} {name}".strip(), sub))
                    found += pages(sub, f"{path} {name}")
        return found

    checked = pages(build_parser(), "")
    assert len(checked) >= 18
    for name, page in checked:
        assert page.description, f"`agentls {name} --help` has no description"
        for action in page._actions:
            if not action.option_strings and not isinstance(action, argparse._SubParsersAction):
                assert action.help, f"`agentls {name}`: positional {action.dest} has no help"
    shown = run("land", "--help")
    assert shown.returncode == 0 and "fast-forward trunk" in shown.stdout
    flat = " ".join(shown.stdout.split())  # argparse wraps lines
    assert "default: the session whose worktree holds this folder" in flat


def test_the_verb_table_is_what_each_area_registers() -> None:
    """agentls.cli.AREAS decides which area's parser a command line builds: a verb
    missing from it, or listed under the wrong area, would be an invalid choice."""
    import argparse
    import importlib

    from agentls.cli import AREAS, build_parser

    registered: dict[str, tuple[str, ...]] = {}
    for module_name in AREAS:
        subparsers = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module_name).register(subparsers)
        registered[module_name] = tuple(subparsers.choices)
    assert registered == AREAS
    every = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert sorted(every[0].choices) == sorted(v for verbs in AREAS.values() for v in verbs)


@pytest.mark.parametrize(
    ("words", "areas"),
    [
        (["overlaps", "--json"], ["agentls.cli.report"]),
        (["-C", "land", "-v", "land", "s1"], ["agentls.cli.lifecycle"]),
        (["--verbose", "publish"], ["agentls.remote.cli"]),
        (["hooks", "install", "claude"], ["agentls.cli.agents"]),
        (["--help"], None),
        (["-Cdir", "status"], None),  # an attached -C value: not worth guessing
        (["ghost"], None),
        (["-C"], None),
        ([], None),
    ],
)
def test_a_known_verb_builds_its_own_area_only(words: list[str], areas: list[str] | None) -> None:
    from agentls.cli import AREAS, areas_for

    assert areas_for(words) == (areas if areas is not None else list(AREAS))


def test_an_unknown_verb_is_refused_with_every_verb_listed() -> None:
    proc = run("ghost")
    assert proc.returncode == 2
    assert "invalid choice: 'ghost'" in proc.stderr
    assert all(verb in proc.stderr for verb in ("status", "land", "review", "publish", "verify"))
    shown = run("overlaps", "--help")  # one area's parser still answers its own help
    assert shown.returncode == 0 and "--exit-code" in shown.stdout


def test_report_json_is_outlined_with_an_item_per_line() -> None:
    import io

    from agentls.cli import write_json

    data = {
        "trunk": {"branch": "main", "commit": "abc"},
        "sessions": [{"name": "a", "changed": ["x.py"]}, {"name": "b\u00e9", "changed": []}],
        "overlaps": [],
        "warnings": ["one\nline"],
    }
    out = io.StringIO()
    write_json(data, out)
    text = out.getvalue()
    assert json.loads(text) == data
    assert list(json.loads(text)) == list(data)  # the document's own order
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}" and text.endswith("}\n")
    assert '    {"name": "a", "changed": ["x.py"]},' in lines  # one item, one line
    assert '  "overlaps": [],' in lines and '  "warnings": [' in lines
    empty = io.StringIO()
    write_json({}, empty)
    assert empty.getvalue() == "{}\n"


def test_the_terminal_shows_a_few_ranges_a_side_and_json_all() -> None:
    """Release branches differ in thousands of places in one file: the table shows six
    ranges a side and how many more, so one collision does not widen every row."""
    import io

    from agentls.render import collision_line, render_status
    from agentls.report import Collision, Report
    from agentls.vocabulary import SHOWN_RANGES

    many = [(n * 10, n * 10 + 2) for n in range(1, 41)]
    wide = Collision("conflict", "big.py", ["a", "b"], {"a": many, "b": [(5, 5)]}, ["contents"])
    narrow = Collision("overlap", "small.py", ["a", "b"], {"a": [(1, 1)], "b": [(2, 3)]})
    line = collision_line(wide)
    assert f"a L10–12, L20–22, L30–32, L40–42, L50–52, L60–62 and {40 - SHOWN_RANGES} more" in line
    assert "b L5" in line and "L70" not in line
    out = io.StringIO()
    render_status(Report("main", "0" * 40, [], [wide, narrow]), out)
    rows = [row for row in out.getvalue().splitlines() if "small.py" in row or "big.py" in row]
    assert len(rows) == 2 and all(len(row) < 160 for row in rows)
    assert wide.to_json()["ranges"]["a"] == [list(r) for r in many]  # --json keeps them all


def test_a_verb_group_alone_shows_its_own_help() -> None:
    proc = run("hooks")
    assert proc.returncode == 2
    assert "install" in proc.stderr and "status" not in proc.stderr


def test_json_failures_are_json_with_a_stable_code(conflicted: Repo) -> None:
    refused = run("land", "ghost", "--json", cwd=conflicted.main)
    assert refused.returncode == 2
    error = json.loads(refused.stdout)
    assert error == {
        "ok": False,
        "error": {
            "code": "session-not-found",
            "message": "no session named 'ghost'",
            "hint": "known sessions: main, feat-a, feat-b (see `agentls status`)",
            "data": {"name": "ghost", "known": ["main", "feat-a", "feat-b"]},
        },
    }
    assert refused.stderr.startswith("agentls: no session named 'ghost'")
    usage = run("land", "--wait", "soon", "--json", cwd=conflicted.main)
    assert usage.returncode == 2 and json.loads(usage.stdout)["error"]["code"] == "usage"
    claim = run("claim", "feat-a", "/etc/passwd", "--json", cwd=conflicted.main)
    data = json.loads(claim.stdout)["error"]
    assert data["code"] == "invalid-glob" and data["data"]["reason"] == "absolute"


def test_status_counts_sessions_in_words(repo: Repo) -> None:
    repo.write(repo.main, "a", "a\n")
    repo.commit(repo.main)
    one = run("status", cwd=repo.main)
    assert "(1 session)" in one.stdout and "1 code session: the baseline" in one.stdout
    bare = repo.root / "bare.git"
    git(repo.root, "clone", "-q", "--bare", str(repo.main), str(bare))
    none = run("status", cwd=bare)
    assert none.returncode == 0, none.stderr
    assert "(0 sessions)" in none.stdout and "no code sessions yet" in none.stdout
    assert "1 code session" not in none.stdout


def test_arrows_agree_between_status_and_overlaps(repo: Repo) -> None:
    repo.write(repo.main, "auth/login.py", numbered(5))
    repo.commit(repo.main, "base")
    owner = repo.worktree("wauth", "feat/auth")
    writer = repo.worktree("wfix", "fix")
    run("claim", "feat-auth", "auth/**", cwd=repo.main)
    repo.write(owner, "auth/login.py", numbered(5).replace("line 1\n", "owner\n"))
    repo.write(writer, "auth/login.py", numbered(5).replace("line 5\n", "writer\n"))
    status = run("status", cwd=repo.main).stdout
    overlaps = run("overlaps", cwd=repo.main).stdout
    assert "fix → feat-auth" in status and "fix → feat-auth: ownership" in overlaps
    assert "feat-auth ↔ fix" in status and "feat-auth ↔ fix: overlap" in overlaps
    assert "fix ↔ feat-auth" not in status + overlaps


def test_wording_of_lifecycle_results(repo: Repo) -> None:
    repo.write(repo.main, "pyproject.toml", '[tool.agentls.land]\nbuild = "true"\ntest = "true"\n')
    repo.commit(repo.main, "configure")
    assert run("new", "hotfix", cwd=repo.main).returncode == 0
    same = run("rename", "hotfix", "hotfix", cwd=repo.main)
    assert same.stdout.strip() == "session hotfix already has that name; nothing changed"
    run("claim", "hotfix", "a/**", "b/**", cwd=repo.main)
    released = run("release", "hotfix", "a/**", cwd=repo.main)
    assert released.stdout.strip() == "hotfix released a/**; it claims b/** now"
    released = run("release", "hotfix", cwd=repo.main)
    assert released.stdout.strip() == "hotfix released b/**; it claims nothing now"
    wt = repo.root / "repo-hotfix"
    repo.write(wt, "fix.txt", "fix\n")
    repo.commit(wt, "fix")
    landed = run("land", "hotfix", cwd=repo.main)
    assert landed.returncode == 0, landed.stderr
    assert "build: `true` passed" in landed.stdout and "build: build" not in landed.stdout
    assert "lock: waiting" not in landed.stdout
    head = git(wt, "rev-parse", "HEAD")
    backup = git(repo.main, "for-each-ref", "--format=%(refname)", "refs/agentls/backup/hotfix/")
    git(repo.main, "update-ref", backup.splitlines()[-1], head)  # a backup of where it is now
    restored = run("restore", "hotfix", cwd=repo.main)
    assert restored.returncode == 0, restored.stderr
    assert "nothing changed" in restored.stdout and "is back" not in restored.stdout


def test_add_add_is_named_as_git_words_it(repo: Repo) -> None:
    repo.write(repo.main, "a.txt", "a\n")
    repo.commit(repo.main, "base")
    x, y = repo.worktree("wx", "x"), repo.worktree("wy", "y")
    repo.write(x, "new.txt", "one\n")
    repo.write(y, "new.txt", "two\n")
    shown = run("overlaps", cwd=repo.main).stdout
    assert "x ↔ y: conflict  new.txt  x L1 · y L1  (add/add)" in shown, shown
    data = json.loads(run("overlaps", "--json", cwd=repo.main).stdout)
    assert [c["detail"] for c in data["overlaps"]] == [["add/add"]]


def test_report_verbs_end_without_the_interpreters_teardown(conflicted: Repo) -> None:
    """`status` and `overlaps` exit at once (agentls.cli._exit_now): no atexit handler
    runs, yet the whole answer is written and the exit code is theirs."""
    script = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('teardown ran', file=sys.stderr))\n"
        "from agentls.cli import main\n"
        "raise SystemExit(main())\n"
    )
    for verb, code in ((["overlaps", "--json", "--exit-code"], 1), (["status", "--json"], 0)):
        proc = subprocess.run(
            [sys.executable, "-c", script, *verb],
            cwd=conflicted.main,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == code, proc.stderr
        assert "teardown ran" not in proc.stderr
        assert json.loads(proc.stdout)["overlaps"][0]["path"] == "app.py"
    # A verb that changes things ends the usual way.
    proc = subprocess.run(
        [sys.executable, "-c", script, "new", "--json", "fresh"],
        cwd=conflicted.main,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "teardown ran" in proc.stderr


def test_status_loads_no_lifecycle_verb(conflicted: Repo) -> None:
    """The report needs only interrupted lands (`pending`) from the lifecycle package:
    every verb's module would cost a cold `agentls status` ~30 ms."""
    script = (
        "import contextlib, io, sys\n"
        "from agentls.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['status', '--json'])\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('agentls.lifecycle'))))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=conflicted.main, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    loaded = set(proc.stdout.split())
    assert "agentls.lifecycle.recovery" in loaded
    assert not loaded & {
        "agentls.lifecycle.landing",
        "agentls.lifecycle.create",
        "agentls.lifecycle.queue",
        "agentls.lifecycle.handoff",
    }
