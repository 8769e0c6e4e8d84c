// End to end in a real VS Code workbench (code-server + Chromium): the built .vsix, the
// real `agentls serve`, a generated repository with worktrees, asserted through the UI
// and checked with git. Screenshots go to test-output/vscode/.
//
// Environment (set by run-tests.sh): AGENTLS_VSIX, AGENTLS_CODE_SERVER, AGENTLS_NODE_BIN,
// AGENTLS_SERVER (JSON command array for agentls.server.path), AGENTLS_TEST_OUTPUT.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { git, makeRepository, startCodeServer, waitFor } from './fixtures.mjs';
import { answerInput, launchBrowser, notifications, openWorkbench, pickItem, runCommand, statusBar } from './workbench.mjs';

const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (run editors/vscode/run-tests.sh)`);
  return value;
};

const output = path.resolve(process.env.AGENTLS_TEST_OUTPUT ?? 'test-output/vscode');
fs.mkdirSync(output, { recursive: true });

/** User (and Machine) settings for the test workbench: our server, no distractions. */
function workbenchSettings() {
  return {
    'agentls.server.path': JSON.parse(env('AGENTLS_SERVER')),
    'agentls.logLevel': 'debug',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'chat.disableAIFeatures': true,
    'git.autoRepositoryDetection': false,
    'git.enabled': false,
  };
}

/** The shared engine runs in its own session and lingers a grace period after its last client. */
async function engineGone(repo) {
  if (!repo) {
    return;
  }
  const socket = path.join(repo.main, '.git', 'agentls', 'engine.sock');
  await waitFor('the shared engine to exit', () => !fs.existsSync(socket), 20_000).catch((err) =>
    console.warn(`warning: ${err.message} (${socket})`),
  );
}

describe('AgentLS in a real VS Code workbench', { timeout: 240_000 }, () => {
  let dir;
  let repo;
  let codeServer;
  let browser;
  let page;

  const shot = async (name, target = page) => {
    await target.screenshot({ path: path.join(output, `${name}.png`) });
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentls-vscode-e2e-'));
    repo = makeRepository(path.join(dir, 'repo'));
    codeServer = await startCodeServer({
      codeServer: env('AGENTLS_CODE_SERVER'),
      nodeBin: env('AGENTLS_NODE_BIN'),
      vsix: env('AGENTLS_VSIX'),
      dir: path.join(dir, 'code-server'),
      settings: workbenchSettings(),
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await codeServer?.stop();
    await engineGone(repo);
    if (codeServer && process.env.AGENTLS_KEEP_E2E !== '1') {
      fs.copyFileSync(codeServer.logFile, path.join(output, 'code-server.log'));
      // The shared engine may still be leaving the repository's git dir: retry.
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    }
  });

  // Sessions are named after their branches by default: feat/auth -> feat-auth.
  it('shows the conflict with the other session in the Problems panel', async () => {
    page = await openWorkbench(browser, codeServer.url, repo.auth);
    // The status bar names this window's session once the server has reported.
    await statusBar(page).getByText(/(^|\s)feat-auth · \d+ collisions?/).waitFor({ timeout: 60_000 });

    // Open the conflicting file (Quick Open), then the Problems panel.
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget .quick-input-box input').fill('config.py');
    await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: 'config.py' }).waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
    await page.locator('.editor-instance .monaco-editor').first().waitFor({ timeout: 15_000 });
    await runCommand(page, 'View: Focus Problems');
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'feat-billing' }).first();
    await problem.waitFor({ timeout: 60_000 });
    const text = await problem.innerText();
    assert.match(text, /feat-billing/, `the diagnostic names the other session: ${text}`);
    assert.match(text, /agentls/, `the diagnostic comes from agentls: ${text}`);
    await shot('problems-conflict');
  });

  it('renames this session from the palette and the status bar follows', async () => {
    await runCommand(page, 'AgentLS: Rename Session');
    await pickItem(page, 'Rename Session', 'feat-auth');
    await answerInput(page, 'Rename Session feat-auth', 'login-work');
    await statusBar(page).getByText(/(^|\s)login-work · \d+ collisions?/).waitFor({ timeout: 30_000 });
    await shot('renamed');
  });

  it('opens the Sessions view from the status bar; a collision opens the other side', async () => {
    await statusBar(page).getByText(/(^|\s)login-work · /).click();
    const view = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Sessions' }) });
    const rows = view.locator('.monaco-list-row');
    await rows.filter({ hasText: 'login-work (this window)' }).waitFor({ timeout: 30_000 });
    for (const name of ['feat-billing', 'feat-docs']) {
      await rows.filter({ hasText: name }).first().waitFor({ timeout: 10_000 });
    }
    // The collision child of this session, then the other side's file at its lines.
    const collision = rows.filter({ hasText: 'conflict: app/config.py ↔ feat-billing' });
    await collision.waitFor({ timeout: 30_000 });
    assert.match(await collision.innerText(), /lines 5–6 there/);
    await shot('sessions-view');
    await collision.click();
    await page.locator('.editor-instance .monaco-editor', { hasText: '500  # billing' }).waitFor({ timeout: 15_000 });
    await shot('collision-opened');
    const tab = page.locator('.tabs-container .tab.active');
    assert.match(await tab.innerText(), /config[\s\S]*shop-billing/, 'the tab is the other worktree\'s file');
  });

  it('lands an independent clean session from the palette and trunk moves', async () => {
    const before = git(repo.main, 'rev-parse', 'main');
    const docsHead = git(repo.docs, 'rev-parse', 'HEAD');
    await runCommand(page, 'AgentLS: Land Session');
    await pickItem(page, 'Land Session', 'feat-docs');
    const moved = await waitFor('main to move after landing docs', () => {
      const now = git(repo.main, 'rev-parse', 'main');
      return now !== before ? now : undefined;
    }, 90_000);
    // Trunk moved forward (fast-forward) and now has the docs change.
    git(repo.main, 'merge-base', '--is-ancestor', before, moved);
    assert.match(git(repo.main, 'show', 'main:docs/notes.md'), /Landing works from the palette/);
    assert.ok(moved === docsHead || git(repo.main, 'rev-list', '--count', `${before}..${moved}`) === '1');
    await waitFor('the "landed" notification', async () => (await notifications(page)).some((n) => /land/i.test(n)), 30_000);
    await shot('landed');
  });

  it('a land that would conflict leaves trunk alone and offers HANDOFF.md and the output', async () => {
    // This window's session lands first; billing then conflicts with what just landed.
    const trunkBefore = git(repo.main, 'rev-parse', 'main');
    await runCommand(page, 'AgentLS: Land Session');
    await pickItem(page, 'Land Session', 'login-work');
    const authLanded = await waitFor('main to move after landing login-work', () => {
      const now = git(repo.main, 'rev-parse', 'main');
      return now !== trunkBefore ? now : undefined;
    }, 60_000);
    assert.equal(git(repo.auth, 'rev-parse', 'HEAD'), authLanded, 'trunk is the rebased login-work');

    await runCommand(page, 'AgentLS: Land Session');
    await pickItem(page, 'Land Session', 'feat-billing');
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'feat-billing' })
      .filter({ has: page.getByRole('button', { name: 'Show Output' }) });
    await toast.waitFor({ timeout: 60_000 });
    assert.equal(git(repo.main, 'rev-parse', 'main'), authLanded, 'a failed land does not move trunk');
    await shot('land-refused');
    const handoff = toast.getByRole('button', { name: 'Open HANDOFF.md' });
    if (await handoff.count()) {
      await handoff.click();
      await page.locator('.tabs-container .tab.active', { hasText: 'HANDOFF.md' }).waitFor({ timeout: 15_000 });
    }
  });

  it('says clearly when the configured server does not exist', async () => {
    const broken = await openWorkbench(browser, codeServer.url, repo.broken);
    const toast = broken.locator('.notifications-toasts .notification-list-item', { hasText: 'no language server found' });
    await toast.waitFor({ timeout: 60_000 });
    for (const action of ['Install', 'Show Logs']) {
      await toast.getByRole('button', { name: action }).waitFor({ timeout: 5_000 });
    }
    await shot('no-server', broken);
    await broken.context().close();
  });
});

describe('AgentLS in an untrusted workspace', { timeout: 180_000 }, () => {
  let dir;
  let repo;
  let codeServer;
  let browser;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentls-vscode-e2e-untrusted-'));
    repo = makeRepository(path.join(dir, 'repo'));
    codeServer = await startCodeServer({
      codeServer: env('AGENTLS_CODE_SERVER'),
      nodeBin: env('AGENTLS_NODE_BIN'),
      vsix: env('AGENTLS_VSIX'),
      dir: path.join(dir, 'code-server'),
      settings: workbenchSettings(),
      trustAll: false,
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await codeServer?.stop();
    await engineGone(repo);
    if (dir && process.env.AGENTLS_KEEP_E2E !== '1') {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    }
  });

  it('shows collisions but offers no landing', async () => {
    const page = await openWorkbench(browser, codeServer.url, repo.auth);
    // An untrusted folder opens in Restricted Mode.
    await statusBar(page).getByText('Restricted Mode').waitFor({ timeout: 60_000 });
    // Diagnostics still work: the server runs and reports this window's collision.
    await statusBar(page).getByText(/(^|\s)feat-auth · \d+ collisions?/).waitFor({ timeout: 60_000 });

    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    const rows = page.locator('.quick-input-widget .monaco-list-row');
    // Our other commands are in the palette...
    await input.fill('>AgentLS: Rename Session');
    await rows.filter({ hasText: 'AgentLS: Rename Session' }).first().waitFor({ timeout: 15_000 });
    // ...but landing is not (its enablement needs a trusted workspace).
    await input.fill('>AgentLS: Land');
    await waitFor('the palette to drop the rename row', async () => (await rows.filter({ hasText: 'Rename Session' }).count()) === 0, 10_000);
    const labels = await rows.allInnerTexts();
    assert.ok(!labels.some((l) => /AgentLS: Land/.test(l)), `no land command in an untrusted workspace: ${labels.join(' | ')}`);
    await page.screenshot({ path: path.join(output, 'untrusted.png') });
    await page.keyboard.press('Escape');
  });
});
