"""The per-user opt-in to background checks, kept outside every repository.

A repository's `[tool.agentls.verify] enabled = true` says its commands may be run
to verify merges; whether they run *by themselves* in the background is each
person's call, made once per repository: `agentls verify --allow-background` (or an
editor's command) records it in `$XDG_CONFIG_HOME/agentls/verify.json` (default
`~/.config/agentls/`), a private file of this user. Not in the repository (a branch
could ship it), not in its git dir (any process with write access to the checkout
could plant it there), keyed by the repository's git common dir.
An explicit `agentls verify` needs no opt-in: running it is the person's request.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

FILE_NAME = "verify.json"


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "agentls"


def trust_file() -> Path:
    return config_dir() / FILE_NAME


def _read() -> dict[str, Any]:
    try:
        data = json.loads(trust_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"repositories": {}}
    if not isinstance(data, dict) or not isinstance(data.get("repositories"), dict):
        return {"repositories": {}}
    return data


def _key(common_dir: Path) -> str:
    return str(Path(common_dir).resolve())


def background_allowed(common_dir: Path) -> bool:
    """Whether this user allowed background checks for the repository at COMMON_DIR."""
    entry = _read()["repositories"].get(_key(common_dir))
    return isinstance(entry, dict) and entry.get("background") is True


def set_background(common_dir: Path, allowed: bool, how: str) -> Path:
    """Record (or withdraw) the opt-in; the file written. HOW says who asked."""
    data = _read()
    repositories = data["repositories"]
    if allowed:
        repositories[_key(common_dir)] = {"background": True, "time": time.time(), "by": how}
    else:
        repositories.pop(_key(common_dir), None)
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / FILE_NAME
    fd, temp = tempfile.mkstemp(prefix=".verify-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, sort_keys=True)
            out.write("\n")
        os.replace(temp, target)  # a link planted at the target is replaced, not followed
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return target
