// Files on the chat page in a real browser against the real server jar (docs/PROTOCOL.md section 11):
// alice attaches a file to bob, the page uploads it in chunks with its progress shown and sends it;
// bob's page shows the file's name and size as a link, and the link downloads the same bytes. Signed in
// with tokens, no link holds the token: a click fetches the file with it in a header and saves it.
// Run: cd e2e && npm ci && npm test (the jar must include the page: rebuild it after changing web/).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  browserAvailability, conversationItem, expectAttribute, expectText, launchBrowser, openAs, openConversation, openPage,
  startChat, waitForConnection,
} from '../lib/browser.js';
import { JWT_SECRET, ServerProcess, checkJar } from '../lib/server.js';
import { mintToken } from '../lib/token.js';

const { skip } = browserAvailability();

const browserTest = (name, fn) => test(name, { skip }, fn);

/** Four chunks at the server's default chunkBytes (64512), so the progress has steps to show. */
const FILE_BYTES = 200 * 1024;
/**
 * Chunks count as sends: at 10 a second without burst the four chunks take over 300 ms, so the page
 * draws the progress (it renders every 16 ms) several times however fast the machine is.
 */
const SERVER_ENV = { SWITCHBOARD_LIMITS_SENDS_PER_SECOND: '10', SWITCHBOARD_LIMITS_SEND_BURST: '1' };

describe('files on the web chat page', { timeout: 90_000 }, () => {
  let dataDir;
  let server;
  let browser;
  const contexts = [];

  async function user(userId) {
    const opened = await openAs(browser, server.url, userId);
    contexts.push(opened.context);
    return opened;
  }

  /** Signs `userId` in with a token, as the sign-in form's "Sign in with a token instead" does. */
  async function tokenUser(userId) {
    const opened = await openPage(browser, server.url);
    contexts.push(opened.context);
    const { page } = opened;
    await page.getByText('Sign in with a token instead').click();
    await page.getByTestId('signin-token').fill(mintToken(JWT_SECRET, userId));
    await page.getByTestId('signin-submit').click();
    await waitForConnection(page, 'connected');
    await expectText(page, '[data-testid="me"]', new RegExp(`^${userId}$`));
    return opened;
  }

  /** Every attribute value in the page that holds "token=", as "tag attribute=value". */
  const tokenAttributes = page => page.evaluate(() => [...document.querySelectorAll('*')]
    .flatMap(element => [...element.attributes].map(attribute => `${element.tagName} ${attribute.name}=${attribute.value}`))
    .filter(text => text.includes('token=')));

  before(async () => {
    if (skip) return;
    checkJar();
    dataDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-files-'));
    [server, browser] = await Promise.all([ServerProcess.start(dataDir, { env: SERVER_ENV }), launchBrowser()]);
  });

  after(async () => {
    await Promise.allSettled(contexts.map(context => context.close()));
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  browserTest('alice attaches a file to bob; bob sees its name and size as a link that downloads the same bytes', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const content = randomBytes(FILE_BYTES);
    const sha256 = createHash('sha256').update(content).digest('hex');

    await startChat(alice.page, 'bob');
    // Every percentage the upload row shows, recorded as the page draws it.
    await alice.page.evaluate(() => {
      window.uploadPercents = [];
      new MutationObserver(() => {
        for (const row of document.querySelectorAll('[data-testid="upload"]')) window.uploadPercents.push(Number(row.dataset.percent));
      }).observe(document.getElementById('uploads'), { subtree: true, childList: true, attributes: true });
    });
    await alice.page.getByTestId('composer-file')
      .setInputFiles({ name: 'plan 2026.pdf', mimeType: 'application/pdf', buffer: content });

    const sent = alice.page.locator('[data-testid="message"]').filter({ has: alice.page.getByTestId('message-file') }).last();
    await expectAttribute(sent, 'data-state', 'sent', 20_000);
    assert.equal(await sent.getByTestId('message-file-name').textContent(), 'plan 2026.pdf');
    assert.equal(await sent.getByTestId('message-body').count(), 0, 'a file without caption shows no body');
    const percents = await alice.page.evaluate(() => window.uploadPercents);
    assert.ok(percents.some(percent => percent > 0 && percent < 100), `the upload showed its progress: ${percents}`);
    assert.deepEqual([...percents].sort((a, b) => a - b), percents, `progress only grows: ${percents}`);
    assert.equal(await alice.page.getByTestId('uploads').isHidden(), true, 'the finished upload is gone from the list');

    await conversationItem(bob.page, 'user', 'alice').waitFor();
    await openConversation(bob.page, 'user', 'alice');
    const link = bob.page.getByTestId('message-file').filter({ hasText: 'plan 2026.pdf' });
    await link.waitFor();
    assert.equal(await link.getByTestId('message-file-size').textContent(), '200 KB');
    assert.equal(await link.getAttribute('download'), 'plan 2026.pdf');
    const fileId = await link.getAttribute('data-file-id');
    assert.match(fileId, /^f-[0-9a-f]{32}$/);
    assert.equal(new URL(await link.getAttribute('href')).pathname, `/files/${fileId}`);
    assert.match(await conversationItem(bob.page, 'user', 'alice').textContent(), /File: plan 2026\.pdf/);

    const download = await bob.page.evaluate(async () => {
      const response = await fetch(document.querySelector('[data-testid="message-file"]').href);
      const bytes = await response.arrayBuffer();
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      return {
        status: response.status,
        type: response.headers.get('content-type'),
        size: bytes.byteLength,
        sha256: [...digest].map(byte => byte.toString(16).padStart(2, '0')).join(''),
      };
    });
    assert.deepEqual(download, { status: 200, type: 'application/pdf', size: FILE_BYTES, sha256 });

    for (const page of [alice.page, bob.page]) assert.deepEqual(page.problems, [], 'errors logged by the page');
  });

  browserTest('signed in with tokens: no link holds the token; a click fetches the file with it in a header', async () => {
    const erin = await tokenUser('erin');
    const frank = await tokenUser('frank');
    const content = randomBytes(70 * 1024);  // two chunks
    const sha256 = createHash('sha256').update(content).digest('hex');

    await startChat(erin.page, 'frank');
    await erin.page.getByTestId('composer-file')
      .setInputFiles({ name: 'minutes.txt', mimeType: 'text/plain', buffer: content });
    const sent = erin.page.locator('[data-testid="message"]').filter({ has: erin.page.getByTestId('message-file') }).last();
    await expectAttribute(sent, 'data-state', 'sent', 20_000);

    await conversationItem(frank.page, 'user', 'erin').waitFor();
    await openConversation(frank.page, 'user', 'erin');
    const link = frank.page.getByTestId('message-file').filter({ hasText: 'minutes.txt' });
    await link.waitFor();
    const fileId = await link.getAttribute('data-file-id');
    assert.match(fileId, /^f-[0-9a-f]{32}$/);
    const href = new URL(await link.getAttribute('href'));
    assert.equal(href.pathname, `/files/${fileId}`);
    assert.equal(href.search, '', 'the link carries no credentials');
    for (const page of [erin.page, frank.page]) {
      assert.deepEqual(await tokenAttributes(page), [], 'no attribute in the page holds a token');
    }
    const anonymous = await frank.page.evaluate(async url => (await fetch(url)).status, href.href);
    assert.equal(anonymous, 401, 'the link alone, copied elsewhere, downloads nothing');

    const [download] = await Promise.all([frank.page.waitForEvent('download', { timeout: 15_000 }), link.click()]);
    assert.equal(download.suggestedFilename(), 'minutes.txt');
    assert.match(download.url(), /^blob:/, 'saved from the bytes fetched with the token in a header');
    const saved = readFileSync(await download.path());
    assert.equal(createHash('sha256').update(saved).digest('hex'), sha256, 'the same bytes');
    assert.equal(await frank.page.locator('a[href^="blob:"]').count(), 0, 'the temporary link is gone');
    assert.deepEqual(await tokenAttributes(frank.page), []);
    assert.equal(await frank.page.getByTestId('composer-note').isHidden(), true, 'no download error shown');

    for (const page of [erin.page, frank.page]) assert.deepEqual(page.problems, [], 'errors logged by the page');
  });
});
