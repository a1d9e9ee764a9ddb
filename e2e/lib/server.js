// Starts the real Switchboard jar for a test and stops it again (SIGTERM, like an operator).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const JAR = process.env.SWITCHBOARD_JAR ?? join(REPO, 'switchboard-server', 'target', 'switchboard.jar');
const BUILD_HINT = 'cd /work/main && ./mvnw -q -B package -Pquick -pl switchboard-server -am';
const LISTENING = /Switchboard listening on (http:\/\/[^/\s]+)\//;
const API_LISTENING = /Switchboard API listening on (http:\/\/[^/\s]+)\//;
/** The HS256 secret the test server accepts tokens for (besides --dev's ?user=). */
export const JWT_SECRET = 'e2e-secret-0123456789-0123456789-0123456789';

/** Files baked into the jar whose newer copy would make the tests run an old page. */
function staleSources() {
  const jarTime = statSync(JAR).mtimeMs;
  const resources = join(REPO, 'switchboard-server', 'src', 'main', 'resources');
  const dirs = [join(resources, 'web'), join(resources, 'admin'), join(REPO, 'clients', 'js', 'src')];
  return dirs.filter(existsSync).flatMap(dir => readdirSync(dir).map(name => join(dir, name)))
    .filter(file => statSync(file).mtimeMs > jarTime);
}

export function checkJar() {
  if (!existsSync(JAR)) throw new Error(`No server jar at ${JAR}. Build it first: ${BUILD_HINT}`);
  const stale = staleSources();
  if (stale.length > 0) {
    console.warn(`\n!!! The server jar is older than ${stale.join(', ')}.\n!!! The tests run the page inside the jar; rebuild: ${BUILD_HINT}\n`);
  }
}

/**
 * A running server: `url` is http://127.0.0.1:PORT, `apiUrl` the server API's http://127.0.0.1:PORT
 * (its own port, also picked free); stop() then startAgain() keeps both ports and the data dir.
 */
export class ServerProcess {
  constructor(dataDir, { env = {}, api = false } = {}) {
    this.dataDir = dataDir;
    this.env = env;
    this.waitForApi = api;
    this.port = 0;
    this.url = null;
    this.apiPort = 0;
    this.apiUrl = null;
    this.process = null;
    this.log = [];
  }

  /**
   * Starts the jar in development mode on free ports.
   *
   * @param {string} dataDir a fresh directory for the store
   * @param {{env?: Record<string, string>, api?: boolean}} [options] extra SWITCHBOARD_* variables (e.g.
   *   SWITCHBOARD_API_KEYS); api: also wait for `Switchboard API listening on …` before resolving
   */
  static async start(dataDir, options) {
    const server = new ServerProcess(dataDir, options);
    await server.#launch();
    return server;
  }

  async #launch(timeoutMs = 30_000) {
    this.url = null;
    this.apiUrl = null;
    const args = ['-jar', JAR, '--dev', '--port', String(this.port), '--data-dir', this.dataDir];
    // The API port defaults to a fixed 8081; a test server never takes a fixed port.
    const env = {
      ...process.env, SWITCHBOARD_AUTH_JWT_SECRET: JWT_SECRET, SWITCHBOARD_API_PORT: String(this.apiPort), ...this.env,
    };
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.process = child;
    const exited = new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.exited = exited;
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        const what = this.url === null ? 'its port' : 'its API port';
        reject(new Error(`server did not report ${what} within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      let buffered = '';
      const onLine = line => {
        this.log.push(line);
        const match = LISTENING.exec(line);
        if (match && this.url === null) {
          this.url = match[1];
          this.port = Number(new URL(match[1]).port);
        }
        const api = API_LISTENING.exec(line);
        if (api && this.apiUrl === null) {
          this.apiUrl = api[1];
          this.apiPort = Number(new URL(api[1]).port);
        }
        if (this.url !== null && (this.apiUrl !== null || !this.waitForApi)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.setEncoding('utf8').on('data', chunk => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop();
        lines.forEach(onLine);
      });
      child.stderr.setEncoding('utf8').on('data', chunk => this.log.push(...chunk.split('\n').filter(Boolean)));
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`server exited (code ${code}, signal ${signal}) before listening:\n${this.tail()}`));
      });
    });
  }

  /** SIGTERM (graceful drain), then SIGKILL if it has not exited within the timeout. */
  async stop(timeoutMs = 15_000) {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    let timer;
    const killed = new Promise(resolve => {
      timer = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, timeoutMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    await this.exited;
    this.url = null;   // the ports are kept for startAgain()
    this.apiUrl = null;
  }

  /** Starts again after stop(), on the same ports with the same data directory. */
  async startAgain() {
    await this.#launch();
  }

  tail(lines = 40) {
    return this.log.slice(-lines).join('\n');
  }
}
