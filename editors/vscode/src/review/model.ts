// The review sweep's shapes (docs/review.md: agentls.review.queue, .item, .verdict,
// .runChecks, agentls/reviewChanged) and the words VS Code shows for them: review
// states, landability, diffstats, scope, checks. One home for the wording, shared by
// the Review view, the Sessions view and the messages. No `vscode` import: unit-tested.
import * as path from 'path';
import { COLLISION_KINDS, COUNTED_KIND, CollisionKind, ReportCollision } from '../model';
import { listText } from '../refusals';
import { plural } from '../common/words';

export type ReviewStateName = 'unreviewed' | 'approved' | 'changes-requested' | 'skipped';
export type Verdict = 'approved' | 'changes-requested' | 'skipped';

/** An item's `review`: the latest verdict and whether it still holds for the current head. */
export interface ReviewStatus {
  state: ReviewStateName | string;
  approved: boolean;
  current: boolean;
  changedSinceReview: boolean;
  rebasedSinceReview?: boolean;
  verdict?: string;
  head?: string;
  base?: string | null;
  reviewer?: string;
  time?: number;
  notes?: string | null;
}

/** One landability finding: a stable code, its data and a neutral sentence. */
export interface Finding {
  code: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface Landable {
  now: boolean;
  blockers: Finding[];
  warnings: Finding[];
  conflicts?: { trunk: string[]; earlier: { session: string; paths: string[] }[] };
}

export interface Stat {
  files: number;
  insertions: number;
  deletions: number;
}

export interface CheckResult {
  kind: string;
  command: string;
  ok: boolean;
  exitCode?: number | null;
  seconds?: number | null;
  summary?: string | null;
  output?: string | null;
}

/** The last build/test run on exactly a head's tree. */
export interface Checks {
  tree?: string;
  ok: boolean;
  source?: string;
  session?: string;
  time?: number;
  results: CheckResult[];
}

/** One queued session (`agentls.review.queue`'s items). */
export interface QueueEntry {
  session: string;
  position: number;
  branch: string | null;
  path: string;
  priority: number;
  head: string | null;
  base: string | null;
  tree?: string | null;
  ahead: number;
  behind: number;
  dirty: boolean;
  stat: Stat;
  landable: Landable;
  collisions: Partial<Record<CollisionKind, number>>;
  scope: { claims: string[]; outside: string[] };
  review: ReviewStatus;
  checks: Checks | null;
  notes: Record<string, boolean | string | null>;
}

export interface ReviewQueue {
  ok: boolean;
  order: string;
  trunk: { branch: string; commit: string | null };
  requireReview: boolean;
  configError?: string;
  items: QueueEntry[];
  notQueued: { session: string; reason: string }[];
}

/** One file of an item: git's status letter, the old path of a rename, line counts. */
export interface ItemFile {
  path: string;
  status: string;
  oldPath: string | null;
  insertions: number;
  deletions: number;
  binary: boolean;
  uncommitted: boolean;
}

export interface ItemCommit {
  id: string;
  summary: string;
  message?: string;
  author?: string;
  email?: string;
  time?: number;
}

export interface SinceReview {
  from: string;
  to: string | null;
  available: boolean;
  rewritten?: boolean;
  commits?: ItemCommit[];
  files?: ItemFile[];
  stat?: Stat;
}

/** `agentls.review.item`'s item: the queue entry and what would land, in full. */
export interface ReviewItem extends QueueEntry {
  trunk: { branch: string; commit: string | null };
  requireReview: boolean;
  snapshot?: string | null;
  commits: ItemCommit[];
  files: ItemFile[];
  collisionList: ReportCollision[];
  sinceReview: SinceReview | null;
  history?: ReviewStatus[];
}

/** One entry of `agentls/reviewChanged` (and of the report's `review` list). */
export interface ReviewChangedEntry {
  session: string;
  head: string | null;
  state: string;
  approved: boolean;
  changedSinceReview: boolean;
  reviewedHead?: string | null;
  reviewer?: string | null;
  time?: number | null;
}

/** `agentls.review.verdict`'s answer; `land` when it was asked to land too. */
export interface VerdictResult {
  ok: boolean;
  session: string;
  verdict: Verdict;
  head: string;
  review?: ReviewStatus;
  handoff?: string | null;
  land?: unknown;
}

export interface RunChecksResult {
  ok: boolean;
  session: string;
  head: string;
  checks: Checks | null;
  message?: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The `agentls/reviewChanged` params' sessions, or undefined when they are not that shape. */
export function reviewChangedEntries(params: unknown): ReviewChangedEntry[] | undefined {
  if (!isObject(params) || !Array.isArray(params.sessions)) {
    return undefined;
  }
  return params.sessions.filter((s): s is ReviewChangedEntry => isObject(s) && typeof s.session === 'string' && typeof s.state === 'string');
}

/** 8-character commit ids in text a person reads (what the Neovim review shows). */
export function short(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 8) : '?';
}

/** "5m ago" for a Unix time (seconds). */
export function ago(time: number | null | undefined, now = Date.now() / 1000): string {
  if (typeof time !== 'number') {
    return '';
  }
  const seconds = Math.max(0, now - time);
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= size) {
      return `${Math.floor(seconds / size)}${unit} ago`;
    }
  }
  return 'just now';
}

/** The part of a review state the labels need (an item's `review` or a reviewChanged entry). */
export type StateLike = Pick<ReviewStatus, 'state' | 'changedSinceReview'> & { rebasedSinceReview?: boolean };

/** What a review state is called everywhere: a verdict on an older head is "changed since review". */
export function reviewStateLabel(review: StateLike | undefined): string {
  const state = review?.state ?? 'unreviewed';
  if (state !== 'unreviewed' && review?.changedSinceReview) {
    return 'changed since review';
  }
  switch (state) {
    case 'approved':
      return '✓ approved';
    case 'changes-requested':
      return 'changes requested';
    case 'skipped':
      return 'skipped';
    default:
      return 'not reviewed';
  }
}

/** A codicon and a theme colour for a review state. */
export function reviewStateIcon(review: StateLike | undefined): [string, string | undefined] {
  const state = review?.state ?? 'unreviewed';
  if (state !== 'unreviewed' && review?.changedSinceReview) {
    return ['history', 'list.warningForeground'];
  }
  switch (state) {
    case 'approved':
      return ['pass-filled', 'testing.iconPassed'];
    case 'changes-requested':
      return ['comment-discussion', 'list.warningForeground'];
    case 'skipped':
      return ['debug-step-over', undefined];
    default:
      return ['circle-large-outline', undefined];
  }
}

/** A word for the Sessions view's row ("✓ approved"), or "" when never reviewed. */
export function sessionReviewWord(review: StateLike | undefined): string {
  if (!review || review.state === 'unreviewed') {
    return '';
  }
  return reviewStateLabel(review);
}

const VERDICT_WORDS: Record<string, string> = { approved: 'approved', 'changes-requested': 'changes requested', skipped: 'skipped' };

/** "approved by Rita <r@x> 5m ago"; "… at 3e980feb; changed since review"; "not reviewed". */
export function reviewSentence(review: ReviewStatus | undefined, now?: number): string {
  const state = review?.state ?? 'unreviewed';
  if (!review || state === 'unreviewed') {
    return 'not reviewed';
  }
  const when = ago(review.time, now);
  let text = `${VERDICT_WORDS[state] ?? state}${review.reviewer ? ` by ${review.reviewer}` : ''}${when ? ` ${when}` : ''}`;
  if (review.rebasedSinceReview) {
    text += ' (rebased since: the same change)';
  } else if (review.changedSinceReview) {
    text += ` at ${short(review.head)}; changed since review`;
  }
  return text;
}

// Blockers in a word or two, for one-line rows.
const BLOCKER_WORDS: Record<string, string> = {
  uncommitted: 'uncommitted work',
  'nothing-to-land': 'nothing to land',
  detached: 'detached HEAD',
  'operation-in-progress': 'operation in progress',
};

/** "landable" or "blocked: uncommitted work, conflicts with main". */
export function landableText(landable: Landable | undefined, trunk = 'trunk'): string {
  if (!landable || landable.now) {
    return 'landable';
  }
  const words = (landable.blockers ?? []).map((b) => {
    if (b.code === 'trunk-conflict') {
      return `conflicts with ${trunk}`;
    }
    if (b.code === 'operation-in-progress' && typeof b.data?.operation === 'string') {
      return `${b.data.operation} in progress`;
    }
    return BLOCKER_WORDS[b.code] ?? b.message ?? b.code;
  });
  return `blocked: ${words.length ? words.join(', ') : '?'}`;
}

/** "3 files +12 -4". */
export function statText(stat: Stat | undefined): string {
  const s = stat ?? { files: 0, insertions: 0, deletions: 0 };
  return `${plural(s.files, 'file')} +${s.insertions} -${s.deletions}`;
}

/** "1 conflict, 2 overlaps" or "no collisions". */
export function collisionCountsText(counts: Partial<Record<CollisionKind, number>> | undefined): string {
  const parts = COLLISION_KINDS.filter((k) => (counts?.[k] ?? 0) > 0).map((k) => plural(counts?.[k] ?? 0, COUNTED_KIND[k]));
  return parts.length ? parts.join(', ') : 'no collisions';
}

/** "no claims", "in its claims", "2 files outside its claims". */
export function scopeText(scope: QueueEntry['scope'] | undefined): string {
  if (!scope || scope.claims.length === 0) {
    return 'no claims';
  }
  return scope.outside.length ? `${plural(scope.outside.length, 'file')} outside its claims` : 'in its claims';
}

/** "checks passed", "checks FAILED", "no checks". */
export function checksText(checks: Checks | null | undefined): string {
  if (!checks) {
    return 'no checks';
  }
  return checks.ok ? 'checks passed' : 'checks FAILED';
}

/** "passed (from a land, 5m ago): test: pytest -q passed"; "no build/test result for this tree". */
export function checksSentence(checks: Checks | null | undefined, now?: number): string {
  if (!checks) {
    return 'no build/test result for this tree';
  }
  const where = checks.source === 'land' ? 'from a land' : 'run from a review';
  const when = ago(checks.time, now);
  const results = (checks.results ?? []).map((r) => r.summary || `${r.kind}: ${r.command} ${r.ok ? 'passed' : 'failed'}`);
  return `${checks.ok ? 'passed' : 'FAILED'} (${where}${when ? `, ${when}` : ''})${results.length ? `: ${results.join('; ')}` : ''}`;
}

/**
 * An entry in one line, for the Review view's message and tooltips:
 * "landable · 3 files +3 -1 · no collisions · in its claims · no checks".
 */
export function entrySummary(entry: QueueEntry, trunk = 'trunk'): string {
  return [landableText(entry.landable, trunk), statText(entry.stat), collisionCountsText(entry.collisions), scopeText(entry.scope), checksText(entry.checks)].join(' · ');
}

/** The Review view's row description, short for the sidebar: "✓ approved · landable". */
export function entryDescription(entry: QueueEntry): string {
  const landable = entry.landable?.now ? 'landable' : 'blocked';
  return `${reviewStateLabel(entry.review)} · ${landable} · ${statText(entry.stat)}`;
}

/** An entry's tooltip (Markdown): every fact of the queue entry. */
export function entryTooltip(entry: QueueEntry, trunk = 'trunk', now?: number): string {
  const lines = [
    `**${entry.session}** — ${entry.position}. in the sweep`,
    '',
    `branch ${entry.branch ?? '(detached)'} · priority ${entry.priority} · head ${short(entry.head)} on base ${short(entry.base)}, ${entry.behind} behind ${trunk}`,
    '',
    `Review: ${reviewSentence(entry.review, now)}`,
    '',
    `Landable: ${entry.landable?.now ? 'now' : landableText(entry.landable, trunk)}`,
  ];
  for (const finding of [...(entry.landable?.blockers ?? []), ...(entry.landable?.warnings ?? [])]) {
    lines.push(`- ${finding.message}`);
  }
  lines.push('', `${statText(entry.stat)} · ${collisionCountsText(entry.collisions)}`);
  lines.push('', `Scope: ${scopeText(entry.scope)}${entry.scope?.outside.length ? ` (${listText(entry.scope.outside)})` : ''}`);
  lines.push('', `Checks: ${checksSentence(entry.checks, now)}`);
  return lines.join('\n');
}

/** A file's row label: its name. */
export function fileLabel(file: ItemFile): string {
  return path.posix.basename(file.path);
}

const STATUS_WORDS: Record<string, string> = { A: 'added', M: 'modified', D: 'deleted', R: 'renamed', T: 'type changed', C: 'copied' };

/** A file's row description: "app · M +1 -1", "docs · R from docs/old.md", "uncommitted". */
export function fileDescription(file: ItemFile): string {
  const dir = path.posix.dirname(file.path);
  const parts = [dir === '.' ? '' : dir];
  const counts = file.binary ? 'binary' : `+${file.insertions} -${file.deletions}`;
  parts.push(`${file.status.charAt(0)} ${counts}`);
  if (file.oldPath && file.oldPath !== file.path) {
    parts.push(`from ${file.oldPath}`);
  }
  if (file.uncommitted) {
    parts.push('uncommitted');
  }
  return parts.filter(Boolean).join(' · ');
}

/** A file's tooltip: what happened to it and what a click shows. */
export function fileTooltip(file: ItemFile, session: string): string {
  const what = STATUS_WORDS[file.status.charAt(0)] ?? file.status;
  const from = file.oldPath && file.oldPath !== file.path ? ` (from ${file.oldPath})` : '';
  const uncommitted = file.uncommitted ? '\nNot committed yet: it would not land as it is.' : '';
  return `${file.path}: ${what}${from}, ${file.binary ? 'binary' : `+${file.insertions} -${file.deletions}`}${uncommitted}\nClick to compare its base version with ${session}'s current one.`;
}

/** A commit row: "1a2b3c4d  auth: tune settings". */
export function commitLabel(commit: ItemCommit): string {
  return `${short(commit.id)}  ${commit.summary}`;
}

/** What the person is told once a verdict is recorded. */
export function verdictMessage(result: VerdictResult): string {
  const at = short(result.head);
  switch (result.verdict) {
    case 'approved':
      return `Approved ${result.session} at ${at}.`;
    case 'changes-requested':
      return `Requested changes from ${result.session} at ${at}${result.handoff ? `; the notes are in its HANDOFF.md with a resume prompt for its agent` : ''}.`;
    default:
      return `Skipped ${result.session} at ${at}.`;
  }
}

/** The reasons `notQueued` gives, in words. */
export function notQueuedText(reason: string): string {
  const words: Record<string, string> = {
    trunk: 'trunk',
    research: 'research fork',
    missing: 'folder gone',
    'no-commits': 'no commits',
    'nothing-to-review': 'nothing to review',
  };
  return words[reason] ?? reason;
}

/** Whether the reviewer still has to decide about ENTRY: no verdict that holds for its head. */
export function needsDecision(entry: Pick<QueueEntry, 'review'>): boolean {
  const r = entry.review;
  return !(r && r.current && (r.state === 'approved' || r.state === 'changes-requested'));
}

/** What removing ENTRY throws away (kept in a backup ref): "2 commits main lacks and uncommitted work". */
export function removalWork(entry: Pick<QueueEntry, 'ahead' | 'dirty'>, trunk = 'trunk'): string {
  const parts: string[] = [];
  if (entry.ahead > 0) {
    parts.push(`${plural(entry.ahead, 'commit')} ${trunk} lacks`);
  }
  if (entry.dirty) {
    parts.push('uncommitted work');
  }
  return parts.join(' and ');
}
