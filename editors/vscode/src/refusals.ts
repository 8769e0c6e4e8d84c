// Refusals worded for VS Code. The server refuses with a stable code and data
// (docs/cli.md, "Refusal codes"; JSON-RPC error -32001 with `error.data = {code,
// message, data}`); this is the one place that turns a code into a sentence and the
// button that helps. A code it does not know is shown with the server's neutral
// message. No `vscode` import: unit-tested in node.

import { plural } from './common/words';

/** The error object every refusal, failed land and failed operation carries. */
export interface ErrorObject {
  code: string;
  message: string;
  data: Record<string, unknown>;
}

/** What a button on a refusal does; the command layer runs it. */
export type RefusalAction =
  | 'claim-anyway'
  | 'remove-anyway'
  | 'bring-back'
  | 'restore-branch'
  | 'write-handoff'
  | 'review-now'
  | 'review-again'
  | 'show-output'
  | 'show-logs'
  | 'restart-server';

/** The button label of each action. */
export const ACTION_LABELS: Record<RefusalAction, string> = {
  'claim-anyway': 'Claim Anyway',
  'remove-anyway': 'Remove Anyway',
  'bring-back': 'Bring It Back',
  'restore-branch': 'Restore Branch',
  'write-handoff': 'Write Handoff',
  'review-now': 'Review Now',
  'review-again': 'Review Again',
  'show-output': 'Show Output',
  'show-logs': 'Show Logs',
  'restart-server': 'Restart Server',
};

export interface Refusal {
  /** One or two sentences for a person; no CLI flags, no backticks. */
  text: string;
  /** The stable code, when the server sent one. */
  code?: string;
  actions: RefusalAction[];
  data: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The error object inside whatever the server sent: a JSON-RPC error's `data`, a
 * result's or an operation's `error`, or the object itself. Undefined when none.
 */
export function errorObject(value: unknown): ErrorObject | undefined {
  if (!isObject(value)) {
    return undefined;
  }
  for (const candidate of [value.data, value.error, value]) {
    if (isObject(candidate) && typeof candidate.code === 'string') {
      return {
        code: candidate.code,
        message: typeof candidate.message === 'string' ? candidate.message : candidate.code,
        data: isObject(candidate.data) ? candidate.data : {},
      };
    }
  }
  return undefined;
}

/** Backticked shell words of an older server's CLI advice shown as quotes, not backticks. */
export function plainText(text: string): string {
  return text.replace(/`([^`]*)`/g, '“$1”').replace(/`/g, '');
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];

/** "a, b, c and 2 more". */
export function listText(items: string[], limit = 5): string {
  const shown = items.slice(0, limit).join(', ');
  return items.length > limit ? `${shown} and ${items.length - limit} more` : shown;
}

/** The last path component of a backup ref: refs/agentls/backup/auth/20240101-… -> 20240101-…. */
export function backupLabel(ref: string): string {
  return ref.split('/').pop() || ref;
}

/**
 * An older server's message is "what happened; what to run": the second half is CLI
 * advice (flags, backticked commands) that means nothing in an editor. Keep the rest.
 */
export function withoutCliAdvice(message: string): string {
  const parts = message.split('; ');
  const kept = parts.filter((p) => !/(^|\s)--[a-z][a-z-]*|`(agentls|git) [^`]*`/.test(p));
  return kept.length ? kept.join('; ') : parts[0];
}

/** "test “x” failed (exit 1) in 0.0s" from "test “x” failed (exit 1) in 0.0s; main untouched; …". */
function firstClause(message: string): string {
  return message.split('; ')[0].replace(/[.\s]+$/, '');
}

type Wording = (data: Record<string, unknown>, message: string) => [string, RefusalAction[]] | undefined;

/**
 * A server without specific codes (none, or only the generic "refused" /
 * "invalid-input"): the few refusals that have a button, recognised by their words.
 */
function legacyActions(message: string): RefusalAction[] {
  if (/^cannot claim: .*overlaps .*'s claim/.test(message)) {
    return ['claim-anyway'];
  }
  if (/^session \S+ has .*(commits?(?:\(s\))? not on|uncommitted work|in progress)/.test(message)) {
    return ['remove-anyway'];
  }
  return [];
}

/** Codes that say only "refused": the message is all there is to go on. */
const GENERIC_CODES = new Set(['refused', 'invalid-input']);

const WORDS: Record<string, Wording> = {
  'claim-taken': (data) => {
    const clashes = Array.isArray(data.clashes) ? data.clashes.filter(isObject) : [];
    const parts = clashes
      .map((c) => {
        const glob = str(c.glob);
        const owner = str(c.owner);
        const theirs = str(c.theirs);
        if (!glob || !owner) {
          return undefined;
        }
        return theirs && theirs !== glob ? `${glob} overlaps ${owner}'s claim ${theirs}` : `${glob} is claimed by ${owner}`;
      })
      .filter((p): p is string => p !== undefined);
    // The contract's flat shape: {session, owner, glob}.
    if (parts.length === 0 && str(data.owner) && str(data.glob)) {
      parts.push(`${data.glob} is claimed by ${data.owner}`);
    }
    if (parts.length === 0) {
      return undefined;
    }
    return [`${parts.join('; ')}.`, data.can_force === false ? [] : ['claim-anyway']];
  },
  'claim-not-held': (data) => {
    const session = str(data.session);
    const globs = strings(data.globs);
    if (!session || globs.length === 0) {
      return undefined;
    }
    const claims = strings(data.claims);
    return [`${session} does not claim ${listText(globs)} (its claims: ${claims.length ? listText(claims, 10) : 'none'}).`, []];
  },
  'session-not-found': (data) => {
    const name = str(data.name);
    if (!name) {
      return undefined;
    }
    const known = strings(data.known);
    return [`There is no session named ${name}${known.length ? ` (sessions: ${listText(known, 8)})` : ''}.`, []];
  },
  'session-removed': (data) => {
    const name = str(data.name);
    const backup = str(data.backup);
    if (!name) {
      return undefined;
    }
    return [
      `Session ${name} was removed${backup ? `; its work is kept in backup ${backupLabel(backup)}` : ''}.`,
      backup ? ['bring-back'] : [],
    ];
  },
  'name-taken': (data) => (str(data.name) ? [`A session named ${data.name} already exists; pick another name.`, []] : undefined),
  'invalid-name': (data) =>
    str(data.name) !== undefined && str(data.rule) ? [`"${data.name}" is not a valid session name: ${data.rule}.`, []] : undefined,
  'branch-exists': (data) => (str(data.branch) ? [`A branch named ${data.branch} already exists; pick another name.`, []] : undefined),
  'branch-clash': (data) =>
    str(data.branch) && str(data.existing)
      ? [`Branch ${data.branch} cannot be created next to the existing branch ${data.existing}; pick another name.`, []]
      : undefined,
  'invalid-glob': (data) => (str(data.glob) !== undefined ? [`"${data.glob}" is not a usable claim (${str(data.reason) ?? 'malformed'}).`, []] : undefined),
  'invalid-priority': (data) =>
    num(data.low) !== undefined && num(data.high) !== undefined
      ? [`A priority is a whole number from ${data.low} to ${data.high}.`, []]
      : undefined,
  'dirty-worktree': (data) => {
    const paths = strings(data.paths);
    const count = num(data.count) ?? paths.length;
    const who = str(data.session) ?? 'The session';
    const action = str(data.action);
    return [
      `${who} has ${plural(count, 'uncommitted change')}${paths.length ? ` (${listText(paths)})` : ''}; commit or stash ${count === 1 ? 'it' : 'them'}${action ? ` before you ${action}` : ' first'}.`,
      [],
    ];
  },
  'nothing-to-land': (data) => {
    const who = str(data.session) ?? str(data.branch);
    return who ? [`${who} has no commits that ${str(data.trunk) ?? 'trunk'} lacks: nothing to land.`, []] : undefined;
  },
  'remote-session': (data) =>
    str(data.session)
      ? [`${data.session} lives on another machine (${str(data.remote) ?? 'a remote'}): it can be compared with, not changed from here.`, []]
      : undefined,
  'research-fork': (data) =>
    str(data.session) ? [`${data.session} is a research fork: its findings go in HANDOFF.md, and it is never landed.`, []] : undefined,
  'detached-head': (data) => (str(data.session) ? [`${data.session} is not on a branch; check out a branch there first.`, []] : undefined),
  'on-trunk': (data) => {
    const session = str(data.session);
    if (!session) {
      return undefined;
    }
    const verb = data.action === 'remove' ? 'removed' : 'landed';
    const trunk = str(data.trunk);
    return [`${session} has trunk${trunk ? ` (${trunk})` : ''} checked out; it cannot be ${verb}.`, []];
  },
  'operation-in-progress': (data) =>
    str(data.operation) && str(data.path)
      ? [`A ${data.operation} is in progress in ${data.path}; finish or abort it first.`, []]
      : undefined,
  'lock-held': (data) => {
    const holder = isObject(data.holder) ? data.holder : undefined;
    const who = holder && str(holder.session) ? ` (landing ${holder.session})` : '';
    return [`Another land holds the land lock${who}; try again when it ends.`, []];
  },
  'land-conflict': (data) => {
    const session = str(data.session);
    if (!session) {
      return undefined;
    }
    // The registry's data names them "files"; a server before it, "conflicts".
    const files = strings(data.files).length ? strings(data.files) : strings(data.conflicts);
    const trunk = str(data.trunk) ?? 'trunk';
    const where = files.length ? ` in ${listText(files)}` : '';
    if (data.predicted === true) {
      return [`Landing ${session} would conflict with ${trunk}${where}.`, ['write-handoff']];
    }
    return [`Landing ${session} stopped on conflicts with ${trunk}${where}; ${trunk} did not move.`, ['write-handoff', 'restore-branch']];
  },
  // A land that ran and failed without a code of its own: what happened is the message's first clause.
  'land-failed': (data, message) =>
    str(data.session) ? [`Landing ${data.session} failed: ${firstClause(message)}.`, ['show-output', 'restore-branch']] : undefined,
  'rebase-failed': (data) =>
    str(data.session)
      ? [`Rebasing ${data.session} onto ${str(data.trunk) ?? 'trunk'} failed; trunk did not move.`, ['show-output', 'restore-branch']]
      : undefined,
  'command-failed': (data) => {
    const session = str(data.session);
    if (!session) {
      return undefined;
    }
    const kind = str(data.kind) ?? 'check';
    const command = str(data.command);
    const code = num(data.exit_code);
    const how = code !== undefined ? `failed (exit ${code})` : 'timed out';
    return [
      `The ${kind} command${command ? ` (${command})` : ''} ${how} while landing ${session}; ${str(data.trunk) ?? 'trunk'} did not move.`,
      ['show-output', 'restore-branch'],
    ];
  },
  'branch-moved': (data) =>
    str(data.branch) ? [`${data.branch} moved while it was being landed; trunk did not move. Try again.`, ['restore-branch']] : undefined,
  'trunk-moved': (data) => (str(data.trunk) ? [`${data.trunk} moved while landing; it was left alone. Try again.`, ['restore-branch']] : undefined),
  'blocked-by-failure': (data) => {
    const session = str(data.session);
    const blockers = strings(data.blockers);
    return session ? [`${session} was skipped: it overlaps ${blockers.length ? listText(blockers) : 'a session'} that did not land.`, []] : undefined;
  },
  'primary-checkout': (data) =>
    str(data.session) ? [`${data.session} is the repository's main checkout; it cannot be removed.`, []] : undefined,
  'unlanded-work': (data) => {
    const session = str(data.session);
    if (!session) {
      return undefined;
    }
    const what: string[] = [];
    const unlanded = num(data.unlanded);
    if (unlanded) {
      what.push(`${plural(unlanded, 'commit')} not on ${str(data.trunk) ?? 'trunk'}`);
    }
    if (data.dirty === true || strings(data.dirty).length > 0) {
      what.push('uncommitted changes');
    }
    if (str(data.operation)) {
      what.push(`a ${data.operation} in progress`);
    }
    return [
      `${session} has ${what.length ? what.join(' and ') : 'work that exists nowhere else'}. Removing it anyway keeps that work in a backup you can bring back.`,
      ['remove-anyway'],
    ];
  },
  'landing-now': (data) => (str(data.session) ? [`${data.session} is being landed right now; wait for the land to end.`, []] : undefined),
  'not-on-branch': (data) => (str(data.session) ? [`${data.session} is not on a branch: there is nothing to restore.`, []] : undefined),
  'no-backups': (data) => (str(data.session) ? [`${data.session} has no backups to restore.`, []] : undefined),
  'backup-not-found': (data) => {
    const ref = str(data.ref);
    if (!ref) {
      return undefined;
    }
    const known = strings(data.known);
    return [`There is no backup ${backupLabel(ref)}${known.length ? ` (backups: ${listText(known.map(backupLabel))})` : ''}.`, []];
  },
  'session-folder-gone': (data) =>
    str(data.session) && str(data.path)
      ? [`The folder of ${data.session} is gone (${data.path}). Removing the session forgets it; a backup keeps its commits.`, ['remove-anyway']]
      : undefined,
  'trunk-checkout': (data) =>
    str(data.session) ? [`${data.session} is trunk's checkout: a handoff note is only written in a session's own worktree.`, []] : undefined,
  'not-a-repository': (data) => (str(data.folder) ? [`${data.folder} is not inside a git repository.`, []] : undefined),
  'engine-unavailable': (_data, message) => [`The AgentLS engine is not available right now (${message}).`, ['restart-server', 'show-logs']],
  'internal-error': (_data, message) => [`AgentLS hit a bug: ${message}`, ['show-logs']],
  // The land gate (require-review): the session's current head is not approved.
  'review-required': (data) => {
    const session = str(data.session);
    if (!session) {
      return undefined;
    }
    const review = isObject(data.review) ? data.review : undefined;
    const verdict = review ? str(review.verdict) : undefined;
    const at = str(data.head) ? ` at ${String(data.head).slice(0, 8)}` : '';
    let why = 'it has not been reviewed';
    if (verdict && verdict !== 'approved') {
      why = `its latest review is ${verdict.replace(/-/g, ' ')}`;
    } else if (verdict === 'approved') {
      why = `it changed since it was approved${str(review?.head) ? ` at ${String(review?.head).slice(0, 8)}` : ''}`;
    }
    return [`Landing ${session} needs an approval (reviews gate landing here): ${session}${at} is not approved; ${why}.`, ['review-now']];
  },
  // A verdict for a head the session has left: nobody saw the new commits.
  'review-stale': (data) => {
    const session = str(data.session);
    if (!session) {
      return undefined;
    }
    const now = str(data.current) ? ` (it is at ${String(data.current).slice(0, 8)} now, not ${String(data.reviewed ?? '?').slice(0, 8)})` : '';
    return [`${session} moved while you reviewed it${now}: nothing was recorded. Look at the new commits, then decide again.`, ['review-again']];
  },
  'land-all-incomplete': (data) => {
    const failed = strings(data.failed);
    const skipped = strings(data.skipped);
    const parts = [];
    if (failed.length) {
      parts.push(`${listText(failed)} did not land`);
    }
    if (skipped.length) {
      parts.push(`${listText(skipped)} ${skipped.length === 1 ? 'was' : 'were'} skipped`);
    }
    return parts.length ? [`${parts.join('; ')}.`, ['show-output']] : undefined;
  },
};

/** The codes worded here (for the tests and the docs). */
export const KNOWN_CODES: readonly string[] = Object.keys(WORDS).sort();

/**
 * The sentence and buttons for a refusal: an error object (or something holding one)
 * worded from its code, else the server's message as is (an older server without codes).
 */
export function describeRefusal(error: unknown, fallbackMessage?: string): Refusal {
  const object = errorObject(error);
  if (object) {
    const word = WORDS[object.code];
    const neutral = plainText(object.message);
    if (word) {
      try {
        const worded = word(object.data, neutral);
        if (worded) {
          return { text: worded[0], code: object.code, actions: worded[1], data: object.data };
        }
      } catch {
        // A data shape this version does not know: the neutral message says it.
      }
    }
    return { text: neutral, code: object.code, actions: GENERIC_CODES.has(object.code) ? legacyActions(object.message) : [], data: object.data };
  }
  const message =
    fallbackMessage ?? (isObject(error) && typeof error.message === 'string' ? error.message : error instanceof Error ? error.message : String(error));
  return { text: plainText(withoutCliAdvice(message)), actions: legacyActions(message), data: {} };
}
