// The review's native diffs: a session's whole change set in VS Code's multi-file diff
// editor (`vscode.changes`; one review tab at a time), and one file in the diff editor.
// Both sides are read-only `agentls:` documents (agentls.fileVersion), so the base and
// the session's current state (unsaved buffers of every window included) come from the
// right worktree, whichever folder this window has open.
import * as vscode from 'vscode';
import * as log from '../common/logging';
import { versionUri } from '../diff';
import { ABSENT } from '../versions';
import { FileChange, fileDiffTitle, isReviewTitle } from './changes';

/** Close the review tabs opened before (a sweep shows one session at a time). */
export async function closeReviewTabs(): Promise<void> {
  const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => isReviewTitle(t.label));
  if (tabs.length) {
    await vscode.window.tabGroups.close(tabs, true);
  }
}

/** CHANGES in one multi-file diff editor titled TITLE; false when there is nothing to show. */
export async function openChanges(title: string, changes: FileChange[]): Promise<boolean> {
  if (changes.length === 0) {
    return false;
  }
  await closeReviewTabs();
  const resources = changes.map((c) => [
    vscode.Uri.file(c.worktreeFile),
    c.original ? versionUri(c.original) : undefined,
    c.modified ? versionUri(c.modified) : undefined,
  ]);
  try {
    await vscode.commands.executeCommand('vscode.changes', title, resources);
  } catch (err) {
    // A VS Code before the multi-file diff editor (1.85): the first file's diff.
    log.warn(`vscode.changes failed (${String(err)}); opening the first file's diff`);
    await openFileChange(changes[0].original?.session ?? changes[0].modified?.session ?? '', changes[0]);
  }
  return true;
}

/** One file's diff: its version at the base (or the reviewed head) against the current one. */
export async function openFileChange(session: string, change: FileChange, from: 'base' | 'review' = 'base'): Promise<void> {
  const absent = { session, path: change.file.path, at: ABSENT };
  const left = versionUri(change.original ?? absent);
  const right = versionUri(change.modified ?? absent);
  await vscode.commands.executeCommand('vscode.diff', left, right, fileDiffTitle(session, change.file, from), { preview: true });
}
