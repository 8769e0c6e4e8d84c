// Why the server is not running, and what to offer: the one place a broken set-up is
// worded. Like the Python and ruff extensions: name the interpreter or path and the
// missing piece, offer the fix that fits (install into THAT interpreter, open the
// settings scope where the setting actually is), no backticks. No `vscode` import.
import * as path from 'path';

/** Where a setting's effective value comes from. */
export type SettingScope = 'user' | 'workspace' | 'folder';

/** The shape of `WorkspaceConfiguration.inspect()` that matters here. */
export interface SettingInspect {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

const isSet = (value: unknown): boolean =>
  value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0) && value !== '';

/**
 * The scope whose value wins (folder over workspace over user); undefined when unset.
 * With one folder open (MULTI_ROOT false) its settings are what VS Code calls Workspace.
 */
export function settingScope(inspect: SettingInspect | undefined, multiRoot = false): SettingScope | undefined {
  if (!inspect) {
    return undefined;
  }
  if (isSet(inspect.workspaceFolderValue)) {
    return multiRoot ? 'folder' : 'workspace';
  }
  if (isSet(inspect.workspaceValue)) {
    return 'workspace';
  }
  if (isSet(inspect.globalValue)) {
    return 'user';
  }
  return undefined;
}

export function scopeLabel(scope: SettingScope | undefined): string {
  switch (scope) {
    case 'folder':
      return 'Folder settings';
    case 'workspace':
      return 'Workspace settings';
    default:
      return 'User settings';
  }
}

export type SetupProblem =
  /** `agentls.server.path` names a file that is missing or not executable. */
  | { kind: 'path-not-executable'; command: string; missing: boolean; scope?: SettingScope }
  /** The Python of `agentls.server.path` (`python -m agentls serve`) cannot import agentls. */
  | { kind: 'python-lacks-agentls'; interpreter: string[]; scope?: SettingScope }
  /** Nothing found: no setting, the selected interpreter (if any) lacks agentls, no agentls on PATH. */
  | { kind: 'not-found'; interpreter?: string[]; python?: string; pythonExtension: boolean }
  /** The server process stopped: while starting, or too often while running. */
  | {
      kind: 'crashed';
      command: string;
      source: string;
      fromSetting: boolean;
      scope?: SettingScope;
      during: 'start' | 'run';
      exit: string;
      lastWords: string;
      stops: number;
    }
  /** git itself is not on PATH. */
  | { kind: 'no-git' };

export type FixAction =
  | { id: 'install'; label: string; interpreter: string[] }
  | { id: 'open-settings'; label: string; scope: SettingScope }
  | { id: 'select-interpreter'; label: string }
  | { id: 'restart'; label: string }
  | { id: 'show-logs'; label: string };

export interface ProblemView {
  /** The notification text (one or two sentences). */
  message: string;
  actions: FixAction[];
  /** The language status item / status bar: short text and the detail. */
  status: { text: string; detail: string };
}

const install = (interpreter: string[]): FixAction => ({ id: 'install', label: 'Install agentls', interpreter });
const openSettings = (scope: SettingScope | undefined): FixAction => ({ id: 'open-settings', label: 'Open Settings', scope: scope ?? 'user' });
const showLogs: FixAction = { id: 'show-logs', label: 'Show Logs' };
const restart: FixAction = { id: 'restart', label: 'Restart Server' };

/** The last meaningful line of a crashed server's stderr (a traceback's last line is its cause). */
export function lastWords(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.length ? lines[lines.length - 1].slice(0, 300) : '';
}

/** How a process ended, for a sentence: "exit 1", "signal SIGKILL". */
export function exitText(code: number | null | undefined, signal: string | null | undefined): string {
  if (signal) {
    return `signal ${signal}`;
  }
  return code === null || code === undefined ? 'no exit status' : `exit ${code}`;
}

export function problemView(problem: SetupProblem): ProblemView {
  switch (problem.kind) {
    case 'path-not-executable': {
      const where = scopeLabel(problem.scope);
      const what = problem.missing ? 'which does not exist' : 'which is not an executable file';
      return {
        message: `AgentLS cannot start its server: agentls.server.path in your ${where} is ${problem.command}, ${what}.`,
        actions: [openSettings(problem.scope), showLogs],
        status: { text: 'server path is wrong', detail: `${problem.command} (agentls.server.path, ${where})` },
      };
    }
    case 'python-lacks-agentls': {
      const where = scopeLabel(problem.scope);
      const python = commandText(problem.interpreter);
      return {
        message:
          `AgentLS cannot start its server: the Python in agentls.server.path (${where}), ` +
          `${python}, cannot import agentls. Install agentls into it, or point the setting at another one.`,
        actions: [install(problem.interpreter), openSettings(problem.scope), showLogs],
        status: { text: 'agentls is not installed', detail: `${python} cannot import agentls` },
      };
    }
    case 'not-found': {
      if (problem.interpreter) {
        const python = commandText(problem.interpreter);
        return {
          message:
            `AgentLS cannot find its server: the selected Python interpreter, ${python}, ` +
            'cannot import agentls, and there is no agentls on PATH. Install agentls into that interpreter, ' +
            'select another one, or set agentls.server.path.',
          actions: [install(problem.interpreter), { id: 'select-interpreter', label: 'Select Interpreter' }, openSettings('user'), showLogs],
          status: { text: 'agentls is not installed', detail: `${python} cannot import agentls; none on PATH` },
        };
      }
      const how = problem.pythonExtension ? 'no Python interpreter is selected' : 'the Python extension is not installed';
      return {
        message:
          `AgentLS cannot find its server: there is no agentls on PATH and ${how}. ` +
          (problem.python
            ? `Install agentls with ${problem.python}, or set agentls.server.path.`
            : 'Install agentls into a Python environment, or set agentls.server.path.'),
        actions: [...(problem.python ? [install([problem.python])] : []), openSettings('user'), showLogs],
        status: { text: 'agentls not found', detail: `no agentls on PATH; ${how}` },
      };
    }
    case 'crashed': {
      const cause = problem.lastWords ? `: ${problem.lastWords}` : '';
      const from = problem.fromSetting ? ` (agentls.server.path, ${scopeLabel(problem.scope)})` : ` (from ${problem.source})`;
      const message =
        problem.during === 'start'
          ? `The AgentLS server stopped while starting (${problem.exit})${cause}. Command: ${problem.command}${from}.`
          : `The AgentLS server stopped ${problem.stops} times in a few minutes (last: ${problem.exit})${cause}. It is not restarted again.`;
      return {
        message,
        actions: [showLogs, restart, ...(problem.fromSetting ? [openSettings(problem.scope)] : [])],
        status: { text: 'server stopped', detail: `${problem.exit}${cause}` },
      };
    }
    case 'no-git':
      return {
        message: 'AgentLS needs git (2.38 or newer) on PATH, and git was not found.',
        actions: [showLogs],
        status: { text: 'git not found', detail: 'AgentLS needs git 2.38 or newer on PATH' },
      };
  }
}

/** A Python module invocation `python [opts] -m agentls …`: the interpreter part, else undefined. */
export function pythonModuleInterpreter(command: string, args: string[]): string[] | undefined {
  const m = args.indexOf('-m');
  if (m < 0 || args[m + 1] !== 'agentls') {
    return undefined;
  }
  if (!/python/i.test(path.basename(command))) {
    return undefined;
  }
  return [command, ...args.slice(0, m)];
}

/** COMMAND quoted for a POSIX shell, for text typed (never run) into a terminal. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command typed into a terminal for "Install agentls": that interpreter's pip. */
export function installCommand(interpreter: string[]): string {
  return [...interpreter.map(shellQuote), '-m', 'pip', 'install', 'agentls'].join(' ');
}

/** An interpreter command as a person reads it. */
export function commandText(command: string[]): string {
  return command.join(' ');
}
