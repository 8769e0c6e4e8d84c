"""The language server: live cross-worktree diagnostics, code actions and commands.

`server.py` wires LSP methods and holds the window's state (the engine connection,
settings, published diagnostics); `protocol.py` is pygls's protocol with the
executeCommand request whole; `capabilities.py` reads what the client can do;
`commands.py` holds the commands; `operations.py` runs the long ones (land, land-all,
new, fork) in the background; `window.py` shows documents or says where they are;
`refusals.py` shapes errors for the wire; `diagnostics.py` turns a report into
diagnostics for this window's session; `actions.py` builds code actions;
`settings.py` reads the configuration; `encoding.py` turns editor text into bytes.
"""
