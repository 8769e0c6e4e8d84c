"""Where a repository's engine listens and locks (stdlib only)."""

from __future__ import annotations

import os
from pathlib import Path

# sun_path is 108 bytes on Linux including the terminating NUL (104 on macOS).
MAX_SOCKET_PATH = 103


def state_dir(common_dir: Path) -> Path:
    return Path(common_dir) / "agentls"


def socket_path(common_dir: Path) -> Path:
    """`<common>/agentls/engine.sock`, or a short stable path when that is too long for Unix.

    The short path is in `$XDG_RUNTIME_DIR` when that is a private folder of this user,
    else in `<tmp>/agentls-<uid>/`, which the engine creates 0700 and every client
    checks (agentls.engine.guard): /tmp is shared with every local user.
    """
    preferred = state_dir(common_dir) / "engine.sock"
    if len(os.fsencode(str(preferred))) <= MAX_SOCKET_PATH:
        return preferred
    # Only long paths get here; keep hashlib and tempfile off the hooks' import path.
    import hashlib
    import tempfile

    digest = hashlib.sha256(os.fsencode(str(Path(common_dir)))).hexdigest()[:20]
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        candidate = Path(runtime) / f"agentls-{digest}.sock"
        if len(os.fsencode(str(candidate))) <= MAX_SOCKET_PATH and _private(Path(runtime)):
            return candidate
    return Path(tempfile.gettempdir()) / f"agentls-{os.getuid()}" / f"{digest}.sock"


def _private(folder: Path) -> bool:
    from agentls.engine.guard import UnsafeEngineError, check_private_dir

    try:
        check_private_dir(folder)
    except (OSError, UnsafeEngineError):
        return False
    return True


def lock_path(common_dir: Path) -> Path:
    """The fcntl lock file only the running engine holds; it also records its pid."""
    return state_dir(common_dir) / "engine.lock"


def log_path(common_dir: Path) -> Path:
    return state_dir(common_dir) / "engine.log"
