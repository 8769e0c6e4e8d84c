// What every command needs: which session it applies to (a tree node, a name, or a
// pick), confirmations for anything destructive (modal, as GitLens does), refusals
// worded from their code with the button that helps, and progress for operations.
import * as vscode from 'vscode';
import * as log from '../common/logging';
import { AgentlsServer, CommandError } from '../common/server';
import { nameProblem, pickOrder, SessionSummary } from '../model';
import { plural } from '../common/words';
import { ACTION_LABELS, describeRefusal, Refusal, RefusalAction } from '../refusals';
import { SessionsModel } from '../sessionsModel';
import { ReviewNode } from '../review/reviewView';
import { Node } from '../sessionsView';

export type SessionArg = Node | ReviewNode | string | undefined;

export type ActionHandlers = Partial<Record<RefusalAction, () => unknown>>;

export class Ui {
  constructor(
    readonly server: AgentlsServer,
    readonly model: SessionsModel,
  ) {}

  /** The session name a tree node or argument names, if any. */
  sessionOf(arg: SessionArg): string | undefined {
    if (typeof arg === 'string') {
      return arg;
    }
    if (!arg) {
      return undefined;
    }
    switch (arg.type) {
      case 'session':
        return arg.session.name;
      case 'claim':
      case 'collision':
        return arg.session;
      case 'removed':
        return arg.removed.name;
      case 'review-entry':
        return arg.entry.session;
      case 'review-row':
      case 'review-file':
        return arg.session || undefined;
      default:
        return undefined;
    }
  }

  /** The session an action applies to: the node or name given, else ask (this window's first). */
  async pickSession(
    arg: SessionArg,
    title: string,
    filter: (s: SessionSummary) => boolean = () => true,
    none = 'no session this applies to',
  ): Promise<string | undefined> {
    const given = this.sessionOf(arg);
    if (given) {
      return given;
    }
    if (!this.model.summary && !this.model.report) {
      await this.model.fetchReport();
    }
    const candidates = pickOrder(this.model.sessions().filter(filter), this.model.self);
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage(`AgentLS: ${none}.`);
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      candidates.map((s) => ({
        label: s.name,
        description: [s.branch ?? '(detached)', s.name === this.model.self ? 'this window' : ''].filter(Boolean).join(' · '),
        detail: `${s.role} · priority ${s.priority} · ↑${s.ahead} ↓${s.behind} · ${s.changed} changed · ${plural(s.collisions, 'collision')}${
          (s.claims ?? []).length ? ` · claims ${(s.claims ?? []).join(', ')}` : ''
        }`,
      })),
      { title: `AgentLS: ${title}`, placeHolder: 'Session', matchOnDescription: true },
    );
    return picked?.label;
  }

  /** A session name, checked while typing; PROBLEM (a refusal) is shown above the value. */
  askName(title: string, value?: string, problem?: string): Thenable<string | undefined> {
    return vscode.window.showInputBox({
      title: `AgentLS: ${title}`,
      prompt: problem ? `${problem} Session name:` : 'Session name',
      value,
      valueSelection: value ? [0, value.length] : undefined,
      validateInput: (text) => nameProblem(text.trim()),
      ignoreFocusOut: true,
    });
  }

  /** A modal question; true when BUTTON was pressed. */
  async confirm(message: string, detail: string, button: string, warning = true): Promise<boolean> {
    const show = warning ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    return (await show(message, { modal: true, detail }, button)) === button;
  }

  /**
   * Tell the person a command was refused, worded from its code, with the buttons
   * HANDLERS can run (plus the generic ones: logs, output, restart).
   */
  async refused(what: string, err: unknown, handlers: ActionHandlers = {}): Promise<Refusal> {
    const refusal = describeRefusal(err instanceof CommandError ? (err.data ?? { message: err.message }) : err, err instanceof Error ? err.message : undefined);
    log.info(`${what} refused${refusal.code ? ` (${refusal.code})` : ''}: ${refusal.text}`);
    const generic: ActionHandlers = {
      'show-logs': () => log.showLogs(),
      'show-output': () => log.showLogs(),
      'restart-server': () => this.server.restart(),
    };
    const available = refusal.actions.filter((a) => handlers[a] || generic[a]);
    const internal = refusal.code === 'internal-error' || (err instanceof CommandError && err.code === -32603);
    const show = internal ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    const choice = await show(`AgentLS: ${refusal.text}`, ...available.map((a) => ACTION_LABELS[a]));
    const action = available.find((a) => ACTION_LABELS[a] === choice);
    if (action) {
      await (handlers[action] ?? generic[action])?.();
    }
    return refusal;
  }

  /** Run ACTION; a refusal or failure is worded and offered its buttons; undefined then. */
  async run<T>(what: string, action: () => Promise<T>, handlers: ActionHandlers = {}): Promise<T | undefined> {
    try {
      return await action();
    } catch (err) {
      // Not awaited: the toast may wait in the notification centre for a long time.
      void this.refused(what, err, handlers);
      return undefined;
    }
  }

  /** A server command with a progress notification fed by its `$/progress` (and its operation's). */
  withProgress<T>(title: string, command: string, argument: object): Promise<T> {
    return Promise.resolve(
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `AgentLS: ${title}`, cancellable: false }, (progress) =>
        this.server.execute<T>(command, argument, {
          onProgress: (p) => progress.report({ message: p.message }),
          onStarted: () => progress.report({ message: 'started; it runs in the background' }),
        }),
      ),
    );
  }
}
