"""What the client said it can do, read once at `initialize`.

The server never sends a request the client did not advertise: `window/showDocument`
only with `window.showDocument.support`, server-created progress only with
`window.workDoneProgress`, `workspace/configuration` only with
`workspace.configuration`. A client that understands `agentls/operationFinished`
says so with `initializationOptions.operations = true` or
`capabilities.experimental.agentls.operations = true`; every other client also
learns how a long operation ended through `window/showMessage`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsprotocol import types


def _plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):  # pygls turns unknown JSON objects into namedtuples
        return {k: _plain(v) for k, v in value._asdict().items()}
    return value


def _flag(container: Any, *keys: str) -> bool:
    value = _plain(container)
    for key in keys:
        if not isinstance(value, dict):
            return False
        value = _plain(value.get(key))
    return value is True


@dataclass(frozen=True)
class ClientFeatures:
    work_done_progress: bool = False
    configuration: bool = False
    show_document: bool = False
    operations: bool = False  # handles agentls/operationFinished itself

    @classmethod
    def from_initialize(cls, params: types.InitializeParams) -> ClientFeatures:
        caps = params.capabilities
        window, workspace = caps.window, caps.workspace
        return cls(
            work_done_progress=bool(window and window.work_done_progress),
            configuration=bool(workspace and workspace.configuration),
            show_document=bool(window and window.show_document and window.show_document.support),
            operations=_flag(params.initialization_options, "operations")
            or _flag(caps.experimental, "agentls", "operations"),
        )
