// The Sessions tree: one node per session (role icon, branch, priority, ahead/behind,
// changed count), its collisions as children that open the other side's lines.
import * as vscode from 'vscode';
import {
  CollisionView,
  collisionDescription,
  collisionLabel,
  collisionsOf,
  formatRanges,
  plural,
  roleIcon,
  sessionDescription,
  SessionSummary,
} from './model';
import { SessionsModel } from './sessionsModel';

export const VIEW_ID = 'agentls.sessions';
export const OPEN_COLLISION = 'agentls.palette.openCollision';

export type SessionNode = { type: 'session'; session: SessionSummary };
export type CollisionNode = { type: 'collision'; session: string; collision: CollisionView };
export type Node = SessionNode | CollisionNode;

export class SessionsTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly model: SessionsModel) {
    this.subscription = model.onDidChange(() => this.emitter.fire(undefined));
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      return this.model
        .sessions()
        .sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name))
        .map((session) => ({ type: 'session', session }));
    }
    if (node.type === 'session' && this.model.report) {
      return collisionsOf(this.model.report, node.session.name).map((collision) => ({
        type: 'collision',
        session: node.session.name,
        collision,
      }));
    }
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.type === 'session') {
      const s = node.session;
      const isSelf = s.name === this.model.self;
      const item = new vscode.TreeItem(
        isSelf ? `${s.name} (this window)` : s.name,
        s.collisions > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
      );
      item.id = `session:${s.name}`;
      item.description = sessionDescription(s);
      item.iconPath = new vscode.ThemeIcon(roleIcon(s, isSelf));
      item.contextValue = s.role === 'research' ? 'session.research' : s.role === 'trunk' ? 'session.trunk' : 'session.code';
      item.tooltip = new vscode.MarkdownString(
        `**${s.name}** — ${s.role}\n\n${s.path}\n\n${sessionDescription(s)} · ${plural(s.collisions, 'collision')}`,
      );
      item.resourceUri = vscode.Uri.file(s.path);
      return item;
    }
    const c = node.collision;
    const item = new vscode.TreeItem(collisionLabel(c), vscode.TreeItemCollapsibleState.None);
    item.id = `collision:${node.session}:${c.kind}:${c.path}:${c.other}`;
    item.description = collisionDescription(c);
    item.iconPath = new vscode.ThemeIcon(c.kind === 'conflict' ? 'error' : c.kind === 'overlap' ? 'info' : 'warning');
    item.contextValue = `collision.${c.kind}`;
    const lines = formatRanges(c.otherRanges);
    item.tooltip = c.alone
      ? `${c.kind} in ${c.path}`
      : `${c.kind} with ${c.other} in ${c.path}${lines ? ` (their lines ${lines})` : ''}`;
    item.command = { command: OPEN_COLLISION, title: 'Open other side', arguments: [c] };
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

/** Open the other session's file at its first colliding range. */
export async function openCollision(c: CollisionView): Promise<void> {
  const [start, end] = c.otherRanges[0] ?? [1, 1];
  const range = new vscode.Range(Math.max(start - 1, 0), 0, Math.max(end - 1, 0), Number.MAX_SAFE_INTEGER);
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(c.otherFile));
  await vscode.window.showTextDocument(document, { selection: range, preview: true });
}
