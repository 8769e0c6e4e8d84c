"""The semantic-conflict rule on real repositories, real merges and real test runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentls.errors import AgentlsError
from agentls.semantic.verify import verify
from tests.conftest import Repo, git
from tests.semantic.conftest import (
    PRICES,
    PYTEST,
    PYTHON,
    TEST_PRICES,
    UNITTEST,
    configure,
    counting,
    fresh,
    runs,
    session,
    settings,
)

CART = """\
from shop import prices


def checkout(items):
    return prices.total(items) + 5
"""

TEST_CART = """\
from shop import cart


def test_checkout():
    assert cart.checkout([1, 2]) == 8
"""


def renamed(text: str) -> str:
    return text.replace("def total(", "def sum_prices(")


def only(result: dict, status: str | None = None) -> dict:
    assert result["checked"] == 1, result
    pair = result["pairs"][0]
    if status is not None:
        assert pair["status"] == status, pair
    return pair


def test_rename_against_a_new_call_in_another_file(shop: Repo) -> None:
    """auth renames total() and fixes its callers; billing adds a caller of total()."""
    configure(shop, settings(test=PYTEST))
    session(
        shop,
        "rename",
        {
            "shop/prices.py": renamed(PRICES),
            "tests/test_prices.py": TEST_PRICES.replace("prices.total(", "prices.sum_prices("),
        },
    )
    session(shop, "cart", {"shop/cart.py": CART, "tests/test_cart.py": TEST_CART})
    with fresh(shop) as ws:
        result = verify(ws, pair=["rename", "cart"])
    pair = only(result, "semantic")
    assert result["found"] == 1
    assert sorted(pair["sessions"]) == ["cart", "rename"] and pair["viaTrunk"] is False
    failed = pair["failed"]
    assert failed["kind"] == "test" and failed["exitCode"] == 1
    assert failed["newFailures"] == ["tests/test_cart.py::test_checkout"]
    located = [f for f in failed["failures"] if f["path"] == "tests/test_cart.py"]
    assert located and located[0]["line"] == 5
    assert any("sum_prices" in line or "total" in line for line in failed["tail"])
    assert Path(failed["log"]).read_text().count("test_checkout") >= 1
    assert pair["sides"]["a"]["ok"] and pair["sides"]["b"]["ok"]
    # git's own merge of the two is clean: this is exactly what git cannot see.
    merged = git(shop.main, "merge-tree", "--write-tree", "rename", "cart")
    assert merged.splitlines()[0] == pair["merged"]


def test_a_changed_default_against_a_test_relying_on_it(shop: Repo) -> None:
    session(
        shop,
        "rates",
        {"shop/prices.py": PRICES.replace("rate=0.1", "rate=0.2")},
    )
    test_discount = (
        "import unittest\n\nfrom shop import prices\n\n\n"
        "class DiscountTest(unittest.TestCase):\n"
        "    def test_default_discount(self):\n"
        "        self.assertEqual(prices.discount(100), 90)\n"
    )
    session(shop, "promo", {"tests/test_discount.py": test_discount})
    with fresh(shop) as ws:
        pair = only(verify(ws, pair=["rates", "promo"]), "semantic")
    failed = pair["failed"]
    name = "tests.test_discount.DiscountTest.test_default_discount"
    assert failed["newFailures"] == [name]
    assert {"name": name, "path": "tests/test_discount.py", "line": 8} in failed["failures"]


def test_a_build_only_break_an_import_of_a_removed_module(shop: Repo) -> None:
    build = f"{PYTHON} -c 'import shop.report'"
    configure(shop, settings(build=build))
    shop.write(shop.main, "shop/report.py", "from shop import prices\n")
    shop.write(shop.main, "shop/legacy.py", "def old():\n    return 1\n")
    shop.commit(shop.main, "report and legacy")
    session(shop, "cleanup", {"shop/legacy.py": None})
    uses_legacy = "from shop import prices\nfrom shop import legacy\n"
    session(shop, "reports", {"shop/report.py": uses_legacy})
    with fresh(shop) as ws:
        pair = only(verify(ws, pair=["cleanup", "reports"]), "semantic")
    failed = pair["failed"]
    assert failed["kind"] == "build" and failed["index"] == 0
    assert failed["failures"] == [{"name": None, "path": "shop/report.py", "line": 2}]
    assert any("legacy" in line for line in failed["tail"])


def test_a_pair_that_passes(shop: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = tmp_path / "runs.txt"
    monkeypatch.setenv("RUNS_FILE", str(counter))
    configure(shop, settings(test=counting(UNITTEST, counter)))
    session(shop, "docs", {"README.md": "the shop\n"})
    session(shop, "more", {"shop/tax.py": "RATE = 0.2\n"})
    with fresh(shop) as ws:
        pair = only(verify(ws, pair=["docs", "more"]), "pass")
    assert pair["failed"] is None and not pair["cached"]
    assert runs(counter) == 1  # a passing pair costs one run: the merge's


def test_a_test_that_fails_alone_too_is_not_a_semantic_conflict(shop: Repo) -> None:
    flaky = (
        "import unittest\n\n\nclass FlakyTest(unittest.TestCase):\n"
        "    def test_sometimes(self):\n        self.fail('fails on its own')\n"
    )
    session(shop, "flaky", {"tests/test_flaky.py": flaky})
    session(shop, "other", {"shop/tax.py": "RATE = 0.2\n"})
    with fresh(shop) as ws:
        result = verify(ws, pair=["flaky", "other"])
    pair = only(result, "side-fails")
    assert result["found"] == 0
    assert "flaky fails alone" in pair["reason"]
    assert pair["sides"]["a"]["ok"] is False and pair["sides"]["b"]["ok"] is True


def test_a_failure_trunk_already_has_is_not_the_pairs(shop: Repo) -> None:
    broken = TEST_PRICES.replace("6)", "7)")  # trunk's own test is wrong
    shop.write(shop.main, "tests/test_prices.py", broken)
    shop.commit(shop.main, "a broken test on trunk")
    session(shop, "one", {"shop/tax.py": "RATE = 0.2\n"})
    session(shop, "two", {"README.md": "hello\n"})
    with fresh(shop) as ws:
        pair = only(verify(ws, pair=["one", "two"]), "pre-existing")
    assert pair["sides"]["trunk"]["ok"] is False


def test_a_session_against_work_already_on_trunk(shop: Repo) -> None:
    cart = session(shop, "cart", {"shop/cart.py": CART, "tests/test_cart.py": TEST_CART})
    assert cart.exists()
    # The rename lands on trunk after cart branched off.
    shop.write(shop.main, "shop/prices.py", renamed(PRICES))
    shop.write(
        shop.main,
        "tests/test_prices.py",
        TEST_PRICES.replace("prices.total(", "prices.sum_prices("),
    )
    shop.commit(shop.main, "rename total")
    configure(shop, settings(test=PYTEST))
    with fresh(shop) as ws:
        result = verify(ws)
    pair = only(result, "semantic")
    assert pair["sessions"] == ["cart"] and pair["viaTrunk"] is True and pair["trunk"] == "main"


def test_an_unchanged_pair_is_answered_from_the_cache(
    shop: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = tmp_path / "runs.txt"
    monkeypatch.setenv("RUNS_FILE", str(counter))
    configure(shop, settings(test=counting(UNITTEST, counter)))
    session(shop, "rates", {"shop/prices.py": PRICES.replace("rate=0.1", "rate=0.2")})
    promo = session(
        shop,
        "promo",
        {
            "tests/test_discount.py": "import unittest\nfrom shop import prices\n\n\n"
            "class T(unittest.TestCase):\n    def test_d(self):\n"
            "        self.assertEqual(prices.discount(100), 90)\n"
        },
        commit=False,  # uncommitted work counts
    )
    with fresh(shop) as ws:
        first = only(verify(ws, pair=["rates", "promo"]), "semantic")
    ran = runs(counter)
    assert ran == 3  # merged, then each side alone
    with fresh(shop) as ws:
        again = only(verify(ws, pair=["rates", "promo"]), "semantic")
    assert again["cached"] and runs(counter) == ran
    assert again["failed"] == first["failed"]
    # Committing the same work changes no tree: still no new run.
    shop.commit(promo, "promo: commit it")
    with fresh(shop) as ws:
        assert only(verify(ws, pair=["rates", "promo"]))["cached"]
    assert runs(counter) == ran
    # A real change is a new check; the unchanged side's run is reused (2 new runs).
    shop.write(promo, "tests/test_discount.py", "")
    with fresh(shop) as ws:
        changed = only(verify(ws, pair=["rates", "promo"]), "pass")
    assert not changed["cached"] and runs(counter) == ran + 1
    # --force runs again.
    with fresh(shop) as ws:
        verify(ws, pair=["rates", "promo"], force=True)
    assert runs(counter) == ran + 2


def test_verify_refuses_when_trunk_does_not_enable_it(shop: Repo) -> None:
    configure(shop, settings(verify="enabled = false"))
    session(shop, "one", {"shop/tax.py": "RATE = 0.2\n"})
    with fresh(shop) as ws, pytest.raises(AgentlsError) as refused:
        verify(ws)
    assert refused.value.code == "verify-disabled"
