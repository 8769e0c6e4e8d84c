"""agentls: air-traffic control for parallel coding agents working in git worktrees."""

__version__ = "0.1.0"
