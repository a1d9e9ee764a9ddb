#!/usr/bin/env node
/**
 * What file uploads cost a node's durable chat (R14 beside R16): how fast one connection uploads, and
 * what an upload does to the durable 1:1 latency of other users' messages on the same node.
 *
 * It starts the server jar (embedded SQLite store, development mode, a fresh data directory), then
 * measures with the JavaScript client, each phase for --seconds:
 *   1. "alone": a sender sends 1:1 messages to a receiver at --rate a second, on a fixed schedule;
 *      latency is from each message's scheduled time to its `sent` (durable), so a stall counts for
 *      every message it delays (no coordinated omission);
 *   2. "upload": the same, while a third user uploads files of --mib MiB back to back;
 * and reports the latency percentiles of both phases and the upload's throughput. It runs twice: with
 * the server's default limits (a chunk takes a send token: 100 chunks a second), and with the send
 * limits raised so that the store alone paces the chunks.
 *
 *     ./mvnw -B -q -Pquick package -DskipTests && (cd clients/js && npm ci)
 *     node bench/tools/file_upload.mjs --seconds 20 --rate 50 --mib 16
 *
 * The server, the clients and the load share the machine's cores, as in the harness's runs.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { SwitchboardClient } = await import(join(ROOT, 'clients/js/src/switchboard.js'));
const { default: WebSocket } = await import(join(ROOT, 'clients/js/node_modules/ws/index.js'));

const { values: options } = parseArgs({
  options: {
    jar: { type: 'string', default: join(ROOT, 'switchboard-server/target/switchboard.jar') },
    seconds: { type: 'string', default: '20' },
    rate: { type: 'string', default: '50' },
    mib: { type: 'string', default: '16' },
  },
});
const SECONDS = Number(options.seconds);
const RATE = Number(options.rate);
const FILE_BYTES = Number(options.mib) * 1024 * 1024;
const READY_LINE = /Switchboard listening on http:\/\/[^:]+:(\d+)\//;

/** Starts the server jar; resolves with its port and a stop function. */
async function startServer(environment) {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'switchboard-file-upload-'));
  const child = spawn('java', ['-jar', options.jar, '--dev', '--port', '0', '--api-port', '-1',
    '--data-dir', dataDirectory], { env: { ...process.env, ...environment }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const ready = READY_LINE.exec(line);
      if (ready) resolve(Number(ready[1]));
    });
  });
  return {
    port,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDirectory, { recursive: true, force: true });
    },
  };
}

async function connected(port, user) {
  const client = new SwitchboardClient({ url: `ws://127.0.0.1:${port}/ws`, user, deviceId: 'bench', WebSocket });
  client.connect();
  await new Promise((resolve) => {
    const onState = ({ state }) => {
      if (state === 'connected') {
        client.off('state', onState);
        resolve();
      }
    };
    client.on('state', onState);
  });
  return client;
}

/** Sends at RATE a second for SECONDS on a fixed schedule; resolves with the latencies in ms. */
async function sendOnSchedule(sender) {
  const latencies = [];
  const pending = [];
  const start = performance.now();
  const total = Math.round(RATE * SECONDS);
  for (let index = 0; index < total; index++) {
    const scheduled = start + (index * 1000) / RATE;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(sender.send({ kind: 'user', id: 'receiver' }, { index })
      .then(() => latencies.push(performance.now() - scheduled)));
  }
  await Promise.all(pending);
  return latencies;
}

function percentiles(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (fraction) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: sorted[sorted.length - 1] };
}

/** Uploads files of FILE_BYTES back to back until `until` settles; resolves with bytes and seconds. */
async function uploadUntil(uploader, until) {
  let done = false;
  until.then(() => { done = true; });
  const content = randomBytes(FILE_BYTES);
  let bytes = 0;
  const start = performance.now();
  let files = 0;
  while (!done) {
    await uploader.uploadFile(content, { name: `bench-${files++}.bin`, contentType: 'application/octet-stream' });
    bytes += FILE_BYTES;
  }
  return { files, bytes, seconds: (performance.now() - start) / 1000 };
}

async function measure(label, environment) {
  const server = await startServer(environment);
  try {
    const [sender, receiver, uploader] = await Promise.all(
      ['sender', 'receiver', 'uploader'].map((user) => connected(server.port, user)));
    await sendOnSchedule(sender); // warm-up, not counted: the JIT compiles the send and upload paths
    await uploadUntil(uploader, Promise.resolve());
    const alone = percentiles(await sendOnSchedule(sender));
    const probe = sendOnSchedule(sender);
    const upload = await uploadUntil(uploader, probe);
    const withUpload = percentiles(await probe);
    await Promise.all([sender, receiver, uploader].map((client) => client.close()));
    const round = (value) => Math.round(value * 100) / 100;
    console.log(`\n${label}`);
    console.log(`  upload: ${upload.files} files of ${options.mib} MiB in ${round(upload.seconds)} s = `
      + `${round(upload.bytes / 1048576 / upload.seconds)} MiB/s`);
    for (const [name, figures] of [['sends alone', alone], ['sends with upload', withUpload]]) {
      console.log(`  ${name}: ${figures.count} at ${RATE}/s, send to sent p50 ${round(figures.p50)} ms, `
        + `p99 ${round(figures.p99)} ms, p99.9 ${round(figures.p999)} ms, max ${round(figures.max)} ms`);
    }
  } finally {
    await server.stop();
  }
}

await measure('default limits (chunks paced at 100 a second per connection)', {});
await measure('send limits raised (the store paces the chunks)', {
  SWITCHBOARD_LIMITS_SENDS_PER_SECOND: '100000', SWITCHBOARD_LIMITS_SEND_BURST: '100000',
  SWITCHBOARD_LIMITS_USER_SENDS_PER_SECOND: '0',
});
