// Land and Land All: ask first with the plan from the server's dry run (commits, the
// checks that will run, trunk's new tip), then land with progress, then say how it
// ended; a failed land offers to restore the branch, open HANDOFF.md, show the output.
import * as vscode from 'vscode';
import { commitsToLand } from '../common/git';
import * as log from '../common/logging';
import { CommandError } from '../common/server';
import {
  branchMoved,
  ConflictPair,
  LandAllResult,
  landAllOutcome,
  landAllPlanView,
  LandAllRow,
  LandDryRun,
  landOutcome,
  landPlanView,
  LandResult,
} from '../landPlan';
import { canLand } from '../model';
import { describeRefusal, listText } from '../refusals';
import { SessionCommands } from './sessions';
import { ActionHandlers, SessionArg, Ui } from './ui';

const UNTRUSTED = 'AgentLS: landing runs the repository\'s build and test commands; trust this workspace first.';

export class LandCommands {
  /** Opens the review of a session (set by the review commands): a land refused for want of an approval offers it. */
  onReviewNow: ((session: string) => unknown) | undefined;

  constructor(
    private readonly ui: Ui,
    private readonly sessions: SessionCommands,
  ) {}

  private get server() {
    return this.ui.server;
  }

  private get model() {
    return this.ui.model;
  }

  async land(arg?: SessionArg): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(UNTRUSTED);
      return;
    }
    const session = await this.ui.pickSession(arg, 'Land Session', canLand, 'no session has commits to land');
    if (!session) {
      return;
    }
    // The plan first: a dry run changes nothing and runs no build or tests.
    const handlers = this.reviewHandlers(session);
    let dry: LandDryRun;
    try {
      dry = await this.server.execute<LandDryRun>('agentls.session.land', { session, dryRun: true });
    } catch (err) {
      await this.ui.refused('land', err, handlers);
      return;
    }
    if (!dry.ok && !(dry.conflicts ?? []).length) {
      await this.ui.refused('land', dry.error ?? { message: dry.message ?? `cannot land ${session}` }, handlers);
      return;
    }
    const s = this.model.session(session);
    const head = this.model.reportSession(session)?.head;
    const trunkOld = dry.trunk?.old ?? this.model.report?.trunk.commit;
    const commits = s && head && trunkOld ? await commitsToLand(s.path, trunkOld, head) : [];
    const view = landPlanView(dry, {
      branch: s?.branch ?? null,
      trunkBranch: this.model.trunkBranch,
      commits,
      ahead: s?.ahead ?? commits.length,
      behind: s?.behind ?? 1,
    });
    if (!(await this.ui.confirm(view.message, view.detail, view.confirm))) {
      return;
    }
    const result = await this.ui.run('land', () => this.ui.withProgress<LandResult>(`Landing ${session}`, 'agentls.session.land', { session }), handlers);
    if (result) {
      await this.landed({ ...result, session: result.session ?? session });
    }
  }

  /** "Review Now" on a land refused for want of an approval. */
  private reviewHandlers(session: string): ActionHandlers {
    return this.onReviewNow ? { 'review-now': () => this.onReviewNow?.(session) } : {};
  }

  /** How a land ended, with what helps after a failure. */
  async landed(result: LandResult): Promise<void> {
    void this.model.fetchReport();
    void this.model.reloadBackups();
    if (result.output) {
      log.info(`land ${result.session} output:\n${result.output}`);
    }
    const text = landOutcome(result, this.model.trunkBranch);
    if (result.ok) {
      void vscode.window.showInformationMessage(`AgentLS: ${text}`);
      return;
    }
    log.warn(`land ${result.session}: ${text}`);
    const restore = 'Restore Branch';
    const handoff = 'Open HANDOFF.md';
    const output = 'Show Output';
    const buttons = [...(branchMoved(result) ? [restore] : []), ...(result.handoff ? [handoff] : []), output];
    const choice = await vscode.window.showErrorMessage(`AgentLS: ${text}`, ...buttons);
    if (choice === restore && result.backup) {
      await this.sessions.restoreBranch(result.session, result.backup);
    } else if (choice === handoff && result.handoff) {
      await vscode.window.showTextDocument(vscode.Uri.file(result.handoff), { preview: false });
    } else if (choice === output) {
      log.showLogs();
    }
  }

  async landAll(): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(UNTRUSTED);
      return;
    }
    let dry: LandAllResult;
    try {
      dry = await this.server.execute<LandAllResult>('agentls.session.landAll', { dryRun: true });
    } catch (err) {
      if (!(err instanceof CommandError && err.code === -32602)) {
        await this.ui.refused('land all', err);
        return;
      }
      // An older server without landAll's dry run: each candidate's own dry run, in priority order.
      dry = await this.planFromDryRuns();
    }
    const conflicts: ConflictPair[] = (this.model.report?.overlaps ?? [])
      .filter((c) => c.kind === 'conflict' && c.sessions.length === 2)
      .map((c) => [c.sessions[0], c.sessions[1], c.path]);
    const view = landAllPlanView(dry, this.model.trunkBranch, conflicts);
    if (!view) {
      const waiting = (dry.waiting ?? []).map((w) => w.session);
      if (waiting.length && this.onReviewNow) {
        const review = 'Review Now';
        const choice = await vscode.window.showInformationMessage(
          `AgentLS: nothing to land yet: ${listText(waiting)} ${waiting.length === 1 ? 'waits' : 'wait'} for an approval (reviews gate landing here).`,
          review,
        );
        if (choice === review) {
          await this.onReviewNow(waiting[0]);
        }
        return;
      }
      void vscode.window.showInformationMessage('AgentLS: nothing to land: no session has commits trunk lacks.');
      return;
    }
    if (!(await this.ui.confirm(view.message, view.detail, view.confirm))) {
      return;
    }
    const result = await this.ui.run('land all', () => this.ui.withProgress<LandAllResult>('Landing all sessions', 'agentls.session.landAll', {}));
    if (!result) {
      return;
    }
    void this.model.fetchReport();
    void this.model.reloadBackups();
    for (const r of result.results) {
      log.info(`land all: ${r.session}: ${r.ok ? 'landed' : r.skipped ? 'skipped' : 'not landed'}: ${r.message}`);
    }
    const text = landAllOutcome(result);
    if (result.ok) {
      void vscode.window.showInformationMessage(`AgentLS: ${text}`);
    } else if ((await vscode.window.showWarningMessage(`AgentLS: ${text}`, 'Show Output')) === 'Show Output') {
      log.showLogs();
    }
  }

  private async planFromDryRuns(): Promise<LandAllResult> {
    const candidates = this.model
      .sessions()
      .filter(canLand)
      .sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));
    const results: LandAllRow[] = [];
    for (const s of candidates) {
      try {
        const dry = await this.server.execute<LandDryRun>('agentls.session.land', { session: s.name, dryRun: true });
        results.push({ session: s.name, ok: dry.ok, message: dry.message ?? '', error: dry.error });
      } catch (err) {
        const refusal = describeRefusal(err instanceof CommandError ? (err.data ?? { message: err.message }) : err);
        results.push({ session: s.name, ok: false, message: refusal.text });
      }
    }
    return { ok: results.every((r) => r.ok), dryRun: true, plan: candidates.map((s) => s.name), results };
  }
}
