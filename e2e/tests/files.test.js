// Files on the chat page in a real browser against the real server jar (docs/PROTOCOL.md section 11):
// alice attaches a file to bob, the page uploads it in chunks with its progress shown and sends it;
// bob's page shows the file's name and size as a link, and the link downloads the same bytes.
// Run: cd e2e && npm ci && npm test (the jar must include the page: rebuild it after changing web/).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  browserAvailability, conversationItem, expectAttribute, launchBrowser, openAs, openConversation, startChat,
} from '../lib/browser.js';
import { ServerProcess, checkJar } from '../lib/server.js';

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
});
