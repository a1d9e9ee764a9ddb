/**
 * A scripted stand-in for the Switchboard server, for the parts of the client a real server cannot be
 * made to show on demand (a replay that overlaps, a gap, a refusal, a ban, a lost chunk reply). It
 * records what the client sends (JSON messages, and binary frames such as file chunks, apart) and the
 * test writes the server's side by hand; it implements none of the server's logic. Like the Java SDK's
 * FakeServer.
 */
import { WebSocketServer } from 'ws';
import { DEFAULT_TIMEOUT_MS } from './wait.js';

export class FakeServer {
  #server;
  #connections = [];
  #connectionWaiters = [];
  #received = [];
  #receivedWaiters = [];
  #binaryFrames = [];
  #binaryWaiters = [];
  /** The latest connection: the one send() and close() act on. */
  socket = null;

  /** Starts listening on a free port of 127.0.0.1. */
  static async start() {
    const fake = new FakeServer();
    await new Promise((resolve, reject) => {
      fake.#server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws' }, resolve);
      fake.#server.once('error', reject);
    });
    fake.#server.on('connection', (socket, request) => fake.#onConnection(socket, request));
    return fake;
  }

  get url() {
    return `ws://127.0.0.1:${this.#server.address().port}/ws`;
  }

  /** Waits for the next connection, makes it the latest, and returns its request URL (path and query). */
  async nextConnection(timeoutMs = DEFAULT_TIMEOUT_MS) {
    const { socket, url } = await this.#take(this.#connections, this.#connectionWaiters, 'a connection', timeoutMs);
    this.socket = socket;
    return url;
  }

  /** The next message from the client whose type is `type`, skipping others (acks, pings, resumes …). */
  async nextReceived(type, timeoutMs = DEFAULT_TIMEOUT_MS) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = await this.#take(this.#received, this.#receivedWaiters, `a '${type}' message`,
        Math.max(1, deadline - Date.now()));
      if (message.type === type) {
        return message;
      }
    }
  }

  /** The next binary frame from the client (a file chunk), as a Uint8Array of the whole frame. */
  nextBinary(timeoutMs = DEFAULT_TIMEOUT_MS) {
    return this.#take(this.#binaryFrames, this.#binaryWaiters, 'a binary frame', timeoutMs);
  }

  /** How many binary frames have arrived that nextBinary() has not taken yet. */
  get binaryFramesWaiting() {
    return this.#binaryFrames.length;
  }

  /** Writes one JSON message to the latest connection. */
  send(message) {
    this.socket.send(JSON.stringify(message));
  }

  /** Accepts the latest connection as `userId`. */
  welcome(userId = 'alice') {
    this.send(this.welcomeMessage(userId));
  }

  /** The welcome that welcome() writes, for a test to add fields to. */
  welcomeMessage(userId = 'alice') {
    return {
      type: 'welcome', connectionId: 'c1', userId, deviceId: 'phone', cursor: 0, lastSeq: 0,
      pingIntervalMs: 30000, pingTimeoutMs: 90000, maxMessageBytes: 65536, maxBodyBytes: 16384,
    };
  }

  /** Answers `request` (a received message with a ref) with a result carrying `data`. */
  result(request, data) {
    this.send({ type: 'result', ref: request.ref, data });
  }

  /** Answers `request` with an error of this code. */
  error(request, code) {
    this.send({ type: 'error', ref: request.ref, code, message: 'refused by the test' });
  }

  /** Writes a publication from alice. */
  publication(topic, epoch, offset, data) {
    this.send({ type: 'publication', topic, epoch, offset, data, from: 'alice' });
  }

  /** Closes the latest connection with a close frame. */
  close(code, reason = '') {
    this.socket.close(code, reason);
  }

  async stop() {
    for (const client of this.#server.clients) {
      client.terminate();
    }
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #onConnection(socket, request) {
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        this.#put(this.#binaryFrames, this.#binaryWaiters, new Uint8Array(data));
      } else {
        this.#put(this.#received, this.#receivedWaiters, JSON.parse(data.toString()));
      }
    });
    this.#put(this.#connections, this.#connectionWaiters, { socket, url: request.url });
  }

  #put(queue, waiters, value) {
    const waiter = waiters.shift();
    if (waiter) {
      waiter(value);
    } else {
      queue.push(value);
    }
  }

  #take(queue, waiters, what, timeoutMs) {
    if (queue.length > 0) {
      return Promise.resolve(queue.shift());
    }
    return new Promise((resolve, reject) => {
      const waiter = (value) => {
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  }
}
