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

test('the client reconnects with the backoff the server advertises, not its own', async (t) => {
  // Every jitter draw is the middle of its range: a delay is half its ceiling, exactly.
  t.mock.method(Math, 'random', () => 0.5);
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
  assert.deepEqual(await reconnecting, { state: 'reconnecting', previous: 'connected', retryInMs: 5, attempt: 0 },
    'half of the advertised 10 ms');

  await server.nextConnection();
  const back = nextState(client, 'connected');
  server.welcome(); // this one advertises nothing: the options' hour again
  await back;
  const again = nextState(client, 'reconnecting');
  server.close(1012, 'restart');
  assert.equal((await again).retryInMs, HOUR_MS / 2);
});

test('advertisedBackoff takes a usable advertisement, else keeps the configured backoff', () => {
  const configured = { baseMs: 1000, maxMs: 30000 };
  assert.deepEqual(advertisedBackoff({ reconnectBaseMs: 5000, reconnectMaxMs: 120000 }, configured),
    { baseMs: 5000, maxMs: 120000 });
  assert.equal(advertisedBackoff({}, configured), configured);
  assert.equal(advertisedBackoff({ reconnectBaseMs: 0, reconnectMaxMs: 0 }, configured), configured);
  assert.equal(advertisedBackoff({ reconnectBaseMs: 5000, reconnectMaxMs: 1000 }, configured), configured);
  for (const [baseMs, maxMs] of [['5000', 9000], [1.5, 9000], [true, 9000], [1e400, 1e400], [NaN, 9000], [null, 9000]]) {
    assert.equal(advertisedBackoff({ reconnectBaseMs: baseMs, reconnectMaxMs: maxMs }, configured), configured,
      `${baseMs} / ${maxMs} is not a usable advertisement`);
  }
  assert.deepEqual(advertisedBackoff({ reconnectBaseMs: 1000, reconnectMaxMs: 10 * HOUR_MS }, configured),
    { baseMs: 1000, maxMs: HOUR_MS });
});
