// The Review view (AgentLS in the activity bar, under Sessions): the queue in sweep
// order, each session's review state, and, expanded, what would land — review state,
// landability (blockers, warnings), collisions, scope, last checks, commits, notes, and
// its changed files (click one: its diff; click "Changes": all of them in the multi-file
// diff editor). The session being reviewed is expanded and marked; its summary is the
// view's message. Verbs are on the rows' inline buttons and context menus, and in the
// view's title while a sweep runs.
import * as path from 'path';
import * as vscode from 'vscode';
import { collisionsOf, CollisionView } from '../model';
import { SessionsModel } from '../sessionsModel';
import { COMPARE_COLLISION, CollisionNode } from '../sessionsView';
import { FileChange, fileChange, sinceReviewChanges } from './changes';
import {
  checksSentence,
  checksText,
  collisionCountsText,
  commitLabel,
  entryDescription,
  entrySummary,
  entryTooltip,
  fileDescription,
  fileLabel,
  fileTooltip,
  ItemFile,
  landableText,
  notQueuedText,
  QueueEntry,
  reviewSentence,
  reviewStateIcon,
  reviewStateLabel,
  ReviewItem,
  scopeText,
  short,
  statText,
} from './model';
import { ReviewModel } from './reviewModel';

export const REVIEW_VIEW_ID = 'agentls.review';
export const OPEN_REVIEW = 'agentls.palette.reviewSession';
export const OPEN_REVIEW_FILE = 'agentls.palette.reviewOpenFile';
export const OPEN_REVIEW_CHANGES = 'agentls.palette.reviewOpenChanges';
export const OPEN_SINCE_REVIEW = 'agentls.palette.reviewOpenSinceReview';

export type ReviewEntryNode = { type: 'review-entry'; entry: QueueEntry };
export type ReviewRowNode = {
  type: 'review-row';
  session: string;
  key: string;
  label: string;
  description?: string;
  tooltip?: string;
  icon?: [string, string | undefined];
  children?: ReviewNode[];
  expanded?: boolean;
  command?: vscode.Command;
  context?: string;
};
export type ReviewFileNode = { type: 'review-file'; session: string; change: FileChange; from: 'base' | 'review' };
export type ReviewNotQueuedNode = { type: 'review-not-queued'; list: { session: string; reason: string }[] };
export type ReviewNode = ReviewEntryNode | ReviewRowNode | ReviewFileNode | ReviewNotQueuedNode | CollisionNode;

export class ReviewTree implements vscode.TreeDataProvider<ReviewNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ReviewNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  readonly view: vscode.TreeView<ReviewNode>;

  constructor(
    private readonly review: ReviewModel,
    private readonly sessions: SessionsModel,
  ) {
    this.view = vscode.window.createTreeView(REVIEW_VIEW_ID, { treeDataProvider: this, showCollapseAll: true });
    this.subscriptions.push(
      this.view,
      review.onDidChange(() => this.changed()),
      this.view.onDidChangeVisibility((e) => review.setVisible(e.visible)),
    );
    review.setVisible(this.view.visible);
  }

  private changed(): void {
    const active = this.review.active;
    const entries = this.review.entries();
    const trunk = this.review.queue?.trunk.branch ?? 'trunk';
    const at = active ? entries.find((e) => e.session === active.session) : undefined;
    if (this.review.unsupported) {
      this.view.message = 'This agentls server has no review commands: update agentls (the review sweep came with it).';
    } else if (this.review.queue?.configError) {
      this.view.message = `Trunk's land settings have a problem: ${this.review.queue.configError}`;
    } else if (active) {
      const where = at ? ` (${at.position} of ${entries.length})` : '';
      // Verdicts go with the head the review was opened at: say when the session left it.
      const moved = at && at.head !== active.head ? ` It moved since you opened it (now at ${at.head?.slice(0, 8)}): click its row to look again; a verdict now is refused.` : '';
      // As a pull request says "changes since your last review": where to look first.
      const shown = at ?? active.item;
      const since =
        !moved && shown.review?.changedSinceReview && !shown.review.rebasedSinceReview
          ? ` Changed since the review at ${short(shown.review.head)}: its first row opens what is new.`
          : '';
      this.view.message = `Reviewing ${active.session}${where}: ${entrySummary(shown, trunk)}.${moved}${since}`;
    } else {
      this.view.message = undefined;
    }
    this.view.description = this.review.queue ? `${entries.length} to review · ${this.review.queue.order === 'newest-first' ? 'newest' : 'oldest'} first` : undefined;
    void vscode.commands.executeCommand('setContext', 'agentls.reviewing', Boolean(active));
    this.emitter.fire(undefined);
  }

  async getChildren(node?: ReviewNode): Promise<ReviewNode[]> {
    if (!node) {
      if (!this.review.queue && !this.review.unsupported) {
        await this.review.fetchQueue();
      }
      const nodes: ReviewNode[] = this.review.entries().map((entry) => ({ type: 'review-entry', entry }));
      const notQueued = this.review.queue?.notQueued ?? [];
      if (nodes.length && notQueued.length) {
        nodes.push({ type: 'review-not-queued', list: notQueued });
      }
      return nodes;
    }
    switch (node.type) {
      case 'review-entry':
        try {
          const item = await this.review.item(node.entry.session);
          return this.itemRows(item);
        } catch (err) {
          return [row(node.entry.session, 'error', `could not read the review item: ${err instanceof Error ? err.message : String(err)}`, { icon: ['warning', 'list.warningForeground'] })];
        }
      case 'review-row':
        return node.children ?? [];
      case 'review-not-queued':
        return node.list.map((n) => row('', `not-queued:${n.session}`, n.session, { description: notQueuedText(n.reason), icon: ['circle-slash', undefined] }));
      default:
        return [];
    }
  }

  /** What an expanded session shows: its summary rows, then its files. */
  private itemRows(item: ReviewItem): ReviewNode[] {
    const s = item.session;
    const trunk = item.trunk?.branch ?? 'trunk';
    const rows: ReviewNode[] = [];
    const review = item.review;
    const since = sinceReviewChanges(item);
    rows.push(
      row(s, 'review', reviewStateLabel(review), {
        description: review?.state && review.state !== 'unreviewed' ? reviewSentence(review).replace(/^[a-z ]+?(?= by| \d|$)/, '').trim() : undefined,
        tooltip: [reviewSentence(review), review?.notes ? `\nNotes:\n${review.notes}` : ''].join(''),
        icon: reviewStateIcon(review),
        children: since.map((change) => fileNode(s, change, 'review')),
        expanded: since.length > 0,
        command: since.length ? { command: OPEN_SINCE_REVIEW, title: 'Changes since review', arguments: [s] } : undefined,
      }),
    );
    const findings = [
      ...(item.landable?.blockers ?? []).map((f) => row(s, `blocker:${f.code}`, f.message, { icon: ['error', 'list.errorForeground'] })),
      ...(item.landable?.warnings ?? []).map((f) => row(s, `warning:${f.code}:${f.message}`, f.message, { icon: ['warning', 'list.warningForeground'] })),
    ];
    rows.push(
      row(s, 'landable', item.landable?.now ? 'landable now' : landableText(item.landable, trunk), {
        description: item.behind ? `${item.behind} behind ${trunk}` : undefined,
        icon: item.landable?.now ? ['rocket', 'testing.iconPassed'] : ['circle-slash', 'list.errorForeground'],
        children: findings,
        expanded: !item.landable?.now,
      }),
    );
    const collisions = this.collisionNodes(item);
    rows.push(
      row(s, 'collisions', collisionCountsText(item.collisions), {
        icon: collisions.length ? ['error', 'list.warningForeground'] : ['check', undefined],
        children: collisions,
      }),
    );
    const byPath = new Map(item.files.map((f) => [f.path, f]));
    rows.push(
      row(s, 'scope', scopeText(item.scope), {
        description: item.scope?.claims.length ? `claims ${item.scope.claims.join(', ')}` : undefined,
        icon: item.scope?.outside.length ? ['unlock', 'list.warningForeground'] : ['lock', undefined],
        children: (item.scope?.outside ?? []).map((p) => {
          const file = byPath.get(p);
          return file ? fileNode(s, fileChange(item, file), 'base') : row(s, `outside:${p}`, p);
        }),
      }),
    );
    rows.push(
      row(s, 'checks', checksText(item.checks), {
        tooltip: `${checksSentence(item.checks)}\nRun Checks runs trunk's build and test commands on ${s}'s HEAD (committed work) in a scratch checkout.`,
        icon: !item.checks ? ['beaker', undefined] : item.checks.ok ? ['pass', 'testing.iconPassed'] : ['error', 'testing.iconFailed'],
        context: 'agentls-review-checks',
        children: (item.checks?.results ?? []).map((r, i) =>
          row(s, `check:${i}`, `${r.kind}: ${r.command}`, {
            description: r.ok ? 'passed' : `failed${typeof r.exitCode === 'number' ? ` (exit ${r.exitCode})` : ''}`,
            tooltip: r.output ?? r.summary ?? undefined,
            icon: r.ok ? ['pass', 'testing.iconPassed'] : ['error', 'testing.iconFailed'],
          }),
        ),
      }),
    );
    rows.push(
      row(s, 'commits', `${item.commits.length} commit${item.commits.length === 1 ? '' : 's'}`, {
        description: `head ${item.head?.slice(0, 8) ?? '?'}`,
        icon: ['git-commit', undefined],
        children: item.commits.map((c) =>
          row(s, `commit:${c.id}`, commitLabel(c), { tooltip: `${c.id}\n${c.author ?? ''}${c.email ? ` <${c.email}>` : ''}\n\n${c.message ?? c.summary}`, icon: ['git-commit', undefined] }),
        ),
      }),
    );
    for (const [name, text] of Object.entries(item.notes ?? {})) {
      if (typeof text === 'string') {
        const file = vscode.Uri.file(path.join(item.path, name));
        rows.push(row(s, `note:${name}`, name, { description: 'notes', tooltip: text.slice(0, 2000), icon: ['note', undefined], command: { command: 'vscode.open', title: 'Open', arguments: [file] } }));
      }
    }
    rows.push(
      row(s, 'changes', 'Changes', {
        description: statText(item.stat),
        tooltip: `Click: every file in the multi-file diff editor (base ${item.base?.slice(0, 8) ?? '?'} ↔ ${s}'s current state).`,
        icon: ['diff-multiple', undefined],
        children: item.files.map((file) => fileNode(s, fileChange(item, file), 'base')),
        expanded: true,
        command: { command: OPEN_REVIEW_CHANGES, title: 'Open Changes', arguments: [s] },
      }),
    );
    return rows;
  }

  private collisionNodes(item: ReviewItem): CollisionNode[] {
    const report = this.sessions.report;
    const views: CollisionView[] = collisionsOf(
      { trunk: item.trunk as { branch: string; commit: string }, sessions: report?.sessions ?? [], overlaps: item.collisionList ?? [] },
      item.session,
    );
    return views.map((collision) => ({ type: 'collision', session: item.session, collision }));
  }

  getTreeItem(node: ReviewNode): vscode.TreeItem {
    switch (node.type) {
      case 'review-entry':
        return this.entryItem(node.entry);
      case 'review-row': {
        const state = node.children?.length
          ? node.expanded
            ? vscode.TreeItemCollapsibleState.Expanded
            : vscode.TreeItemCollapsibleState.Collapsed
          : vscode.TreeItemCollapsibleState.None;
        const item = new vscode.TreeItem(node.label, state);
        item.id = `review:${node.session}:${node.key}`;
        item.description = node.description;
        item.tooltip = node.tooltip;
        item.iconPath = node.icon ? new vscode.ThemeIcon(node.icon[0], node.icon[1] ? new vscode.ThemeColor(node.icon[1]) : undefined) : undefined;
        item.command = node.command;
        item.contextValue = node.context ?? 'agentls-review-row';
        return item;
      }
      case 'review-file':
        return fileItem(node);
      case 'review-not-queued': {
        const item = new vscode.TreeItem('Not in the queue', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = 'review:not-queued';
        item.description = `${node.list.length}`;
        item.iconPath = new vscode.ThemeIcon('circle-slash');
        item.tooltip = 'Trunk, research forks (they never land) and sessions with nothing to review.';
        return item;
      }
      case 'collision': {
        // The Sessions view's collision rows, with the same click (compare the two versions).
        const c = node.collision;
        const item = new vscode.TreeItem(path.posix.basename(c.path), vscode.TreeItemCollapsibleState.None);
        item.id = `review:${node.session}:collision:${c.kind}:${c.path}:${c.other}`;
        item.description = c.alone ? c.kind : `${c.kind} · ${c.other}`;
        item.iconPath = new vscode.ThemeIcon(c.kind === 'conflict' ? 'error' : 'info', new vscode.ThemeColor(c.kind === 'conflict' ? 'list.errorForeground' : 'list.warningForeground'));
        item.contextValue = `agentls-collision kind-${c.kind}${c.alone ? ' alone' : ' paired'}`;
        item.command = { command: COMPARE_COLLISION, title: 'Compare', arguments: [node] };
        return item;
      }
    }
  }

  private entryItem(entry: QueueEntry): vscode.TreeItem {
    const active = this.review.active?.session === entry.session;
    const trunk = this.review.queue?.trunk.branch ?? 'trunk';
    const state = this.review.stateOf(entry.session) ?? entry.review;
    const item = new vscode.TreeItem(
      active ? { label: entry.session, highlights: [[0, entry.session.length]] } : entry.session,
      active ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    // The id changes with the sweep's position, so VS Code expands the reviewed session.
    item.id = `review-entry:${entry.session}:${active ? 'reviewing' : 'queued'}`;
    item.description = `${active ? 'reviewing · ' : ''}${entryDescription({ ...entry, review: { ...entry.review, ...state } })}`;
    const [icon, color] = active ? ['eye', undefined] : reviewStateIcon(state);
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.tooltip = new vscode.MarkdownString(`${entryTooltip(entry, trunk)}\n\n*Click: review it (its changes in the multi-file diff editor)*`);
    const words = ['agentls-review-entry', `state-${state.state}`];
    if (entry.landable?.now) {
      words.push('landable');
    }
    if (active) {
      words.push('reviewing');
    }
    item.contextValue = words.join(' ');
    item.command = { command: OPEN_REVIEW, title: 'Review', arguments: [entry.session] };
    return item;
  }

  /** Show SESSION's row (the sweep moved there). */
  async reveal(session: string): Promise<void> {
    const entry = this.review.entry(session);
    if (entry && this.view.visible) {
      await this.view.reveal({ type: 'review-entry', entry }, { select: false, focus: false, expand: true }).then(undefined, () => undefined);
    }
  }

  getParent(): undefined {
    return undefined;
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
    this.emitter.dispose();
  }
}

function row(session: string, key: string, label: string, more: Partial<ReviewRowNode> = {}): ReviewRowNode {
  return { type: 'review-row', session, key, label, ...more };
}

function fileNode(session: string, change: FileChange, from: 'base' | 'review'): ReviewFileNode {
  return { type: 'review-file', session, change, from };
}

function fileItem(node: ReviewFileNode): vscode.TreeItem {
  const file: ItemFile = node.change.file;
  const item = new vscode.TreeItem(fileLabel(file), vscode.TreeItemCollapsibleState.None);
  item.id = `review:${node.session}:${node.from}:file:${file.path}`;
  // The worktree's file: the theme's file icon, and the Explorer's decorations.
  item.resourceUri = vscode.Uri.file(node.change.worktreeFile);
  item.description = fileDescription(file);
  item.tooltip = fileTooltip(file, node.session);
  item.contextValue = 'agentls-review-file';
  item.command = { command: OPEN_REVIEW_FILE, title: 'Open Diff', arguments: [node] };
  return item;
}
