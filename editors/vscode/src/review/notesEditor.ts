// Longer notes for "request changes": a Markdown file in a private temporary folder,
// opened in an editor (as VS Code's git extension does for commit messages). Its
// editor title has "Send Request" (Ctrl+Enter); closing the tab cancels and keeps the
// draft for the next time. A refused request leaves the notes where they are.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import * as log from '../common/logging';
import { NOTES_FOLDER_PREFIX, notesFileName, notesFileSession, notesFromText, notesTemplate } from './notes';

/** Who the notes in a file are for: the session, and the head the reviewer looked at. */
export interface NotesTarget {
  session: string;
  head: string | null;
}

export class NotesEditors implements vscode.Disposable {
  private folder: string | undefined;
  private readonly targets = new Map<string, NotesTarget>();

  /** The notes file of SESSION (in this window's private folder). */
  private fileOf(session: string): string {
    if (!this.folder) {
      // mkdtemp makes it 0700: the notes are the reviewer's alone.
      this.folder = fs.mkdtempSync(path.join(os.tmpdir(), NOTES_FOLDER_PREFIX));
    }
    return path.join(this.folder, notesFileName(session));
  }

  /** Open the notes editor for TARGET, with DRAFT (or the draft left there last time). */
  async open(target: NotesTarget, branch: string | null, draft: string): Promise<void> {
    const file = this.fileOf(target.session);
    const kept = fs.existsSync(file) ? notesFromText(fs.readFileSync(file, 'utf8')) : '';
    fs.writeFileSync(file, notesTemplate(target.session, branch, target.head, draft || kept), { mode: 0o600 });
    this.targets.set(file, target);
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    // The cursor at the end, where the notes go: set as the editor opens, not after (a
    // selection set once showTextDocument resolves would move a cursor already typing).
    const end = document.lineAt(document.lineCount - 1).range.end;
    await vscode.window.showTextDocument(document, { preview: false, selection: new vscode.Range(end, end) });
  }

  /** The target and notes of DOCUMENT when it is a notes file of this window. */
  read(document: vscode.TextDocument): { target: NotesTarget; notes: string } | undefined {
    const file = document.uri.fsPath;
    const session = notesFileSession(path.basename(file));
    if (!session || !this.folder || path.dirname(file) !== this.folder) {
      return undefined;
    }
    const target = this.targets.get(file) ?? { session, head: null };
    return { target, notes: notesFromText(document.getText()) };
  }

  /** The notes were sent: close their editor and forget the file. */
  async sent(document: vscode.TextDocument): Promise<void> {
    const file = document.uri.fsPath;
    try {
      // Saved first, so closing asks nothing.
      await document.save();
      const tabs = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath === file);
      await vscode.window.tabGroups.close(tabs, true);
    } finally {
      this.targets.delete(file);
      fs.rmSync(file, { force: true });
    }
  }

  dispose(): void {
    if (this.folder) {
      try {
        fs.rmSync(this.folder, { recursive: true, force: true });
      } catch (err) {
        log.warn(`could not remove ${this.folder}: ${String(err)}`);
      }
    }
  }
}
