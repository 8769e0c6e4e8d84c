// The walk through the queue ("sweep left to right, oldest to newest"): where it
// starts, what comes next after a verdict or Next, what it says at the end, and the
// question before Approve & Land when the land's dry run cannot answer yet. No
// `vscode` import: unit-tested in node.
import { PlanView } from '../landPlan';
import { listText } from '../refusals';
import { needsDecision, QueueEntry, ReviewItem, short, Verdict } from './model';

/** What became of a session in a sweep: a verdict, landed, removed, or passed with Next. */
export type Decision = Verdict | 'landed' | 'removed' | 'next';

/** Where a sweep starts: the first session still waiting for a decision, else the first. */
export function startOf(items: QueueEntry[]): QueueEntry | undefined {
  return items.find(needsDecision) ?? items[0];
}

/**
 * The next session of a sweep: the first in the queue's (fresh) order not looked at yet
 * in this sweep. Sessions that landed or left the queue are simply not there any more;
 * a session that joined it is reviewed in its turn.
 */
export function nextOf(items: QueueEntry[], visited: ReadonlySet<string>): QueueEntry | undefined {
  return items.find((entry) => !visited.has(entry.session));
}

/** How the sweep went, said at its end: "approved feat-a; requested changes from feat-b". */
export function sweepSummary(decisions: ReadonlyMap<string, Decision>): string {
  const by = (what: string): string[] => [...decisions].filter(([, v]) => v === what).map(([s]) => s);
  const parts: string[] = [];
  const landed = by('landed');
  const approved = by('approved');
  const requested = by('changes-requested');
  const skipped = by('skipped');
  const passed = by('next');
  const removed = by('removed');
  if (landed.length) {
    parts.push(`approved and landed ${listText(landed)}`);
  }
  if (approved.length) {
    parts.push(`approved ${listText(approved)}`);
  }
  if (requested.length) {
    parts.push(`requested changes from ${listText(requested)}`);
  }
  if (skipped.length) {
    parts.push(`skipped ${listText(skipped)}`);
  }
  if (removed.length) {
    parts.push(`removed ${listText(removed)}`);
  }
  if (passed.length) {
    parts.push(`left ${listText(passed)} without a verdict`);
  }
  return parts.length ? `${parts.join('; ')}.` : 'no verdicts given.';
}

/**
 * The question before Approve & Land when the land's dry run is refused until the
 * approval exists (require-review): what the review item says would land.
 */
export function itemPlanView(item: ReviewItem): PlanView {
  const trunk = item.trunk?.branch ?? 'trunk';
  const branch = item.branch ?? item.session;
  const lines = [`${item.ahead} commit${item.ahead === 1 ? '' : 's'} of ${branch}:`];
  for (const c of item.commits.slice(0, 20)) {
    lines.push(`   ${short(c.id)}  ${c.summary}`);
  }
  if (item.commits.length > 20) {
    lines.push(`   … and ${item.commits.length - 20} more`);
  }
  lines.push('');
  lines.push(item.behind > 0 ? `1. Rebase them onto ${trunk} (${short(item.trunk?.commit)}).` : `1. No rebase: ${branch} is already on ${trunk}.`);
  lines.push(`2. Run ${trunk}'s build and test commands on the result (the land lists them once the approval is recorded: reviews gate landing here).`);
  lines.push(`3. ${trunk} moves forward to ${branch}; a backup ref keeps its current head, and a failure leaves ${trunk} where it is.`);
  for (const w of item.landable?.warnings ?? []) {
    lines.push(w.message);
  }
  const conflicts = item.landable?.conflicts?.trunk ?? [];
  if (conflicts.length) {
    lines.push('', `Predicted conflicts with ${trunk}: ${listText(conflicts)}. The rebase would stop there and ${trunk} would not move.`);
  }
  return {
    message: `Approve ${item.session} at ${short(item.head)} and land it onto ${trunk}?`,
    detail: lines.join('\n'),
    confirm: 'Approve & Land',
    conflicts,
  };
}

/** The land's own plan (from its dry run), asked as "approve and land". */
export function approveLandView(plan: PlanView, session: string, head: string | null, trunk: string): PlanView {
  const message = plan.conflicts.length
    ? `Approve ${session} at ${short(head)}? Landing it would conflict with ${trunk}`
    : `Approve ${session} at ${short(head)} and land it onto ${trunk}?`;
  return { ...plan, message, confirm: plan.conflicts.length ? 'Approve & Land Anyway' : 'Approve & Land' };
}
