// The status bar item (this window's session and its collision count; click opens
// the Sessions view) and the language status item (the server's state, as the Python
// and ruff extensions show theirs). Outside a git repository both stay quiet.
import * as vscode from 'vscode';
import { problemView } from './common/problems';
import { AgentlsServer, ServerState } from './common/server';
import { SHOW_SETUP_PROBLEM } from './common/setup';
import { statusView } from './model';
import { plural } from './common/words';
import { SessionsModel } from './sessionsModel';
import { VIEW_ID } from './sessionsView';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('agentls.status', vscode.StatusBarAlignment.Left, 50);
  private readonly language = vscode.languages.createLanguageStatusItem('agentls.server', [{ scheme: 'file' }, { scheme: 'untitled' }]);
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly server: AgentlsServer,
    private readonly model: SessionsModel,
  ) {
    this.item.name = 'AgentLS';
    this.language.name = 'AgentLS';
    this.subscriptions = [model.onDidChange(() => this.update()), server.onStateChanged(() => this.update())];
    this.update();
  }

  update(): void {
    const state: ServerState = this.server.state;
    this.updateLanguageStatus(state);
    switch (state.kind) {
      case 'running': {
        const view = statusView(this.model.summary, this.model.report);
        this.item.text = view.text;
        this.item.tooltip = view.tooltip;
        this.item.command = `${VIEW_ID}.focus`;
        this.item.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
        this.item.show();
        return;
      }
      case 'starting':
        this.item.text = '$(sync~spin) AgentLS';
        this.item.tooltip = 'AgentLS: starting the server';
        this.item.command = 'agentls.palette.showLogs';
        this.item.backgroundColor = undefined;
        this.item.show();
        return;
      case 'failed': {
        const view = problemView(state.problem);
        this.item.text = '$(error) AgentLS';
        this.item.tooltip = `AgentLS: ${view.status.text}\n${view.status.detail}\nClick for the fix.`;
        this.item.command = SHOW_SETUP_PROBLEM;
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        this.item.show();
        return;
      }
      case 'stopped':
        this.item.text = '$(debug-disconnect) AgentLS';
        this.item.tooltip = 'AgentLS: the server is stopped. Click to restart it.';
        this.item.command = 'agentls.palette.restart';
        this.item.backgroundColor = undefined;
        this.item.show();
        return;
      case 'inactive':
        // Nothing to say in a folder agentls does not apply to.
        this.item.hide();
        return;
    }
  }

  private updateLanguageStatus(state: ServerState): void {
    const l = this.language;
    l.busy = state.kind === 'starting';
    switch (state.kind) {
      case 'running': {
        const me = this.model.summary?.self;
        const mine = this.model.summary?.sessions.find((s) => s.name === me);
        l.severity = vscode.LanguageStatusSeverity.Information;
        l.text = me ? `AgentLS: ${me}` : 'AgentLS';
        l.detail = mine ? plural(mine.collisions, 'collision') : state.command.source;
        l.command = { title: 'Sessions', command: `${VIEW_ID}.focus` };
        return;
      }
      case 'starting':
        l.severity = vscode.LanguageStatusSeverity.Information;
        l.text = 'AgentLS';
        l.detail = 'starting';
        l.command = { title: 'Show Logs', command: 'agentls.palette.showLogs' };
        return;
      case 'failed': {
        const view = problemView(state.problem);
        l.severity = vscode.LanguageStatusSeverity.Error;
        l.text = `AgentLS: ${view.status.text}`;
        l.detail = view.status.detail;
        l.command = { title: 'Fix', command: SHOW_SETUP_PROBLEM };
        return;
      }
      case 'stopped':
        l.severity = vscode.LanguageStatusSeverity.Warning;
        l.text = 'AgentLS: stopped';
        l.detail = '';
        l.command = { title: 'Restart', command: 'agentls.palette.restart' };
        return;
      case 'inactive':
        l.severity = vscode.LanguageStatusSeverity.Information;
        l.text = 'AgentLS: inactive';
        l.detail = state.reason;
        l.command = undefined;
        return;
    }
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
    this.item.dispose();
    this.language.dispose();
  }
}
