// Palette commands ("AgentLS: …") and the Sessions view's menus. Their ids are the
// extension's own (agentls.palette.*); each calls the server's agentls.* commands
// through workspace/executeCommand. The server's own code-action commands (compare,
// open, claim, handoff) are routed here too, so they open native diffs and word
// refusals the same way.
import * as path from 'path';
import * as vscode from 'vscode';
import type { Middleware } from 'vscode-languageclient/node';
import * as log from '../common/logging';
import { AgentlsServer } from '../common/server';
import { CompareArgs, compareVersions, openFileAt } from '../diff';
import { allCollisions, formatRanges, kindText, relatedLabel } from '../model';
import { SessionsModel } from '../sessionsModel';
import { CollisionNode, COMPARE_COLLISION, Node, OPEN_SESSION } from '../sessionsView';
import { ReviewModel } from '../review/reviewModel';
import { OPEN_REVIEW, OPEN_REVIEW_CHANGES, OPEN_REVIEW_FILE, OPEN_SINCE_REVIEW, ReviewFileNode, ReviewTree } from '../review/reviewView';
import { LandCommands } from './land';
import { ReviewCommands } from './review';
import { SessionCommands } from './sessions';
import { SessionArg, Ui } from './ui';

export function registerCommands(server: AgentlsServer, model: SessionsModel, reviewModel: ReviewModel, reviewTree: ReviewTree): vscode.Disposable[] {
  const ui = new Ui(server, model);
  const sessions = new SessionCommands(ui);
  const land = new LandCommands(ui, sessions);
  const review = new ReviewCommands(ui, reviewModel, reviewTree, sessions, land);
  const node = (arg: unknown): SessionArg => arg as SessionArg;
  const table: Record<string, (arg?: unknown) => unknown> = {
    'agentls.palette.newSession': () => sessions.newSession(),
    'agentls.palette.fork': (arg) => sessions.fork(node(arg)),
    'agentls.palette.rename': (arg) => sessions.rename(node(arg)),
    'agentls.palette.priority': (arg) => sessions.priority(node(arg)),
    'agentls.palette.claim': (arg) => sessions.claim(node(arg)),
    'agentls.palette.release': (arg) => sessions.release(node(arg)),
    'agentls.palette.handoff': (arg) => sessions.handoff(node(arg)),
    'agentls.palette.land': (arg) => land.land(node(arg)),
    'agentls.palette.landAll': () => land.landAll(),
    'agentls.palette.remove': (arg) => sessions.remove(node(arg)),
    'agentls.palette.restore': (arg) => (arg && (arg as Node).type === 'removed' ? sessions.bringBackNode(arg as Node) : sessions.restore(node(arg))),
    'agentls.palette.recover': () => sessions.recover(),
    [OPEN_SESSION]: (arg) => sessions.openSession(node(arg)),
    'agentls.palette.openSessionHere': (arg) => sessions.openHere(node(arg)),
    'agentls.palette.startAgent': (arg) => sessions.startAgentFor(node(arg)),
    'agentls.palette.showOverlaps': () => showOverlaps(ui),
    [COMPARE_COLLISION]: (arg) => compareNode(model, arg as CollisionNode),
    'agentls.palette.openCollision': (arg) => openOtherSide(arg as CollisionNode),
    'agentls.palette.refresh': () => ui.run('refresh', () => model.refresh()),
    'agentls.palette.restart': () => server.restart(),
    'agentls.palette.showLogs': () => log.showLogs(),
    // The review sweep.
    'agentls.palette.review': () => review.start(),
    [OPEN_REVIEW]: (arg) => (arg === undefined ? review.start() : review.open(ui.sessionOf(node(arg)) ?? '')),
    'agentls.palette.reviewApproveLand': (arg) => review.approveLand(node(arg)),
    'agentls.palette.reviewApprove': (arg) => review.approve(node(arg)),
    'agentls.palette.reviewRequestChanges': (arg) => review.requestChanges(node(arg)),
    'agentls.palette.reviewSendNotes': () => review.sendNotesEditor(),
    'agentls.palette.reviewSkip': (arg) => review.skip(node(arg)),
    'agentls.palette.reviewNext': () => review.next(),
    'agentls.palette.reviewRunChecks': (arg) => review.runChecks(node(arg)),
    'agentls.palette.reviewRemove': (arg) => review.remove(node(arg)),
    'agentls.palette.reviewStop': () => review.stop(),
    'agentls.palette.reviewRefresh': () => ui.run('refresh', () => reviewModel.fetchQueue()),
    [OPEN_REVIEW_FILE]: (arg) => review.openFile(arg as ReviewFileNode),
    [OPEN_REVIEW_CHANGES]: (arg) => review.openChanges(node(arg)),
    [OPEN_SINCE_REVIEW]: (arg) => review.openSinceReview(node(arg)),
  };

  // Code actions carry the server's command ids; the language client runs them through this.
  const middleware: Middleware = {
    // The Problems panel shows only a related location's file name: say whose worktree it is.
    handleDiagnostics: (uri, diagnostics, next) => {
      const own = model.self ? model.session(model.self)?.path : undefined;
      for (const d of diagnostics) {
        const rel = (d as vscode.Diagnostic & { data?: { path?: unknown } }).data?.path;
        if (d.source === 'agentls' && typeof rel === 'string') {
          for (const info of d.relatedInformation ?? []) {
            info.message = relatedLabel(info.message, info.location.uri.fsPath, rel, own);
          }
        }
      }
      next(uri, diagnostics);
    },
    executeCommand: async (command, args, next) => {
      const first = (args?.[0] ?? {}) as Record<string, unknown>;
      switch (command) {
        case 'agentls.compare':
          if (typeof first.path === 'string' && typeof first.session === 'string' && typeof first.other === 'string') {
            return compareVersions(model, first as unknown as CompareArgs);
          }
          break;
        case 'agentls.openOther':
          if (typeof first.path === 'string') {
            return openFileAt(first.path, numberOr(first.line), numberOr(first.endLine));
          }
          break;
        case 'agentls.session.claim':
          if (typeof first.session === 'string' && Array.isArray(first.globs)) {
            return sessions.claim(first.session, first.globs.filter((g): g is string => typeof g === 'string'));
          }
          break;
        case 'agentls.session.handoff':
          if (typeof first.session === 'string') {
            return sessions.handoff(first.session);
          }
          break;
      }
      return next(command, args);
    },
  };
  server.middleware = middleware;

  return [review, ...Object.entries(table).map(([id, handler]) => vscode.commands.registerCommand(id, handler))];
}

function numberOr(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** A collision in the tree: the diff of the two versions, at this side's first lines. */
async function compareNode(model: SessionsModel, arg: CollisionNode | undefined): Promise<void> {
  if (!arg || arg.type !== 'collision') {
    return;
  }
  const c = arg.collision;
  if (c.alone) {
    // A research write has nothing to compare with: the file itself.
    const own = model.session(c.session);
    if (own) {
      await openFileAt(path.join(own.path, c.path), c.ownRanges[0]?.[0], c.ownRanges[0]?.[1]);
    }
    return;
  }
  await compareVersions(model, { path: c.path, session: c.session, other: c.other }, c.ownRanges[0]?.[0] ?? c.otherRanges[0]?.[0]);
}

/** A collision's other side: that worktree's file at its lines. */
async function openOtherSide(arg: CollisionNode | undefined): Promise<void> {
  if (arg && arg.type === 'collision' && !arg.collision.alone) {
    const [start, end] = arg.collision.otherRanges[0] ?? [1, 1];
    if (!arg.collision.otherFile) {
      // A remote session's version: the server writes it to a read-only copy and shows it.
      const c = arg.collision;
      await vscode.commands.executeCommand('agentls.openVersion', { session: c.other, path: c.path, line: start, endLine: end });
      return;
    }
    await openFileAt(arg.collision.otherFile, start, end);
  }
}

async function showOverlaps(ui: Ui): Promise<void> {
  await ui.model.fetchReport();
  const report = ui.model.report;
  if (!report) {
    void vscode.window.showWarningMessage('AgentLS: no report from the server yet (see AgentLS: Show Logs).');
    return;
  }
  const collisions = allCollisions(report, ui.model.self);
  if (collisions.length === 0) {
    void vscode.window.showInformationMessage(`AgentLS: no collisions between ${report.sessions.length} sessions.`);
    return;
  }
  const icons: Record<string, string> = { conflict: 'error', overlap: 'info', ownership: 'lock', 'research-write': 'telescope' };
  const picked = await vscode.window.showQuickPick(
    collisions.map((c) => ({
      label: `$(${icons[c.kind] ?? 'warning'}) ${c.path}`,
      description: c.alone ? `${kindText(c)}: ${c.session}` : `${kindText(c)}: ${c.session} ↔ ${c.other}`,
      detail: c.otherRanges.length ? `${c.other}'s lines ${formatRanges(c.otherRanges)}` : c.detail.join(', '),
      collision: c,
    })),
    { title: `AgentLS: ${collisions.length} collisions`, placeHolder: 'Compare the two versions', matchOnDescription: true },
  );
  if (picked) {
    await compareNode(ui.model, { type: 'collision', session: picked.collision.session, collision: picked.collision });
  }
}
