"""Remote sessions: work that lives on another machine and reaches this one through git.

Cloud agents (Claude Code on the web, Codex, Copilot, Cursor) and teammates push
branches to a shared remote. agentls fetches the branches that match the configured
patterns into its own ref namespace (`refs/agentls/remote/<remote>/...`), never the
user's remote-tracking branches, and analyses each as a session with role `remote`
against every local session. `agentls publish` (opt-in) pushes local snapshots to
`refs/agentls/wip/<user>/<session>` so other machines see uncommitted work too.

- config.py    `[tool.agentls.remote]` / `.agentls.toml [remote]`
- refs.py      the ref namespace: refspecs, session names
- fetch.py     one `git fetch` per remote, no credential prompts, back-off
- sessions.py  remote refs as sessions (states the analysis reads)
- publish.py   publish / unpublish local snapshots
- wording.py   how a remote session is named to a person ("codex/x on origin")
"""

from __future__ import annotations

ROLE = "remote"
