// Debian's chromium driven by playwright-core, launched as /work/shared/STACK.md says, and
// small page helpers for the chat page. Every wait here has a timeout; waits poll the page
// (locator.waitFor / page.waitForFunction), never sleep.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Exactly the flags from STACK.md. The fresh --user-data-dir is made by chromium.launch itself
// (a new mkdtemp directory per launch, removed on close); playwright-core refuses the flag in
// `args` and wants launchPersistentContext for a directory of one's own.
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** `{ skip: false }`, or `{ skip: reason }` when chromium is missing outside CI; throws under CI. */
export function browserAvailability() {
  if (existsSync(CHROMIUM)) return { skip: false };
  const reason = `chromium not found at ${CHROMIUM}: install it with 'apt-get install -y chromium'`;
  if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: browser tests must run)`);
  console.error(`\n${'!'.repeat(78)}\n!!! SKIPPING the browser tests: ${reason}\n${'!'.repeat(78)}\n`);
  return { skip: reason };
}

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** A new browser context (its own storage: one user) with the page open at `url`. */
export async function openPage(browser, url, { viewport = DESKTOP, deviceScaleFactor = 1 } = {}) {
  const context = await browser.newContext({ viewport, deviceScaleFactor });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.problems = [];
  page.on('pageerror', error => page.problems.push(`pageerror: ${error.message}`));
  page.on('console', message => {
    const text = message.text();
    // Chromium logs each refused WebSocket connection itself; those are expected while the
    // server restarts. Anything else at error level, and the page's duplicate warning, is not.
    const networkNoise = /^(WebSocket connection to|Failed to load resource)/.test(text);
    if ((message.type() === 'error' && !networkNoise) || text.includes('duplicate message')) {
      page.problems.push(`console.${message.type()}: ${text}`);
    }
  });
  await page.goto(url);
  return { context, page };
}

/** Signs in by name (development mode) and waits until the page is connected. */
export async function signIn(page, userId) {
  await page.getByTestId('signin-user').fill(userId);
  await page.getByTestId('signin-submit').click();
  await waitForConnection(page, 'connected');
  await page.getByTestId('me').filter({ hasText: userId }).waitFor();
}

export async function openAs(browser, url, userId, options) {
  const opened = await openPage(browser, url, options);
  await signIn(opened.page, userId);
  return opened;
}

export function waitForConnection(page, state, timeout = 15_000) {
  return page.locator(`[data-testid="connection-state"][data-state="${state}"]`).waitFor({ timeout });
}

export function conversationItem(page, kind, id) {
  return page.locator(`[data-testid="conversation-item"][data-conversation="${kind}:${id}"]`);
}

export async function openConversation(page, kind, id) {
  await conversationItem(page, kind, id).click();
  await page.getByTestId('chat-title').waitFor();
}

export async function startChat(page, userId) {
  await page.getByTestId('new-chat-input').fill(userId);
  await page.getByTestId('new-chat-submit').click();
  await page.getByTestId('chat-title').filter({ hasText: userId }).waitFor();
}

export async function createGroup(page, { groupId, name, members }) {
  await page.getByTestId('toggle-create-group').click();
  await page.getByTestId('group-create-name').fill(name);
  await page.getByTestId('group-create-id').fill(groupId);
  await page.getByTestId('group-create-members').fill(members.join(', '));
  await page.getByTestId('group-create-submit').click();
  await page.getByTestId('chat-title').filter({ hasText: name }).waitFor();
}

export async function joinGroup(page, groupId) {
  await page.getByTestId('toggle-join-group').click();
  await page.getByTestId('group-join-id').fill(groupId);
  await page.getByTestId('group-join-submit').click();
  await conversationItem(page, 'group', groupId).waitFor();
}

/** Types into the composer and sends with Enter; returns the new message's element. */
export async function sendText(page, text) {
  const input = page.getByTestId('composer-input');
  await input.fill(text);
  await input.press('Enter');
  const message = messagesWithText(page, text).last();
  await message.waitFor();
  return message;
}

/** Message elements in the open conversation whose body is exactly `text`. */
export function messagesWithText(page, text) {
  return page.locator('[data-testid="message"]').filter({
    has: page.getByTestId('message-body').getByText(text, { exact: true }),
  });
}

/** Waits until the open conversation shows exactly `count` messages whose body is `text`. */
export async function expectMessageCount(page, text, count, timeout = 10_000) {
  try {
    await page.waitForFunction(([text, count]) =>
      [...document.querySelectorAll('[data-testid="message-body"]')].filter(e => e.textContent === text).length === count,
    [text, count], { timeout, polling: 100 });
  } catch (error) {
    const actual = await messagesWithText(page, text).count();
    throw new Error(`expected ${count} message(s) "${text}", found ${actual} (${error.message.split('\n')[0]})`);
  }
}

/** Waits until the element for `selector` has text matching `pattern`; returns the text. */
export async function expectText(page, selector, pattern, timeout = 10_000) {
  try {
    const handle = await page.waitForFunction(([selector, source, flags]) => {
      const text = document.querySelector(selector)?.textContent ?? '';
      return new RegExp(source, flags).test(text) && text;
    }, [selector, pattern.source, pattern.flags], { timeout, polling: 'raf' });
    return handle.jsonValue();
  } catch (error) {
    const actual = await page.locator(selector).first().textContent({ timeout: 1000 }).catch(() => null);
    throw new Error(`expected ${selector} to match ${pattern}, was ${JSON.stringify(actual)} (${error.message.split('\n')[0]})`);
  }
}

/** Waits until the element's `attribute` equals `value`. */
export function expectAttribute(locator, attribute, value, timeout = 10_000) {
  return locator.and(locator.page().locator(`[${attribute}="${value}"]`)).waitFor({ timeout });
}
