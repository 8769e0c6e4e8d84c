"""Showing the user a place: `window/showDocument` when the client can, words otherwise.

Every command that shows something answers, whatever the client does: it may not
support showDocument (Neovim 0.7), answer `null`, an error, or nothing at all.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from agentls.vocabulary import lines_text

if TYPE_CHECKING:
    from agentls.server.server import AgentlsServer

log = logging.getLogger(__name__)

SHOW_TIMEOUT = 5.0  # seconds a client gets to answer window/showDocument


async def show_document(
    ls: AgentlsServer, uri: str, selection: types.Range | None = None
) -> bool | None:
    """True when the client showed URI; False when it declined, failed or kept silent;
    None when it does not support showDocument (then nothing was sent)."""
    if not ls.client_features.show_document:
        return None
    params = types.ShowDocumentParams(uri=uri, take_focus=True, selection=selection)
    try:
        answer = await asyncio.wait_for(
            ls.protocol.send_request_async(types.WINDOW_SHOW_DOCUMENT, params), SHOW_TIMEOUT
        )
    except asyncio.TimeoutError:
        log.info("window/showDocument got no answer within %s s", SHOW_TIMEOUT)
        return False
    except Exception as exc:
        log.info("window/showDocument failed: %s", exc)
        return False
    if hasattr(answer, "success"):
        return answer.success is True
    return isinstance(answer, dict) and answer.get("success") is True


def line_range(line: int, end_line: int) -> types.Range:
    """1-based inclusive lines -> the LSP range from the first line's start to the next
    line's start."""
    return types.Range(types.Position(line - 1, 0), types.Position(end_line, 0))


def location(uri: str, selection: types.Range | None) -> dict[str, Any]:
    found: dict[str, Any] = {"uri": uri, "range": None}
    if selection is not None:
        found["range"] = {
            "start": {"line": selection.start.line, "character": selection.start.character},
            "end": {"line": selection.end.line, "character": selection.end.character},
        }
    return found


async def show_or_tell(
    ls: AgentlsServer,
    what: str,
    uri: str,
    path: str,
    lines: list[int] | None = None,
) -> dict[str, Any]:
    """Show URI (at LINES, 1-based inclusive); without showDocument, say where it is.

    The answer: `{"ok": true, "shown": bool, "uri", "location": {"uri", "range"}}`.
    """
    selection = line_range(lines[0], lines[1]) if lines else None
    shown = await show_document(ls, uri, selection)
    if not shown:
        where = f", {lines_text([lines])}" if lines else ""
        ls.tell(f"{what}: {path}{where}")
    return {"ok": True, "shown": bool(shown), "uri": uri, "location": location(uri, selection)}
