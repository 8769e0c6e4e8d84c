// Entry point: wires the server, the sessions model, the view, the status bar and commands.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import * as log from './common/logging';
import { AgentlsServer } from './common/server';
import { needsRestart } from './common/settings';
import { SessionsModel } from './sessionsModel';
import { SessionsTree, VIEW_ID } from './sessionsView';
import { StatusBar } from './statusBar';

let server: AgentlsServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  server = new AgentlsServer();
  const model = new SessionsModel(server);
  const tree = new SessionsTree(model);
  context.subscriptions.push(
    log.logChannel(),
    server,
    model,
    tree,
    vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true }),
    new StatusBar(server, model),
    ...registerCommands(server, model),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (needsRestart(event)) {
        log.info('server settings changed; restarting the server');
        void server?.restart();
      }
    }),
    // Trusting the workspace makes restricted settings (agentls.server.path) take effect.
    vscode.workspace.onDidGrantWorkspaceTrust(() => void server?.restart()),
  );
  await server.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
