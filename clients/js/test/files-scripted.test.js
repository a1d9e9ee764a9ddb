// File uploads against a scripted server (fake-server.js), for what a real server cannot be made to do
// on demand (PROTOCOL.md section 11): a chunk reply lost with the connection while the chunk was
// stored, upload_offset, refusals of every kind, a small maxMessageBytes. Also the exact binary layout
// of a chunk, one chunk on the wire at a time, pacing, send's fileId and an inbound message's file.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SwitchboardClient, SwitchboardError } from '../src/switchboard.js';
import { FakeServer } from './fake-server.js';
import { collect, nextState, waitFor } from './wait.js';

const FILE_ID = `f-${'0123456789abcdef'.repeat(2)}`;
/** How long a test watches for a second chunk that must not come before the first one's reply. */
const OBSERVATION_MS = 100;

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

function newClient(options) {
  client = new SwitchboardClient({
    url: server.url, WebSocket, user: 'alice', deviceId: 'phone', backoffBaseMs: 10, backoffMaxMs: 50, ...options,
  });
  return client;
}

/** Connects a new client and welcomes it with the welcome's fields overridden by `welcome`. */
async function connectAndWelcome(welcome = {}, options = {}) {
  newClient(options);
  const connected = nextState(client, 'connected');
  client.connect();
  await server.nextConnection();
  server.send({ ...server.welcomeMessage(), ...welcome });
  await connected;
}

/** Closes the connection like a server restart and welcomes the reconnect. */
async function reconnect() {
  server.close(1012, 'restart');
  await server.nextConnection();
  server.welcome();
}

/** `size` bytes 0, 1, 2 … (mod 256). */
function bytes(size) {
  return Uint8Array.from({ length: size }, (unused, index) => index % 256);
}

/** A chunk frame taken apart: [n: uint16 big-endian][n bytes of JSON header][data]. */
function parseChunk(frame) {
  const headerLength = (frame[0] << 8) | frame[1];
  const headerText = new TextDecoder('utf-8', { fatal: true }).decode(frame.subarray(2, 2 + headerLength));
  return { headerLength, headerText, header: JSON.parse(headerText), data: frame.subarray(2 + headerLength) };
}

async function nextChunk() {
  return parseChunk(await server.nextBinary());
}

/** Answers an upload.start, upload.status or chunk (its header for a chunk) with the upload at `offset`. */
function uploadResult(request, { size, offset, chunkBytes = 4, fileId = FILE_ID, name = 'notes.txt',
  contentType = 'text/plain' }) {
  server.result(request, { fileId, name, size, contentType, offset, chunkBytes, complete: offset === size });
}

/** Answers a chunk with the offset just past its data. */
function acknowledge(chunk, size, options = {}) {
  uploadResult(chunk.header, { size, offset: chunk.header.offset + chunk.data.length, ...options });
}

const observe = () => new Promise((resolve) => setTimeout(resolve, OBSERVATION_MS));

test('upload.start, then chunks in the binary layout of section 11, one at a time; resolves with the file',
  async () => {
    await connectAndWelcome();
    const progress = [];
    const uploading = client.uploadFile(bytes(10), {
      name: 'notes.txt', contentType: 'text/plain', onProgress: (offset, size) => progress.push([offset, size]),
    });

    const start = await server.nextReceived('upload.start');
    assert.deepEqual({ ...start, ref: undefined, clientId: undefined }, {
      type: 'upload.start', ref: undefined, clientId: undefined, name: 'notes.txt', size: 10, contentType: 'text/plain',
    });
    assert.equal(typeof start.ref, 'string');
    assert.match(start.clientId, /^[0-9a-f-]{36}$/, 'a key for the upload, made by the client');
    uploadResult(start, { size: 10, offset: 0 });

    const frame = await server.nextBinary();
    const first = parseChunk(frame);
    assert.equal(first.headerText,
      `{"type":"upload.chunk","ref":${JSON.stringify(first.header.ref)},"fileId":"${FILE_ID}","offset":0}`);
    assert.equal(frame.length, 2 + first.headerLength + 4, 'length prefix, header, 4 bytes of data');
    assert.ok(first.headerLength >= 1 && first.headerLength <= 1024);
    assert.deepEqual([...first.data], [0, 1, 2, 3]);
    assert.notEqual(first.header.ref, start.ref, 'every chunk has a ref of its own');

    await observe();
    assert.equal(server.binaryFramesWaiting, 0, 'no second chunk before the first one\'s reply');
    acknowledge(first, 10);
    const second = await nextChunk();
    assert.equal(second.header.offset, 4);
    assert.deepEqual([...second.data], [4, 5, 6, 7]);
    await observe();
    assert.equal(server.binaryFramesWaiting, 0, 'no third chunk before the second one\'s reply');
    acknowledge(second, 10);
    const last = await nextChunk();
    assert.equal(last.header.offset, 8);
    assert.deepEqual([...last.data], [8, 9], 'the last chunk carries what is left');
    acknowledge(last, 10);

    assert.deepEqual(await uploading, { id: FILE_ID, name: 'notes.txt', size: 10, contentType: 'text/plain' });
    assert.deepEqual(progress, [[0, 10], [4, 10], [8, 10], [10, 10]]);
  });

test('a File is read a chunk at a time; its name and type are the defaults', async () => {
  await connectAndWelcome();
  const content = bytes(7);
  const uploading = client.uploadFile(new File([content], 'photo.png', { type: 'image/png' }));

  const start = await server.nextReceived('upload.start');
  assert.equal(start.name, 'photo.png');
  assert.equal(start.contentType, 'image/png');
  uploadResult(start, { size: 7, offset: 0, chunkBytes: 3, name: 'photo.png', contentType: 'image/png' });
  const received = [];
  for (let chunk = await nextChunk(); ; chunk = await nextChunk()) {
    received.push(...chunk.data);
    assert.ok(chunk.data.length <= 3, `a chunk of ${chunk.data.length} bytes`);
    acknowledge(chunk, 7, { chunkBytes: 3, name: 'photo.png', contentType: 'image/png' });
    if (chunk.header.offset + chunk.data.length === 7) {
      break;
    }
  }

  assert.deepEqual(received, [...content]);
  assert.deepEqual(await uploading, { id: FILE_ID, name: 'photo.png', size: 7, contentType: 'image/png' });
});

test('chunks are cut to fit the server\'s maxMessageBytes when chunkBytes would not', async () => {
  await connectAndWelcome({ maxMessageBytes: 200 });
  const content = bytes(500);
  const uploading = client.uploadFile(content, { name: 'big.bin' });

  const start = await server.nextReceived('upload.start');
  assert.equal(start.contentType, undefined, 'no type: the server\'s default applies');
  uploadResult(start, { size: 500, offset: 0, chunkBytes: 1000 });
  const received = [];
  while (received.length < 500) {
    const frame = await server.nextBinary();
    assert.ok(frame.length <= 200, `a frame of ${frame.length} bytes`);
    const chunk = parseChunk(frame);
    assert.equal(chunk.header.offset, received.length);
    received.push(...chunk.data);
    acknowledge(chunk, 500, { chunkBytes: 1000 });
  }

  assert.deepEqual(received, [...content]);
  assert.equal((await uploading).size, 500);
});

test('a dropped connection: upload.status after the next welcome, then chunks from the offset the server reports',
  async () => {
    await connectAndWelcome();
    const progress = [];
    const uploading = client.uploadFile(bytes(12), { name: 'notes.txt', onProgress: (offset) => progress.push(offset) });
    uploadResult(await server.nextReceived('upload.start'), { size: 12, offset: 0 });
    acknowledge(await nextChunk(), 12);
    const unanswered = await nextChunk();
    assert.equal(unanswered.header.offset, 4);

    // The server stored the chunk at 4, but its reply is lost with the connection.
    await reconnect();
    const status = await server.nextReceived('upload.status');
    assert.equal(status.fileId, FILE_ID);
    uploadResult(status, { size: 12, offset: 8 });
    const resumed = await nextChunk();
    assert.equal(resumed.header.offset, 8, 'the client goes on from the server\'s offset, past the one it saw confirmed');
    assert.deepEqual([...resumed.data], [8, 9, 10, 11]);
    acknowledge(resumed, 12);

    assert.equal((await uploading).id, FILE_ID);
    assert.deepEqual(progress, [0, 4, 8, 12]);
    assert.equal(server.binaryFramesWaiting, 0);
  });

test('an upload made while disconnected starts after the welcome; an upload.start lost with the connection is sent again',
  async () => {
    newClient();
    const uploading = client.uploadFile(bytes(3), { name: 'early.txt' });
    client.connect();
    await server.nextConnection();
    server.welcome();
    const lost = await server.nextReceived('upload.start');

    await reconnect();
    const again = await server.nextReceived('upload.start');
    assert.equal(again.name, 'early.txt');
    assert.notEqual(again.ref, lost.ref);
    assert.equal(again.clientId, lost.clientId, 'the same key: the server answers the upload it may have started');
    uploadResult(again, { size: 3, offset: 0 });
    acknowledge(await nextChunk(), 3);

    assert.equal((await uploading).size, 3);
  });

test('upload_offset: the client asks upload.status and goes on from its offset', async () => {
  await connectAndWelcome();
  const uploading = client.uploadFile(bytes(12), { name: 'notes.txt' });
  uploadResult(await server.nextReceived('upload.start'), { size: 12, offset: 0 });
  acknowledge(await nextChunk(), 12);

  const refused = await nextChunk();
  server.error(refused.header, 'upload_offset');
  const status = await server.nextReceived('upload.status');
  assert.equal(status.fileId, FILE_ID);
  uploadResult(status, { size: 12, offset: 8 });
  const next = await nextChunk();
  assert.equal(next.header.offset, 8);
  acknowledge(next, 12);

  assert.equal((await uploading).size, 12);
});

test('retryable refusals are retried after a backoff: the same request, the same chunk', async () => {
  await connectAndWelcome();
  const uploading = client.uploadFile(bytes(4), { name: 'notes.txt' });

  server.error(await server.nextReceived('upload.start'), 'store_unavailable');
  uploadResult(await server.nextReceived('upload.start'), { size: 4, offset: 0 });
  const first = await nextChunk();
  server.error(first.header, 'rate_limited');
  const second = await nextChunk();
  server.error(second.header, 'store_busy');
  const third = await nextChunk();
  for (const chunk of [second, third]) {
    assert.equal(chunk.header.offset, 0);
    assert.deepEqual([...chunk.data], [...first.data]);
  }
  acknowledge(third, 4);

  assert.equal((await uploading).size, 4);
});

test('a non-retryable refusal rejects with its code, and so does a reply that does not fit the upload', async () => {
  await connectAndWelcome();
  const errors = collect(client, 'error');

  const tooLarge = client.uploadFile(bytes(10), { name: 'huge.bin' });
  server.error(await server.nextReceived('upload.start'), 'file_too_large');
  await assert.rejects(tooLarge, (error) => error instanceof SwitchboardError && error.code === 'file_too_large');

  const overLimit = client.uploadFile(bytes(10), { name: 'ninth.bin' });
  server.error(await server.nextReceived('upload.start'), 'upload_limit');
  await assert.rejects(overLimit, { code: 'upload_limit' });

  const expired = client.uploadFile(bytes(10), { name: 'notes.txt' });
  uploadResult(await server.nextReceived('upload.start'), { size: 10, offset: 0 });
  server.error((await nextChunk()).header, 'file_not_found');
  await assert.rejects(expired, { code: 'file_not_found' });

  const oldServer = client.uploadFile(bytes(10), { name: 'notes.txt' });
  server.error(await server.nextReceived('upload.start'), 'unknown_type');
  await assert.rejects(oldServer, { code: 'unknown_type' });

  const malformed = client.uploadFile(bytes(10), { name: 'notes.txt' });
  uploadResult(await server.nextReceived('upload.start'), { size: 11, offset: 0 });
  await assert.rejects(malformed, (error) => error instanceof SwitchboardError && /malformed upload reply/.test(error.message));

  assert.deepEqual(errors, [], 'the refusals went to the promises');
  assert.equal(server.binaryFramesWaiting, 0);
});

test('chunks take tokens from the send pacing of the welcome', async () => {
  // One send every 50 ms, no burst: four chunks answered at once still take 150 ms or more.
  await connectAndWelcome({ sendsPerSecond: 20, sendBurst: 1 });
  const uploading = client.uploadFile(bytes(4), { name: 'paced.bin' });
  uploadResult(await server.nextReceived('upload.start'), { size: 4, offset: 0, chunkBytes: 1 });

  const arrivals = [];
  for (let index = 0; index < 4; index++) {
    const chunk = await nextChunk();
    arrivals.push(performance.now());
    acknowledge(chunk, 4, { chunkBytes: 1 });
  }
  await uploading;

  const elapsedMs = arrivals.at(-1) - arrivals[0];
  assert.ok(elapsedMs >= 135, `four chunks took ${elapsedMs} ms, pacing needs 150 ms`);
  // A send right after the upload waits for the next token as well.
  const sending = client.send({ kind: 'user', id: 'bob' }, 'after the file');
  const send = await server.nextReceived('send');
  const sendWaitedMs = performance.now() - arrivals.at(-1);
  assert.ok(sendWaitedMs >= 45, `the send went ${sendWaitedMs} ms after the last chunk, before its token`);
  server.send({ type: 'sent', ref: send.ref, clientId: send.clientId, id: 1, ts: 1, seq: 1, duplicate: false });
  await sending;
});

test('two uploads at once take turns: one chunk on the wire per connection', async () => {
  await connectAndWelcome();
  const otherId = `f-${'f'.repeat(32)}`;
  const first = client.uploadFile(bytes(8), { name: 'one.bin' });
  const second = client.uploadFile(bytes(8), { name: 'two.bin' });
  const starts = [await server.nextReceived('upload.start'), await server.nextReceived('upload.start')];
  const fileIdOf = (start) => (start.name === 'one.bin' ? FILE_ID : otherId);
  for (const start of starts) {
    uploadResult(start, { size: 8, offset: 0, fileId: fileIdOf(start) });
  }

  const seen = [];
  for (let index = 0; index < 4; index++) {
    const chunk = await nextChunk();
    await observe();
    assert.equal(server.binaryFramesWaiting, 0, `one chunk on the wire (chunk ${index})`);
    seen.push(`${chunk.header.fileId === FILE_ID ? 'one' : 'two'}@${chunk.header.offset}`);
    acknowledge(chunk, 8, { fileId: chunk.header.fileId });
  }

  assert.deepEqual([(await first).id, (await second).id], [FILE_ID, otherId]);
  assert.deepEqual([...seen].sort(), ['one@0', 'one@4', 'two@0', 'two@4']);
});

test('close() rejects an upload under way, and the abort signal ends one', async () => {
  await connectAndWelcome();
  const controller = new AbortController();
  const aborted = client.uploadFile(bytes(8), { name: 'a.bin', signal: controller.signal });
  uploadResult(await server.nextReceived('upload.start'), { size: 8, offset: 0 });
  await nextChunk();
  controller.abort();
  await assert.rejects(aborted, { name: 'AbortError' });
  await assert.rejects(client.uploadFile(bytes(8), { name: 'b.bin', signal: AbortSignal.abort() }),
    { name: 'AbortError' });

  const closing = client.uploadFile(bytes(8), { name: 'c.bin' });
  const closingRejected = assert.rejects(closing,
    (error) => error instanceof SwitchboardError && /client is closed/.test(error.message));
  await server.nextReceived('upload.start');
  await client.close();
  await closingRejected;
  await assert.rejects(client.uploadFile(bytes(8), { name: 'd.bin' }), /client is closed/);
});

test('a terminal close (4004, banned) rejects an upload under way with its close code', async () => {
  await connectAndWelcome();
  const uploading = client.uploadFile(bytes(8), { name: 'a.bin' });
  uploadResult(await server.nextReceived('upload.start'), { size: 8, offset: 0 });
  await nextChunk();

  server.close(4004, 'banned');

  await assert.rejects(uploading, (error) => error instanceof SwitchboardError && error.closeCode === 4004);
});

test('send carries fileId; an inbound message exposes its file, or null', async () => {
  await connectAndWelcome();
  const messages = collect(client, 'message');

  const sending = client.send({ kind: 'user', id: 'bob' }, 'the notes', { fileId: FILE_ID });
  assert.deepEqual(client.pendingSends,
    [{ clientId: sending.clientId, to: { kind: 'user', id: 'bob' }, body: 'the notes', fileId: FILE_ID }]);
  const send = await server.nextReceived('send');
  assert.equal(send.fileId, FILE_ID);
  server.send({ type: 'sent', ref: send.ref, clientId: send.clientId, id: 7, ts: 1, seq: 1, duplicate: false });
  await sending;
  const plain = client.send({ kind: 'user', id: 'bob' }, 'no file');
  const plainSend = await server.nextReceived('send');
  assert.equal(plainSend.fileId, undefined);
  assert.deepEqual(client.pendingSends, [{ clientId: plain.clientId, to: { kind: 'user', id: 'bob' }, body: 'no file' }]);
  server.send({ type: 'sent', ref: plainSend.ref, clientId: plainSend.clientId, id: 8, ts: 1, seq: 2, duplicate: false });
  await plain;

  const file = { id: FILE_ID, name: 'notes.txt', size: 10, contentType: 'text/plain' };
  const message = { from: 'bob', fromDevice: 'web', to: { kind: 'user', id: 'alice' }, ts: 1764000000000 };
  server.send({ type: 'message', seq: 1, message: { ...message, id: 9, clientId: 'b-1', file, body: null } });
  server.send({ type: 'message', seq: 2, message: { ...message, id: 10, clientId: 'b-2', body: 'plain' } });
  await waitFor(() => messages.length === 2, 'two messages');

  assert.deepEqual(messages[0].file, file);
  assert.equal(messages[0].body, null);
  assert.equal(messages[1].file, null);
  assert.throws(() => client.send({ kind: 'user', id: 'bob' }, 'x', { fileId: '' }), TypeError);
  assert.throws(() => client.send({ kind: 'user', id: 'bob' }, 'x', { fileId: 42 }), TypeError);
});

test('fileUrl: /files/{id} on the WebSocket\'s host, over http(s), signed in as the WebSocket is', async () => {
  const url = (options, fileId = FILE_ID) => new SwitchboardClient({ WebSocket, ...options }).fileUrl(fileId);
  assert.equal(url({ url: 'ws://localhost:8080/ws', user: 'alice' }), `http://localhost:8080/files/${FILE_ID}?user=alice`);
  assert.equal(url({ url: 'wss://chat.example/prefix/ws?keep=no', token: 'a.b.c', user: 'ignored' }),
    `https://chat.example/prefix/files/${FILE_ID}?token=a.b.c`);
  assert.equal(url({ url: 'ws://localhost:8080/socket' }), `http://localhost:8080/files/${FILE_ID}`);
  assert.equal(url({ url: 'ws://localhost/ws' }, 'a/b?c'), 'http://localhost/files/a%2Fb%3Fc');
  assert.throws(() => url({ url: 'ws://localhost/ws' }, ''), TypeError);

  // A token function: the token of the latest connection attempt.
  let issued = 0;
  newClient({ token: () => `token-${++issued}`, user: undefined });
  assert.equal(client.fileUrl(FILE_ID), `${server.url.replace('ws://', 'http://').replace(/\/ws$/, '')}/files/${FILE_ID}`);
  const connected = nextState(client, 'connected');
  client.connect();
  assert.match(await server.nextConnection(), /token=token-1/);
  server.welcome();
  await connected;
  assert.equal(new URL(client.fileUrl(FILE_ID)).searchParams.get('token'), 'token-1');
});

test('uploadFile checks its arguments', async () => {
  newClient();
  assert.throws(() => client.uploadFile('text', { name: 'a.txt' }), TypeError);
  assert.throws(() => client.uploadFile(bytes(3)), TypeError, 'bytes need a name');
  for (const name of ['', 'a/b', 'a\\b', 'bell\u0007', 'x'.repeat(256)]) {
    assert.throws(() => client.uploadFile(bytes(3), { name }), TypeError, JSON.stringify(name));
  }
  assert.throws(() => client.uploadFile(bytes(3), { name: 'a', contentType: '' }), TypeError);
  assert.throws(() => client.uploadFile(bytes(3), { name: 'a', onProgress: 'no' }), TypeError);
  assert.throws(() => client.uploadFile(bytes(3), { name: 'a', signal: {} }), TypeError);
  assert.throws(() => client.uploadFile(new Uint8Array(0), { name: 'empty' }), RangeError);
  assert.throws(() => client.uploadFile(new Blob([]), { name: 'empty' }), RangeError);
  // Any view of bytes, and an ArrayBuffer, are accepted.
  const pending = [new Uint8Array(bytes(8).buffer, 2, 3), bytes(4).buffer, new DataView(bytes(4).buffer)]
    .map((data) => client.uploadFile(data, { name: 'ok.bin' }));
  await client.close();
  for (const upload of pending) {
    await assert.rejects(upload, /client is closed/);
  }
});
