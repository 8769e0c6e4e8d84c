// Native diffs: "compare" opens VS Code's diff editor with the other session's version
// (a read-only `agentls:` document fed by `agentls.fileVersion`, unsaved text of the
// other window included) on the left and this session's file on the right. A server
// without `agentls.fileVersion` gets the other worktree's file from disk instead.
import * as path from 'path';
import * as vscode from 'vscode';
import * as log from './common/logging';
import { AgentlsServer, CommandError } from './common/server';
import { SessionsModel } from './sessionsModel';
import { ABSENT, diffTitle, FileVersion, parseVersionUri, placeholderText, VERSION_SCHEME, VersionRef, versionUriParts } from './versions';

/** Arguments of the server's `agentls.compare` (what its code action carries). */
export interface CompareArgs {
  path: string;
  session: string;
  other: string;
}

export function versionUri(ref: VersionRef): vscode.Uri {
  const parts = versionUriParts(ref);
  return vscode.Uri.from({ scheme: VERSION_SCHEME, path: parts.path, query: parts.query });
}

export class VersionProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private pending: NodeJS.Timeout | undefined;

  constructor(
    private readonly server: AgentlsServer,
    private readonly model: SessionsModel,
  ) {
    this.subscriptions.push(
      vscode.workspace.registerTextDocumentContentProvider(VERSION_SCHEME, this),
      // Another session's buffer changed: open versions follow (at most every 300 ms).
      model.onDidChange(() => {
        if (this.pending) {
          return;
        }
        this.pending = setTimeout(() => {
          this.pending = undefined;
          for (const document of vscode.workspace.textDocuments) {
            if (document.uri.scheme === VERSION_SCHEME) {
              this.emitter.fire(document.uri);
            }
          }
        }, 300);
      }),
    );
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const ref = parseVersionUri(uri.path, uri.query);
    if (!ref) {
      return `(not an AgentLS version: ${uri.toString()})\n`;
    }
    if (ref.at === ABSENT) {
      return '';
    }
    try {
      const version = await this.server.execute<FileVersion>('agentls.fileVersion', { session: ref.session, path: ref.path, at: ref.at });
      return version.text ?? placeholderText(version, ref) ?? '';
    } catch (err) {
      if (err instanceof CommandError && (err.code === -32602 || err.code === -32601) && ref.at === 'current') {
        // A server without agentls.fileVersion: the file as it is on disk.
        return this.fromDisk(ref);
      }
      log.warn(`agentls.fileVersion ${ref.session}:${ref.path}: ${String(err)}`);
      return `(could not read ${ref.path} of ${ref.session}: ${err instanceof Error ? err.message : String(err)})\n`;
    }
  }

  private async fromDisk(ref: VersionRef): Promise<string> {
    const session = this.model.session(ref.session);
    if (!session) {
      return `(no session named ${ref.session})\n`;
    }
    try {
      const bytes = await vscode.workspace.fs.readFile(vscode.Uri.file(path.join(session.path, ref.path)));
      return new TextDecoder().decode(bytes);
    } catch {
      return `(${ref.path} does not exist in ${ref.session})\n`;
    }
  }

  dispose(): void {
    if (this.pending) {
      clearTimeout(this.pending);
    }
    this.subscriptions.forEach((d) => d.dispose());
    this.emitter.dispose();
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/**
 * The diff editor: OTHER's version (left, read-only) against SESSION's (right). When
 * SESSION is this window's, its real file is on the right, editable, unsaved text and all.
 */
export async function compareVersions(model: SessionsModel, args: CompareArgs, line?: number): Promise<void> {
  const left = versionUri({ session: args.other, path: args.path, at: 'current' });
  let right = versionUri({ session: args.session, path: args.path, at: 'current' });
  const mine = model.session(args.session);
  if (mine && args.session === model.self) {
    const file = vscode.Uri.file(path.join(mine.path, args.path));
    if (await exists(file)) {
      right = file;
    }
  }
  const options: vscode.TextDocumentShowOptions = { preview: true };
  if (line && line > 0) {
    options.selection = new vscode.Range(line - 1, 0, line - 1, 0);
  }
  await vscode.commands.executeCommand('vscode.diff', left, right, diffTitle(args.path, args.other, args.session), options);
}

/** The other session's file (real, editable) at LINE..END_LINE: what `agentls.openOther` shows. */
export async function openFileAt(file: string, line?: number, endLine?: number): Promise<void> {
  const start = Math.max((line ?? 1) - 1, 0);
  const end = Math.max((endLine ?? line ?? 1) - 1, start);
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const last = Math.min(end, document.lineCount - 1);
  const range = new vscode.Range(Math.min(start, last), 0, last, document.lineAt(last).text.length);
  await vscode.window.showTextDocument(document, { selection: range, preview: true });
}
