// Driving the VS Code workbench in the browser the way a person does: palette, quick
// picks, input boxes, panels. Every wait is on a UI condition, never a fixed sleep.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.AGENTLS_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/** Open FOLDER in a new page and wait until the workbench is ready. */
export async function openWorkbench(browser, url, folder) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`);
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  await page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
  return page;
}

const quickInput = (page) => page.locator('.quick-input-widget');
/** The quick input once it takes input (it is inert while it closes). */
const liveQuickInput = (page) => page.locator('.quick-input-widget:not([inert]):not(.quick-input-widget-closing)');
const quickInputBox = (page) => page.locator('.quick-input-widget .quick-input-box input');

/**
 * Run a command from the palette by its title, e.g. "AgentLS: Rename Session". A palette
 * that closes again before the title could be typed into it (seen in CI on a loaded
 * machine: the box went invisible right after F1 and stayed so) is opened again, up to
 * twice, and said on stderr.
 */
export async function runCommand(page, title) {
  for (let attempt = 1; ; attempt++) {
    // A quick input still closing would swallow the palette: wait until none is.
    await page.locator('.quick-input-widget.quick-input-widget-closing').waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {});
    await page.keyboard.press('F1');
    try {
      await liveQuickInput(page).waitFor({ state: 'visible', timeout: 10_000 });
      await quickInputBox(page).fill(`>${title}`, { timeout: 10_000 });
      break;
    } catch (err) {
      const open = await quickInputBox(page).isVisible().catch(() => false);
      if (attempt >= 3 || open) {
        throw err;
      }
      console.error(`[e2e] the command palette closed before "${title}" was typed; opening it again`);
      await page.keyboard.press('Escape');
    }
  }
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  // The first row must be our command: typing narrowed the list; pressing Enter runs it.
  await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: title }).waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

/** In an open quick pick titled TITLE, choose the row whose label is LABEL. */
export async function pickItem(page, title, label) {
  await liveQuickInput(page).locator('.quick-input-title', { hasText: title }).waitFor({ timeout: 15_000 });
  await quickInputBox(page).fill(label, { timeout: 10_000 });
  const row = page.locator('.quick-input-widget .monaco-list-row.focused .label-name', { hasText: new RegExp(`^${label}$`) });
  try {
    await row.waitFor({ timeout: 10_000 });
  } catch (err) {
    const rows = await page.locator('.quick-input-widget .monaco-list-row').evaluateAll((els) => els.map((e) => e.outerHTML));
    throw new Error(`no focused row "${label}" in "${title}"; rows:\n${rows.join('\n')}\n${err.message}`);
  }
  await page.keyboard.press('Enter');
}

/**
 * Run COMMAND from the palette and choose LABEL in its quick pick TITLE. A quick pick
 * that closed before anything could be typed in it (seen once in CI on a loaded
 * machine: the picker opened, then hid, with the command still waiting) is asked for
 * again, once, and said on stderr; a picker that stays open but lacks LABEL fails.
 */
export async function runCommandAndPick(page, command, title, label) {
  for (let attempt = 1; ; attempt++) {
    await runCommand(page, command);
    try {
      await pickItem(page, title, label);
      return;
    } catch (err) {
      const open = await liveQuickInput(page).first().isVisible().catch(() => false);
      if (attempt >= 2 || open) {
        throw err;
      }
      console.error(`[e2e] the "${title}" quick pick closed before "${label}" was typed; running ${command} again`);
      await page.keyboard.press('Escape');
    }
  }
}

/**
 * In an open input box titled TITLE, replace the value with TEXT and accept it. The
 * widget is reused between input boxes: the value is checked before Enter, since a box
 * that is still being set up may reset what was typed.
 */
export async function answerInput(page, title, text) {
  const exact = new RegExp(`^AgentLS: ${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  await liveQuickInput(page).locator('.quick-input-title', { hasText: exact }).waitFor({ timeout: 15_000 });
  for (let attempt = 0; ; attempt++) {
    await quickInputBox(page).fill(text);
    await new Promise((r) => setTimeout(r, 100));
    if ((await quickInputBox(page).inputValue()) === text) {
      break;
    }
    if (attempt > 20) {
      throw new Error(`could not type "${text}" into "${title}"`);
    }
  }
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: exact }).waitFor({ state: 'hidden', timeout: 10_000 });
}

export function statusBar(page) {
  return page.locator('.part.statusbar');
}

/** The text of every notification toast currently shown. */
export async function notifications(page) {
  return page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
}

/** A toast whose text matches TEXT. */
export function toast(page, text) {
  return page.locator('.notifications-toasts .notification-list-item', { hasText: text }).first();
}

/** Wait for a toast matching TEXT and return its text. */
export async function waitForToast(page, text, timeout = 30_000) {
  const item = toast(page, text);
  await item.waitFor({ timeout });
  return item.locator('.notification-list-item-message').innerText();
}

/** Press BUTTON on the toast matching TEXT. */
export async function clickToastButton(page, text, button) {
  const item = toast(page, text);
  await item.waitFor({ timeout: 30_000 });
  await item.getByRole('button', { name: button, exact: true }).click();
}

/** Close every toast (so the next assertion sees only new ones). */
export async function clearToasts(page) {
  await runCommand(page, 'Notifications: Clear All Notifications');
}

/** The open modal dialog (VS Code's own in the browser). */
export function dialog(page) {
  return page.locator('.monaco-dialog-box');
}

/** Wait for a modal whose text matches TEXT; returns its message and detail. */
export async function waitForDialog(page, text, timeout = 30_000) {
  const box = page.locator('.monaco-dialog-box', { hasText: text });
  await box.waitFor({ timeout });
  const message = await box.locator('.dialog-message-text').innerText();
  const detail = (await box.locator('.dialog-message-detail').count()) ? await box.locator('.dialog-message-detail').innerText() : '';
  return { message, detail };
}

/** Press BUTTON in the open modal. */
export async function clickDialogButton(page, button) {
  const box = dialog(page);
  await box.locator('.dialog-buttons .monaco-button', { hasText: new RegExp(`^${button.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).first().click();
  await box.waitFor({ state: 'hidden', timeout: 10_000 });
}

/** The Sessions view and its rows. */
export function sessionsView(page) {
  return page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Sessions' }) });
}

export function sessionRows(page) {
  return sessionsView(page).locator('.monaco-list-row');
}

/** The row whose label is exactly LABEL. */
export function rowLabelled(page, label) {
  return sessionRows(page).filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
}

/**
 * The row labelled LABEL, scrolled into view as a person scrolls the tree. The list
 * renders only the rows on screen, so a row below the fold is not in the page at all:
 * wheel down to the last row, then up to the first, until it shows whole. Fails with
 * the rows on screen when it never does within TIMEOUT ms.
 */
export async function revealRow(page, label, timeout = 15_000) {
  const row = rowLabelled(page, label);
  const list = sessionsView(page).locator('.monaco-list').first();
  const end = (down) => sessionRows(page).and(page.locator(down ? '[data-last-element="true"]' : '[data-index="0"]'));
  const deadline = Date.now() + timeout;
  let down = true;
  for (;;) {
    const box = await list.boundingBox();
    const at = (await row.isVisible()) ? await row.boundingBox() : null;
    if (box && at && at.y >= box.y - 0.5 && at.y + at.height <= box.y + box.height + 0.5) {
      break;
    }
    if (Date.now() > deadline) {
      const shown = await sessionRows(page).allInnerTexts();
      throw new Error(`no row "${label}" in the Sessions view after ${timeout} ms of scrolling; rows on screen:\n${shown.join('\n')}`);
    }
    if (at && box) {
      down = at.y > box.y; // on screen in part: on towards the rest of it
    } else if ((await end(down).count()) > 0) {
      down = !down; // the list's end is on screen: the row is not this way (or not there yet)
    }
    await list.hover({ position: { x: 20, y: 10 } });
    await page.mouse.wheel(0, down ? 110 : -110);
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.mouse.move(700, 700); // no hover left over the tree
  return row;
}

/** Open the Sessions view (the activity bar's AgentLS). */
export async function openSessionsView(page) {
  await runCommand(page, 'AgentLS: Focus on Sessions View');
  await sessionsView(page).waitFor({ timeout: 15_000 });
}

/**
 * Right-click ROW and choose ITEM from its context menu. The tree re-renders as the
 * server reports, which can swallow a click: the menu must close, else it is retried.
 */
export async function contextMenu(page, row, item) {
  const menu = page.locator('.context-view .monaco-menu');
  for (let attempt = 0; attempt < 5; attempt++) {
    if (!(await menu.isVisible())) {
      await row.click({ button: 'right' });
      // A row that moved under the pointer (the tree re-rendered) gets no menu: try again.
      const shown = await menu.waitFor({ timeout: 5_000 }).then(() => true, () => false);
      if (!shown) {
        continue;
      }
    }
    const entry = menu.locator('.action-item', { hasText: item }).first();
    await entry.hover();
    await entry.click();
    try {
      await menu.waitFor({ state: 'hidden', timeout: 2_000 });
      await page.mouse.move(700, 700);
      return;
    } catch {
      // still open: the click landed during a re-render
    }
  }
  throw new Error(`the context menu item "${item}" did not run`);
}

/** Whether an element's text is cut off (an ellipsis): its content is wider than its box. */
export function truncated(locator) {
  return locator.evaluate((el) => el.scrollWidth > el.clientWidth + 1);
}

/** Expand a tree ROW (its twistie; again if a re-render swallowed the click). */
export async function expand(row) {
  for (let attempt = 0; attempt < 5; attempt++) {
    if ((await row.getAttribute('aria-expanded')) === 'true') {
      return;
    }
    await row.locator('.monaco-tl-twistie').click();
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the row did not expand');
}
