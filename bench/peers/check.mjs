// Self-check of the three peer servers: starts each one, drives it with a few clients and
// checks the protocol (welcome, send -> message, subscribe/publish -> publication, ping -> pong),
// the single "LISTENING <port>" line and a clean exit on SIGTERM. Exits non-zero on any failure.
// Usage: node check.mjs [ws|bun|socketio ...]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, inspect } from 'node:util';
import WebSocket from 'ws';
import { io as ioClient } from 'socket.io-client';
import { findBun } from './bun-path.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const BUN = findBun() ?? 'bun';
const TIMEOUT_MS = 5000;

const SERVERS = {
  ws: { cmd: process.execPath, args: [join(here, 'ws-server.mjs')], client: 'ws' },
  bun: { cmd: BUN, args: [join(here, 'bun-server.js')], client: 'ws' },
  socketio: { cmd: process.execPath, args: [join(here, 'socketio-server.mjs')], client: 'socketio' },
};

class CheckError extends Error {}
function fail(msg) {
  throw new CheckError(msg);
}
const show = (v) => inspect(v, { depth: 5, breakLength: Infinity });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A test client with a queue of received protocol objects ({type, ...}).
class Client {
  constructor(name) {
    this.name = name;
    this.queue = [];
    this.waiter = null;
  }
  push(obj) {
    this.queue.push(obj);
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w();
    }
  }
  async next(what) {
    const deadline = Date.now() + TIMEOUT_MS;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) fail(`${this.name}: timed out waiting for ${what}`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
    return this.queue.shift();
  }
  async expect(expected) {
    const got = await this.next(show(expected));
    if (!isDeepStrictEqual(got, expected)) fail(`${this.name}: expected ${show(expected)}, got ${show(got)}`);
  }
  expectNothing() {
    if (this.queue.length) fail(`${this.name}: unexpected ${show(this.queue)}`);
  }
}

class WsClient extends Client {
  static async connect(port, user) {
    const c = new WsClient(user);
    c.ws = new WebSocket(`ws://127.0.0.1:${port}/ws?user=${encodeURIComponent(user)}`, { perMessageDeflate: false });
    c.ws.on('message', (data, isBinary) => {
      c.push(isBinary ? { unexpectedBinaryFrame: String(data) } : JSON.parse(data));
    });
    await Promise.race([once(c.ws, 'open'), sleep(TIMEOUT_MS).then(() => fail(`${user}: connect timed out`))]);
    return c;
  }
  send(obj) {
    this.ws.send(JSON.stringify(obj));
  }
  async close() {
    this.ws.close();
    await once(this.ws, 'close');
  }
}

class SocketIoClient extends Client {
  static async connect(port, user) {
    const c = new SocketIoClient(user);
    c.socket = ioClient(`http://127.0.0.1:${port}`, {
      transports: ['websocket'],
      query: { user },
      forceNew: true,
      reconnection: false,
    });
    c.socket.onAny((event, arg) => {
      c.push(arg?.type === event ? arg : { unexpectedEvent: event, arg });
    });
    await Promise.race([
      new Promise((resolve, reject) => {
        c.socket.once('connect', resolve);
        c.socket.once('connect_error', reject);
      }),
      sleep(TIMEOUT_MS).then(() => fail(`${user}: connect timed out`)),
    ]);
    return c;
  }
  send({ type, ...rest }) {
    this.socket.emit(type, rest);
  }
  async close() {
    this.socket.disconnect();
  }
}

async function startServer(name) {
  const { cmd, args } = SERVERS[name];
  const child = spawn(cmd, args, { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => (stdout += d));
  const exited = once(child, 'exit');
  child.on('error', () => {}); // e.g. no Bun binary: reported below as "exited before listening"
  try {
    const deadline = Date.now() + 15000;
    while (!stdout.includes('\n')) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) fail(`${name}: exited before listening`);
      if (Date.now() > deadline) fail(`${name}: no LISTENING line within 15 s`);
      await sleep(20);
    }
    await sleep(100); // anything printed right after the line counts too
    const m = /^LISTENING (\d+)\n$/.exec(stdout);
    if (!m || Number(m[1]) === 0) fail(`${name}: bad output ${show(stdout)}`);
    return { child, port: Number(m[1]), stdout: () => stdout, exited };
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
}

async function protocolCheck(name, port) {
  const Impl = SERVERS[name].client === 'ws' ? WsClient : SocketIoClient;
  const alice = await Impl.connect(port, 'alice');
  const bob = await Impl.connect(port, 'bob');
  const bob2 = await Impl.connect(port, 'bob'); // a second connection of the same user
  bob2.name = 'bob#2';
  const all = [alice, bob, bob2];
  await alice.expect({ type: 'welcome', user: 'alice' });
  await bob.expect({ type: 'welcome', user: 'bob' });
  await bob2.expect({ type: 'welcome', user: 'bob' });

  // 1:1 to every connection of the recipient
  const body = { text: 'héllo ✓ "quoted"', n: 42, list: [1, null, true] };
  alice.send({ type: 'send', to: 'bob', body });
  await bob.expect({ type: 'message', from: 'alice', body });
  await bob2.expect({ type: 'message', from: 'alice', body });
  bob.send({ type: 'send', to: 'alice', body: 'plain string' });
  await alice.expect({ type: 'message', from: 'bob', body: 'plain string' });
  bob.send({ type: 'send', to: 'nobody', body: 1 }); // unknown recipient: dropped silently

  // topics
  alice.send({ type: 'subscribe', topic: 't1' });
  await alice.expect({ type: 'subscribed', topic: 't1' });
  bob.send({ type: 'subscribe', topic: 't1' });
  await bob.expect({ type: 'subscribed', topic: 't1' });
  const data = { price: 1.5, tags: ['a', 'b'] };
  alice.send({ type: 'publish', topic: 't1', data }); // publisher is subscribed: gets it too
  await alice.expect({ type: 'publication', topic: 't1', data });
  await bob.expect({ type: 'publication', topic: 't1', data });
  bob2.send({ type: 'publish', topic: 't1', data: 7 }); // a non-subscriber may publish
  await alice.expect({ type: 'publication', topic: 't1', data: 7 });
  await bob.expect({ type: 'publication', topic: 't1', data: 7 });
  alice.send({ type: 'publish', topic: 'empty', data: 0 }); // nobody subscribed

  // ping
  for (const c of all) {
    c.send({ type: 'ping' });
    await c.expect({ type: 'pong' });
  }

  // nothing else arrives (bob#2 got no publication, alice no copy of her own 1:1 message, ...)
  await sleep(200);
  for (const c of all) c.expectNothing();

  // closed connections are cleaned up
  await bob2.close();
  await sleep(100);
  alice.send({ type: 'send', to: 'bob', body: 'after close' });
  await bob.expect({ type: 'message', from: 'alice', body: 'after close' });
  await bob.close();
  await sleep(100);
  alice.send({ type: 'publish', topic: 't1', data: 'after close' });
  await alice.expect({ type: 'publication', topic: 't1', data: 'after close' });
  alice.send({ type: 'send', to: 'bob', body: 'bob is gone' });
  alice.send({ type: 'ping' });
  await alice.expect({ type: 'pong' });
  await alice.close();
}

// A connection without ?user= is refused.
async function missingUserCheck(name, port) {
  if (SERVERS[name].client === 'ws') {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    let got = null;
    ws.on('error', () => {});
    ws.on('message', (d) => (got = String(d)));
    await Promise.race([
      new Promise((resolve) => {
        ws.on('close', resolve); // ws: closed with 1008 after the upgrade
        ws.on('unexpected-response', (req, res) => {
          res.resume();
          req.destroy();
          resolve(); // Bun: refused at the HTTP level (400)
        });
      }),
      sleep(TIMEOUT_MS).then(() => fail(`${name}: user-less connection not refused`)),
    ]);
    if (got !== null) fail(`${name}: user-less connection got ${got}`);
  } else {
    const s = ioClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true, reconnection: false });
    await Promise.race([
      new Promise((resolve, reject) => {
        s.once('connect_error', resolve);
        s.once('connect', () => reject(new CheckError(`${name}: user-less connection accepted`)));
      }),
      sleep(TIMEOUT_MS).then(() => fail(`${name}: user-less connection not refused`)),
    ]);
    s.close();
  }
}

// The Socket.IO framing a plain WebSocket client (the Java load generator) has to speak.
async function socketIoRawCheck(port) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket&user=carol`, { perMessageDeflate: false });
  const frames = [];
  let wake = null;
  ws.on('message', (d) => {
    frames.push(String(d));
    wake?.();
  });
  const next = async (what) => {
    const deadline = Date.now() + TIMEOUT_MS;
    while (!frames.length) {
      if (Date.now() > deadline) fail(`raw socket.io: timed out waiting for ${what}`);
      await new Promise((r) => {
        wake = r;
        setTimeout(r, 50);
      });
    }
    return frames.shift();
  };
  await once(ws, 'open');
  const open = await next('engine.io open packet');
  if (!open.startsWith('0{') || !JSON.parse(open.slice(1)).sid) fail(`raw socket.io: bad open packet ${open}`);
  ws.send('40'); // connect to the main namespace
  const ack = await next('namespace connect ack');
  if (!ack.startsWith('40{')) fail(`raw socket.io: bad connect ack ${ack}`);
  const expectFrame = async (expected) => {
    const got = await next(expected);
    if (got !== expected) fail(`raw socket.io: expected ${expected}, got ${got}`);
  };
  await expectFrame('42["welcome",{"type":"welcome","user":"carol"}]');
  ws.send('42["ping",{}]');
  await expectFrame('42["pong",{"type":"pong"}]');
  ws.send('42["subscribe",{"topic":"raw"}]');
  await expectFrame('42["subscribed",{"type":"subscribed","topic":"raw"}]');
  ws.send('42["publish",{"topic":"raw","data":{"x":1}}]');
  await expectFrame('42["publication",{"type":"publication","topic":"raw","data":{"x":1}}]');
  ws.send('42["send",{"to":"carol","body":"self"}]');
  await expectFrame('42["message",{"type":"message","from":"carol","body":"self"}]');
  ws.close();
  await once(ws, 'close');
}

async function checkOne(name) {
  const t0 = Date.now();
  const srv = await startServer(name);
  try {
    await protocolCheck(name, srv.port);
    await missingUserCheck(name, srv.port);
    if (name === 'socketio') await socketIoRawCheck(srv.port);
  } catch (e) {
    srv.child.kill('SIGKILL');
    throw e;
  }
  srv.child.kill('SIGTERM');
  const [code, signal] = await Promise.race([srv.exited, sleep(TIMEOUT_MS).then(() => [null, 'timeout'])]);
  if (signal === 'timeout') {
    srv.child.kill('SIGKILL');
    fail(`${name}: did not exit within ${TIMEOUT_MS} ms of SIGTERM`);
  }
  if (code !== 0) fail(`${name}: exit code ${code} signal ${signal} after SIGTERM`);
  if (srv.stdout() !== `LISTENING ${srv.port}\n`) fail(`${name}: stdout was ${show(srv.stdout())}`);
  return Date.now() - t0;
}

const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(SERVERS);
let failed = 0;
for (const name of names) {
  if (!SERVERS[name]) {
    console.log(`FAIL ${name}: unknown server (choose from ${Object.keys(SERVERS).join(', ')})`);
    failed++;
    continue;
  }
  try {
    const ms = await checkOne(name);
    console.log(`PASS ${name} (${ms} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e instanceof CheckError ? e.message : e.stack}`);
  }
}
process.exit(failed ? 1 : 0);
