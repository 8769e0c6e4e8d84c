// Palette commands ("AgentLS: …"). Their ids are the extension's own (agentls.palette.*);
// each one calls the server's agentls.session.* command through workspace/executeCommand.
import * as vscode from 'vscode';
import * as log from './common/logging';
import { AgentlsServer, CommandError } from './common/server';
import { getSettings } from './common/settings';
import {
  allCollisions,
  CollisionView,
  formatRanges,
  LandResult,
  landMessage,
  nameProblem,
  parseGlobs,
  pickOrder,
  plural,
  SessionSummary,
} from './model';
import { SessionsModel } from './sessionsModel';
import { Node, OPEN_COLLISION, openCollision } from './sessionsView';

/** Refusals (name taken, claim held, land conflict) that the server reports with this code. */
const REFUSED = -32001;

interface SessionResult {
  ok: boolean;
  session: { name: string; path: string; branch: string | null };
}

type SessionArg = Node | string | undefined;

export function registerCommands(server: AgentlsServer, model: SessionsModel): vscode.Disposable[] {
  const commands = new Commands(server, model);
  const table: Record<string, (arg?: unknown) => unknown> = {
    'agentls.palette.newSession': () => commands.newSession(),
    'agentls.palette.fork': () => commands.fork(),
    'agentls.palette.rename': (arg) => commands.rename(arg as SessionArg),
    'agentls.palette.claim': (arg) => commands.claim(arg as SessionArg),
    'agentls.palette.handoff': (arg) => commands.handoff(arg as SessionArg),
    'agentls.palette.land': (arg) => commands.land(arg as SessionArg),
    'agentls.palette.landAll': () => commands.landAll(),
    'agentls.palette.showOverlaps': () => commands.showOverlaps(),
    'agentls.palette.refresh': () => commands.run('refresh', () => model.refresh()),
    'agentls.palette.restart': () => server.restart(),
    'agentls.palette.showLogs': () => log.showLogs(),
    [OPEN_COLLISION]: (arg) => openCollision(arg as CollisionView),
  };
  return Object.entries(table).map(([id, handler]) => vscode.commands.registerCommand(id, handler));
}

class Commands {
  constructor(
    private readonly server: AgentlsServer,
    private readonly model: SessionsModel,
  ) {}

  /** Run ACTION, turning server refusals into an error notification (and a log line). */
  async run<T>(what: string, action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log.error(`${what}: ${message}`);
      void vscode.window.showErrorMessage(`AgentLS: ${what} failed: ${message}`);
      return undefined;
    }
  }

  private sessions(): SessionSummary[] {
    return this.model.sessions();
  }

  /** The session an action applies to: the tree node or name given, else ask (this window's first). */
  private async pickSession(arg: SessionArg, title: string, filter?: (s: SessionSummary) => boolean): Promise<string | undefined> {
    if (typeof arg === 'string') {
      return arg;
    }
    if (arg && arg.type === 'session') {
      return arg.session.name;
    }
    if (!this.model.summary && !this.model.report) {
      await this.model.fetchReport();
    }
    const candidates = pickOrder(this.sessions().filter(filter ?? (() => true)), this.model.self);
    if (candidates.length === 0) {
      void vscode.window.showWarningMessage(`AgentLS: no session to ${title.toLowerCase()}`);
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      candidates.map((s) => ({
        label: s.name,
        description: `${s.branch ?? '(detached)'}${s.name === this.model.self ? ' · this window' : ''}`,
        detail: `${s.role} · p${s.priority} · ↑${s.ahead} ↓${s.behind} · ${s.changed} changed · ${plural(s.collisions, 'collision')}`,
      })),
      { title: `AgentLS: ${title}`, placeHolder: 'Session', matchOnDescription: true },
    );
    return picked?.label;
  }

  private askName(title: string, value?: string): Thenable<string | undefined> {
    return vscode.window.showInputBox({
      title: `AgentLS: ${title}`,
      prompt: 'Session name',
      value,
      valueSelection: value ? [0, value.length] : undefined,
      validateInput: (text) => nameProblem(text.trim()),
    });
  }

  async newSession(): Promise<void> {
    const name = (await this.askName('New Session'))?.trim();
    if (!name) {
      return;
    }
    const claimsText = await vscode.window.showInputBox({
      title: `AgentLS: New Session ${name}`,
      prompt: 'Paths this session owns (optional globs, comma separated, e.g. auth/**, docs/auth.md)',
      placeHolder: 'auth/**',
    });
    if (claimsText === undefined) {
      return;
    }
    const result = await this.run('new session', () =>
      this.server.execute<SessionResult>('agentls.session.new', { name, claims: parseGlobs(claimsText) }),
    );
    if (result) {
      await this.offerOpen(result.session, `created session ${result.session.name} at ${result.session.path}`);
    }
  }

  async fork(): Promise<void> {
    const name = (await this.askName('Fork Research Session'))?.trim();
    if (!name) {
      return;
    }
    const argument: Record<string, string> = { name };
    if (this.model.self) {
      argument.from = this.model.self;
    }
    const result = await this.run('fork', () => this.server.execute<SessionResult>('agentls.session.fork', argument));
    if (result) {
      await this.offerOpen(result.session, `forked research session ${result.session.name} at ${result.session.path}`);
    }
  }

  /** After new/fork: open the worktree in a new window, or start the agent there. */
  private async offerOpen(session: SessionResult['session'], message: string): Promise<void> {
    const agentCommand = getSettings().agentCommand;
    const choice = await vscode.window.showInformationMessage(
      `AgentLS: ${message}`,
      'Open in New Window',
      'Start agent in terminal',
    );
    if (choice === 'Open in New Window') {
      await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(session.path), { forceNewWindow: true });
    } else if (choice === 'Start agent in terminal') {
      const terminal = vscode.window.createTerminal({ name: `agent: ${session.name}`, cwd: session.path });
      terminal.show();
      if (agentCommand && vscode.workspace.isTrusted) {
        terminal.sendText(agentCommand, true);
      }
    }
  }

  async rename(arg: SessionArg): Promise<void> {
    const old = await this.pickSession(arg, 'Rename Session');
    if (!old) {
      return;
    }
    const name = (await this.askName(`Rename Session ${old}`, old))?.trim();
    if (!name || name === old) {
      return;
    }
    const result = await this.run('rename', () =>
      this.server.execute<{ ok: boolean; old: string; name: string }>('agentls.session.rename', { session: old, name }),
    );
    if (result) {
      void vscode.window.showInformationMessage(`AgentLS: renamed session ${result.old} → ${result.name}`);
      void this.model.fetchReport();
    }
  }

  async claim(arg: SessionArg): Promise<void> {
    const session = await this.pickSession(arg, 'Claim Files');
    if (!session) {
      return;
    }
    const text = await vscode.window.showInputBox({
      title: `AgentLS: Claim Files for ${session}`,
      prompt: 'Globs this session owns, comma separated (e.g. billing/**)',
      validateInput: (value) => (parseGlobs(value).length ? undefined : 'at least one glob'),
    });
    const globs = text ? parseGlobs(text) : [];
    if (globs.length === 0) {
      return;
    }
    try {
      await this.server.execute('agentls.session.claim', { session, globs });
    } catch (err) {
      if (!(err instanceof CommandError) || err.code !== REFUSED) {
        return void (await this.run('claim', () => Promise.reject(err)));
      }
      // Claimed by someone else: say who, and let the person decide to take it over.
      const choice = await vscode.window.showWarningMessage(`AgentLS: ${err.message}`, 'Claim Anyway');
      if (choice !== 'Claim Anyway') {
        return;
      }
      if (!(await this.run('claim', () => this.server.execute('agentls.session.claim', { session, globs, force: true })))) {
        return;
      }
    }
    void vscode.window.showInformationMessage(`AgentLS: ${session} now claims ${globs.join(', ')}`);
  }

  async handoff(arg: SessionArg): Promise<void> {
    const session = await this.pickSession(arg, 'Write Handoff');
    if (!session) {
      return;
    }
    const result = await this.run('handoff', () =>
      this.server.execute<{ ok: boolean; path: string }>('agentls.session.handoff', { session }),
    );
    if (result?.path) {
      await vscode.window.showTextDocument(vscode.Uri.file(result.path), { preview: false });
    }
  }

  async land(arg: SessionArg): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('AgentLS: landing runs build and test commands; trust this workspace first.');
      return;
    }
    const session = await this.pickSession(arg, 'Land Session', (s) => s.role !== 'trunk' && s.role !== 'research');
    if (!session) {
      return;
    }
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `AgentLS: landing ${session}`, cancellable: true },
      (progress, token) =>
        this.run('land', () =>
          this.server.execute<LandResult>('agentls.session.land', { session }, token, (p) =>
            progress.report({ message: p.message }),
          ),
        ),
    );
    if (!result) {
      return;
    }
    const message = landMessage({ ...result, session: result.session ?? session });
    if (result.output) {
      log.info(`land ${session} output:\n${result.output}`);
    }
    if (result.ok) {
      void vscode.window.showInformationMessage(`AgentLS: ${message}`);
      return;
    }
    const actions = [...(result.handoff ? ['Open HANDOFF.md'] : []), 'Show Output'];
    const choice = await vscode.window.showErrorMessage(`AgentLS: ${message}`, ...actions);
    if (choice === 'Open HANDOFF.md' && result.handoff) {
      await vscode.window.showTextDocument(vscode.Uri.file(result.handoff), { preview: false });
    } else if (choice === 'Show Output') {
      log.showLogs();
    }
  }

  async landAll(): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('AgentLS: landing runs build and test commands; trust this workspace first.');
      return;
    }
    type LandAll = { ok: boolean; results: { session: string; ok: boolean; message: string }[] };
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'AgentLS: landing all sessions', cancellable: true },
      (progress, token) =>
        this.run('land all', () =>
          this.server.execute<LandAll>('agentls.session.landAll', {}, token, (p) => progress.report({ message: p.message })),
        ),
    );
    if (!result) {
      return;
    }
    for (const r of result.results) {
      log.info(`land all: ${r.session}: ${r.ok ? 'landed' : 'not landed'}: ${r.message}`);
    }
    const landed = result.results.filter((r) => r.ok).map((r) => r.session);
    const failed = result.results.filter((r) => !r.ok).map((r) => r.session);
    const text = `landed ${landed.length ? landed.join(', ') : 'nothing'}${failed.length ? `; not landed: ${failed.join(', ')}` : ''}`;
    if (result.ok) {
      void vscode.window.showInformationMessage(`AgentLS: ${text}`);
    } else if ((await vscode.window.showErrorMessage(`AgentLS: ${text}`, 'Show Output')) === 'Show Output') {
      log.showLogs();
    }
  }

  async showOverlaps(): Promise<void> {
    await this.model.fetchReport();
    const report = this.model.report;
    if (!report) {
      void vscode.window.showWarningMessage('AgentLS: no report from the server yet (see AgentLS: Show Logs)');
      return;
    }
    const collisions = allCollisions(report, this.model.self);
    if (collisions.length === 0) {
      void vscode.window.showInformationMessage(`AgentLS: no collisions between ${report.sessions.length} sessions`);
      return;
    }
    const icons: Record<string, string> = { conflict: 'error', overlap: 'info', ownership: 'lock', 'research-write': 'telescope' };
    const picked = await vscode.window.showQuickPick(
      collisions.map((c) => ({
        label: `$(${icons[c.kind] ?? 'warning'}) ${c.path}`,
        description: c.alone ? c.kind : `${c.kind} with ${c.other}`,
        detail: c.otherRanges.length ? `their lines ${formatRanges(c.otherRanges)}` : c.detail.join(', '),
        collision: c,
      })),
      { title: `AgentLS: ${plural(collisions.length, 'collision')}`, placeHolder: 'Open the other side', matchOnDescription: true },
    );
    if (picked) {
      await openCollision(picked.collision);
    }
  }
}
