"""Editor text -> the bytes the editor would save, for the engine's unsaved buffers.

Editors send text, not bytes: a CRLF file arrives with "\r\n", a Latin-1 file as
decoded characters, a UTF-8 file with a BOM without it. The engine stores a buffer
as `text.encode("utf-8", "surrogateescape")`, so each buffer goes over the wire as
the file's own bytes carried in that form. Otherwise opening such a file untouched
would count as a change (a phantom edit on every non-ASCII line) and pin the file.
"""

from __future__ import annotations

import codecs

UTF8 = "utf-8"
# Tried in order at open: the first whose encoding of the editor's text gives the
# disk's bytes is how the editor read the file.
CANDIDATES = (UTF8, "utf-8-sig", "utf-16", "cp1252", "latin-1")


def detect(disk: bytes | None, text: str) -> tuple[str, bool]:
    """(encoding, unchanged): how the editor decoded DISK, and whether TEXT is exactly it."""
    if disk is None:
        return UTF8, False
    for encoding in CANDIDATES:
        try:
            if text.encode(encoding) == disk:
                return encoding, True
        except UnicodeEncodeError:
            continue
    return guess(disk), False


def guess(disk: bytes) -> str:
    """The likely encoding of DISK when the editor's text is not its content."""
    if disk.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if disk.startswith(codecs.BOM_UTF16_LE):
        return "utf-16"
    try:
        disk.decode(UTF8)
    except UnicodeDecodeError:
        return "latin-1"  # decodes anything; one byte per character
    return UTF8


def to_bytes(text: str, encoding: str) -> bytes:
    """The bytes the editor would save TEXT as."""
    return text.encode(encoding, errors="replace")


def wire(text: str, encoding: str) -> str:
    """TEXT in the form the engine turns back into the file's bytes."""
    if encoding == UTF8 and (text.isascii() or _encodes(text)):
        return text
    # Lone surrogates (which no file holds) become "?", as the editor would save them.
    return to_bytes(text, encoding).decode(UTF8, errors="surrogateescape")


def _encodes(text: str) -> bool:
    try:
        text.encode(UTF8)
    except UnicodeEncodeError:
        return False
    return True
