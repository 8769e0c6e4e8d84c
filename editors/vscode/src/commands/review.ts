// The review sweep's verbs: Review Sessions walks the queue in cascade order, one
// session at a time (its changes in the multi-file diff editor, its summary in the
// Review view); Approve & Land (asks first with the land's plan), Approve, Request
// Changes (notes in an input box, or an editor for several lines), Skip, Next, Run
// Checks, Remove (asks). Each verdict is `agentls.review.verdict` for the head the
// reviewer was shown, so the server refuses it (review-stale) when the session moved
// meanwhile; every action goes through the same lifecycle code as the CLI's.
import * as vscode from 'vscode';
import * as log from '../common/logging';
import { isOperationStarted } from '../common/operations';
import { CommandError, newProgressToken } from '../common/server';
import { LandDryRun, LandResult, landPlanView, PlanView } from '../landPlan';
import { describeRefusal, errorObject } from '../refusals';
import { isReviewTitle, reviewChanges, reviewTitle, sinceReviewChanges, sinceReviewTitle } from '../review/changes';
import { closeReviewTabs, openChanges, openFileChange } from '../review/diff';
import {
  checksSentence,
  entrySummary,
  landableText,
  needsDecision,
  removalWork,
  reviewStateLabel,
  ReviewItem,
  RunChecksResult,
  short,
  statText,
  Verdict,
  verdictMessage,
  VerdictResult,
} from '../review/model';
import { NotesEditors, NotesTarget } from '../review/notesEditor';
import { ReviewModel } from '../review/reviewModel';
import { REVIEW_VIEW_ID, ReviewFileNode, ReviewTree } from '../review/reviewView';
import { approveLandView, Decision, itemPlanView, nextOf, startOf, sweepSummary } from '../review/sweep';
import { LandCommands } from './land';
import { SessionCommands } from './sessions';
import { ActionHandlers, SessionArg, Ui } from './ui';

const VERDICT = 'agentls.review.verdict';
const UNTRUSTED = "AgentLS: landing runs the repository's build and test commands; trust this workspace first.";
const UNSUPPORTED = 'AgentLS: this agentls server has no review commands; update agentls to review sessions from VS Code.';

/** Who a verdict is about: the session, and the head the reviewer was shown. */
interface Target {
  session: string;
  head: string | null;
}

export class ReviewCommands implements vscode.Disposable {
  private readonly notes = new NotesEditors();
  /** Notes typed for a request that was refused or cancelled: they come back next time. */
  private readonly drafts = new Map<string, string>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly ui: Ui,
    private readonly review: ReviewModel,
    private readonly tree: ReviewTree,
    private readonly sessions: SessionCommands,
    private readonly land: LandCommands,
  ) {
    land.onReviewNow = (session) => this.open(session);
    const track = (): void => {
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      void vscode.commands.executeCommand('setContext', 'agentls.reviewEditorActive', Boolean(tab && this.review.active && isReviewTitle(tab.label)));
    };
    this.subscriptions.push(this.notes, vscode.window.tabGroups.onDidChangeTabs(track), vscode.window.tabGroups.onDidChangeTabGroups(track), review.onDidChange(track));
  }

  private get server() {
    return this.ui.server;
  }

  // --- the sweep ---------------------------------------------------------------------------

  /** Review Sessions: from the first session still waiting for a decision (or the one given). */
  async start(arg?: SessionArg): Promise<void> {
    const given = this.ui.sessionOf(arg);
    if (given) {
      await this.open(given);
      return;
    }
    await this.review.fetchQueue();
    if (this.review.unsupported) {
      void vscode.window.showWarningMessage(UNSUPPORTED);
      return;
    }
    const entries = this.review.entries();
    const first = startOf(entries);
    if (!first) {
      const others = (this.review.queue?.notQueued ?? []).map((n) => n.session);
      void vscode.window.showInformationMessage(
        `AgentLS: nothing to review: no session has commits or changes that ${this.review.queue?.trunk.branch ?? 'trunk'} lacks${others.length ? ` (not in the queue: ${others.join(', ')})` : ''}.`,
      );
      return;
    }
    this.review.stop();
    if (!entries.some(needsDecision)) {
      void vscode.window.showInformationMessage(`AgentLS: every session in the queue has a verdict for its current head; the sweep starts from the first again.`);
    }
    await this.open(first.session);
  }

  /** Show SESSION in the sweep: its item read now, its changes in the multi-file diff editor. */
  async open(session: string): Promise<boolean> {
    this.review.forgetItem(session);
    let item: ReviewItem;
    try {
      item = await this.review.item(session);
    } catch (err) {
      if (err instanceof CommandError && (err.code === -32601 || /is not defined/.test(err.message))) {
        void vscode.window.showWarningMessage(UNSUPPORTED);
        return false;
      }
      void this.ui.refused('review', err);
      return false;
    }
    // The Review view shows the summary and the verbs; the diff takes the editor.
    await vscode.commands.executeCommand(`${REVIEW_VIEW_ID}.focus`);
    const shown = await openChanges(reviewTitle(item), reviewChanges(item));
    // The sweep moves here once the diff is on screen (the view's message says so last).
    this.review.show(item);
    if (!shown) {
      void vscode.window.showInformationMessage(`AgentLS: ${session} changed no files since its base ${short(item.base)}.`);
    }
    void this.tree.reveal(session);
    if (!this.review.queue) {
      void this.review.fetchQueue();
    }
    return true;
  }

  /** Next: leave the session on screen without a verdict. */
  async next(): Promise<void> {
    const active = this.review.active;
    if (!active) {
      await this.start();
      return;
    }
    if (!active.decisions.has(active.session)) {
      this.review.decided(active.session, 'next');
    }
    await this.advance();
  }

  /** The next session of the sweep, or its end. */
  private async advance(): Promise<void> {
    const active = this.review.active;
    if (!active) {
      return;
    }
    await this.review.fetchQueue();
    const visited = new Set([...active.decisions.keys(), active.session]);
    const next = nextOf(this.review.entries(), visited);
    if (next) {
      await this.open(next.session);
      return;
    }
    const summary = sweepSummary(active.decisions);
    this.review.stop();
    await closeReviewTabs();
    void vscode.window.showInformationMessage(`AgentLS: review sweep done: ${summary}`);
  }

  /** End the sweep (the diffs stay open). */
  stop(): void {
    this.review.stop();
  }

  /** After a verdict on SESSION: the next session when the sweep was on it. */
  private async after(session: string, what: Decision): Promise<void> {
    this.review.forgetItem(session);
    void this.ui.model.fetchReport();
    if (this.review.active?.session === session) {
      this.review.decided(session, what);
      await this.advance();
    } else {
      void this.review.fetchQueue();
    }
  }

  // --- which session, at which head ---------------------------------------------------------

  private async target(arg: SessionArg, title: string): Promise<Target | undefined> {
    if (this.review.unsupported) {
      void vscode.window.showWarningMessage(UNSUPPORTED);
      return undefined;
    }
    const session = this.ui.sessionOf(arg) ?? this.review.active?.session ?? (await this.pick(title));
    if (!session) {
      return undefined;
    }
    const active = this.review.active;
    if (active?.session === session) {
      return { session, head: active.head };
    }
    if (!this.review.queue) {
      await this.review.fetchQueue();
    }
    return { session, head: this.review.entry(session)?.head ?? null };
  }

  /** A session from the queue, in sweep order. */
  private async pick(title: string): Promise<string | undefined> {
    await this.review.fetchQueue();
    const entries = this.review.entries();
    if (entries.length === 0) {
      void vscode.window.showInformationMessage('AgentLS: nothing to review.');
      return undefined;
    }
    const trunk = this.review.queue?.trunk.branch ?? 'trunk';
    const picked = await vscode.window.showQuickPick(
      entries.map((e) => ({
        label: e.session,
        description: `${reviewStateLabel(e.review)} · ${landableText(e.landable, trunk)}`,
        detail: entrySummary(e, trunk),
      })),
      { title: `AgentLS: ${title}`, placeHolder: 'Session (in sweep order)', matchOnDescription: true },
    );
    return picked?.label;
  }

  /** Buttons for a refused verdict: look again at a session that moved. */
  private handlers(session: string): ActionHandlers {
    return { 'review-again': () => this.open(session) };
  }

  private argument(t: Target, verdict: Verdict, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { session: t.session, verdict, ...(t.head ? { head: t.head } : {}), ...extra };
  }

  /** Record a verdict; a refusal is worded (with Review Again for a moved session); undefined then. */
  private async record(t: Target, verdict: Verdict, notes?: string): Promise<VerdictResult | undefined> {
    try {
      return await this.server.execute<VerdictResult>(VERDICT, this.argument(t, verdict, notes ? { notes } : {}));
    } catch (err) {
      void this.ui.refused(verdict === 'changes-requested' ? 'request changes' : verdict, err, this.handlers(t.session));
      return undefined;
    }
  }

  // --- verdicts --------------------------------------------------------------------------------

  async approve(arg?: SessionArg): Promise<void> {
    const t = await this.target(arg, 'Approve Session');
    const result = t && (await this.record(t, 'approved'));
    if (t && result) {
      void vscode.window.showInformationMessage(`AgentLS: ${verdictMessage(result)}`);
      await this.after(t.session, 'approved');
    }
  }

  async skip(arg?: SessionArg): Promise<void> {
    const t = await this.target(arg, 'Skip Session');
    const result = t && (await this.record(t, 'skipped'));
    if (t && result) {
      void vscode.window.showInformationMessage(`AgentLS: ${verdictMessage(result)}`);
      await this.after(t.session, 'skipped');
    }
  }

  /** Request changes: the notes from an input box (Enter sends), or from an editor for several lines. */
  async requestChanges(arg?: SessionArg): Promise<void> {
    const t = await this.target(arg, 'Request Changes');
    if (!t) {
      return;
    }
    const answer = await this.askNotes(t.session, this.drafts.get(t.session) ?? '');
    if (!answer) {
      return;
    }
    if (answer.editor) {
      const branch = this.review.entry(t.session)?.branch ?? this.review.active?.item.branch ?? null;
      await this.notes.open(t, branch, answer.text);
      return;
    }
    this.drafts.set(t.session, answer.text);
    await this.sendNotes(t, answer.text);
  }

  /** Send Request in a notes editor's title (or Ctrl+Enter there): send what it says. */
  async sendNotesEditor(): Promise<void> {
    const document = vscode.window.activeTextEditor?.document;
    const found = document && this.notes.read(document);
    if (!document || !found) {
      void vscode.window.showInformationMessage('AgentLS: this is not a review notes editor (Request Changes opens one).');
      return;
    }
    if (!found.notes) {
      void vscode.window.showWarningMessage('AgentLS: write the notes below the comment first (or close the tab to cancel).');
      return;
    }
    // The notes editor closes once they are recorded, before the sweep moves on.
    await this.sendNotes(found.target, found.notes, () => this.notes.sent(document));
  }

  private async sendNotes(t: NotesTarget, notes: string, recorded?: () => Promise<void>): Promise<void> {
    const result = await this.record(t, 'changes-requested', notes);
    if (!result) {
      return;
    }
    await recorded?.();
    this.drafts.delete(t.session);
    const open = 'Open HANDOFF.md';
    void vscode.window.showInformationMessage(`AgentLS: ${verdictMessage(result)}`, ...(result.handoff ? [open] : [])).then((choice) => {
      if (choice === open && result.handoff) {
        void vscode.window.showTextDocument(vscode.Uri.file(result.handoff), { preview: false });
      }
    });
    await this.after(t.session, 'changes-requested');
  }

  /** The notes input box; its button switches to an editor (several lines) with what was typed. */
  private askNotes(session: string, draft: string): Promise<{ text: string; editor: boolean } | undefined> {
    return new Promise((resolve) => {
      const box = vscode.window.createInputBox();
      const editorButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('go-to-file'), tooltip: 'Write several lines in an editor' };
      let done = false;
      const finish = (answer: { text: string; editor: boolean } | undefined): void => {
        if (!done) {
          done = true;
          resolve(answer);
          box.hide();
        }
      };
      box.title = `AgentLS: Request Changes from ${session}`;
      box.prompt = `What should ${session}'s agent change? Enter writes it into its HANDOFF.md with a resume prompt. Several lines: the button on the right opens an editor.`;
      box.placeholder = 'e.g. Add a test for the empty input.';
      box.value = draft;
      box.ignoreFocusOut = true;
      box.buttons = [editorButton];
      box.onDidChangeValue(() => {
        box.validationMessage = undefined;
      });
      box.onDidAccept(() => {
        const text = box.value.trim();
        if (!text) {
          box.validationMessage = 'Type what should change (Escape cancels).';
          return;
        }
        finish({ text, editor: false });
      });
      box.onDidTriggerButton(() => finish({ text: box.value, editor: true }));
      box.onDidHide(() => {
        if (!done && box.value.trim()) {
          this.drafts.set(session, box.value);
        }
        finish(undefined);
        box.dispose();
      });
      box.show();
    });
  }

  /** Approve & Land: asks first with the land's plan (the dry run's, else the item's), then lands with progress. */
  async approveLand(arg?: SessionArg): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(UNTRUSTED);
      return;
    }
    const t = await this.target(arg, 'Approve and Land Session');
    if (!t) {
      return;
    }
    let item: ReviewItem;
    try {
      item = this.review.active?.session === t.session ? this.review.active.item : await this.review.item(t.session);
    } catch (err) {
      void this.ui.refused('review', err);
      return;
    }
    const view = await this.landPlan(t, item);
    if (!view || !(await this.ui.confirm(view.message, view.detail, view.confirm))) {
      return;
    }
    const result = await this.ui.run('approve and land', () => this.approveAndLand(t), this.handlers(t.session));
    if (!result) {
      return;
    }
    const land = result.land as LandResult | undefined;
    if (land && typeof land === 'object') {
      await this.land.landed({ ...land, session: land.session ?? t.session });
    }
    if (!land?.ok) {
      void vscode.window.showInformationMessage(`AgentLS: ${verdictMessage(result)} It did not land; the approval stands.`);
    }
    await this.after(t.session, land?.ok ? 'landed' : 'approved');
  }

  /** The question before Approve & Land; undefined when the land is refused outright (said). */
  private async landPlan(t: Target, item: ReviewItem): Promise<PlanView | undefined> {
    const trunk = item.trunk?.branch ?? this.ui.model.trunkBranch;
    let dry: LandDryRun;
    try {
      dry = await this.server.execute<LandDryRun>('agentls.session.land', { session: t.session, dryRun: true });
    } catch (err) {
      // Reviews gate landing: the dry run waits for the approval this is about to give.
      if (errorObject(err instanceof CommandError ? err.data : err)?.code === 'review-required') {
        return itemPlanView(item);
      }
      void this.ui.refused('land', err);
      return undefined;
    }
    if (!dry.ok && !(dry.conflicts ?? []).length) {
      if (errorObject(dry.error)?.code === 'review-required') {
        return itemPlanView(item);
      }
      void this.ui.refused('land', dry.error ?? { message: dry.message ?? `cannot land ${t.session}` });
      return undefined;
    }
    const plan = landPlanView(dry, {
      branch: item.branch,
      trunkBranch: trunk,
      commits: item.commits.slice(0, 20).map((c) => ({ hash: c.id.slice(0, 7), subject: c.summary })),
      ahead: item.ahead,
      behind: item.behind,
    });
    return approveLandView(plan, t.session, t.head, trunk);
  }

  /** The approval and its land, with one progress notification until the land's end. */
  private approveAndLand(t: Target): Promise<VerdictResult> {
    return Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `AgentLS: Approving and landing ${t.session}`, cancellable: false },
        async (progress) => {
          const token = newProgressToken();
          const watching = this.server.watchProgress(token, (p) => progress.report({ message: p.message }));
          try {
            const result = await this.server.execute<VerdictResult>(VERDICT, this.argument(t, 'approved', { land: true }), { workDoneToken: token });
            if (isOperationStarted(result.land)) {
              // The land runs in the background: it ends with agentls/operationFinished.
              progress.report({ message: 'approved; landing' });
              try {
                result.land = await this.server.finish<LandResult>(result.land, 'agentls.session.land');
              } catch (err) {
                const refusal = describeRefusal(err instanceof CommandError ? (err.data ?? { message: err.message }) : err);
                result.land = { ok: false, session: t.session, message: refusal.text, error: errorObject(err instanceof CommandError ? err.data : err) };
              }
            }
            return result;
          } finally {
            watching.dispose();
          }
        },
      ),
    );
  }

  // --- checks, remove, diffs -------------------------------------------------------------------

  async runChecks(arg?: SessionArg): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage("AgentLS: checks run the repository's build and test commands; trust this workspace first.");
      return;
    }
    const t = await this.target(arg, 'Run Checks');
    if (!t) {
      return;
    }
    const result = await this.ui.run('run checks', () =>
      this.ui.withProgress<RunChecksResult>(`Running the checks of ${t.session} on its HEAD`, 'agentls.review.runChecks', { session: t.session }),
    );
    if (!result) {
      return;
    }
    for (const r of result.checks?.results ?? []) {
      log.info(`checks of ${t.session} ${short(result.head)}: ${r.kind}: ${r.command}: ${r.ok ? 'passed' : 'failed'}${r.output ? `\n${r.output}` : ''}`);
    }
    this.review.forgetItem(t.session);
    void this.review.fetchQueue();
    const text = `checks of ${t.session} at ${short(result.head)}: ${checksSentence(result.checks)}`;
    if (result.ok) {
      void vscode.window.showInformationMessage(`AgentLS: ${text}`);
    } else if ((await vscode.window.showWarningMessage(`AgentLS: ${text}`, 'Show Output')) === 'Show Output') {
      log.showLogs();
    }
  }

  /**
   * Remove: asks once, saying what goes (the reviewer has just looked at it), then the
   * lifecycle's remove with force, as the CLI's sweep does; a backup ref keeps the work.
   */
  async remove(arg?: SessionArg): Promise<void> {
    const t = await this.target(arg, 'Remove Session');
    if (!t) {
      return;
    }
    const entry = this.review.entry(t.session);
    const trunk = this.review.queue?.trunk.branch ?? 'trunk';
    const work = entry ? removalWork(entry, trunk) : '';
    const detail = [
      entry ? `Its worktree folder (${entry.path})${entry.branch ? ` and its branch ${entry.branch}` : ''} are deleted${work ? `, with ${work}` : ''}.` : '',
      'A backup ref keeps all of its work, and Restore Session brings it back.',
    ]
      .filter(Boolean)
      .join(' ');
    if (!(await this.ui.confirm(`Remove session ${t.session}?`, detail, 'Remove'))) {
      return;
    }
    const result = await this.ui.run('remove', () =>
      this.server.execute<{ ok: boolean; backup?: string | null; path?: string }>('agentls.session.remove', { session: t.session, force: true }),
    );
    if (!result) {
      return;
    }
    await this.sessions.removed(t.session, result);
    this.review.forgetItem(t.session);
    if (this.review.active?.session === t.session) {
      this.review.decided(t.session, 'removed');
      await this.advance();
    } else {
      await this.review.fetchQueue();
    }
  }

  /** A file row: its diff (base, or the reviewed head, against the current version). */
  async openFile(node?: ReviewFileNode): Promise<void> {
    if (node?.type === 'review-file') {
      await openFileChange(node.session, node.change, node.from);
    }
  }

  /** Every file of a session in the multi-file diff editor (without moving the sweep). */
  async openChanges(arg?: SessionArg): Promise<void> {
    const t = await this.target(arg, 'Open Session Changes');
    const item = t && (await this.ui.run('review', () => this.review.item(t.session)));
    if (item && !(await openChanges(reviewTitle(item), reviewChanges(item)))) {
      void vscode.window.showInformationMessage(`AgentLS: ${item.session} changed no files since its base (${statText(item.stat)}).`);
    }
  }

  /** What changed since the last review, from the reviewed head to now. */
  async openSinceReview(arg?: SessionArg): Promise<void> {
    const t = await this.target(arg, 'Changes Since Review');
    const item = t && (await this.ui.run('review', () => this.review.item(t.session)));
    if (item && !(await openChanges(sinceReviewTitle(item), sinceReviewChanges(item)))) {
      void vscode.window.showInformationMessage(`AgentLS: ${item.session} has no changes since its last review to show.`);
    }
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
  }
}
