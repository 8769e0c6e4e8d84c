// How the extension finds the server — the one place the order is decided:
//   1. `agentls.server.path` (a command array), used as given (a `python -m agentls`
//      command is checked to import agentls first);
//   2. the Python extension's selected interpreter, when it can import agentls
//      (`python -m agentls serve`);
//   3. `agentls` on PATH (`agentls serve`).
// Pure logic with injected probes, so it is unit-tested without VS Code.
import * as fs from 'fs';
import * as path from 'path';
import { pythonModuleInterpreter, SettingScope, SetupProblem } from './problems';

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where it came from, for the log and error messages. */
  source: string;
  /** True when it came from `agentls.server.path`. */
  fromSetting: boolean;
}

export interface DiscoveryInput {
  /** `agentls.server.path`; empty when unset. */
  serverPath: string[];
  /** Where `agentls.server.path` is set (for "Open Settings" at that scope). */
  serverPathScope?: SettingScope;
  /** The Python extension's selected interpreter command (may be several words), if any. */
  interpreter?: string[];
  /** Whether the Python extension is installed at all. */
  pythonExtension: boolean;
  /** The PATH to search for `agentls` (and `python3`, to offer an install). */
  pathEnv: string;
}

export interface Probes {
  isExecutable(file: string): boolean;
  exists(file: string): boolean;
  /** True when `python -c "import agentls"` succeeds for this interpreter. */
  canImportAgentls(interpreter: string[]): Promise<boolean>;
}

export type Discovery =
  | { ok: true; server: ServerCommand; tried: string[] }
  | { ok: false; tried: string[]; problem: SetupProblem };

/** Find the first usable server command; `tried` explains every candidate that was skipped. */
export async function discoverServer(input: DiscoveryInput, probes: Probes): Promise<Discovery> {
  const tried: string[] = [];
  const configured = input.serverPath.filter((part) => part.trim() !== '');
  if (configured.length > 0) {
    const [command, ...args] = configured;
    const resolved = resolveExecutable(command, input.pathEnv, probes);
    // An explicit setting that does not work is an error to show, not a reason to guess.
    if (!resolved) {
      tried.push(`agentls.server.path: ${command} is not an executable file`);
      const missing = command.includes('/') || command.includes(path.sep) ? !probes.exists(command) : true;
      return { ok: false, tried, problem: { kind: 'path-not-executable', command, missing, scope: input.serverPathScope } };
    }
    const python = pythonModuleInterpreter(resolved, args);
    if (python && !(await probes.canImportAgentls(python))) {
      tried.push(`agentls.server.path: ${python.join(' ')} cannot import agentls`);
      return { ok: false, tried, problem: { kind: 'python-lacks-agentls', interpreter: python, scope: input.serverPathScope } };
    }
    return { ok: true, server: { command: resolved, args, source: 'setting agentls.server.path', fromSetting: true }, tried };
  }
  tried.push('agentls.server.path: not set');

  let interpreterWithout: string[] | undefined;
  if (input.interpreter && input.interpreter.length > 0) {
    const shown = input.interpreter.join(' ');
    if (await probes.canImportAgentls(input.interpreter)) {
      const [command, ...rest] = input.interpreter;
      return {
        ok: true,
        server: { command, args: [...rest, '-m', 'agentls', 'serve'], source: `Python interpreter ${shown}`, fromSetting: false },
        tried,
      };
    }
    tried.push(`Python interpreter ${shown}: cannot import agentls`);
    interpreterWithout = input.interpreter;
  } else {
    tried.push(input.pythonExtension ? 'Python extension: no interpreter selected' : 'Python extension: not installed');
  }

  const onPath = resolveExecutable('agentls', input.pathEnv, probes);
  if (onPath) {
    return { ok: true, server: { command: onPath, args: ['serve'], source: `PATH (${onPath})`, fromSetting: false }, tried };
  }
  tried.push('PATH: no agentls executable');
  const python = resolveExecutable('python3', input.pathEnv, probes);
  return {
    ok: false,
    tried,
    problem: { kind: 'not-found', interpreter: interpreterWithout, python, pythonExtension: input.pythonExtension },
  };
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

export function fileExists(file: string): boolean {
  return fs.existsSync(file);
}
