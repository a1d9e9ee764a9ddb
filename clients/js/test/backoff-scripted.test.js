// The reconnect backoff a server advertises in welcome (PROTOCOL.md section 9), against a scripted
// server (fake-server.js): the client reconnects with the server's backoff instead of its own options'.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SwitchboardClient, advertisedBackoff } from '../src/switchboard.js';
import { FakeServer } from './fake-server.js';
import { nextState } from './wait.js';

const HOUR_MS = 3_600_000;

let server;
let client;

beforeEach(async () => {
  server = await FakeServer.start();
});

afterEach(async () => {
  await client?.close();
  client = null;
  await server.stop();
});

test('the client reconnects with the backoff the server advertises, not its own', async () => {
  client = new SwitchboardClient({
    url: server.url, WebSocket, user: 'alice', deviceId: 'phone', backoffBaseMs: HOUR_MS, backoffMaxMs: HOUR_MS,
  });
  const connected = nextState(client, 'connected');
  client.connect();
  await server.nextConnection();
  server.send({ ...server.welcomeMessage(), reconnectBaseMs: 10, reconnectMaxMs: 20 });
  await connected;

  const reconnecting = nextState(client, 'reconnecting');
  server.close(1012, 'restart');
  const { retryInMs, attempt } = await reconnecting;
  assert.equal(attempt, 0);
  assert.ok(retryInMs <= 10, `the first delay is drawn from [0, 10 ms], got ${retryInMs} ms`);

  await server.nextConnection();
  const back = nextState(client, 'connected');
  server.welcome(); // this one advertises nothing: the next reconnect would use the options' hour again
  await back;
  const again = nextState(client, 'reconnecting');
  server.close(1012, 'restart');
  const next = await again;
  // Drawn from [0, an hour]: at most 20 ms by chance once in 180,000 runs.
  assert.ok(next.retryInMs > 20 && next.retryInMs <= HOUR_MS, `the options' backoff again, got ${next.retryInMs} ms`);
});

test('advertisedBackoff takes a usable advertisement, else keeps the configured backoff', () => {
  const configured = { baseMs: 1000, maxMs: 30000 };
  assert.deepEqual(advertisedBackoff({ reconnectBaseMs: 5000, reconnectMaxMs: 120000 }, configured),
    { baseMs: 5000, maxMs: 120000 });
  assert.equal(advertisedBackoff({}, configured), configured);
  assert.equal(advertisedBackoff({ reconnectBaseMs: 0, reconnectMaxMs: 0 }, configured), configured);
  assert.equal(advertisedBackoff({ reconnectBaseMs: 5000, reconnectMaxMs: 1000 }, configured), configured);
  assert.equal(advertisedBackoff({ reconnectBaseMs: '5000', reconnectMaxMs: 9000 }, configured), configured);
  assert.deepEqual(advertisedBackoff({ reconnectBaseMs: 1000, reconnectMaxMs: 10 * HOUR_MS }, configured),
    { baseMs: 1000, maxMs: HOUR_MS });
});
