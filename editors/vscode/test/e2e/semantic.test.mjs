// Semantic conflicts in a real VS Code workbench (code-server + Chromium, the built .vsix,
// the real `agentls serve`): a repository whose trunk enables semantic checks, two
// sessions that merge cleanly but break the tests together. Verify from the palette,
// then see it where a person looks: the toast, the Problems panel, the Sessions view
// (open the failing test, its full log), and the checks' status item (allow background
// checks there). An untrusted workspace: checks are off and say so.
//
// Environment: as workbench.test.mjs (set by run-tests.sh).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe } from 'node:test';
import { git, startCodeServer } from './fixtures.mjs';
import {
  clickDialogButton,
  clickToastButton,
  contextMenu,
  launchBrowser,
  openSessionsView,
  openWorkbench,
  runCommand,
  sessionRows,
  statusBar,
  waitForDialog,
  waitForToast,
} from './workbench.mjs';
import { engineGone, env, output, step as harnessStep, workbenchSettings } from './harness.mjs';

const write = (root, rel, text) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
};

/**
 * shop/         main: shop/prices.py with total(), its unittest; semantic checks enabled
 * shop-rename/  rename: total() becomes sum_prices() (its own test follows)
 * shop-cart/    cart: shop/cart.py calls prices.total(), tests/test_cart.py tests it
 * Each passes its tests alone; merged, test_cart fails. git merges them cleanly.
 */
function makeShop(root) {
  const main = path.join(root, 'shop');
  fs.mkdirSync(main, { recursive: true });
  git(main, 'init', '-q', '-b', 'main');
  git(main, 'config', 'commit.gpgsign', 'false');
  write(main, 'shop/__init__.py', '');
  write(main, 'shop/prices.py', 'def total(prices):\n    return sum(prices)\n');
  write(main, 'tests/__init__.py', '');
  write(
    main,
    'tests/test_prices.py',
    'import unittest\n\nfrom shop import prices\n\n\nclass PricesTest(unittest.TestCase):\n    def test_total(self):\n        self.assertEqual(prices.total([1, 2]), 3)\n',
  );
  write(main, '.agentls.toml', '[land]\ntest = "python3 -m unittest discover -q -s tests -t ."\n\n[verify]\nenabled = true\n');
  git(main, 'add', '-A');
  git(main, 'commit', '-q', '-m', 'shop');
  const worktree = (name) => {
    const dir = path.join(root, `shop-${name}`);
    git(main, 'worktree', 'add', '-q', '-b', name, dir, 'main');
    return dir;
  };
  const rename = worktree('rename');
  write(rename, 'shop/prices.py', 'def sum_prices(prices):\n    return sum(prices)\n');
  write(rename, 'tests/test_prices.py', fs.readFileSync(path.join(rename, 'tests/test_prices.py'), 'utf8').replace('prices.total', 'prices.sum_prices'));
  git(rename, 'commit', '-q', '-am', 'rename total to sum_prices');
  const cart = worktree('cart');
  write(cart, 'shop/cart.py', 'from shop import prices\n\n\ndef checkout(items):\n    return prices.total(items) + 5\n');
  write(
    cart,
    'tests/test_cart.py',
    'import unittest\n\nfrom shop import cart\n\n\nclass CartTest(unittest.TestCase):\n    def test_checkout(self):\n        self.assertEqual(cart.checkout([1, 2]), 8)\n',
  );
  git(cart, 'add', '-A');
  git(cart, 'commit', '-q', '-m', 'cart: checkout');
  return { main, rename, cart };
}

/** `agentls verify --status --json` with the test's XDG_CONFIG_HOME (the opt-in file). */
function verifyStatus(repo, xdg) {
  const server = JSON.parse(env('AGENTLS_SERVER'))[0];
  const out = execFileSync(server, ['-C', repo.main, 'verify', '--status', '--json'], { env: { ...process.env, XDG_CONFIG_HOME: xdg }, encoding: 'utf8' });
  return JSON.parse(out);
}

describe('semantic conflicts in a real VS Code workbench', { timeout: 600_000 }, () => {
  let dir;
  let repo;
  let codeServer;
  let browser;
  let page;

  const shot = (name, target = page) => target.screenshot({ path: path.join(output, `semantic-${name}.png`) });
  const step = harnessStep(() => browser, () => path.join(dir, 'code-server'));

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentls-vscode-semantic-'));
    repo = makeShop(path.join(dir, 'repo'));
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
    if (repo) {
      await engineGone(repo);
    }
    if (codeServer) {
      fs.copyFileSync(codeServer.logFile, path.join(output, 'semantic-code-server.log'));
    }
    if (dir && process.env.AGENTLS_KEEP_E2E !== '1') {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    }
  });

  step('the checks item says checks wait for a person, and Verify finds the semantic conflict', async () => {
    page = await openWorkbench(browser, codeServer.url, repo.cart);
    // Trunk enables checks; this user has not allowed background checks: by hand, one pair queued.
    const item = statusBar(page).getByText('checks: by hand · 1 queued');
    await item.waitFor({ timeout: 90_000 });
    await runCommand(page, 'AgentLS: Verify Merged Builds (Semantic Checks)');
    const text = await waitForToast(page, 'semantic conflict: cart + rename', 120_000);
    assert.match(text, /AgentLS: semantic conflict: cart \+ rename/);
    await shot('verified');
    await clickToastButton(page, 'semantic conflict: cart + rename', 'Show Problems');
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'semantic conflict' }).first();
    await problem.waitFor({ timeout: 60_000 });
    const words = await problem.innerText();
    assert.match(words, /merged with session rename/, words);
    assert.match(words, /each passes alone/, words);
    // Nothing is queued any more: the pair has its verdict.
    await statusBar(page).getByText(/checks: by hand$/).waitFor({ timeout: 30_000 });
  });

  step('the Sessions view shows it under the session: click opens the failing test, the menu its log', async () => {
    await openSessionsView(page);
    const row = sessionRows(page).filter({ hasText: 'semantic · rename' }).first();
    await row.waitFor({ timeout: 30_000 });
    assert.match(await row.innerText(), /test_cart\.py/);
    await row.click();
    await page.locator('.tabs-container .tab.active', { hasText: 'test_cart.py' }).waitFor({ timeout: 20_000 });
    // The editor is at the failing assertion (line 8).
    await page.locator('.statusbar-item', { hasText: /Ln 8,/ }).waitFor({ timeout: 10_000 });
    await shot('sessions-view', page);
    await contextMenu(page, row, 'Open Full Log');
    await page.locator('.tabs-container .tab.active', { hasText: /-test\.log/ }).waitFor({ timeout: 20_000 });
    await page.locator('.editor-instance .view-lines', { hasText: 'FAILED' }).first().waitFor({ timeout: 10_000 });
  });

  step('the checks item asks before allowing background checks, and the engine then runs them', async () => {
    await statusBar(page).getByText(/checks: by hand$/).click();
    const { message, detail } = await waitForDialog(page, 'Allow background semantic checks');
    assert.match(message, /for this repository/);
    assert.match(detail, /build and test commands configured on trunk/);
    await clickDialogButton(page, 'Allow');
    await waitForToast(page, 'background semantic checks allowed (now: on)');
    await statusBar(page).getByText('checks: up to date').waitFor({ timeout: 30_000 });
    const status = verifyStatus(repo, path.join(dir, 'code-server', 'xdg'));
    assert.equal(status.background, 'on', JSON.stringify(status));
  });
});

describe('semantic checks in an untrusted VS Code workspace', { timeout: 300_000 }, () => {
  let dir;
  let repo;
  let codeServer;
  let browser;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentls-vscode-untrusted-'));
    repo = makeShop(path.join(dir, 'repo'));
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
    if (repo) {
      await engineGone(repo);
    }
    if (dir && process.env.AGENTLS_KEEP_E2E !== '1') {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    }
  });

  const step = harnessStep(() => browser, () => path.join(dir, 'code-server'));

  step('tells the engine: background checks are off while the window is open, and the item says so', async () => {
    const page = await openWorkbench(browser, codeServer.url, repo.cart);
    // The user's opt-in is given, yet the untrusted window keeps checks off.
    const server = JSON.parse(env('AGENTLS_SERVER'))[0];
    execFileSync(server, ['-C', repo.main, 'verify', '--allow-background'], { env: { ...process.env, XDG_CONFIG_HOME: path.join(dir, 'code-server', 'xdg') } });
    await statusBar(page).getByText('checks: off').waitFor({ timeout: 90_000 });
    const status = verifyStatus(repo, path.join(dir, 'code-server', 'xdg'));
    assert.equal(status.background, 'untrusted', JSON.stringify(status));
    assert.equal(status.stats.checks, 0, JSON.stringify(status));
  });
});
