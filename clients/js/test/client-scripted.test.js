// The client against a scripted server (fake-server.js), for what a real server cannot be made to do on
// demand: inbox entries twice and out of order (PROTOCOL.md section 4), and a reconnect backoff
// advertised in welcome (section 9). The same cases as the Java SDK's SwitchboardClientTest.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SwitchboardClient, advertisedBackoff } from '../src/switchboard.js';
import { FakeServer } from './fake-server.js';
import { collect, nextEvent, nextState } from './wait.js';

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

/** Writes one inbox entry from bob to alice. */
function inboxEntry(seq, body) {
  server.send({
    type: 'message', seq,
    message: { id: 100 + seq, from: 'bob', fromDevice: 'web', to: { kind: 'user', id: 'alice' }, clientId: `b-${seq}`,
      ts: 1764000000000, body },
  });
}

test('each seq is delivered once and in order when the server sends duplicates and a gap', async () => {
  client = new SwitchboardClient({
    url: server.url, WebSocket, user: 'alice', deviceId: 'phone', initialAfterSeq: 0, ackDelayMs: 0,
  });
  const messages = collect(client, 'message');
  const connected = nextState(client, 'connected');
  client.connect();
  await server.nextConnection();
  server.welcome();
  await connected;
  assert.equal((await server.nextReceived('resume')).afterSeq, 0);

  inboxEntry(1, 'a');
  inboxEntry(1, 'a');
  inboxEntry(3, 'c');
  assert.equal((await server.nextReceived('resume')).afterSeq, 1, 'resume after the gap');
  inboxEntry(2, 'b');
  inboxEntry(3, 'c');
  const synced = nextEvent(client, 'synced');
  server.send({ type: 'synced', seq: 3 });
  await synced;

  assert.deepEqual(messages.map(({ seq, body }) => `${seq} ${body}`), ['1 a', '2 b', '3 c']);
  assert.equal(client.stats.duplicatesSuppressed, 1);
  assert.equal(client.stats.delivered, 3);
  assert.equal(client.lastSeq, 3);
  for (let ack = await server.nextReceived('ack'); ack.seq !== 3; ack = await server.nextReceived('ack')) {
    assert.ok(ack.seq < 3, `acks grow to 3: ${ack.seq}`);
  }
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
