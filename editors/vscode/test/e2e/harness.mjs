// What the workbench tests share: the environment run-tests.sh sets, the workbench's
// settings, pictures for the docs and of failures, the logs, and small git questions.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { git, waitFor } from './fixtures.mjs';

export const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (run editors/vscode/run-tests.sh)`);
  return value;
};

export const output = path.resolve(process.env.AGENTLS_TEST_OUTPUT ?? 'test-output/vscode');
fs.mkdirSync(path.join(output, 'docs'), { recursive: true });

/** A small picture of one part of the workbench (its top MAX_HEIGHT pixels), for docs/ (copied from test-output/vscode/docs by hand). */
export async function docShot(name, locator, maxHeight) {
  const file = path.join(output, 'docs', `${name}.png`);
  const box = maxHeight ? await locator.boundingBox() : null;
  if (box) {
    await locator.page().screenshot({ path: file, clip: { ...box, height: Math.min(box.height, maxHeight) } });
  } else {
    await locator.screenshot({ path: file });
  }
}

/** User (and Machine) settings for the test workbench: our server, no distractions. */
export function workbenchSettings() {
  return {
    'agentls.server.path': JSON.parse(env('AGENTLS_SERVER')),
    'agentls.logLevel': 'debug',
    // "Start agent in terminal" runs this in the new worktree: its trace proves where it ran.
    'agentls.agentCommand': 'touch AGENT_STARTED',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'chat.disableAIFeatures': true,
    'git.autoRepositoryDetection': false,
    'git.enabled': false,
    // The DOM renderer keeps the terminal's text readable by the test.
    'terminal.integrated.gpuAcceleration': 'off',
    // No animations: a closing quick input is inert for a moment, which races the test.
    'workbench.reduceMotion': 'on',
  };
}

/** The shared engine runs in its own session and lingers a grace period after its last client. */
export async function engineGone(repo) {
  if (!repo) {
    return;
  }
  const socket = path.join(repo.main, '.git', 'agentls', 'engine.sock');
  await waitFor('the shared engine to exit', () => !fs.existsSync(socket), 20_000).catch((err) =>
    console.warn(`warning: ${err.message} (${socket})`),
  );
}

export const head = (cwd, ref = 'HEAD') => git(cwd, 'rev-parse', ref);
export const trunk = (repo) => head(repo.main, 'main');
export const noCliWords = (text) => {
  assert.doesNotMatch(text, /`/, `no backticks: ${text}`);
  assert.doesNotMatch(text, /--force|--branch|agentls (new|fork|rename|claim|release|priority|handoff|land|remove|restore|recover|status) /, `no CLI advice: ${text}`);
};

/** Every page of BROWSER, screenshotted as FAILED-<test>-<n>.png (a failure's picture). */
export async function failureShots(browser, name) {
  const slug = name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60);
  const pages = browser ? browser.contexts().flatMap((c) => c.pages()) : [];
  await Promise.all(pages.map((p, i) => p.screenshot({ path: path.join(output, `FAILED-${slug}-${i}.png`) }).catch(() => {})));
}

/** The .log files under DIR whose names match PATTERN (none when DIR is gone). */
function logFiles(dir, pattern) {
  const found = [];
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (pattern.test(entry.name) && entry.name.endsWith('.log')) {
        found.push(full);
      }
    }
  };
  try {
    walk(dir);
  } catch {
    return [];
  }
  return found;
}

/** The extension's and code-server's logs, copied next to the screenshots. */
export function saveLogs(dir, into) {
  const found = logFiles(dir, /AgentLS|exthost/i);
  fs.mkdirSync(into, { recursive: true });
  found.forEach((file, i) => fs.copyFileSync(file, path.join(into, `${i}-${path.basename(file)}`)));
}

/**
 * The last LINES lines of the extension's most recently written log under DIR: a failure
 * carries them, since CI prints a failing test's error and keeps nothing else.
 */
export function extensionLogTail(dir, lines = 20) {
  const newest = logFiles(dir, /AgentLS/)
    .map((file) => ({ file, mtime: fs.statSync(file).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime)[0];
  if (!newest) {
    return '';
  }
  const tail = fs.readFileSync(newest.file, 'utf8').split('\n').filter((line) => line.trim()).slice(-lines);
  return `the extension's log (${path.basename(newest.file)}), last ${tail.length} lines:\n${tail.join('\n')}`;
}

/**
 * `it`, with a screenshot of every page when it fails, and the tail of the extension's
 * log (under the code-server folder LOG_DIR() gives) added to the error.
 */
export function step(getBrowser, getLogDir) {
  return (name, fn) =>
    it(name, async (t) => {
      try {
        await fn(t);
      } catch (err) {
        await failureShots(getBrowser(), name);
        const tail = getLogDir ? extensionLogTail(getLogDir()) : '';
        if (tail && err instanceof Error) {
          // The reporter prints the stack (Playwright's holds the message and call log).
          err.stack = `${err.stack}\n${tail}`;
        }
        throw err;
      }
    });
}

