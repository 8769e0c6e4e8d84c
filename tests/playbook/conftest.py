"""The server's fixtures (editor windows, no engine left behind) for the playbook."""

from tests.server.conftest import _no_engine_left, windows

__all__ = ["_no_engine_left", "windows"]
