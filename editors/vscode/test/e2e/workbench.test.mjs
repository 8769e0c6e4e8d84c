// End to end in a real VS Code workbench (code-server + Chromium): the built .vsix, the
// real `agentls serve`, a generated repository with worktrees, driven through the UI
// like a person (palette, Sessions view, context menus, dialogs) and checked with git
// and the agentls CLI afterwards. Screenshots go to test-output/vscode/.
//
// Environment (set by run-tests.sh): AGENTLS_VSIX, AGENTLS_CODE_SERVER, AGENTLS_NODE_BIN,
// AGENTLS_SERVER (JSON command array for agentls.server.path), AGENTLS_TEST_OUTPUT.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { agentlsWith, git, makeRepository, startCodeServer, statusSessions, waitFor, worktrees } from './fixtures.mjs';
import {
  answerInput,
  clickDialogButton,
  clickToastButton,
  contextMenu,
  expand,
  launchBrowser,
  notifications,
  openWorkbench,
  revealRow,
  rowLabelled,
  runCommand,
  runCommandAndPick,
  sessionRows,
  sessionsView,
  statusBar,
  toast,
  truncated,
  waitForDialog,
  waitForToast,
} from './workbench.mjs';
import { docShot, engineGone, env, head, noCliWords, output, saveLogs, step, trunk, workbenchSettings } from './harness.mjs';

describe('AgentLS in a real VS Code workbench', { timeout: 600_000 }, () => {
  let dir;
  let repo;
  let codeServer;
  let browser;
  let page;
  const it = step(() => browser, () => path.join(dir, 'code-server'));

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
    if (codeServer) {
      saveLogs(path.join(dir, 'code-server'), path.join(output, 'logs'));
    }
    if (codeServer && process.env.AGENTLS_KEEP_E2E !== '1') {
      fs.copyFileSync(codeServer.logFile, path.join(output, 'code-server.log'));
      // The shared engine may still be leaving the repository's git dir: retry.
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    }
  });

  // Sessions are named after their branches by default: feat/auth -> feat-auth.
  it('shows the conflict in the Problems panel, naming the other session and its worktree', async () => {
    page = await openWorkbench(browser, codeServer.url, repo.auth);
    // The status bar names this window's session once the server has reported.
    await statusBar(page).getByText(/(^|\s)feat-auth · \d+ collisions?/).waitFor({ timeout: 60_000 });

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
    // Related information says whose worktree the other lines are in.
    const related = page.locator('.markers-panel .monaco-list-row', { hasText: 'shop-billing' }).first();
    await related.waitFor({ timeout: 15_000 });
    await shot('problems-conflict');
  });

  it('renames this session from the palette and the status bar follows', async () => {
    await runCommandAndPick(page, 'AgentLS: Rename Session', 'Rename Session', 'feat-auth');
    await answerInput(page, 'Rename Session feat-auth', 'login-work');
    await statusBar(page).getByText(/(^|\s)login-work · \d+ collisions?/).waitFor({ timeout: 30_000 });
    assert.ok(statusSessions(repo.main)['login-work'], 'the CLI knows the new name');
  });

  it('lists sessions whose labels fit the default sidebar; a collision opens the native diff', async () => {
    await runCommand(page, 'View: Close All Editors');
    await statusBar(page).getByText(/(^|\s)login-work · /).click();
    const self = rowLabelled(page, 'login-work');
    await self.waitFor({ timeout: 30_000 });
    // This window's session is highlighted (its tooltip says so), not spelled out in the row.
    await self.locator('.label-name .highlight').waitFor({ timeout: 10_000 });
    for (const name of ['feat-billing', 'feat-docs', 'feat-broken', 'main']) {
      await rowLabelled(page, name).waitFor({ timeout: 10_000 });
    }
    for (const name of ['login-work', 'feat-billing', 'feat-docs', 'feat-broken']) {
      const row = rowLabelled(page, name);
      assert.equal(await truncated(row.locator('.monaco-icon-label-container')), false, `${name}'s row is not cut off: ${await row.innerText()}`);
    }
    // Clicking another session opens its worktree in a new window (here: a new tab).
    const popup = page.context().waitForEvent('page', { timeout: 20_000 });
    await rowLabelled(page, 'feat-docs').click();
    const opened = await popup;
    await waitFor('the new window to open feat-docs\'s worktree', () => decodeURIComponent(opened.url()).includes('shop-docs'), 20_000);
    await opened.close();
    // The collision child: the file, the kind, the other side's lines.
    const collision = sessionRows(page).filter({ hasText: 'conflict · feat-billing' }).first();
    await collision.waitFor({ timeout: 30_000 });
    assert.match(await collision.innerText(), /config\.py/);
    await collision.click();
    const diff = page.locator('.monaco-diff-editor').first();
    await diff.waitFor({ timeout: 20_000 });
    await page.locator('.tabs-container .tab.active', { hasText: 'config.py (feat-billing ↔ login-work)' }).waitFor({ timeout: 10_000 });
    await diff.locator('.editor.original', { hasText: '500  # billing' }).waitFor({ timeout: 15_000 });
    await diff.locator('.editor.modified', { hasText: '50  # auth' }).waitFor({ timeout: 15_000 });
    await page.mouse.move(700, 700);
    await shot('compare');
    await docShot('compare', page.locator('.part.editor'));
  });

  it('"compare" from the quick fix opens the native diff too, and writes no .diff file', async () => {
    await runCommand(page, 'View: Close All Editors');
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget .quick-input-box input').fill('config.py');
    await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: 'config.py' }).waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.waitFor({ timeout: 15_000 });
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget .quick-input-box input').fill(':5');
    await page.keyboard.press('Enter');
    const action = page.locator('.action-widget .monaco-list-row', { hasText: /compare with feat-billing/ }).first();
    // The quick fixes come from the server: ask again until they are there.
    await waitFor(
      'the "compare" quick fix',
      async () => {
        if (!(await action.isVisible())) {
          await page.keyboard.press('Escape');
          await page.keyboard.press('Control+.');
          await action.waitFor({ timeout: 3_000 }).catch(() => {});
        }
        return action.isVisible();
      },
      30_000,
    );
    const titles = await page.locator('.action-widget .monaco-list-row').allInnerTexts();
    assert.equal(new Set(titles).size, titles.length, `no quick fix offered twice: ${titles.join(' | ')}`);
    await action.click();
    await page.locator('.tabs-container .tab.active', { hasText: 'config.py (feat-billing ↔ login-work)' }).waitFor({ timeout: 15_000 });
    const compareDir = path.join(repo.main, '.git', 'agentls', 'tmp', 'compare');
    assert.ok(!fs.existsSync(compareDir) || fs.readdirSync(compareDir).length === 0, 'the native diff needs no file');
  });

  it('claims, offers Claim Anyway on a claim another session holds, and releases from the tree', async () => {
    await runCommandAndPick(page, 'AgentLS: Claim Files', 'Claim Files', 'login-work');
    await answerInput(page, 'Claim Files for login-work', 'app/**');
    await waitForToast(page, 'login-work now claims app/**');
    await waitFor('the CLI to see the claim', () => statusSessions(repo.main)['login-work'].claims.includes('app/**'));
    // The claim is in the tree, under its session.
    await rowLabelled(page, 'app/**').waitFor({ timeout: 15_000 });
    await sessionRows(page).filter({ hasText: 'claimed by login-work' }).first().waitFor({ timeout: 15_000 });
    await page.mouse.move(700, 700);
    await docShot('sessions-view', page.locator('.part.sidebar'), 300);

    await runCommandAndPick(page, 'AgentLS: Claim Files', 'Claim Files', 'feat-billing');
    await answerInput(page, 'Claim Files for feat-billing', 'app/config.py');
    const refusal = toast(page, 'login-work').filter({ has: page.getByRole('button', { name: 'Claim Anyway' }) });
    await refusal.waitFor({ timeout: 30_000 });
    const text = await refusal.locator('.notification-list-item-message').innerText();
    noCliWords(text);
    assert.match(text, /app\/\*\*|app\/config\.py/);
    await shot('claim-taken');
    await refusal.getByRole('button', { name: 'Claim Anyway' }).click();
    await waitForToast(page, 'feat-billing now claims app/config.py');
    await waitFor('the CLI to see the shared claim', () => statusSessions(repo.main)['feat-billing'].claims.includes('app/config.py'));
    assert.ok(statusSessions(repo.main)['login-work'].claims.includes('app/**'), 'the first claim stays');

    const claimRow = rowLabelled(page, 'app/config.py');
    await claimRow.waitFor({ timeout: 15_000 });
    await contextMenu(page, claimRow, 'Release Claims');
    await waitForToast(page, 'feat-billing released app/config.py');
    await waitFor('the CLI to see the release', () => statusSessions(repo.main)['feat-billing'].claims.length === 0);
  });

  it('sets a priority', async () => {
    await runCommandAndPick(page, 'AgentLS: Set Priority', 'Set Priority', 'feat-docs');
    await answerInput(page, 'Set Priority of feat-docs', '7');
    await waitForToast(page, 'feat-docs has priority 7');
    await waitFor('the CLI to see the priority', () => statusSessions(repo.main)['feat-docs'].priority === 7);
  });

  it('writes and opens the handoff note without making the worktree dirty', async () => {
    await runCommandAndPick(page, 'AgentLS: Write Handoff', 'Write Handoff', 'login-work');
    await page.locator('.tabs-container .tab.active', { hasText: 'HANDOFF.md' }).waitFor({ timeout: 20_000 });
    assert.ok(fs.existsSync(path.join(repo.auth, 'HANDOFF.md')));
    assert.equal(git(repo.auth, 'status', '--porcelain'), '', 'HANDOFF.md is agentls\'s, not work');
  });

  it('New Session keeps what was typed when a claim is taken, and offers its buttons in a dialog', async () => {
    await runCommand(page, 'AgentLS: New Session');
    await answerInput(page, 'New Session', 'payments');
    await answerInput(page, 'New Session payments', 'app/**');
    const asked = await waitForDialog(page, 'login-work');
    noCliWords(asked.message);
    await shot('new-session-claim-taken');
    await docShot('new-session-claim-taken', page.locator('.monaco-dialog-box'));
    await clickDialogButton(page, 'Edit Claims');
    // The name and the claims come back as typed.
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'New Session' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.quick-input-widget .quick-input-box input').inputValue(), 'payments');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'New Session payments' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.quick-input-widget .quick-input-box input').inputValue(), 'app/**');
    await answerInput(page, 'New Session payments', 'payments/**');
    const created = await waitForDialog(page, 'created session payments', 90_000);
    const payments = path.join(repo.root, 'shop-payments');
    assert.match(created.detail, new RegExp(`Worktree: ${payments.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.equal(worktrees(repo.main)[payments], 'payments', 'git has the new worktree on its branch');
    assert.deepEqual(statusSessions(repo.main).payments.claims, ['payments/**']);
    // "Open in New Window" opens the worktree in another window (a new tab here).
    const popup = page.context().waitForEvent('page', { timeout: 20_000 });
    await clickDialogButton(page, 'Open in New Window');
    const opened = await popup;
    await waitFor('the new window to open the worktree', () => decodeURIComponent(opened.url()).includes('shop-payments'), 20_000);
    await opened.close();

    await runCommand(page, 'AgentLS: New Session');
    await answerInput(page, 'New Session', 'ledger');
    await answerInput(page, 'New Session ledger', 'app/**');
    await waitForDialog(page, 'login-work');
    await clickDialogButton(page, 'Claim Anyway');
    await waitForDialog(page, 'created session ledger', 90_000);
    await clickDialogButton(page, 'Start touch in Terminal');
    const ledger = path.join(repo.root, 'shop-ledger');
    await waitFor('the agent command to run in the new worktree', () => fs.existsSync(path.join(ledger, 'AGENT_STARTED')), 30_000);
    fs.rmSync(path.join(ledger, 'AGENT_STARTED'));
    const sessions = statusSessions(repo.main);
    assert.deepEqual(sessions.ledger.claims, ['app/**'], 'Claim Anyway took the claim');
    assert.ok(sessions['login-work'].claims.includes('app/**'), 'and left the other session its claim');
  });

  it('a session that gains a collision expands in the tree', async () => {
    const payments = rowLabelled(page, 'payments');
    await payments.waitFor({ timeout: 30_000 });
    assert.equal(await payments.getAttribute('aria-expanded'), 'false', 'only its claim to show: collapsed');
    const file = path.join(repo.root, 'shop-payments', 'app', 'config.py');
    const original = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, original.replace('SETTING_1 = 1\n', 'SETTING_1 = 100  # payments\n'));
    await waitFor('the payments row to expand', async () => (await rowLabelled(page, 'payments').getAttribute('aria-expanded')) === 'true', 30_000);
    await page.mouse.move(700, 700);
    await shot('sessions-view');
    fs.writeFileSync(file, original);
    await waitFor('the collision to go', async () => (await sessionRows(page).filter({ hasText: 'overlap · payments' }).count()) === 0, 30_000);
  });

  it('forks a research session', async () => {
    await runCommand(page, 'AgentLS: Fork Research Session');
    await answerInput(page, 'Fork Research Session from login-work', 'probe');
    await waitForDialog(page, 'created research fork probe', 90_000);
    await page.keyboard.press('Escape');
    await waitFor('the CLI to see the fork', () => statusSessions(repo.main).probe?.role === 'research');
    assert.ok(fs.existsSync(path.join(repo.root, 'shop-probe')));
  });

  it('Start Agent names a program that is not on PATH instead of typing it into a terminal', async () => {
    const scopes = ['User', 'Machine'].map((scope) => path.join(dir, 'code-server', 'user-data', scope, 'settings.json'));
    const saved = scopes.map((file) => fs.readFileSync(file, 'utf8'));
    try {
      for (const file of scopes) {
        fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), 'agentls.agentCommand': 'no-such-agent --go' }));
      }
      // Wait until the workbench has read the new setting.
      await new Promise((r) => setTimeout(r, 1500));
      await contextMenu(page, rowLabelled(page, 'ledger'), 'Start Agent in Terminal');
      const text = await waitForToast(page, 'no-such-agent', 20_000);
      assert.match(text, /no-such-agent \(from agentls\.agentCommand\) is not on PATH/);
      await toast(page, 'no-such-agent').getByRole('button', { name: 'Open Settings' }).waitFor({ timeout: 5_000 });
    } finally {
      scopes.forEach((file, i) => fs.writeFileSync(file, saved[i]));
    }
  });

  it('Land shows the plan first (commits, checks, trunk\'s new tip), then lands', async () => {
    const before = trunk(repo);
    const docsHead = head(repo.docs);
    await runCommandAndPick(page, 'AgentLS: Land Session', 'Land Session', 'feat-docs');
    const plan = await waitForDialog(page, 'Land feat-docs onto main?');
    assert.match(plan.detail, /1 commit of feat\/docs:/);
    assert.match(plan.detail, /docs: notes/);
    assert.match(plan.detail, /test: test -f docs\/notes\.md && test ! -f BROKEN/);
    assert.match(plan.detail, new RegExp(`main fast-forwards to ${docsHead.slice(0, 7)}`));
    noCliWords(plan.detail);
    await shot('land-plan');
    await docShot('land-plan', page.locator('.monaco-dialog-box'));
    assert.equal(trunk(repo), before, 'asking changes nothing');
    await clickDialogButton(page, 'Land');
    await waitFor('main to move after landing docs', () => trunk(repo) !== before, 90_000);
    git(repo.main, 'merge-base', '--is-ancestor', before, trunk(repo));
    assert.match(git(repo.main, 'show', 'main:docs/notes.md'), /Landing works from the palette/);
    // The land's own toast (the progress notification's last message also says "landed feat-docs").
    const done = await waitForToast(page, /Landed feat-docs: main moved from/);
    assert.match(done, /main moved from [0-9a-f]{12} to [0-9a-f]{12}\.$/);
  });

  it('a land whose tests fail leaves trunk alone and offers Restore, which puts the branch back', async () => {
    const before = trunk(repo);
    const original = head(repo.main, 'feat/broken');
    await runCommandAndPick(page, 'AgentLS: Land Session', 'Land Session', 'feat-broken');
    await waitForDialog(page, 'Land feat-broken onto main?');
    await clickDialogButton(page, 'Land');
    const failed = toast(page, 'feat-broken').filter({ has: page.getByRole('button', { name: 'Restore Branch' }) });
    await failed.waitFor({ timeout: 90_000 });
    noCliWords(await failed.locator('.notification-list-item-message').innerText());
    assert.equal(trunk(repo), before, 'a failed land does not move trunk');
    assert.notEqual(head(repo.main, 'feat/broken'), original, 'the land had rebased the branch');
    await shot('land-failed');
    await failed.getByRole('button', { name: 'Restore Branch' }).click();
    await waitForDialog(page, "Put feat-broken's branch back to backup");
    await clickDialogButton(page, 'Restore');
    await waitForToast(page, 'feat/broken is back at backup', 30_000);
    assert.equal(head(repo.main, 'feat/broken'), original, 'Restore put the branch back where it was');
  });

  it('Land All shows its plan, then lands what can land and says what did not', async () => {
    const before = trunk(repo);
    await runCommand(page, 'AgentLS: Land All');
    const plan = await waitForDialog(page, 'onto main in this order?', 60_000);
    const order = ['login-work', 'feat-billing', 'feat-broken'].map((n) => plan.detail.indexOf(n));
    assert.ok(order.every((i) => i >= 0), `every landable session is in the plan:\n${plan.detail}`);
    assert.deepEqual([...order].sort((a, b) => a - b), order, 'in priority order');
    assert.doesNotMatch(plan.detail, /feat-docs|payments|ledger|probe/, 'only sessions with commits to land');
    await shot('land-all-plan');
    await docShot('land-all-plan', page.locator('.monaco-dialog-box'));
    assert.equal(trunk(repo), before, 'asking changes nothing');
    await clickDialogButton(page, 'Land All');
    const text = await waitForToast(page, /Landed login-work/, 180_000);
    assert.match(text, /feat-billing/);
    assert.doesNotMatch(text, /FAILED/);
    assert.match(git(repo.main, 'show', 'main:app/config.py'), /SETTING_5 = 50 {2}# auth/, 'login-work landed');
    assert.doesNotMatch(git(repo.main, 'show', 'main:app/config.py'), /billing/, 'feat-billing did not');
    // The conflict feat-billing now meets through landed work is listed on each pair that
    // carries it, labelled (docs/concepts.md: labelled, not hidden).
    await sessionRows(page).filter({ hasText: 'conflict (already on trunk) · login-work' }).first().waitFor({ timeout: 30_000 });
  });

  it('removes a session after asking, from the tree, keeping a backup', async () => {
    // Below the fold by now: the conflicts feat-billing meets through landed work
    // ("already on trunk") are rows of their own under every session involved.
    const probe = await revealRow(page, 'probe');
    await contextMenu(page, probe, 'Remove Session');
    const asked = await waitForDialog(page, 'Remove session probe?');
    assert.match(asked.detail, /backup/);
    await clickDialogButton(page, 'Remove');
    await waitForToast(page, 'removed session probe');
    assert.equal(worktrees(repo.main)[path.join(repo.root, 'shop-probe')], undefined, 'git no longer has the worktree');
    assert.match(git(repo.main, 'for-each-ref', '--format=%(refname)', 'refs/agentls/backup/probe/'), /refs\/agentls\/backup\/probe\//);
  });

  it('a session with unlanded work is removed only with Remove Anyway, and comes back with Restore', async () => {
    const payments = path.join(repo.root, 'shop-payments');
    fs.writeFileSync(path.join(payments, 'ledger.py'), 'TOTAL = 0\n');
    git(payments, 'add', '-A');
    git(payments, 'commit', '-q', '-m', 'payments: the ledger');
    await runCommandAndPick(page, 'AgentLS: Remove Session', 'Remove Session', 'payments');
    await waitForDialog(page, 'Remove session payments?');
    await clickDialogButton(page, 'Remove');
    const refused = toast(page, 'payments').filter({ has: page.getByRole('button', { name: 'Remove Anyway' }) });
    await refused.waitFor({ timeout: 30_000 });
    noCliWords(await refused.locator('.notification-list-item-message').innerText());
    assert.ok(fs.existsSync(payments), 'refused: nothing removed');
    await refused.getByRole('button', { name: 'Remove Anyway' }).click();
    await waitForDialog(page, 'Remove payments anyway?');
    await clickDialogButton(page, 'Remove Anyway');
    await waitForToast(page, 'removed session payments');
    assert.ok(!fs.existsSync(payments), 'the worktree is gone');

    // Removed sessions are listed; bring it back from there.
    const group = await revealRow(page, 'Removed sessions', 30_000);
    await expand(group);
    const removed = await revealRow(page, 'payments');
    await shot('removed-sessions');
    await contextMenu(page, removed, 'Restore Session');
    await waitForDialog(page, 'Bring back payments?');
    await clickDialogButton(page, 'Bring It Back');
    await waitForDialog(page, 'created session payments', 90_000);
    await page.keyboard.press('Escape');
    assert.ok(fs.existsSync(path.join(payments, 'ledger.py')), 'its work is back');
    assert.match(git(payments, 'log', '--format=%s', '-1'), /payments: the ledger/);
  });

  it('recovers an interrupted land', async () => {
    const before = trunk(repo);
    const killed = agentlsWith({ AGENTLS_TEST_KILL_AT: 'locked' }, repo.main, 'land', 'feat-billing');
    assert.equal(killed.signal, 'SIGKILL', `the land was killed: ${killed.stderr}`);
    await runCommand(page, 'AgentLS: Recover Interrupted Lands');
    const recovered = await waitForDialog(page, 'recovered', 60_000);
    assert.match(recovered.detail, /feat-billing|land lock/);
    await clickDialogButton(page, 'OK').catch(() => page.keyboard.press('Escape'));
    assert.equal(trunk(repo), before, 'killed before anything moved: trunk is where it was');
    await runCommand(page, 'AgentLS: Recover Interrupted Lands');
    await waitForToast(page, 'nothing to recover');
  });

  it('names a wrong server path and opens the settings where it is set; recovers when fixed', async () => {
    const broken = await openWorkbench(browser, codeServer.url, repo.broken);
    const text = await waitForToast(broken, 'agentls.server.path', 60_000);
    assert.match(text, /agentls\.server\.path in your Workspace settings is \/nonexistent\/agentls, which does not exist/);
    noCliWords(text);
    const item = toast(broken, 'agentls.server.path');
    for (const action of ['Open Settings', 'Show Logs']) {
      await item.getByRole('button', { name: action }).waitFor({ timeout: 5_000 });
    }
    assert.equal(await item.getByRole('button', { name: /Install/ }).count(), 0, 'installing would not fix a wrong path');
    await statusBar(broken).getByText('AgentLS').first().waitFor({ timeout: 10_000 });
    await shot('broken-path', broken);
    await docShot('broken-path', item);
    // The language status item (the "{}" of an open file) says it too, as Python's and ruff's do.
    await broken.keyboard.press('Control+P');
    await broken.locator('.quick-input-widget .quick-input-box input').fill('README.md');
    await broken.locator('.quick-input-widget .monaco-list-row.focused', { hasText: 'README.md' }).waitFor({ timeout: 15_000 });
    await broken.keyboard.press('Enter');
    await broken.locator('[id="status.languageStatus"]').click();
    await broken.locator('.hover-contents, .monaco-hover', { hasText: 'AgentLS: server path is wrong' }).first().waitFor({ timeout: 15_000 });
    await shot('language-status', broken);
    await broken.keyboard.press('Escape');
    // The status bar's error item shows the problem and its fix again.
    await statusBar(broken).getByText('AgentLS', { exact: true }).click();
    await clickToastButton(broken, 'agentls.server.path', 'Open Settings');
    const settings = broken.locator('.settings-editor');
    await settings.waitFor({ timeout: 20_000 });
    await broken.locator('.settings-tabs-widget .action-label.checked', { hasText: 'Workspace' }).waitFor({ timeout: 10_000 });
    // Filtered to the one setting (its category "Agentls › Server", its name "Path").
    await settings
      .locator('.setting-item-contents', { has: broken.locator('.setting-item-category', { hasText: 'Server' }) })
      .filter({ hasText: 'Path' })
      .first()
      .waitFor({ timeout: 15_000 });
    await shot('broken-path-settings', broken);
    // Fixed where it was wrong: the server starts, the error state goes.
    fs.writeFileSync(path.join(repo.broken, '.vscode', 'settings.json'), JSON.stringify({ 'agentls.server.path': JSON.parse(env('AGENTLS_SERVER')) }));
    await statusBar(broken).getByText(/ · \d+ collisions?/).waitFor({ timeout: 60_000 });
    assert.equal(await statusBar(broken).getByText('AgentLS', { exact: true }).count(), 0, 'no error item left');
    await broken.context().close();
  });

  it('names the Python that lacks agentls and types the install for that Python', async () => {
    const nopython = await openWorkbench(browser, codeServer.url, repo.nopython);
    const python = repo.python.join(' ');
    const text = await waitForToast(nopython, 'cannot import agentls', 60_000);
    assert.ok(text.includes(`the Python in agentls.server.path (Workspace settings), ${python}, cannot import agentls`), text);
    noCliWords(text);
    await shot('python-without-agentls', nopython);
    await clickToastButton(nopython, 'cannot import agentls', 'Install agentls');
    await nopython.locator('.terminal-tab, .single-terminal-tab, .tabs-list .monaco-list-row', { hasText: 'AgentLS: install' }).first().waitFor({ timeout: 20_000 });
    await waitFor(
      'the install command typed in the terminal',
      // The terminal wraps long lines: compare without whitespace.
      async () =>
        (await nopython.locator('.xterm-rows').allInnerTexts()).join('').replace(/\s+/g, '').includes(`${python} -m pip install agentls`.replace(/\s+/g, '')),
      20_000,
    );
    await nopython.context().close();
  });

  it('says once why a server that dies while starting stopped, and does not restart it', async () => {
    const crashing = await openWorkbench(browser, codeServer.url, repo.crashing);
    const text = await waitForToast(crashing, 'stopped while starting', 60_000);
    assert.match(text, /stopped while starting \(exit 1\): ModuleNotFoundError: No module named 'pygls'/);
    await new Promise((r) => setTimeout(r, 5000));
    const starts = fs.readFileSync(`${repo.crashScript}.starts`, 'utf8').trim().split('\n');
    assert.equal(starts.length, 1, 'started once, not five times');
    const all = await notifications(crashing);
    assert.ok(!all.some((n) => /Pending response|couldn't create connection|crashed 5 times/.test(n)), all.join(' | '));
    await shot('server-crashed', crashing);
    await crashing.context().close();
  });

  it('stays quiet in a folder outside git, and starts when it becomes a repository', async () => {
    const plain = await openWorkbench(browser, codeServer.url, repo.plain);
    // Nothing to say: no toast, no status item (let alone one spinning), for a good while.
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline) {
      const toasts = await notifications(plain);
      assert.ok(!toasts.some((n) => /agentls|git repository/i.test(n)), `no toast: ${toasts.join(' | ')}`);
      assert.equal(await statusBar(plain).getByText(/AgentLS|agentls/).count(), 0, 'no AgentLS status item');
      await new Promise((r) => setTimeout(r, 500));
    }
    await runCommand(plain, 'View: Show AgentLS');
    await sessionsView(plain).getByText('not inside a git repository').waitFor({ timeout: 15_000 });
    await shot('not-a-repository', plain);
    git(repo.plain, 'init', '-q', '-b', 'main');
    git(repo.plain, 'add', '-A');
    git(repo.plain, 'commit', '-q', '-m', 'now a repository');
    await statusBar(plain).getByText(/main · \d+ collisions?/).waitFor({ timeout: 60_000 });
    await plain.context().close();
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
