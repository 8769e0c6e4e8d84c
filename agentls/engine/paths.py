"""Where a repository's engine listens and locks (stdlib only)."""

from __future__ import annotations

import os
from pathlib import Path

# sun_path is 108 bytes on Linux including the terminating NUL (104 on macOS).
MAX_SOCKET_PATH = 103


def state_dir(common_dir: Path) -> Path:
    return Path(common_dir) / "agentls"


def socket_path(common_dir: Path) -> Path:
    """`<common>/agentls/engine.sock`, or a short stable path when that is too long for Unix."""
    preferred = state_dir(common_dir) / "engine.sock"
    if len(os.fsencode(str(preferred))) <= MAX_SOCKET_PATH:
        return preferred
    # Only long paths get here; keep hashlib and tempfile off the hooks' import path.
    import hashlib
    import tempfile

    digest = hashlib.sha256(os.fsencode(str(Path(common_dir)))).hexdigest()[:20]
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir() and len(runtime) < 60:
        return Path(runtime) / f"agentls-{digest}.sock"
    return Path(tempfile.gettempdir()) / f"agentls-{os.getuid()}" / f"{digest}.sock"


def lock_path(common_dir: Path) -> Path:
    """The fcntl lock file only the running engine holds; it also records its pid."""
    return state_dir(common_dir) / "engine.lock"


def log_path(common_dir: Path) -> Path:
    return state_dir(common_dir) / "engine.log"
