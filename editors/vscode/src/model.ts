// The shapes the server sends (docs/server.md: agentls.sessions, agentls/sessionsChanged)
// and the pure functions that turn them into labels. No `vscode` import: unit-tested in node.
import * as path from 'path';
import { SemanticCheck, semanticDescription, semanticTooltip } from './semantic';
import { plural } from './common/words';

export type CollisionKind = 'conflict' | 'overlap' | 'ownership' | 'research-write' | 'semantic';
export const COLLISION_KINDS: readonly CollisionKind[] = ['conflict', 'overlap', 'ownership', 'research-write', 'semantic'];
/** A kind as counted in a summary: "2 conflicts", "1 research write", "3 semantic conflicts". */
export const COUNTED_KIND: Record<CollisionKind, string> = {
  conflict: 'conflict',
  overlap: 'overlap',
  ownership: 'ownership collision',
  'research-write': 'research write',
  semantic: 'semantic conflict',
};

/** Where a remote session lives (role "remote": a branch pushed by a cloud agent or a
 * teammate, or their published uncommitted work; docs/remote.md). */
export interface RemoteInfo {
  remote: string;
  branch: string;
  ref?: string;
  committed?: number;
  author?: string;
  wip?: boolean;
  user?: string | null;
  session?: string | null;
}

/** One session as `agentls/sessionsChanged` summarises it (older servers send fewer fields). */
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
  claims?: string[];
  counts?: Partial<Record<CollisionKind, number>>;
  missing?: boolean;
  is_trunk?: boolean;
  landed?: boolean;
  remote?: RemoteInfo | null;
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
  landed?: boolean;
  remote?: RemoteInfo | null;
}

export interface ReportCollision {
  kind: CollisionKind;
  path: string;
  sessions: string[];
  ranges: Record<string, [number, number][]>;
  detail: string[];
  via?: string;
  /** Sessions whose file for this collision is at another path (name -> path). */
  paths?: Record<string, string>;
  /** A semantic conflict's check (kind `semantic` only): see ./semantic.ts. */
  semantic?: SemanticCheck;
}

export interface Report {
  trunk: { branch: string; commit: string };
  sessions: ReportSession[];
  overlaps: ReportCollision[];
}

/** Result of `agentls.sessions` / `agentls.refresh` (`report` null when the server idles). */
export interface SessionsResult {
  self: string | null;
  report: Report | null;
  error?: string;
}

/** A collision seen from one session: where the other side's lines are. */
export interface CollisionView {
  kind: CollisionKind;
  path: string;
  /** The session this collision is seen from. */
  session: string;
  other: string;
  /** No other side (a research write): `other` is the session itself. */
  alone: boolean;
  /** Absolute path of the file in the other session's worktree. */
  otherFile: string;
  /** 1-based inclusive line ranges on the other side (may be empty: whole file). */
  otherRanges: [number, number][];
  ownRanges: [number, number][];
  detail: string[];
  /** "trunk" when the conflict comes from work already on trunk. */
  via?: string;
  /** For ownership: this session changed the other's claim ("writer"), or the other changed this one's ("owner"). */
  side?: 'writer' | 'owner';
  /** A semantic conflict's check (kind `semantic`); `path` is then this session's own file. */
  semantic?: SemanticCheck;
}

/**
 * Whether NAME's own work collides: a collision that involves it and is not labelled as
 * coming from trunk's work. A session landed and kept open sits at trunk's tip, so every
 * conflict trunk has with another session shows on it again, "already on trunk": its row
 * stays folded and calm, since trunk's row (and the other session's) already say it.
 */
export function ownWorkCollides(report: Report, name: string): boolean {
  return report.overlaps.some((c) => c.sessions.includes(name) && c.via !== 'trunk');
}

/** Collisions that involve NAME, each pointing at the other session's file and lines. */
export function collisionsOf(report: Report, name: string): CollisionView[] {
  const byName = new Map(report.sessions.map((s) => [s.name, s]));
  const views: CollisionView[] = [];
  for (const c of report.overlaps) {
    if (!c.sessions.includes(name)) {
      continue;
    }
    // A session in `paths` has the file at another path: a rename's collision is listed
    // again there (docs/concepts.md), so it is seen once, in the file it has. A semantic
    // conflict is listed once; `paths` names each session's own file.
    const own = c.paths?.[name];
    if (own !== undefined && c.kind !== 'semantic') {
      continue;
    }
    const found = c.sessions.find((s) => s !== name);
    const other = found ?? name;
    const otherSession = byName.get(other);
    views.push({
      kind: c.kind,
      path: own ?? c.path,
      session: name,
      other,
      alone: found === undefined,
      // A remote session has no folder here: '' (its version opens through the server).
      otherFile: otherSession?.remote ? '' : otherSession ? path.join(otherSession.path, c.paths?.[other] ?? c.path) : c.path,
      otherRanges: c.ranges[other] ?? [],
      ownRanges: c.ranges[name] ?? [],
      detail: c.detail ?? [],
      via: c.via ?? (otherSession?.is_trunk && c.kind === 'conflict' ? 'trunk' : undefined),
      // The analysis lists an ownership finding as [writer, owner].
      side: c.kind === 'ownership' ? (c.sessions[0] === name ? 'writer' : 'owner') : undefined,
      semantic: c.semantic,
    });
  }
  // Conflicts first: they are the ones that stop a merge.
  const order = (k: CollisionKind): number => COLLISION_KINDS.indexOf(k);
  return views.sort((a, b) => order(a.kind) - order(b.kind) || a.path.localeCompare(b.path));
}

/**
 * Ranges named per side, as the server's messages and `agentls status` name them: long-lived
 * branches of a real project differ in thousands of places in one file.
 */
export const SHOWN_RANGES = 6;

/** "40–52, 60" from [[40, 52], [60, 60]] ("… and 12 more" past SHOWN); "" for none. */
export function formatRanges(ranges: [number, number][], shown = SHOWN_RANGES): string {
  const listed = ranges.slice(0, shown).map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`));
  const more = ranges.length > shown ? ` and ${ranges.length - shown} more` : '';
  return listed.join(', ') + more;
}

/** "line 5" / "lines 5–6, 9"; "" when there are none. */
export function linesText(ranges: [number, number][]): string {
  if (ranges.length === 0) {
    return '';
  }
  const one = ranges.length === 1 && ranges[0][0] === ranges[0][1];
  return `${one ? 'line' : 'lines'} ${formatRanges(ranges)}`;
}

/** The kind as every front end says it: "conflict", "conflict (already on trunk)". */
export function kindText(c: { kind: CollisionKind; via?: string }): string {
  return c.via === 'trunk' ? `${c.kind} (already on trunk)` : c.kind;
}

/** Tree label of a collision: the file's name (the folder is in the description). */
export function collisionLabel(c: CollisionView): string {
  return path.posix.basename(c.path);
}

/**
 * Tree description of a collision: "conflict · feat-billing". An ownership finding (a
 * lock icon) says which way instead, to fit the sidebar: "claimed by billing" (this
 * session changed billing's claim), "changed by billing". Lines are in the tooltip.
 */
export function collisionDescription(c: CollisionView): string {
  if (c.kind === 'semantic') {
    return semanticDescription(c.other, c.alone, c.semantic);
  }
  if (c.alone) {
    return kindText(c);
  }
  if (c.side === 'writer') {
    return `claimed by ${c.other}`;
  }
  if (c.side === 'owner') {
    return `changed by ${c.other}`;
  }
  return `${kindText(c)} · ${c.other}`;
}

/** A key unique to one collision seen from one session (tree ids must not repeat). */
export function collisionKey(c: CollisionView): string {
  return `${c.session}:${c.kind}:${c.side ?? ''}:${c.path}:${c.other}`;
}

/** Tree tooltip of a collision (plain text, several lines). */
export function collisionTooltip(c: CollisionView): string {
  if (c.kind === 'semantic') {
    return semanticTooltip(c.session, c.other, c.alone, c.path, c.semantic);
  }
  const mine = linesText(c.ownRanges);
  const theirs = linesText(c.otherRanges);
  if (c.alone) {
    return `${c.session} wrote ${c.path}, but it is a read-only research fork: findings go in HANDOFF.md.\nClick to open the file.`;
  }
  const lines =
    c.side === 'writer'
      ? [`ownership: ${c.session} changed ${c.path}, which ${c.other} claims (${c.detail.join(', ')})`]
      : c.side === 'owner'
        ? [`ownership: ${c.other} changed ${c.path}, which ${c.session} claims (${c.detail.join(', ')})`]
        : [`${kindText(c)} with ${c.other} in ${c.path}`];
  if (mine) {
    lines.push(`${c.session}: ${mine}`);
  }
  if (theirs) {
    lines.push(`${c.other}: ${theirs}`);
  }
  if (c.detail.length && !c.side) {
    lines.push(`git: ${c.detail.join(', ')}`);
  }
  lines.push('Click to compare the two versions.');
  return lines.join('\n');
}

/** "1 collision", "3 collisions". */
/** "↑2 ↓1", "↑2", "↓1"; "" when level with trunk. */
export function aheadBehind(ahead: number, behind: number): string {
  return [ahead ? `↑${ahead}` : '', behind ? `↓${behind}` : ''].filter(Boolean).join(' ');
}

/**
 * Tree description of a session, short enough for the default sidebar width:
 * "↑2 ↓1 · 3 changed". This window's session is highlighted instead of spelled out;
 * every fact is in the tooltip.
 */
export function sessionDescription(s: SessionSummary, review = ''): string {
  const parts: string[] = [];
  // The review state first ("✓ approved", "changed since review"): it decides what happens next.
  if (review && !s.landed && !s.missing) {
    parts.push(review);
  }
  if (s.remote) {
    parts.push(s.remote.wip ? `uncommitted · ${s.remote.remote}` : `on ${s.remote.remote}`);
  }
  if (s.missing) {
    parts.push('folder gone');
  } else if (s.landed) {
    parts.push('landed');
  } else if (s.role !== 'trunk' && (s.ahead || s.behind)) {
    parts.push(aheadBehind(s.ahead, s.behind));
  }
  if (s.changed) {
    parts.push(`${s.changed} changed`);
  }
  if (s.dirty) {
    parts.push('dirty');
  }
  return parts.join(' · ');
}

/** Tree tooltip of a session (Markdown, every fact). */
export function sessionTooltip(s: SessionSummary, isSelf: boolean, trunkBranch?: string, review?: string): string {
  const role = s.role === 'trunk' ? `trunk${trunkBranch ? ` (${trunkBranch})` : ''}` : s.role === 'research' ? 'research fork (read-only)' : s.remote ? 'remote session (another machine)' : 'code session';
  const lines = [`**${s.name}**${isSelf ? ' — this window' : ''}`, '', `${role} · branch ${s.branch ?? '(detached)'} · priority ${s.priority}`];
  if (s.remote) {
    const what = s.remote.wip ? `uncommitted work of ${s.remote.user} (${s.remote.session})` : `${s.remote.branch}, committed by ${s.remote.author ?? '?'}`;
    lines.push('', `Remote: ${what} on ${s.remote.remote} — it can be compared with, not renamed, claimed or landed here`);
  } else {
    lines.push('', `Folder: ${s.path}${s.missing ? ' (gone)' : ''}`);
  }
  if (s.role !== 'trunk') {
    lines.push('', `${s.ahead} ahead, ${s.behind} behind trunk · ${plural(s.changed, 'changed file')}${s.dirty ? ' · uncommitted changes' : ''}${s.landed ? ' · landed' : ''}`);
  }
  const claims = s.claims ?? [];
  lines.push('', claims.length ? `Claims: ${claims.join(', ')}` : 'Claims: none');
  const counts = s.counts ?? {};
  const byKind = COLLISION_KINDS.filter((k) => (counts[k] ?? 0) > 0).map((k) => plural(counts[k] ?? 0, COUNTED_KIND[k]));
  lines.push('', `${plural(s.collisions, 'collision')}${byKind.length ? ` (${byKind.join(', ')})` : ''}`);
  if (review) {
    lines.push('', `Review: ${review}`);
  }
  return lines.join('\n');
}

/** Codicon id for a session. */
export function sessionIcon(s: SessionSummary, isSelf: boolean): string {
  if (s.missing) {
    return 'warning';
  }
  if (s.remote) {
    return 'cloud';
  }
  if (s.role === 'research') {
    return 'telescope';
  }
  if (s.role === 'trunk') {
    return 'git-commit';
  }
  if (s.landed) {
    return 'pass';
  }
  return isSelf ? 'account' : 'git-branch';
}

/**
 * The tree item's contextValue: words the menus' `when` clauses match with regexes,
 * e.g. "agentls-session role-code self claims landable".
 */
export function sessionContext(s: SessionSummary, isSelf: boolean, restorable: boolean, reviewable = false): string {
  const words = ['agentls-session', `role-${s.role}`];
  if (s.remote) {
    return [...words, 'other', 'remote'].join(' '); // no folder here: no verb applies
  }
  words.push(isSelf ? 'self' : 'other');
  words.push(s.missing ? 'missing' : 'present');
  if ((s.claims ?? []).length) {
    words.push('claims');
  }
  if (canLand(s)) {
    words.push('landable');
  }
  if (s.landed) {
    words.push('landed');
  }
  if (s.role !== 'trunk') {
    words.push('removable');
  }
  if (restorable) {
    words.push('restorable');
  }
  if (reviewable) {
    words.push('reviewable');
  }
  return words.join(' ');
}

/** A session land applies to: a code session with commits trunk lacks, not trunk itself. */
export function canLand(s: SessionSummary): boolean {
  return s.role === 'code' && !s.is_trunk && !s.missing && !s.landed && s.ahead > 0;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** Show the warning background: this window's session has conflicts. */
  warning: boolean;
}

/** What the status bar item shows once the server reported (undefined state: waiting). */
export function statusView(state: SessionsChanged | undefined, report?: Report): StatusView {
  if (!state) {
    return { text: '$(sync~spin) AgentLS', tooltip: 'AgentLS: waiting for the first report', warning: false };
  }
  const me = state.self ? state.sessions.find((s) => s.name === state.self) : undefined;
  const name = state.self ?? 'no session';
  const mine = me ? me.collisions : state.total;
  // Warn about conflicts of THIS session (from the report when there is one); older
  // notifications only count kinds for the whole repository.
  const conflicts =
    me?.counts?.conflict ??
    (report && state.self
      ? collisionsOf(report, state.self).filter((c) => c.kind === 'conflict').length
      : mine > 0
        ? (state.counts.conflict ?? 0)
        : 0);
  const icon = conflicts > 0 ? '$(warning)' : mine > 0 ? '$(info)' : '$(check)';
  const text = `${icon} ${name} · ${plural(mine, 'collision')}`;
  const counts = COLLISION_KINDS.map((k) => `${k}: ${state.counts[k] ?? 0}`).join(', ');
  const tooltip =
    `AgentLS — this window: ${name}\n${plural(state.sessions.length, 'session')}; ${plural(state.total, 'collision')} in the ` +
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

/** The priority typed in an input box, or why it is not one. */
export function parsePriority(text: string): { ok: true; value: number } | { ok: false; problem: string } {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) {
    return { ok: false, problem: 'a whole number; lower lands first' };
  }
  const value = Number(t);
  if (Math.abs(value) > 1_000_000) {
    return { ok: false, problem: 'from -1000000 to 1000000' };
  }
  return { ok: true, value };
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

/** Session summaries derived from a full report (used before the first notification). */
export function summariesFromReport(report: Report): SessionSummary[] {
  return report.sessions.map((s) => {
    const counts: Partial<Record<CollisionKind, number>> = {};
    let collisions = 0;
    for (const c of report.overlaps) {
      if (c.sessions.includes(s.name)) {
        counts[c.kind] = (counts[c.kind] ?? 0) + 1;
        collisions += 1;
      }
    }
    return {
      name: s.name,
      branch: s.branch,
      role: s.is_trunk ? 'trunk' : s.role,
      priority: s.priority,
      ahead: s.ahead,
      behind: s.behind,
      changed: s.changed.length,
      dirty: s.dirty,
      collisions,
      path: s.path,
      claims: s.claims,
      counts,
      missing: s.missing,
      is_trunk: s.is_trunk,
      landed: s.landed,
      remote: s.remote,
    };
  });
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
        (c) =>
          c.kind === view.kind &&
          (c.paths?.[viewer] ?? c.path) === view.path &&
          c.sessions.includes(viewer) &&
          c.sessions.includes(view.other) &&
          (c.sessions.length === 1) === view.alone,
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
 * the report's; facts an older notification lacks (claims, trunk, landed, counts) come
 * from the report.
 */
export function sessionList(summary: SessionsChanged | undefined, report: Report | undefined): SessionSummary[] {
  const fromReport = report ? summariesFromReport(report) : [];
  if (!summary) {
    return fromReport;
  }
  const byName = new Map(fromReport.map((s) => [s.name, s]));
  return summary.sessions.map((s) => {
    const r = byName.get(s.name);
    const isTrunk = s.is_trunk ?? r?.is_trunk ?? false;
    return {
      ...s,
      role: isTrunk ? 'trunk' : s.role,
      claims: s.claims ?? r?.claims ?? [],
      counts: s.counts ?? r?.counts,
      missing: s.missing ?? r?.missing,
      is_trunk: isTrunk,
      landed: s.landed ?? r?.landed,
      remote: s.remote ?? r?.remote,
    };
  });
}

/**
 * A related-information label that names the other worktree, as the Problems panel
 * shows only the file's name: "feat-billing's version" -> "feat-billing's version
 * (../shop-billing)". Labels that already name it (newer servers) are kept.
 */
export function relatedLabel(message: string, relatedFile: string, relPath: string | undefined, ownRoot: string | undefined): string {
  if (!relPath || !ownRoot) {
    return message;
  }
  const suffix = `/${relPath.replace(/^\/+/, '')}`;
  if (!relatedFile.endsWith(suffix)) {
    return message;
  }
  const otherRoot = relatedFile.slice(0, relatedFile.length - suffix.length);
  const folder = path.relative(ownRoot, otherRoot) || '.';
  if (message.includes(folder) || message.includes(path.basename(otherRoot))) {
    return message;
  }
  return `${message} (${folder})`;
}
