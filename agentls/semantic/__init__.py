"""Semantic conflicts: two sessions that merge cleanly but break the build or the tests.

git's merge sees text only. For each pair of code sessions (and each session merged
with trunk) agentls builds the merged tree in a scratch checkout it owns and runs the
configured build and test commands there, and each side alone when the merge fails:
a pair whose sides pass alone (or fail only as trunk does) but whose merge fails has
a semantic conflict (kind `semantic` in the report). docs/semantic.md says what runs
where, who switches it on, and how to read the results.

- config.py    `[tool.agentls.verify]` on trunk
- trust.py     the per-user opt-in to background checks
- scratch.py   scratch checkouts, moved from tree to tree incrementally
- runs.py      the configured commands on one tree (cached by tree)
- failures.py  failing tests named from the runners' output
- pairs.py     which pairs to check, in which order
- verdict.py   the rule, for one pair (cached by both trees, base, commands)
- book.py      verdicts in the store
- findings.py  verdicts as the report's `semantic` collisions
- verify.py    checks on request (`agentls verify`)
- scheduler.py the engine's background checks
"""
