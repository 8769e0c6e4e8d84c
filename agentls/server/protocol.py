"""pygls's protocol, with the two places where agentls needs the whole message.

- `workspace/executeCommand`: pygls hands a command handler only the arguments; a
  long operation also needs the request's `workDoneToken` (to report `$/progress`
  where the client is listening), so handlers here receive an `Invocation`.
- Answers to `window/showDocument` and `window/workDoneProgress/create` are read as
  plain JSON: a client answering `null` (or anything else lsprotocol would not
  structure) must not leave the request that waits for it hanging.
- agentls's own notifications (`agentls/...`) are written as the plain JSON they are.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification
from pygls.protocol.language_server import lsp_method

OWN_NOTIFICATIONS = "agentls/"  # the prefix of agentls's own notification methods
# Requests to the client whose answers are taken as they come.
RAW_ANSWERS = frozenset({types.WINDOW_SHOW_DOCUMENT, types.WINDOW_WORK_DONE_PROGRESS_CREATE})


@dataclass(frozen=True)
class Invocation:
    """One `workspace/executeCommand` request as a command handler sees it."""

    command: str
    arguments: list[Any] = field(default_factory=list)
    work_done_token: int | str | None = None


class AgentlsProtocol(LanguageServerProtocol):
    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(
        self, params: types.ExecuteCommandParams
    ) -> Generator[Any, Any, Any]:
        handler = self.fm.commands.get(params.command)
        if handler is None:
            raise JsonRpcInvalidParams(f"unknown command {params.command!r}")
        invocation = Invocation(
            command=params.command,
            arguments=list(params.arguments or []),
            work_done_token=params.work_done_token,
        )
        result = yield handler, (invocation,), None
        return result

    def get_result_type(self, method: str) -> type[Any] | None:  # type: ignore[override]
        if method in RAW_ANSWERS:
            return None  # the generic response message: `result` stays plain JSON
        return super().get_result_type(method)

    def _serialize_message(self, data: Any) -> Any:
        # agentls's own notifications carry plain JSON (the engine's report, reshaped):
        # json.dumps writes it as it is, where cattrs would walk every value first, ~1 ms
        # for a sessionsChanged at 30 sessions, sent after most edits.
        if type(data) is JsonRPCNotification and data.method.startswith(OWN_NOTIFICATIONS):
            return {"jsonrpc": data.jsonrpc, "method": data.method, "params": data.params}
        return super()._serialize_message(data)
