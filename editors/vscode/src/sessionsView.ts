// The Sessions tree: one node per session (short label and description; every fact in
// the tooltip), its collisions and claims as children, and removed sessions that can
// be brought back. Clicking a session opens its worktree (in a new window; this
// window's own is revealed in the Explorer); clicking a collision compares the two
// versions in VS Code's diff editor.
import * as vscode from 'vscode';
import {
  CollisionView,
  collisionDescription,
  collisionKey,
  collisionLabel,
  collisionsOf,
  ownWorkCollides,
  collisionTooltip,
  sessionContext,
  sessionDescription,
  sessionIcon,
  sessionTooltip,
  SessionSummary,
} from './model';
import { backupLabel } from './refusals';
import { reviewStateLabel, sessionReviewWord } from './review/model';
import { ReviewModel } from './review/reviewModel';
import { RemovedSession, SessionsModel } from './sessionsModel';
import { plural } from './common/words';

export const VIEW_ID = 'agentls.sessions';
export const OPEN_SESSION = 'agentls.palette.openSession';
export const COMPARE_COLLISION = 'agentls.palette.compareCollision';

export type SessionNode = { type: 'session'; session: SessionSummary };
export type CollisionNode = { type: 'collision'; session: string; collision: CollisionView };
export type ClaimNode = { type: 'claim'; session: string; glob: string };
export type RemovedGroupNode = { type: 'removed-group'; removed: RemovedSession[] };
export type RemovedNode = { type: 'removed'; removed: RemovedSession };
export type Node = SessionNode | CollisionNode | ClaimNode | RemovedGroupNode | RemovedNode;

const KIND_ICONS: Record<string, [string, string]> = {
  conflict: ['error', 'list.errorForeground'],
  overlap: ['info', 'list.warningForeground'],
  ownership: ['lock', 'list.warningForeground'],
  'research-write': ['telescope', 'list.warningForeground'],
  semantic: ['beaker', 'list.errorForeground'],
};

export class SessionsTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly model: SessionsModel,
    private readonly review?: ReviewModel,
  ) {
    const refresh = (): void => this.emitter.fire(undefined);
    this.subscription = vscode.Disposable.from(model.onDidChange(refresh), ...(review ? [review.onDidChange(refresh)] : []));
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      const sessions: Node[] = this.model
        .sessions()
        .sort((a, b) => Number(b.role === 'trunk') - Number(a.role === 'trunk') || a.priority - b.priority || a.name.localeCompare(b.name))
        .map((session) => ({ type: 'session', session }));
      const removed = this.model.removed();
      return removed.length ? [...sessions, { type: 'removed-group', removed }] : sessions;
    }
    switch (node.type) {
      case 'session': {
        const collisions: Node[] = this.model.report
          ? collisionsOf(this.model.report, node.session.name).map((collision) => ({ type: 'collision', session: node.session.name, collision }))
          : [];
        const claims: Node[] = (node.session.claims ?? []).map((glob) => ({ type: 'claim', session: node.session.name, glob }));
        return [...collisions, ...claims];
      }
      case 'removed-group':
        return node.removed.map((removed) => ({ type: 'removed', removed }));
      default:
        return [];
    }
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.type) {
      case 'session':
        return this.sessionItem(node.session);
      case 'collision':
        return collisionItem(node);
      case 'claim': {
        const item = new vscode.TreeItem(node.glob, vscode.TreeItemCollapsibleState.None);
        item.id = `claim:${node.session}:${node.glob}`;
        item.description = 'claimed';
        item.iconPath = new vscode.ThemeIcon('lock');
        item.contextValue = 'agentls-claim';
        item.tooltip = `${node.session} claims ${node.glob}: a change there by another session is an ownership collision.`;
        return item;
      }
      case 'removed-group': {
        const item = new vscode.TreeItem('Removed sessions', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = 'removed-group';
        item.description = `${node.removed.length}`;
        item.iconPath = new vscode.ThemeIcon('archive');
        item.tooltip = 'Sessions that were removed; their work is kept in backup refs and can be brought back.';
        item.contextValue = 'agentls-removed-group';
        return item;
      }
      case 'removed': {
        const latest = node.removed.backups[node.removed.backups.length - 1];
        const item = new vscode.TreeItem(node.removed.name, vscode.TreeItemCollapsibleState.None);
        item.id = `removed:${node.removed.name}`;
        item.description = latest ? `backup ${backupLabel(latest.ref)}` : '';
        item.iconPath = new vscode.ThemeIcon('history');
        item.contextValue = 'agentls-removed';
        item.tooltip = `${node.removed.name} was removed; ${plural(node.removed.backups.length, 'backup')} ${node.removed.backups.length === 1 ? 'keeps' : 'keep'} its work.\nBring it back to make it a session again.`;
        return item;
      }
    }
  }

  private sessionItem(s: SessionSummary): vscode.TreeItem {
    const isSelf = s.name === this.model.self;
    const hasChildren = (this.model.report ? collisionsOf(this.model.report, s.name).length : s.collisions) > 0 || (s.claims ?? []).length > 0;
    // Only collisions of its own work unfold the row and colour it (./model.ts).
    const colliding = this.model.report ? ownWorkCollides(this.model.report, s.name) : s.collisions > 0;
    const item = new vscode.TreeItem(
      // This window's session: highlighted rather than a longer label.
      isSelf ? { label: s.name, highlights: [[0, s.name.length]] } : s.name,
      colliding ? vscode.TreeItemCollapsibleState.Expanded : hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    // The id changes when collisions appear, so VS Code expands the node again then.
    item.id = `session:${s.name}:${colliding ? 'colliding' : 'clear'}`;
    // The review state, from agentls/reviewChanged (and the review queue).
    const review = this.review?.stateOf(s.name);
    item.description = sessionDescription(s, sessionReviewWord(review));
    item.iconPath = new vscode.ThemeIcon(sessionIcon(s, isSelf), colliding ? new vscode.ThemeColor('list.warningForeground') : undefined);
    item.contextValue = sessionContext(s, isSelf, this.model.backups.has(s.name), review !== undefined);
    const tooltip = new vscode.MarkdownString(
      sessionTooltip(s, isSelf, this.model.trunkBranch, review ? reviewStateLabel(review) : undefined) +
        `\n\n*Click: ${isSelf ? 'reveal in the Explorer' : 'open in a new window'}*`,
    );
    item.tooltip = tooltip;
    item.command = { command: OPEN_SESSION, title: isSelf ? 'Reveal' : 'Open in New Window', arguments: [{ type: 'session', session: s }] };
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

function collisionItem(node: CollisionNode): vscode.TreeItem {
  const c = node.collision;
  const item = new vscode.TreeItem(collisionLabel(c), vscode.TreeItemCollapsibleState.None);
  item.id = `collision:${collisionKey(c)}`;
  item.description = collisionDescription(c);
  const [icon, color] = KIND_ICONS[c.kind] ?? ['warning', 'list.warningForeground'];
  item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
  item.contextValue = `agentls-collision kind-${c.kind}${c.alone ? ' alone' : ' paired'}`;
  item.tooltip = collisionTooltip(c);
  item.command =
    c.kind === 'semantic' // the failing test (or first changed file) here: ./semanticUi.ts
      ? { command: 'agentls.palette.openSemantic', title: 'Open', arguments: [node] }
      : { command: COMPARE_COLLISION, title: c.alone ? 'Open' : 'Compare', arguments: [node] };
  return item;
}
