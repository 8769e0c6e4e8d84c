// How the extension finds the server — the one place the order is decided:
//   1. `agentls.server.path` (a command array), used as given;
//   2. the Python extension's selected interpreter, when it can import agentls
//      (`python -m agentls serve`);
//   3. `agentls` on PATH (`agentls serve`).
// Pure logic with injected probes, so it is unit-tested without VS Code.
import * as fs from 'fs';
import * as path from 'path';

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where it came from, for the log and error messages. */
  source: string;
}

export interface DiscoveryInput {
  /** `agentls.server.path`; empty when unset. */
  serverPath: string[];
  /** The Python extension's selected interpreter command (may be several words), if any. */
  interpreter?: string[];
  /** The PATH to search for `agentls`. */
  pathEnv: string;
}

export interface Probes {
  isExecutable(file: string): boolean;
  /** True when `python -c "import agentls"` succeeds for this interpreter. */
  canImportAgentls(interpreter: string[]): Promise<boolean>;
}

export type Discovery = { ok: true; server: ServerCommand; tried: string[] } | { ok: false; tried: string[] };

/** Find the first usable server command; `tried` explains every candidate that was skipped. */
export async function discoverServer(input: DiscoveryInput, probes: Probes): Promise<Discovery> {
  const tried: string[] = [];
  const configured = input.serverPath.filter((part) => part.trim() !== '');
  if (configured.length > 0) {
    const [command, ...args] = configured;
    const resolved = resolveExecutable(command, input.pathEnv, probes);
    if (resolved) {
      return { ok: true, server: { command: resolved, args, source: 'setting agentls.server.path' }, tried };
    }
    // An explicit setting that does not work is an error to show, not a reason to guess.
    tried.push(`agentls.server.path: ${command} is not an executable file`);
    return { ok: false, tried };
  }
  tried.push('agentls.server.path: not set');

  if (input.interpreter && input.interpreter.length > 0) {
    const shown = input.interpreter.join(' ');
    if (await probes.canImportAgentls(input.interpreter)) {
      const [command, ...rest] = input.interpreter;
      return {
        ok: true,
        server: { command, args: [...rest, '-m', 'agentls', 'serve'], source: `Python interpreter ${shown}` },
        tried,
      };
    }
    tried.push(`Python interpreter ${shown}: cannot import agentls`);
  } else {
    tried.push('Python extension: no interpreter selected (or extension not installed)');
  }

  const onPath = resolveExecutable('agentls', input.pathEnv, probes);
  if (onPath) {
    return { ok: true, server: { command: onPath, args: ['serve'], source: `PATH (${onPath})` }, tried };
  }
  tried.push('PATH: no agentls executable');
  return { ok: false, tried };
}

/** An absolute path to COMMAND: as given when it contains a slash, else searched on PATH. */
export function resolveExecutable(command: string, pathEnv: string, probes: Pick<Probes, 'isExecutable'>): string | undefined {
  if (command.includes('/') || command.includes(path.sep)) {
    return probes.isExecutable(command) ? command : undefined;
  }
  for (const dir of pathEnv.split(path.delimiter)) {
    if (!dir) {
      continue;
    }
    const candidate = path.join(dir, command);
    if (probes.isExecutable(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

/** The real file-system probe: a regular file with an execute bit. */
export function isExecutableFile(file: string): boolean {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) {
      return false;
    }
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
