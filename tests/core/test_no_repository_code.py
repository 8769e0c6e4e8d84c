"""agentls never runs repository code: no git hook, no fsmonitor, no external diff.

A repository (or whatever wrote its config) can plant programs git runs on its own:
hooks in `.git/hooks` or `core.hooksPath`, a `core.fsmonitor` command, a
`diff.external` or textconv program. `agentls status` is a read-only question; it,
the engine, the agent hooks' check and every lifecycle command must leave all of
them alone. Clean filters stay on: they are how `git add` stores a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agentls.engine.spawn import attach
from tests.conftest import Repo, git, numbered
from tests.lifecycle.helpers import agentls
from tests.server.conftest import server_env, wait_gone

# Every hook git 2.39 knows (githooks(5)), plus the fsmonitor hook's sample name.
HOOKS = [
    "applypatch-msg",
    "pre-applypatch",
    "post-applypatch",
    "pre-commit",
    "pre-merge-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "pre-rebase",
    "post-checkout",
    "post-merge",
    "pre-push",
    "pre-receive",
    "update",
    "proc-receive",
    "post-receive",
    "post-update",
    "reference-transaction",
    "push-to-checkout",
    "pre-auto-gc",
    "post-rewrite",
    "sendemail-validate",
    "fsmonitor-watchman",
    "p4-changelist",
    "p4-prepare-changelist",
    "p4-post-changelist",
    "p4-pre-submit",
    "post-index-change",
]


def _program(path: Path, log: Path, name: str, body: str = "") -> Path:
    path.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n{body}')
    path.chmod(0o755)
    return path


def _plant(repo: Repo, log: Path, where: str) -> None:
    """Hooks, an fsmonitor, an external diff and a textconv that each log when they run."""
    if where == "hooksPath":  # husky and friends point core.hooksPath at a folder
        folder = repo.root / "husky"
        folder.mkdir()
        repo.git(repo.main, "config", "core.hooksPath", str(folder))
    else:
        folder = repo.main / ".git" / "hooks"
    for name in HOOKS:
        _program(folder / name, log, name)
    programs = repo.root / "programs"
    programs.mkdir()
    repo.git(repo.main, "config", "core.fsmonitor", str(_program(programs / "fsm", log, "fsm")))
    repo.git(repo.main, "config", "diff.external", str(_program(programs / "ext", log, "ext")))
    repo.git(repo.main, "config", "diff.conv.textconv", str(_program(programs / "tc", log, "tc")))
    # A clean filter is part of what `git add` stores: it runs, and says so elsewhere.
    clean = _program(programs / "clean", repo.root / "clean.log", "clean", "cat\n")
    repo.git(repo.main, "config", "filter.logged.clean", str(clean))


def _ran(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize("where", [".git/hooks", "hooksPath"])
def test_no_command_runs_any_hook_or_configured_program(repo: Repo, where: str) -> None:
    log = repo.root / "ran.log"
    repo.write(repo.main, "app.txt", numbered(20))
    repo.write(repo.main, "pyproject.toml", '[tool.agentls.land]\ntest = "true"\n')
    repo.write(repo.main, ".gitattributes", "*.txt diff=conv\n*.dat filter=logged\n")
    repo.commit(repo.main, "initial")
    _plant(repo, log, where)
    # The plants are live: plain git runs them.
    git(repo.main, "commit", "-q", "--allow-empty", "-m", "probe")
    git(repo.main, "diff", "HEAD~1", "HEAD", "--", "app.txt")
    assert {"pre-commit", "post-commit", "reference-transaction"} <= {
        line.split()[0] for line in _ran(log)
    }, _ran(log)
    log.unlink()

    # Read-only questions, with uncommitted work to snapshot (git add on a copied index).
    repo.write(repo.main, "notes.txt", "draft\n")
    repo.write(repo.main, "data.dat", "payload\n")
    for args in (("status",), ("status", "--json"), ("overlaps",), ("check", "app.txt")):
        proc = agentls(repo.main, *args)
        assert proc.returncode in (0, 1), (args, proc.stderr)
    assert _ran(log) == [], "a read-only command ran repository code"
    assert _ran(repo.root / "clean.log"), "the clean filter must still apply, as in git add"
    (repo.main / "notes.txt").unlink()
    (repo.main / "data.dat").unlink()

    # The engine: start, analyse, answer, go.
    os.environ["AGENTLS_ENGINE_GRACE"] = "0.2"
    try:
        client = attach(repo.main / ".git")
    finally:
        del os.environ["AGENTLS_ENGINE_GRACE"]
    try:
        client.call("refresh", {}, timeout=60)
        pid = client.call("stats", {})["pid"]
    finally:
        client.close()
    assert wait_gone(pid, 30)
    assert _ran(log) == [], "the engine ran repository code"

    # The lifecycle: new (worktree add), a land that rebases and fast-forwards the
    # trunk checkout, a land refused by a conflict (its context diffs), remove.
    env = {k: v for k, v in server_env().items() if k != "AGENTLS_ENGINE_GRACE"}
    for name in ("clean", "clash"):
        made = agentls(repo.main, "new", name, env=env)
        assert made.returncode == 0, made.stderr
    sessions = json.loads(agentls(repo.main, "status", "--json").stdout)["sessions"]
    paths = {s["name"]: Path(s["path"]) for s in sessions}
    work, clash = paths["clean"], paths["clash"]
    quiet = ("-c", "core.hooksPath=/dev/null")  # the test's own commits plant nothing
    repo.write(work, "feature.txt", "feature\n")
    git(work, *quiet, "add", "-A")
    git(work, *quiet, "commit", "-q", "-m", "feature")
    repo.write(clash, "app.txt", numbered(20).replace("line 3\n", "clash three\n"))
    git(clash, *quiet, "commit", "-q", "-am", "clash")
    repo.write(repo.main, "app.txt", numbered(20).replace("line 3\n", "trunk three\n"))
    git(repo.main, *quiet, "commit", "-q", "-am", "trunk moves")
    log.unlink(missing_ok=True)
    landed = agentls(repo.main, "land", "clean", env=env)
    assert landed.returncode == 0, landed.stdout + landed.stderr
    refused = agentls(repo.main, "land", "clash", env=env)
    assert refused.returncode != 0 and "app.txt" in refused.stdout + refused.stderr
    removed = agentls(repo.main, "remove", "clean", env=env)
    assert removed.returncode == 0, removed.stderr
    assert _ran(log) == [], "a lifecycle command ran repository code"


def test_git_env_keeps_config_the_user_passed(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """`git -c` settings inherited through GIT_CONFIG_PARAMETERS stay; hooks still go."""
    from agentls.git.runner import run_git

    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'agentls.probe'='kept'")
    repo.git(repo.main, "config", "core.hooksPath", "/somewhere")
    assert run_git(["config", "agentls.probe"], repo.main) == "kept"
    assert run_git(["config", "core.hooksPath"], repo.main) == "/dev/null"
    assert run_git(["config", "core.fsmonitor"], repo.main) == "false"
    # Nothing leaks into this process: the user's own git keeps its hooks.
    assert os.environ["GIT_CONFIG_PARAMETERS"] == "'agentls.probe'='kept'"
    assert git(repo.main, "config", "core.hooksPath") == "/somewhere"
