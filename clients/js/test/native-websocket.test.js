// The client on Node's own WebSocket (globalThis.WebSocket, the browser API), no `ws` package: no
// terminate(), no ping events, no handshake status, as in a browser. Node 22 has it by default; on
// Node 20 this file runs itself again in a child process with --experimental-websocket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SwitchboardClient } from '../src/switchboard.js';
import { TestServer } from './server.js';
import { collect, connectAndSync, nextState, uniqueId, waitFor, withTimeout } from './wait.js';

const FLAG = '--experimental-websocket';

if (typeof globalThis.WebSocket === 'function') {
  let server;
  const clients = [];

  before(async () => {
    server = await TestServer.start();
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server?.close();
  });

  const online = (options) => {
    const client = new SwitchboardClient({
      url: server.url, backoffBaseMs: 50, backoffMaxMs: 300, connectTimeoutMs: 1000, ...options,
    });
    clients.push(client);
    return connectAndSync(client);
  };

  test('1:1 messages and a server restart with the global WebSocket', { timeout: 40_000 }, async () => {
    const alice = uniqueId('alice');
    const bob = uniqueId('bob');
    const sender = await online({ user: alice, deviceId: 'browser' });
    const recipient = await online({ user: bob, deviceId: 'browser' });
    const received = collect(recipient, 'message');

    await sender.send({ kind: 'user', id: bob }, 'before');
    await waitFor(() => received.length === 1, 'the first message');

    const senderBack = nextState(sender, 'connected', 30_000);
    const recipientBack = nextState(recipient, 'connected', 30_000);
    await server.restart();
    await Promise.all([senderBack, recipientBack]);

    await sender.send({ kind: 'user', id: bob }, 'after');
    await waitFor(() => received.length === 2, 'the second message');
    assert.deepEqual(received.map((message) => message.body), ['before', 'after']);
    assert.deepEqual(received.map((message) => message.conversation), [alice, alice]);
    await sender.close();
    assert.equal(sender.state, 'closed');
  });
} else {
  test('1:1 messages and a server restart with the global WebSocket (child process)', { timeout: 50_000 },
    async (context) => {
      if (!process.allowedNodeEnvironmentFlags.has(FLAG)) {
        context.skip(`this Node has neither a global WebSocket nor ${FLAG}`);
        return;
      }
      const environment = { ...process.env };
      delete environment.NODE_TEST_CONTEXT; // run as a plain test file with its own report
      const child = spawn(process.execPath, [FLAG, fileURLToPath(import.meta.url)], {
        env: environment, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => { output += chunk; });
      child.stderr.on('data', (chunk) => { output += chunk; });
      const exitCode = await withTimeout(new Promise((resolve) => child.once('exit', resolve)),
        'the child test run', 45_000).catch((error) => {
        child.kill('SIGKILL');
        throw error;
      });
      assert.equal(exitCode, 0, `the child test run failed:\n${output}`);
      assert.match(output, /# pass 1/, output);
    });
}
