// The Python extension's selected interpreter (optional: the extension may be absent).
import { execFile } from 'child_process';
import * as vscode from 'vscode';
import * as log from './logging';

const PYTHON_EXTENSION = 'ms-python.python';

/* The subset of the Python extension's API that we use; typed loosely on purpose
   because older releases only have `settings.getExecutionDetails`. */
interface PythonApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment(env: { path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
  settings?: {
    getExecutionDetails(resource?: vscode.Uri): { execCommand: string[] | undefined };
  };
}

/** Whether the Python extension is installed (it may not be active yet). */
export function pythonExtensionInstalled(): boolean {
  return vscode.extensions.getExtension(PYTHON_EXTENSION) !== undefined;
}

/** The selected interpreter as a command array, or undefined when none is known. */
export async function selectedInterpreter(resource?: vscode.Uri): Promise<string[] | undefined> {
  const extension = vscode.extensions.getExtension<PythonApi>(PYTHON_EXTENSION);
  if (!extension) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const envPath = api.environments?.getActiveEnvironmentPath(resource);
    if (api.environments && envPath) {
      const env = await api.environments.resolveEnvironment(envPath);
      const executable = env?.executable?.uri?.fsPath;
      if (executable) {
        return [executable];
      }
    }
    const command = api.settings?.getExecutionDetails(resource)?.execCommand;
    return command && command.length > 0 ? command : undefined;
  } catch (err) {
    log.warn(`could not ask the Python extension for its interpreter: ${String(err)}`);
    return undefined;
  }
}

/** True when INTERPRETER can import agentls (a short subprocess, 10 s at most). */
export function canImportAgentls(interpreter: string[]): Promise<boolean> {
  const [command, ...args] = interpreter;
  return new Promise((resolve) => {
    execFile(command, [...args, '-c', 'import agentls'], { timeout: 10_000 }, (err) => resolve(!err));
  });
}
