// What "Land" and "Land All" ask before acting: the plan from the server's dry run
// (nothing changes, no build or tests run), worded for a modal dialog; and the
// one-line outcome afterwards. No `vscode` import: unit-tested in node.
import { CommitLine } from './common/git';
import { describeRefusal, listText, plainText } from './refusals';
import { plural } from './common/words';

export interface LandStep {
  step: string;
  status: string;
  detail: string;
}

/** `agentls.session.land {dryRun: true}`. */
export interface LandDryRun {
  ok: boolean;
  dryRun?: boolean;
  session: string;
  steps?: LandStep[];
  message?: string;
  conflicts?: string[];
  trunk?: { old?: string | null; new?: string | null };
  recovery?: string[];
  error?: unknown;
}

/** `agentls.session.land` (it ran). */
export interface LandResult {
  ok: boolean;
  session: string;
  steps?: LandStep[];
  message?: string;
  trunk?: { old?: string | null; new?: string | null };
  backup?: string | null;
  handoff?: string | null;
  output?: string;
  error?: unknown;
}

/** One row of `agentls.session.landAll`'s results. */
export interface LandAllRow {
  session: string;
  ok: boolean;
  skipped?: boolean;
  message: string;
  handoff?: string | null;
  error?: unknown;
}

/** `agentls.session.landAll` (with or without dryRun). */
export interface LandAllResult {
  ok: boolean;
  dryRun?: boolean;
  plan?: string[];
  results: LandAllRow[];
  trunk?: { branch?: string; commit?: string };
  /** Sessions left out because reviews gate landing and their heads are not approved. */
  waiting?: { session: string; reason: string }[];
  error?: unknown;
}

export interface PlanContext {
  branch: string | null;
  trunkBranch: string;
  /** Commits of the branch trunk lacks (newest first); may be fewer than `ahead`. */
  commits: CommitLine[];
  ahead: number;
  behind: number;
}

export interface PlanView {
  /** The modal's message (its first line). */
  message: string;
  /** The modal's detail: the plan, several lines. */
  detail: string;
  /** The button that goes ahead ("Land", or "Land Anyway" when it would conflict). */
  confirm: string;
  conflicts: string[];
}

/** 12-character commit ids in text a person reads. */
export function short(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 12) : '?';
}

/** The build/test commands a dry run lists ("run `pytest -q`"), as [kind, command]. */
export function planCommands(steps: LandStep[] | undefined): [string, string][] {
  const found: [string, string][] = [];
  for (const s of steps ?? []) {
    const m = /^run `(.*)`$/.exec(s.detail ?? '') ?? /^run (.*)$/.exec(s.detail ?? '');
    if (m && s.step !== 'lock' && s.step !== 'backup' && s.step !== 'rebase' && s.step !== 'fast-forward') {
      found.push([s.step, m[1]]);
    }
  }
  return found;
}

/** The modal for landing one session, from its dry run and the commits git lists. */
export function landPlanView(dry: LandDryRun, ctx: PlanContext): PlanView {
  const session = dry.session;
  const branch = ctx.branch ?? session;
  const trunk = ctx.trunkBranch;
  const base = short(dry.trunk?.old);
  const lines: string[] = [];
  lines.push(`${plural(ctx.ahead, 'commit')} of ${branch}:`);
  for (const c of ctx.commits) {
    lines.push(`   ${c.hash}  ${c.subject}`);
  }
  if (ctx.commits.length < ctx.ahead) {
    lines.push(`   … and ${ctx.ahead - ctx.commits.length} more`);
  }
  lines.push('');
  lines.push(ctx.behind > 0 ? `1. Rebase them onto ${trunk} (${base}).` : `1. No rebase: ${branch} is already on ${trunk} (${base}).`);
  const commands = planCommands(dry.steps);
  if (commands.length) {
    lines.push(`2. Run the checks on the result:`);
    for (const [kind, command] of commands) {
      lines.push(`   ${kind}: ${command}`);
    }
  } else {
    lines.push('2. No build or test command is configured (the [land] table of .agentls.toml).');
  }
  const head = ctx.commits[0]?.hash;
  lines.push(
    ctx.behind > 0
      ? `3. ${trunk} moves forward to the rebased ${branch}: ${trunk}'s new tip is the rebased ${head ?? 'head'}.`
      : `3. ${trunk} fast-forwards to ${head ?? branch}: that becomes ${trunk}'s new tip.`,
  );
  lines.push(`A backup ref keeps ${branch}'s current head; a failure leaves ${trunk} where it is.`);
  for (const note of dry.recovery ?? []) {
    lines.push(plainText(note));
  }
  const conflicts = dry.conflicts ?? [];
  if (conflicts.length) {
    lines.push('');
    lines.push(`Predicted conflicts with ${trunk}: ${listText(conflicts)}. The rebase would stop there and ${trunk} would not move.`);
    return { message: `Landing ${session} would conflict with ${trunk}`, detail: lines.join('\n'), confirm: 'Land Anyway', conflicts };
  }
  return { message: `Land ${session} onto ${trunk}?`, detail: lines.join('\n'), confirm: 'Land', conflicts };
}

/** A dry run's message without its "dry run: " prefix and the session's name it starts with. */
function dryMessage(message: string, session: string): string {
  const text = message.replace(/^dry run:\s*/, '');
  return plainText(text.startsWith(`${session} `) ? text.slice(session.length + 1) : text);
}

/** A conflict the report predicts between two sessions: [one, other, path]. */
export type ConflictPair = [string, string, string];

/**
 * The modal for Land All, from `landAll {dryRun: true}` (or the same shape built from
 * each session's dry run). Each dry run is against trunk as it is now, so conflicts
 * between the planned sessions (from the report) are said too: the later one stops.
 */
export function landAllPlanView(dry: LandAllResult, trunkBranch: string, conflicts: ConflictPair[] = []): PlanView | undefined {
  const order = dry.plan ?? dry.results.map((r) => r.session);
  const waiting = (dry.waiting ?? []).map((w) => w.session);
  if (order.length === 0) {
    return undefined;
  }
  const bySession = new Map(dry.results.map((r) => [r.session, r]));
  const lines: string[] = [];
  order.forEach((name, i) => {
    const row = bySession.get(name);
    const mark = !row ? '·' : row.ok ? '✓' : '✗';
    const why = row ? (row.ok ? dryMessage(row.message, name) : describeRefusal(row.error ?? {}, dryMessage(row.message, name)).text) : '';
    lines.push(`${i + 1}. ${mark} ${name}${why ? ` — ${why}` : ''}`);
  });
  const failing = dry.results.filter((r) => !r.ok).map((r) => r.session);
  const seen = new Set<string>();
  for (const [a, b, file] of conflicts) {
    const [first, second] = order.indexOf(a) < order.indexOf(b) ? [a, b] : [b, a];
    const key = `${first}\n${second}`;
    if (order.includes(a) && order.includes(b) && !seen.has(key)) {
      seen.add(key);
      lines.push(`${second} conflicts with ${first} in ${file}: once ${first} lands, ${second} stops there.`);
    }
  }
  if (waiting.length) {
    lines.push(`Waiting for an approval (reviews gate landing here): ${listText(waiting)}.`);
  }
  lines.push('');
  lines.push(
    `Each is rebased onto ${trunkBranch} as the one before left it, checked, and ${trunkBranch} fast-forwards; ` +
      'sessions that overlap one that fails are skipped. Each keeps a backup ref.',
  );
  const message =
    `Land ${plural(order.length, 'session')} onto ${trunkBranch} in this order?` +
    (failing.length ? ` (${listText(failing)} would not land as things stand)` : '');
  return { message, detail: lines.join('\n'), confirm: 'Land All', conflicts: failing };
}

/** The one-line outcome of a land that ran. */
export function landOutcome(result: LandResult, trunkBranch: string): string {
  if (result.ok) {
    const moved = result.trunk?.old && result.trunk?.new && result.trunk.old !== result.trunk.new;
    return moved
      ? `Landed ${result.session}: ${trunkBranch} moved from ${short(result.trunk?.old)} to ${short(result.trunk?.new)}.`
      : `Landed ${result.session}.`;
  }
  if (result.error) {
    return describeRefusal(result.error, result.message).text;
  }
  const why = plainText(stripLanded(result.message ?? ''));
  return why ? `Landing ${result.session} failed: ${why}` : `Landing ${result.session} failed; ${trunkBranch} did not move.`;
}

/** "landed api: landed api: …" from some servers: one prefix is enough. */
function stripLanded(message: string): string {
  return message.replace(/^(landed [^:]+: )+/, '');
}

/** The one-line outcome of Land All. */
export function landAllOutcome(result: LandAllResult): string {
  const landed = result.results.filter((r) => r.ok).map((r) => r.session);
  const skipped = result.results.filter((r) => !r.ok && r.skipped).map((r) => r.session);
  const failed = result.results.filter((r) => !r.ok && !r.skipped).map((r) => r.session);
  const parts = [landed.length ? `Landed ${listText(landed, 10)}` : 'Nothing landed'];
  if (failed.length) {
    parts.push(`${listText(failed, 10)} did not land`);
  }
  if (skipped.length) {
    parts.push(`skipped ${listText(skipped, 10)} (${skipped.length === 1 ? 'it overlaps' : 'they overlap'} one that failed)`);
  }
  const waiting = (result.waiting ?? []).map((w) => w.session);
  if (waiting.length) {
    parts.push(`${listText(waiting, 10)} ${waiting.length === 1 ? 'waits' : 'wait'} for an approval`);
  }
  return `${parts.join('; ')}.`;
}

/** True when a failed land had already rebased the branch (so restoring its backup undoes that). */
export function branchMoved(result: LandResult): boolean {
  return Boolean(result.backup) && (result.steps ?? []).some((s) => s.step === 'rebase' && s.status === 'done');
}
