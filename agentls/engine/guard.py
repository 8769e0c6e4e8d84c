"""The engine's socket is the user's alone: private folders and peer checks (stdlib only).

Another local user must never sit between a front end and its engine: a forged
engine could feed an editor a fake status, deny an agent's write with text of its
choosing (prompt injection), or receive unsaved buffers. So:

- every folder holding a socket is a real directory (not a symlink), owned by this
  user and writable by nobody else; the engine creates it 0700, and tightens its
  own state folder to 0700, before it binds;
- a client that finds a socket checks that folder and the socket file before
  trusting what answers (none there: no engine, nothing to trust);
- both ends check the other process's uid on the connected socket (SO_PEERCRED on
  Linux, LOCAL_PEERCRED on macOS/BSD): an engine drops a foreign client before
  reading a byte, a client refuses a foreign engine before sending one.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import struct
from pathlib import Path

from agentls.errors import AgentlsError

_XUCRED_HEAD = "Ii"  # struct xucred starts with u_int cr_version, uid_t cr_uid


class UnsafeEngineError(AgentlsError):
    """A socket or its folder could be controlled by another user: agentls will not use it."""


def _owner_hint(path: Path) -> str:
    return (
        f"agentls will not use it: remove {path} (another user may have created it to "
        "intercept agentls) or set XDG_RUNTIME_DIR to a private folder"
    )


def check_private_dir(folder: Path) -> None:
    """Raise UnsafeEngineError unless FOLDER is a real directory only this user can change."""
    info = os.lstat(folder)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeEngineError(f"the agentls folder {folder} is a symlink", _owner_hint(folder))
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeEngineError(f"the agentls folder {folder} is not a folder", _owner_hint(folder))
    if info.st_uid != os.getuid():
        raise UnsafeEngineError(
            f"the agentls folder {folder} belongs to uid {info.st_uid}, not to you "
            f"(uid {os.getuid()})",
            _owner_hint(folder),
        )
    if info.st_mode & 0o022:
        raise UnsafeEngineError(
            f"the agentls folder {folder} can be written by other users "
            f"(mode {stat.S_IMODE(info.st_mode):o})",
            f"run `chmod 700 {folder}`, or remove it and let agentls create it again",
        )


def make_private_dir(folder: Path) -> None:
    """Create FOLDER 0700 (or tighten it to 0700 when it is this user's), then check it."""
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700, parents=True)
    info = os.lstat(folder)
    if (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.getuid()
        and stat.S_IMODE(info.st_mode) & 0o077
    ):
        os.chmod(folder, 0o700)  # a folder of ours made under a loose umask
    check_private_dir(folder)


def check_socket_file(path: Path) -> None:
    """Raise UnsafeEngineError unless PATH is a socket owned by this user."""
    info = os.lstat(path)
    if not stat.S_ISSOCK(info.st_mode):
        raise UnsafeEngineError(f"{path} is not a socket", _owner_hint(path))
    if info.st_uid != os.getuid():
        raise UnsafeEngineError(
            f"the engine socket {path} belongs to uid {info.st_uid}, not to you "
            f"(uid {os.getuid()})",
            _owner_hint(path),
        )


def peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process at the other end of a connected Unix socket (None: unknown)."""
    if hasattr(socket, "SO_PEERCRED"):  # Linux: struct ucred {pid, uid, gid}
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return int(struct.unpack("3i", raw)[1])
    local_peercred = getattr(socket, "LOCAL_PEERCRED", None)
    if local_peercred is not None:  # macOS and the BSDs: struct xucred at level SOL_LOCAL (0)
        raw = sock.getsockopt(0, local_peercred, 256)
        return int(struct.unpack_from(_XUCRED_HEAD, raw)[1])
    return None  # elsewhere the private folder and the 0600 socket are the guard


def same_user(sock: socket.socket) -> bool:
    """Whether the peer of SOCK runs as this user (True when the platform cannot tell)."""
    try:
        uid = peer_uid(sock)
    except OSError:
        return False
    return uid is None or uid == os.getuid()
