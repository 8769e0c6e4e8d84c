// The status bar item: this window's session and its collision count; click opens the view.
import * as vscode from 'vscode';
import { AgentlsServer } from './common/server';
import { statusView } from './model';
import { SessionsModel } from './sessionsModel';
import { VIEW_ID } from './sessionsView';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('agentls.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly server: AgentlsServer,
    private readonly model: SessionsModel,
  ) {
    this.item.name = 'AgentLS';
    this.item.command = `${VIEW_ID}.focus`;
    this.subscriptions = [model.onDidChange(() => this.update()), server.onRunningChanged(() => this.update())];
    this.update();
    this.item.show();
  }

  update(): void {
    const view = statusView(this.model.summary, this.server.running || this.model.summary !== undefined, this.model.report);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
    this.item.dispose();
  }
}
