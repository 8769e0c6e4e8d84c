// Starts, stops and talks to the agentls language server (one per window).
//
// States: starting -> running; inactive (the folder is not in a git repository: quiet,
// no server); failed (a broken set-up or a server that keeps stopping: the problem is
// kept so the status items and the Sessions view can offer its fix). The language
// client never restarts a server that died while starting and never shows its own
// toasts ("Pending response rejected…"); the extension words every problem itself.
import { ChildProcess, spawn } from 'child_process';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  WorkDoneProgress,
} from 'vscode-languageclient/node';
import { SessionsChanged } from '../model';
import { discoverServer, fileExists, isExecutableFile, ServerCommand } from './discovery';
import { repositoryOf } from './git';
import * as log from './logging';
import { isOperationFinished, isOperationStarted, OPERATION_FINISHED, OperationFinished, Operations, OperationStarted } from './operations';
import { exitText, lastWords, SetupProblem, settingScope } from './problems';
import { canImportAgentls, pythonExtensionInstalled, selectedInterpreter } from './python';
import { getSettings, SECTION } from './settings';
import { startOutcome } from './startOutcome';

export const SESSIONS_CHANGED = 'agentls/sessionsChanged';
export const REVIEW_CHANGED = 'agentls/reviewChanged';
/** Where the semantic checks stand (docs/semantic.md); read by ../semanticUi.ts. */
export const SEMANTIC_CHANGED = 'agentls/semanticChanged';

/** A refusal or failure of a server command: the server's message and its error object. */
export class CommandError extends Error {
  constructor(
    message: string,
    /** The JSON-RPC error code (-32001 refused, -32602 bad arguments), if any. */
    readonly code: number | undefined,
    /** The error object's container (`{code, message, data}` or a JSON-RPC error's data). */
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export interface Progress {
  message?: string;
  percentage?: number;
}

export interface ExecuteOptions {
  token?: vscode.CancellationToken;
  /** `$/progress` of this command (and of the operation it starts). */
  onProgress?: (progress: Progress) => void;
  /** The server answered with an operation id: the work runs in the background. */
  onStarted?: (title: string | undefined) => void;
  /** A `workDoneToken` the caller watches itself (`watchProgress`), e.g. past the answer. */
  workDoneToken?: string;
}

/** A fresh `workDoneToken` for one request. */
export function newProgressToken(): string {
  return `agentls-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export type ServerState =
  | { kind: 'starting' }
  | { kind: 'running'; command: ServerCommand }
  | { kind: 'inactive'; reason: string }
  | { kind: 'failed'; problem: SetupProblem }
  | { kind: 'stopped' };

/** At most this many stops of a running server within RESTART_WINDOW are restarted. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW = 3 * 60_000;
/** Keep this much of the server's stderr, to say why it stopped. */
const STDERR_KEEP = 8 * 1024;
/** How long a stopped server's message waits for its process to end (see failAfterEnd). */
const PROCESS_END_WAIT = 3000;

/** The language client, without its own notifications: the extension words problems itself. */
class QuietLanguageClient extends LanguageClient {
  override error(message: string, data?: unknown, _showNotification?: boolean | 'force'): void {
    super.error(message, data, false);
  }
}

/** Owns the LanguageClient; other parts subscribe to its events and call `execute`. */
export class AgentlsServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<void> | undefined;
  private child: ChildProcess | undefined;
  private stderr = '';
  private exit: { code: number | null; signal: string | null } | undefined;
  /** Settles when the current server process has ended and its stderr is read. */
  private ended: Promise<void> = Promise.resolve();
  private spawnError: Error | undefined;
  private stops: number[] = [];
  private gitWatcher: vscode.FileSystemWatcher | undefined;
  private readonly changed = new vscode.EventEmitter<SessionsChanged>();
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  private readonly finishedEmitter = new vscode.EventEmitter<OperationFinished>();
  private readonly reviewEmitter = new vscode.EventEmitter<unknown>();
  private readonly semanticEmitter = new vscode.EventEmitter<unknown>();
  private readonly operations = new Operations();
  // Quiet until the folder is known to be in a repository (see doStart).
  private current: ServerState = { kind: 'inactive', reason: 'not started yet' };
  private disposed = false;
  /** The latest `agentls/sessionsChanged` params (undefined before the first). */
  last: SessionsChanged | undefined;

  /** Fires with every `agentls/sessionsChanged` notification. */
  readonly onSessionsChanged = this.changed.event;
  /** Fires when the state changes. */
  readonly onStateChanged = this.stateEmitter.event;
  /** Fires with the end of an operation nobody in this window waited for. */
  readonly onUnclaimedOperation = this.finishedEmitter.event;
  /** Fires with every `agentls/reviewChanged` notification's params (checked by the review model). */
  readonly onReviewChanged = this.reviewEmitter.event;
  /** Fires with every `agentls/semanticChanged` notification (its params, unchecked). */
  readonly onSemanticChanged = this.semanticEmitter.event;

  get state(): ServerState {
    return this.current;
  }

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  private setState(state: ServerState): void {
    this.current = state;
    void vscode.commands.executeCommand('setContext', 'agentls.state', state.kind);
    this.stateEmitter.fire(state);
  }

  /** Discover and start the server; on failure keep the problem (never silently). */
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
    if (!folder || folder.uri.scheme !== 'file') {
      this.setState({ kind: 'inactive', reason: 'no folder is open' });
      return;
    }
    // agentls applies inside git worktrees only: elsewhere stay quiet (no server, no
    // warning, not even a spinner while git is asked), and start when the folder becomes
    // a repository.
    const repository = await repositoryOf(folder.uri.fsPath);
    if (!repository.ok) {
      log.info(`not starting the server: ${folder.uri.fsPath}: ${repository.detail}`);
      if (repository.reason === 'no-git') {
        this.setState({ kind: 'failed', problem: { kind: 'no-git' } });
      } else {
        this.watchForRepository(folder);
        this.setState({ kind: 'inactive', reason: `${folder.name} is not inside a git repository` });
      }
      return;
    }
    this.setState({ kind: 'starting' });

    const settings = getSettings(folder.uri);
    const scope = settingScope(
      vscode.workspace.getConfiguration(SECTION, folder.uri).inspect('server.path'),
      vscode.workspace.workspaceFile !== undefined,
    );
    const found = await discoverServer(
      {
        serverPath: settings.serverPath,
        serverPathScope: scope,
        interpreter: settings.serverPath.length ? undefined : await selectedInterpreter(folder.uri),
        pythonExtension: pythonExtensionInstalled(),
        pathEnv: process.env.PATH ?? '',
      },
      { isExecutable: isExecutableFile, exists: fileExists, canImportAgentls },
    );
    for (const reason of found.tried) {
      log.info(`server discovery: ${reason}`);
    }
    if (!found.ok) {
      this.setState({ kind: 'failed', problem: found.problem });
      return;
    }
    const server = found.server;
    log.info(`starting ${[server.command, ...server.args].join(' ')} (from ${server.source})`);

    const cwd = folder.uri.fsPath;
    const serverOptions: ServerOptions = () => Promise.resolve(this.spawnServer(server, cwd));
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file' }],
      outputChannel: log.logChannel(),
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      // `operations`: this client handles agentls/operationFinished itself. `trusted`: no
      // semantic checks run for an untrusted workspace (granting trust restarts the server).
      initializationOptions: { ...settings.options, operations: true, trusted: vscode.workspace.isTrusted },
      synchronize: { configurationSection: SECTION },
      workspaceFolder: folder,
      initializationFailedHandler: (err) => {
        log.error(`server initialisation failed: ${String(err)}`);
        return false;
      },
      errorHandler: {
        error: (_error, _message, count) => ({ action: count && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true }),
        closed: () => this.closed(server, scope),
      },
      middleware: this.middleware,
    };
    const client = new QuietLanguageClient('agentls', 'AgentLS', serverOptions, clientOptions);
    client.onDidChangeState((event) => {
      if (event.newState === State.Running) {
        this.setState({ kind: 'running', command: server });
      } else if (event.newState === State.Starting && this.current.kind !== 'failed') {
        this.setState({ kind: 'starting' });
      } else if (event.newState === State.Stopped && this.client === client && !this.starting && this.current.kind === 'starting') {
        // A restart after a crash died while starting: say why instead of waiting forever.
        this.client = undefined;
        void this.failAfterEnd(server, scope, 'start');
      }
    });
    client.onNotification(SESSIONS_CHANGED, (params: SessionsChanged) => {
      this.last = params;
      this.changed.fire(params);
    });
    client.onNotification(REVIEW_CHANGED, (params: unknown) => this.reviewEmitter.fire(params));
    client.onNotification(SEMANTIC_CHANGED, (params: unknown) => this.semanticEmitter.fire(params));
    client.onNotification(OPERATION_FINISHED, (params: unknown) => {
      if (isOperationFinished(params) && !this.operations.finished(params)) {
        // The request's answer may still be on its way: give it a moment to claim this.
        setTimeout(() => {
          const end = this.operations.unclaimed(params.operation);
          if (end) {
            this.finishedEmitter.fire(end);
          }
        }, 1000);
      }
    });
    this.client = client;
    this.stops = [];
    try {
      const outcome = await startOutcome(client.start(), (stopped) =>
        client.onDidChangeState((event) => {
          if (event.newState === State.Stopped) {
            stopped();
          }
        }),
      );
      if (outcome === 'stopped') {
        throw new Error('the server stopped before it answered initialize');
      }
    } catch (err) {
      log.error(`could not start ${server.command}: ${String(err)}`);
      this.client = undefined;
      await this.failAfterEnd(server, scope, 'start');
      return;
    }
    void this.checkIdle(client);
  }

  /** Code actions and commands routed through the extension (set by the commands layer). */
  middleware: LanguageClientOptions['middleware'] = {};

  private spawnServer(server: ServerCommand, cwd: string): ChildProcess {
    this.stderr = '';
    this.exit = undefined;
    this.spawnError = undefined;
    const child = spawn(server.command, server.args, { cwd, env: { ...process.env, PYTHONUNBUFFERED: '1' }, stdio: 'pipe' });
    child.stderr?.on('data', (chunk: Buffer | string) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-STDERR_KEEP);
    });
    child.on('error', (err) => {
      this.spawnError = err;
      log.error(`${server.command}: ${err.message}`);
    });
    child.on('exit', (code, signal) => {
      this.exit = { code, signal };
      log.info(`server process ended (${exitText(code, signal)})`);
    });
    this.ended = new Promise((resolve) => child.on('close', () => resolve()));
    this.child = child;
    return child;
  }

  /**
   * Say why the server stopped once its process has ended: the language client notices
   * the closed pipe first, and its exit status and last stderr line come a moment later
   * (on a busy machine the message said "no exit status" and lost the cause). Waits at
   * most PROCESS_END_WAIT; a newer server started meanwhile is left alone.
   */
  private async failAfterEnd(server: ServerCommand, scope: ReturnType<typeof settingScope>, during: 'start' | 'run'): Promise<void> {
    const child = this.child;
    await Promise.race([this.ended, new Promise((r) => setTimeout(r, PROCESS_END_WAIT))]);
    if (this.child !== child || this.disposed) {
      return;
    }
    this.setState({ kind: 'failed', problem: this.stoppedProblem(server, scope, during) });
  }

  /** Why the server stopped, from its exit and the last line it wrote. */
  private stoppedProblem(server: ServerCommand, scope: ReturnType<typeof settingScope>, during: 'start' | 'run'): SetupProblem {
    return {
      kind: 'crashed',
      command: [server.command, ...server.args].join(' '),
      source: server.source,
      fromSetting: server.fromSetting,
      scope,
      during,
      exit: this.spawnError ? this.spawnError.message : exitText(this.exit?.code, this.exit?.signal),
      lastWords: lastWords(this.stderr),
      stops: this.stops.length,
    };
  }

  /** The connection closed without a stop: restart a few times, never a server that died starting. */
  private closed(server: ServerCommand, scope: ReturnType<typeof settingScope>): { action: CloseAction; handled: boolean } {
    if (this.current.kind !== 'running') {
      // Died while starting: start() fails and says why; restarting would only repeat it.
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    const now = Date.now();
    this.stops = [...this.stops.filter((t) => now - t < RESTART_WINDOW), now];
    this.operations.failAll(new CommandError('the AgentLS server stopped before the operation ended', undefined));
    if (this.stops.length <= MAX_RESTARTS) {
      log.warn(`the server stopped (${exitText(this.exit?.code, this.exit?.signal)}: ${lastWords(this.stderr)}); restarting it`);
      this.setState({ kind: 'starting' });
      return { action: CloseAction.Restart, handled: true };
    }
    this.client = undefined;
    void this.failAfterEnd(server, scope, 'run');
    return { action: CloseAction.DoNotRestart, handled: true };
  }

  /** A server that idles (no report: no commits yet, an unusual layout) is inactive, not "waiting". */
  private async checkIdle(client: LanguageClient): Promise<void> {
    await new Promise((r) => setTimeout(r, 3000));
    if (this.client !== client || this.last || this.current.kind !== 'running') {
      return;
    }
    try {
      const answer = (await client.sendRequest(ExecuteCommandRequest.type, { command: 'agentls.sessions', arguments: [{}] })) as {
        report?: unknown;
        error?: string;
      };
      if (this.client === client && !this.last && answer && answer.report === null) {
        log.info(`the server idles: ${answer.error ?? 'no report'}`);
        await this.stop();
        this.setState({ kind: 'inactive', reason: answer.error ?? 'the server has nothing to report here' });
      }
    } catch (err) {
      log.warn(`agentls.sessions: ${String(err)}`);
    }
  }

  /** Start once `.git` appears in FOLDER (git init, a clone finishing). */
  private watchForRepository(folder: vscode.WorkspaceFolder): void {
    if (this.gitWatcher) {
      return;
    }
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '.git'), false, true, true);
    watcher.onDidCreate(() => {
      this.gitWatcher = undefined;
      watcher.dispose();
      log.info('.git appeared; starting the server');
      void this.restart();
    });
    this.gitWatcher = watcher;
  }

  /** Stop the server (if running) and forget its state. */
  async stop(): Promise<void> {
    const client = this.client;
    const child = this.child;
    this.client = undefined;
    this.child = undefined;
    this.last = undefined;
    this.operations.failAll(new CommandError('the AgentLS server stopped before the operation ended', undefined));
    if (client) {
      try {
        await client.stop(5000);
      } catch (err) {
        log.warn(`stopping the server: ${String(err)}`);
      }
    }
    if (child && child.exitCode === null && child.signalCode === null) {
      // It should have exited after `exit`; do not leave it behind.
      setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
        }
      }, 2000);
    }
    if (!this.disposed) {
      this.setState({ kind: 'stopped' });
    }
  }

  async restart(): Promise<void> {
    if (this.starting) {
      await this.starting;
    }
    await this.stop();
    await this.start();
  }

  /**
   * Run a server command (`workspace/executeCommand`) with ONE object argument. A long
   * operation (the server answers with an operation id) is waited for to its end:
   * the result is what the command returns either way. `$/progress` goes to ON_PROGRESS.
   */
  async execute<T>(command: string, argument: object, options: ExecuteOptions = {}): Promise<T> {
    if (this.starting) {
      await this.starting;
    }
    const client = this.client;
    if (!client || client.state !== State.Running) {
      throw new CommandError(this.notRunningText(), undefined);
    }
    const workDoneToken = options.workDoneToken ?? (options.onProgress ? newProgressToken() : undefined);
    const subscriptions: vscode.Disposable[] = [];
    if (workDoneToken && options.onProgress) {
      subscriptions.push(this.watchProgress(workDoneToken, options.onProgress));
    }
    try {
      let answer: unknown;
      try {
        answer = await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [argument], workDoneToken }, options.token);
      } catch (err) {
        if (err instanceof ResponseError) {
          throw new CommandError(err.message, err.code, err.data === undefined ? undefined : { data: err.data });
        }
        throw new CommandError(err instanceof Error ? err.message : String(err), undefined);
      }
      if (!isOperationStarted(answer)) {
        return answer as T;
      }
      // A long operation answers at once; its result comes with operationFinished.
      options.onStarted?.(answer.title);
      return await this.finish<T>(answer, command);
    } finally {
      subscriptions.forEach((d) => d.dispose());
    }
  }

  /** `$/progress` on TOKEN, until disposed (also for an operation's work past its command's answer). */
  watchProgress(token: string, onProgress: (progress: Progress) => void): vscode.Disposable {
    const client = this.client;
    if (!client) {
      return { dispose: () => undefined };
    }
    return client.onProgress(WorkDoneProgress.type, token, (value) => {
      if (value.kind !== 'end') {
        onProgress({ message: value.message, percentage: value.percentage });
      }
    });
  }

  /**
   * The result of an operation a command started (an answer such as
   * `{"ok": true, "operation": id}`, top level or nested, e.g. the land of an approval):
   * what the command returns once `agentls/operationFinished` arrives; refused: CommandError.
   */
  async finish<T>(started: OperationStarted, command: string): Promise<T> {
    const end = await this.operations.wait(started.operation);
    if (end.result !== null && end.result !== undefined) {
      const result = end.result as Record<string, unknown>;
      if (end.ok === false && result.error === undefined && end.error) {
        result.error = end.error;
      }
      return result as T;
    }
    const message = (end.error as { message?: string } | null)?.message ?? `${started.title ?? command} failed`;
    throw new CommandError(message, -32001, { error: end.error });
  }

  private notRunningText(): string {
    switch (this.current.kind) {
      case 'inactive':
        return `AgentLS is not active here: ${this.current.reason}`;
      case 'failed':
        return 'the AgentLS server is not running (see the AgentLS status item for why)';
      default:
        return 'the AgentLS server is not running (AgentLS: Restart Server starts it)';
    }
  }

  dispose(): void {
    this.disposed = true;
    this.gitWatcher?.dispose();
    void this.stop();
    this.changed.dispose();
    this.stateEmitter.dispose();
    this.finishedEmitter.dispose();
    this.reviewEmitter.dispose();
    this.semanticEmitter.dispose();
  }
}
