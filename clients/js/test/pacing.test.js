// Send pacing against a server with a low send limit (PROTOCOL.md section 4, "Order"): a burst beyond
// the limit is spread out to the advertised rate instead of being refused, and stored in call order.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SwitchboardClient } from '../src/switchboard.js';
import { TestServer } from './server.js';
import { collect, connectAndSync, uniqueId, waitFor } from './wait.js';

const SENDS_PER_SECOND = 50;
const SEND_BURST = 10;

let server;
const clients = [];

before(async () => {
  server = await TestServer.start({
    env: {
      SWITCHBOARD_LIMITS_SENDS_PER_SECOND: String(SENDS_PER_SECOND),
      SWITCHBOARD_LIMITS_SEND_BURST: String(SEND_BURST),
    },
  });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

after(async () => {
  await server?.close();
});

function online(options) {
  const client = new SwitchboardClient({ url: server.url, WebSocket, backoffBaseMs: 50, backoffMaxMs: 300, ...options });
  clients.push(client);
  return connectAndSync(client);
}

test('a burst beyond the server\'s limit is paced to it and stored in call order', { timeout: 20_000 }, async () => {
  // Warm the server's send path first: a cold JVM can take longer than the client's 10 ms jitter
  // allowance to process the first send of a burst, and would then refuse a paced one.
  const warmUp = await online({ user: uniqueId('warm-up') });
  await Promise.all(Array.from({ length: 2 * SEND_BURST }, (unused, index) =>
    warmUp.send({ kind: 'user', id: warmUp.userId }, index)));

  const alice = uniqueId('alice');
  const bob = uniqueId('bob');
  const sender = await online({ user: alice });
  const recipient = await online({ user: bob });
  const received = collect(recipient, 'message');

  const count = 40;
  const started = performance.now();
  const receipts = await Promise.all(Array.from({ length: count }, (unused, index) =>
    sender.send({ kind: 'user', id: bob }, index)));
  const elapsedMs = performance.now() - started;

  // The burst goes at once, the rest at the rate: (count - burst) / rate seconds at least.
  const paceMs = ((count - SEND_BURST) / SENDS_PER_SECOND) * 1000;
  assert.ok(elapsedMs >= paceMs * 0.9, `took ${elapsedMs} ms, pacing needs about ${paceMs} ms`);
  // Unpaced, 30 of the 40 would be refused with rate_limited and resent.
  assert.equal(sender.stats.sendsResent, 0, 'no send was refused and resent');
  assert.ok(receipts.every((receipt) => receipt.duplicate === false));
  await waitFor(() => received.length === count, `${count} messages at the recipient`);
  assert.deepEqual(received.map((message) => message.body), Array.from({ length: count }, (unused, index) => index));
});
