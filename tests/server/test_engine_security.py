"""The engine's socket is the user's alone: folders, socket files and peers are checked.

When `<common>/agentls/engine.sock` is too long for a Unix socket, the engine listens
in `<tmp>/agentls-<uid>/`, a folder in a directory every local user can write to.
These tests plant what another user could plant there (a folder they own, a
symlink, a socket served by their process) and check that neither the engine nor
any client uses it; and that an engine drops clients running as another user.
Foreign ownership needs root (chown, setuid); those tests are skipped otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentls.engine.client import connect
from agentls.engine.guard import UnsafeEngineError
from agentls.engine.paths import MAX_SOCKET_PATH, socket_path
from agentls.engine.protocol import EngineError
from tests.conftest import Repo
from tests.server.conftest import server_env, wait_gone

OTHER_UID = 54321  # a uid no account on the test machine has
as_root = pytest.mark.skipif(os.getuid() != 0, reason="planting another user's files needs root")
# The interpreter itself, not the venv's symlink in a folder other users may not enter.
PYTHON = os.path.realpath(sys.executable)


@pytest.fixture
def long_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Repo, Path]:
    """A repository whose socket path is too long, and the private tmp folder it falls back to.

    TMPDIR points at a folder of this test (never the machine's shared /tmp), and
    XDG_RUNTIME_DIR is unset, so the fallback is `<TMPDIR>/agentls-<uid>/`.
    """
    repo = Repo(tmp_path / ("deep-" * 18) / "project")
    repo.write(repo.main, "a.txt", "a\n")
    repo.commit(repo.main, "base")
    tmp = tmp_path / "t"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr("tempfile.tempdir", None)  # gettempdir() caches its first answer
    common = repo.main / ".git"
    assert len(os.fsencode(str(common / "agentls" / "engine.sock"))) > MAX_SOCKET_PATH
    assert socket_path(common).parent == tmp / f"agentls-{os.getuid()}"
    return repo, tmp / f"agentls-{os.getuid()}"


def _env(**extra: str) -> dict[str, str]:
    env = server_env()
    env.pop("AGENTLS_ENGINE_GRACE", None)
    env.update(extra)
    return env


def _engine(common: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "agentls", "engine", "--repository", str(common), *args],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextlib.contextmanager
def serving(common: Path) -> Iterator[subprocess.Popen[str]]:
    engine = _engine(common, "--grace", "30")
    try:
        deadline = time.monotonic() + 30
        while (client := connect(common)) is None:
            assert engine.poll() is None, engine.communicate()
            assert time.monotonic() < deadline, "the engine did not come up"
            time.sleep(0.05)
        client.close()
        yield engine
    finally:
        engine.kill()
        engine.communicate(timeout=30)


def _refused_engine(common: Path, *args: str) -> str:
    """Start an engine that must refuse to listen; its error message."""
    engine = _engine(common, "--grace", "30", *args)
    try:
        out, err = engine.communicate(timeout=60)
    finally:
        engine.kill()
    assert engine.returncode == 2, (engine.returncode, out, err)
    return err


def test_the_engine_creates_its_fallback_folder_private(long_repo: tuple[Repo, Path]) -> None:
    repo, folder = long_repo
    with serving(repo.main / ".git"):
        info = folder.stat()
        assert oct(info.st_mode & 0o777) == "0o700"
        assert info.st_uid == os.getuid()
        (sock,) = folder.iterdir()
        assert oct(sock.stat().st_mode & 0o777) == "0o600"
        assert oct((repo.main / ".git" / "agentls").stat().st_mode & 0o777) == "0o700"


def test_a_loose_folder_of_ours_is_tightened_before_binding(long_repo: tuple[Repo, Path]) -> None:
    repo, folder = long_repo
    folder.mkdir()
    folder.chmod(0o777)
    with serving(repo.main / ".git"):
        assert oct(folder.stat().st_mode & 0o777) == "0o700"
        # Loosened while an engine listens: clients no longer trust what answers there.
        folder.chmod(0o777)
        with pytest.raises(UnsafeEngineError, match="can be written by other users"):
            connect(repo.main / ".git")
        folder.chmod(0o700)
        client = connect(repo.main / ".git")
        assert client is not None
        client.close()


def _status(repo: Repo) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentls", "-C", str(repo.main), "status"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )


def _plant_socket(path: Path) -> None:
    """A socket file at PATH with nothing listening (what a crashed engine leaves)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.close()


@as_root
def test_a_folder_planted_by_another_user_is_never_used(long_repo: tuple[Repo, Path]) -> None:
    from agentls.engine.spawn import attach

    repo, folder = long_repo
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    os.chown(folder, OTHER_UID, OTHER_UID)  # another user got there first
    common = repo.main / ".git"
    error = _refused_engine(common)
    assert f"belongs to uid {OTHER_UID}" in error and "will not use it" in error, error
    assert list(folder.iterdir()) == []  # no socket was put in it
    assert folder.stat().st_uid == OTHER_UID  # and nothing was changed
    # A window refuses at once, saying why, instead of waiting for an engine.
    with pytest.raises(UnsafeEngineError, match=f"belongs to uid {OTHER_UID}"):
        attach(common, timeout=5)
    # Nothing listens there: the CLI analyses in its own process.
    assert connect(common) is None
    assert _status(repo).returncode == 0
    # Once a socket is in it, clients refuse it, and say so.
    _plant_socket(socket_path(common))
    with pytest.raises(UnsafeEngineError, match=f"belongs to uid {OTHER_UID}"):
        connect(common)
    status = _status(repo)
    assert status.returncode == 2 and f"belongs to uid {OTHER_UID}" in status.stderr, status


def test_a_symlinked_folder_is_never_used(long_repo: tuple[Repo, Path], tmp_path: Path) -> None:
    from agentls.engine.spawn import attach

    repo, folder = long_repo
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    folder.symlink_to(elsewhere)
    common = repo.main / ".git"
    error = _refused_engine(common)
    assert "is a symlink" in error, error
    assert list(elsewhere.iterdir()) == []
    # Started in the background by hand, it refuses in the foreground: exit status and
    # reason reach the person who typed it, not a detached child's closed stderr.
    error = _refused_engine(common, "--detach")
    assert "is a symlink" in error, error
    assert list(elsewhere.iterdir()) == []
    with pytest.raises(UnsafeEngineError, match="is a symlink"):
        attach(common, timeout=5)
    _plant_socket(socket_path(common))  # lands in ELSEWHERE, through the link
    with pytest.raises(UnsafeEngineError, match="is a symlink"):
        connect(common)


FORGED_ENGINE = textwrap.dedent(
    """
    import os, socket, sys
    path, uid = sys.argv[1], int(sys.argv[2])
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)  # the socket file is root's, in root's private folder...
    os.setgid(uid)
    os.setuid(uid)  # ...but the process that listens is another user's
    server.listen(1)
    print("ready", flush=True)
    conn, _ = server.accept()
    conn.settimeout(3)
    received = b""
    try:
        conn.sendall(b'{"id":1,"result":{"sessions":[],"forged":true}}\\n')
        while chunk := conn.recv(4096):
            received += chunk
    except OSError:  # the client hung up on it
        pass
    print(len(received), flush=True)
    """
)


@as_root
def test_an_engine_run_by_another_user_gets_nothing(long_repo: tuple[Repo, Path]) -> None:
    repo, folder = long_repo
    folder.mkdir(mode=0o700)
    common = repo.main / ".git"
    forger = subprocess.Popen(
        [PYTHON, "-c", FORGED_ENGINE, str(socket_path(common)), str(OTHER_UID)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert forger.stdout is not None and forger.stdout.readline() == "ready\n"
        with pytest.raises(UnsafeEngineError, match="runs as another user"):
            connect(common)
        out, _ = forger.communicate(timeout=30)
    finally:
        forger.kill()
    assert out.strip() == "0", "the client sent bytes to another user's process"


@as_root
def test_a_socket_owned_by_another_user_is_refused(long_repo: tuple[Repo, Path]) -> None:
    repo, _ = long_repo
    common = repo.main / ".git"
    with serving(common):
        os.chown(socket_path(common), OTHER_UID, OTHER_UID)
        with pytest.raises(UnsafeEngineError, match=f"socket .* belongs to uid {OTHER_UID}"):
            connect(common)


FOREIGN_CLIENT = textwrap.dedent(
    """
    import os, socket, sys
    path, uid = sys.argv[1], int(sys.argv[2])
    os.setgid(uid)
    os.setuid(uid)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(10)
    client.connect(path)  # relative to the folder it was started in
    try:
        client.sendall(b'{"id":1,"method":"report","params":{}}\\n')
        client.sendall(b'{"method":"buffer","params":{"path":"x","text":"y"}}\\n')
        print(repr(client.recv(65536)), flush=True)
    except OSError as exc:
        print("closed:", type(exc).__name__, flush=True)
    """
)


@as_root
def test_the_engine_drops_clients_of_another_user(long_repo: tuple[Repo, Path]) -> None:
    repo, folder = long_repo
    common = repo.main / ".git"
    with serving(common):
        # Even if the folder and the socket were opened up to everyone...
        folder.chmod(0o711)
        socket_path(common).chmod(0o666)
        foreign = subprocess.run(
            [PYTHON, "-c", FOREIGN_CLIENT, socket_path(common).name, str(OTHER_UID)],
            cwd=folder,  # entered as root: the test's own folders above it are private
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert foreign.returncode == 0, foreign.stderr
        # ...another user's process gets no answer: the engine closed on it unread.
        answer = foreign.stdout.strip()
        assert answer == "b''" or answer.startswith("closed:"), answer
        folder.chmod(0o700)
        client = connect(common)
        assert client is not None
        try:
            assert client.call("stats", {})["clients"] == 1  # the foreign one is not counted
        finally:
            client.close()


def test_xdg_runtime_dir_is_used_only_when_private(
    long_repo: tuple[Repo, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, folder = long_repo
    common = repo.main / ".git"
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    assert socket_path(common).parent == runtime
    runtime.chmod(0o777)  # not private: the tmp fallback, which the engine creates safely
    assert socket_path(common).parent == folder
    runtime.chmod(0o700)
    runtime_link = tmp_path / "runlink"
    runtime_link.symlink_to(runtime)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime_link))
    assert socket_path(common).parent == folder


# --- an engine a person starts for the agents' hooks ----------------------------------------


def _stats(common: Path) -> dict[str, object] | None:
    client = connect(common)
    if client is None:
        return None
    try:
        return client.call("stats", {}, timeout=10)  # type: ignore[no-any-return]
    finally:
        client.close()


def _wait_for(common: Path) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while (stats := _stats(common)) is None:
        assert time.monotonic() < deadline, "the engine did not come up"
        time.sleep(0.05)
    return stats


def test_an_engine_started_by_hand_stays_up_for_hooks(repo: Repo, tmp_path: Path) -> None:
    repo.write(repo.main, "a.txt", "a\n")
    repo.commit(repo.main, "base")
    common = repo.main / ".git"
    with open(tmp_path / "engine.out", "w") as out:  # the detached child keeps it open
        started = subprocess.run(
            [sys.executable, "-m", "agentls", "-C", str(repo.main), "engine", "--detach"],
            env=_env(),
            stdout=out,
            stderr=out,
            timeout=60,
        )
    assert started.returncode == 0, (tmp_path / "engine.out").read_text()
    stats = _wait_for(common)
    try:
        assert stats["grace"] == 3600.0
        time.sleep(7)  # longer than the 5 s an editor-started engine lingers
        assert _stats(common) is not None, "the hand-started engine exited without clients"
    finally:
        stop = subprocess.run(
            [sys.executable, "-m", "agentls", "-C", str(repo.main), "engine", "--stop"],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert stop.returncode == 0, stop.stderr
    assert wait_gone(int(stats["pid"]), 30)  # type: ignore[call-overload]


def test_starting_by_hand_keeps_an_editors_engine_up(repo: Repo) -> None:
    """An editor already started the engine (short grace): `agentls engine` adopts it."""
    from agentls.engine.spawn import attach

    repo.write(repo.main, "a.txt", "a\n")
    repo.commit(repo.main, "base")
    common = repo.main / ".git"
    os.environ["AGENTLS_ENGINE_GRACE"] = "0.5"
    try:
        editor = attach(common)
    finally:
        del os.environ["AGENTLS_ENGINE_GRACE"]
    pid = editor.call("stats", {})["pid"]
    try:
        assert editor.call("stats", {})["grace"] == 0.5
        by_hand = subprocess.run(
            [sys.executable, "-m", "agentls", "engine", "--repository", str(common)],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert by_hand.returncode == 0, by_hand.stderr  # one engine already runs...
        assert editor.call("stats", {})["grace"] == 3600.0  # ...and now it stays for hooks
    finally:
        editor.close()
    time.sleep(2)
    stats = _stats(common)
    assert stats is not None and stats["pid"] == pid
    client = connect(common)
    assert client is not None
    with contextlib.suppress(EngineError):  # it may close before it answers
        client.call("shutdown", {})
    client.close()
    assert wait_gone(pid, 30)


def test_engine_refuses_a_bad_grace(repo: Repo) -> None:
    repo.write(repo.main, "a.txt", "a\n")
    repo.commit(repo.main, "base")
    for bad in ("-1", "nan", "inf"):
        proc = subprocess.run(
            [sys.executable, "-m", "agentls", "-C", str(repo.main), "engine", "--grace", bad],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2 and "grace period" in proc.stderr, (bad, proc.stderr)
        assert json.dumps(proc.stdout) == '""'
