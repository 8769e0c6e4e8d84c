// The reviewer's notes for "request changes": typed in an input box, or, for several
// lines, in an editor on a small Markdown file (as VS Code's git extension does for
// commit messages) whose leading comment says how to send or cancel. The comment is
// dropped before sending. No `vscode` import: unit-tested in node.

/** The folder name prefix of the private folder the notes files live in. */
export const NOTES_FOLDER_PREFIX = 'agentls-review-';

/** The notes file's name for SESSION (names are [A-Za-z0-9._-], so always a safe file name). */
export function notesFileName(session: string): string {
  return `request-changes-${session}.md`;
}

/** The session a notes file is for, from its name; undefined when it is not one. */
export function notesFileSession(fileName: string): string | undefined {
  const m = /^request-changes-([A-Za-z0-9][A-Za-z0-9._-]*)\.md$/.exec(fileName);
  return m ? m[1] : undefined;
}

const HEADER_END = '-->';

/** The notes file's text: what to do (a comment, not sent), then DRAFT. */
export function notesTemplate(session: string, branch: string | null, head: string | null, draft = ''): string {
  const at = head ? ` at ${head.slice(0, 8)}` : '';
  return [
    `<!-- Request changes from ${session}${branch ? ` (${branch}${at})` : at}.`,
    `     Write what its agent should change below, in as many lines as you need.`,
    `     Send: "Send Request" (the paper plane in the editor title), or Ctrl+Enter.`,
    `     Cancel: close this tab (the draft stays for next time).`,
    `     The notes go into ${session}'s HANDOFF.md with a resume prompt; its own notes stay.`,
    `${HEADER_END}`,
    '',
    draft,
  ].join('\n');
}

/** The notes in TEXT: without a leading comment, trailing blanks trimmed; "" when none. */
export function notesFromText(text: string): string {
  let body = text.replace(/^\uFEFF/, '');
  const trimmedStart = body.replace(/^\s+/, '');
  if (trimmedStart.startsWith('<!--')) {
    const end = trimmedStart.indexOf(HEADER_END);
    body = end >= 0 ? trimmedStart.slice(end + HEADER_END.length) : '';
  }
  // Leading blank lines go; indentation of the first line of text stays.
  return body.replace(/^(?:[ \t]*\r?\n)+/, '').replace(/\s+$/, '');
}
