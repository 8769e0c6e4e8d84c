// What the window knows about the sessions: the latest `agentls/sessionsChanged` summary
// plus the full report (for collisions, line ranges and claims), refetched when the
// summary changes; and the backups of removed sessions (git refs), to bring them back.
import * as vscode from 'vscode';
import { Backup, backups } from './common/git';
import * as log from './common/logging';
import { AgentlsServer } from './common/server';
import { Report, ReportSession, sessionList, SessionsChanged, SessionsResult, SessionSummary } from './model';

export interface RemovedSession {
  name: string;
  /** Oldest first; the last is the latest. */
  backups: Backup[];
}

export class SessionsModel implements vscode.Disposable {
  summary: SessionsChanged | undefined;
  report: Report | undefined;
  /** Backups by session name (live and removed sessions). */
  backups = new Map<string, Backup[]>();
  private readonly emitter = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private fetching: Promise<void> | undefined;
  private again = false;
  private names = '';

  /** Fires after the summary, the report or the backups changed. */
  readonly onDidChange = this.emitter.event;

  constructor(private readonly server: AgentlsServer) {
    this.subscriptions.push(
      server.onSessionsChanged((params) => {
        this.summary = params;
        this.emitter.fire();
        void this.fetchReport();
        const names = params.sessions.map((s) => s.name).sort().join('\n');
        if (names !== this.names) {
          // Sessions came or went (removed, restored, landed and removed): backups changed.
          this.names = names;
          void this.reloadBackups();
        }
      }),
      server.onStateChanged((state) => {
        if (state.kind !== 'running') {
          this.summary = undefined;
          this.report = undefined;
          this.names = '';
          this.emitter.fire();
        }
      }),
    );
  }

  /** This window's session name (null when the folder is not a session). */
  get self(): string | null {
    return this.summary?.self ?? null;
  }

  get trunkBranch(): string {
    return this.report?.trunk.branch ?? 'trunk';
  }

  /** Every session, trunk marked, for the tree and the pickers. */
  sessions(): SessionSummary[] {
    return sessionList(this.summary, this.report);
  }

  session(name: string): SessionSummary | undefined {
    return this.sessions().find((s) => s.name === name);
  }

  /** The report's entry (head, base, claims) of NAME. */
  reportSession(name: string): ReportSession | undefined {
    return this.report?.sessions.find((s) => s.name === name);
  }

  /** Sessions that are gone but left backups (they can be brought back). */
  removed(): RemovedSession[] {
    const live = new Set(this.sessions().map((s) => s.name));
    return [...this.backups.entries()]
      .filter(([name]) => !live.has(name))
      .map(([name, list]) => ({ name, backups: list }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A folder to ask git in: this window's worktree, else any session's. */
  private gitFolder(): string | undefined {
    const sessions = this.sessions().filter((s) => !s.missing);
    return (sessions.find((s) => s.name === this.self) ?? sessions[0])?.path ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  /** Read the backup refs again (after remove, restore, land). */
  async reloadBackups(): Promise<void> {
    const folder = this.gitFolder();
    if (!folder) {
      return;
    }
    this.backups = await backups(folder);
    this.emitter.fire();
  }

  /** Ask the server to re-scan (`agentls.refresh`) and take its answer. */
  async refresh(): Promise<void> {
    const result = await this.server.execute<SessionsResult>('agentls.refresh', {});
    this.report = result.report ?? undefined;
    this.emitter.fire();
    await this.reloadBackups();
  }

  /** Fetch the full report; coalesces bursts of notifications into one request at a time. */
  fetchReport(): Promise<void> {
    if (this.fetching) {
      this.again = true;
      return this.fetching;
    }
    this.fetching = (async () => {
      do {
        this.again = false;
        try {
          const result = await this.server.execute<SessionsResult>('agentls.sessions', {});
          this.report = result.report ?? undefined;
          this.emitter.fire();
        } catch (err) {
          log.warn(`agentls.sessions failed: ${String(err)}`);
        }
      } while (this.again);
    })().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
    this.emitter.dispose();
  }
}
