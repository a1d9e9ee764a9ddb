// Topic subscriptions against a scripted server (fake-server.js), for what a real server cannot be made
// to do on demand: replays that overlap what was delivered, gaps and epoch changes on live traffic,
// recovery failures, refusals, a ban (close 4004). The same cases as the Java SDK's TopicSubscriptionTest.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SwitchboardClient, SwitchboardError } from '../src/switchboard.js';
import { FakeServer } from './fake-server.js';
import { collect, nextEvent, nextState, waitFor } from './wait.js';

const TOPIC = 'news.sports';

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

function newClient() {
  client = new SwitchboardClient({
    url: server.url, WebSocket, user: 'alice', deviceId: 'phone', backoffBaseMs: 10, backoffMaxMs: 50, ackDelayMs: 0,
  });
  return client;
}

async function connectAndWelcome() {
  newClient();
  const connected = nextState(client, 'connected');
  client.connect();
  await server.nextConnection();
  server.welcome();
  await connected;
}

/** Subscribes to topic and answers with epoch/offset; resolves once it is confirmed. */
async function subscribeAt(topic, epoch, offset) {
  const subscribed = client.subscribe(topic);
  server.result(await server.nextReceived('subscribe'), { topic, epoch, offset });
  await subscribed;
}

/** 'epoch:offset data' of every publication on topic, in delivery order. */
const seen = (publications, topic = TOPIC) => publications.filter((publication) => publication.topic === topic)
  .map(({ epoch, offset, data }) => `${epoch}:${offset} ${data}`);

/** Closes the connection like a server restart and welcomes the reconnect. */
async function reconnect() {
  server.close(1012, 'restart');
  await server.nextConnection();
  server.welcome();
}

test('subscribe resolves with the reply data; publications arrive in order', async () => {
  await connectAndWelcome();
  const states = collect(client, 'subscription');
  const publications = collect(client, 'publication');

  const subscribed = client.subscribe(TOPIC);
  const subscribe = await server.nextReceived('subscribe');
  assert.equal(subscribe.topic, TOPIC);
  assert.equal(subscribe.recover, undefined, 'a first subscribe has nothing to recover');
  server.result(subscribe, { topic: TOPIC, epoch: 'k3v9', offset: 45, history: true });

  assert.equal((await subscribed).offset, 45);
  server.publication(TOPIC, 'k3v9', 46, 'a');
  server.publication(TOPIC, 'k3v9', 47, 'b');
  await waitFor(() => publications.length === 2, 'two publications');
  assert.deepEqual(seen(publications), ['k3v9:46 a', 'k3v9:47 b']);
  assert.equal(publications[0].from, 'alice');
  assert.deepEqual(client.topicPosition(TOPIC), { epoch: 'k3v9', offset: 47 });
  assert.deepEqual(client.subscriptions, [TOPIC]);
  assert.deepEqual(states.map(({ state, error }) => [state, error]), [['subscribing', null], ['subscribed', null]]);
});

test('a subscription made before connecting is sent after the welcome', async () => {
  newClient();
  const subscribed = client.subscribe(TOPIC);

  client.connect();
  await server.nextConnection();
  server.welcome();
  server.result(await server.nextReceived('subscribe'), { topic: TOPIC, epoch: 'e1', offset: 0 });

  assert.equal((await subscribed).epoch, 'e1');
});

test('after a reconnect the topic is subscribed again with recover; replayed offsets arrive once, in order',
  async () => {
    await connectAndWelcome();
    const publications = collect(client, 'publication');
    const states = collect(client, 'subscription');
    const failures = collect(client, 'recoveryFailed');
    await subscribeAt(TOPIC, 'e1', 5);
    server.publication(TOPIC, 'e1', 6, 'six');
    server.publication(TOPIC, 'e1', 7, 'seven');
    await waitFor(() => publications.length === 2, 'two publications');

    await reconnect();
    const resubscribe = await server.nextReceived('subscribe');
    assert.deepEqual(resubscribe.recover, { epoch: 'e1', offset: 7 });
    server.publication(TOPIC, 'e1', 10, 'before the reply: dropped');
    server.result(resubscribe, { topic: TOPIC, epoch: 'e1', offset: 9, recovered: true });
    // A replay that overlaps what was delivered, then the missed ones, then live traffic.
    server.publication(TOPIC, 'e1', 6, 'six');
    server.publication(TOPIC, 'e1', 7, 'seven');
    server.publication(TOPIC, 'e1', 8, 'eight');
    server.publication(TOPIC, 'e1', 9, 'nine');
    server.publication(TOPIC, 'e1', 9, 'nine');
    server.publication(TOPIC, 'e1', 10, 'ten');

    await waitFor(() => publications.length === 5, 'five publications');
    assert.deepEqual(seen(publications), ['e1:6 six', 'e1:7 seven', 'e1:8 eight', 'e1:9 nine', 'e1:10 ten']);
    assert.equal(client.stats.publicationDuplicatesSuppressed, 3);
    assert.deepEqual(failures, []);
    assert.deepEqual(states.map(({ state }) => state), ['subscribing', 'subscribed', 'subscribing', 'subscribed']);
  });

test('recovered: false after a reconnect is reported; delivery continues from the server position', async () => {
  await connectAndWelcome();
  const publications = collect(client, 'publication');
  const events = [];
  client.on('recoveryFailed', (failure) => events.push(failure));
  client.on('subscription', ({ state }) => events.push(state));
  await subscribeAt(TOPIC, 'e1', 3);

  await reconnect();
  const resubscribe = await server.nextReceived('subscribe');
  assert.deepEqual(resubscribe.recover, { epoch: 'e1', offset: 3 });
  server.result(resubscribe, { topic: TOPIC, epoch: 'e2', offset: 0, recovered: false, recoveryFailure: 'epoch_changed' });
  server.publication(TOPIC, 'e2', 1, 'fresh');

  await waitFor(() => publications.length === 1, 'a publication');
  assert.deepEqual(seen(publications), ['e2:1 fresh']);
  assert.deepEqual(events.slice(-3), ['subscribing', { topic: TOPIC, reason: 'epoch_changed', epoch: 'e2', offset: 0 },
    'subscribed'], 'the failure is reported before the topic is live again');
  assert.equal(client.stats.recoveryFailures, 1);
});

test('a gap on live traffic re-syncs the topic (unsubscribe, subscribe with recover); the missed ones arrive in order',
  async () => {
    await connectAndWelcome();
    const publications = collect(client, 'publication');
    await subscribeAt(TOPIC, 'e1', 0);
    server.publication(TOPIC, 'e1', 1, 'one');
    server.publication(TOPIC, 'e1', 3, 'three');

    const unsubscribe = await server.nextReceived('unsubscribe');
    const resubscribe = await server.nextReceived('subscribe');
    assert.equal(unsubscribe.topic, TOPIC);
    assert.deepEqual(resubscribe.recover, { epoch: 'e1', offset: 1 });
    server.result(unsubscribe, { topic: TOPIC });
    server.publication(TOPIC, 'e1', 4, 'four, before the reply: dropped');
    server.result(resubscribe, { topic: TOPIC, epoch: 'e1', offset: 4, recovered: true });
    server.publication(TOPIC, 'e1', 2, 'two');
    server.publication(TOPIC, 'e1', 3, 'three');
    server.publication(TOPIC, 'e1', 4, 'four');
    server.publication(TOPIC, 'e1', 5, 'five');

    await waitFor(() => publications.length === 5, 'five publications');
    assert.deepEqual(seen(publications), ['e1:1 one', 'e1:2 two', 'e1:3 three', 'e1:4 four', 'e1:5 five']);
    assert.equal(client.stats.topicGaps, 1);
  });

test('a publication of a new epoch re-syncs the topic and reports the recovery failure', async () => {
  await connectAndWelcome();
  const publications = collect(client, 'publication');
  const failures = collect(client, 'recoveryFailed');
  await subscribeAt(TOPIC, 'e1', 2);
  server.publication(TOPIC, 'e1', 3, 'old');
  server.publication(TOPIC, 'e2', 1, 'new epoch');

  await server.nextReceived('unsubscribe');
  const resubscribe = await server.nextReceived('subscribe');
  assert.deepEqual(resubscribe.recover, { epoch: 'e1', offset: 3 });
  server.result(resubscribe, { topic: TOPIC, epoch: 'e2', offset: 1, recovered: false, recoveryFailure: 'epoch_changed' });
  server.publication(TOPIC, 'e2', 2, 'live');

  await waitFor(() => publications.length === 2, 'two publications');
  assert.deepEqual(seen(publications), ['e1:3 old', 'e2:2 live']);
  assert.deepEqual(failures, [{ topic: TOPIC, reason: 'epoch_changed', epoch: 'e2', offset: 1 }]);
});

test('subscribe recovers from a position the application kept', async () => {
  await connectAndWelcome();
  const failures = collect(client, 'recoveryFailed');

  const subscribed = client.subscribe(TOPIC, { since: { epoch: 'e1', offset: 10 } });
  const subscribe = await server.nextReceived('subscribe');
  server.result(subscribe, { topic: TOPIC, epoch: 'e1', offset: 30, recovered: false, recoveryFailure: 'gap_too_large' });

  assert.deepEqual(subscribe.recover, { epoch: 'e1', offset: 10 });
  assert.equal((await subscribed).recovered, false);
  assert.deepEqual(failures, [{ topic: TOPIC, reason: 'gap_too_large', epoch: 'e1', offset: 30 }]);
  assert.deepEqual(client.topicPosition(TOPIC), { epoch: 'e1', offset: 30 });
});

test('a refused subscribe rejects with the code and ends the subscription', async () => {
  await connectAndWelcome();
  const states = collect(client, 'subscription');
  const errors = collect(client, 'error');

  const forbidden = client.subscribe('secret');
  server.error(await server.nextReceived('subscribe'), 'forbidden');
  const overLimit = client.subscribe('one.too.many');
  server.error(await server.nextReceived('subscribe'), 'subscription_limit');

  await assert.rejects(forbidden, (error) => error instanceof SwitchboardError && error.code === 'forbidden');
  await assert.rejects(overLimit, (error) => error.code === 'subscription_limit');
  assert.deepEqual(states.filter(({ state }) => state === 'unsubscribed').map(({ topic, error }) => `${topic} ${error.code}`),
    ['secret forbidden', 'one.too.many subscription_limit']);
  assert.deepEqual(client.subscriptions, []);
  assert.deepEqual(errors, [], 'the refusals went to the promises');
});

test('a subscribe refused with rate_limited is sent again', async () => {
  await connectAndWelcome();

  const subscribed = client.subscribe(TOPIC);
  server.error(await server.nextReceived('subscribe'), 'rate_limited');
  server.result(await server.nextReceived('subscribe'), { topic: TOPIC, epoch: 'e1', offset: 0 });

  assert.equal((await subscribed).topic, TOPIC);
});

test('unsubscribe stops delivery at once and the topic is not subscribed again after a reconnect', async () => {
  await connectAndWelcome();
  const publications = collect(client, 'publication');
  await subscribeAt(TOPIC, 'e1', 0);
  await subscribeAt('other', 'e1', 0);

  const unsubscribed = client.unsubscribe(TOPIC);
  const unsubscribe = await server.nextReceived('unsubscribe');
  server.publication(TOPIC, 'e1', 1, 'after unsubscribe');
  server.result(unsubscribe, { topic: TOPIC });
  assert.deepEqual(await unsubscribed, { topic: TOPIC });
  await reconnect();

  assert.equal((await server.nextReceived('subscribe')).topic, 'other');
  assert.deepEqual(publications, []);
  assert.deepEqual(client.subscriptions, ['other']);
});

test('publish resolves with the offset or rejects with the server code', async () => {
  await connectAndWelcome();

  const published = client.publish(TOPIC, [1, 2]);
  const publish = await server.nextReceived('publish');
  server.result(publish, { topic: TOPIC, epoch: 'e1', offset: 46 });
  const refused = client.publish('readonly', 'x');
  server.error(await server.nextReceived('publish'), 'forbidden');

  assert.equal(publish.topic, TOPIC);
  assert.deepEqual(publish.data, [1, 2]);
  assert.equal((await published).offset, 46);
  await assert.rejects(refused, (error) => error.code === 'forbidden');
});

test('presence events are surfaced', async () => {
  await connectAndWelcome();
  const presence = collect(client, 'presence');

  server.send({ type: 'presence', user: 'bob', online: true });
  server.send({ type: 'presence', user: 'bob', online: false });

  await waitFor(() => presence.length === 2, 'two presence events');
  assert.deepEqual(presence, [{ user: 'bob', online: true }, { user: 'bob', online: false }]);
});

test('close code 4004 (banned) is terminal: no reconnect, subscriptions and sends end', async () => {
  await connectAndWelcome();
  const states = collect(client, 'subscription');
  const pending = client.subscribe(TOPIC);
  await server.nextReceived('subscribe');
  const send = client.send({ kind: 'user', id: 'bob' }, 'hi');
  await server.nextReceived('send');

  const closedEvent = nextEvent(client, 'closed');
  const closedState = nextState(client, 'closed');
  server.close(4004, 'banned: spam');

  assert.equal((await closedEvent).code, 4004);
  await closedState;
  await assert.rejects(pending, (error) => error.closeCode === 4004);
  await assert.rejects(send, (error) => error.closeCode === 4004);
  assert.deepEqual(states.at(-1), { topic: TOPIC, state: 'unsubscribed', error: states.at(-1).error });
  assert.equal(states.at(-1).error.closeCode, 4004);
  assert.equal(client.stats.reconnects, 0);
});
