"""The shared engine: one analysis process per repository that every front end attaches to.

`paths` and `client` are stdlib-only so the CLI and agent hooks can use them fast;
`daemon` (the process) and `worker` (its single analysis thread) import the heavy stack.
"""
