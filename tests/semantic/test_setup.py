"""Settings from trunk, the per-user opt-in, and the scratch checkouts themselves."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from agentls.errors import AgentlsError
from agentls.semantic import config as verify_config
from agentls.semantic import trust
from agentls.semantic.scratch import Scratch, kill_leftovers, remove_all, sweep
from tests.conftest import Repo, git
from tests.semantic.conftest import UNITTEST, common_dir, configure, session, settings


def test_settings_come_from_trunk_with_lands_commands_by_default(shop: Repo) -> None:
    configure(shop, settings(verify="enabled = true\nquiet = 5\njobs = 2"))
    # A branch cannot switch checks off (or change their commands): trunk's file counts.
    branch = session(shop, "s", {"pyproject.toml": settings(verify="enabled = false")})
    assert branch.exists()
    config = verify_config.load(shop.main, git(shop.main, "rev-parse", "main"))
    assert config.enabled and config.quiet == 5 and config.jobs == 2 and config.trunk
    assert config.commands() == [("test", UNITTEST)]
    assert config.source == "pyproject.toml [tool.agentls.verify]"
    shop.write(shop.main, ".agentls.toml", '[verify]\nenabled = true\ntest = "make check"\n')
    shop.commit(shop.main, "own commands")
    own = verify_config.load(shop.main, git(shop.main, "rev-parse", "main"))
    assert own.commands() == [("test", "make check")] and own.source == ".agentls.toml [verify]"


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ("enabled = 'yes'", "verify.enabled must be true or false"),
        ("enabled = true\nquiet = -1", "verify.quiet must be a number"),
        ("enabled = true\njobs = 0", "verify.jobs must be a whole number"),
        ("enabled = true\nbackground = true", "unknown verify setting background"),
        ("enabled = true\ntest = ''", "verify.test must be a command string"),
    ],
)
def test_bad_settings_are_refused_with_what_to_fix(shop: Repo, table: str, words: str) -> None:
    configure(shop, settings(verify=table))
    with pytest.raises(AgentlsError) as refused:
        verify_config.load(shop.main, git(shop.main, "rev-parse", "main"))
    assert words in str(refused.value)
    assert refused.value.code == "invalid-config"


def test_without_a_verify_table_checks_are_off(repo: Repo) -> None:
    repo.write(repo.main, "pyproject.toml", '[tool.agentls.land]\ntest = "true"\n')
    repo.commit(repo.main, "land only")
    config = verify_config.load(repo.main, git(repo.main, "rev-parse", "main"))
    assert not config.enabled and config.commands() == [("test", "true")]


def test_the_opt_in_is_a_private_file_of_the_user_per_repository(
    shop: Repo, tmp_path: Path
) -> None:
    common = common_dir(shop)
    assert not trust.background_allowed(common)
    written = trust.set_background(common, True, "test")
    assert written == tmp_path / "xdg-config" / "agentls" / "verify.json"
    assert stat.S_IMODE(os.stat(written).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(written.parent).st_mode) == 0o700
    assert trust.background_allowed(common)
    assert not trust.background_allowed(tmp_path)  # another repository: not allowed
    trust.set_background(common, False, "test")
    assert not trust.background_allowed(common)
    written.write_text("{not json")  # a damaged file allows nothing
    assert not trust.background_allowed(common)


def test_a_scratch_checkout_moves_from_tree_to_tree_exactly(shop: Repo) -> None:
    common = common_dir(shop)
    first = git(shop.main, "rev-parse", "main^{tree}")
    shop.write(shop.main, "shop/tax.py", "RATE = 0.2\n")
    (shop.main / "tests" / "test_prices.py").unlink()
    shop.commit(shop.main, "tax, and no test")
    second = git(shop.main, "rev-parse", "main^{tree}")
    with Scratch.take(common) as scratch:
        scratch.checkout(first, common)
        folder = scratch.folder
        assert folder.parent == common / "agentls" / "semantic" / "scratch"
        prices = folder / "shop" / "prices.py"
        untouched = prices.stat().st_ino, prices.stat().st_mtime_ns
        # What a previous build left: an edited tracked file, untracked and ignored files.
        (folder / "tests" / "test_prices.py").write_text("edited by a test run\n")
        (folder / "build").mkdir()
        (folder / "build" / "out.o").write_text("artefact\n")
        (folder / "__pycache__").mkdir()
        scratch.done()
        scratch.checkout(second, common)
        assert (folder / "shop" / "tax.py").read_text() == "RATE = 0.2\n"
        assert not (folder / "tests" / "test_prices.py").exists()
        assert not (folder / "build").exists() and not (folder / "__pycache__").exists()
        # An unchanged file is not written again: the move costs what changed.
        assert (prices.stat().st_ino, prices.stat().st_mtime_ns) == untouched
        scratch.checkout(first, common)
        assert (folder / "tests" / "test_prices.py").read_text().startswith("import unittest")
        # Exactly the tree: no file differs from the index, nothing else is there.
        assert git(folder, "diff-files", "--name-only") == ""
        assert git(folder, "ls-files", "--others") == ""
        assert git(folder, "write-tree") == first
    assert git(shop.main, "worktree", "list").count("\n") == 0  # never a git worktree


def test_a_slot_in_use_is_never_taken_twice_nor_swept(shop: Repo) -> None:
    common = common_dir(shop)
    tree = git(shop.main, "rev-parse", "main^{tree}")
    with Scratch.take(common) as first, Scratch.take(common) as second:
        assert first.slot != second.slot
        first.checkout(tree, common)
        assert sweep(common) == []  # held: left alone
        assert (first.folder / "shop").is_dir()
        assert remove_all(common) == []


def test_a_dead_holders_busy_slot_is_swept_with_its_processes(shop: Repo) -> None:
    common = common_dir(shop)
    tree = git(shop.main, "rev-parse", "main^{tree}")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, subprocess, os\n"
            "from pathlib import Path\n"
            "from agentls.semantic.scratch import Scratch\n"
            f"s = Scratch.take(Path({str(common)!r}))\n"
            f"s.checkout({tree!r}, Path({str(common)!r}))\n"
            "env = {**os.environ, 'AGENTLS_SCRATCH': str(s.folder)}\n"
            "child = subprocess.Popen(['sleep', '300'], env=env, start_new_session=True)\n"
            "print(child.pid, flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    orphan = int(holder.stdout.readline())
    holder.kill()  # dies mid-check: its slot says busy, its command runs on
    holder.wait(timeout=20)
    folder = common / "agentls" / "semantic" / "scratch" / "slot-0"
    assert folder.is_dir()
    swept = sweep(common)
    assert swept and str(folder) in swept[0]
    assert not folder.exists()
    assert not Path(f"/proc/{orphan}").exists() or _zombie(orphan)
    assert kill_leftovers(folder) == 0


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True
