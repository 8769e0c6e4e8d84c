// Entry point: wires the server, the sessions and review models, their views, the
// status items, the `agentls:` versions and the commands.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import * as log from './common/logging';
import { AgentlsServer } from './common/server';
import { needsRestart } from './common/settings';
import { SetupReporter } from './common/setup';
import { describeRefusal } from './refusals';
import { VersionProvider } from './diff';
import { ReviewModel } from './review/reviewModel';
import { ReviewTree } from './review/reviewView';
import { SemanticChecks } from './semanticUi';
import { SessionsModel } from './sessionsModel';
import { SessionsTree, VIEW_ID } from './sessionsView';
import { StatusBar } from './statusBar';

let server: AgentlsServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  server = new AgentlsServer();
  const model = new SessionsModel(server);
  const review = new ReviewModel(server);
  const tree = new SessionsTree(model, review);
  const reviewTree = new ReviewTree(review, model);
  context.subscriptions.push(
    log.logChannel(),
    server,
    model,
    review,
    tree,
    vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true }),
    reviewTree,
    new StatusBar(server, model),
    new SetupReporter(server),
    new VersionProvider(server, model),
    ...registerCommands(server, model, review, reviewTree),
    new SemanticChecks(server, model), // after the commands: it routes agentls.verify.* code actions
    // An operation started elsewhere (another extension, a code action of an older
    // client) that nobody here waited for: say how it ended.
    server.onUnclaimedOperation((end) => {
      void model.fetchReport();
      const title = end.title ?? end.command ?? 'an operation';
      if (end.ok) {
        void vscode.window.showInformationMessage(`AgentLS: ${title}: done.`);
      } else {
        void vscode.window.showWarningMessage(`AgentLS: ${title}: ${describeRefusal(end.error ?? (end.result as object) ?? {}).text}`);
      }
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (needsRestart(event)) {
        log.info('server settings changed; restarting the server');
        void server?.restart();
      }
    }),
    // Trusting the workspace makes restricted settings (agentls.server.path) take effect.
    vscode.workspace.onDidGrantWorkspaceTrust(() => void server?.restart()),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void server?.restart()),
  );
  // Not awaited: activation (and every command) must not wait for the server to start.
  void server.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
