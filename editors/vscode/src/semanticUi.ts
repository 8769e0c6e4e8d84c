// Semantic checks in the window (docs/semantic.md): a status item with what runs and how
// many pairs wait, the palette commands (verify now, allow or stop background checks),
// and the Sessions view's actions on a `semantic` collision (open it, its full log,
// check again). The server's own code actions (agentls.verify.run / showLog) are routed
// here too, so a re-run shows its progress and result like the palette command.
import * as path from 'path';
import * as vscode from 'vscode';
import { Ui } from './commands/ui';
import { openFileAt } from './diff';
import { AgentlsServer } from './common/server';
import {
  ALLOW_BACKGROUND,
  pairLabel,
  SemanticStatus,
  semanticStatusView,
  SHOW_CHECKS,
  VERIFY,
  VerifyResult,
  verifyResultText,
} from './semantic';
import { SessionsModel } from './sessionsModel';
import { CollisionNode } from './sessionsView';

export const OPEN_SEMANTIC = 'agentls.palette.openSemantic';
const FORBID_BACKGROUND = 'agentls.palette.forbidBackgroundChecks';
const SHOW_LOG = 'agentls.palette.semanticLog';
const RECHECK = 'agentls.palette.recheckSemantic';

export class SemanticChecks implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('agentls.semantic', vscode.StatusBarAlignment.Left, 49);
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly ui: Ui;
  status: SemanticStatus | undefined;

  constructor(
    private readonly server: AgentlsServer,
    private readonly model: SessionsModel,
  ) {
    this.ui = new Ui(server, model);
    this.item.name = 'AgentLS semantic checks';
    this.subscriptions.push(
      server.onSemanticChanged((params) => {
        this.status = params as SemanticStatus;
        this.update();
      }),
      server.onStateChanged((state) => {
        if (state.kind !== 'running') {
          this.status = undefined;
          this.update();
        }
      }),
      ...Object.entries({
        [VERIFY]: () => this.verify(),
        [ALLOW_BACKGROUND]: () => this.allow(true),
        [FORBID_BACKGROUND]: () => this.allow(false),
        [SHOW_CHECKS]: () => this.showChecks(),
        [OPEN_SEMANTIC]: (arg?: unknown) => this.open(arg as CollisionNode),
        [SHOW_LOG]: (arg?: unknown) => this.showLog((arg as CollisionNode | undefined)?.collision.semantic?.log ?? undefined),
        [RECHECK]: (arg?: unknown) => this.verify((arg as CollisionNode | undefined)?.collision.semantic?.pair, true),
      }).map(([id, handler]) => vscode.commands.registerCommand(id, handler)),
    );
    this.route();
    this.update();
  }

  /** The server's code actions for semantic diagnostics run through the palette's code. */
  private route(): void {
    const middleware = this.server.middleware ?? {};
    const inner = middleware.executeCommand;
    middleware.executeCommand = async (command, args, next) => {
      const first = (args?.[0] ?? {}) as Record<string, unknown>;
      if (command === 'agentls.verify.run') {
        const pair = Array.isArray(first.pair) ? first.pair.filter((n): n is string => typeof n === 'string') : undefined;
        return this.verify(pair, first.force === true);
      }
      return inner ? inner(command, args, next) : next(command, args);
    };
    this.server.middleware = middleware;
  }

  update(): void {
    const view = semanticStatusView(this.status);
    if (!view.visible) {
      this.item.hide();
      return;
    }
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.command = view.command;
    this.item.show();
  }

  /** Build and test the pending pairs (or PAIR) merged, now: a person's request. */
  async verify(pair?: string[], force = false): Promise<VerifyResult | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('AgentLS: semantic checks run the build and test commands; trust this workspace first.');
      return undefined;
    }
    const argument = pair && pair.length === 2 ? { pair, force } : { force };
    const title = pair && pair.length === 2 ? `checking ${pairLabel(pair)} merged` : 'checking every pair merged';
    const result = await this.ui.run('verify', () => this.ui.withProgress<VerifyResult>(title, 'agentls.verify.run', argument));
    if (!result) {
      return undefined;
    }
    const text = `AgentLS: ${verifyResultText(result)}`;
    if (result.found > 0) {
      const choice = await vscode.window.showWarningMessage(text, 'Show Problems');
      if (choice === 'Show Problems') {
        await vscode.commands.executeCommand('workbench.actions.view.problems');
      }
    } else {
      void vscode.window.showInformationMessage(text);
    }
    return result;
  }

  async allow(allow: boolean): Promise<void> {
    if (allow) {
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage('AgentLS: background checks run the build and test commands; trust this workspace first.');
        return;
      }
      const ok = await this.ui.confirm(
        'Allow background semantic checks for this repository?',
        "When sessions have been quiet for a while, AgentLS builds and tests each pair merged, running the build and test commands configured on trunk ([tool.agentls.land] / [tool.agentls.verify]) in a scratch checkout under the repository's .git folder, at low priority, one at a time. This is recorded for you only (~/.config/agentls/verify.json).",
        'Allow',
        false,
      );
      if (!ok) {
        return;
      }
    }
    const done = await this.ui.run('background checks', () =>
      this.server.execute<{ background: string }>('agentls.verify.allowBackground', { allow }),
    );
    if (done) {
      void vscode.window.showInformationMessage(
        allow ? `AgentLS: background semantic checks allowed (now: ${done.background}).` : 'AgentLS: background semantic checks stopped for this repository.',
      );
    }
  }

  /** What the checks are doing, and what can be done from here. */
  async showChecks(): Promise<void> {
    const status = this.status;
    const view = semanticStatusView(status);
    const items: (vscode.QuickPickItem & { run?: () => unknown })[] = [
      { label: '$(beaker) Verify Merged Builds now', detail: 'Check every pair not checked yet for its current state', run: () => this.verify() },
    ];
    if (status?.background === 'needs-opt-in') {
      items.push({ label: '$(check) Allow Background Checks', run: () => this.allow(true) });
    } else if (status?.background === 'on') {
      items.push({ label: '$(circle-slash) Stop Background Checks', run: () => this.allow(false) });
    }
    const picked = await vscode.window.showQuickPick(items, {
      title: `AgentLS: semantic checks — ${status ? `background ${status.background}, ${status.queue} queued` : 'no status yet'}`,
      placeHolder: view.tooltip.split('\n').slice(-1)[0],
    });
    await picked?.run?.();
  }

  /** A semantic collision in the tree: this session's file at the failing test's line. */
  async open(node: CollisionNode | undefined): Promise<void> {
    if (!node || node.type !== 'collision') {
      return;
    }
    const own = this.model.session(node.session);
    if (own) {
      const [start, end] = node.collision.ownRanges[0] ?? [1, 1];
      await openFileAt(path.join(own.path, node.collision.path), start, end);
    }
  }

  async showLog(log: string | undefined): Promise<void> {
    if (!log) {
      void vscode.window.showInformationMessage('AgentLS: this check kept no log.');
      return;
    }
    await this.ui.run('open the log', () => this.server.execute('agentls.verify.showLog', { log }));
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
    this.item.dispose();
  }
}
