// Reads the `agentls.*` settings from VS Code.
import * as vscode from 'vscode';
import { serverOptions, serverPathSetting, ServerOptions } from './options';

export const SECTION = 'agentls';

export interface Settings {
  serverPath: string[];
  agentCommand: string;
  /** `agentls.review.order` is "newest-first": the sweep from the newest session. */
  reviewNewestFirst: boolean;
  options: ServerOptions;
}

/** The current settings for RESOURCE (the workspace folder), validated. */
export function getSettings(resource?: vscode.Uri): Settings {
  const config = vscode.workspace.getConfiguration(SECTION, resource);
  return {
    serverPath: serverPathSetting(config.get('server.path')),
    agentCommand: String(config.get('agentCommand') ?? '').trim(),
    reviewNewestFirst: config.get('review.order') === 'newest-first',
    options: serverOptions((key) => config.get(key)),
  };
}

/** True when a change to these settings needs the server restarted (others are pushed live). */
export function needsRestart(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration(`${SECTION}.server.path`) || event.affectsConfiguration(`${SECTION}.trunk`);
}
