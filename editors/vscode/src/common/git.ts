// The few read-only questions the extension asks git itself: is this folder in a
// repository (before starting a server that would only idle), which backups of
// removed sessions exist (to offer bringing them back), which commits a land would
// take (for the plan). Argument lists only, never a shell; no repository code runs.
import { execFile } from 'child_process';

export const BACKUP_PREFIX = 'refs/agentls/backup/';

/** git with an argument list; hooks and fsmonitor off (they would be repository code). */
export function git(cwd: string, args: string[], timeout = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', ...args],
      { cwd, timeout, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(Object.assign(err, { stderr: String(stderr) }));
        } else {
          resolve(String(stdout));
        }
      },
    );
  });
}

export type RepositoryCheck =
  | { ok: true; toplevel: string }
  | { ok: false; reason: 'not-a-repository' | 'no-git' | 'folder-gone'; detail: string };

/** Whether FOLDER is inside a git worktree (agentls applies only there). */
export async function repositoryOf(folder: string): Promise<RepositoryCheck> {
  try {
    const out = await git(folder, ['rev-parse', '--show-toplevel']);
    const toplevel = out.trim();
    return toplevel ? { ok: true, toplevel } : { ok: false, reason: 'not-a-repository', detail: 'not inside a worktree' };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      // execFile says ENOENT both for a missing git and a missing cwd.
      const { existsSync } = await import('fs');
      return existsSync(folder)
        ? { ok: false, reason: 'no-git', detail: 'git is not on PATH' }
        : { ok: false, reason: 'folder-gone', detail: `${folder} does not exist` };
    }
    return { ok: false, reason: 'not-a-repository', detail: (e.stderr ?? e.message).trim() };
  }
}

export interface Backup {
  ref: string;
  /** The ref's last component (a time stamp). */
  stamp: string;
}

/** `git for-each-ref` lines -> backups by session name, oldest first. Pure. */
export function parseBackupRefs(output: string): Map<string, Backup[]> {
  const found = new Map<string, Backup[]>();
  for (const line of output.split('\n')) {
    const ref = line.trim();
    if (!ref.startsWith(BACKUP_PREFIX)) {
      continue;
    }
    const rest = ref.slice(BACKUP_PREFIX.length);
    const slash = rest.lastIndexOf('/');
    if (slash <= 0 || slash === rest.length - 1) {
      continue;
    }
    const name = rest.slice(0, slash);
    const list = found.get(name) ?? [];
    list.push({ ref, stamp: rest.slice(slash + 1) });
    found.set(name, list);
  }
  for (const list of found.values()) {
    list.sort((a, b) => a.ref.localeCompare(b.ref));
  }
  return found;
}

/** agentls's backup refs (what remove, land and restore keep), by session name. */
export async function backups(cwd: string): Promise<Map<string, Backup[]>> {
  try {
    return parseBackupRefs(await git(cwd, ['for-each-ref', '--format=%(refname)', BACKUP_PREFIX]));
  } catch {
    return new Map();
  }
}

export interface CommitLine {
  hash: string;
  subject: string;
}

/** `git log --format=%h%x09%s` lines -> commits. Pure. */
export function parseCommitLines(output: string): CommitLine[] {
  return output
    .split('\n')
    .filter((line) => line.includes('\t'))
    .map((line) => {
      const tab = line.indexOf('\t');
      return { hash: line.slice(0, tab), subject: line.slice(tab + 1) };
    });
}

/** The commits of HEAD that TRUNK lacks, newest first (at most LIMIT). */
export async function commitsToLand(cwd: string, trunk: string, head: string, limit = 20): Promise<CommitLine[]> {
  try {
    return parseCommitLines(await git(cwd, ['log', `--max-count=${limit}`, '--format=%h%x09%s', `${trunk}..${head}`, '--']));
  } catch {
    return [];
  }
}
