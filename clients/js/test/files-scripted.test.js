// File uploads against a scripted server (fake-server.js), for what a real server cannot be made to do
// on demand (PROTOCOL.md section 11): a chunk reply lost with the connection while the chunk was
// stored, upload_offset, refusals of every kind, a small maxMessageBytes, aborts at every step and the
// upload.cancel that follows them. Also the exact binary layout of a chunk, one chunk on the wire at a
// time, pacing, send's fileId, an inbound message's file, fileUrl and fetchFile (on a stand-in fetch).
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SwitchboardClient, SwitchboardError } from '../src/switchboard.js';
import { FakeServer } from './fake-server.js';
import { collect, nextState, waitFor } from './wait.js';

const FILE_ID = `f-${'0123456789abcdef'.repeat(2)}`;
/** How long a test watches for a second chunk that must not come before the first one's reply. */
const OBSERVATION_MS = 100;
/** The longest header a chunk may have (PROTOCOL.md section 11): 2 + 1022 + chunkBytes = maxMessageBytes. */
const MAX_CHUNK_HEADER_BYTES = 1022;

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

/** Asserts that no message of this type arrives within OBSERVATION_MS. */
async function assertNoneReceived(type, message) {
  await assert.rejects(server.nextReceived(type, OBSERVATION_MS), /timed out/, message);
}

/**
 * Runs `work` with Math.random fixed just below 1, so that every backoff delay is (almost) its ceiling:
 * full jitter draws it from [0, ceiling], too short to observe at the low end.
 */
async function withLongestBackoff(work) {
  const random = Math.random;
  Math.random = () => 0.999;
  try {
    return await work();
  } finally {
    Math.random = random;
  }
}

/** A promise and the function that resolves it. */
function gate() {
  let open;
  const opened = new Promise((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

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
    assert.ok(first.headerLength >= 1 && first.headerLength <= MAX_CHUNK_HEADER_BYTES);
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

test('a File is read a chunk at a time, one slice per chunk; its name and type are the defaults', async () => {
  await connectAndWelcome();
  const content = bytes(7);
  const ranges = [];
  /** A File that records every slice the client reads. */
  class RecordingFile extends File {
    slice(start, end, type) {
      ranges.push([start, end]);
      return super.slice(start, end, type);
    }
  }
  const uploading = client.uploadFile(new RecordingFile([content], 'photo.png', { type: 'image/png' }));

  const start = await server.nextReceived('upload.start');
  assert.equal(start.name, 'photo.png');
  assert.equal(start.contentType, 'image/png');
  uploadResult(start, { size: 7, offset: 0, chunkBytes: 3, name: 'photo.png', contentType: 'image/png' });
  const received = [];
  const chunks = [];
  for (let chunk = await nextChunk(); ; chunk = await nextChunk()) {
    received.push(...chunk.data);
    chunks.push([chunk.header.offset, chunk.header.offset + chunk.data.length]);
    acknowledge(chunk, 7, { chunkBytes: 3, name: 'photo.png', contentType: 'image/png' });
    if (chunk.header.offset + chunk.data.length === 7) {
      break;
    }
  }

  assert.deepEqual(received, [...content]);
  assert.deepEqual(chunks, [[0, 3], [3, 6], [6, 7]]);
  assert.deepEqual(ranges, chunks, 'one slice per chunk, of exactly its bytes: the File is never read whole');
  assert.deepEqual(await uploading, { id: FILE_ID, name: 'photo.png', size: 7, contentType: 'image/png' });
});

test('a Blob of another window (not instanceof Blob: a numeric size and slice) is read slice by slice too',
  async () => {
    await connectAndWelcome();
    const blob = new Blob([bytes(5)]);
    const ranges = [];
    const foreign = {
      size: blob.size,
      type: 'not a media type',
      name: 'scan.bin',
      slice(start, end) {
        ranges.push([start, end]);
        return blob.slice(start, end);
      },
    };
    assert.ok(!(foreign instanceof Blob));
    const uploading = client.uploadFile(foreign);

    const start = await server.nextReceived('upload.start');
    assert.equal(start.name, 'scan.bin', 'its name is the default');
    assert.equal(start.contentType, undefined, 'a type of its own that the server would refuse is left out');
    uploadResult(start, { size: 5, offset: 0, chunkBytes: 4, name: 'scan.bin' });
    acknowledge(await nextChunk(), 5);
    const last = await nextChunk();
    assert.deepEqual([...last.data], [4]);
    acknowledge(last, 5);

    assert.equal((await uploading).size, 5);
    assert.deepEqual(ranges, [[0, 4], [4, 5]]);
    assert.throws(() => client.uploadFile({ size: Number.NaN, slice() {} }, { name: 'x' }), TypeError);
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

test('two upload_offset in a row back off: the second upload.status waits a retry delay', async () => {
  const backoffMs = 400;
  await withLongestBackoff(async () => {
    await connectAndWelcome({}, { backoffBaseMs: backoffMs, backoffMaxMs: backoffMs });
    const uploading = client.uploadFile(bytes(8), { name: 'notes.txt' });
    uploadResult(await server.nextReceived('upload.start'), { size: 8, offset: 0 });

    server.error((await nextChunk()).header, 'upload_offset');
    let refusedAt = performance.now();
    const firstStatus = await server.nextReceived('upload.status');
    const firstWaitMs = performance.now() - refusedAt;
    assert.ok(firstWaitMs < backoffMs / 2, `the first upload_offset is answered at once (${firstWaitMs} ms)`);
    uploadResult(firstStatus, { size: 8, offset: 0 });

    server.error((await nextChunk()).header, 'upload_offset');
    refusedAt = performance.now();
    const secondStatus = await server.nextReceived('upload.status');
    const secondWaitMs = performance.now() - refusedAt;
    assert.ok(secondWaitMs >= backoffMs * 0.9, `the second one in a row waits (${secondWaitMs} ms)`);
    uploadResult(secondStatus, { size: 8, offset: 0 });

    const moved = await nextChunk();
    acknowledge(moved, 8);
    // A chunk reply moved the offset forward: the next upload_offset is answered at once again.
    server.error((await nextChunk()).header, 'upload_offset');
    refusedAt = performance.now();
    const thirdStatus = await server.nextReceived('upload.status');
    assert.ok(performance.now() - refusedAt < backoffMs / 2, 'the backoff starts over once the upload moved on');
    uploadResult(thirdStatus, { size: 8, offset: 8 });
    assert.equal((await uploading).size, 8);
  });
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

  const invalid = client.uploadFile(bytes(10), { name: 'notes.txt' });
  uploadResult(await server.nextReceived('upload.start'), { size: 10, offset: 0 });
  server.error((await nextChunk()).header, 'invalid_field');
  await assert.rejects(invalid, { code: 'invalid_field' });
  const cancel = await server.nextReceived('upload.cancel');
  assert.equal(cancel.fileId, FILE_ID, 'an upload that failed for good after upload.start is cancelled');
  server.error(cancel, 'unknown_type');

  const oldServer = client.uploadFile(bytes(10), { name: 'notes.txt' });
  server.error(await server.nextReceived('upload.start'), 'unknown_type');
  await assert.rejects(oldServer, { code: 'unknown_type' });

  const malformed = client.uploadFile(bytes(10), { name: 'notes.txt' });
  uploadResult(await server.nextReceived('upload.start'), { size: 11, offset: 0 });
  await assert.rejects(malformed, (error) => error instanceof SwitchboardError && /malformed upload reply/.test(error.message));

  assert.deepEqual(errors, [], 'the refusals went to the promises; the cancel\'s unknown_type is ignored');
  assert.equal(server.binaryFramesWaiting, 0);
  await assertNoneReceived('upload.cancel', 'nothing to cancel: no fileId, or file_not_found');
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

test('the abort signal ends an upload: the chunk on the wire is its last, upload.cancel follows, others go on',
  async () => {
    await connectAndWelcome();
    const errors = collect(client, 'error');
    const controller = new AbortController();
    const aborted = client.uploadFile(bytes(12), { name: 'a.bin', signal: controller.signal });
    uploadResult(await server.nextReceived('upload.start'), { size: 12, offset: 0 });
    const onTheWire = await nextChunk();

    controller.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
    const cancel = await server.nextReceived('upload.cancel');
    assert.equal(cancel.fileId, FILE_ID);
    acknowledge(onTheWire, 12); // the reply to the chunk that was on the wire still comes
    server.error(cancel, 'unknown_type'); // a server without upload.cancel: ignored
    await observe();
    assert.equal(server.binaryFramesWaiting, 0, 'no chunk after the abort');

    const otherId = `f-${'e'.repeat(32)}`;
    const next = client.uploadFile(bytes(5), { name: 'b.bin' });
    uploadResult(await server.nextReceived('upload.start'), { size: 5, offset: 0, fileId: otherId });
    acknowledge(await nextChunk(), 5, { fileId: otherId });
    acknowledge(await nextChunk(), 5, { fileId: otherId });
    assert.equal((await next).id, otherId, 'another upload goes on after the aborted one');
    assert.deepEqual(errors, []);

    await assert.rejects(client.uploadFile(bytes(8), { name: 'c.bin', signal: AbortSignal.abort() }),
      { name: 'AbortError' });
    await assertNoneReceived('upload.start', 'an upload aborted before it began sends nothing');
  });

test('an abort withdraws the upload\'s chunk waiting for its turn behind another upload\'s', async () => {
  await connectAndWelcome();
  const otherId = `f-${'f'.repeat(32)}`;
  const controller = new AbortController();
  const kept = client.uploadFile(bytes(8), { name: 'kept.bin' });
  uploadResult(await server.nextReceived('upload.start'), { size: 8, offset: 0 });
  const first = await nextChunk();
  const aborted = client.uploadFile(bytes(8), { name: 'aborted.bin', signal: controller.signal });
  uploadResult(await server.nextReceived('upload.start'), { size: 8, offset: 0, fileId: otherId });
  await observe(); // the aborted upload's first chunk waits behind the one on the wire

  controller.abort();
  await assert.rejects(aborted, { name: 'AbortError' });
  assert.equal((await server.nextReceived('upload.cancel')).fileId, otherId);
  acknowledge(first, 8);
  const second = await nextChunk();
  assert.deepEqual([second.header.fileId, second.header.offset], [FILE_ID, 4], 'the kept upload\'s chunk comes next');
  acknowledge(second, 8);
  assert.equal((await kept).id, FILE_ID);
  await observe();
  assert.equal(server.binaryFramesWaiting, 0, 'the withdrawn chunk never went out');
});

test('an abort while a chunk\'s bytes are read sends no chunk', async () => {
  await connectAndWelcome();
  const reading = gate();
  let reads = 0;
  const slowBlob = {
    size: 8,
    type: '',
    slice: (start, end) => {
      reads++;
      return { arrayBuffer: () => reading.opened.then(() => bytes(8).slice(start, end).buffer) };
    },
  };
  const controller = new AbortController();
  const aborted = client.uploadFile(slowBlob, { name: 'slow.bin', signal: controller.signal });
  uploadResult(await server.nextReceived('upload.start'), { size: 8, offset: 0 });
  await waitFor(() => reads === 1, 'the first chunk being read');

  controller.abort();
  await assert.rejects(aborted, { name: 'AbortError' });
  assert.equal((await server.nextReceived('upload.cancel')).fileId, FILE_ID);
  reading.open();
  await observe();
  assert.equal(server.binaryFramesWaiting, 0, 'the chunk read after the abort is dropped');
});

test('an abort while waiting for a connection ends the upload at once; nothing is sent for it later', async () => {
  newClient();
  const beforeConnect = new AbortController();
  const never = client.uploadFile(bytes(8), { name: 'never.bin', signal: beforeConnect.signal });
  beforeConnect.abort();
  await assert.rejects(never, { name: 'AbortError' });

  const connected = nextState(client, 'connected');
  client.connect();
  await server.nextConnection();
  server.welcome();
  await connected;
  await assertNoneReceived('upload.start', 'the upload aborted before the welcome is not started');

  const controller = new AbortController();
  const aborted = client.uploadFile(bytes(8), { name: 'offline.bin', signal: controller.signal });
  uploadResult(await server.nextReceived('upload.start'), { size: 8, offset: 0 });
  await nextChunk();
  const reconnecting = nextState(client, 'reconnecting');
  server.close(1012, 'restart');
  await reconnecting;
  controller.abort();
  await assert.rejects(aborted, { name: 'AbortError' });

  await server.nextConnection();
  server.welcome();
  await assertNoneReceived('upload.status', 'no upload.status after the welcome');
  assert.equal(server.binaryFramesWaiting, 0, 'no chunk after the welcome');
});

test('an abort during a retry delay ends the upload at once and cancels it', async () => {
  const backoffMs = 5000;
  await withLongestBackoff(async () => {
    await connectAndWelcome({}, { backoffBaseMs: backoffMs, backoffMaxMs: backoffMs });
    const controller = new AbortController();
    const aborted = client.uploadFile(bytes(8), { name: 'busy.bin', signal: controller.signal });
    uploadResult(await server.nextReceived('upload.start'), { size: 8, offset: 0 });
    server.error((await nextChunk()).header, 'store_busy');
    await observe(); // now in the retry delay

    const abortedAt = performance.now();
    controller.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
    assert.ok(performance.now() - abortedAt < backoffMs / 5, 'rejected without waiting out the delay');
    assert.equal((await server.nextReceived('upload.cancel')).fileId, FILE_ID);
    await observe();
    assert.equal(server.binaryFramesWaiting, 0, 'no chunk after the abort');
  });
});

test('an abort while upload.start is on its way cancels the upload its reply brings', async () => {
  await connectAndWelcome();
  const controller = new AbortController();
  const aborted = client.uploadFile(bytes(8), { name: 'early.bin', signal: controller.signal });
  const start = await server.nextReceived('upload.start');
  controller.abort();
  await assert.rejects(aborted, { name: 'AbortError' });

  uploadResult(start, { size: 8, offset: 0 });
  assert.equal((await server.nextReceived('upload.cancel')).fileId, FILE_ID);
  await observe();
  assert.equal(server.binaryFramesWaiting, 0);
});

test('close() rejects an upload under way and sends no upload.cancel', async () => {
  await connectAndWelcome();
  const closing = client.uploadFile(bytes(8), { name: 'c.bin' });
  const closingRejected = assert.rejects(closing,
    (error) => error instanceof SwitchboardError && /client is closed/.test(error.message));
  uploadResult(await server.nextReceived('upload.start'), { size: 8, offset: 0 });
  await nextChunk();
  await client.close();
  await closingRejected;
  await assertNoneReceived('upload.cancel', 'the connection is closing: no cancel');
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
  const malformed = [
    { ...file, name: undefined }, { ...file, name: 3 }, { ...file, size: '10' }, { ...file, size: -1 },
    { ...file, size: 1.5 }, { ...file, contentType: null }, { ...file, id: 5 }, 'f-1',
  ];
  const message = { from: 'bob', fromDevice: 'web', to: { kind: 'user', id: 'alice' }, ts: 1764000000000 };
  server.send({ type: 'message', seq: 1, message: { ...message, id: 9, clientId: 'b-1', file, body: null } });
  server.send({ type: 'message', seq: 2, message: { ...message, id: 10, clientId: 'b-2', body: 'plain' } });
  malformed.forEach((bad, index) => server.send({
    type: 'message',
    seq: 3 + index,
    message: { ...message, id: 11 + index, clientId: `b-${3 + index}`, file: bad, body: 'x' },
  }));
  await waitFor(() => messages.length === 2 + malformed.length, 'every message');

  assert.deepEqual(messages[0].file, file);
  assert.equal(messages[0].body, null);
  assert.equal(messages[1].file, null);
  messages.slice(2).forEach((delivered, index) => {
    assert.equal(delivered.file, null, `a file without every field is none: ${JSON.stringify(malformed[index])}`);
  });
  assert.throws(() => client.send({ kind: 'user', id: 'bob' }, 'x', { fileId: '' }), TypeError);
  assert.throws(() => client.send({ kind: 'user', id: 'bob' }, 'x', { fileId: 42 }), TypeError);
});

test('fileUrl: /files/{id} on the WebSocket\'s host, over http(s), with its query, signed in as the WebSocket is',
  async () => {
    const url = (options, fileId = FILE_ID, urlOptions) =>
      new SwitchboardClient({ WebSocket, ...options }).fileUrl(fileId, urlOptions);
    assert.equal(url({ url: 'ws://localhost:8080/ws', user: 'alice' }), `http://localhost:8080/files/${FILE_ID}?user=alice`);
    assert.equal(url({ url: 'wss://chat.example/prefix/ws?keep=yes', token: 'a.b.c', user: 'ignored' }),
      `https://chat.example/prefix/files/${FILE_ID}?keep=yes&token=a.b.c`, 'the url\'s own query is kept');
    assert.equal(url({ url: 'ws://h/ws?tenant=t1&token=old#x', token: 'new', deviceId: 'phone' }),
      `http://h/files/${FILE_ID}?tenant=t1&token=new`, 'token= replaced, no device=, no fragment');
    assert.equal(url({ url: 'ws://h/ws?user=old&tenant=t1', user: 'alice', deviceId: 'phone' }),
      `http://h/files/${FILE_ID}?user=alice&tenant=t1`, 'user= replaced');
    assert.equal(url({ url: 'ws://h/ws?tenant=t1&token=old', token: 'new' }, FILE_ID, { signIn: false }),
      `http://h/files/${FILE_ID}?tenant=t1`, 'signIn: false leaves out every credential');
    assert.equal(url({ url: 'ws://h/ws', user: 'alice' }, FILE_ID, { signIn: false }), `http://h/files/${FILE_ID}`);
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

test('fetchFile: the token in an Authorization header, never in the URL; ?user= in development mode', async () => {
  const requests = [];
  let status = 200;
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (url, init) => {
    requests.push({ url: String(url), authorization: init.headers.get('authorization'), range: init.headers.get('range') });
    return new Response(status === 200 ? 'the bytes' : 'refused', { status });
  };
  try {
    let issued = 0;
    const withToken = new SwitchboardClient({ url: 'wss://chat.example/ws?tenant=t1&token=old', WebSocket,
      token: () => `token-${++issued}` });
    const response = await withToken.fetchFile(FILE_ID, { headers: { Range: 'bytes=2-' } });
    assert.equal(await response.text(), 'the bytes');
    assert.deepEqual(requests.shift(), {
      url: `https://chat.example/files/${FILE_ID}?tenant=t1`, authorization: 'Bearer token-1', range: 'bytes=2-',
    });
    await withToken.fetchFile(FILE_ID);
    assert.equal(requests.shift().authorization, 'Bearer token-2', 'a fresh token from the function each time');

    const developer = new SwitchboardClient({ url: 'ws://localhost:8080/ws', WebSocket, user: 'alice' });
    await developer.fetchFile(FILE_ID);
    assert.deepEqual(requests.shift(),
      { url: `http://localhost:8080/files/${FILE_ID}?user=alice`, authorization: null, range: null });

    status = 404;
    await assert.rejects(developer.fetchFile(FILE_ID),
      (error) => error instanceof SwitchboardError && error.httpStatus === 404 && error.code === null);
    const failing = new SwitchboardClient({ url: 'ws://h/ws', WebSocket, token: () => { throw new Error('offline'); } });
    await assert.rejects(failing.fetchFile(FILE_ID), (error) => error instanceof SwitchboardError
      && /token provider failed: offline/.test(error.message));
    assert.throws(() => developer.fetchFile(''), TypeError);
  } finally {
    globalThis.fetch = realFetch;
  }
});

test('uploadFile checks its arguments as the server would', async () => {
  newClient();
  assert.throws(() => client.uploadFile('text', { name: 'a.txt' }), TypeError);
  assert.throws(() => client.uploadFile(bytes(3)), TypeError, 'bytes need a name');
  const badNames = ['', ' ', ' \u3000\u2003', 'a/b', 'a\\b', 'bell\u0007', 'nul\u0000', 'del\u007f',
    'x'.repeat(256), 'lone \ud800 high', 'lone \udc00 low', 'ends high \ud83d'];
  for (const name of badNames) {
    assert.throws(() => client.uploadFile(bytes(3), { name }), TypeError, JSON.stringify(name));
  }
  const badTypes = ['', 'text', 'text/', '/plain', 'text plain/x', 'text/plain\u0000', 'text/plain; a=\u0001',
    `application/${'x'.repeat(116)}`, 'text/plain; name=\ud800', 'text/plain; a=\u0085', 'tëxt/plain'];
  assert.equal(`application/${'x'.repeat(116)}`.length, 128);
  for (const contentType of badTypes) {
    assert.throws(() => client.uploadFile(bytes(3), { name: 'a', contentType }), TypeError, JSON.stringify(contentType));
  }
  assert.throws(() => client.uploadFile(bytes(3), { name: 'a', onProgress: 'no' }), TypeError);
  assert.throws(() => client.uploadFile(bytes(3), { name: 'a', signal: {} }), TypeError);
  assert.throws(() => client.uploadFile(new Uint8Array(0), { name: 'empty' }), RangeError);
  assert.throws(() => client.uploadFile(new Blob([]), { name: 'empty' }), RangeError);
  // What the server takes: any view of bytes and an ArrayBuffer; names of 255 code units, with
  // U+0080-U+009F, no-break spaces and paired surrogates; types with parameters, up to 127 code units.
  const pending = [new Uint8Array(bytes(8).buffer, 2, 3), bytes(4).buffer, new DataView(bytes(4).buffer)]
    .map((data) => client.uploadFile(data, { name: 'ok.bin' }));
  for (const name of ['x'.repeat(255), 'caf\u00e9 \u0085\u009f.txt', '\u00a0', '😀.png', ' .hidden ']) {
    pending.push(client.uploadFile(bytes(3), { name }));
  }
  for (const contentType of ['text/plain; charset=utf-8', 'application/vnd.api+json', `application/${'x'.repeat(115)}`,
    'image/svg+xml;x=\u00e9😀']) {
    pending.push(client.uploadFile(bytes(3), { name: 'a', contentType }));
  }
  await client.close();
  for (const upload of pending) {
    await assert.rejects(upload, /client is closed/);
  }
});
