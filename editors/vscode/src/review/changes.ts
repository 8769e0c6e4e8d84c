// What the review's diffs compare: for each file of an item, the version at the item's
// base (the merge-base with trunk; a rename's old path) against the session's current
// version (unsaved buffers of every window included), both read with
// `agentls.fileVersion` through `agentls:` documents. An added file has no left side, a
// deleted one no right side, so VS Code's multi-file diff editor shows them as such.
// No `vscode` import: unit-tested in node.
import * as path from 'path';
import { VersionRef } from '../versions';
import { ItemFile, ReviewItem, short } from './model';

export interface FileChange {
  file: ItemFile;
  /** The file's path in the session's worktree (the multi-diff editor's label, its icon). */
  worktreeFile: string;
  original?: VersionRef;
  modified?: VersionRef;
}

/** The base every diff of ITEM is measured from: its merge-base commit when known. */
export function baseOf(item: Pick<ReviewItem, 'base'>): string {
  return item.base ?? 'base';
}

/** One file's two sides, from the point FROM (the base, or the reviewed head) to now. */
export function fileChange(item: Pick<ReviewItem, 'session' | 'path' | 'base'>, file: ItemFile, from = baseOf(item)): FileChange {
  const status = file.status.charAt(0);
  return {
    file,
    worktreeFile: path.join(item.path, ...file.path.split('/')),
    original: status === 'A' ? undefined : { session: item.session, path: file.oldPath || file.path, at: from },
    modified: status === 'D' ? undefined : { session: item.session, path: file.path, at: 'current' },
  };
}

/** Every file of ITEM, in the item's order. */
export function reviewChanges(item: ReviewItem): FileChange[] {
  return item.files.map((file) => fileChange(item, file));
}

/** The files that changed since the last review, from the reviewed head to now. */
export function sinceReviewChanges(item: ReviewItem): FileChange[] {
  const since = item.sinceReview;
  if (!since || !since.available || !since.files) {
    return [];
  }
  return since.files.map((file) => fileChange(item, file, since.from));
}

/**
 * The multi-file diff editor's title: "Review feat-api: base 1a2b3c4d ↔ current" (VS Code
 * adds the number of files to the tab: "… (3 files)").
 */
export function reviewTitle(item: Pick<ReviewItem, 'session' | 'base'>): string {
  return `Review ${item.session}: base ${short(item.base)} ↔ current`;
}

/** The since-review diff's title: "Review feat-api: reviewed 1a2b3c4d ↔ current". */
export function sinceReviewTitle(item: Pick<ReviewItem, 'session' | 'sinceReview'>): string {
  return `Review ${item.session}: reviewed ${short(item.sinceReview?.from)} ↔ current`;
}

/** True for a tab made by `reviewTitle` or `sinceReviewTitle` (one review tab at a time). */
export function isReviewTitle(label: string): boolean {
  return /^Review [A-Za-z0-9._-]+: (base|reviewed) \S+ ↔ current( \(\d+ files?\))?$/.test(label);
}

/** One file's diff title: "config.py (feat-api: base ↔ current)". */
export function fileDiffTitle(session: string, file: ItemFile, from: 'base' | 'review' = 'base'): string {
  const name = path.posix.basename(file.path);
  const left = file.status.charAt(0) === 'A' ? 'added' : from === 'review' ? 'reviewed' : 'base';
  const right = file.status.charAt(0) === 'D' ? 'deleted' : 'current';
  return `${name} (${session}: ${left} ↔ ${right})`;
}
