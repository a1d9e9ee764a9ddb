// Files through a real server (PROTOCOL.md section 11): an upload of several chunks sent as a message,
// the recipient's download over HTTP with the same bytes, 404 for anyone else, refusals of a fileId
// that is not a complete upload of the sender, an upload that survives a connection dropped while a
// chunk was on the wire, an aborted upload cancelled on the server (upload.cancel: needs a jar that has
// it), and fetchFile signed in with a token in an Authorization header. One server for the file, which
// takes tokens as well as development mode's ?user=; every test uses its own users.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { SwitchboardClient, SwitchboardError } from '../src/switchboard.js';
import { TestServer } from './server.js';
import { connectAndSync, mintToken, nextEvent, uniqueId } from './wait.js';

/** Over three chunks at the server's default chunkBytes (64512). */
const FILE_BYTES = 200 * 1024;
const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
/** Few, so that an upload left open shows: a user's next upload.start past them gets upload_limit. */
const MAX_OPEN_UPLOADS = 2;
/** How often a test asks the server whether a cancelled upload is gone. */
const POLL_MS = 100;

let server;
const clients = [];

before(async () => {
  server = await TestServer.start({
    env: { SWITCHBOARD_AUTH_JWT_SECRET: SECRET, SWITCHBOARD_FILES_MAX_OPEN_UPLOADS: String(MAX_OPEN_UPLOADS) },
  });
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

const online = (options) => connectAndSync(newClient(options));

const user = (id) => ({ kind: 'user', id });

/** The body of a download, as bytes. */
async function download(url, headers = {}) {
  const response = await fetch(url, { headers });
  return { response, bytes: new Uint8Array(await response.arrayBuffer()) };
}

/** A token function for `userId`, as an application's would be: a fresh token for an hour each time. */
const tokensFor = (userId) => () => mintToken(SECRET, { sub: userId, exp: Math.floor(Date.now() / 1000) + 3600 });

/**
 * A WebSocket class that records what the client sends (text frames parsed, chunks as {chunk: n}) and
 * drops the connection right after the `dropAtChunk`th chunk has been written to the socket: the
 * server gets it, but its reply is lost with the connection. null: it never drops one.
 */
function droppingWebSocket(dropAtChunk) {
  const gate = { sent: [], chunks: 0, sockets: [] };
  gate.Class = class DroppingWebSocket extends WebSocket {
    constructor(...args) {
      super(...args);
      gate.sockets.push(this);
    }

    send(data, ...rest) {
      if (typeof data === 'string') {
        gate.sent.push(JSON.parse(data));
        super.send(data, ...rest);
        return;
      }
      gate.chunks++;
      gate.sent.push({ chunk: gate.chunks });
      if (gate.chunks !== dropAtChunk) {
        super.send(data, ...rest);
        return;
      }
      super.send(data, () => this.terminate());
    }
  };
  return gate;
}

test('a file of several chunks is sent to bob, who downloads the same bytes; others get 404', { timeout: 30_000 },
  async () => {
    const [aliceId, bobId, carolId] = ['alice', 'bob', 'carol'].map(uniqueId);
    const alice = await online({ user: aliceId });
    const bob = await online({ user: bobId });
    const carol = await online({ user: carolId });
    const content = new Uint8Array(randomBytes(FILE_BYTES));

    const progress = [];
    const file = await alice.uploadFile(content, {
      name: 'report 2026.bin', contentType: 'application/x-test', onProgress: (offset, size) => progress.push([offset, size]),
    });
    assert.match(file.id, /^f-[0-9a-f]{32}$/);
    assert.deepEqual({ ...file, id: null }, { id: null, name: 'report 2026.bin', size: FILE_BYTES, contentType: 'application/x-test' });
    assert.ok(progress.length >= 5, `start and at least four chunks: ${JSON.stringify(progress)}`);
    assert.deepEqual(progress.at(-1), [FILE_BYTES, FILE_BYTES]);
    assert.ok(progress.every(([offset], index) => index === 0 || offset > progress[index - 1][0]), 'progress only grows');

    const atBob = nextEvent(bob, 'message');
    const receipt = await alice.send(user(bobId), 'the report', { fileId: file.id });
    const message = await atBob;
    assert.equal(message.id, receipt.id);
    assert.equal(message.body, 'the report');
    assert.deepEqual(message.file, file);

    const { response, bytes } = await download(bob.fileUrl(message.file.id));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/x-test');
    assert.equal(response.headers.get('content-length'), String(FILE_BYTES));
    assert.match(response.headers.get('content-disposition') ?? '', /^attachment/);
    assert.ok(Buffer.from(bytes).equals(Buffer.from(content)), 'bob downloads the bytes alice uploaded');
    const own = await download(alice.fileUrl(file.id));
    assert.equal(own.response.status, 200, 'the uploader may download too');

    const ranged = await download(bob.fileUrl(file.id), { Range: 'bytes=1000-' });
    assert.equal(ranged.response.status, 206);
    assert.equal(ranged.response.headers.get('content-range'), `bytes 1000-${FILE_BYTES - 1}/${FILE_BYTES}`);
    assert.ok(Buffer.from(ranged.bytes).equals(Buffer.from(content.subarray(1000))));

    assert.equal((await download(carol.fileUrl(file.id))).response.status, 404, 'not a recipient');
    assert.equal((await download(carol.fileUrl(`f-${'0'.repeat(32)}`))).response.status, 404, 'no such file');
    const anonymous = new URL(bob.fileUrl(file.id));
    anonymous.search = '';
    assert.equal((await download(anonymous)).response.status, 401, 'no credential');
  });

test('send refuses a fileId that is not a complete upload of the sender', { timeout: 20_000 }, async () => {
  const [aliceId, bobId] = ['alice', 'bob'].map(uniqueId);
  const alice = await online({ user: aliceId });
  const bob = await online({ user: bobId });

  const incomplete = await alice.request('upload.start', { name: 'half.bin', size: 10 });
  assert.equal(incomplete.offset, 0);
  assert.equal(incomplete.complete, false);
  assert.equal(incomplete.contentType, 'application/octet-stream', 'the default type');
  await assert.rejects(alice.send(user(bobId), null, { fileId: incomplete.fileId }), { code: 'file_incomplete' });
  await assert.rejects(alice.send(user(bobId), null, { fileId: `f-${'0'.repeat(32)}` }), { code: 'file_not_found' });

  const file = await alice.uploadFile(new Uint8Array([1, 2, 3]), { name: 'three.bin' });
  await assert.rejects(bob.send(user(aliceId), null, { fileId: file.id }),
    (error) => error instanceof SwitchboardError && error.code === 'file_not_found', 'only the uploader may send it');
  await assert.rejects(alice.uploadFile(new Uint8Array(17 * 1024 * 1024), { name: 'huge.bin' }), { code: 'file_too_large' });
});

test('an upload survives a connection dropped with a chunk on the wire: upload.status, then the rest',
  { timeout: 30_000 }, async () => {
    const [aliceId, bobId] = ['alice', 'bob'].map(uniqueId);
    const gate = droppingWebSocket(2);
    const alice = await online({ user: aliceId, WebSocket: gate.Class });
    const bob = await online({ user: bobId });
    const content = new Uint8Array(randomBytes(5 * 64 * 1024));

    const file = await alice.uploadFile(new Blob([content]), { name: 'resumed.bin' });

    assert.ok(alice.stats.reconnects >= 1, 'the connection was dropped and made again');
    assert.ok(gate.sockets.length >= 2);
    const statusAt = gate.sent.findIndex((frame) => frame.type === 'upload.status');
    assert.ok(statusAt > gate.sent.findIndex((frame) => frame.chunk === 2), 'upload.status after the dropped chunk');
    assert.equal(gate.sent[statusAt].fileId, file.id);
    assert.equal(file.size, content.length);

    const atBob = nextEvent(bob, 'message');
    await alice.send(user(bobId), null, { fileId: file.id });
    const { response, bytes } = await download(bob.fileUrl((await atBob).file.id));
    assert.equal(response.status, 200);
    assert.ok(Buffer.from(bytes).equals(Buffer.from(content)), 'the resumed upload has every byte once, in order');
  });

test('an aborted upload is cancelled on the server: its place among files.maxOpenUploads is free again',
  { timeout: 30_000 }, async () => {
    const aliceId = uniqueId('alice');
    const gate = droppingWebSocket(null);
    const alice = await online({ user: aliceId, WebSocket: gate.Class });
    const held = await alice.request('upload.start', { name: 'held.bin', size: 10 });
    const controller = new AbortController();

    // The second of the MAX_OPEN_UPLOADS, aborted once its first chunk is stored.
    const aborted = alice.uploadFile(new Uint8Array(randomBytes(FILE_BYTES)), {
      name: 'aborted.bin', signal: controller.signal, onProgress: (offset) => offset > 0 && controller.abort(),
    });
    await assert.rejects(aborted, { name: 'AbortError' });
    const cancel = gate.sent.find((frame) => frame.type === 'upload.cancel');
    assert.ok(cancel, `upload.cancel sent: ${JSON.stringify(gate.sent.map((frame) => frame.type ?? 'chunk'))}`);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const gone = await alice.request('upload.status', { fileId: cancel.fileId })
        .then(() => false, (error) => error.code === 'file_not_found');
      if (gone) {
        break;
      }
      assert.ok(Date.now() < deadline, 'the aborted upload is still open: does the server jar know upload.cancel?');
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }

    const next = await alice.uploadFile(new Uint8Array([1, 2, 3]), { name: 'next.bin' });
    assert.equal(next.size, 3, 'the cancelled upload\'s place was free for another');
    assert.deepEqual(await alice.request('upload.cancel', { fileId: held.fileId }),
      { fileId: held.fileId, cancelled: true });
    await assert.rejects(alice.request('upload.cancel', { fileId: next.id }), { code: 'invalid_field' },
      'a complete file is kept');
  });

test('fetchFile signs in with an Authorization header: the same bytes for bob, 404 for carol; no token, 401',
  { timeout: 20_000 }, async () => {
    const [aliceId, bobId, carolId] = ['alice', 'bob', 'carol'].map(uniqueId);
    const alice = await online({ token: tokensFor(aliceId) });
    const bob = await online({ token: tokensFor(bobId) });
    const carol = await online({ token: tokensFor(carolId) });
    const content = new Uint8Array(randomBytes(1000));
    const file = await alice.uploadFile(content, { name: 'minutes.txt', contentType: 'text/plain' });
    const atBob = nextEvent(bob, 'message');
    await alice.send(user(bobId), null, { fileId: file.id });
    assert.deepEqual((await atBob).file, file);

    const response = await bob.fetchFile(file.id);
    assert.equal(response.status, 200);
    assert.ok(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(content)));
    const ranged = await bob.fetchFile(file.id, { headers: { Range: 'bytes=990-' } });
    assert.equal(ranged.status, 206);
    assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(Buffer.from(content.subarray(990))));
    await assert.rejects(carol.fetchFile(file.id), (error) => error instanceof SwitchboardError && error.httpStatus === 404);

    const withoutSignIn = bob.fileUrl(file.id, { signIn: false });
    assert.doesNotMatch(withoutSignIn, /token=|user=/);
    assert.equal((await download(withoutSignIn)).response.status, 401);
    assert.equal((await download(bob.fileUrl(file.id))).response.status, 200, 'fileUrl() carries the token');
  });
