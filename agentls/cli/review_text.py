"""How `agentls review` words the queue, an item and the results of its actions."""

from __future__ import annotations

import time
from typing import Any

from agentls.vocabulary import plural

STATE_LABEL = {
    "unreviewed": "not reviewed",
    "approved": "approved",
    "changes-requested": "changes requested",
    "skipped": "skipped",
}


def _short(commit: str | None) -> str:
    return commit[:12] if commit else "none"


def _ago(when: float | None) -> str:
    if not when:
        return "?"
    seconds = max(0, time.time() - when)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return "just now"


def stat_text(stat: dict[str, int]) -> str:
    return f"{plural(stat['files'], 'file')} +{stat['insertions']} −{stat['deletions']}"


def review_text(review: dict[str, Any]) -> str:
    """The review state in words: "approved by X 5m ago", "… CHANGED SINCE REVIEW"."""
    state = review["state"]
    if state == "unreviewed":
        return "not reviewed"
    who, when = review.get("reviewer", "?"), _ago(review.get("time"))
    text = f"{STATE_LABEL.get(state, state)} by {who} {when}"
    if review.get("rebasedSinceReview"):
        text += " (rebased since, same change)"
    elif review.get("changedSinceReview"):
        text += f" at {_short(review.get('head'))}; CHANGED SINCE REVIEW"
    return text


def landable_text(landable: dict[str, Any]) -> str:
    if landable["now"]:
        return "landable now"
    return "blocked: " + "; ".join(b["message"] for b in landable["blockers"])


def checks_text(checks: dict[str, Any] | None) -> str:
    if not checks:
        return "no build/test result for this tree"
    where = "from a land" if checks["source"] == "land" else "run from a review"
    results = "; ".join(r["summary"] for r in checks["results"])
    return f"{'passed' if checks['ok'] else 'FAILED'} ({where}, {_ago(checks['time'])}): {results}"


def queue_text(queue: dict[str, Any]) -> str:
    trunk = queue["trunk"]
    lines = [
        f"review queue ({queue['order'].replace('-', ' ')}), trunk {trunk['branch']} at "
        f"{_short(trunk['commit'])}; require-review: {'on' if queue['requireReview'] else 'off'}"
    ]
    if queue.get("configError"):
        lines.append(f"warning: {queue['configError']}")
    items = queue["items"]
    if not items:
        lines.append("nothing to review")
    rows = []
    for item in items:
        rows.append(
            [
                f"{item['position']}.",
                item["session"],
                plural(item["ahead"], "commit"),
                stat_text(item["stat"]),
                landable_text(item["landable"]),
                review_text(item["review"]),
            ]
        )
    if rows:
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
            lines.append("  " + "  ".join(cells))
    waiting = [n for n in queue.get("notQueued", []) if n["reason"] not in ("trunk", "research")]
    if waiting:
        lines.append(
            "not in the queue: " + ", ".join(f"{n['session']} ({n['reason']})" for n in waiting)
        )
    return "\n".join(lines)


def item_text(item: dict[str, Any], total: int | None = None) -> str:
    """The summary of one item: what would land, whether it can, and what the review said."""
    where = f"[{item['position']}/{total}] " if total else f"[{item['position']}] "
    lines = [
        f"{where}{item['session']} (branch {item['branch'] or 'detached'}, priority "
        f"{item['priority']}) — {plural(item['ahead'], 'commit')}, {stat_text(item['stat'])}",
        f"  worktree: {item['path']}",
        f"  head {_short(item['head'])} on base {_short(item['base'])}; {item['behind']} behind "
        f"{item['trunk']['branch']}",
        f"  {landable_text(item['landable'])}",
    ]
    for warning in item["landable"]["warnings"]:
        lines.append(f"  note: {warning['message']}")
    counts = {k: v for k, v in item["collisions"].items() if v}
    lines.append(
        "  collisions: " + (", ".join(f"{v} {k}" for k, v in counts.items()) if counts else "none")
    )
    scope = item["scope"]
    if scope["claims"]:
        outside = scope["outside"]
        lines.append(
            f"  scope: claims {', '.join(scope['claims'])}; "
            + (f"OUTSIDE its claims: {', '.join(outside)}" if outside else "stayed inside them")
        )
    else:
        lines.append("  scope: no claims")
    lines.append(f"  review: {review_text(item['review'])}")
    if item["review"].get("notes"):
        lines.append(f"    notes: {item['review']['notes']}")
    lines.append(f"  checks: {checks_text(item.get('checks'))}")
    notes = [name for name, text in item["notes"].items() if text]
    lines.append(f"  notes: {', '.join(notes) or 'none'}")
    commits = item.get("commits", [])
    if commits:
        lines.append("  commits:")
        lines += [f"    {c['id'][:10]} {c['summary']}" for c in commits[:20]]
        if item["ahead"] > 20:
            lines.append(f"    … and {item['ahead'] - 20} more")
    files = item.get("files", [])
    if files:
        lines.append("  files:")
        width = max(len(_file_name(f)) for f in files[:50])
        for f in files[:50]:
            counts_text = "binary" if f["binary"] else f"+{f['insertions']} −{f['deletions']}"
            extra = " (uncommitted)" if f["uncommitted"] else ""
            lines.append(f"    {f['status']}  {_file_name(f).ljust(width)}  {counts_text}{extra}")
        if len(files) > 50:
            lines.append(f"    … and {len(files) - 50} more")
    since = item.get("sinceReview")
    if since and since.get("available"):
        commits = plural(len(since["commits"]), "new commit")
        how = "rewritten (rebased)" if since["rewritten"] else commits
        lines.append(f"  since review: {how}, {stat_text(since['stat'])}")
    return "\n".join(lines)


def _file_name(change: dict[str, Any]) -> str:
    if change.get("oldPath"):
        return f"{change['oldPath']} → {change['path']}"
    return str(change["path"])


def verdict_text(result: dict[str, Any]) -> str:
    verdict = result["verdict"]
    head = _short(result["head"])
    if verdict == "approved":
        line = f"approved {result['session']} at {head}"
    elif verdict == "changes-requested":
        line = f"requested changes from {result['session']} at {head}"
    else:
        line = f"skipped {result['session']} at {head}"
    if result.get("handoff"):
        line += f"; wrote the request into {result['handoff']}"
    return line


def checks_run_text(result: dict[str, Any]) -> str:
    return checks_text(result["checks"]) if result.get("checks") else result["message"]
