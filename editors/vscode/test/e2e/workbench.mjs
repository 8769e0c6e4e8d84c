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
const quickInputBox = (page) => page.locator('.quick-input-widget .quick-input-box input');

/** Run a command from the palette by its title, e.g. "AgentLS: Rename Session". */
export async function runCommand(page, title) {
  await page.keyboard.press('F1');
  await quickInput(page).waitFor({ state: 'visible', timeout: 10_000 });
  await quickInputBox(page).fill(`>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  // The first row must be our command: typing narrowed the list; pressing Enter runs it.
  await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: title }).waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

/** In an open quick pick titled TITLE, choose the row whose label is LABEL. */
export async function pickItem(page, title, label) {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout: 15_000 });
  await quickInputBox(page).fill(label);
  const row = page.locator('.quick-input-widget .monaco-list-row.focused .label-name', { hasText: new RegExp(`^${label}$`) });
  try {
    await row.waitFor({ timeout: 10_000 });
  } catch (err) {
    const rows = await page.locator('.quick-input-widget .monaco-list-row').evaluateAll((els) => els.map((e) => e.outerHTML));
    throw new Error(`no focused row "${label}" in "${title}"; rows:\n${rows.join('\n')}\n${err.message}`);
  }
  await page.keyboard.press('Enter');
}

/** In an open input box titled TITLE, replace the value with TEXT and accept it. */
export async function answerInput(page, title, text) {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout: 15_000 });
  await quickInputBox(page).fill(text);
  await page.keyboard.press('Enter');
  await quickInput(page).waitFor({ state: 'hidden', timeout: 10_000 });
}

export function statusBar(page) {
  return page.locator('.part.statusbar');
}

/** The text of every notification toast currently shown. */
export async function notifications(page) {
  return page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
}
