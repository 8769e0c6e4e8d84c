// The read-only `agentls:` documents: one session's version of one file, as
// `agentls.fileVersion` gives it. The URI carries the question (session, path, at);
// its path ends with the file's own path so VS Code picks the language and shows the
// file's name. No `vscode` import: unit-tested in node.

export const VERSION_SCHEME = 'agentls';
/** `at` of a side that does not exist (an added file's base): an empty document, no server call. */
export const ABSENT = 'absent';

export interface VersionRef {
  session: string;
  /** The path relative to the worktree, with '/'. */
  path: string;
  /** "current" (unsaved buffers included), "head", "base", a commit id, or ABSENT. */
  at: string;
}

/** `agentls.fileVersion`'s answer. */
export interface FileVersion {
  text: string | null;
  binary?: boolean;
  exists?: boolean;
  uri?: string | null;
  label?: string;
  commit?: string | null;
}

/** The URI's path and query for REF: "/feat-billing/app/config.py", "at=current". */
export function versionUriParts(ref: VersionRef): { path: string; query: string } {
  const rel = ref.path.replace(/^\/+/, '');
  return { path: `/${ref.session}/${rel}`, query: `at=${encodeURIComponent(ref.at)}` };
}

/** REF back from a URI's path and query; undefined when it is not one of ours. */
export function parseVersionUri(uriPath: string, query: string): VersionRef | undefined {
  const m = /^\/([^/]+)\/(.+)$/.exec(uriPath);
  if (!m) {
    return undefined;
  }
  const at = /(?:^|&)at=([^&]*)/.exec(query);
  return { session: m[1], path: m[2], at: at ? decodeURIComponent(at[1]) : 'current' };
}

/** The diff editor's title: "config.py (feat-billing ↔ login-work)". */
export function diffTitle(rel: string, left: string, right: string): string {
  const name = rel.split('/').pop() || rel;
  return `${name} (${left} ↔ ${right})`;
}

/** The text shown for a version that has none (binary, missing). */
export function placeholderText(version: FileVersion, ref: VersionRef): string | undefined {
  if (typeof version.text === 'string') {
    return undefined;
  }
  if (version.exists === false) {
    return `(${ref.path} does not exist in ${ref.session})\n`;
  }
  if (version.binary) {
    return `(${ref.path} in ${ref.session} is a binary file)\n`;
  }
  return `(no text for ${ref.path} in ${ref.session})\n`;
}
