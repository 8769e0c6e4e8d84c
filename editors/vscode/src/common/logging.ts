// The extension's single log output channel; the language client writes into it too.
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

/** The "AgentLS" log channel, created on first use. */
export function logChannel(): vscode.LogOutputChannel {
  if (!channel) {
    channel = vscode.window.createOutputChannel('AgentLS', { log: true });
  }
  return channel;
}

export function info(message: string): void {
  logChannel().info(message);
}

export function warn(message: string): void {
  logChannel().warn(message);
}

export function error(message: string): void {
  logChannel().error(message);
}

export function showLogs(): void {
  logChannel().show(true);
}
