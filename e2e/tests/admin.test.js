// The admin page (/admin on the server API's port) in a real browser against the real server jar:
// a wrong API key is refused, the right one signs in; chat traffic from real clients moves the
// charts and the nodes table; a kick and a ban through the server API appear in the events and the
// closes chart, as does a client that stops reading (closed as a slow consumer); an outage shows a banner and the page recovers by itself; sign-out forgets the key. Also the
// screenshot for docs/images, taken while the traffic flows. The tests run in order and share the
// server and the traffic. Run: cd e2e && npm ci && npm test
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { SwitchboardClient } from '../../clients/js/src/switchboard.js';
import { browserAvailability, expectAttribute, expectText, launchBrowser, openPage } from '../lib/browser.js';
import { REPO, ServerProcess, checkJar } from '../lib/server.js';

const { skip } = browserAvailability();
const browserTest = (name, fn) => test(name, { skip }, fn);

const API_KEY = 'test-admin-key';
const KEY_STORAGE = 'switchboard.admin.apiKey';
/** Messages each of the two chatting users sends per second while traffic flows, on average. */
const SENDS_PER_SECOND = 15;
/** Hard bounds on the traffic loop, whatever the tests do. */
const TRAFFIC_MAX_MS = 60_000;
const TRAFFIC_MAX_MESSAGES = 3000;
/** Samples with traffic in the messages chart before the screenshot, so it shows curves, not dots. */
const SCREENSHOT_SAMPLES = 30;

/**
 * Two clients chatting back and forth in the background, at a rate that swings between half and one
 * and a half times SENDS_PER_SECOND (so the charts have a shape). stop() ends it and waits for every
 * send to be confirmed; failures collects the sends that were refused.
 */
function startTraffic(a, b) {
  const traffic = { running: true, sent: 0, failures: [] };
  const started = Date.now();
  traffic.done = (async () => {
    const pending = [];
    while (traffic.running && Date.now() - started < TRAFFIC_MAX_MS && traffic.sent < TRAFFIC_MAX_MESSAGES) {
      const n = traffic.sent;
      pending.push(a.client.send({ kind: 'user', id: b.user }, `ping ${n}`).catch(error => traffic.failures.push(error)));
      pending.push(b.client.send({ kind: 'user', id: a.user }, `pong ${n}`).catch(error => traffic.failures.push(error)));
      traffic.sent += 2;
      const rate = SENDS_PER_SECOND * (1 + 0.5 * Math.sin((Date.now() - started) / 4000));
      await new Promise(resolve => setTimeout(resolve, 1000 / rate));   // pacing, not synchronisation
    }
    await Promise.all(pending);
  })();
  traffic.stop = async () => {
    traffic.running = false;
    await traffic.done;
  };
  return traffic;
}

describe('admin page', { timeout: 120_000 }, () => {
  let dataDir;
  let server;
  let browser;
  let context;
  let page;
  let traffic = null;
  let pointsAtTrafficStart = 0;
  const clients = [];

  const adminUrl = () => `${server.apiUrl}/admin`;

  /** A connected client of the JS SDK, on Node with the ws package; resolves once synced. */
  async function connect(user, deviceId) {
    const client = new SwitchboardClient({
      url: `${server.url.replace(/^http/, 'ws')}/ws`, user, deviceId, WebSocket, backoffBaseMs: 100, backoffMaxMs: 500,
    });
    clients.push(client);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${user}/${deviceId} did not sync within 10 s`)), 10_000);
      const unsubscribe = client.on('synced', () => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      });
      client.connect();
    });
    return client;
  }

  /** A request to the server API with the test key. */
  async function api(method, path, body) {
    const response = await fetch(`${server.apiUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  /** The chart canvas's data-last, parsed. */
  async function lastValues(chart) {
    return JSON.parse(await page.getByTestId(chart).getAttribute('data-last'));
  }

  /**
   * Polls the chart canvas until `predicate(last, points)` holds for its data-last (parsed) and
   * data-points; fails with the chart's last state. Polled from here rather than inside the page, so
   * nothing depends on the page allowing eval.
   */
  async function expectChart(chart, predicate, what, timeout = 15_000) {
    const canvas = page.getByTestId(chart);
    const deadline = Date.now() + timeout;
    for (;;) {
      const [last, points] = await Promise.all([canvas.getAttribute('data-last'), canvas.getAttribute('data-points')]);
      if (predicate(JSON.parse(last || '{}'), Number(points || 0))) return;
      if (Date.now() > deadline) {
        throw new Error(`${chart}: timed out after ${timeout} ms waiting for ${what}; data-points=${points} data-last=${last}`);
      }
      await new Promise(resolve => setTimeout(resolve, 100));
    }
  }

  function assertNoPageProblems() {
    // 401s while signing in with a wrong key, and refused requests during the outage, are expected
    // network noise (lib/browser.js filters "Failed to load resource"); anything else is not.
    assert.deepEqual(page.problems.slice(0, 5), [], `errors logged by the page (${page.problems.length} in all)`);
  }

  before(async () => {
    if (skip) return;
    checkJar();
    dataDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-admin-'));
    [server, browser] = await Promise.all([
      // A small outbound bound (256 KiB instead of 4 MiB): the slow consumer below is closed after a
      // few megabytes, not dozens; the clients that read keep far below it.
      ServerProcess.start(dataDir, {
        env: { SWITCHBOARD_API_KEYS: API_KEY, SWITCHBOARD_LIMITS_OUTBOUND_QUEUE_BYTES: '262144' }, api: true,
      }),
      launchBrowser(),
    ]);
  });

  after(async () => {
    await traffic?.stop();
    await Promise.allSettled(clients.map(client => client.close()));
    await context?.close();
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  browserTest('a wrong API key is refused; the right one signs in and shows the node', async () => {
    ({ context, page } = await openPage(browser, adminUrl()));
    await page.getByTestId('signin-key').fill('not-the-key');
    await page.getByTestId('signin-submit').click();
    await expectText(page, '[data-testid="signin-error"]', /wrong API key/i);
    assert.equal(await page.getByTestId('dashboard').isVisible(), false, 'dashboard stays hidden after a wrong key');
    assert.equal(await page.evaluate(key => sessionStorage.getItem(key), KEY_STORAGE), null, 'a wrong key is not kept');

    await page.getByTestId('signin-key').fill(API_KEY);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('dashboard').waitFor();
    await expectAttribute(page.getByTestId('status'), 'data-state', 'connected');
    await page.getByTestId('node-row').first().waitFor();
    assert.equal(await page.getByTestId('node-row').count(), 1, 'one node in a single-node server');
    assert.equal(await page.evaluate(key => sessionStorage.getItem(key), KEY_STORAGE), API_KEY, 'key kept for this tab');
    await expectText(page, '[data-testid="summary-nodes"]', /^1$/);

    // A reload keeps the session (sessionStorage) and goes straight to the dashboard.
    await page.reload();
    await page.getByTestId('dashboard').waitFor();
    await expectAttribute(page.getByTestId('status'), 'data-state', 'connected');
    assertNoPageProblems();
  });

  browserTest('chat traffic shows in the charts, the summary and the node row', async () => {
    const alice = await connect('alice', 'phone');
    await connect('alice', 'laptop');
    const bob = await connect('bob', 'web');
    await connect('carol', 'web');
    await connect('dave', 'web');
    const expected = clients.length;

    const total = last => Object.values(last).reduce((sum, value) => sum + value, 0);
    await expectChart('chart-connections', last => total(last) === expected, `${expected} connections in all`);
    const connections = await lastValues('chart-connections');
    assert.equal(Object.keys(connections).length, 1, `one series per node: ${JSON.stringify(connections)}`);
    await expectAttribute(page.getByTestId('summary-connections'), 'data-value', String(expected));
    const nodeId = Object.keys(connections)[0];
    const row = `[data-testid="node-row"][data-node="${nodeId}"]`;
    await expectText(page, `${row} [data-col="connections"]`, new RegExp(`^${expected}$`));
    await expectText(page, `${row} [data-col="users"]`, /^4$/);

    // Alice and Bob chat from here on, until the screenshot has been taken.
    pointsAtTrafficStart = Number(await page.getByTestId('chart-messages').getAttribute('data-points'));
    traffic = startTraffic({ user: 'alice', client: alice }, { user: 'bob', client: bob });
    await expectChart('chart-messages', last => last.in > 0 && last.out > 0, 'messages in and out per second > 0');
    await expectChart('chart-latency', last => last.p50 > 0 && last.p99 >= last.p50, 'p50 and p99 delivery latency');
    assert.ok(Number(await page.getByTestId('summary-in').getAttribute('data-value')) > 0, 'summary messages in/s > 0');
    assert.ok(Number(await page.getByTestId('summary-out').getAttribute('data-value')) > 0, 'summary messages out/s > 0');
    await expectText(page, `${row} [data-col="messagesInPerSecond"]`, /^(?!0$)\d/);
    await expectText(page, `${row} [data-col="deliveryLatencyP99Millis"]`, /^\d/);
    assert.match(await page.locator(`${row} [data-col="uptimeSeconds"]`).textContent(), /^\d+ (s|min \d\d s)$/);
    assertNoPageProblems();
  });

  browserTest('a kick and a ban through the server API appear in the recent events', async () => {
    const carol = clients.find(client => client.userId === 'carol');
    const kicked = new Promise(resolve => carol.on('kicked', resolve));
    const before = Number(await page.getByTestId('summary-connections').getAttribute('data-value'));

    const kick = await api('POST', '/api/v1/users/carol/kick', { reason: 'e2e: kicked from the test' });
    assert.equal(kick.status, 202, JSON.stringify(kick.body));
    assert.deepEqual(kick.body, { userId: 'carol', deviceId: null });
    assert.equal((await kicked).reason, 'e2e: kicked from the test');

    const kickEvent = page.locator('[data-testid="event"][data-kind="kick"][data-user="carol"]');
    await kickEvent.waitFor();
    assert.match(await kickEvent.textContent(), /e2e: kicked from the test/);
    await page.getByTestId('events-empty').waitFor({ state: 'hidden' });
    const nodeId = await page.getByTestId('node-row').getAttribute('data-node');
    assert.equal(await kickEvent.getAttribute('data-node'), nodeId, 'the event names the node');
    await expectText(page, '[data-testid="node-row"] [data-col="kicks"]', /^1$/);
    await expectChart('chart-closes', last => last.kicked === 1 && last.slow === 0, 'the kick in the closes chart');
    await expectAttribute(page.getByTestId('summary-connections'), 'data-value', String(before - 1));

    const ban = await api('PUT', '/api/v1/bans/dave', { reason: 'e2e: spam', durationSeconds: 600 });
    assert.equal(ban.status, 200, JSON.stringify(ban.body));
    assert.equal(ban.body.userId, 'dave');
    assert.ok(ban.body.until > Date.now(), `ban ends in the future: ${JSON.stringify(ban.body)}`);
    const banEvent = page.locator('[data-testid="event"][data-kind="ban"][data-user="dave"]');
    await banEvent.waitFor();
    assert.match(await banEvent.textContent(), /e2e: spam/);
    await expectAttribute(page.getByTestId('summary-connections'), 'data-value', String(before - 2));
    await expectChart('chart-closes', last => last.kicked === 2, 'the kick and the ban in the closes chart');
    const kinds = await page.getByTestId('event').evaluateAll(items => items.map(item => item.dataset.kind));
    assert.deepEqual(kinds.slice(0, 2), ['ban', 'kick'], 'newest event first');
    assertNoPageProblems();
  });

  browserTest('screenshot while the traffic flows', async () => {
    const enough = Math.min(pointsAtTrafficStart + SCREENSHOT_SAMPLES, 120);
    await expectChart('chart-messages', (last, points) => points >= enough && last.in > 0,
      `${SCREENSHOT_SAMPLES} samples with traffic`, 45_000);
    // docs/images only when asked (npm run screenshots), so a plain test run leaves the tree clean.
    const images = process.env.UPDATE_DOCS_IMAGES === '1' ? join(REPO, 'docs', 'images') : join(REPO, 'e2e', 'screenshots');
    mkdirSync(images, { recursive: true });
    await page.mouse.move(1270, 790);
    await page.screenshot({ path: join(images, 'admin.png') });

    const finished = traffic;
    traffic = null;
    await finished.stop();
    assert.deepEqual(finished.failures.map(error => error.message), [], `${finished.failures.length} of ${finished.sent} sends failed`);
    assert.ok(finished.sent > 0);
    assertNoPageProblems();
  });

  browserTest('a client that stops reading is closed as a slow consumer, in the node row and the closes chart', async () => {
    const slow = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws?user=slowpoke&device=web`);
    await new Promise((resolve, reject) => {
      slow.once('message', resolve); // the welcome
      slow.once('error', reject);
    });
    slow.send(JSON.stringify({ type: 'resume' }));
    slow._socket.pause(); // reads nothing from here on: the server's queue for it fills
    const closes = '[data-testid="node-row"] [data-col="slowConsumerCloses"]';
    const body = 'x'.repeat(16_000);
    // Bounded: at most 1,200 messages of 16 kB (about 19 MB), in rounds of 20, until the page counts the close.
    for (let posted = 0; posted < 1200 && (await page.locator(closes).textContent()) === '0'; posted += 20) {
      const answers = await Promise.all(Array.from({ length: 20 }, () =>
        api('POST', '/api/v1/messages', { from: 'eve', to: { kind: 'user', id: 'slowpoke' }, body })));
      assert.deepEqual(answers.filter(answer => answer.status !== 200).map(answer => answer.status), [], 'messages stored');
    }
    await expectText(page, closes, /^1$/);
    await expectChart('chart-closes', last => last.slow === 1, 'the slow consumer in the closes chart');
    const event = page.locator('[data-testid="event"][data-kind="slow_consumer"][data-user="slowpoke"]');
    await event.waitFor();
    slow.terminate();
    assertNoPageProblems();
  });

  browserTest('an outage shows "server unreachable" and the page recovers by itself', async () => {
    await server.stop();
    await expectText(page, '[data-testid="problem"]', /server unreachable, retrying/i, 15_000);
    await expectAttribute(page.getByTestId('status'), 'data-state', 'offline');

    await server.startAgain();
    assert.ok(server.apiUrl.endsWith(`:${new URL(adminUrl()).port}`), 'same API port after the restart');
    await expectAttribute(page.getByTestId('status'), 'data-state', 'connected', 20_000);
    await page.getByTestId('problem').waitFor({ state: 'hidden' });
    assertNoPageProblems();
  });

  browserTest('sign-out forgets the key and shows the form again', async () => {
    await page.getByTestId('signout').click();
    await page.getByTestId('signin').waitFor();
    assert.equal(await page.evaluate(key => sessionStorage.getItem(key), KEY_STORAGE), null, 'key forgotten');
    await page.reload();
    await page.getByTestId('signin-key').waitFor();
    assert.equal(await page.getByTestId('dashboard').isVisible(), false, 'signed out after a reload');
    assertNoPageProblems();
  });
});
