"""The language server: live cross-worktree diagnostics, code actions and commands.

`server.py` wires LSP methods; `engine_link.py` talks to the shared engine;
`diagnostics.py` turns a report into diagnostics for this window's session;
`actions.py` builds code actions; `settings.py` reads the configuration.
"""
