"""`agentls verify` and the `semantic` kind in `status` / `overlaps` (no engine running)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agentls.semantic import trust
from tests.conftest import Repo
from tests.semantic.conftest import common_dir, configure, session, settings
from tests.semantic.test_background import semantic_pair


def agentls(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentls", "-C", str(cwd), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_verify_json_exit_code_and_the_report(shop: Repo) -> None:
    semantic_pair(shop)
    done = agentls(shop.main, "verify", "--json", "--exit-code")
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] is True and result["found"] == 1 and result["checked"] == 1
    pair = result["pairs"][0]
    assert pair["status"] == "semantic" and sorted(pair["sessions"]) == ["cart", "rename"]
    assert pair["failed"]["command"].endswith("-s tests -t .")
    assert done.stderr == ""  # --json keeps progress quiet
    # The report carries it, with everything the editors need.
    overlaps = json.loads(agentls(shop.main, "overlaps", "--json").stdout)["overlaps"]
    semantic = [c for c in overlaps if c["kind"] == "semantic"]
    assert len(semantic) == 1 and semantic[0]["semantic"]["exitCode"] == 1
    assert semantic[0]["via"] is None
    status = agentls(shop.main, "status")
    assert "semantic" in status.stdout and "test_checkout" in status.stdout
    assert "each pass alone but break" in status.stdout
    # Again: answered from the cache, same verdict.
    again = json.loads(agentls(shop.main, "verify", "--json", "--pair", "cart", "rename").stdout)
    assert again["pairs"][0]["cached"] is True and again["found"] == 1


def test_verify_text_and_refusals(shop: Repo) -> None:
    semantic_pair(shop)
    text = agentls(shop.main, "verify")
    assert text.returncode == 0  # no --exit-code
    assert text.stdout.startswith("semantic conflict")
    assert "full log: " in text.stdout and "[1/1]" in text.stderr
    unknown = agentls(shop.main, "verify", "--pair", "cart", "nobody")
    assert unknown.returncode == 2 and "nobody" in unknown.stderr
    same = agentls(shop.main, "verify", "--pair", "cart", "cart")
    assert same.returncode == 2 and "two different sessions" in same.stderr
    configure(shop, settings(verify="enabled = false"))
    off = agentls(shop.main, "verify")
    assert off.returncode == 2 and "not enabled" in off.stderr and "enabled = true" in off.stderr


def test_a_pair_with_trunk_by_its_branch_name(shop: Repo) -> None:
    session(shop, "docs", {"README.md": "shop\n"})
    shop.write(shop.main, "NEWS", "trunk moved\n")
    shop.commit(shop.main, "news")
    result = json.loads(agentls(shop.main, "verify", "--json", "--pair", "docs", "main").stdout)
    pair = result["pairs"][0]
    assert pair["viaTrunk"] is True and pair["trunk"] == "main" and pair["status"] == "pass"


def test_allow_status_and_clean(shop: Repo) -> None:
    semantic_pair(shop)
    common = common_dir(shop)
    assert agentls(shop.main, "verify", "--allow-background").returncode == 0
    assert trust.background_allowed(common)
    status = json.loads(agentls(shop.main, "verify", "--status", "--json").stdout)
    assert status == {"engine": False, "background": "allowed"}
    assert agentls(shop.main, "verify", "--forbid-background").returncode == 0
    assert not trust.background_allowed(common)
    agentls(shop.main, "verify")
    scratch = common / "agentls" / "semantic" / "scratch" / "slot-0"
    assert scratch.is_dir()
    cleaned = agentls(shop.main, "verify", "--clean")
    assert cleaned.returncode == 0 and "removed 1" in cleaned.stdout and not scratch.exists()
