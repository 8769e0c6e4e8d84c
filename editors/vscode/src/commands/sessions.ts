// Session verbs: new, fork, rename, priority, claim, release, handoff, remove, restore,
// recover, open, start an agent. Each calls the server's agentls.session.* command and
// words what happened; anything destructive asks first.
import * as vscode from 'vscode';
import { agentButton, agentProgram } from '../agent';
import { isExecutableFile, resolveExecutable } from '../common/discovery';
import { Backup } from '../common/git';
import * as log from '../common/logging';
import { getSettings } from '../common/settings';
import { parseGlobs, parsePriority } from '../model';
import { backupLabel, describeRefusal, listText } from '../refusals';
import { Node } from '../sessionsView';
import { ActionHandlers, SessionArg, Ui } from './ui';

interface CreatedSession {
  ok: boolean;
  session: { name: string; path: string; branch: string | null; role?: string };
  restored?: { uncommitted?: boolean; claimsHeldElsewhere?: string[] };
}

interface NewSessionInput {
  name?: string;
  claims?: string;
  problem?: string;
}

export class SessionCommands {
  constructor(private readonly ui: Ui) {}

  private get server() {
    return this.ui.server;
  }

  private get model() {
    return this.ui.model;
  }

  // --- new, fork ----------------------------------------------------------------------

  /** Ask a name and claims, create the worktree; a refusal keeps what was typed. */
  async newSession(input: NewSessionInput = {}): Promise<void> {
    const name = (await this.ui.askName('New Session', input.name, input.problem))?.trim();
    if (!name) {
      return;
    }
    const claimsText = await vscode.window.showInputBox({
      title: `AgentLS: New Session ${name}`,
      prompt: 'Paths this session owns (optional globs, comma separated, e.g. auth/**, docs/auth.md)',
      placeHolder: 'auth/**',
      value: input.claims,
      ignoreFocusOut: true,
    });
    if (claimsText === undefined) {
      return;
    }
    const claims = parseGlobs(claimsText);
    try {
      const created = await this.create(name, claims);
      await this.afterCreate(created);
    } catch (err) {
      const refusal = describeRefusal((err as { data?: unknown }).data ?? err, err instanceof Error ? err.message : undefined);
      // `new` itself never forces a claim (its refusal says can_force: false), but this
      // flow can: create first, then claim with force.
      if (refusal.code === 'claim-taken' || refusal.actions.includes('claim-anyway')) {
        // Someone holds a claim: nothing was created; decide, without typing it all again.
        const choice = await vscode.window.showWarningMessage(
          `AgentLS: ${refusal.text}`,
          { modal: true, detail: `Session ${name} is not created yet. Take the claim anyway (both sessions then claim it), create ${name} without the claims, or change them.` },
          'Claim Anyway',
          'Create without Claims',
          'Edit Claims',
        );
        if (choice === 'Claim Anyway' || choice === 'Create without Claims') {
          const created = await this.ui.run('new session', () => this.create(name, []));
          if (!created) {
            return;
          }
          if (choice === 'Claim Anyway') {
            await this.ui.run('claim', () => this.server.execute('agentls.session.claim', { session: created.session.name, globs: claims, force: true }));
          }
          await this.afterCreate(created);
        } else if (choice === 'Edit Claims') {
          await this.newSession({ name, claims: claimsText });
        }
        return;
      }
      if (['name-taken', 'invalid-name', 'branch-exists', 'branch-clash'].includes(refusal.code ?? '') || /already exists/.test(refusal.text)) {
        // Ask again, with what was typed and why it was refused.
        await this.newSession({ name, claims: claimsText, problem: refusal.text });
        return;
      }
      await this.ui.refused('new session', err);
    }
  }

  private create(name: string, claims: string[], from?: string): Promise<CreatedSession> {
    const argument: Record<string, unknown> = { name };
    if (claims.length) {
      argument.claims = claims;
    }
    if (from) {
      argument.from = from;
    }
    return this.ui.withProgress<CreatedSession>(`Creating session ${name}`, 'agentls.session.new', argument);
  }

  async fork(arg?: SessionArg): Promise<void> {
    // The source is explicit: the server's own default is the folder it was started in.
    const from = this.ui.sessionOf(arg) ?? this.model.self ?? (await this.ui.pickSession(undefined, 'Fork Research Session from', (s) => !s.missing));
    if (!from) {
      return;
    }
    const name = (await this.ui.askName(`Fork Research Session from ${from}`))?.trim();
    if (!name) {
      return;
    }
    const created = await this.ui.run('fork', () =>
      this.ui.withProgress<CreatedSession>(`Forking ${from} as ${name}`, 'agentls.session.fork', { name, from }),
    );
    if (created) {
      await this.afterCreate(created);
    }
  }

  /** A new worktree exists: say where, and offer to open it and start an agent (modal, not a toast that hides). */
  private async afterCreate(created: CreatedSession): Promise<void> {
    void this.model.fetchReport();
    const s = created.session;
    const command = getSettings().agentCommand;
    const research = s.role === 'research';
    const start = agentButton(command);
    const facts = [
      `Worktree: ${s.path}`,
      s.branch ? `Branch: ${s.branch}` : research ? 'A read-only research fork (detached).' : '',
      created.restored?.uncommitted ? 'Its uncommitted files are back as uncommitted changes.' : '',
    ].filter(Boolean);
    const next = `Open it in a new window to work there${command ? `, or start ${command} in a terminal there` : ''}. The Sessions view offers both later.`;
    const detail = `${facts.join('\n')}\n\n${next}`;
    const choice = await vscode.window.showInformationMessage(
      `AgentLS: created ${research ? 'research fork' : 'session'} ${s.name}`,
      { modal: true, detail },
      'Open in New Window',
      start,
    );
    if (choice === 'Open in New Window') {
      await this.openFolder(s.path, true);
    } else if (choice === start) {
      await this.startAgent(s.name, s.path);
    }
  }

  // --- open, agent -------------------------------------------------------------------

  private async openFolder(folder: string, newWindow: boolean): Promise<void> {
    await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(folder), { forceNewWindow: newWindow });
  }

  /** Click on a session: this window's is revealed in the Explorer; another opens in a new window. */
  async openSession(arg?: SessionArg, newWindow = true): Promise<void> {
    const name = await this.ui.pickSession(arg, 'Open Session in New Window');
    const s = name ? this.model.session(name) : undefined;
    if (!s) {
      return;
    }
    if (s.missing) {
      const remove = 'Remove Session';
      if ((await vscode.window.showWarningMessage(`AgentLS: the folder of ${s.name} is gone (${s.path}).`, remove)) === remove) {
        await this.remove(s.name);
      }
      return;
    }
    if (s.name === this.model.self && newWindow) {
      await vscode.commands.executeCommand('workbench.view.explorer');
      return;
    }
    await this.openFolder(s.path, newWindow);
  }

  /** Open this window on another session's worktree (it replaces the window's folder: asks first). */
  async openHere(arg?: SessionArg): Promise<void> {
    const name = await this.ui.pickSession(arg, 'Open Session in This Window', (s) => s.name !== this.model.self && !s.missing);
    const s = name ? this.model.session(name) : undefined;
    if (s && (await this.ui.confirm(`Open ${s.name} in this window?`, `This window switches to ${s.path}.`, 'Open', false))) {
      await this.openFolder(s.path, false);
    }
  }

  async startAgentFor(arg?: SessionArg): Promise<void> {
    const name = await this.ui.pickSession(arg, 'Start Agent in Terminal', (s) => !s.missing && s.role !== 'trunk');
    const s = name ? this.model.session(name) : undefined;
    if (s) {
      await this.startAgent(s.name, s.path);
    }
  }

  /** A terminal in the worktree running `agentls.agentCommand`, once its program is known to exist. */
  private async startAgent(name: string, folder: string): Promise<void> {
    const command = getSettings().agentCommand;
    const program = agentProgram(command);
    const openTerminal = (): vscode.Terminal => {
      const terminal = vscode.window.createTerminal({ name: `agent: ${name}`, cwd: folder, env: { AGENTLS_SESSION: name } });
      terminal.show();
      return terminal;
    };
    if (!program) {
      openTerminal();
      return;
    }
    if (!vscode.workspace.isTrusted) {
      openTerminal();
      void vscode.window.showInformationMessage(`AgentLS: this workspace is not trusted, so ${command} was not run; the terminal is open in ${folder}.`);
      return;
    }
    if (!resolveExecutable(program, process.env.PATH ?? '', { isExecutable: isExecutableFile })) {
      const settings = 'Open Settings';
      const anyway = 'Open Terminal';
      const choice = await vscode.window.showWarningMessage(
        `AgentLS: ${program} (from agentls.agentCommand) is not on PATH, so it cannot start the agent. Install it, or set agentls.agentCommand to the agent you use.`,
        settings,
        anyway,
      );
      if (choice === settings) {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'agentls.agentCommand');
      } else if (choice === anyway) {
        openTerminal();
      }
      return;
    }
    log.info(`starting ${command} in ${folder}`);
    openTerminal().sendText(command, true);
    void vscode.window.showInformationMessage(`AgentLS: running ${command} in ${name}'s worktree (terminal "agent: ${name}").`);
  }

  // --- rename, priority, claims, handoff -----------------------------------------------

  async rename(arg?: SessionArg): Promise<void> {
    const old = await this.ui.pickSession(arg, 'Rename Session', (s) => s.role !== 'trunk');
    if (!old) {
      return;
    }
    const name = (await this.ui.askName(`Rename Session ${old}`, old))?.trim();
    if (!name || name === old) {
      return;
    }
    const result = await this.ui.run('rename', () =>
      this.server.execute<{ ok: boolean; old: string; name: string }>('agentls.session.rename', { session: old, name }),
    );
    if (result) {
      void vscode.window.showInformationMessage(`AgentLS: renamed session ${result.old ?? old} → ${result.name ?? name}`);
      void this.model.fetchReport();
    }
  }

  async priority(arg?: SessionArg): Promise<void> {
    const session = await this.ui.pickSession(arg, 'Set Priority', (s) => s.role !== 'trunk');
    const s = session ? this.model.session(session) : undefined;
    if (!s) {
      return;
    }
    const text = await vscode.window.showInputBox({
      title: `AgentLS: Set Priority of ${s.name}`,
      prompt: 'Lower lands first (Land All goes in this order); the Sessions view is sorted by it',
      value: String(s.priority),
      validateInput: (value) => {
        const parsed = parsePriority(value);
        return parsed.ok ? undefined : parsed.problem;
      },
    });
    const parsed = text === undefined ? undefined : parsePriority(text);
    if (!parsed || !parsed.ok) {
      return;
    }
    const result = await this.ui.run('priority', () => this.server.execute('agentls.session.priority', { session: s.name, priority: parsed.value }));
    if (result) {
      const order = this.model
        .sessions()
        .filter((x) => x.role === 'code')
        .map((x) => (x.name === s.name ? { ...x, priority: parsed.value } : x))
        .sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name))
        .map((x) => x.name);
      void vscode.window.showInformationMessage(`AgentLS: ${s.name} has priority ${parsed.value}; landing order: ${listText(order, 8)}.`);
      void this.model.fetchReport();
    }
  }

  /** Claim GLOBS (asked when not given) for a session; a claim held elsewhere offers Claim Anyway. */
  async claim(arg?: SessionArg, globsGiven?: string[]): Promise<void> {
    const session = await this.ui.pickSession(arg, 'Claim Files', (s) => s.role !== 'trunk');
    if (!session) {
      return;
    }
    let globs = globsGiven ?? [];
    if (globs.length === 0) {
      const text = await vscode.window.showInputBox({
        title: `AgentLS: Claim Files for ${session}`,
        prompt: 'Globs this session owns, comma separated (e.g. billing/**)',
        validateInput: (value) => (parseGlobs(value).length ? undefined : 'at least one glob'),
      });
      globs = text ? parseGlobs(text) : [];
    }
    if (globs.length === 0) {
      return;
    }
    const done = (): void => {
      void vscode.window.showInformationMessage(`AgentLS: ${session} now claims ${listText(globs)}.`);
      void this.model.fetchReport();
    };
    const handlers: ActionHandlers = {
      'claim-anyway': async () => {
        if (await this.ui.run('claim', () => this.server.execute('agentls.session.claim', { session, globs, force: true }))) {
          done();
        }
      },
    };
    if (await this.ui.run('claim', () => this.server.execute('agentls.session.claim', { session, globs }), handlers)) {
      done();
    }
  }

  /** Release claims: the one a claim node names, else those picked from the session's claims. */
  async release(arg?: SessionArg | Node): Promise<void> {
    const session = await this.ui.pickSession(arg, 'Release Claims', (s) => (s.claims ?? []).length > 0, 'no session claims anything');
    if (!session) {
      return;
    }
    let globs: string[];
    if (arg && typeof arg !== 'string' && arg.type === 'claim') {
      globs = [arg.glob];
    } else {
      const claims = this.model.session(session)?.claims ?? this.model.reportSession(session)?.claims ?? [];
      if (claims.length === 0) {
        void vscode.window.showInformationMessage(`AgentLS: ${session} claims nothing.`);
        return;
      }
      const picked = await vscode.window.showQuickPick(
        claims.map((glob) => ({ label: glob })),
        { title: `AgentLS: Release Claims of ${session}`, placeHolder: 'The claims to release', canPickMany: true },
      );
      globs = (picked ?? []).map((p) => p.label);
    }
    if (globs.length === 0) {
      return;
    }
    const result = await this.ui.run('release', () =>
      this.server.execute<{ claims?: string[] }>('agentls.session.release', { session, globs }),
    );
    if (result) {
      const left = result.claims ?? [];
      void vscode.window.showInformationMessage(
        `AgentLS: ${session} released ${listText(globs)}${left.length ? `; it still claims ${listText(left)}` : ''}.`,
      );
      void this.model.fetchReport();
    }
  }

  /** Write SESSION's HANDOFF.md and open it; writing into another session's worktree asks first. */
  async handoff(arg?: SessionArg): Promise<void> {
    const session = await this.ui.pickSession(arg, 'Write Handoff', (s) => s.role !== 'trunk' && !s.missing);
    const s = session ? this.model.session(session) : undefined;
    if (!session) {
      return;
    }
    if (s && session !== this.model.self) {
      const ok = await this.ui.confirm(
        `Write a handoff note into ${session}'s worktree?`,
        `HANDOFF.md is written (or updated) in ${s.path}: what ${session} is doing, what it changed and where it collides. It never counts as a change.`,
        'Write Handoff',
        false,
      );
      if (!ok) {
        return;
      }
    }
    const result = await this.ui.run('handoff', () => this.server.execute<{ ok: boolean; path: string }>('agentls.session.handoff', { session }));
    if (result?.path) {
      await vscode.window.showTextDocument(vscode.Uri.file(result.path), { preview: false });
    }
  }

  // --- remove, restore, recover -----------------------------------------------------------

  async remove(arg?: SessionArg): Promise<void> {
    const session = await this.ui.pickSession(arg, 'Remove Session', (s) => s.role !== 'trunk');
    const s = session ? this.model.session(session) : undefined;
    if (!session) {
      return;
    }
    const detail = [
      s ? `Its worktree folder (${s.path})${s.branch ? ` and its branch ${s.branch}` : ''} are deleted.` : '',
      'A backup ref keeps its work, and Restore Session brings it back.',
      session === this.model.self ? '\nThis is this window\'s own folder.' : '',
    ]
      .filter(Boolean)
      .join(' ');
    if (!(await this.ui.confirm(`Remove session ${session}?`, detail, 'Remove'))) {
      return;
    }
    const removeWith = async (force: boolean): Promise<void> => {
      const result = await this.ui.run(
        'remove',
        () => this.server.execute<{ ok: boolean; backup?: string | null; path?: string }>('agentls.session.remove', force ? { session, force } : { session }),
        force ? {} : { 'remove-anyway': () => this.forceRemove(session, removeWith) },
      );
      if (result) {
        await this.removed(session, result);
      }
    };
    await removeWith(false);
  }

  /** After SESSION was removed: the views learn it; the toast offers Bring It Back (not awaited). */
  async removed(session: string, result: { backup?: string | null }): Promise<void> {
    await this.model.reloadBackups();
    void this.model.fetchReport();
    const backup = result.backup ? ` Its work is kept in backup ${backupLabel(result.backup)}.` : '';
    const undo = 'Bring It Back';
    void vscode.window.showInformationMessage(`AgentLS: removed session ${session}.${backup}`, ...(result.backup ? [undo] : [])).then((choice) => {
      if (choice === undo && result.backup) {
        void this.bringBack(session, result.backup, false);
      }
    });
  }

  private async forceRemove(session: string, removeWith: (force: boolean) => Promise<void>): Promise<void> {
    if (await this.ui.confirm(`Remove ${session} anyway?`, 'Its unlanded commits and uncommitted files are kept in a backup ref you can bring back.', 'Remove Anyway')) {
      await removeWith(true);
    }
  }

  /** Put a session's branch back to a backup, or bring a removed session back from its latest. */
  async restore(arg?: SessionArg): Promise<void> {
    await this.model.reloadBackups();
    let name = this.ui.sessionOf(arg);
    if (!name) {
      type Item = vscode.QuickPickItem & { name: string };
      const live = this.model.sessions().filter((s) => this.model.backups.has(s.name));
      const items: Item[] = [
        ...live.map((s) => ({ name: s.name, label: s.name, description: `put its branch back to one of ${this.model.backups.get(s.name)?.length} backups` })),
        ...this.model.removed().map((r) => ({
          name: r.name,
          label: r.name,
          description: `removed · bring it back from backup ${backupLabel(r.backups[r.backups.length - 1].ref)}`,
        })),
      ];
      if (items.length === 0) {
        void vscode.window.showInformationMessage('AgentLS: there are no backups to restore.');
        return;
      }
      name = (await vscode.window.showQuickPick(items, { title: 'AgentLS: Restore Session', placeHolder: 'Session' }))?.name;
    }
    if (!name) {
      return;
    }
    const list = this.model.backups.get(name) ?? [];
    if (!this.model.session(name)) {
      const latest = list[list.length - 1];
      if (!latest) {
        void vscode.window.showInformationMessage(`AgentLS: ${name} has no backups to bring back.`);
        return;
      }
      await this.bringBack(name, latest.ref, true);
      return;
    }
    const backup = await this.pickBackup(name, list);
    if (backup) {
      await this.restoreBranch(name, backup.ref);
    }
  }

  private async pickBackup(name: string, list: Backup[]): Promise<Backup | undefined> {
    if (list.length === 0) {
      void vscode.window.showInformationMessage(`AgentLS: ${name} has no backups to restore.`);
      return undefined;
    }
    if (list.length === 1) {
      return list[0];
    }
    const picked = await vscode.window.showQuickPick(
      [...list].reverse().map((b, i) => ({ label: backupLabel(b.ref), description: i === 0 ? 'latest' : '', backup: b })),
      { title: `AgentLS: Restore ${name} to a Backup`, placeHolder: 'Backup (newest first)' },
    );
    return picked?.backup;
  }

  /** Reset NAME's branch to BACKUP (its current head is kept as a backup too). */
  async restoreBranch(name: string, backup: string): Promise<void> {
    const ok = await this.ui.confirm(
      `Put ${name}'s branch back to backup ${backupLabel(backup)}?`,
      `Its current head is kept as a backup too, so this can be undone. Uncommitted changes in ${name} must be committed or stashed first.`,
      'Restore',
    );
    if (!ok) {
      return;
    }
    const result = await this.ui.run('restore', () =>
      this.server.execute<{ branch?: string; new?: string; uncommitted?: boolean; saved?: string | null }>('agentls.session.restore', { session: name, backup }),
      { 'bring-back': () => this.bringBack(name, backup, false) },
    );
    if (result) {
      await this.model.reloadBackups();
      void this.model.fetchReport();
      const at = result.new ? ` (${result.new.slice(0, 12)})` : '';
      void vscode.window.showInformationMessage(
        `AgentLS: ${result.branch ?? name} is back at backup ${backupLabel(backup)}${at}${result.uncommitted ? ', its uncommitted files as uncommitted changes' : ''}.`,
      );
    }
  }

  /** A removed session comes back whole, as a new worktree, from BACKUP. */
  async bringBack(name: string, backup: string, ask: boolean): Promise<void> {
    if (ask && !(await this.ui.confirm(`Bring back ${name}?`, `It becomes a session again in a new worktree, from backup ${backupLabel(backup)}: its commits, and its uncommitted files as uncommitted changes.`, 'Bring It Back', false))) {
      return;
    }
    const created = await this.ui.run('bring back', () => this.create(name, [], backup));
    if (created) {
      await this.model.reloadBackups();
      await this.afterCreate(created);
    }
  }

  async bringBackNode(arg?: Node): Promise<void> {
    if (arg && arg.type === 'removed') {
      const latest = arg.removed.backups[arg.removed.backups.length - 1];
      if (latest) {
        await this.bringBack(arg.removed.name, latest.ref, true);
      }
      return;
    }
    await this.restore(undefined);
  }

  async recover(): Promise<void> {
    const result = await this.ui.run('recover', () => this.server.execute<{ recovered: string[] }>('agentls.session.recover', {}));
    if (!result) {
      return;
    }
    void this.model.fetchReport();
    const lines = result.recovered ?? [];
    if (lines.length === 0) {
      void vscode.window.showInformationMessage('AgentLS: nothing to recover: no land was interrupted.');
      return;
    }
    lines.forEach((l) => log.info(`recover: ${l}`));
    await vscode.window.showInformationMessage(`AgentLS: recovered ${lines.length === 1 ? 'one interrupted land' : `${lines.length} things`}`, {
      modal: true,
      detail: lines.join('\n'),
    });
  }
}
