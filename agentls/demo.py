"""`agentls demo`: a realistic example repository with five sessions, built offline.

shop/          primary checkout on main (trunk); a fix landed after the others branched
shop-auth/     "auth" (feat/auth) owns auth/**: committed + staged + untracked work
shop-billing/  "billing" (feat/billing) owns billing/**: committed + unstaged, shared config
shop-hotfix/   "hotfix" (fix/timeout) strays into auth/ and conflicts with auth
shop-research/ "research": a read-only fork of auth that writes a brief and one stray file
shop-docs/     "docs" (docs/readme): finished, independent work that `agentls demo` lands
               (and removes) to show a land that succeeds; then it tries billing, which
               is refused because its work is not committed yet
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from agentls import session_files
from agentls.errors import AgentlsError
from agentls.git.repo import find_repository
from agentls.git.runner import run_git
from agentls.sessions import discover_sessions
from agentls.store import Store

MARKER = ".agentls-demo"
ENV = {
    "GIT_AUTHOR_NAME": "Demo Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Demo Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}

FILES = {
    "README.md": "# shop\n\nA tiny web shop used by the agentls demo.\n",
    "pyproject.toml": (
        '[project]\nname = "shop"\nversion = "1.0.0"\ndependencies = [\n'
        '    "flask>=3",\n    "sqlalchemy>=2",\n]\n\n[tool.agentls.land]\n'
        'test = "python3 -m unittest discover -s tests -q"\n'
    ),
    "app/__init__.py": "",
    "app/config.py": (
        "SESSION_TIMEOUT = 3600\nCURRENCY = 'EUR'\nTAX_RATE = 0.19\n"
        "DATABASE_URL = 'sqlite:///shop.db'\nLOG_LEVEL = 'INFO'\n"
    ),
    "auth/__init__.py": "",
    "auth/login.py": (
        "from app.config import SESSION_TIMEOUT\n\n\n"
        "def login(user, password):\n"
        "    if not user or not password:\n"
        "        return None\n"
        "    token = issue_token(user)\n"
        "    return {'user': user, 'token': token, 'expires_in': SESSION_TIMEOUT}\n\n\n"
        "def issue_token(user):\n"
        "    return f'token-{user}'\n\n\n"
        "def logout(token):\n"
        "    return True\n"
    ),
    "auth/session.py": (
        "import time\n\n\nclass Session:\n    def __init__(self, user):\n"
        "        self.user = user\n        self.started = time.time()\n\n"
        "    def expired(self, timeout):\n        return time.time() - self.started > timeout\n"
    ),
    "auth/tokens.py": "def verify(token):\n    return token.startswith('token-')\n",
    "billing/__init__.py": "",
    "billing/invoice.py": (
        "from app.config import CURRENCY, TAX_RATE\n\n\n"
        "def total(lines):\n    net = sum(price * qty for price, qty in lines)\n"
        "    return round(net * (1 + TAX_RATE), 2)\n\n\n"
        "def render(lines):\n    return f'{total(lines)} {CURRENCY}'\n"
    ),
    "billing/payments.py": (
        "def charge(card, amount):\n    return {'card': card, 'amount': amount}\n"
    ),
    "tests/__init__.py": "",
    "tests/test_shop.py": (
        "import unittest\n\nfrom billing.invoice import total\n\n\n"
        "class ShopTest(unittest.TestCase):\n    def test_total(self):\n"
        "        self.assertEqual(total([(10, 2)]), 23.8)\n"
    ),
}


def _git(cwd: Path, *args: str) -> str:
    return run_git(list(args), cwd=cwd, env=ENV)


def _write(folder: Path, path: str, text: str) -> None:
    target = folder / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def _edit(folder: Path, path: str, old: str, new: str) -> None:
    target = folder / path
    content = target.read_text()
    if old not in content:
        raise AssertionError(f"demo script out of date: {old!r} not in {path}")
    target.write_text(content.replace(old, new, 1))


def _prepare(root: Path | None) -> Path:
    if root is None:
        return Path(tempfile.mkdtemp(prefix="agentls-demo-"))
    root = root.resolve()
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise AgentlsError.refuse("demo-folder-foreign", path=str(root))
        shutil.rmtree(root)  # an earlier demo: rebuild it from scratch
    root.mkdir(parents=True, exist_ok=True)
    return root


def build_demo(root: Path | None = None) -> Path:
    """Build the demo under ROOT and return the primary checkout's path."""
    root = _prepare(root)
    (root / MARKER).write_text("built by `agentls demo`; safe to delete\n")
    main = root / "shop"
    main.mkdir()
    _git(main, "init", "-q", "-b", "main")
    for key, value in (("user.name", "Demo Dev"), ("user.email", "dev@example.com")):
        _git(main, "config", key, value)
    for path, text in FILES.items():
        _write(main, path, text)
    _git(main, "add", "-A")
    _git(main, "commit", "-q", "-m", "Initial shop")

    def worktree(name: str, branch: str) -> Path:
        folder = root / f"shop-{name}"
        _git(main, "worktree", "add", "-q", "-b", branch, str(folder), "main")
        return folder

    auth = worktree("auth", "feat/auth")
    billing = worktree("billing", "feat/billing")
    hotfix = worktree("hotfix", "fix/timeout")
    docs = worktree("docs", "docs/readme")

    # docs: one finished commit nobody else touches; the demo lands it.
    _edit(docs, "README.md", "A tiny web shop", "A tiny web shop (Flask + SQLAlchemy)")
    _git(docs, "commit", "-q", "-am", "docs: say what the shop is built with")

    # auth: committed work, a staged change and an untracked test file.
    _edit(
        auth,
        "auth/login.py",
        "    token = issue_token(user)\n",
        "    if is_locked(user):\n        return None\n"
        "    token = issue_token(user, scope='web')\n",
    )
    _edit(
        auth,
        "auth/login.py",
        "def issue_token(user):\n    return f'token-{user}'\n",
        "def issue_token(user, scope):\n    return f'token-{scope}-{user}'\n\n\n"
        "def is_locked(user):\n    return False\n",
    )
    _git(auth, "commit", "-q", "-am", "auth: lockout and scoped tokens")
    _edit(auth, "auth/tokens.py", "token.startswith('token-')", "token.startswith('token-web-')")
    _git(auth, "add", "auth/tokens.py")
    _write(
        auth,
        "tests/test_auth.py",
        "import unittest\n\n\nclass AuthTest(unittest.TestCase):\n"
        "    def test_nothing(self):\n        self.assertTrue(True)\n",
    )
    _edit(
        auth, "pyproject.toml", '    "sqlalchemy>=2",\n', '    "sqlalchemy>=2",\n    "pyjwt>=2",\n'
    )

    # billing: committed invoice work, unstaged config and shared-config edits.
    _edit(
        billing,
        "billing/invoice.py",
        "    return f'{total(lines)} {CURRENCY}'\n",
        "    amount = total(lines)\n    return f'{amount:.2f} {CURRENCY}'\n",
    )
    _git(billing, "commit", "-q", "-am", "billing: format amounts")
    _edit(billing, "app/config.py", "TAX_RATE = 0.19\n", "TAX_RATE = 0.21\n")
    _edit(billing, "pyproject.toml", '    "flask>=3",\n', '    "flask>=3",\n    "stripe>=8",\n')

    # hotfix: strays into auth's files and edits the same lines as auth.
    _edit(
        hotfix,
        "auth/login.py",
        "    token = issue_token(user)\n",
        "    token = issue_token(user)  # refreshed on every login\n",
    )
    _edit(
        hotfix,
        "auth/session.py",
        "        return time.time() - self.started > timeout\n",
        "        return time.time() - self.started >= timeout\n",
    )
    _git(hotfix, "commit", "-q", "-am", "fix: session timeout off-by-one")

    # main: a fix landed on trunk after everyone branched; it collides with billing.
    # It updates the test with the rate, so trunk's own tests pass and lands can succeed.
    _edit(main, "app/config.py", "TAX_RATE = 0.19\n", "TAX_RATE = 0.20\n")
    _edit(main, "tests/test_shop.py", "23.8", "24.0")
    _git(main, "commit", "-q", "-am", "config: new tax rate")

    # research: a read-only fork of auth's current state (uncommitted work included).
    research = root / "shop-research"
    snapshot = _git(auth, "stash", "create") or _git(auth, "rev-parse", "HEAD")
    _git(main, "worktree", "add", "-q", "--detach", str(research), snapshot)
    # BRIEF.md is the fork's notes, never its work: `agentls fork` excludes it so.
    session_files.exclude(main / ".git")
    _write(
        research,
        "BRIEF.md",
        "# How do tokens expire?\n\nTokens carry no expiry; "
        "the session timeout in app/config.py governs.\n",
    )
    _edit(research, "auth/tokens.py", "def verify(token):\n", "def verify(token):  # TODO?\n")

    repository = find_repository(main)
    store = Store(repository.state_dir)
    try:
        plan = {
            main: ("main", "code", 0, []),
            auth: ("auth", "code", 1, ["auth/**"]),
            billing: ("billing", "code", 2, ["billing/**"]),
            hotfix: ("hotfix", "code", 3, []),
            research: ("research", "research", 4, []),
            docs: ("docs", "code", 5, []),
        }
        for session in discover_sessions(repository, store):
            name, role, priority, claims = plan[session.path]
            store.rename(session.id, name)
            store.update(session.id, role=role, priority=priority, claims=claims)
            if role == "research":
                store.update(session.id, source="auth")
    finally:
        store.close()
    os.utime(main)
    return main


def play_demo(primary: Path) -> list[tuple[str, bool, str]]:
    """What a user does next, for real: land `docs` (it succeeds, and is removed), then
    try `billing` (refused: its work is not committed). (action, succeeded, what it said)."""
    from agentls.lifecycle import land
    from agentls.workspace import Workspace

    played: list[tuple[str, bool, str]] = []
    with Workspace(primary) as workspace:
        for name, remove in (("docs", True), ("billing", False)):
            action = f"agentls land {name}" + (" --remove" if remove else "")
            try:
                result = land(workspace, name, remove=remove)
            except AgentlsError as exc:
                played.append((action, False, str(exc)))
                continue
            said = result["message"]
            if result.get("removed"):
                said += f"; removed its worktree (backup at {result['removed']['backup']})"
            played.append((action, bool(result["ok"]), said))
    return played
