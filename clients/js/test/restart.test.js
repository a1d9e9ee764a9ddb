// A server restart in the middle of a stream of sends (SIGTERM: graceful shutdown, connections closed
// with 1012, then started again on the same port and data directory). Every send must be confirmed,
// and every message must reach both ends exactly once and in call order.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SwitchboardClient } from '../src/switchboard.js';
import { TestServer } from './server.js';
import { collect, connectAndSync, nextState, uniqueId, waitFor, withTimeout } from './wait.js';

let server;
const clients = [];

before(async () => {
  server = await TestServer.start();
});

after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await server?.close();
});

function online(options) {
  const client = new SwitchboardClient({ url: server.url, WebSocket, backoffBaseMs: 50, backoffMaxMs: 300, ...options });
  clients.push(client);
  return connectAndSync(client);
}

/** Asserts that `messages` are bodies 0 … count-1 in order, with consecutive seqs. */
function assertExactlyOnceInOrder(messages, count, where) {
  assert.deepEqual(messages.map((message) => message.body), Array.from({ length: count }, (unused, index) => index),
    `bodies at ${where}`);
  for (let index = 1; index < messages.length; index++) {
    assert.equal(messages[index].seq, messages[index - 1].seq + 1, `seq after ${messages[index - 1].seq} at ${where}`);
  }
}

test('a server restart mid-stream: every send confirmed, every message once and in order', { timeout: 45_000 },
  async () => {
    const alice = uniqueId('alice');
    const bob = uniqueId('bob');
    const sender = await online({ user: alice, deviceId: 'phone' });
    const recipient = await online({ user: bob, deviceId: 'web' });
    const received = collect(recipient, 'message');
    const senderCopies = collect(sender, 'message');

    const count = 120;
    const beforeRestart = 40;
    let confirmed = 0;
    const sends = [];
    const issue = (index) => sends.push(sender.send({ kind: 'user', id: bob }, index).then((receipt) => {
      confirmed++;
      return receipt;
    }));
    for (let index = 0; index < beforeRestart; index++) {
      issue(index);
    }
    await waitFor(() => confirmed >= 10, 'the first confirmations');

    // The rest go out while the server shuts down and is away: some are in flight when the connection
    // closes, the others wait in the queue. Spread over ~0.5 s by the test's own pacing; the backlog
    // stays below the server's default burst (200), so its send limit plays no part here.
    let queuedAtReconnect = 0;
    sender.on('state', ({ state }) => {
      if (state === 'connected') {
        queuedAtReconnect ||= sender.pendingSends.length;
      }
    });
    const senderBack = nextState(sender, 'connected', 30_000);
    const recipientBack = nextState(recipient, 'connected', 30_000);
    const restarted = server.restart();
    for (let index = beforeRestart; index < count; index++) {
      issue(index);
      await new Promise((resolve) => setTimeout(resolve, 6));
    }
    await restarted;
    await Promise.all([senderBack, recipientBack]);

    assert.ok(queuedAtReconnect > 0, 'some sends waited for the reconnect');
    const receipts = await withTimeout(Promise.all(sends), 'every send confirmed', 30_000);
    assert.equal(new Set(receipts.map((receipt) => receipt.id)).size, count, 'one stored message per send');
    await waitFor(() => received.length >= count && senderCopies.length >= count, 'every message at both ends',
      15_000);
    assertExactlyOnceInOrder(received, count, 'the recipient');
    assertExactlyOnceInOrder(senderCopies, count, 'the sender');
    assert.ok(sender.stats.reconnects >= 1 && recipient.stats.reconnects >= 1);
    assert.deepEqual(sender.pendingSends, []);
  });
