// Topics and presence events through a real server (config file with history for every topic, a
// read-only and a private pattern, a low subscription limit, presence events on): publish and fan-out,
// recovery after a client-side drop (recovered: true, the missed publications in order), recovery
// across a server restart (history is in memory: a new epoch, recovered: false with epoch_changed),
// refusals (forbidden, subscription_limit), presence events, and a ban through the server API (close
// 4004, terminal).
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { SwitchboardClient, SwitchboardError } from '../src/switchboard.js';
import { TestServer } from './server.js';
import { collect, connectAndSync, mintToken, nextEvent, nextState, uniqueId, waitFor } from './wait.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const MAX_SUBSCRIPTIONS = 4;
const CONFIG = `
topics:
  maxSubscriptionsPerConnection: ${MAX_SUBSCRIPTIONS}
  historyTtlSeconds: 300
  rules:
    - pattern: "readonly.*"
      subscribe: true
      publish: false
      historySize: 100
    - pattern: "private.*"
      subscribe: false
      publish: false
      historySize: 0
    - pattern: "*"
      subscribe: true
      publish: true
      historySize: 100
presence:
  events: true
`;
/** Nothing listens here: a connection attempt to it is refused at once. */
const UNREACHABLE_URL = 'ws://127.0.0.1:1/ws';

let server;
let configDirectory;
const clients = [];

before(async () => {
  configDirectory = mkdtempSync(path.join(tmpdir(), 'switchboard-js-topics-'));
  const configFile = path.join(configDirectory, 'switchboard.yml');
  writeFileSync(configFile, CONFIG);
  server = await TestServer.start({
    env: { SWITCHBOARD_AUTH_JWT_SECRET: SECRET }, args: ['--config', configFile, '--api-port', '0'],
  });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

after(async () => {
  await server?.close();
  rmSync(configDirectory, { recursive: true, force: true });
});

function newClient(options) {
  const client = new SwitchboardClient({ url: server.url, WebSocket, backoffBaseMs: 50, backoffMaxMs: 300, ...options });
  clients.push(client);
  return client;
}

const online = (options) => connectAndSync(newClient(options));

/**
 * A WebSocket class for one client that records what it sends and can cut it off: drop() kills the
 * live socket, and while the gate is shut every new attempt goes to an address that refuses it.
 */
function gatedWebSocket() {
  const gate = { open: true, sockets: [], sent: [] };
  gate.Class = class GatedWebSocket extends WebSocket {
    constructor(url, ...rest) {
      super(gate.open ? url : UNREACHABLE_URL, ...rest);
      gate.sockets.push(this);
    }

    send(data, ...rest) {
      gate.sent.push(JSON.parse(String(data)));
      super.send(data, ...rest);
    }
  };
  gate.drop = () => gate.sockets.at(-1).terminate();
  return gate;
}

/** [offset, data] of every publication on topic, in delivery order. */
const offsetsAndData = (publications, topic) => publications.filter((publication) => publication.topic === topic)
  .map(({ offset, data }) => [offset, data]);

test('subscribe, publish and fan-out: both subscribers get every publication once, in order', { timeout: 20_000 },
  async () => {
    const topic = uniqueId('room');
    const alice = await online({ user: uniqueId('alice') });
    const bob = await online({ user: uniqueId('bob') });
    const atAlice = collect(alice, 'publication');
    const atBob = collect(bob, 'publication');

    const [aliceSubscribed, bobSubscribed] = await Promise.all([alice.subscribe(topic), bob.subscribe(topic)]);
    assert.equal(aliceSubscribed.topic, topic);
    assert.equal(aliceSubscribed.offset, 0, 'nothing published yet');
    assert.equal(aliceSubscribed.history, true);
    assert.equal(bobSubscribed.epoch, aliceSubscribed.epoch);

    const receipts = [];
    for (let index = 0; index < 5; index++) {
      receipts.push(await alice.publish(topic, { n: index }));
    }
    assert.deepEqual(receipts.map((receipt) => receipt.offset), [1, 2, 3, 4, 5]);
    assert.ok(receipts.every((receipt) => receipt.topic === topic && receipt.epoch === aliceSubscribed.epoch));

    const expected = [1, 2, 3, 4, 5].map((offset) => [offset, { n: offset - 1 }]);
    await waitFor(() => atAlice.length >= 5 && atBob.length >= 5, 'five publications at both subscribers');
    assert.deepEqual(offsetsAndData(atBob, topic), expected);
    assert.deepEqual(offsetsAndData(atAlice, topic), expected, 'the publisher is a subscriber too');
    assert.equal(atBob[0].from, alice.userId);
    assert.equal(atBob[0].epoch, aliceSubscribed.epoch);
    assert.deepEqual(bob.topicPosition(topic), { epoch: aliceSubscribed.epoch, offset: 5 });

    await bob.unsubscribe(topic);
    await alice.publish(topic, 'after bob left');
    await waitFor(() => atAlice.length >= 6, 'the sixth publication at alice');
    assert.equal(atBob.length, 5, 'nothing after unsubscribe');
  });

test('a client-side drop: the topic is recovered (recovered: true) and the missed publications arrive in order',
  { timeout: 30_000 }, async () => {
    const topic = uniqueId('feed');
    const gate = gatedWebSocket();
    const publisher = await online({ user: uniqueId('alice') });
    const subscriber = await online({ user: uniqueId('bob'), WebSocket: gate.Class });
    const received = collect(subscriber, 'publication');
    const failures = collect(subscriber, 'recoveryFailed');
    const { epoch } = await subscriber.subscribe(topic);
    await publisher.publish(topic, 'before');
    await waitFor(() => received.length === 1, 'the first publication');

    gate.open = false;
    const away = nextState(subscriber, 'reconnecting');
    gate.drop();
    await away;
    for (const data of ['missed 1', 'missed 2', 'missed 3']) {
      await publisher.publish(topic, data);
    }
    const resubscribed = nextEvent(subscriber, 'subscription', (change) => change.state === 'subscribed', 15_000);
    gate.open = true;
    await resubscribed;
    await publisher.publish(topic, 'live');

    await waitFor(() => received.length >= 5, 'the missed and the live publications');
    assert.deepEqual(offsetsAndData(received, topic),
      [[1, 'before'], [2, 'missed 1'], [3, 'missed 2'], [4, 'missed 3'], [5, 'live']]);
    assert.deepEqual(failures, []);
    const resubscribe = gate.sent.filter((frame) => frame.type === 'subscribe').at(-1);
    assert.deepEqual(resubscribe.recover, { epoch, offset: 1 }, 'subscribed again from the last delivered offset');
    assert.equal(subscriber.stats.publicationDuplicatesSuppressed, 0);
  });

test('publishing or subscribing where the rules forbid it is refused with forbidden; a token claim grants more',
  { timeout: 20_000 }, async () => {
    const user = uniqueId('carol');
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const plain = await online({ token: mintToken(SECRET, { sub: user, device: 'a', exp }) });
    const granted = await online({
      token: mintToken(SECRET, { sub: user, device: 'b', exp, topics: { publish: ['readonly.granted'] } }),
    });
    const states = collect(plain, 'subscription');

    await assert.rejects(plain.publish('readonly.news', 'x'),
      (error) => error instanceof SwitchboardError && error.code === 'forbidden');
    await assert.rejects(plain.subscribe('private.inbox'), (error) => error.code === 'forbidden');
    assert.deepEqual(states.at(-1), { topic: 'private.inbox', state: 'unsubscribed', error: states.at(-1).error });
    assert.equal(states.at(-1).error.code, 'forbidden');
    assert.equal((await plain.subscribe('readonly.news')).topic, 'readonly.news', 'subscribing there is allowed');
    assert.equal((await granted.publish('readonly.granted', 'y')).offset, 1);
    assert.equal(plain.state, 'connected', 'refusals leave the connection up');
  });

test('one subscription more than the limit is refused with subscription_limit', { timeout: 20_000 }, async () => {
  const client = await online({ user: uniqueId('dave') });
  const topics = Array.from({ length: MAX_SUBSCRIPTIONS + 1 }, (unused, index) => uniqueId(`t${index}`));

  const outcomes = await Promise.allSettled(topics.map((topic) => client.subscribe(topic)));

  assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, MAX_SUBSCRIPTIONS);
  assert.equal(outcomes.at(-1).status, 'rejected');
  assert.equal(outcomes.at(-1).reason.code, 'subscription_limit');
  assert.deepEqual(client.subscriptions, topics.slice(0, MAX_SUBSCRIPTIONS));
});

test('presence events: a group member coming online and going offline', { timeout: 20_000 }, async () => {
  const bobId = uniqueId('bob');
  const alice = await online({ user: uniqueId('alice') });
  await alice.createGroup({ groupId: uniqueId('team'), members: [bobId] });
  const presence = collect(alice, 'presence');

  const bob = await online({ user: bobId });
  await waitFor(() => presence.some((event) => event.user === bobId && event.online), 'bob online');
  await bob.close();
  await waitFor(() => presence.some((event) => event.user === bobId && !event.online), 'bob offline');

  assert.deepEqual(presence.filter((event) => event.user === bobId),
    [{ user: bobId, online: true }, { user: bobId, online: false }]);
});

/** Calls the server API with the development-mode key; resolves with [status, body]. */
async function api(method, path, body) {
  const response = await fetch(`http://127.0.0.1:${server.apiPort}${path}`, {
    method,
    headers: { 'X-Api-Key': 'dev-api-key', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return [response.status, await response.json()];
}

test('a ban through the server API closes the connection with 4004; the client stops for good', { timeout: 20_000 },
  async () => {
    const eve = uniqueId('eve');
    const client = await online({ user: eve });
    await client.subscribe(uniqueId('room'));
    const states = collect(client, 'subscription');
    const closedEvent = nextEvent(client, 'closed');
    const closedState = nextState(client, 'closed');

    const [status] = await api('PUT', `/api/v1/bans/${eve}`, { reason: 'spam' });
    assert.equal(status, 200);

    assert.equal((await closedEvent).code, 4004);
    await closedState;
    assert.equal(states.at(-1).state, 'unsubscribed');
    assert.equal(states.at(-1).error.closeCode, 4004);
    assert.equal(client.stats.reconnects, 0, '4004 is terminal');
    assert.equal((await api('DELETE', `/api/v1/bans/${eve}`))[0], 200);
  });

// Last: it restarts the server.
test('a server restart loses the in-memory history: recovered: false with epoch_changed, then live again',
  { timeout: 45_000 }, async () => {
    const topic = uniqueId('ticker');
    const publisher = await online({ user: uniqueId('alice') });
    const subscriber = await online({ user: uniqueId('bob') });
    const received = collect(subscriber, 'publication');
    const failures = collect(subscriber, 'recoveryFailed');
    const before = await subscriber.subscribe(topic);
    await publisher.publish(topic, 'before the restart');
    await waitFor(() => received.length === 1, 'the first publication');

    const subscriberBack = nextEvent(subscriber, 'subscription', (change) => change.state === 'subscribed', 40_000);
    const publisherBack = nextState(publisher, 'connected', 40_000);
    await server.restart();
    await Promise.all([subscriberBack, publisherBack]);

    assert.equal(failures.length, 1, 'the lost history is reported, not skipped silently');
    assert.equal(failures[0].topic, topic);
    assert.equal(failures[0].reason, 'epoch_changed');
    assert.notEqual(failures[0].epoch, before.epoch);
    const receipt = await publisher.publish(topic, 'after the restart');
    assert.equal(receipt.epoch, failures[0].epoch);
    await waitFor(() => received.length === 2, 'the publication after the restart');
    assert.deepEqual(received.map(({ epoch, offset, data }) => [epoch, offset, data]),
      [[before.epoch, 1, 'before the restart'], [failures[0].epoch, receipt.offset, 'after the restart']]);
    assert.equal(subscriber.stats.recoveryFailures, 1);
  });
