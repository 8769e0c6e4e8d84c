// What the window knows about the sessions: the latest `agentls/sessionsChanged` summary
// plus the full report (for collisions and line ranges), refetched when the summary changes.
import * as vscode from 'vscode';
import { AgentlsServer } from './common/server';
import * as log from './common/logging';
import { Report, sessionList, SessionsChanged, SessionsResult, SessionSummary } from './model';

export class SessionsModel implements vscode.Disposable {
  summary: SessionsChanged | undefined;
  report: Report | undefined;
  private readonly emitter = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private fetching: Promise<void> | undefined;
  private again = false;

  /** Fires after the summary or the report changed. */
  readonly onDidChange = this.emitter.event;

  constructor(private readonly server: AgentlsServer) {
    this.subscriptions.push(
      server.onSessionsChanged((params) => {
        this.summary = params;
        this.emitter.fire();
        void this.fetchReport();
      }),
      server.onRunningChanged((running) => {
        if (!running) {
          this.summary = undefined;
          this.report = undefined;
          this.emitter.fire();
        }
      }),
    );
  }

  /** This window's session name (null when the folder is not a session). */
  get self(): string | null {
    return this.summary?.self ?? null;
  }

  /** Every session, trunk marked, for the tree and the pickers. */
  sessions(): SessionSummary[] {
    return sessionList(this.summary, this.report);
  }

  /** Ask the server to re-scan (`agentls.refresh`) and take its answer. */
  async refresh(): Promise<void> {
    const result = await this.server.execute<SessionsResult>('agentls.refresh', {});
    this.report = result.report;
    this.emitter.fire();
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
          this.report = result.report;
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
