// Tells the person when the server cannot run, once per distinct problem, with the
// fix that fits; the language status item and the Sessions view keep offering it
// (VS Code cannot take a toast back, so a fix clicked after the server recovered
// says so instead of acting on a stale problem).
import * as vscode from 'vscode';
import * as log from './logging';
import { FixAction, installCommand, problemView, SettingScope, SetupProblem } from './problems';
import { AgentlsServer } from './server';

export const SHOW_SETUP_PROBLEM = 'agentls.palette.showSetupProblem';

export class SetupReporter implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private shownKey: string | undefined;

  constructor(private readonly server: AgentlsServer) {
    this.subscriptions.push(
      server.onStateChanged((state) => {
        if (state.kind === 'failed') {
          const key = JSON.stringify(state.problem);
          if (key !== this.shownKey) {
            this.shownKey = key;
            void this.show(state.problem);
          }
        } else if (state.kind === 'running') {
          this.shownKey = undefined;
        }
      }),
      vscode.commands.registerCommand(SHOW_SETUP_PROBLEM, () => this.showCurrent()),
    );
  }

  /** The current problem again (from the status item or the Sessions view). */
  private async showCurrent(): Promise<void> {
    const state = this.server.state;
    if (state.kind === 'failed') {
      await this.show(state.problem);
    } else if (state.kind === 'inactive') {
      void vscode.window.showInformationMessage(`AgentLS is not active here: ${state.reason}.`);
    } else {
      log.showLogs();
    }
  }

  private async show(problem: SetupProblem): Promise<void> {
    const view = problemView(problem);
    log.error(view.message);
    const choice = await vscode.window.showErrorMessage(view.message, ...view.actions.map((a) => a.label));
    const action = view.actions.find((a) => a.label === choice);
    if (action) {
      await this.fix(action);
    }
  }

  private async fix(action: FixAction): Promise<void> {
    if (action.id === 'show-logs') {
      log.showLogs();
      return;
    }
    if (this.server.state.kind === 'running') {
      // A toast from before the server recovered.
      void vscode.window.showInformationMessage('AgentLS: the server is running now; nothing to fix.');
      return;
    }
    switch (action.id) {
      case 'install': {
        // Typed, not run: the person sees which Python gets the package before pressing Enter.
        const terminal = vscode.window.createTerminal({ name: 'AgentLS: install' });
        terminal.show();
        terminal.sendText(installCommand(action.interpreter), false);
        void vscode.window.showInformationMessage(
          'AgentLS: the install command is typed in the terminal; press Enter to run it, then AgentLS: Restart Server.',
        );
        return;
      }
      case 'open-settings':
        await openSettingAt(action.scope, 'agentls.server.path');
        return;
      case 'select-interpreter':
        await vscode.commands.executeCommand('python.setInterpreter');
        return;
      case 'restart':
        await this.server.restart();
        return;
    }
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
  }
}

/** The Settings editor on the tab where KEY's value actually lives, filtered to KEY. */
export async function openSettingAt(scope: SettingScope, key: string): Promise<void> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (scope === 'workspace' || (scope === 'folder' && !vscode.workspace.workspaceFile)) {
    // One folder: its settings are the workspace settings.
    await vscode.commands.executeCommand('workbench.action.openWorkspaceSettings', { query: key });
  } else if (scope === 'folder' && folders[0]) {
    // A multi-root workspace: the folder's own settings file.
    const file = vscode.Uri.joinPath(folders[0].uri, '.vscode', 'settings.json');
    const document = await vscode.workspace.openTextDocument(file);
    const at = document.getText().indexOf(`"${key}"`);
    const position = document.positionAt(Math.max(at, 0));
    await vscode.window.showTextDocument(document, { selection: new vscode.Range(position, position) });
  } else {
    await vscode.commands.executeCommand('workbench.action.openSettings', key);
  }
}
