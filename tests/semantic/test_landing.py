"""`land --all` with a semantic conflict: sequential, and the second is checked again."""

from __future__ import annotations

from agentls.lifecycle import land_all
from agentls.semantic.verify import verify
from tests.conftest import Repo, git
from tests.semantic.conftest import PRICES, TEST_PRICES, fresh, session

CART = "from shop import prices\n\n\ndef checkout(items):\n    return prices.total(items) + 5\n"
TEST_CART = (
    "import unittest\n\nfrom shop import cart\n\n\nclass CartTest(unittest.TestCase):\n"
    "    def test_checkout(self):\n        self.assertEqual(cart.checkout([1, 2]), 8)\n"
)
RENAMED = {
    "shop/prices.py": PRICES.replace("def total(", "def sum_prices("),
    "tests/test_prices.py": TEST_PRICES.replace("prices.total(", "prices.sum_prices("),
}


def test_the_second_of_a_semantic_pair_is_checked_again_and_left_alone(shop: Repo) -> None:
    session(shop, "rename", RENAMED)
    cart = session(shop, "cart", {"shop/cart.py": CART, "tests/test_cart.py": TEST_CART})
    session(shop, "docs", {"README.md": "the shop\n"})
    cart_head = git(cart, "rev-parse", "HEAD")
    with fresh(shop) as ws:
        ws.store.update(ws.session("rename").id, priority=1)  # rename lands first
        ws.store.update(ws.session("cart").id, priority=2)
        ws.store.update(ws.session("docs").id, priority=3)
        verify(ws, pair=["rename", "cart"])
        report = ws.refresh()
        assert [c.kind for c in report.overlaps] == ["semantic"]
        result = land_all(ws)
    rows = {row["session"]: row for row in result["results"]}
    assert result["plan"] == ["rename", "cart", "docs"]
    assert rows["rename"]["ok"] is True
    refused = rows["cart"]
    assert refused["ok"] is False and refused["skipped"] is False
    assert refused["error"]["code"] == "semantic-conflict"
    assert refused["error"]["data"]["after"] == ["rename"]
    assert refused["error"]["data"]["tests"] == ["tests.test_cart.CartTest.test_checkout"]
    assert "still fails" in refused["message"]
    # cart was never rebased: its branch and worktree are as its agent left them.
    assert git(cart, "rev-parse", "HEAD") == cart_head
    assert git(cart, "status", "--porcelain") == ""
    assert rows["docs"]["ok"] is True  # independent work still lands


def test_a_pair_fixed_by_the_first_land_lands_both(shop: Repo) -> None:
    """The pair's latest verdict is a semantic conflict, but cart has been fixed since:
    after rename lands, cart is checked again on the new trunk, passes, and lands."""
    session(shop, "rename", RENAMED)
    cart = session(shop, "cart", {"shop/cart.py": CART, "tests/test_cart.py": TEST_CART})
    with fresh(shop) as ws:
        verify(ws, pair=["rename", "cart"])
        assert [c.kind for c in ws.refresh().overlaps] == ["semantic"]
    # cart's agent fixes its call to the new name as well (both names keep working).
    shop.write(
        cart,
        "shop/cart.py",
        "from shop import prices\n\n\ndef checkout(items):\n"
        "    return getattr(prices, 'sum_prices', getattr(prices, 'total', None))(items) + 5\n",
    )
    shop.commit(cart, "cart: either name")
    with fresh(shop) as ws:
        ws.store.update(ws.session("rename").id, priority=1)
        ws.store.update(ws.session("cart").id, priority=2)
        # The old verdict is still the pair's latest: land --all treats them as a pair.
        assert [c.kind for c in ws.refresh().overlaps] == ["semantic"]
        result = land_all(ws)
    landed = [(r["session"], r["ok"]) for r in result["results"]]
    assert landed == [("rename", True), ("cart", True)]
