// Semantic conflicts (docs/semantic.md): the shapes the server sends and the words the
// Sessions view and the checks' status item show. No `vscode` import: unit-tested in node.

import { plural } from './common/words';

/** A `semantic` collision's check, as the report carries it (`collision.semantic`). */
export interface SemanticCheck {
  kind?: string | null;
  command?: string | null;
  exitCode?: number | null;
  tests?: string[];
  failures?: { name: string | null; path: string | null; line: number | null }[];
  tail?: string[];
  log?: string | null;
  reason?: string;
  /** The pair as `agentls.verify.run` takes it (trunk named by its branch). */
  pair?: string[];
  trunk?: string | null;
  current?: boolean;
}

/** `agentls/semanticChanged` params and `agentls.verify.status`'s answer. */
export interface SemanticStatus {
  enabled: boolean;
  background: 'on' | 'disabled' | 'needs-opt-in' | 'untrusted' | string;
  paused: string | null;
  running: { pair: string[]; viaTrunk: boolean; label: string; explicit: boolean; started: number; message: string }[];
  queue: number;
  pairs: number;
  quiet?: number;
  jobs?: number;
  source?: string | null;
  error?: string | null;
  stats?: Record<string, number>;
}

/** One pair's line in `agentls.verify.run`'s answer. */
export interface VerifyPair {
  sessions: string[];
  viaTrunk: boolean;
  trunk: string | null;
  status: string;
  reason: string;
  cached: boolean;
}

export interface VerifyResult {
  found: number;
  checked: number;
  cancelled: boolean;
  pairs: VerifyPair[];
  message: string;
}

/** What a status bar item shows; `command` is the extension command its click runs. */
export interface SemanticStatusView {
  visible: boolean;
  text: string;
  tooltip: string;
  command?: string;
}

export const VERIFY = 'agentls.palette.verify';
export const ALLOW_BACKGROUND = 'agentls.palette.allowBackgroundChecks';
export const SHOW_CHECKS = 'agentls.palette.semanticStatus';

/** "cart + rename", "cart + main (trunk)". */
export function pairLabel(sessions: string[], trunk?: string | null): string {
  return trunk ? `${sessions.join(' + ')} + ${trunk} (trunk)` : sessions.join(' + ');
}

/** "test `pytest -q` exit 1", "build `make` timed out". */
export function commandText(check: SemanticCheck): string {
  const ran = check.exitCode === null || check.exitCode === undefined ? 'timed out' : `exit ${check.exitCode}`;
  return `${check.kind ?? 'test'} \`${check.command ?? '?'}\` ${ran}`;
}

/** "test_checkout, test_total and 2 more"; "" when the runner named none. */
export function testsText(tests: string[] | undefined, limit = 2): string {
  const all = tests ?? [];
  const shown = all.slice(0, limit).map((name) => name.split(/::|\./).pop() ?? name);
  return shown.join(', ') + (all.length > limit ? ` and ${all.length - limit} more` : '');
}

/** The Sessions view's description of a semantic collision: "semantic · rename". */
export function semanticDescription(other: string, alone: boolean, check: SemanticCheck | undefined): string {
  const stale = check?.current === false ? ' · re-checking' : '';
  return alone ? `semantic · ${check?.trunk ?? 'trunk'} (trunk)${stale}` : `semantic · ${other}${stale}`;
}

/** Its tooltip: what fails merged with whom, that each side passes alone, what to do. */
export function semanticTooltip(session: string, other: string, alone: boolean, path: string, check: SemanticCheck | undefined): string {
  const c = check ?? {};
  const withWhom = alone ? `${c.trunk ?? 'trunk'} (already on trunk)` : other;
  const tests = testsText(c.tests, 5);
  const lines = [
    `semantic conflict: ${session} merged with ${withWhom}: ${commandText(c)}${tests ? ` (${tests})` : ''}`,
    alone ? `${session} passes alone; merged with trunk it does not.` : 'Each session passes alone; merged they do not. git sees no conflict.',
    `Here: ${path}`,
  ];
  if (c.current === false) {
    lines.push('A side changed since this check: it is being checked again.');
  }
  const tail = (c.tail ?? []).filter((line) => line.trim()).slice(-5);
  if (tail.length) {
    lines.push('', ...tail);
  }
  lines.push('', 'Click to open it. Right-click: the full log, or check again.');
  return lines.join('\n');
}

/** The checks' status item: hidden while trunk does not enable checks. */
export function semanticStatusView(status: SemanticStatus | undefined): SemanticStatusView {
  if (!status || (!status.enabled && !status.running.length)) {
    return { visible: false, text: '', tooltip: '' };
  }
  const queued = status.queue ? ` · ${status.queue} queued` : '';
  const about =
    `AgentLS semantic checks: each pair of sessions built and tested merged (${status.source ?? 'trunk'}).\n` +
    `${plural(status.pairs, 'pair')} to watch, ${status.queue} not checked yet for their current state.`;
  if (status.running.length) {
    const first = status.running[0];
    const more = status.running.length > 1 ? ` +${status.running.length - 1}` : '';
    return {
      visible: true,
      text: `$(beaker~spin) ${first.label}${more}${queued}`,
      tooltip: `${about}\nChecking ${first.label}${first.explicit ? ' (requested)' : ''}: ${first.message || 'starting'}`,
      command: SHOW_CHECKS,
    };
  }
  if (status.error) {
    return { visible: true, text: '$(beaker) checks: settings', tooltip: `${about}\nThe settings on trunk are wrong: ${status.error}`, command: SHOW_CHECKS };
  }
  switch (status.background) {
    case 'needs-opt-in':
      return {
        visible: true,
        text: `$(beaker) checks: by hand${queued}`,
        tooltip: `${about}\nBackground checks need your permission for this repository (they run the configured build and test commands). Click to allow them, or run "AgentLS: Verify Merged Builds" now.`,
        command: ALLOW_BACKGROUND,
      };
    case 'untrusted':
      return {
        visible: true,
        text: '$(workspace-untrusted) checks: off',
        tooltip: `${about}\nAn untrusted workspace is open on this repository: no check runs by itself.`,
        command: SHOW_CHECKS,
      };
  }
  if (status.paused) {
    return { visible: true, text: `$(debug-pause) checks: paused (${status.paused})${queued}`, tooltip: `${about}\nPaused while a land runs.`, command: SHOW_CHECKS };
  }
  const quiet = status.quiet !== undefined ? ` once both sessions have been quiet for ${status.quiet} s` : '';
  return {
    visible: true,
    text: status.queue ? `$(beaker) checks${queued}` : '$(beaker) checks: up to date',
    tooltip: `${about}\nBackground checks are on: a pair is checked${quiet}.`,
    command: SHOW_CHECKS,
  };
}

/** A one-line result of `agentls.verify.run`. */
export function verifyResultText(result: VerifyResult): string {
  if (!result.pairs.length) {
    return result.message;
  }
  const found = result.pairs.filter((p) => p.status === 'semantic').map((p) => pairLabel(p.sessions, p.trunk));
  const head = found.length ? `semantic conflict: ${found.join('; ')}` : `no semantic conflict in ${plural(result.checked, 'pair')}`;
  return result.cancelled ? `${head} (stopped before the end)` : head;
}
