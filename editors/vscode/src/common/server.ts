// Starts, stops and talks to the agentls language server (one per window).
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
} from 'vscode-languageclient/node';
import { discoverServer, isExecutableFile, ServerCommand } from './discovery';
import * as log from './logging';
import { canImportAgentls, selectedInterpreter } from './python';
import { getSettings, SECTION } from './settings';
import { SessionsChanged } from '../model';

export const SESSIONS_CHANGED = 'agentls/sessionsChanged';
/** How a long operation (land, land all, new, fork) ended; see docs/server.md. */
export const OPERATION_FINISHED = 'agentls/operationFinished';

interface OperationFinished {
  operation: string;
  ok: boolean;
  result: unknown;
  error: { code: string; message: string; data: Record<string, unknown> } | null;
}

/** A refusal or bad-argument error from a server command, with the server's message. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message);
  }
}

export interface Progress {
  message?: string;
  percentage?: number;
}

/** Owns the LanguageClient; other parts subscribe to its events and call `execute`. */
export class AgentlsServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<void> | undefined;
  private readonly changed = new vscode.EventEmitter<SessionsChanged>();
  private readonly stateChanged = new vscode.EventEmitter<boolean>();
  private lastCommand: ServerCommand | undefined;
  /** Operations that ended before anyone waited for them, and those being waited for. */
  private readonly ended = new Map<string, OperationFinished>();
  private readonly waiting = new Map<string, (end: OperationFinished) => void>();
  /** The latest `agentls/sessionsChanged` params (undefined before the first). */
  last: SessionsChanged | undefined;

  /** Fires with every `agentls/sessionsChanged` notification. */
  readonly onSessionsChanged = this.changed.event;
  /** Fires true when the server is running, false when it stopped. */
  readonly onRunningChanged = this.stateChanged.event;

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  get command(): ServerCommand | undefined {
    return this.lastCommand;
  }

  /** Discover and start the server; on failure tell the user how to fix it (never silently). */
  start(): Promise<void> {
    if (!this.starting) {
      this.starting = this.doStart().finally(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const settings = getSettings(folder?.uri);
    const found = await discoverServer(
      {
        serverPath: settings.serverPath,
        interpreter: settings.serverPath.length ? undefined : await selectedInterpreter(folder?.uri),
        pathEnv: process.env.PATH ?? '',
      },
      { isExecutable: isExecutableFile, canImportAgentls },
    );
    for (const reason of found.tried) {
      log.info(`server discovery: ${reason}`);
    }
    if (!found.ok) {
      await this.reportMissing(found.tried);
      return;
    }
    const server = found.server;
    this.lastCommand = server;
    log.info(`starting ${[server.command, ...server.args].join(' ')} (from ${server.source})`);

    const serverOptions: ServerOptions = {
      command: server.command,
      args: server.args,
      options: { cwd: folder?.uri.fsPath, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file' }],
      outputChannel: log.logChannel(),
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      // `operations`: this client handles agentls/operationFinished itself.
      initializationOptions: { ...settings.options, operations: true },
      synchronize: { configurationSection: SECTION },
      workspaceFolder: folder,
      initializationFailedHandler: (err) => {
        log.error(`server initialisation failed: ${String(err)}`);
        return false;
      },
    };
    const client = new LanguageClient('agentls', 'AgentLS', serverOptions, clientOptions);
    client.onDidChangeState((event) => this.stateChanged.fire(event.newState === State.Running));
    client.onNotification(SESSIONS_CHANGED, (params: SessionsChanged) => {
      this.last = params;
      this.changed.fire(params);
    });
    client.onNotification(OPERATION_FINISHED, (end: OperationFinished) => {
      const waiter = this.waiting.get(end.operation);
      if (waiter) {
        this.waiting.delete(end.operation);
        waiter(end);
      } else {
        this.ended.set(end.operation, end);
      }
    });
    this.client = client;
    try {
      await client.start();
    } catch (err) {
      log.error(`could not start ${server.command}: ${String(err)}`);
      this.client = undefined;
      await this.reportFailed(server, err);
    }
  }

  /** Stop the server (if running) and forget its state. */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.last = undefined;
    if (client) {
      try {
        await client.stop(5000);
      } catch (err) {
        log.warn(`stopping the server: ${String(err)}`);
      }
      this.stateChanged.fire(false);
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /**
   * Run a server command (`workspace/executeCommand`) with ONE object argument.
   * With ON_PROGRESS, sends a workDoneToken and reports `$/progress`; cancelling TOKEN
   * cancels the request and the server-side work.
   */
  async execute<T>(
    command: string,
    argument: object,
    token?: vscode.CancellationToken,
    onProgress?: (progress: Progress) => void,
  ): Promise<T> {
    if (this.starting) {
      await this.starting;
    }
    const client = this.client;
    if (!client || client.state !== State.Running) {
      throw new CommandError('the AgentLS server is not running (see AgentLS: Show Logs)', undefined);
    }
    const workDoneToken = onProgress ? `agentls-${Date.now()}-${Math.random().toString(36).slice(2)}` : undefined;
    const subscriptions: vscode.Disposable[] = [];
    if (workDoneToken && onProgress) {
      subscriptions.push(
        client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
          if (value.kind !== 'end') {
            onProgress({ message: value.message, percentage: value.percentage });
          }
        }),
      );
      if (token) {
        subscriptions.push(
          token.onCancellationRequested(() => {
            void client.sendNotification(WorkDoneProgressCancelNotification.type, { token: workDoneToken });
          }),
        );
      }
    }
    try {
      const answer = await client.sendRequest(
        ExecuteCommandRequest.type,
        { command, arguments: [argument], workDoneToken },
        token,
      );
      if (answer && typeof answer === 'object' && typeof (answer as { operation?: unknown }).operation === 'string') {
        // A long operation answers at once; its result comes with operationFinished.
        const end = await this.finished((answer as { operation: string }).operation);
        if (end.result === null || end.result === undefined) {
          throw new CommandError(end.error?.message ?? `${command} failed`, -32001);
        }
        return end.result as T;
      }
      return answer as T;
    } catch (err) {
      if (err instanceof CommandError) {
        throw err;
      }
      if (err instanceof ResponseError) {
        throw new CommandError(err.message, err.code);
      }
      throw new CommandError(err instanceof Error ? err.message : String(err), undefined);
    } finally {
      subscriptions.forEach((d) => d.dispose());
    }
  }

  private finished(operation: string): Promise<OperationFinished> {
    const early = this.ended.get(operation);
    if (early) {
      this.ended.delete(operation);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => this.waiting.set(operation, resolve));
  }

  private async reportMissing(tried: string[]): Promise<void> {
    const message =
      'AgentLS: no language server found. Install it with `pip install agentls` (in the Python ' +
      'environment VS Code uses) or set `agentls.server.path`.';
    log.error(`${message} Tried: ${tried.join('; ')}`);
    void this.offerFixes(message);
  }

  private async reportFailed(server: ServerCommand, err: unknown): Promise<void> {
    const message = `AgentLS: the language server (${server.command}, from ${server.source}) failed to start: ${String(err)}`;
    void this.offerFixes(message);
  }

  private async offerFixes(message: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(message, 'Install', 'Show Logs', 'Open Settings');
    if (choice === 'Install') {
      // Typed, not run: the user sees which Python gets the package before pressing Enter.
      const terminal = vscode.window.createTerminal('AgentLS install');
      terminal.show();
      terminal.sendText('python3 -m pip install agentls', false);
    } else if (choice === 'Show Logs') {
      log.showLogs();
    } else if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'agentls.server.path');
    }
  }

  dispose(): void {
    void this.stop();
    this.changed.dispose();
    this.stateChanged.dispose();
  }
}
