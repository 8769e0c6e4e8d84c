// The shapes the server sends (see docs: agentls.sessions, agentls/sessionsChanged) and
// the pure functions that turn them into labels. No `vscode` import: unit-tested in node.
import * as path from 'path';

export type CollisionKind = 'conflict' | 'overlap' | 'ownership' | 'research-write';
export const COLLISION_KINDS: readonly CollisionKind[] = ['conflict', 'overlap', 'ownership', 'research-write'];

/** One session as `agentls/sessionsChanged` summarises it. */
export interface SessionSummary {
  name: string;
  branch: string | null;
  role: string;
  priority: number;
  ahead: number;
  behind: number;
  changed: number;
  dirty: boolean;
  collisions: number;
  path: string;
}

/** Params of the `agentls/sessionsChanged` notification. */
export interface SessionsChanged {
  self: string | null;
  sessions: SessionSummary[];
  counts: Partial<Record<CollisionKind, number>>;
  total: number;
}

/** One session in the full Report JSON (agentls.sessions). */
export interface ReportSession {
  name: string;
  path: string;
  branch: string | null;
  role: string;
  head: string | null;
  base: string | null;
  dirty: boolean;
  changed: string[];
  claims: string[];
  priority: number;
  ahead: number;
  behind: number;
  missing: boolean;
  is_trunk: boolean;
}

export interface ReportCollision {
  kind: CollisionKind;
  path: string;
  sessions: string[];
  ranges: Record<string, [number, number][]>;
  detail: string[];
}

export interface Report {
  trunk: { branch: string; commit: string };
  sessions: ReportSession[];
  overlaps: ReportCollision[];
}

/** Result of `agentls.sessions` / `agentls.refresh`. */
export interface SessionsResult {
  self: string | null;
  report: Report;
}

/** A collision seen from one session: where the other side's lines are. */
export interface CollisionView {
  kind: CollisionKind;
  path: string;
  other: string;
  /** No other side (a research write): `other` is the session itself. */
  alone: boolean;
  /** Absolute path of the file in the other session's worktree. */
  otherFile: string;
  /** 1-based inclusive line ranges on the other side (may be empty: whole file). */
  otherRanges: [number, number][];
  ownRanges: [number, number][];
  detail: string[];
}

/** Collisions that involve NAME, each pointing at the other session's file and lines. */
export function collisionsOf(report: Report, name: string): CollisionView[] {
  const byName = new Map(report.sessions.map((s) => [s.name, s]));
  const views: CollisionView[] = [];
  for (const c of report.overlaps) {
    if (!c.sessions.includes(name)) {
      continue;
    }
    const found = c.sessions.find((s) => s !== name);
    const other = found ?? name;
    const otherSession = byName.get(other);
    views.push({
      kind: c.kind,
      path: c.path,
      other,
      alone: found === undefined,
      otherFile: otherSession ? path.join(otherSession.path, c.path) : c.path,
      otherRanges: c.ranges[other] ?? [],
      ownRanges: c.ranges[name] ?? [],
      detail: c.detail ?? [],
    });
  }
  // Conflicts first: they are the ones that stop a merge.
  const order = (k: CollisionKind): number => COLLISION_KINDS.indexOf(k);
  return views.sort((a, b) => order(a.kind) - order(b.kind) || a.path.localeCompare(b.path));
}

/** "40–52, 60" from [[40, 52], [60, 60]]; "" when there are no ranges. */
export function formatRanges(ranges: [number, number][]): string {
  return ranges.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(', ');
}

/** Tree label of a collision: "conflict: src/x.py ↔ billing" ("research-write: x.py" alone). */
export function collisionLabel(c: CollisionView): string {
  return c.alone ? `${c.kind}: ${c.path}` : `${c.kind}: ${c.path} ↔ ${c.other}`;
}

/** "1 collision", "2 collisions". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Tree description of a collision: the other side's lines and git's conflict kinds. */
export function collisionDescription(c: CollisionView): string {
  const parts: string[] = [];
  const lines = formatRanges(c.otherRanges);
  if (lines) {
    parts.push(`lines ${lines} there`);
  }
  if (c.detail.length) {
    parts.push(c.detail.join(', '));
  }
  return parts.join(' · ');
}

/** Tree description of a session: "feat/auth · p1 · ↑2 ↓0 · 3 changed". */
export function sessionDescription(s: SessionSummary): string {
  const parts = [s.branch ?? '(detached)', `p${s.priority}`, `↑${s.ahead} ↓${s.behind}`, `${s.changed} changed`];
  if (s.dirty) {
    parts.push('dirty');
  }
  return parts.join(' · ');
}

/** Codicon id for a session's role. */
export function roleIcon(s: { role: string }, isSelf: boolean): string {
  if (s.role === 'research') {
    return 'telescope';
  }
  if (s.role === 'trunk') {
    return 'git-commit';
  }
  return isSelf ? 'account' : 'git-branch';
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** Show the warning background: this window's session has conflicts. */
  warning: boolean;
}

/** What the status bar item shows, from the last notification (undefined: none yet). */
export function statusView(state: SessionsChanged | undefined, serverRunning: boolean, report?: Report): StatusView {
  if (!serverRunning) {
    return { text: '$(debug-disconnect) agentls', tooltip: 'AgentLS server is not running', warning: false };
  }
  if (!state) {
    return { text: '$(sync~spin) agentls', tooltip: 'AgentLS: waiting for the server', warning: false };
  }
  const me = state.self ? state.sessions.find((s) => s.name === state.self) : undefined;
  const name = state.self ?? 'no session';
  const mine = me ? me.collisions : state.total;
  // Warn about conflicts of THIS session (from the report when there is one); the
  // notification only counts kinds for the whole repository.
  const conflicts = report && state.self
    ? collisionsOf(report, state.self).filter((c) => c.kind === 'conflict').length
    : mine > 0 ? (state.counts.conflict ?? 0) : 0;
  const icon = conflicts > 0 ? '$(warning)' : mine > 0 ? '$(info)' : '$(check)';
  const text = `${icon} ${name} · ${mine} ${mine === 1 ? 'collision' : 'collisions'}`;
  const counts = COLLISION_KINDS.map((k) => `${k}: ${state.counts[k] ?? 0}`).join(', ');
  const tooltip =
    `AgentLS — this window: ${name}\n${state.sessions.length} sessions; ${state.total} collisions in the ` +
    `repository (${counts}).\nClick to open the Sessions view.`;
  return { text, tooltip, warning: conflicts > 0 };
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The server's session-name rule, checked while typing; undefined when NAME is valid. */
export function nameProblem(name: string): string | undefined {
  if (!NAME_PATTERN.test(name) || name.includes('..')) {
    return "1-64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit";
  }
  return undefined;
}

/** Claims typed as "auth/**, docs/*.md" -> ["auth/**", "docs/*.md"] (deduplicated, in order). */
export function parseGlobs(input: string): string[] {
  const seen = new Set<string>();
  for (const part of input.split(/[,\s]+/)) {
    const glob = part.trim();
    if (glob) {
      seen.add(glob);
    }
  }
  return [...seen];
}

/** Sessions ordered for a picker: this window's session first, then by priority and name. */
export function pickOrder<T extends { name: string; priority: number }>(sessions: T[], self: string | null): T[] {
  return [...sessions].sort(
    (a, b) =>
      Number(b.name === self) - Number(a.name === self) || a.priority - b.priority || a.name.localeCompare(b.name),
  );
}

/** A readable one-line message for a land result: the server's, else one built from the trunk move. */
export function landMessage(result: LandResult): string {
  if (result.message) {
    return result.message;
  }
  if (!result.ok) {
    return `could not land ${result.session}`;
  }
  const moved = result.trunk && result.trunk.old !== result.trunk.new;
  return `landed ${result.session}${moved ? ` (trunk ${short(result.trunk?.old)} → ${short(result.trunk?.new)})` : ''}`;
}

export interface LandResult {
  ok: boolean;
  session: string;
  steps?: unknown[];
  message?: string;
  trunk?: { old?: string | null; new?: string | null };
  handoff?: string;
  output?: string;
}

function short(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 8) : '?';
}

/** Session summaries derived from a full report (used before the first notification). */
export function summariesFromReport(report: Report): SessionSummary[] {
  return report.sessions.map((s) => ({
    name: s.name,
    branch: s.branch,
    role: s.is_trunk ? 'trunk' : s.role,
    priority: s.priority,
    ahead: s.ahead,
    behind: s.behind,
    changed: s.changed.length,
    dirty: s.dirty,
    collisions: report.overlaps.filter((c) => c.sessions.includes(s.name)).length,
    path: s.path,
  }));
}

/**
 * Every collision in the report once, seen from SELF when SELF is involved (so the
 * "other side" is the other session), else from the first session named.
 */
export function allCollisions(report: Report, self: string | null): CollisionView[] {
  const seen = new Set<ReportCollision>();
  const views: CollisionView[] = [];
  const viewers = [...(self ? [self] : []), ...report.sessions.map((s) => s.name)];
  for (const viewer of viewers) {
    for (const view of collisionsOf(report, viewer)) {
      const original = report.overlaps.find(
        (c) => c.kind === view.kind && c.path === view.path && c.sessions.includes(viewer) && c.sessions.includes(view.other),
      );
      if (original && !seen.has(original)) {
        seen.add(original);
        views.push(view);
      }
    }
  }
  return views;
}

/**
 * The sessions to show: the notification's summaries (fresher) when there are any, else
 * the report's; the trunk session gets role "trunk" (the notification does not mark it).
 */
export function sessionList(summary: SessionsChanged | undefined, report: Report | undefined): SessionSummary[] {
  const sessions = summary?.sessions ?? (report ? summariesFromReport(report) : []);
  const trunk = report?.sessions.find((s) => s.is_trunk)?.name;
  return sessions.map((s) => (s.name === trunk && s.role !== 'trunk' ? { ...s, role: 'trunk' } : s));
}
