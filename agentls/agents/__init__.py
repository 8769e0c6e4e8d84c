"""Agents in the loop: warn a coding agent before it writes a contested file.

`check` answers "who else is touching these files?", `hooks/` speaks each
agent's hook format, `install` writes the hook into the agent's project config
and `mcp_server` offers the same answers as MCP tools. The hook path imports
only the standard library until it needs git (see `runner`).
"""
