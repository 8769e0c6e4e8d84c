"""The review sweep: review every code session oldest to newest, then land or hand back.

- `queue`: the queue and its items, built from the Workspace's report (never another
  collision computation); `model`: what they read from the object store.
- `state`: verdicts in the shared store; `checks`: build/test results by tree id.
- `actions`: verdicts, approve-and-land, request changes (HANDOFF.md), remove.
- `gate`: `require-review = true` makes land refuse unapproved heads.
- `commands`: the `agentls.review.*` commands' structured results; `summary`: the
  per-session review state the engine publishes (`agentls/reviewChanged`).
"""
