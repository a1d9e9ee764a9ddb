// Messaging through a real server: 1:1 and group delivery, offline replay, idempotent resend, kick,
// local and server-side refusals, presence. One server for the file; every test uses its own users.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SwitchboardClient, SwitchboardError } from '../src/switchboard.js';
import { TestServer } from './server.js';
import { collect, connectAndSync, nextEvent, nextState, uniqueId, waitFor } from './wait.js';

let server;
const clients = [];

before(async () => {
  server = await TestServer.start();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

after(async () => {
  await server?.close();
});

function newClient(options) {
  const client = new SwitchboardClient({ url: server.url, WebSocket, backoffBaseMs: 50, backoffMaxMs: 200, ...options });
  clients.push(client);
  return client;
}

function online(options) {
  return connectAndSync(newClient(options));
}

const user = (id) => ({ kind: 'user', id });

test('1:1 message reaches the recipient, the sending device and the sender\'s other device', { timeout: 20_000 },
  async () => {
    const alice = uniqueId('alice');
    const bob = uniqueId('bob');
    const phone = await online({ user: alice, deviceId: 'phone' });
    const laptop = await online({ user: alice, deviceId: 'laptop' });
    const web = await online({ user: bob, deviceId: 'web' });
    assert.equal(phone.userId, alice);
    assert.equal(phone.deviceId, 'phone');
    assert.equal(phone.state, 'connected');

    const atBob = nextEvent(web, 'message');
    const atLaptop = nextEvent(laptop, 'message');
    const atPhone = nextEvent(phone, 'message');
    const sending = phone.send(user(bob), { text: 'hi' });
    assert.equal(typeof sending.clientId, 'string', 'the promise carries its clientId at once');
    const receipt = await sending;
    assert.equal(receipt.clientId, sending.clientId);
    assert.equal(receipt.duplicate, false);
    assert.ok(receipt.id > 0 && receipt.seq > 0 && receipt.ts > 0, JSON.stringify(receipt));

    const received = await atBob;
    assert.deepEqual(received.body, { text: 'hi' });
    assert.equal(received.from, alice);
    assert.equal(received.fromDevice, 'phone');
    assert.deepEqual(received.to, user(bob));
    assert.equal(received.clientId, sending.clientId);
    assert.equal(received.id, receipt.id);
    assert.equal(received.conversation, alice, 'a 1:1 message from someone else belongs to the sender');
    assert.equal((await atLaptop).conversation, bob, 'my own 1:1 message belongs to its recipient');
    const own = await atPhone;
    assert.equal(own.seq, receipt.seq, 'the sending device gets its own copy at the receipt\'s seq');

    const reply = nextEvent(phone, 'message', (message) => message.from === bob);
    await web.send(user(alice), 'hello back');
    assert.equal((await reply).conversation, bob);
    assert.equal(phone.stats.delivered, 2);
  });

test('group create, fan-out to every member, and refusal for non-members', { timeout: 20_000 }, async () => {
  const [alice, bob, carol, dave] = ['alice', 'bob', 'carol', 'dave'].map(uniqueId);
  const groupId = uniqueId('team');
  const aliceClient = await online({ user: alice });
  const bobClient = await online({ user: bob });
  const carolClient = await online({ user: carol });
  const daveClient = await online({ user: dave });

  const created = await aliceClient.createGroup({ groupId, name: 'Team', members: [bob, carol] });
  assert.equal(created.groupId, groupId);
  assert.equal(created.name, 'Team');
  assert.deepEqual([...created.members].sort(), [alice, bob, carol].sort());
  const listed = await carolClient.listGroups();
  assert.ok(listed.groups.some((group) => group.groupId === groupId), JSON.stringify(listed));
  const members = await bobClient.groupMembers(groupId);
  assert.deepEqual([...members.members].sort(), [alice, bob, carol].sort());

  const arrivals = [aliceClient, bobClient, carolClient].map((client) => nextEvent(client, 'message'));
  await bobClient.send({ kind: 'group', id: groupId }, 'hello team');
  for (const message of await Promise.all(arrivals)) {
    assert.equal(message.body, 'hello team');
    assert.deepEqual(message.to, { kind: 'group', id: groupId });
    assert.equal(message.conversation, groupId);
  }

  await assert.rejects(daveClient.send({ kind: 'group', id: groupId }, 'let me in'),
    (error) => error instanceof SwitchboardError && error.code === 'not_group_member');
  await assert.rejects(daveClient.groupMembers(groupId), { code: 'not_group_member' });
  const joined = await daveClient.joinGroup(groupId);
  assert.ok(joined.members.includes(dave));
  const left = await daveClient.leaveGroup(groupId);
  assert.ok(!left.members.includes(dave));
});

test('offline messages arrive after connecting: whole history, then from the device cursor', { timeout: 20_000 },
  async () => {
    const alice = uniqueId('alice');
    const bob = uniqueId('bob');
    const sender = await online({ user: alice });
    for (const text of ['one', 'two', 'three']) {
      await sender.send(user(bob), text);
    }

    const first = newClient({ user: bob, deviceId: 'tablet', initialAfterSeq: 0 });
    const firstBodies = collect(first, 'message');
    await connectAndSync(first);
    assert.deepEqual(firstBodies.map((message) => message.body), ['one', 'two', 'three']);
    assert.deepEqual(firstBodies.map((message) => message.seq), [1, 2, 3]);
    assert.equal(first.lastSeq, 3);
    await first.close(); // flushes the ack: the device cursor is 3

    for (const text of ['four', 'five']) {
      await sender.send(user(bob), text);
    }
    const second = newClient({ user: bob, deviceId: 'tablet' });
    const secondBodies = collect(second, 'message');
    await connectAndSync(second);
    assert.deepEqual(secondBodies.map((message) => message.body), ['four', 'five'],
      'a client without initialAfterSeq continues from its device cursor');
    assert.equal(second.lastSeq, 5);
  });

test('a resend with the same clientId is stored once and confirmed as a duplicate', { timeout: 20_000 }, async () => {
  const alice = uniqueId('alice');
  const bob = uniqueId('bob');
  const sender = await online({ user: alice });
  const recipient = await online({ user: bob });
  const received = collect(recipient, 'message');

  const clientId = uniqueId('fixed');
  const original = await sender.send(user(bob), 'once', { clientId });
  const again = await sender.send(user(bob), 'once', { clientId });
  assert.equal(original.duplicate, false);
  assert.equal(again.duplicate, true);
  assert.equal(again.id, original.id);
  assert.equal(again.seq, original.seq);

  await sender.send(user(bob), 'marker');
  await waitFor(() => received.some((message) => message.body === 'marker'), 'the marker message');
  assert.deepEqual(received.map((message) => message.body), ['once', 'marker']);
});

test('a second connection of the same device kicks the first, which stops for good', { timeout: 20_000 }, async () => {
  const alice = uniqueId('alice');
  const first = await online({ user: alice, deviceId: 'desk' });
  const states = collect(first, 'state');
  const kicked = nextEvent(first, 'kicked');
  const closedEvent = nextEvent(first, 'closed');
  const closedState = nextState(first, 'closed');

  const second = await online({ user: alice, deviceId: 'desk' });
  assert.equal(typeof (await kicked).reason, 'string');
  assert.equal((await closedEvent).code, 4003);
  await closedState;
  await assert.rejects(first.send(user(alice), 'too late'), SwitchboardError);
  await assert.rejects(first.ping(), SwitchboardError);
  first.connect(); // no effect once closed

  // Observation window for the absence of a reconnect: well past the largest backoff delay (200 ms).
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.deepEqual(states.map((change) => change.state), ['closed']);
  assert.equal(first.state, 'closed');
  assert.equal(second.state, 'connected');
  await second.ping();
});

test('requests fail fast while not connected; sends queue and go out after connecting', { timeout: 20_000 },
  async () => {
    const alice = uniqueId('alice');
    const client = newClient({ user: alice });
    await assert.rejects(client.listGroups(), (error) => error instanceof SwitchboardError && error.code === null);
    const queued = client.send(user(alice), 'queued while idle');
    assert.deepEqual(client.pendingSends, [{ clientId: queued.clientId, to: user(alice), body: 'queued while idle' }]);
    const own = nextEvent(client, 'message');
    client.connect();
    const receipt = await queued;
    assert.equal((await own).seq, receipt.seq);
    assert.deepEqual(client.pendingSends, []);

    const neverConnected = newClient({ user: alice });
    const doomed = neverConnected.send(user(alice), 'never sent');
    await neverConnected.close();
    await assert.rejects(doomed, /client is closed/);
    assert.equal(neverConnected.state, 'closed');
  });

test('oversized sends fail with payload_too_large and the connection stays up', { timeout: 20_000 }, async () => {
  const alice = uniqueId('alice');
  const client = await online({ user: alice });
  assert.equal(await client.request('ping'), null, 'a pong carries no data');

  // Larger than maxMessageBytes (64 KiB): refused locally, never written (the server would close with 1009).
  await assert.rejects(client.send(user(alice), 'x'.repeat(70_000)), { code: 'payload_too_large' });
  // Larger than maxBodyBytes (16 KiB) only: refused by the server with an error reply.
  await assert.rejects(client.send(user(alice), 'x'.repeat(20_000)), { code: 'payload_too_large' });
  await assert.rejects(client.request('no.such.type'), { code: 'unknown_type' });
  assert.equal(client.state, 'connected');
  await client.ping();
  assert.equal(client.stats.reconnects, 0);
});

// Last: presence.query is the newest request type.
test('presence tells which users are online', { timeout: 20_000 }, async () => {
  const alice = uniqueId('alice');
  const bob = uniqueId('bob');
  const nobody = uniqueId('nobody');
  const client = await online({ user: alice });
  await online({ user: bob });
  const answer = await client.presence([bob, nobody]);
  assert.deepEqual(answer, { online: { [bob]: true, [nobody]: false } });
});
