// Authentication against a server with a JWT secret: the token provider is asked before every connect,
// an expired token (close 4001) leads to an immediate reconnect with a fresh one, and a refused
// handshake (HTTP 401, visible with the ws package) ends the client after one retry with a fresh token.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SwitchboardClient, SwitchboardError } from '../src/switchboard.js';
import { TestServer } from './server.js';
import { collect, connectAndSync, mintToken, nextEvent, nextState, uniqueId } from './wait.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
/** The server accepts tokens up to 60 s past `exp` (clock skew) and closes with 4001 at that point. */
const CLOCK_SKEW_SECONDS = 60;

let server;
const clients = [];

before(async () => {
  server = await TestServer.start({ env: { SWITCHBOARD_AUTH_JWT_SECRET: SECRET } });
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

const nowSeconds = () => Math.floor(Date.now() / 1000);

test('the token provider is asked before every connect; an expired token reconnects at once', { timeout: 20_000 },
  async () => {
    const alice = uniqueId('alice');
    let calls = 0;
    const client = newClient({
      // First a token that is about to expire (the server closes with 4001 within 2-3 s), then good ones.
      token: async () => {
        calls++;
        const exp = calls === 1 ? nowSeconds() - CLOCK_SKEW_SECONDS + 3 : nowSeconds() + 3600;
        return mintToken(SECRET, { sub: alice, device: 'laptop', exp });
      },
    });
    const welcomes = collect(client, 'welcome');
    const states = collect(client, 'state');
    const closed = nextEvent(client, 'closed');
    const secondWelcome = nextEvent(client, 'welcome', () => welcomes.length === 2, 10_000);
    await connectAndSync(client);
    assert.equal(client.userId, alice);
    assert.equal(client.deviceId, 'laptop', 'the token\'s device claim');

    assert.equal((await closed).code, 4001);
    await secondWelcome;
    assert.equal(calls, 2, 'one token per connect');
    const reconnecting = states.find((change) => change.state === 'reconnecting');
    assert.equal(reconnecting.retryInMs, 0, 'an expired token is replaced at once, without backoff');
    assert.equal(client.state, 'connected');
    await client.ping();
  });

test('a refused token is retried once with a fresh one, then the client stops with the HTTP status',
  { timeout: 20_000 }, async () => {
    let calls = 0;
    const client = newClient({
      token: () => {
        calls++;
        return mintToken('not-the-server-secret-but-32-bytes-long', { sub: 'mallory', exp: nowSeconds() + 3600 });
      },
    });
    const error = nextEvent(client, 'error', (value) => value.httpStatus !== null);
    const closed = nextState(client, 'closed');
    const pending = client.send({ kind: 'user', id: 'mallory' }, 'never stored');
    client.connect();
    const refusal = await error;
    assert.ok(refusal instanceof SwitchboardError);
    assert.equal(refusal.httpStatus, 401);
    await closed;
    assert.equal(calls, 2, 'a fresh token was tried once');
    await assert.rejects(pending, { httpStatus: 401 });
  });

test('a static token that is refused stops the client at once', { timeout: 20_000 }, async () => {
  const client = newClient({ token: 'not.a.jwt' });
  const states = collect(client, 'state');
  const error = nextEvent(client, 'error');
  client.connect();
  assert.equal((await error).httpStatus, 401);
  assert.deepEqual(states.map((change) => change.state), ['connecting', 'closed']);
});

test('a failing token provider is reported and asked again after a backoff', { timeout: 20_000 }, async () => {
  const alice = uniqueId('alice');
  let calls = 0;
  const client = newClient({
    token: () => {
      calls++;
      if (calls === 1) {
        throw new Error('identity service unavailable');
      }
      return mintToken(SECRET, { sub: alice, exp: nowSeconds() + 3600 });
    },
  });
  const error = nextEvent(client, 'error');
  const connected = nextState(client, 'connected');
  client.connect();
  assert.match((await error).message, /identity service unavailable/);
  await connected;
  assert.equal(calls, 2);
});
