// Dead-server detection (PROTOCOL.md section 8): a frozen server (SIGSTOP) keeps TCP up but answers
// nothing; the client notices after pingTimeoutMs, reconnects once the server runs again, and the send
// it queued meanwhile goes through.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SwitchboardClient } from '../src/switchboard.js';
import { TestServer } from './server.js';
import { collect, connectAndSync, nextEvent, nextState, uniqueId } from './wait.js';

const PING_INTERVAL_MS = 200;
const PING_TIMEOUT_MS = 1000;

let server;
const clients = [];

before(async () => {
  server = await TestServer.start();
});

afterEach(async () => {
  server.unpause();
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

after(async () => {
  await server?.close();
});

function online(options) {
  const client = new SwitchboardClient({
    url: server.url, WebSocket, backoffBaseMs: 50, backoffMaxMs: 200,
    pingIntervalMs: PING_INTERVAL_MS, pingTimeoutMs: PING_TIMEOUT_MS, connectTimeoutMs: 1000, ...options,
  });
  clients.push(client);
  return connectAndSync(client);
}

test('pings keep a quiet connection alive; a frozen server is detected and left', { timeout: 30_000 }, async () => {
  const alice = uniqueId('alice');
  const client = await online({ user: alice });
  const states = collect(client, 'state');

  // Two timeouts' worth of silence from the application: the pongs keep the connection up.
  await client.ping();
  await new Promise((resolve) => setTimeout(resolve, 2 * PING_TIMEOUT_MS)); // an observation window
  assert.deepEqual(states, [], 'no state change while the server answers pings');

  const closed = nextEvent(client, 'closed');
  const reconnecting = nextState(client, 'reconnecting', 10_000);
  const frozenAt = performance.now();
  server.pause();
  const change = await reconnecting;
  const detectedAfterMs = performance.now() - frozenAt;
  assert.ok(detectedAfterMs >= PING_TIMEOUT_MS - PING_INTERVAL_MS,
    `left after ${detectedAfterMs} ms, before pingTimeoutMs ${PING_TIMEOUT_MS}`);
  assert.equal((await closed).code, 1006);
  assert.equal(typeof change.retryInMs, 'number');

  const queued = client.send({ kind: 'user', id: alice }, 'sent while the server was frozen');
  const back = nextState(client, 'connected', 20_000);
  server.unpause();
  await back;
  const receipt = await queued;
  assert.equal(receipt.duplicate, false);
  assert.ok(client.stats.reconnects >= 1);
});
