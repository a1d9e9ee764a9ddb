// Parts that need no server: backoffDelay, timeOrderedId, option checks, the error type, event subscription.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SwitchboardClient, SwitchboardError, backoffDelay, timeOrderedId } from '../src/switchboard.js';

test('backoffDelay stays within [0, min(max, base × 2^attempt)] and reaches both ends', () => {
  for (let attempt = 0; attempt <= 40; attempt++) {
    const ceiling = Math.min(30_000, 1000 * 2 ** attempt);
    assert.equal(backoffDelay(attempt, 1000, 30_000, () => 0), 0);
    assert.equal(backoffDelay(attempt, 1000, 30_000, () => 0.999_999_999), ceiling, `attempt ${attempt}`);
    for (let sample = 0; sample < 50; sample++) {
      const delay = backoffDelay(attempt, 1000, 30_000);
      assert.ok(Number.isInteger(delay) && delay >= 0 && delay <= ceiling, `attempt ${attempt}: ${delay}`);
    }
  }
  assert.equal(backoffDelay(2, 100, 10_000, () => 0.5), 200);
  assert.equal(backoffDelay(5000, 100, 10_000, () => 0.999_999_999), 10_000, 'huge attempts are capped');
  assert.equal(backoffDelay(3, 0, 0), 0);
  assert.throws(() => backoffDelay(-1, 1000, 30_000), RangeError);
  assert.throws(() => backoffDelay(1.5, 1000, 30_000), RangeError);
  assert.throws(() => backoffDelay(0, 2000, 1000), RangeError);
});

test('options are checked when the client is created', () => {
  assert.throws(() => new SwitchboardClient(), TypeError);
  assert.throws(() => new SwitchboardClient({}), TypeError);
  assert.throws(() => new SwitchboardClient({ url: 'not a url', WebSocket }), TypeError);
  assert.throws(() => new SwitchboardClient({ url: 'ws://localhost/ws', WebSocket, token: 42 }), TypeError);
  assert.throws(() => new SwitchboardClient({ url: 'ws://localhost/ws', WebSocket, initialAfterSeq: -1 }), RangeError);
  assert.throws(() => new SwitchboardClient({ url: 'ws://localhost/ws', WebSocket, pingTimeoutMs: 0 }), RangeError);
  assert.throws(() => new SwitchboardClient({
    url: 'ws://localhost/ws', WebSocket, backoffBaseMs: 5000, backoffMaxMs: 1000,
  }), RangeError);
  if (typeof globalThis.WebSocket !== 'function') {
    assert.throws(() => new SwitchboardClient({ url: 'ws://localhost/ws' }), /no WebSocket implementation/);
  }
  const client = new SwitchboardClient({ url: 'ws://localhost/ws', WebSocket });
  assert.equal(client.state, 'idle');
  assert.equal(client.lastSeq, 0);
  assert.equal(client.userId, null);
  assert.deepEqual(client.stats, { delivered: 0, duplicatesSuppressed: 0, reconnects: 0, sendsResent: 0,
    truncatedRanges: 0, publicationsDelivered: 0, publicationDuplicatesSuppressed: 0, topicGaps: 0,
    recoveryFailures: 0 });
  assert.equal(new SwitchboardClient({ url: 'ws://localhost/ws', WebSocket, initialAfterSeq: 7 }).lastSeq, 7);
});

test('send checks its arguments and gives the promise a clientId at once', async () => {
  const client = new SwitchboardClient({ url: 'ws://localhost/ws', WebSocket, maxPendingSends: 2 });
  assert.throws(() => client.send('bob', 'hi'), TypeError);
  assert.throws(() => client.send({ kind: 'room', id: 'x' }, 'hi'), TypeError);
  assert.throws(() => client.send({ kind: 'user', id: 'bob' }, 'hi', { clientId: '' }), TypeError);
  assert.throws(() => client.send({ kind: 'user', id: 'bob' }, 10n), TypeError);

  const first = client.send({ kind: 'user', id: 'bob' }, 'one', { clientId: 'mine-1' });
  const second = client.send({ kind: 'group', id: 'team' }, { n: 2 });
  assert.equal(first.clientId, 'mine-1');
  assert.match(second.clientId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a time-ordered UUID');
  await assert.rejects(client.send({ kind: 'user', id: 'bob' }, 'three'),
    (error) => error instanceof SwitchboardError && /maxPendingSends 2/.test(error.message));
  assert.deepEqual(client.pendingSends.map((send) => send.clientId), ['mine-1', second.clientId]);

  const closing = Promise.allSettled([first, second]);
  await client.close();
  const outcomes = await closing;
  assert.ok(outcomes.every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof SwitchboardError));
  assert.deepEqual(client.pendingSends, []);
  await assert.rejects(client.send({ kind: 'user', id: 'bob' }, 'late'), /client is closed/);
});

test('topic methods check their arguments; subscriptions made while idle are kept, and end on close', async () => {
  const client = new SwitchboardClient({ url: 'ws://localhost/ws', WebSocket });
  for (const bad of ['', 'has space', 'x'.repeat(129), 'ünïcode', 42, null]) {
    assert.throws(() => client.subscribe(bad), TypeError, `topic ${JSON.stringify(bad)}`);
    assert.throws(() => client.publish(bad, 1), TypeError);
    assert.throws(() => client.unsubscribe(bad), TypeError);
  }
  assert.throws(() => client.subscribe('t', { since: { epoch: 'e1', offset: -1 } }), TypeError);
  assert.throws(() => client.subscribe('t', { since: { offset: 3 } }), TypeError);
  await assert.rejects(client.publish('a-Z_0.9:@/x', 1), /not connected/);

  const subscribed = client.subscribe('a-Z_0.9:@/x', { since: { epoch: 'e1', offset: 3 } });
  assert.equal(client.subscribe('a-Z_0.9:@/x'), subscribed, 'the same subscription');
  assert.deepEqual(client.subscriptions, ['a-Z_0.9:@/x']);
  assert.deepEqual(client.topicPosition('a-Z_0.9:@/x'), { epoch: 'e1', offset: 3 });
  assert.deepEqual(await client.unsubscribe('other'), { topic: 'other' }, 'not connected: nothing to tell the server');
  client.subscribe('never.confirmed');
  await client.close();
  await assert.rejects(subscribed, /client is closed/);
  assert.deepEqual(client.subscriptions, []);
  await assert.rejects(client.subscribe('late'), /client is closed/);
});

test('on returns an unsubscribe function; a throwing handler does not stop the others', async () => {
  const client = new SwitchboardClient({ url: 'ws://localhost/ws', WebSocket });
  const seen = [];
  const unsubscribe = client.on('state', (change) => seen.push(`a:${change.state}`));
  client.on('state', () => {
    throw new Error('handler bug');
  });
  client.on('state', (change) => seen.push(`b:${change.previous}`));
  const originalConsoleError = console.error;
  console.error = () => {};
  try {
    await client.close();
  } finally {
    console.error = originalConsoleError;
  }
  assert.deepEqual(seen, ['a:closed', 'b:idle']);
  unsubscribe();
  assert.equal(typeof unsubscribe, 'function');
});

test('SwitchboardError carries code, closeCode and httpStatus', () => {
  const error = new SwitchboardError('kicked', { closeCode: 4003 });
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'SwitchboardError');
  assert.equal(error.code, null);
  assert.equal(error.closeCode, 4003);
  assert.equal(error.httpStatus, null);
});

test('timeOrderedId makes version 7 UUIDs of the time, sorted as strings', () => {
  const millis = 1_796_000_000_123;
  const id = timeOrderedId(millis, (length) => new Uint8Array(length).fill(0xff));
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), millis);
  assert.equal(id.slice(14, 15), '7');
  assert.equal(id.slice(19, 20), 'b', 'variant bits 10 over random ones');

  const ids = [];
  for (let now = millis; now < millis + 2_000; now += 7) {
    ids.push(timeOrderedId(now));
  }
  assert.deepEqual([...ids].sort(), ids);
  const sameMillisecond = new Set(Array.from({ length: 10_000 }, () => timeOrderedId(millis)));
  assert.equal(sameMillisecond.size, 10_000);
  for (const bad of [-1, 1.5, 2 ** 48, Number.NaN, '1']) {
    assert.throws(() => timeOrderedId(bad), RangeError, String(bad));
  }
  const before = Date.now();
  const now = parseInt(timeOrderedId().replace(/-/g, '').slice(0, 12), 16);
  assert.ok(now >= before && now <= Date.now());
});
