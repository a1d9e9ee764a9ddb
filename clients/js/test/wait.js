/**
 * Waiting helpers for the tests: every wait is bounded and fails with a message naming what it
 * waited for. Nothing here sleeps to synchronise; waits end as soon as their condition holds.
 */
import { createHmac } from 'node:crypto';

export const DEFAULT_TIMEOUT_MS = 10_000;

/** Rejects with "timed out waiting for <what>" unless `promise` settles within timeoutMs. */
export function withTimeout(promise, what, timeoutMs = DEFAULT_TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The next `event` of `client` whose value satisfies `predicate`. Subscribe before causing the event:
 * call this first, then act, then await the result.
 */
export function nextEvent(client, event, predicate = () => true, timeoutMs = DEFAULT_TIMEOUT_MS) {
  let unsubscribe;
  const seen = new Promise((resolve) => {
    unsubscribe = client.on(event, (value) => {
      if (predicate(value)) {
        resolve(value);
      }
    });
  });
  return withTimeout(seen, `'${event}'`, timeoutMs).finally(unsubscribe);
}

/** The next 'state' event entering `state`. */
export function nextState(client, state, timeoutMs = DEFAULT_TIMEOUT_MS) {
  return nextEvent(client, 'state', (change) => change.state === state, timeoutMs);
}

/** Polls `condition` every few ms until it returns a truthy value, which is returned. */
export async function waitFor(condition, what, timeoutMs = DEFAULT_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = condition();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** An array that receives every `event` of `client` from now on. */
export function collect(client, event) {
  const values = [];
  client.on(event, (value) => values.push(value));
  return values;
}

/** Connects `client` and resolves once its first resume has finished ('synced'). */
export async function connectAndSync(client, timeoutMs = DEFAULT_TIMEOUT_MS) {
  const synced = nextEvent(client, 'synced', () => true, timeoutMs);
  client.connect();
  await synced;
  return client;
}

/** A unique id for this run, so tests sharing a server never share users or groups. */
export function uniqueId(prefix) {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/** An HS256 JWT for `claims`, signed with `secret` (no library: header.payload.signature, base64url). */
export function mintToken(secret, claims) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  const signature = createHmac('sha256', secret).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}
