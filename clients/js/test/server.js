/**
 * Runs the real Switchboard server jar as a child process for the tests: on a free port, with a fresh
 * data directory, in development mode. restart() stops it and starts it again on the same port and
 * data directory, so clients see a server restart with its store intact.
 *
 * The jar is switchboard-server/target/switchboard.jar of this checkout, or the one the environment
 * variable SWITCHBOARD_JAR names (e.g. a jar built in another work tree).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const JAR = process.env.SWITCHBOARD_JAR
  || fileURLToPath(new URL('../../../switchboard-server/target/switchboard.jar', import.meta.url));

const READY_LINE = /Switchboard listening on http:\/\/[^:]+:(\d+)\//;
/** Printed before READY_LINE when the server API is on (e.g. with args ['--api-port', '0']). */
const API_READY_LINE = /Switchboard API listening on http:\/\/[^:]+:(\d+)\//;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const LOG_LINES_KEPT = 200;

export class TestServer {
  #environment;
  #devMode;
  #extraArgs;
  #process = null;
  #exited = null;
  #log = [];

  /**
   * Starts a server and resolves once it listens.
   *
   * @param {{env?: Record<string, string>, devMode?: boolean, args?: string[]}} [options] extra
   *   SWITCHBOARD_* variables; devMode (default true) adds --dev; args are more command-line arguments,
   *   e.g. ['--config', file]
   */
  static async start({ env = {}, devMode = true, args = [] } = {}) {
    if (!existsSync(JAR)) {
      throw new Error(`server jar not found at ${JAR}: build it first with `
        + '`./mvnw -B -q -Pquick package` in the repository root, or name one in SWITCHBOARD_JAR');
    }
    const server = new TestServer(env, devMode, args);
    await server.#launch(0);
    return server;
  }

  constructor(environment, devMode, extraArgs) {
    this.#environment = environment;
    this.#devMode = devMode;
    this.#extraArgs = extraArgs;
    this.dataDirectory = mkdtempSync(path.join(tmpdir(), 'switchboard-js-test-'));
    this.port = 0;
    /** The server API's port, when it is on; 0 otherwise. */
    this.apiPort = 0;
  }

  /** The WebSocket endpoint, e.g. ws://127.0.0.1:41234/ws. */
  get url() {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  /** The last lines the server printed, for failure messages. */
  get log() {
    return this.#log.join('\n');
  }

  /** Stops the server (SIGTERM: graceful, closes connections with 1012) and starts it again. */
  async restart() {
    await this.stop();
    await this.#launch(this.port);
  }

  /** Freezes the process: TCP stays up, nothing is answered. */
  pause() {
    this.#process?.kill('SIGSTOP');
  }

  unpause() {
    this.#process?.kill('SIGCONT');
  }

  /** Sends `signal` and waits for the exit; SIGKILL if it takes longer than STOP_TIMEOUT_MS. */
  async stop(signal = 'SIGTERM') {
    const child = this.#process;
    if (child === null) {
      return;
    }
    child.kill('SIGCONT'); // a paused process would not act on SIGTERM
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(timer);
    this.#process = null;
  }

  /** Stops the server and deletes its data directory. */
  async close() {
    await this.stop();
    rmSync(this.dataDirectory, { recursive: true, force: true });
  }

  #launch(port) {
    const args = ['-jar', JAR, '--port', String(port), '--data-dir', this.dataDirectory];
    if (this.#devMode) {
      args.push('--dev');
    }
    // The server API's port defaults to a fixed 8081 and test servers run side by side: off, unless the
    // test asks for it (e.g. '--api-port', '0' for a free one; the flag may be given only once).
    if (!this.#extraArgs.includes('--api-port')) {
      args.push('--api-port', '-1');
    }
    args.push(...this.#extraArgs);
    const child = spawn('java', args, {
      env: { ...process.env, SWITCHBOARD_SHUTDOWN_DRAIN_WINDOW_MILLIS: '100', ...this.#environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#process = child;
    this.#exited = new Promise((resolve) => child.once('exit', resolve));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`server did not start within ${START_TIMEOUT_MS} ms:\n${this.log}`));
      }, START_TIMEOUT_MS);
      const keep = (line) => {
        this.#log.push(line);
        if (this.#log.length > LOG_LINES_KEPT) {
          this.#log.shift();
        }
      };
      createInterface({ input: child.stderr }).on('line', keep);
      createInterface({ input: child.stdout }).on('line', (line) => {
        keep(line);
        const api = API_READY_LINE.exec(line);
        if (api) {
          this.apiPort = Number(api[1]);
        }
        const ready = READY_LINE.exec(line);
        if (ready) {
          clearTimeout(timer);
          this.port = Number(ready[1]);
          resolve();
        }
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${code ?? signal}) before it listened:\n${this.log}`));
      });
    });
  }
}
