// The review sweep end to end in a real VS Code workbench (code-server + Chromium, the
// built .vsix, the real `agentls serve`), driven like a person and checked with git, the
// files on disk and `agentls review --json`: Review Sessions walks the queue in cascade
// order; each session's changes open in the multi-file diff editor (both sides checked
// against git and the worktree, an unsaved buffer of another window included); request
// changes writes the notes into HANDOFF.md and keeps the session's own notes; approve
// and land moves trunk; a new commit shows "changed since review" without a click; the
// land gate offers Review Now; a session that moved during its review is refused with
// Review Again. Screenshots go to test-output/vscode/ (docs pictures in .../docs/).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe } from 'node:test';
import { agentls, git, makeReviewRepository, REVIEW_TEST, startCodeServer, waitFor } from './fixtures.mjs';
import { docShot, engineGone, env, head, noCliWords, output, saveLogs, step, trunk, workbenchSettings } from './harness.mjs';
import {
  clickDialogButton,
  contextMenu,
  launchBrowser,
  openWorkbench,
  rowLabelled,
  runCommand,
  runCommandAndPick,
  statusBar,
  toast,
  waitForDialog,
  waitForToast,
} from './workbench.mjs';

const exact = (text) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

/** The Review view (under Sessions in the AgentLS container) and its rows. */
const reviewView = (page) => page.locator('.pane', { has: page.locator('.pane-header .title', { hasText: /^Review$/ }) });
const reviewRow = (page, label) => reviewView(page).locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact(label) }) }).first();
const sessionsPane = (page) => page.locator('.pane', { has: page.locator('.pane-header .title', { hasText: /^Sessions$/ }) });
const sessionRow = (page, label) => sessionsPane(page).locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact(label) }) }).first();
const activeTab = (page) => page.locator('.tabs-container .tab.active');

/** The sweep shows SESSION: its review tab is active and the Review view's message names it (the tree has settled). */
async function reviewing(page, session) {
  await activeTab(page).filter({ hasText: new RegExp(`^Review ${session}: base `) }).waitFor({ timeout: 30_000 });
  await reviewView(page).locator('.message', { hasText: new RegExp(`^Reviewing ${session} \\(`) }).waitFor({ timeout: 30_000 });
  await reviewRow(page, session).filter({ hasText: 'reviewing' }).waitFor({ timeout: 15_000 });
}

/** The lines an editor shows, top to bottom (Monaco reuses its line elements in any order). */
function shownLines(editor) {
  return editor
    .locator('.view-lines')
    .first()
    .evaluate((el) =>
      [...el.querySelectorAll('.view-line')]
        .map((line) => [parseFloat(line.style.top), line.textContent.replace(/\u00a0/g, ' ')])
        .sort((a, b) => a[0] - b[0])
        .map(([, text]) => text),
    );
}

/** One file's entry in the multi-file diff editor, by the file name its header shows. */
// Visible ones only: a closed review tab's entries may linger hidden in the DOM.
const multiDiffEntry = (page, name) =>
  page
    .locator('.multiDiffEntry', { has: page.locator('.header .label-name', { hasText: exact(name) }) })
    .filter({ visible: true })
    .first();

/** Lines of TEXT as an editor shows them (no trailing empty line). */
const linesOf = (text) => text.split('\n');

/** Every line shown is a line of the file, and the lines that matter are there. */
function assertShownFrom(shown, text, mustShow, what) {
  const lines = new Set(linesOf(text));
  const visible = shown.filter((l) => l !== '');
  assert.ok(visible.length > 0, `${what}: the editor shows lines`);
  for (const line of visible) {
    assert.ok(lines.has(line), `${what}: "${line}" is a line of the file as git has it\n${text}`);
  }
  for (const line of mustShow) {
    assert.ok(shown.includes(line), `${what}: shows "${line}" (it shows: ${JSON.stringify(shown)})`);
  }
}

/** `agentls review NAME --json`'s item. */
const reviewItem = (repo, name) => JSON.parse(agentls(repo.main, 'review', name, '--json')).item;
const queueNames = (repo) => JSON.parse(agentls(repo.main, 'review', '--json')).items.map((i) => i.session);

describe('the review sweep in a real VS Code workbench', { timeout: 900_000 }, () => {
  let dir;
  let repo;
  let codeServer;
  let browser;
  let page;
  let base;
  const it = step(() => browser, () => path.join(dir, 'code-server'));
  const shot = (name, target = page) => target.screenshot({ path: path.join(output, `${name}.png`) });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentls-vscode-review-'));
    repo = makeReviewRepository(path.join(dir, 'repo'));
    agentls(repo.main, 'priority', 'feat-api', '1');
    agentls(repo.main, 'priority', 'feat-docs', '2');
    agentls(repo.main, 'priority', 'feat-late', '3');
    base = git(repo.main, 'merge-base', 'main', 'feat/api');
    codeServer = await startCodeServer({
      codeServer: env('AGENTLS_CODE_SERVER'),
      nodeBin: env('AGENTLS_NODE_BIN'),
      vsix: env('AGENTLS_VSIX'),
      dir: path.join(dir, 'code-server'),
      // Unsaved means unsaved: the agent's window must not save what it types.
      settings: { ...workbenchSettings(), 'files.autoSave': 'off' },
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await codeServer?.stop();
    await engineGone(repo);
    if (codeServer) {
      saveLogs(path.join(dir, 'code-server'), path.join(output, 'logs-review'));
    }
    if (dir && process.env.AGENTLS_KEEP_E2E !== '1') {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    }
  });

  it('Review Sessions opens the first session of the sweep in the multi-file diff editor, both sides as git has them', async () => {
    page = await openWorkbench(browser, codeServer.url, repo.main);
    await statusBar(page).getByText(/(^|\s)main · \d+ collisions?/).waitFor({ timeout: 60_000 });
    assert.deepEqual(queueNames(repo), ['feat-api', 'feat-docs', 'feat-late'], 'the cascade order, from the CLI');
    await runCommand(page, 'AgentLS: Review Sessions');
    const title = `Review feat-api: base ${base.slice(0, 8)} ↔ current`;
    await activeTab(page).filter({ hasText: title }).waitFor({ timeout: 30_000 });
    assert.match(await activeTab(page).innerText(), /\(4 files\)/, 'every file of the change set, uncommitted work included');

    // A modified file: the base version on the left, the session's on the right.
    const config = multiDiffEntry(page, 'config.py');
    await config.locator('.editor.modified', { hasText: '30  # api' }).waitFor({ timeout: 30_000 });
    assertShownFrom(await shownLines(config.locator('.editor.original')), git(repo.main, 'show', `${base}:app/config.py`) + '\n', ['SETTING_3 = 3'], 'config.py at the base');
    assertShownFrom(await shownLines(config.locator('.editor.modified')), fs.readFileSync(path.join(repo.api, 'app/config.py'), 'utf8'), ['SETTING_3 = 30  # api'], 'config.py now');
    // A rename: shown from its old path's base version.
    const guide = multiDiffEntry(page, 'guide.md');
    await guide.locator('.header', { hasText: 'old.md' }).waitFor({ timeout: 10_000 });
    await guide.locator('.editor.modified', { hasText: 'The API lives in app/api.py.' }).waitFor({ timeout: 15_000 });
    assertShownFrom(await shownLines(guide.locator('.editor.original')), git(repo.main, 'show', `${base}:docs/old.md`) + '\n', ['Then read the code.'], 'old.md at the base');
    // Work not committed yet is part of what the session changed.
    const readme = multiDiffEntry(page, 'README.md');
    await readme.locator('.editor.modified', { hasText: 'Now with an API.' }).waitFor({ timeout: 15_000 });
    assertShownFrom(await shownLines(readme.locator('.editor.modified')), fs.readFileSync(path.join(repo.api, 'README.md'), 'utf8'), ['Now with an API.'], 'README.md now');
    // An added file has no base side.
    const added = multiDiffEntry(page, 'api.py');
    await added.locator('.editor.modified', { hasText: 'def handler(request):' }).waitFor({ timeout: 15_000 });
    assert.equal((await shownLines(added.locator('.editor.original'))).join(''), '', 'nothing on the base side of an added file');

    // The Review view: the session under review, expanded, its summary as the view's message.
    // The row may be drawn before the sweep marks it: wait for the mark, not the first row.
    await reviewRow(page, 'feat-api').filter({ hasText: 'reviewing' }).waitFor({ timeout: 15_000 });
    assert.match(await reviewRow(page, 'feat-api').innerText(), /reviewing/);
    const message = await reviewView(page).locator('.message').innerText();
    assert.match(message, /^Reviewing feat-api \(1 of 3\): blocked: uncommitted work · 4 files \+\d+ -\d+ · no collisions · no claims · no checks\.$/);
    for (const label of ['blocked: uncommitted work', 'no collisions', 'no claims', 'no checks', '1 commit', 'HANDOFF.md', 'Changes', 'config.py', 'guide.md']) {
      await reviewRow(page, label).waitFor({ timeout: 10_000 });
    }
    await page.mouse.move(700, 880);
    await shot('review-changes');
    await docShot('review-sweep', page.locator('.monaco-workbench'));
    await docShot('review-view', reviewView(page), 420);
  });

  it('a file in the Review view opens its diff: the base and the current version, an unsaved buffer of another window included', async () => {
    await reviewRow(page, 'config.py').click();
    await activeTab(page).filter({ hasText: 'config.py (feat-api: base ↔ current)' }).waitFor({ timeout: 15_000 });
    const diff = page.locator('.editor-instance .monaco-diff-editor').first();
    await diff.locator('.editor.modified', { hasText: '30  # api' }).waitFor({ timeout: 15_000 });
    assert.deepEqual(await shownLines(diff.locator('.editor.original')), linesOf(git(repo.main, 'show', `${base}:app/config.py`) + '\n'), 'the left side is the base version, whole');
    assert.deepEqual(await shownLines(diff.locator('.editor.modified')), linesOf(fs.readFileSync(path.join(repo.api, 'app/config.py'), 'utf8')), 'the right side is the worktree\'s');

    // Another window (the session's own) types into api.py without saving.
    const other = await openWorkbench(browser, codeServer.url, repo.api);
    await statusBar(other).getByText(/(^|\s)feat-api · \d+ collisions?/).waitFor({ timeout: 60_000 });
    await other.keyboard.press('Control+P');
    await other.locator('.quick-input-widget .quick-input-box input').fill('api.py');
    await other.locator('.quick-input-widget .monaco-list-row.focused', { hasText: 'api.py' }).waitFor({ timeout: 15_000 });
    await other.keyboard.press('Enter');
    await other.locator('.editor-instance .monaco-editor .view-lines', { hasText: 'def handler' }).first().waitFor({ timeout: 15_000 });
    await other.keyboard.press('Control+End');
    await other.keyboard.type('\nUNSAVED_IN_THE_AGENT_WINDOW = True');
    await other.locator('.tabs-container .tab.active.dirty').waitFor({ timeout: 10_000 }).catch(async (err) => {
      throw new Error(`${err.message}\n${await other.locator('.tabs-container').innerHTML()}`);
    });
    assert.doesNotMatch(fs.readFileSync(path.join(repo.api, 'app/api.py'), 'utf8'), /UNSAVED/, 'not saved');

    await reviewRow(page, 'api.py').click();
    await activeTab(page).filter({ hasText: 'api.py (feat-api: added ↔ current)' }).waitFor({ timeout: 15_000 });
    const added = page.locator('.editor-instance .monaco-diff-editor').first();
    await added.locator('.editor.modified', { hasText: 'UNSAVED_IN_THE_AGENT_WINDOW' }).waitFor({ timeout: 30_000 });
    await other.close();
  });

  it('Request Changes writes the notes (several lines, in an editor) into HANDOFF.md, keeps the session\'s own notes, and moves on', async () => {
    await runCommand(page, 'AgentLS Review: Request Changes');
    const box = page.locator('.quick-input-widget:not([inert])', { has: page.locator('.quick-input-title', { hasText: 'AgentLS: Request Changes from feat-api' }) });
    await box.waitFor({ timeout: 15_000 });
    await page.locator('.quick-input-widget .quick-input-box input').fill('Add a test for the empty request.');
    await shot('review-request-changes');
    await docShot('review-request-changes', box);
    // Several lines: the input box's button opens an editor with what was typed.
    await box.getByRole('button', { name: 'Write several lines in an editor' }).click();
    await activeTab(page).filter({ hasText: 'request-changes-feat-api.md' }).waitFor({ timeout: 15_000 });
    const notes = page.locator('.editor-instance .monaco-editor').first();
    await notes.locator('.view-lines', { hasText: 'Add a test for the empty request.' }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Control+End');
    await page.keyboard.type("\nKeep the handler's reply shape.");
    await page.keyboard.press('Control+Enter');
    const text = await waitForToast(page, 'Requested changes from feat-api');
    assert.match(text, /HANDOFF\.md/);

    const handoff = fs.readFileSync(path.join(repo.api, 'HANDOFF.md'), 'utf8');
    assert.ok(handoff.startsWith(repo.ownNotes), `the session's own notes are kept as they were:\n${handoff}`);
    assert.match(handoff, /> Add a test for the empty request\.\n> Keep the handler's reply shape\./, 'both lines of the notes');
    assert.match(handoff, /Read HANDOFF\.md and continue\. You are session feat-api on branch feat\/api\.\nThe reviewer asks: Add a test for the empty request\./);
    assert.doesNotMatch(handoff, /<!-- Request changes|Send: /, 'the notes editor\'s instructions are not sent');
    const item = reviewItem(repo, 'feat-api');
    assert.equal(item.review.state, 'changes-requested');
    assert.equal(item.review.head, head(repo.api), 'for the head that was reviewed');
    assert.equal(item.review.notes, "Add a test for the empty request.\nKeep the handler's reply shape.");
    // The notes editor is gone; the sweep shows the next session.
    await reviewing(page, 'feat-docs');
    assert.equal(await page.locator('.tabs-container .tab', { hasText: 'request-changes-feat-api.md' }).count(), 0);
    await reviewRow(page, 'feat-api').filter({ hasText: 'changes requested' }).waitFor({ timeout: 15_000 });
  });

  it('Approve and Land asks first with the land\'s plan, then lands: trunk moves', async () => {
    const before = trunk(repo);
    const docsHead = head(repo.docs);
    // The buttons of the review are in the diff editor's title, as in GitHub's pull requests.
    await page.locator('.part.editor .editor-actions .action-label[aria-label^="Approve and Land"]').first().click();
    const plan = await waitForDialog(page, `Approve feat-docs at ${docsHead.slice(0, 8)} and land it onto main?`, 30_000);
    assert.match(plan.detail, /1 commit of feat\/docs:/);
    assert.match(plan.detail, /docs: notes/);
    assert.ok(plan.detail.includes(`test: ${REVIEW_TEST}`), plan.detail);
    noCliWords(plan.detail);
    await docShot('review-land-plan', page.locator('.monaco-dialog-box'));
    assert.equal(trunk(repo), before, 'asking changes nothing');
    await clickDialogButton(page, 'Approve & Land');
    await waitFor('main to move', () => trunk(repo) !== before, 90_000);
    git(repo.main, 'merge-base', '--is-ancestor', before, trunk(repo));
    assert.match(git(repo.main, 'show', 'main:docs/notes.md'), /Reviewed and landed from VS Code/);
    // The land's own toast (the progress notification's last message also says "landed feat-docs").
    const landed = await waitForToast(page, /Landed feat-docs: main moved from/);
    assert.match(landed, /main moved from [0-9a-f]{12} to [0-9a-f]{12}\./);
    await reviewing(page, 'feat-late');
    assert.deepEqual(queueNames(repo), ['feat-api', 'feat-late'], 'a landed session leaves the queue');
  });

  it('Approve from the Review view\'s menu ends the sweep; the Sessions view shows each review state', async () => {
    await contextMenu(page, reviewRow(page, 'feat-late'), /^Approve$/);
    await waitForToast(page, `Approved feat-late at ${head(repo.late).slice(0, 8)}`);
    const done = await waitForToast(page, 'review sweep done');
    assert.match(done, /requested changes from feat-api/);
    assert.match(done, /approved and landed feat-docs/);
    assert.match(done, /approved feat-late/);
    assert.equal(reviewItem(repo, 'feat-late').review.approved, true);
    await sessionRow(page, 'feat-late').filter({ hasText: '✓ approved' }).waitFor({ timeout: 15_000 });
    await sessionRow(page, 'feat-api').filter({ hasText: 'changes requested' }).waitFor({ timeout: 15_000 });
    await sessionRow(page, 'feat-docs').filter({ hasText: 'landed' }).waitFor({ timeout: 15_000 });
  });

  it('a new commit shows "changed since review" in both views, with no click', async () => {
    fs.writeFileSync(path.join(repo.late, 'app/late.py'), 'LATE = 2\n');
    git(repo.late, 'commit', '-q', '-am', 'late: two');
    await sessionRow(page, 'feat-late').filter({ hasText: 'changed since review' }).waitFor({ timeout: 30_000 });
    await reviewRow(page, 'feat-late').filter({ hasText: 'changed since review' }).waitFor({ timeout: 30_000 });
    const item = reviewItem(repo, 'feat-late');
    assert.equal(item.review.changedSinceReview, true);
    await page.mouse.move(700, 880);
    await shot('review-states');
    await docShot('review-sessions', page.locator('.part.sidebar'), 200);
  });

  it('the session\'s "changed since review" row opens the diff since the reviewed head', async () => {
    const reviewed = reviewItem(repo, 'feat-late').review.head;
    assert.equal(git(repo.main, 'show', `${reviewed}:app/late.py`), 'LATE = 1');
    await reviewRow(page, 'feat-late').click();
    await reviewing(page, 'feat-late');
    await reviewView(page).locator('.message', { hasText: `Changed since the review at ${reviewed.slice(0, 8)}: its first row opens what is new.` }).waitFor({ timeout: 15_000 });
    await reviewRow(page, 'changed since review').click();
    await activeTab(page).filter({ hasText: `Review feat-late: reviewed ${reviewed.slice(0, 8)} ↔ current` }).waitFor({ timeout: 30_000 });
    const late = multiDiffEntry(page, 'late.py');
    await late.locator('.editor.modified', { hasText: 'LATE = 2' }).waitFor({ timeout: 30_000 });
    assert.deepEqual(await shownLines(late.locator('.editor.original')), ['LATE = 1', ''], 'the left side is the file at the reviewed head');
    assert.deepEqual(await shownLines(late.locator('.editor.modified')), ['LATE = 2', ''], 'the right side is the session now');
    assert.equal(await page.locator('.tabs-container .tab', { hasText: /^Review feat-late: base / }).count(), 0, 'one review tab at a time');
    await page.mouse.move(700, 880);
    await docShot('review-since', page.locator('.part.editor'), 320);
  });

  it('Run Checks runs trunk\'s test on the session\'s HEAD with progress; the result is kept for that tree', async () => {
    const tree = git(repo.late, 'rev-parse', 'HEAD^{tree}');
    assert.equal(reviewItem(repo, 'feat-late').checks, null, 'no result for this tree yet');
    await runCommand(page, 'AgentLS Review: Run Checks');
    await toast(page, 'Running the checks of feat-late on its HEAD').waitFor({ timeout: 15_000 });
    const text = await waitForToast(page, 'checks of feat-late at', 60_000);
    assert.match(text, new RegExp(`checks of feat-late at ${head(repo.late).slice(0, 8)}: passed \\(run from a review`));
    const checks = reviewItem(repo, 'feat-late').checks;
    assert.equal(checks.ok, true);
    assert.equal(checks.tree, tree, 'recorded for the HEAD tree');
    assert.equal(checks.results[0].command, REVIEW_TEST);
    await reviewRow(page, 'checks passed').waitFor({ timeout: 30_000 });
  });

  it('a verdict given in a terminal shows in both views without a click (agentls/reviewChanged)', async () => {
    agentls(repo.main, 'review', 'feat-api', '--approve');
    await sessionRow(page, 'feat-api').filter({ hasText: '✓ approved' }).waitFor({ timeout: 30_000 });
    await reviewRow(page, 'feat-api').filter({ hasText: '✓ approved' }).waitFor({ timeout: 30_000 });
  });

  it('Skip from the Review view records that the reviewer looked and decided later', async () => {
    const apiHead = head(repo.api);
    await contextMenu(page, reviewRow(page, 'feat-api'), /^Skip$/);
    await waitForToast(page, `Skipped feat-api at ${apiHead.slice(0, 8)}`);
    const review = reviewItem(repo, 'feat-api').review;
    assert.equal(review.state, 'skipped');
    assert.equal(review.head, apiHead);
    await sessionRow(page, 'feat-api').filter({ hasText: 'skipped' }).waitFor({ timeout: 15_000 });
  });

  it('Remove from the Review view asks once, then removes the session; a backup ref keeps its commits and uncommitted work', async () => {
    const apiHead = head(repo.api);
    await contextMenu(page, reviewRow(page, 'feat-api'), 'Remove Session');
    const asked = await waitForDialog(page, 'Remove session feat-api?');
    assert.match(asked.detail, /1 commit main lacks and uncommitted work/);
    assert.match(asked.detail, /backup ref keeps/);
    noCliWords(asked.detail);
    assert.ok(fs.existsSync(repo.api), 'asking removes nothing');
    await clickDialogButton(page, 'Remove');
    await waitForToast(page, 'removed session feat-api');
    await waitFor('the worktree to go', () => !fs.existsSync(repo.api), 30_000);
    assert.equal(git(repo.main, 'branch', '--list', 'feat/api'), '', 'its branch is gone');
    const backups = git(repo.main, 'for-each-ref', '--format=%(refname)', 'refs/agentls/backup/feat-api/').split('\n').filter(Boolean);
    assert.ok(backups.length > 0, 'a backup ref');
    const backup = backups[backups.length - 1];
    git(repo.main, 'merge-base', '--is-ancestor', apiHead, backup);
    assert.match(git(repo.main, 'show', `${backup}:README.md`), /Now with an API\./, 'the uncommitted work is in the backup');
    await waitFor('the queue to drop it', () => !queueNames(repo).includes('feat-api'));
    await reviewRow(page, 'feat-api').waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('with reviews gating landing, Land offers Review Now; a session that moved while it was reviewed is refused with Review Again', async () => {
    fs.writeFileSync(path.join(repo.main, '.agentls.toml'), `[land]\ntest = "${REVIEW_TEST}"\nrequire-review = true\n`);
    git(repo.main, 'commit', '-q', '-am', 'reviews gate landing');
    await runCommandAndPick(page, 'AgentLS: Land Session', 'Land Session', 'feat-late');
    const refused = toast(page, 'needs an approval').filter({ has: page.getByRole('button', { name: 'Review Now' }) });
    await refused.waitFor({ timeout: 30_000 });
    const text = await refused.locator('.notification-list-item-message').innerText();
    assert.match(text, /Landing feat-late needs an approval .*it changed since it was approved/);
    noCliWords(text);
    await shot('review-required');
    await refused.getByRole('button', { name: 'Review Now' }).click();
    await reviewing(page, 'feat-late');

    // The agent commits while the reviewer looks: an approval now would cover unseen work.
    const seen = head(repo.late);
    fs.writeFileSync(path.join(repo.late, 'app/late.py'), 'LATE = 3\n');
    git(repo.late, 'commit', '-q', '-am', 'late: three');
    await runCommand(page, 'AgentLS Review: Approve');
    const stale = toast(page, 'moved while you reviewed it').filter({ has: page.getByRole('button', { name: 'Review Again' }) });
    await stale.waitFor({ timeout: 30_000 });
    const staleText = await stale.locator('.notification-list-item-message').innerText();
    assert.match(staleText, new RegExp(`feat-late moved while you reviewed it \\(it is at ${head(repo.late).slice(0, 8)} now, not ${seen.slice(0, 8)}\\): nothing was recorded`));
    noCliWords(staleText);
    assert.equal(reviewItem(repo, 'feat-late').review.approved, false, 'nothing recorded');
    // The Review view says so too.
    await reviewView(page).locator('.message', { hasText: 'It moved since you opened it' }).waitFor({ timeout: 30_000 });
    await stale.getByRole('button', { name: 'Review Again' }).click();
    await waitFor('the review to show the new head', async () => {
      const text = await reviewView(page).locator('.message').innerText();
      return text.startsWith('Reviewing feat-late') && !text.includes('moved since');
    });
    await multiDiffEntry(page, 'late.py').locator('.editor.modified', { hasText: 'LATE = 3' }).waitFor({ timeout: 15_000 });
    await runCommand(page, 'AgentLS Review: Approve');
    await waitForToast(page, `Approved feat-late at ${head(repo.late).slice(0, 8)}`);
    assert.equal(reviewItem(repo, 'feat-late').review.approved, true);

    // Approved: the gate lets it land.
    const before = trunk(repo);
    await runCommandAndPick(page, 'AgentLS: Land Session', 'Land Session', 'feat-late');
    await waitForDialog(page, 'Land feat-late onto main?', 30_000);
    await clickDialogButton(page, 'Land');
    await waitFor('main to move', () => trunk(repo) !== before, 90_000);
    assert.equal(git(repo.main, 'show', 'main:app/late.py'), 'LATE = 3');
  });
});
