/**
 * JavaScript client of a Switchboard server (docs/PROTOCOL.md): keeps one WebSocket connection up,
 * reconnecting with full-jitter backoff; resumes the inbox by seq after every reconnect; resends
 * unconfirmed sends with their original clientId; and de-duplicates what it delivers. The application
 * sees every inbox entry once and in seq order. Topic subscriptions are kept across reconnects and
 * recovered by offset, so each topic's publications arrive once and in order too, or a
 * 'recoveryFailed' event says what was lost. Files are uploaded in chunks over the same connection and
 * resumed at the server's offset after a reconnect.
 *
 * One dependency-free ES module for browsers and Node 20+. It uses the global WebSocket, or the
 * implementation passed as `options.WebSocket` (e.g. the `ws` package). The server serves this exact
 * file at /client/switchboard.js, so nothing Node-only may be imported here.
 *
 * Limits: unconfirmed sends are kept in memory only (bounded by maxPendingSends), so they are lost when
 * the page or process goes away. Requests (group operations, presence, ping) are not queued while
 * disconnected.
 */

const OPEN = 1;
const NORMAL_CLOSE = 1000;
const ABNORMAL_CLOSE = 1006;
const TOKEN_EXPIRED_CLOSE = 4001;
/** Close codes after which the client stops for good: 4003 kicked, 4004 banned (PROTOCOL.md section 7). */
const TERMINAL_CLOSE_CODES = new Set([4003, 4004]);
/** How long close() waits for the server to answer the close frame before dropping the socket. */
const CLOSE_GRACE_MS = 1000;
const MAX_BACKOFF_EXPONENT = 30;
/** The least part of the server's send burst left unused, to absorb delays (see SendTokenBucket). */
const JITTER_ALLOWANCE_MS = 10;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Error codes after which the same send may succeed later: nothing was stored (PROTOCOL.md section 6). */
const RETRYABLE_CODES = new Set(['rate_limited', 'store_busy', 'store_unavailable', 'internal']);
/** Topic names: 1-128 characters of A-Z a-z 0-9 _ . : @ / - (PROTOCOL.md, "Topics"). */
const TOPIC_PATTERN = /^[A-Za-z0-9_.:@/-]{1,128}$/;

const now = () => globalThis.performance?.now() ?? Date.now();
const utf8 = new TextEncoder();

/**
 * A failed request, send, connection or download. At most one of three fields says what failed. `code`
 * is the server's error code: the request was refused, and the connection stays up. `closeCode` means
 * the connection was closed (e.g. 4003 kicked). `httpStatus` means the WebSocket handshake was refused
 * (Node with `ws` only), or a download (fetchFile) was answered with that status. Local refusals and
 * transport failures have all three null, except a local size check, which uses
 * `code: 'payload_too_large'`.
 */
export class SwitchboardError extends Error {
  /**
   * @param {string} message
   * @param {{code?: string|null, closeCode?: number|null, httpStatus?: number|null, cause?: unknown}} [details]
   */
  constructor(message, { code = null, closeCode = null, httpStatus = null, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'SwitchboardError';
    this.code = code;
    this.closeCode = closeCode;
    this.httpStatus = httpStatus;
  }
}

/**
 * Exponential backoff with full jitter (PROTOCOL.md section 9). Returns a whole number of ms drawn
 * uniformly from [0, min(maxMs, baseMs × 2^attempt)], both ends included. Full jitter spreads the
 * reconnects of many clients cut off at once (a server restart), so they do not return in waves.
 *
 * @param {number} attempt 0, 1, 2 …
 * @param {number} baseMs ceiling of the first delay; >= 0
 * @param {number} maxMs cap of every ceiling; >= baseMs
 * @param {() => number} [random] uniform in [0, 1)
 */
export function backoffDelay(attempt, baseMs, maxMs, random = Math.random) {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new RangeError(`attempt must be an integer >= 0, got ${attempt}`);
  }
  if (!(baseMs >= 0) || !(maxMs >= baseMs) || !Number.isFinite(maxMs)) {
    throw new RangeError(`need 0 <= baseMs <= maxMs, got baseMs ${baseMs}, maxMs ${maxMs}`);
  }
  const ceiling = baseMs === 0 ? 0 : Math.floor(Math.min(maxMs, baseMs * 2 ** attempt));
  return Math.min(ceiling, Math.floor(random() * (ceiling + 1)));
}

/** The longest reconnect backoff a server may advertise (PROTOCOL.md section 9): an hour. */
const MAX_ADVERTISED_BACKOFF_MS = 3_600_000;

/**
 * The reconnect backoff a welcome advertises (reconnectBaseMs, reconnectMaxMs), or `configured` when it
 * advertises none or nothing usable (not whole numbers, a base below 1 ms, a cap below the base); a cap
 * above an hour is cut to an hour. As the Java SDK's Backoff.advertisedOr.
 *
 * @param {object} welcome
 * @param {{baseMs: number, maxMs: number}} configured the client's own options
 * @returns {{baseMs: number, maxMs: number}}
 */
export function advertisedBackoff(welcome, configured) {
  const { reconnectBaseMs: baseMs, reconnectMaxMs: maxMs } = welcome;
  if (!Number.isSafeInteger(baseMs) || !Number.isSafeInteger(maxMs) || baseMs < 1 || maxMs < baseMs) {
    return configured;
  }
  const cap = Math.min(maxMs, MAX_ADVERTISED_BACKOFF_MS);
  return { baseMs: Math.min(baseMs, cap), maxMs: cap };
}

/** A set of handlers per event name. A handler that throws is logged; the others still run. */
class Emitter {
  #handlers = new Map();

  on(event, handler) {
    if (typeof handler !== 'function') {
      throw new TypeError(`handler for '${event}' must be a function`);
    }
    if (!this.#handlers.has(event)) {
      this.#handlers.set(event, new Set());
    }
    this.#handlers.get(event).add(handler);
    return () => this.off(event, handler);
  }

  off(event, handler) {
    this.#handlers.get(event)?.delete(handler);
  }

  emit(event, value) {
    const handlers = this.#handlers.get(event);
    if (!handlers) {
      return;
    }
    for (const handler of [...handlers]) {
      try {
        handler(value);
      } catch (error) {
        console.error(`switchboard: a '${event}' handler threw`, error);
      }
    }
  }
}

/**
 * The client's copy of the server's per-connection send limit (welcome.sendsPerSecond / sendBurst):
 * a token bucket that starts full. A client that takes a token for every send it transmits stays under
 * the server's limit, so no send is refused with rate_limited and then stored after later ones.
 *
 * The server counts arrivals and the client counts transmissions, so jitter on the way could still
 * bunch sends up. forServerLimit therefore leaves half the burst (at least JITTER_ALLOWANCE_MS) unused:
 * the server's bucket stays at least half full for a paced client, absorbing delays of up to half a
 * burst's duration (1 s at the defaults), a cold server JVM included. Kept as
 * GCRA: one theoretical arrival time (ms, from `now()`) instead of a fractional token count.
 */
class SendTokenBucket {
  static #unlimited = new SendTokenBucket(Infinity, 1, 0, 0);

  /** The bucket for a welcome's limit; unlimited when the server advertises none (sendsPerSecond < 1). */
  static forServerLimit(sendsPerSecond, sendBurst, nowMs) {
    if (!(sendsPerSecond >= 1)) {
      return SendTokenBucket.#unlimited;
    }
    const burst = Math.max(1, Math.floor(sendBurst) || 1);
    const allowanceMs = Math.max(JITTER_ALLOWANCE_MS, ((burst - 1) * (1000 / sendsPerSecond)) / 2);
    return new SendTokenBucket(sendsPerSecond, burst, allowanceMs, nowMs);
  }

  constructor(sendsPerSecond, burst, jitterAllowanceMs, nowMs) {
    this.intervalMs = 1000 / sendsPerSecond;
    const burstMs = (burst - 1) * this.intervalMs;
    /** How far the theoretical arrival time may run ahead of now. */
    this.toleranceMs = burstMs - Math.min(burstMs, jitterAllowanceMs);
    this.theoreticalArrivalMs = nowMs;
  }

  /** Takes a token if one is available at nowMs; returns false, changing nothing, if not. */
  tryTake(nowMs) {
    if (this.msUntilToken(nowMs) > 0) {
      return false;
    }
    this.theoreticalArrivalMs = Math.max(this.theoreticalArrivalMs, nowMs) + this.intervalMs;
    return true;
  }

  /** How long after nowMs the next token is available; 0 when one is available now. */
  msUntilToken(nowMs) {
    if (this.intervalMs === 0) {
      return 0;
    }
    return Math.max(0, this.theoreticalArrivalMs - this.toleranceMs - nowMs);
  }

  /** Takes every token: the server said rate_limited, so its bucket is emptier than this one. */
  empty(nowMs) {
    this.theoreticalArrivalMs = Math.max(this.theoreticalArrivalMs, nowMs + this.toleranceMs + this.intervalMs);
  }
}

/**
 * The sends not yet confirmed by `sent`, in call order, bounded by `capacity`. After a reconnect they
 * are resent in this order with their original clientId, which lets the server de-duplicate them.
 *
 * The due sends are the ones waiting to be transmitted on the current connection: new ones, every
 * one after a welcome (requeueAll), and one refused with a retryable error (requeue). peekDue() is
 * always the earliest in call order, so a send put back for a retry goes out again before any later
 * send that has not gone out yet. Keyed by ref, unique per client, so two sends that share a clientId
 * are still told apart.
 */
class PendingSends {
  #byRef = new Map();
  #due = [];
  #nextOrder = 0;

  constructor(capacity) {
    this.capacity = capacity;
  }

  get size() {
    return this.#byRef.size;
  }

  /** Appends `send` to the resend order and the due sends; false, changing nothing, when full. */
  offer(send) {
    if (this.#byRef.size >= this.capacity) {
      return false;
    }
    send.order = this.#nextOrder++;
    this.#byRef.set(send.ref, send);
    this.#due.push(send);
    send.due = true;
    return true;
  }

  get(ref) {
    return ref == null ? undefined : this.#byRef.get(ref);
  }

  /**
   * Removes and returns the send a `sent` reply confirms: the one with the reply's ref when its clientId
   * agrees (or the reply has none), else the oldest with the reply's clientId; undefined when none does.
   */
  takeConfirmed(ref, clientId) {
    const byReference = this.get(ref);
    if (byReference && (clientId == null || clientId === byReference.clientId)) {
      this.remove(byReference);
      return byReference;
    }
    if (clientId == null) {
      return undefined;
    }
    for (const send of this.#byRef.values()) {
      if (send.clientId === clientId) {
        this.remove(send);
        return send;
      }
    }
    return undefined;
  }

  /** Removes `send`; false when it was not pending. */
  remove(send) {
    if (this.#byRef.get(send.ref) !== send) {
      return false;
    }
    this.#byRef.delete(send.ref);
    if (send.due) {
      this.#due.splice(this.#due.indexOf(send), 1);
      send.due = false;
    }
    return true;
  }

  /** A snapshot of the pending sends in resend order. */
  inOrder() {
    return [...this.#byRef.values()];
  }

  /** Removes and returns every pending send, in resend order. */
  drain() {
    const all = this.inOrder();
    this.#byRef.clear();
    this.#due = [];
    return all;
  }

  /** The earliest due send in call order, or undefined. */
  peekDue() {
    return this.#due[0];
  }

  /** Removes the earliest due send (it is being transmitted) and releases its retry hold. */
  pollDue() {
    const send = this.#due.shift();
    if (send) {
      send.due = false;
      send.holdUntilMs = 0;
    }
    return send;
  }

  /**
   * Makes a transmitted `send` due again, held until notBeforeMs: a retryable error. Until then no
   * later send goes out either, since peekDue() returns it first.
   */
  requeue(send, notBeforeMs) {
    if (this.#byRef.get(send.ref) !== send) {
      return false;
    }
    send.holdUntilMs = notBeforeMs;
    if (!send.due) {
      const index = this.#due.findIndex((other) => other.order > send.order);
      this.#due.splice(index === -1 ? this.#due.length : index, 0, send);
      send.due = true;
    }
    return true;
  }

  /** A new connection: every pending send is due again, in call order, without holds. */
  requeueAll() {
    this.#due = this.inOrder();
    for (const send of this.#due) {
      send.due = true;
      send.holdUntilMs = 0;
    }
  }
}

/**
 * Decides what to do with each inbox entry so that the application sees every seq exactly once and in
 * order (PROTOCOL.md section 4). It only tracks lastSeq, the highest contiguous seq processed, and
 * stores no messages: an entry ahead of a gap is dropped, and the resume sent on 'gap' fetches it again.
 */
class InboxSequencer {
  #positioned = false;
  #awaitingResume = false;

  /** @param {number|undefined|null} initialAfterSeq seeds lastSeq; absent: start at the server's cursor */
  constructor(initialAfterSeq) {
    this.lastSeq = 0;
    if (initialAfterSeq != null) {
      this.lastSeq = initialAfterSeq;
      this.#positioned = true;
    }
  }

  /**
   * The afterSeq of the resume that follows a welcome (undefined: omit it), forgetting any resume asked
   * for on the previous connection. Not yet positioned: continue from the device's cursor and position
   * there. The server's newest seq below lastSeq means its store was reset: restart from the cursor.
   */
  resumeAfter(cursor, serverLastSeq) {
    this.#awaitingResume = false;
    if (!this.#positioned) {
      this.lastSeq = cursor;
      this.#positioned = true;
      return undefined;
    }
    if (serverLastSeq >= 0 && serverLastSeq < this.lastSeq) {
      this.lastSeq = cursor;
    }
    return this.lastSeq;
  }

  /**
   * Classifies the entry with this seq: 'deliver' (lastSeq moved to it), 'duplicate' (seq <= lastSeq),
   * 'gap' (entries missing: send resume {afterSeq: lastSeq}), or 'awaiting-resume' (drop it: a resume
   * is on its way).
   */
  offer(seq) {
    if (seq <= this.lastSeq) {
      return 'duplicate';
    }
    if (seq === this.lastSeq + 1) {
      this.lastSeq = seq;
      this.#awaitingResume = false;
      return 'deliver';
    }
    if (this.#awaitingResume) {
      return 'awaiting-resume';
    }
    this.#awaitingResume = true;
    return 'gap';
  }

  /**
   * Applies truncated {afterSeq, nextSeq}. It counts only when it starts at or before lastSeq and
   * reaches past it; returns true when lastSeq moved to nextSeq - 1.
   */
  onTruncated(afterSeq, nextSeq) {
    if (afterSeq <= this.lastSeq && this.lastSeq < nextSeq - 1) {
      this.lastSeq = nextSeq - 1;
      this.#awaitingResume = false;
      return true;
    }
    return false;
  }

  /** A replay finished: if a gap is still open, the next entry past it asks for a resume again. */
  onSynced() {
    this.#awaitingResume = false;
  }
}

/**
 * Batches cumulative acknowledgements (PROTOCOL.md section 4). After an entry is processed, one ack
 * for the highest processed seq goes out within delayMs, or at once when `batch` entries are waiting.
 */
class AckTracker {
  #sender = null;
  #processedSeq = 0;
  #ackedSeq = 0;
  #unacked = 0;
  #timer = null;

  constructor(delayMs, batch) {
    this.delayMs = delayMs;
    this.batch = batch;
  }

  /**
   * A connection is ready: acks go to `sender` from now on. Entries processed beyond the server's
   * cursor and never acknowledged (the old connection died first) are acknowledged at once.
   */
  onConnected(sender, cursor) {
    this.#sender = sender;
    this.#ackedSeq = cursor;
    if (this.#processedSeq > this.#ackedSeq) {
      this.flush();
    }
  }

  /** The connection is gone: hold acks until the next onConnected. */
  onDisconnected() {
    this.#sender = null;
    this.#cancelTimer();
  }

  /** The entries up to seq were processed (delivered, or skipped by truncated). */
  onProcessed(seq) {
    this.#processedSeq = Math.max(this.#processedSeq, seq);
    this.#unacked++;
    if (this.#unacked >= this.batch || this.delayMs === 0) {
      this.flush();
    } else if (this.#timer === null && this.#sender !== null) {
      this.#timer = setTimeout(() => this.flush(), this.delayMs);
    }
  }

  /** Forgets processed entries beyond seq: the server's store was reset under the client. */
  rebase(seq) {
    this.#cancelTimer();
    this.#processedSeq = seq;
    this.#unacked = 0;
  }

  /** Sends the ack now if anything is unacknowledged and a connection is ready. */
  flush() {
    this.#cancelTimer();
    if (this.#sender === null || this.#processedSeq <= this.#ackedSeq) {
      return;
    }
    this.#sender(this.#processedSeq);
    this.#ackedSeq = this.#processedSeq;
    this.#unacked = 0;
  }

  #cancelTimer() {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }
}

/**
 * Detects a dead server (PROTOCOL.md section 8). After intervalMs without inbound traffic it asks for
 * an application ping (again every interval); after timeoutMs without any it reports the connection
 * dead. One timer, set for the next deadline, rather than a fixed period that would notice a timeout
 * only at the next multiple of the interval.
 */
class Heartbeat {
  #lastReadMs = 0;
  #lastPingMs = 0;
  #timer = null;

  constructor(intervalMs, timeoutMs, sendPing, onDead) {
    this.intervalMs = intervalMs;
    this.timeoutMs = timeoutMs;
    this.sendPing = sendPing;
    this.onDead = onDead;
  }

  start() {
    this.#lastReadMs = now();
    this.#lastPingMs = this.#lastReadMs;
    this.#schedule(Math.min(this.intervalMs, this.timeoutMs));
  }

  /** Something arrived. */
  touch() {
    this.#lastReadMs = now();
  }

  stop() {
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  #check() {
    this.#timer = null;
    const nowMs = now();
    if (nowMs - this.#lastReadMs >= this.timeoutMs) {
      this.onDead();
      return;
    }
    let quietSince = Math.max(this.#lastReadMs, this.#lastPingMs);
    if (nowMs - quietSince >= this.intervalMs) {
      this.sendPing();
      this.#lastPingMs = nowMs;
      quietSince = nowMs;
    }
    const nextPing = quietSince + this.intervalMs;
    const deadline = this.#lastReadMs + this.timeoutMs;
    this.#schedule(Math.min(nextPing, deadline) - nowMs);
  }

  #schedule(delayMs) {
    this.#timer = setTimeout(() => this.#check(), Math.max(1, Math.ceil(delayMs)));
  }
}

/**
 * One connection attempt and, if it opens, one WebSocket session: the socket, its heartbeat, and what
 * is learnt about how it ended (close code and reason, refused handshake's HTTP status, failure).
 * events.onEnded is called exactly once, also for an attempt that never opened; events after that are
 * ignored, so a reconnect's new instance never hears from the old socket.
 *
 * An attempt that has not opened within connectTimeoutMs is given up: a frozen server still accepts
 * TCP, and some WebSocket implementations (Node 20's) report neither error nor close when the server
 * drops the connection during the handshake.
 */
class Connection {
  opened = false;
  welcomed = false;
  closeFrameSent = false;
  ended = false;
  closeCode = null;
  closeReason = '';
  httpStatus = null;
  failure = null;
  #connectTimer = null;
  #graceTimer = null;

  /**
   * @param {any} socket a freshly created WebSocket (browser, Node, or the ws package)
   * @param {{connectTimeoutMs: number, pingIntervalMs: number, pingTimeoutMs: number}} timing
   * @param {{onText(connection, text), onPingDue(connection), onEnded(connection)}} events
   */
  constructor(socket, { connectTimeoutMs, pingIntervalMs, pingTimeoutMs }, events) {
    this.socket = socket;
    this.events = events;
    this.heartbeat = new Heartbeat(pingIntervalMs, pingTimeoutMs, () => events.onPingDue(this),
      () => this.abort(`nothing received for ${pingTimeoutMs} ms`));
    this.#connectTimer = setTimeout(() => this.abort(`not connected within ${connectTimeoutMs} ms`),
      connectTimeoutMs);
    this.#listen();
  }

  /** True while usable: welcomed, open, and no close frame sent. */
  get isReady() {
    return this.welcomed && !this.closeFrameSent && !this.ended && this.socket.readyState === OPEN;
  }

  /**
   * Writes one frame if the socket is open and not closing, otherwise drops it: a string as a text
   * frame, a Uint8Array (a file chunk) as a binary frame.
   */
  write(data) {
    if (this.ended || this.closeFrameSent || this.socket.readyState !== OPEN) {
      return;
    }
    this.socket.send(data);
  }

  /** Starts the closing handshake; drops the socket if the server has not answered within graceMs. */
  closeGracefully(code, reason, graceMs) {
    if (this.ended || this.closeFrameSent) {
      return;
    }
    this.closeFrameSent = true;
    try {
      this.socket.close(code, reason);
    } catch (error) {
      this.abort(`close failed: ${error.message}`);
      return;
    }
    this.#graceTimer = setTimeout(() => this.abort('the server did not answer the close'), graceMs);
  }

  /** Drops the socket without waiting (a dead peer would never answer a close) and ends at once. */
  abort(reason) {
    if (this.ended) {
      return;
    }
    if (this.closeCode === null) {
      this.closeCode = ABNORMAL_CLOSE;
      this.closeReason = reason;
    }
    this.ended = true; // first: some implementations fire error and close from inside close()
    try {
      if (typeof this.socket.terminate === 'function') {
        this.socket.terminate();
      } else {
        this.socket.close();
      }
    } catch {
      // Already closing: nothing more to do, the connection has ended either way.
    }
    this.#finish();
  }

  #listen() {
    const socket = this.socket;
    const listen = (type, listener) => {
      const guarded = (...args) => {
        if (!this.ended) {
          listener(...args);
        }
      };
      if (typeof socket.addEventListener === 'function') {
        socket.addEventListener(type, guarded);
      } else {
        socket[`on${type}`] = guarded;
      }
    };
    listen('open', () => {
      this.opened = true;
      clearTimeout(this.#connectTimer);
      this.heartbeat.start();
    });
    listen('message', (event) => {
      this.heartbeat.touch();
      if (typeof event.data === 'string') {
        this.events.onText(this, event.data);
      }
    });
    listen('error', (event) => {
      this.failure ??= event?.error ?? new Error(event?.message || 'WebSocket error');
      if (!this.opened) {
        // The attempt failed. A close event should follow, but Node 20's WebSocket never sends one.
        this.abort(this.failure.message);
      }
    });
    listen('close', (event) => {
      this.closeCode = event.code ?? ABNORMAL_CLOSE;
      this.closeReason = event.reason ?? '';
      this.#end();
    });
    if (typeof socket.on === 'function') {
      // The ws package: a refused handshake's status, and control frames as liveness.
      socket.on('unexpected-response', (request, response) => {
        this.httpStatus = response.statusCode;
        response.resume?.();
        socket.terminate();
      });
      socket.on('ping', () => this.heartbeat.touch());
      socket.on('pong', () => this.heartbeat.touch());
    }
  }

  #end() {
    if (this.ended) {
      return;
    }
    this.ended = true;
    this.#finish();
  }

  #finish() {
    this.heartbeat.stop();
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#graceTimer);
    this.events.onEnded(this);
  }
}

/**
 * What follows the end of a connection (PROTOCOL.md sections 7 and 9): 'stop' after a terminal close
 * code (4003 kicked, 4004 banned) or a refused handshake (403, or 401 once a fresh token was tried);
 * 'now' when a fresh token may help (the first 401 in a row, close code 4001); otherwise 'backoff',
 * whatever the close code.
 */
function decideReconnect(closeCode, httpStatus, hasTokenProvider, authFailuresInRow) {
  if (TERMINAL_CLOSE_CODES.has(closeCode)) {
    return 'stop';
  }
  if (httpStatus === 401) {
    return hasTokenProvider && authFailuresInRow <= 1 ? 'now' : 'stop';
  }
  if (httpStatus === 403) {
    return 'stop';
  }
  if (closeCode === TOKEN_EXPIRED_CLOSE && hasTokenProvider) {
    return 'now';
  }
  return 'backoff';
}

/**
 * Everything sent that waits for a reply. Chat sends are kept across reconnects until `sent` and
 * resent in order with the same clientId. Requests (group operations, presence, pings) are tied to
 * one connection and fail when it ends; they are never resent, since a retried group.join could act
 * twice.
 *
 * Sends go out strictly in call order, paced by a SendTokenBucket set from each welcome. A send
 * refused with a retryable error stays pending and goes out again after a backoff delay; until then no
 * later send that has not gone out yet is transmitted, so none of those can be stored before it. Sends
 * transmitted before the refusal arrived cannot be recalled and may be stored first.
 *
 * File chunks (binary frames, PROTOCOL.md section 11) are tied to one connection like requests, and
 * take a token from the same bucket, since the server counts each as a send. One chunk at a time is on
 * the wire per connection, the next only after the previous one's reply: the server refuses a chunk that
 * arrives while the connection's previous one is being stored, so concurrent uploads take turns. A
 * waiting chunk goes before the due sends, which cannot starve them: it is at most one per round trip.
 */
class Outbound {
  #sends;
  #requests = new Map();
  /** File chunks waiting for their turn: [{ref, frame}], on the ready connection only. */
  #chunks = [];
  /** The ref of the chunk on the wire whose reply has not arrived, or null. */
  #chunkInFlight = null;
  #bucket = SendTokenBucket.forServerLimit(0, 0, 0);
  #ready = null;
  #maxMessageBytes = Infinity;
  #transmitTimer = null;
  #transmitDeadlineMs = 0;

  constructor(maxPendingSends, stats, retryBackoff) {
    this.#sends = new PendingSends(maxPendingSends);
    this.stats = stats;
    this.retryBackoff = retryBackoff;
  }

  get pendingSends() {
    return this.#sends.inOrder();
  }

  /** The last welcome's maxMessageBytes; Infinity before the first or when it gave none. */
  get maxMessageBytes() {
    return this.#maxMessageBytes;
  }

  /** Queues a send after all earlier ones; it goes out when a connection is ready and pacing allows. */
  submitSend(send) {
    if (!this.#sends.offer(send)) {
      send.reject(new SwitchboardError(`too many pending sends (maxPendingSends ${this.#sends.capacity})`));
      return;
    }
    if (this.#ready && !this.#failIfTooLarge(send)) {
      this.#transmitDue();
    }
  }

  /** Sends a request on the ready connection, or rejects at once when there is none. */
  submitRequest(ref, frameText, waiter) {
    if (!this.#ready?.isReady) {
      waiter.reject(new SwitchboardError('not connected'));
      return;
    }
    this.#requests.set(ref, waiter);
    this.#ready.write(frameText);
  }

  /**
   * Queues a file chunk, a binary frame whose header carries `ref`, on the ready connection; rejects at
   * once when there is none, or when the frame is larger than the server's maxMessageBytes. The waiter
   * gets the reply's data, or its error; like a request's, it fails when the connection ends.
   */
  submitChunk(ref, frame, waiter) {
    if (!this.#ready?.isReady) {
      waiter.reject(new SwitchboardError('not connected'));
      return;
    }
    if (frame.length > this.#maxMessageBytes) {
      waiter.reject(new SwitchboardError(`chunk of ${frame.length} bytes exceeds the server's maxMessageBytes `
        + `${this.#maxMessageBytes}`, { code: 'payload_too_large' }));
      return;
    }
    const settled = (complete) => (value) => {
      if (this.#chunkInFlight === ref) {
        this.#chunkInFlight = null;
      }
      complete(value);
      this.#transmitDue();
    };
    this.#requests.set(ref, {
      resolve: settled(waiter.resolve),
      reject: settled((error) => {
        if (error.code === 'rate_limited') {
          this.#bucket.empty(now());
        }
        waiter.reject(error);
      }),
    });
    this.#chunks.push({ ref, frame });
    this.#transmitDue();
  }

  /**
   * Withdraws the chunk with this ref while it waits for its turn: it never goes out, and its waiter
   * rejects with `cause`. A chunk already on the wire stays: its reply is what lets the next one go.
   */
  withdrawChunk(ref, cause) {
    const index = this.#chunks.findIndex((chunk) => chunk.ref === ref);
    if (index === -1) {
      return;
    }
    this.#chunks.splice(index, 1);
    const waiter = this.#requests.get(ref);
    this.#requests.delete(ref);
    waiter?.reject(cause);
  }

  /** A welcome arrived: (re)send every pending send in call order, paced by a full bucket. */
  onConnected(connection, welcome) {
    this.#cancelTransmitTimer();
    this.#ready = connection;
    this.#maxMessageBytes = welcome.maxMessageBytes > 0 ? welcome.maxMessageBytes : Infinity;
    for (const send of this.#sends.inOrder()) {
      this.#failIfTooLarge(send);
    }
    this.#bucket = SendTokenBucket.forServerLimit(welcome.sendsPerSecond, welcome.sendBurst, now());
    this.#sends.requeueAll();
    this.#transmitDue();
  }

  /** The connection ended: its requests and chunks fail with `cause`; sends stay pending. */
  onDisconnected(cause) {
    this.#ready = null;
    this.#cancelTransmitTimer();
    this.#chunks = [];
    this.#chunkInFlight = null;
    this.#failRequests(cause);
  }

  /** The client is closed: every send and request fails with `cause`. */
  failAll(cause) {
    this.onDisconnected(cause);
    for (const send of this.#sends.drain()) {
      send.reject(cause);
    }
  }

  /** Completes the send a `sent` confirms (or a raw request whose reply is `sent`). */
  onSent(frame) {
    const send = this.#sends.takeConfirmed(frame.ref, frame.clientId);
    if (!send) {
      this.onReply(frame.ref, frame);
      return;
    }
    send.resolve({
      clientId: frame.clientId ?? send.clientId,
      id: frame.id,
      ts: frame.ts,
      seq: frame.seq,
      duplicate: frame.duplicate === true,
    });
  }

  /** Completes the request with this ref; unknown refs are ignored. */
  onReply(ref, value) {
    const waiter = ref == null ? undefined : this.#requests.get(ref);
    if (waiter) {
      this.#requests.delete(ref);
      waiter.resolve(value);
    }
  }

  /** Routes an error reply to its send or request; false when nothing waits for it. */
  onError(ref, error) {
    const send = this.#sends.get(ref);
    if (send) {
      if (RETRYABLE_CODES.has(error.code)) {
        this.#holdForRetry(send, error.code);
      } else {
        this.#sends.remove(send);
        send.reject(error);
      }
      return true;
    }
    const waiter = ref == null ? undefined : this.#requests.get(ref);
    if (!waiter) {
      return false;
    }
    this.#requests.delete(ref);
    waiter.reject(error);
    return true;
  }

  /**
   * Transmits the waiting chunk, if its turn has come, and every due send, in call order, as far as the
   * pacing allows now; if something waits for a token or a retry hold, makes sure an attempt is
   * scheduled for when it may go.
   */
  #transmitDue() {
    const connection = this.#ready;
    if (!connection?.isReady) {
      return;
    }
    const nowMs = now();
    const chunk = this.#pollChunk(nowMs);
    if (chunk) {
      this.#chunkInFlight = chunk.ref;
      connection.write(chunk.frame);
    }
    for (let send = this.#pollSendable(nowMs); send; send = this.#pollSendable(nowMs)) {
      if (send.transmissions > 0) {
        this.stats.sendsResent++;
      }
      send.transmissions++;
      connection.write(send.frameText);
    }
    const waitMs = this.#msUntilNextTransmission(nowMs);
    if (waitMs !== null) {
      this.#scheduleTransmit(connection, nowMs + waitMs);
    }
  }

  /** The first waiting chunk with its token, if no chunk is on the wire and a token is available. */
  #pollChunk(nowMs) {
    if (this.#chunks.length === 0 || this.#chunkInFlight !== null || !this.#bucket.tryTake(nowMs)) {
      return undefined;
    }
    return this.#chunks.shift();
  }

  /**
   * How long after nowMs the next waiting transmission may go out; null when none waits (a chunk behind
   * one on the wire goes when that one's reply arrives, not at a time).
   */
  #msUntilNextTransmission(nowMs) {
    const tokenMs = this.#bucket.msUntilToken(nowMs);
    const next = this.#sends.peekDue();
    let waitMs = next ? Math.max(next.holdUntilMs - nowMs, tokenMs, 0) : null;
    if (this.#chunks.length > 0 && this.#chunkInFlight === null) {
      waitMs = Math.min(waitMs ?? Infinity, tokenMs);
    }
    return waitMs;
  }

  /** The earliest due send with its token, if its hold has passed and a token is available. */
  #pollSendable(nowMs) {
    const next = this.#sends.peekDue();
    if (!next || next.holdUntilMs > nowMs || !this.#bucket.tryTake(nowMs)) {
      return undefined;
    }
    return this.#sends.pollDue();
  }

  /** Keeps one scheduled attempt, the earliest needed: a later one is replaced, an earlier one kept. */
  #scheduleTransmit(connection, deadlineMs) {
    if (this.#transmitTimer !== null) {
      if (this.#transmitDeadlineMs <= deadlineMs) {
        return;
      }
      clearTimeout(this.#transmitTimer);
    }
    this.#transmitDeadlineMs = deadlineMs;
    this.#transmitTimer = setTimeout(() => {
      this.#transmitTimer = null;
      if (this.#ready === connection) {
        this.#transmitDue();
      }
    }, Math.max(1, Math.ceil(deadlineMs - now())));
  }

  #cancelTransmitTimer() {
    clearTimeout(this.#transmitTimer);
    this.#transmitTimer = null;
  }

  #holdForRetry(send, code) {
    const nowMs = now();
    const delayMs = this.retryBackoff(send.retries++);
    if (code === 'rate_limited') {
      this.#bucket.empty(nowMs);
    }
    this.#sends.requeue(send, nowMs + delayMs);
    this.#transmitDue();
  }

  /**
   * Fails `send` if its frame is larger than the server's maxMessageBytes: the server would close the
   * connection with 1009, and again after every reconnect. Returns true when it was failed.
   */
  #failIfTooLarge(send) {
    if (send.frameBytes <= this.#maxMessageBytes) {
      return false;
    }
    this.#sends.remove(send);
    send.reject(new SwitchboardError(`message of ${send.frameBytes} bytes exceeds the server's maxMessageBytes `
      + `${this.#maxMessageBytes}`, { code: 'payload_too_large' }));
    return true;
  }

  #failRequests(cause) {
    const waiters = [...this.#requests.values()];
    this.#requests.clear();
    for (const waiter of waiters) {
      waiter.reject(cause);
    }
  }
}

/**
 * Where a publication ({epoch, offset}) stands relative to a position: 'next' (offset + 1 in the same
 * epoch: deliver it), 'duplicate' (at or below it: seen already) or 'gap' (further ahead, or another
 * epoch: publications were missed).
 */
function topicOrder(position, epoch, offset) {
  if (position.epoch !== epoch) {
    return 'gap';
  }
  if (offset <= position.offset) {
    return 'duplicate';
  }
  return offset === position.offset + 1 ? 'next' : 'gap';
}

/**
 * The client's topic subscriptions (PROTOCOL.md, "Topics"): which topics it wants, the position
 * {epoch, offset} it has reached in each, and the subscribe requests that keep the server in step.
 *
 * - Subscriptions outlive connections. After every welcome each topic is subscribed again, with
 *   recover: {epoch, offset} once a position is known, so the server replays what came after it.
 * - Publications reach the application once and in offset order per topic: one at or below the
 *   position (same epoch) is a duplicate and dropped. One past offset + 1, or of another epoch, means
 *   some were lost: the topic is re-synced (unsubscribe, then subscribe with recover; the protocol does
 *   not say what a second subscribe on a subscribed topic does, so the client never sends one).
 * - While a subscribe is outstanding the topic's publications are dropped: the server sends the replay,
 *   in order, right after the reply, and publications that arrive before the reply are from before the
 *   position it sets. recovered: false is reported ('recoveryFailed') and delivery continues from the
 *   server's position.
 * - A subscribe refused with a retryable error (e.g. rate_limited, likely when many topics are
 *   subscribed again at once after a reconnect) is sent again after a backoff delay; any other refusal
 *   ends the subscription.
 *
 * Replies are applied synchronously inside the socket's message callback (Outbound calls the waiter),
 * never in a promise job: the ws package may deliver several messages in one tick, and the replay
 * right after a reply must meet the position that reply set. Publications are never buffered.
 */
class TopicSubscriptions {
  #byTopic = new Map();
  #connected = false;
  #refCounter = 0;

  /**
   * @param {Emitter} emitter
   * @param {object} stats the client's counters
   * @param {Outbound} outbound
   * @param {(attempt: number) => number} retryBackoff delay in ms before retry n (0, 1, …)
   */
  constructor(emitter, stats, outbound, retryBackoff) {
    this.emitter = emitter;
    this.stats = stats;
    this.outbound = outbound;
    this.retryBackoff = retryBackoff;
  }

  /** The topics subscribed or being subscribed. */
  get topics() {
    return [...this.#byTopic.keys()];
  }

  /** The position reached in topic (before the first reply: `since`), or null. A copy. */
  position(topic) {
    const position = this.#byTopic.get(topic)?.position;
    return position ? { ...position } : null;
  }

  /**
   * Adds topic (sent now when connected, else after the next welcome); returns a promise of the data
   * of its first successful subscribe reply. A topic already subscribed is left as it is (`since`
   * ignored) and the same promise is returned.
   */
  subscribe(topic, since) {
    let subscription = this.#byTopic.get(topic);
    if (!subscription) {
      subscription = new Subscription(topic, since);
      this.#byTopic.set(topic, subscription);
      if (this.#connected) {
        this.#sendSubscribe(subscription);
      }
      this.emitter.emit('subscription', { topic, state: 'subscribing', error: null });
    }
    return subscription.firstReply;
  }

  /**
   * Removes topic: its publications stop at once. Sends unsubscribe when connected (the promise gets
   * the reply's data) and otherwise resolves with {topic}. A first subscribe still outstanding rejects.
   */
  unsubscribe(topic) {
    const subscription = this.#byTopic.get(topic);
    let reply;
    if (this.#connected) {
      const ref = this.#nextRef();
      reply = new Promise((resolve, reject) => {
        this.outbound.submitRequest(ref, JSON.stringify({ type: 'unsubscribe', ref, topic }), { resolve, reject });
      });
    } else {
      reply = Promise.resolve({ topic });
    }
    if (subscription) {
      this.#byTopic.delete(topic);
      subscription.endAttempt();
      subscription.state = 'unsubscribed';
      subscription.rejectFirstReply(
        new SwitchboardError(`unsubscribed from ${topic} before the server confirmed the subscription`));
      this.emitter.emit('subscription', { topic, state: 'unsubscribed', error: null });
    }
    return reply;
  }

  /** A welcome arrived and requests can be sent: subscribe every topic again, recovering. */
  onConnected() {
    this.#connected = true;
    for (const subscription of [...this.#byTopic.values()]) {
      this.#sendSubscribe(subscription);
    }
  }

  /** The connection ended: every topic waits for the next welcome. */
  onDisconnected() {
    this.#connected = false;
    for (const subscription of [...this.#byTopic.values()]) {
      subscription.endAttempt();
      if (subscription.state === 'subscribed') {
        this.#emitState(subscription, 'subscribing');
      }
    }
  }

  /** The client is closed: every subscription ends with `cause`. */
  failAll(cause) {
    this.#connected = false;
    const all = [...this.#byTopic.values()];
    this.#byTopic.clear();
    for (const subscription of all) {
      subscription.endAttempt();
      subscription.state = 'unsubscribed';
      subscription.rejectFirstReply(cause);
      this.emitter.emit('subscription', { topic: subscription.topic, state: 'unsubscribed', error: cause });
    }
  }

  /** Applies one publication message. */
  onPublication(frame) {
    const { topic, epoch, offset } = frame;
    if (typeof topic !== 'string' || typeof epoch !== 'string' || !Number.isInteger(offset) || offset < 1) {
      return;
    }
    const subscription = this.#byTopic.get(topic);
    if (subscription?.state !== 'subscribed') {
      return; // Not subscribed, or waiting for a subscribe reply: what follows that reply counts.
    }
    switch (topicOrder(subscription.position, epoch, offset)) {
      case 'next':
        subscription.position = { epoch, offset };
        this.stats.publicationsDelivered++;
        this.emitter.emit('publication', {
          topic, epoch, offset, data: frame.data ?? null, from: typeof frame.from === 'string' ? frame.from : null,
        });
        break;
      case 'duplicate':
        this.stats.publicationDuplicatesSuppressed++;
        break;
      default: {
        this.stats.topicGaps++;
        const ref = this.#nextRef();
        this.outbound.submitRequest(ref, JSON.stringify({ type: 'unsubscribe', ref, topic }),
          { resolve() {}, reject() {} });
        this.#sendSubscribe(subscription);
        this.#emitState(subscription, 'subscribing');
      }
    }
  }

  #sendSubscribe(subscription) {
    subscription.endAttempt();
    const ref = this.#nextRef();
    const recover = subscription.position;
    subscription.attemptRef = ref;
    const frame = { type: 'subscribe', ref, topic: subscription.topic };
    if (recover) {
      frame.recover = { epoch: recover.epoch, offset: recover.offset };
    }
    this.outbound.submitRequest(ref, JSON.stringify(frame), {
      resolve: (data) => this.#onSubscribeReply(subscription, ref, recover, data, null),
      reject: (error) => this.#onSubscribeReply(subscription, ref, recover, null, error),
    });
  }

  #onSubscribeReply(subscription, ref, recover, data, error) {
    const { topic } = subscription;
    if (this.#byTopic.get(topic) !== subscription || subscription.attemptRef !== ref) {
      return; // Unsubscribed, or superseded by a newer attempt.
    }
    subscription.attemptRef = null;
    if (error) {
      this.#onSubscribeRefused(subscription, error);
      return;
    }
    const epoch = data?.epoch;
    const offset = data?.offset;
    if (typeof epoch !== 'string' || !Number.isInteger(offset) || offset < 0) {
      this.#end(subscription, new SwitchboardError(`malformed subscribe reply for ${topic}: ${JSON.stringify(data)}`));
      return;
    }
    const newest = { epoch, offset };
    subscription.retries = 0;
    if (recover === null) {
      subscription.position = newest;
    } else if (data.recovered !== true) {
      subscription.position = newest;
      this.stats.recoveryFailures++;
      const reason = typeof data.recoveryFailure === 'string' ? data.recoveryFailure : 'unknown';
      this.emitter.emit('recoveryFailed', { topic, reason, epoch, offset });
      if (this.#byTopic.get(topic) !== subscription) {
        return; // A handler unsubscribed.
      }
    }
    this.#emitState(subscription, 'subscribed');
    subscription.resolveFirstReply(data);
  }

  #onSubscribeRefused(subscription, error) {
    if (error.code === null) {
      return; // The connection was lost: subscribed again after the next welcome.
    }
    if (!RETRYABLE_CODES.has(error.code)) {
      this.#end(subscription, error);
      return;
    }
    const delayMs = this.retryBackoff(subscription.retries++);
    subscription.retryTimer = setTimeout(() => {
      subscription.retryTimer = null;
      const current = this.#byTopic.get(subscription.topic) === subscription;
      if (this.#connected && current && subscription.attemptRef === null) {
        this.#sendSubscribe(subscription);
      }
    }, delayMs);
  }

  #end(subscription, error) {
    this.#byTopic.delete(subscription.topic);
    subscription.endAttempt();
    subscription.state = 'unsubscribed';
    subscription.rejectFirstReply(error);
    this.emitter.emit('subscription', { topic: subscription.topic, state: 'unsubscribed', error });
  }

  #emitState(subscription, state) {
    if (subscription.state !== state) {
      subscription.state = state;
      this.emitter.emit('subscription', { topic: subscription.topic, state, error: null });
    }
  }

  #nextRef() {
    return `t${++this.#refCounter}`;
  }
}

/** One topic the client wants: its state, position and outstanding subscribe. */
class Subscription {
  state = 'subscribing';
  /** The outstanding subscribe's ref, or null. */
  attemptRef = null;
  retryTimer = null;
  retries = 0;

  /**
   * @param {string} topic
   * @param {{epoch: string, offset: number}|null} since where to recover from; null: the server's newest
   */
  constructor(topic, since) {
    this.topic = topic;
    /** Everything up to here was delivered (or given up by a failed recovery); null before the first reply. */
    this.position = since;
    this.firstReply = new Promise((resolve, reject) => {
      this.resolveFirstReply = resolve;
      this.rejectFirstReply = reject;
    });
    // An application that ignores the promise and listens to the events instead must not see an
    // unhandled rejection when the subscription ends.
    this.firstReply.catch(() => {});
  }

  /** Forgets the outstanding subscribe and any scheduled retry. */
  endAttempt() {
    this.attemptRef = null;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}

/** The longest file name upload.start takes, in UTF-16 code units (PROTOCOL.md section 11). */
const MAX_FILE_NAME_LENGTH = 255;
/** The longest media type upload.start takes, in UTF-16 code units. */
const MAX_CONTENT_TYPE_LENGTH = 127;
/** Control characters as the server counts them: U+0000-U+001F and U+007F (U+0080-U+009F are allowed). */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
/**
 * A name of nothing but white space, as the server's String.isBlank sees it once control characters are
 * excluded: Java's Character.isWhitespace, which leaves out the no-break spaces (U+00A0, U+2007, U+202F).
 */
const BLANK_NAME = /^[\u0020\u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]*$/;
/**
 * RFC 6838 type and subtype names, then optional parameters: the server's pattern. Its `.` (Java, without
 * DOTALL) stops at line terminators, U+0085 included, which JavaScript's `.` does not.
 */
const CONTENT_TYPE_PATTERN = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(;[^\n\r\u0085\u2028\u2029]*)?$/;
/** The chunk's 2-byte big-endian header length in front of the header. */
const CHUNK_LENGTH_PREFIX_BYTES = 2;

/** True when `text` has a surrogate without its pair, which has no UTF-8 form (the server refuses it). */
function hasLoneSurrogate(text) {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0xdc00 && code <= 0xdfff) {
      return true;
    }
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(index + 1); // NaN past the end
      if (!(next >= 0xdc00 && next <= 0xdfff)) {
        return true;
      }
      index++;
    }
  }
  return false;
}

/** Text the server stores unchanged: no control characters, no lone surrogates (Identifiers.isStorableText). */
function isStorableText(text) {
  return !CONTROL_CHARACTER.test(text) && !hasLoneSurrogate(text);
}

/**
 * A file name upload.start takes (the server's Identifiers.isValidFileName): 1-255 UTF-16 code units,
 * not blank, no / or \, storable text.
 */
function isValidFileName(name) {
  return typeof name === 'string' && name.length >= 1 && name.length <= MAX_FILE_NAME_LENGTH
    && !BLANK_NAME.test(name) && !name.includes('/') && !name.includes('\\') && isStorableText(name);
}

/** A media type upload.start takes (Identifiers.isValidContentType): at most 127 code units of type/subtype. */
function isValidContentType(type) {
  return typeof type === 'string' && type.length <= MAX_CONTENT_TYPE_LENGTH && CONTENT_TYPE_PATTERN.test(type)
    && isStorableText(type);
}

/**
 * True for a Blob or File, also one made by another window or frame (whose Blob class is another one, so
 * instanceof fails): anything with a numeric size and a slice function.
 */
function isBlobLike(data) {
  if (typeof Blob === 'function' && data instanceof Blob) {
    return true;
  }
  return data !== null && typeof data === 'object' && typeof data.size === 'number' && typeof data.slice === 'function';
}

/**
 * True for the rejection of a request or chunk whose connection was not ready or ended before the reply
 * (Outbound's errors without code, close code or HTTP status): what it asked may or may not have been done.
 */
function isConnectionLoss(error) {
  return error instanceof SwitchboardError && error.code === null && error.closeCode === null
    && error.httpStatus === null;
}

/**
 * The bytes of a file to upload, read a chunk at a time: a Blob (a browser's File, one of another window,
 * or Node's Blob) is read slice by slice, so a large file is never held in memory whole; bytes already in
 * memory (Uint8Array, any other ArrayBuffer view, an ArrayBuffer) are sliced without copying.
 */
class UploadSource {
  /**
   * @param {Blob|ArrayBuffer|ArrayBufferView} data
   * @throws {TypeError} for anything else, and for a Blob-like object whose size is not a whole number
   */
  static of(data) {
    if (isBlobLike(data)) {
      if (!Number.isSafeInteger(data.size) || data.size < 0) {
        throw new TypeError(`a Blob's size must be a whole number of bytes, got ${data.size}`);
      }
      const read = (start, end) => Promise.resolve(data.slice(start, end)).then((slice) => slice.arrayBuffer())
        .then((buffer) => new Uint8Array(buffer));
      return new UploadSource(data.size, read, typeof data.name === 'string' ? data.name : null,
        typeof data.type === 'string' ? data.type : '');
    }
    let bytes = null;
    if (data instanceof ArrayBuffer) {
      bytes = new Uint8Array(data);
    } else if (ArrayBuffer.isView(data)) {
      bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    }
    if (bytes === null) {
      throw new TypeError('data must be a Blob (or File), an ArrayBuffer or a Uint8Array');
    }
    return new UploadSource(bytes.length, (start, end) => Promise.resolve(bytes.subarray(start, end)), null, '');
  }

  /**
   * @param {number} size bytes
   * @param {(start: number, end: number) => Promise<Uint8Array>} read the bytes [start, end)
   * @param {string|null} name a File's name
   * @param {string} type a Blob's media type, '' when unknown
   */
  constructor(size, read, name, type) {
    this.size = size;
    this.read = read;
    this.name = name;
    this.type = type;
  }
}

/**
 * One binary frame carrying a file chunk (PROTOCOL.md section 11): a 2-byte big-endian length n, n bytes
 * of the JSON header in UTF-8, then the data.
 *
 * @param {Uint8Array} header the encoded JSON header
 * @param {Uint8Array} data
 */
function chunkFrame(header, data) {
  const frame = new Uint8Array(CHUNK_LENGTH_PREFIX_BYTES + header.length + data.length);
  new DataView(frame.buffer).setUint16(0, header.length, false);
  frame.set(header, CHUNK_LENGTH_PREFIX_BYTES);
  frame.set(data, CHUNK_LENGTH_PREFIX_BYTES + header.length);
  return frame;
}

/**
 * The uploads under way (PROTOCOL.md section 11), and what they share: the connection, whose welcome
 * each waits for, refs, and the retry backoff. Chunks go through Outbound, which paces them with the
 * sends and keeps one chunk at a time on the wire, so several uploads take turns.
 */
class FileUploads {
  #uploads = new Set();
  #connected = false;
  /** Counts welcomes: a step that failed with its connection waits for a later one. */
  #generation = 0;
  #connectionWaiters = [];
  #refCounter = 0;

  /**
   * @param {Outbound} outbound
   * @param {(attempt: number) => number} retryBackoff delay in ms before retry n (0, 1, …)
   */
  constructor(outbound, retryBackoff) {
    this.outbound = outbound;
    this.retryBackoff = retryBackoff;
  }

  /**
   * Uploads `source` as `description` {name, size, contentType?}; resolves with the file's description,
   * rejects as FileUpload.run does, or with signal.reason once `signal` aborts.
   */
  async upload(source, description, { signal, onProgress }) {
    const upload = new FileUpload(source, description, this, onProgress);
    const onAbort = () => upload.stop(signal.reason ?? new SwitchboardError('upload aborted'));
    if (signal) {
      if (signal.aborted) {
        onAbort();
      }
      signal.addEventListener('abort', onAbort, { once: true });
    }
    this.#uploads.add(upload);
    try {
      return await upload.run();
    } finally {
      this.#uploads.delete(upload);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The number of the current connection (of the last one while disconnected). */
  get generation() {
    return this.#generation;
  }

  /**
   * Resolves with the connection's generation once a connection later than `afterGeneration` is up: at
   * once when the current one is, else at the next welcome.
   */
  whenConnected(afterGeneration = -1) {
    if (this.#connected && this.#generation > afterGeneration) {
      return Promise.resolve(this.#generation);
    }
    return new Promise((resolve) => this.#connectionWaiters.push({ afterGeneration, resolve }));
  }

  /** A welcome arrived: uploads waiting for a connection go on (each asks upload.status first). */
  onConnected() {
    this.#connected = true;
    this.#generation++;
    const waiters = this.#connectionWaiters;
    this.#connectionWaiters = [];
    for (const waiter of waiters) {
      if (this.#generation > waiter.afterGeneration) {
        waiter.resolve(this.#generation);
      } else {
        this.#connectionWaiters.push(waiter);
      }
    }
  }

  onDisconnected() {
    this.#connected = false;
  }

  /** The client is closed: every upload fails with `cause`. */
  failAll(cause) {
    this.#connected = false;
    this.#connectionWaiters = [];
    for (const upload of this.#uploads) {
      upload.stop(cause);
    }
  }

  /** Sends upload.start, upload.status or upload.cancel with a fresh ref; resolves with the reply's data. */
  request(fields) {
    return new Promise((resolve, reject) => {
      const ref = this.#nextRef();
      this.outbound.submitRequest(ref, JSON.stringify({ ...fields, ref }), { resolve, reject });
    });
  }

  /**
   * Sends the chunk of `data` at `offset`; returns a promise of the reply's data whose `ref` property is
   * the chunk's ref, for withdrawChunk().
   */
  chunk(fileId, offset, data) {
    const ref = this.#nextRef();
    const reply = new Promise((resolve, reject) => {
      const header = utf8.encode(JSON.stringify({ type: 'upload.chunk', ref, fileId, offset }));
      this.outbound.submitChunk(ref, chunkFrame(header, data), { resolve, reject });
    });
    reply.ref = ref;
    return reply;
  }

  /** Withdraws the chunk with this ref if it still waits for its turn (see Outbound.withdrawChunk). */
  withdrawChunk(ref, cause) {
    this.outbound.withdrawChunk(ref, cause);
  }

  /**
   * Asks the server to delete the unfinished upload `fileId`, freeing its place among the user's
   * files.maxOpenUploads: best effort, only on a live connection, and its answer is ignored (an error too,
   * such as a server without upload.cancel answering unknown_type).
   */
  cancel(fileId) {
    if (this.#connected) {
      this.request({ type: 'upload.cancel', fileId }).catch(() => {});
    }
  }

  /**
   * The most data a chunk at `offset` of `fileId` may carry: the server's chunkBytes (maxMessageBytes
   * less 1024: the header's 2-byte length and at most 1022 bytes of header), and never more than fits
   * the welcome's maxMessageBytes with the length prefix and this chunk's header (with room for any ref),
   * should a server say otherwise.
   */
  chunkLimit(chunkBytes, fileId, offset) {
    const headerBytes = utf8.encode(JSON.stringify({ type: 'upload.chunk', ref: 'u'.repeat(16), fileId, offset }))
      .length;
    const roomInMessage = this.outbound.maxMessageBytes - CHUNK_LENGTH_PREFIX_BYTES - headerBytes;
    return Math.max(1, Math.min(chunkBytes, roomInMessage));
  }

  #nextRef() {
    return `u${++this.#refCounter}`;
  }
}

/**
 * One file upload (PROTOCOL.md section 11): upload.start, then chunks from the offset the server
 * confirmed, one at a time, each sent after the previous one's reply, until a reply says complete.
 *
 * - After a lost connection it asks upload.status on the next one and goes on from the offset the
 *   server reports, which may be past the last one it confirmed (a chunk stored whose reply was lost).
 *   upload_offset (nothing stored: the chunk was not at the server's offset) is answered the same way,
 *   at once the first time; a second one before a chunk has moved the offset waits a backoff delay.
 * - A refusal with a retryable code (rate_limited, store_busy, store_unavailable, internal) is retried
 *   after a backoff delay: nothing was stored, and a chunk that was stored after all is answered with
 *   upload_offset. Any other refusal ends the upload with its code. The backoff grows with the refusals
 *   since the last chunk reply that moved the offset forward.
 * - upload.start carries a clientId made once per upload: when the connection drops before its reply,
 *   it is sent again after the next welcome with the same one, and the server answers the upload it
 *   may have started the first time instead of starting another.
 * - stop() (close(), a terminal close, the abort signal) ends it at once: no chunk goes out after it
 *   (one waiting for its turn is withdrawn, one being read is dropped). An upload that ends without
 *   completing (stopped, or failed for good) is cancelled on the server with upload.cancel, best effort:
 *   only on a live connection (not after close()), and also when the reply to an upload.start still on
 *   its way brings the fileId. Otherwise the server deletes it after files.incompleteTtlSeconds.
 */
class FileUpload {
  #source;
  #name;
  #contentType;
  #uploads;
  #onProgress;
  #fileId = null;
  /** upload.start's key, the same for every try: a start sent again finds the upload it made. */
  #clientId = timeOrderedId();
  #offset = 0;
  #chunkBytes = 0;
  #reportedOffset = -1;
  /** Refusals since the last chunk reply that moved the offset forward; drives the retry backoff. */
  #refusalsInRow = 0;
  /** The reply to an upload.start on its way, or null: a stopped upload cancels what it brings. */
  #pendingStart = null;
  /** The ref of this upload's chunk that waits for its turn or is on the wire, or null. */
  #chunkRef = null;
  #stopCause = null;
  #stopped;
  #rejectStopped;
  #retryTimer = null;

  /**
   * @param {UploadSource} source
   * @param {{name: string, contentType?: string}} description
   * @param {FileUploads} uploads
   * @param {((offset: number, size: number) => void)|undefined} onProgress
   */
  constructor(source, { name, contentType }, uploads, onProgress) {
    this.#source = source;
    this.#name = name;
    this.#contentType = contentType;
    this.#uploads = uploads;
    this.#onProgress = onProgress;
    this.#stopped = new Promise((resolve, reject) => {
      this.#rejectStopped = reject;
    });
    this.#stopped.catch(() => {});
  }

  /** Ends the upload: run() rejects with `cause`, and a chunk waiting for its turn is withdrawn. Idempotent. */
  stop(cause) {
    if (this.#stopCause !== null) {
      return;
    }
    this.#stopCause = cause;
    clearTimeout(this.#retryTimer);
    if (this.#chunkRef !== null) {
      this.#uploads.withdrawChunk(this.#chunkRef, cause);
    }
    this.#rejectStopped(cause);
  }

  /**
   * Uploads the whole file. Resolves with {id, name, size, contentType} once a reply says complete;
   * rejects with the refusal's SwitchboardError, a malformed reply, or the cause given to stop(), after
   * asking the server to cancel the upload.
   */
  async run() {
    try {
      return await this.#uploadAll();
    } catch (error) {
      this.#cancelOnServer(error);
      throw error;
    }
  }

  async #uploadAll() {
    let offsetUnknown = false;
    let lostGeneration = -1;
    for (;;) {
      if (this.#stopCause !== null) {
        throw this.#stopCause; // e.g. aborted by an onProgress callback
      }
      const generation = await this.#unlessStopped(this.#uploads.whenConnected(lostGeneration));
      const sendingChunk = this.#fileId !== null && !offsetUnknown;
      const offsetBefore = this.#offset;
      let data;
      try {
        data = await this.#unlessStopped(this.#nextStep(offsetUnknown));
      } catch (error) {
        if (this.#stopCause !== null) {
          throw this.#stopCause;
        }
        this.#pendingStart = null;
        if (isConnectionLoss(error)) {
          // Repeated on a later connection, after upload.status: the chunk may have been stored.
          lostGeneration = generation;
          offsetUnknown = true;
        } else {
          offsetUnknown = await this.#afterRefusal(error);
        }
        continue;
      }
      this.#pendingStart = null;
      offsetUnknown = false;
      const complete = this.#accept(data);
      if (sendingChunk && this.#offset > offsetBefore) {
        this.#refusalsInRow = 0;
      }
      if (complete) {
        return {
          id: this.#fileId,
          name: typeof data.name === 'string' ? data.name : this.#name,
          size: this.#source.size,
          contentType: typeof data.contentType === 'string' ? data.contentType
            : this.#contentType ?? 'application/octet-stream',
        };
      }
    }
  }

  /**
   * Asks the server to delete this upload, which ended without completing (PROTOCOL.md section 11,
   * upload.cancel): the fileId it has, or the one the reply to an upload.start still on its way brings.
   * Not for file_not_found: the server has no such upload.
   */
  #cancelOnServer(error) {
    if (error instanceof SwitchboardError && error.code === 'file_not_found') {
      return;
    }
    if (this.#fileId !== null) {
      this.#uploads.cancel(this.#fileId);
    } else if (this.#pendingStart !== null) {
      this.#pendingStart.then((data) => {
        if (typeof data?.fileId === 'string' && data.fileId !== '') {
          this.#uploads.cancel(data.fileId);
        }
      }, () => {});
    }
  }

  /** upload.start until there is a fileId, upload.status when the server's offset is unknown, else a chunk. */
  #nextStep(offsetUnknown) {
    if (this.#fileId === null) {
      const fields = { type: 'upload.start', clientId: this.#clientId, name: this.#name, size: this.#source.size };
      if (this.#contentType !== undefined) {
        fields.contentType = this.#contentType;
      }
      this.#pendingStart = this.#uploads.request(fields);
      return this.#pendingStart;
    }
    if (offsetUnknown) {
      return this.#uploads.request({ type: 'upload.status', fileId: this.#fileId });
    }
    return this.#sendChunk();
  }

  async #sendChunk() {
    const offset = this.#offset;
    const length = Math.min(this.#uploads.chunkLimit(this.#chunkBytes, this.#fileId, offset),
      this.#source.size - offset);
    const data = await this.#source.read(offset, offset + length);
    if (this.#stopCause !== null) {
      return undefined; // Stopped while the bytes were read: run() has ended, and nothing more goes out.
    }
    const reply = this.#uploads.chunk(this.#fileId, offset, data);
    this.#chunkRef = reply.ref;
    try {
      return await reply;
    } finally {
      this.#chunkRef = null;
    }
  }

  /**
   * Decides what follows a refused step: returns true when the server's offset must be asked first,
   * false to repeat the step, after waiting when it should; throws when the upload cannot go on.
   */
  async #afterRefusal(error) {
    if (error.code !== 'upload_offset' && !RETRYABLE_CODES.has(error.code)) {
      throw error;
    }
    this.#refusalsInRow++;
    // upload_offset is answered at once, by upload.status; a second one before a chunk moved the offset
    // forward waits, so an upload whose offsets keep being refused does not hammer the server.
    const attempt = error.code === 'upload_offset' ? this.#refusalsInRow - 2 : this.#refusalsInRow - 1;
    if (attempt >= 0) {
      await this.#unlessStopped(this.#delay(this.#uploads.retryBackoff(attempt)));
    }
    return error.code === 'upload_offset';
  }

  /**
   * Applies a reply's data {fileId, name, size, contentType, offset, chunkBytes, complete}; returns true
   * when the upload is complete. Throws SwitchboardError for a reply that does not fit this upload.
   */
  #accept(data) {
    const { fileId, size, offset, chunkBytes } = data ?? {};
    const fits = typeof fileId === 'string' && fileId !== '' && (this.#fileId === null || fileId === this.#fileId)
      && size === this.#source.size && Number.isSafeInteger(offset) && offset >= 0 && offset <= size
      && Number.isSafeInteger(chunkBytes) && chunkBytes >= 1;
    if (!fits) {
      throw new SwitchboardError(`malformed upload reply for ${this.#name} (${this.#source.size} bytes): `
        + `${JSON.stringify(data)}`);
    }
    this.#fileId = fileId;
    this.#offset = offset;
    this.#chunkBytes = chunkBytes;
    this.#reportProgress();
    return data.complete === true || offset === size;
  }

  #reportProgress() {
    if (this.#onProgress === undefined || this.#offset === this.#reportedOffset) {
      return;
    }
    this.#reportedOffset = this.#offset;
    try {
      this.#onProgress(this.#offset, this.#source.size);
    } catch (error) {
      console.error('switchboard: an upload onProgress callback threw', error);
    }
  }

  /** `promise`, or a rejection with the stop cause as soon as the upload is stopped. */
  #unlessStopped(promise) {
    return Promise.race([promise, this.#stopped]);
  }

  #delay(ms) {
    return new Promise((resolve) => {
      this.#retryTimer = setTimeout(resolve, ms);
    });
  }
}

/**
 * Client of one Switchboard user on one device. See README.md for events, options and guarantees.
 *
 * All work happens on the JavaScript event loop; handlers run synchronously inside the socket's event
 * callbacks, so a slow handler delays everything behind it.
 */
export class SwitchboardClient {
  #options;
  #WebSocket;
  #emitter = new Emitter();
  #stats = {
    delivered: 0, duplicatesSuppressed: 0, reconnects: 0, sendsResent: 0, truncatedRanges: 0,
    publicationsDelivered: 0, publicationDuplicatesSuppressed: 0, topicGaps: 0, recoveryFailures: 0,
  };
  #sequencer;
  #acks;
  #outbound;
  #topics;
  #uploads;
  #state = 'idle';
  #userId = null;
  #deviceId = null;
  #current = null;
  #attempts = 0;
  #backoffExponent = 0;
  /** The backoff of the next reconnect: the last welcome's advertised one, else the options'. */
  #reconnectBackoff;
  #authFailuresInRow = 0;
  /** The token of the latest connection attempt, for fileUrl(); null when it had none. */
  #latestToken = null;
  #stopping = false;
  #kickedReason = null;
  #reconnectTimer = null;
  #refCounter = 0;
  #closed;
  #resolveClosed;

  /**
   * Creates an idle client; nothing is connected until connect().
   *
   * @param {object} options see README.md (url is required)
   * @throws {TypeError|RangeError} for a missing url, a malformed option, or no WebSocket implementation
   */
  constructor(options) {
    this.#options = validateOptions(options);
    this.#WebSocket = this.#options.WebSocket ?? globalThis.WebSocket;
    if (typeof this.#WebSocket !== 'function') {
      throw new TypeError('no WebSocket implementation: pass one as options.WebSocket (e.g. the ws package)');
    }
    const { backoffBaseMs, backoffMaxMs } = this.#options;
    this.#reconnectBackoff = { baseMs: backoffBaseMs, maxMs: backoffMaxMs };
    const retryBackoff = (attempt) => backoffDelay(Math.min(attempt, MAX_BACKOFF_EXPONENT), backoffBaseMs,
      backoffMaxMs);
    this.#sequencer = new InboxSequencer(this.#options.initialAfterSeq);
    this.#acks = new AckTracker(this.#options.ackDelayMs, this.#options.ackBatch);
    this.#outbound = new Outbound(this.#options.maxPendingSends, this.#stats, retryBackoff);
    this.#topics = new TopicSubscriptions(this.#emitter, this.#stats, this.#outbound, retryBackoff);
    this.#uploads = new FileUploads(this.#outbound, retryBackoff);
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  /** Subscribes `handler` to `event`; returns a function that unsubscribes it. */
  on(event, handler) {
    return this.#emitter.on(event, handler);
  }

  off(event, handler) {
    this.#emitter.off(event, handler);
  }

  /** 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed'. */
  get state() {
    return this.#state;
  }

  /** The highest contiguous inbox seq processed (delivered or truncated), or the seed; 0 before any. */
  get lastSeq() {
    return this.#sequencer.lastSeq;
  }

  /** This user's id from the last welcome; null before the first. */
  get userId() {
    return this.#userId;
  }

  /** This device's id as the server knows it (from the last welcome); null before the first. */
  get deviceId() {
    return this.#deviceId;
  }

  /** The sends not yet confirmed, in resend order: [{clientId, to, body, fileId?}]. A snapshot. */
  get pendingSends() {
    return this.#outbound.pendingSends.map(({ clientId, to, body, fileId }) =>
      (fileId === undefined ? { clientId, to: { ...to }, body } : { clientId, to: { ...to }, body, fileId }));
  }

  /** A snapshot of the counters. */
  get stats() {
    return { ...this.#stats };
  }

  /** The topics subscribed, or being subscribed, now. A snapshot. */
  get subscriptions() {
    return this.#topics.topics;
  }

  /**
   * Starts connecting. From then on the client reconnects by itself until close(), a kick or a ban
   * (close code 4003 or 4004) or a refused authentication. Does nothing unless the client is idle.
   */
  connect() {
    if (this.#state !== 'idle') {
      return;
    }
    this.#openConnection();
  }

  /**
   * Sends a durable chat message. It is queued while disconnected and resent with the same clientId
   * after every reconnect until the server confirms it, so it is stored exactly once. Sends go out in
   * call order, paced to the rate the server advertises.
   *
   * @param {{kind: 'user'|'group', id: string}} to
   * @param {unknown} body any JSON value (undefined is sent as null)
   * @param {{clientId?: string, fileId?: string}} [options] `fileId`: a complete upload of this user
   *   (uploadFile()'s id), which the message carries to its recipients
   * @returns a promise of the receipt {clientId, id, ts, seq, duplicate}, with a `clientId` property set
   *   at once. It rejects with SwitchboardError on a non-retryable error reply (its `code`, e.g.
   *   file_not_found or file_incomplete for a bad fileId), when maxPendingSends sends are pending, when
   *   the frame exceeds welcome.maxMessageBytes ('payload_too_large'), or when the client closes first.
   * @throws {TypeError} for a malformed `to`, clientId or fileId, or a body JSON.stringify cannot serialize
   */
  send(to, body, { clientId, fileId } = {}) {
    if (!to || (to.kind !== 'user' && to.kind !== 'group') || typeof to.id !== 'string' || to.id === '') {
      throw new TypeError("to must be {kind: 'user' | 'group', id: string}");
    }
    const chosenClientId = clientId ?? timeOrderedId();
    if (typeof chosenClientId !== 'string' || chosenClientId.length < 1 || chosenClientId.length > 64) {
      throw new TypeError('clientId must be a string of 1-64 characters');
    }
    if (fileId != null && (typeof fileId !== 'string' || fileId === '')) {
      throw new TypeError('fileId must be a non-empty string');
    }
    const ref = `s${++this.#refCounter}`;
    const target = { kind: to.kind, id: to.id };
    const value = body === undefined ? null : body;
    const frame = { type: 'send', ref, clientId: chosenClientId, to: target, body: value };
    if (fileId != null) {
      frame.fileId = fileId;
    }
    const frameText = JSON.stringify(frame);
    let send;
    const promise = new Promise((resolve, reject) => {
      send = {
        ref, clientId: chosenClientId, to: target, body: value, fileId: fileId ?? undefined, frameText,
        frameBytes: utf8.encode(frameText).length, resolve, reject, order: -1, due: false, holdUntilMs: 0,
        transmissions: 0, retries: 0,
      };
    });
    promise.clientId = chosenClientId;
    if (this.#stopping) {
      send.reject(new SwitchboardError('client is closed'));
    } else {
      this.#outbound.submitSend(send);
    }
    return promise;
  }

  /**
   * Sends a request of any type with a fresh ref and resolves with the reply's `data` (null for replies
   * without, such as pong). Not queued: rejects at once unless connected, and when the connection drops
   * before the reply (it is not resent, since it may have taken effect). Rejects with the server's
   * error code for an error reply.
   */
  request(type, fields = {}) {
    if (typeof type !== 'string' || type === '') {
      throw new TypeError('type must be a non-empty string');
    }
    return new Promise((resolve, reject) => {
      if (this.#state !== 'connected') {
        reject(new SwitchboardError(`not connected (state ${this.#state})`));
        return;
      }
      const ref = `r${++this.#refCounter}`;
      const frameText = JSON.stringify({ ...fields, type, ref });
      this.#outbound.submitRequest(ref, frameText, { resolve, reject });
    });
  }

  /** Creates a group (the caller is a member); resolves with {groupId, name, members}. */
  createGroup({ groupId, name, members } = {}) {
    return this.request('group.create', { groupId, name, members });
  }

  /** Joins a group; resolves with {groupId, members}. */
  joinGroup(groupId) {
    return this.request('group.join', { groupId });
  }

  /** Leaves a group; resolves with {groupId, members}. */
  leaveGroup(groupId) {
    return this.request('group.leave', { groupId });
  }

  /** Lists a group's members (members only); resolves with {groupId, name, members}. */
  groupMembers(groupId) {
    return this.request('group.members', { groupId });
  }

  /** Lists this user's groups; resolves with {groups: [{groupId, name}]}. */
  listGroups() {
    return this.request('group.list');
  }

  /** Which of these users are online; resolves with {online: {[userId]: boolean}}. */
  presence(userIds) {
    return this.request('presence.query', { users: [...userIds] });
  }

  /** Sends an application ping; resolves when the pong arrives. */
  async ping() {
    await this.request('ping');
  }

  /**
   * Subscribes to a topic: its publications come as 'publication' events, once each and in offset
   * order. The subscription is kept until unsubscribe(): it may be made before connect() or while
   * disconnected (it is sent after the next welcome), and after every reconnect the client subscribes
   * again with `recover` from the last position it delivered, so missed publications are replayed.
   * When the server cannot replay them, a 'recoveryFailed' event says so. A topic already subscribed
   * stays as it is (`since` ignored) and the same promise is returned.
   *
   * @param {string} topic 1-128 characters of A-Z a-z 0-9 _ . : @ / -
   * @param {{since?: {epoch: string, offset: number}}} [options] `since`: a position kept by the
   *   application (topicPosition(), or a publication's epoch and offset) to recover from; absent: start
   *   at the server's newest publication
   * @returns a promise of the first subscribe reply's data {topic, epoch, offset, history, recovered?,
   *   recoveryFailure?}. It rejects with the server's error code (forbidden, subscription_limit, …: the
   *   subscription has ended), or when unsubscribe() or close() comes first. Ignoring it is safe: the
   *   'subscription' event reports the same.
   * @throws {TypeError} for a malformed topic or `since`
   */
  subscribe(topic, { since } = {}) {
    checkTopic(topic);
    if (since != null && (typeof since !== 'object' || typeof since.epoch !== 'string' || since.epoch === ''
      || !Number.isInteger(since.offset) || since.offset < 0)) {
      throw new TypeError('since must be {epoch: string, offset: integer >= 0}');
    }
    if (this.#stopping) {
      return Promise.reject(new SwitchboardError('client is closed'));
    }
    return this.#topics.subscribe(topic, since == null ? null : { epoch: since.epoch, offset: since.offset });
  }

  /**
   * Ends the subscription to topic: no 'publication' of it follows this call. Idempotent.
   *
   * @returns a promise of the server's reply data {topic}; resolves at once when not connected
   * @throws {TypeError} for a malformed topic
   */
  unsubscribe(topic) {
    checkTopic(topic);
    return this.#topics.unsubscribe(topic);
  }

  /**
   * Publishes data (any JSON value) on topic. Like request(), not queued and not resent: rejects at once
   * unless connected, and when the connection drops before the reply. Needs no subscription.
   *
   * @returns a promise of {topic, epoch, offset}; rejects with code 'forbidden' when this user may not
   *   publish there
   * @throws {TypeError} for a malformed topic
   */
  publish(topic, data) {
    checkTopic(topic);
    return this.request('publish', { topic, data: data === undefined ? null : data });
  }

  /**
   * The position {epoch, offset} reached in topic: every publication up to it was delivered (or
   * declared lost by 'recoveryFailed'). null when not subscribed or before the first reply. Keep it to
   * resume later with subscribe(topic, {since}).
   */
  topicPosition(topic) {
    return this.#topics.position(topic);
  }

  /**
   * Uploads a file over the WebSocket in chunks (PROTOCOL.md section 11), to send it afterwards with
   * send(to, body, {fileId}). An upload started while disconnected begins after the next welcome. Each
   * chunk is sent after the previous one's reply and takes a token of the send pacing, as a send does;
   * uploads going on at once take turns. A lost connection does not end it: after the next welcome it asks
   * the server how far it got (upload.status) and goes on from there. Retryable refusals are retried after
   * a backoff delay. An upload that is aborted, or fails for good, is cancelled on the server
   * (upload.cancel, best effort, while connected), which frees its place among the user's open uploads.
   *
   * @param {Blob|ArrayBuffer|ArrayBufferView} data a Blob or File, also one of another window (read a
   *   chunk at a time), or bytes
   * @param {{name?: string, contentType?: string, signal?: AbortSignal,
   *   onProgress?: (offset: number, size: number) => void}} [options] `name`: 1-255 UTF-16 code units,
   *   not only white space, no / or \, no control characters (U+0000-U+001F, U+007F) and no lone
   *   surrogates (default: a File's name; required otherwise); `contentType`: a media type such as
   *   'image/png' or 'text/plain; charset=utf-8', at most 127 code units (default: a Blob's type when the
   *   server would take it, else the server's application/octet-stream); `signal` aborts the upload;
   *   `onProgress` is called with the bytes the server has stored so far, each time that moves
   * @returns a promise of the file's description {id, name, size, contentType}. It rejects with
   *   SwitchboardError on a non-retryable refusal (its `code`: file_too_large, upload_limit,
   *   file_not_found, invalid_field …), when the client closes first (by close() or a terminal close
   *   code), or with signal.reason once `signal` aborts.
   * @throws {TypeError|RangeError} for data of another type, an empty file, a name or contentType the
   *   server would refuse, or a malformed option
   */
  uploadFile(data, { name, contentType, signal, onProgress } = {}) {
    const source = UploadSource.of(data);
    const fileName = name ?? source.name;
    if (!isValidFileName(fileName)) {
      throw new TypeError('name must be 1-255 characters, not only white space, without control characters, '
        + `lone surrogates, / or \\, got ${JSON.stringify(fileName)}`);
    }
    let type;
    if (contentType != null) {
      if (!isValidContentType(contentType)) {
        throw new TypeError('contentType must be a media type (type/subtype, optional parameters) of at most '
          + `${MAX_CONTENT_TYPE_LENGTH} characters without control characters, got ${JSON.stringify(contentType)}`);
      }
      type = contentType;
    } else if (isValidContentType(source.type)) {
      type = source.type; // A Blob's own type the server would refuse is left out: its default applies.
    }
    if (source.size < 1) {
      throw new RangeError('cannot upload an empty file: the server takes files of 1 byte or more');
    }
    if (onProgress != null && typeof onProgress !== 'function') {
      throw new TypeError('onProgress must be a function');
    }
    if (signal != null && (typeof signal.addEventListener !== 'function' || typeof signal.aborted !== 'boolean')) {
      throw new TypeError('signal must be an AbortSignal');
    }
    if (this.#stopping) {
      return Promise.reject(new SwitchboardError('client is closed'));
    }
    return this.#uploads.upload(source, { name: fileName, contentType: type },
      { signal: signal ?? undefined, onProgress: onProgress ?? undefined });
  }

  /**
   * The download URL of a file (PROTOCOL.md section 11): GET /files/{fileId} on the server of the
   * WebSocket url (ws: becomes http:, wss: https:), under the path that the url's final /ws is under,
   * with the url's own query. It signs in as the WebSocket does: token= set to the token option when it
   * is a string, else to the one the token function gave for the latest connection attempt, else user=
   * (development mode); device= is never added. A token in a URL ends up in logs, histories and copied
   * links, and expires with the token: make the URL when it is needed, or use fetchFile(), which sends
   * the token in an Authorization header. With `signIn: false` the URL carries no token= or user= (not
   * even one of the url's own query).
   *
   * @param {string} fileId a file's id (a message's file.id, or uploadFile()'s id)
   * @param {{signIn?: boolean}} [options] `signIn`: false for a URL without credentials (default true)
   * @throws {TypeError} for a fileId that is not a non-empty string
   */
  fileUrl(fileId, { signIn = true } = {}) {
    checkFileId(fileId);
    const url = this.#fileLocation(fileId);
    if (signIn) {
      const token = typeof this.#options.token === 'string' ? this.#options.token || null : this.#latestToken;
      this.#addSignIn(url, token);
    } else {
      withoutSignIn(url);
    }
    return url.toString();
  }

  /**
   * Downloads a file: GET at fileUrl(fileId, {signIn: false}), signed in with an `Authorization: Bearer`
   * header (the token option, or a fresh token from the token function, asked as a connection attempt
   * asks it), else with ?user= (development mode), so no token ends up in a URL. Uses the global fetch
   * (browsers, Node 20); a server on another origin than the page must allow the Authorization header.
   *
   * @param {string} fileId a file's id (a message's file.id, or uploadFile()'s id)
   * @param {{signal?: AbortSignal, headers?: HeadersInit}} [options] `signal` aborts the download;
   *   `headers` are added to the request, e.g. {Range: 'bytes=1000-'} to resume one
   * @returns a promise of the fetch Response (status 200, or 206 for a Range), whose body is the file. It
   *   rejects with SwitchboardError whose `httpStatus` is the answer's for any other status (404 for a
   *   file this user may not read, 401 for a refused token), with SwitchboardError when the token
   *   function or the request fails, or with signal.reason once `signal` aborts.
   * @throws {TypeError} for a fileId that is not a non-empty string
   */
  fetchFile(fileId, { signal, headers } = {}) {
    checkFileId(fileId);
    return this.#fetchFile(fileId, signal ?? undefined, headers);
  }

  async #fetchFile(fileId, signal, headers) {
    if (typeof globalThis.fetch !== 'function') {
      throw new SwitchboardError('no fetch implementation: fetchFile needs a global fetch');
    }
    let token;
    try {
      token = await this.#currentToken();
    } catch (error) {
      throw new SwitchboardError(`the token provider failed: ${error?.message ?? error}`, { cause: error });
    }
    const url = this.#fileLocation(fileId);
    const requestHeaders = new Headers(headers);
    if (token !== null) {
      withoutSignIn(url);
      requestHeaders.set('Authorization', `Bearer ${token}`);
    } else {
      this.#addSignIn(url, null);
    }
    let response;
    try {
      response = await globalThis.fetch(url, { headers: requestHeaders, signal });
    } catch (error) {
      if (signal?.aborted) {
        throw signal.reason ?? error;
      }
      throw new SwitchboardError(`download of ${fileId} failed: ${error?.message ?? error}`, { cause: error });
    }
    if (!response.ok) {
      response.body?.cancel().catch(() => {});
      throw new SwitchboardError(`download of ${fileId} answered HTTP ${response.status}`,
        { httpStatus: response.status });
    }
    return response;
  }

  /** GET /files/{fileId} on the WebSocket url's server, with the url's query. */
  #fileLocation(fileId) {
    const url = new URL(this.#options.url);
    if (url.protocol === 'ws:' || url.protocol === 'wss:') {
      url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
    }
    const prefix = /\/ws\/?$/.test(url.pathname) ? url.pathname.replace(/\/ws\/?$/, '') : '';
    url.pathname = `${prefix}/files/${encodeURIComponent(fileId)}`;
    url.hash = '';
    return url;
  }

  /**
   * Asks the server to replay the inbox after afterSeq on the live connection; ignored while not
   * connected. lastSeq does not move: replayed entries at or below it are suppressed as duplicates.
   */
  resume(afterSeq) {
    if (!Number.isInteger(afterSeq) || afterSeq < 0) {
      throw new RangeError(`afterSeq must be an integer >= 0, got ${afterSeq}`);
    }
    if (this.#current?.isReady) {
      this.#current.write(resumeFrame(afterSeq));
    }
  }

  /**
   * Closes for good: state 'closed', pending sends and requests rejected, a last ack, then a 1000 close
   * (the socket is dropped if the server does not answer within a second). Idempotent.
   *
   * @returns {Promise<void>} resolves once the last connection has ended; never rejects
   */
  close() {
    if (!this.#stopping) {
      this.#stop(new SwitchboardError('client is closed'));
      const connection = this.#current;
      if (connection === null) {
        this.#resolveClosed();
      } else if (connection.opened) {
        this.#acks.flush();
        connection.closeGracefully(NORMAL_CLOSE, 'client closing', CLOSE_GRACE_MS);
      } else {
        connection.abort('closed by the client');
      }
    }
    return this.#closed;
  }

  // ---- connection life cycle (PROTOCOL.md sections 4 and 9) ----

  async #openConnection() {
    this.#reconnectTimer = null;
    if (this.#stopping) {
      return;
    }
    this.#changeState('connecting');
    this.#attempts++;
    if (this.#attempts > 1) {
      this.#stats.reconnects++;
    }
    let token = null;
    try {
      token = await this.#currentToken();
    } catch (error) {
      if (!this.#stopping) {
        this.#emitter.emit('error', new SwitchboardError(`the token provider failed: ${error?.message ?? error}`,
          { cause: error }));
        this.#scheduleReconnect();
      }
      return;
    }
    if (this.#stopping) {
      return;
    }
    this.#latestToken = token;
    let socket;
    try {
      socket = new this.#WebSocket(this.#handshakeUrl(token));
    } catch (error) {
      const failure = new SwitchboardError(`cannot open a connection: ${error?.message ?? error}`, { cause: error });
      this.#emitter.emit('error', failure);
      this.#terminate(failure);
      return;
    }
    this.#current = new Connection(socket, this.#options, {
      onText: (connection, text) => this.#onText(connection, text),
      onPingDue: (connection) => {
        if (connection === this.#current && connection.isReady) {
          connection.write('{"type":"ping"}');
        }
      },
      onEnded: (connection) => this.#onEnded(connection),
    });
  }

  /** The token for this attempt, or null; a provider that takes longer than connectTimeoutMs fails. */
  async #currentToken() {
    const { token, connectTimeoutMs } = this.#options;
    if (typeof token !== 'function') {
      return token || null;
    }
    let timer;
    const timeout = new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no token within ${connectTimeoutMs} ms`)), connectTimeoutMs);
    });
    try {
      const value = await Promise.race([token(), timeout]);
      return value == null || value === '' ? null : String(value);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The url plus token= (or user= when there is no token) and device=, after any query it has. */
  #handshakeUrl(token) {
    const url = new URL(this.#options.url);
    this.#addSignIn(url, token);
    // A device the server assigned is kept for reconnects, so its cursor follows this client.
    const deviceId = this.#options.deviceId ?? this.#deviceId;
    if (deviceId != null) {
      url.searchParams.set('device', deviceId);
    }
    return url.toString();
  }

  /** Sets token= on url when there is a token, else user= when the user option is set (development mode). */
  #addSignIn(url, token) {
    if (token !== null) {
      url.searchParams.set('token', token);
    } else if (this.#options.user != null) {
      url.searchParams.set('user', this.#options.user);
    }
  }

  #onEnded(connection) {
    if (connection !== this.#current) {
      return;
    }
    this.#current = null;
    this.#acks.onDisconnected();
    this.#outbound.onDisconnected(new SwitchboardError('connection lost before the reply arrived'));
    this.#topics.onDisconnected();
    this.#uploads.onDisconnected();
    if (connection.opened) {
      this.#emitter.emit('closed', { code: connection.closeCode, reason: connection.closeReason });
    }
    if (this.#stopping) {
      this.#resolveClosed();
      return;
    }
    this.#decideAfterEnd(connection);
  }

  #decideAfterEnd(connection) {
    const { closeCode, httpStatus } = connection;
    const authRefused = httpStatus === 401 || httpStatus === 403;
    this.#authFailuresInRow = authRefused ? this.#authFailuresInRow + 1 : 0;
    const hasTokenProvider = typeof this.#options.token === 'function';
    switch (decideReconnect(closeCode, httpStatus, hasTokenProvider, this.#authFailuresInRow)) {
      case 'stop': {
        const cause = authRefused
          ? new SwitchboardError(`handshake refused with HTTP ${httpStatus}`, { httpStatus })
          : new SwitchboardError(`connection closed with ${closeCode}: ${this.#kickedReason ?? connection.closeReason}`,
            { closeCode });
        if (authRefused) {
          this.#emitter.emit('error', cause);
        }
        this.#terminate(cause);
        break;
      }
      case 'now':
        this.#changeState('reconnecting', { retryInMs: 0 });
        this.#openConnection();
        break;
      default:
        if (!connection.opened) {
          const status = httpStatus === null ? '' : ` (HTTP ${httpStatus})`;
          this.#emitter.emit('error', new SwitchboardError(
            `connection attempt failed${status}: ${connection.failure?.message ?? connection.closeReason}`,
            { httpStatus, cause: connection.failure ?? undefined }));
        }
        this.#scheduleReconnect();
    }
  }

  #scheduleReconnect() {
    const attempt = this.#backoffExponent;
    const retryInMs = backoffDelay(attempt, this.#reconnectBackoff.baseMs, this.#reconnectBackoff.maxMs);
    this.#backoffExponent = Math.min(attempt + 1, MAX_BACKOFF_EXPONENT);
    this.#changeState('reconnecting', { retryInMs, attempt });
    this.#reconnectTimer = setTimeout(() => this.#openConnection(), retryInMs);
  }

  /** Ends the client after a terminal condition; the connection is already gone. */
  #terminate(cause) {
    this.#stop(cause);
    this.#resolveClosed();
  }

  #stop(cause) {
    this.#stopping = true;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    this.#outbound.failAll(cause);
    this.#topics.failAll(cause);
    this.#uploads.failAll(cause);
    this.#changeState('closed');
  }

  #changeState(next, details = {}) {
    const previous = this.#state;
    if (previous !== next) {
      this.#state = next;
      this.#emitter.emit('state', { state: next, previous, ...details });
    }
  }

  // ---- inbound messages (PROTOCOL.md section 3) ----

  #onText(connection, text) {
    if (connection !== this.#current) {
      return;
    }
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame === null || typeof frame !== 'object') {
      return;
    }
    if (frame.type === 'welcome') {
      this.#onWelcome(connection, frame);
      return;
    }
    if (!connection.welcomed) {
      return;
    }
    switch (frame.type) {
      case 'message':
        this.#onMessage(connection, frame);
        break;
      case 'truncated':
        this.#onTruncated(frame);
        break;
      case 'synced':
        this.#sequencer.onSynced();
        this.#emitter.emit('synced', { seq: frame.seq });
        break;
      case 'sent':
        this.#outbound.onSent(frame);
        break;
      case 'result':
        this.#outbound.onReply(frame.ref, frame.data ?? null);
        break;
      case 'pong':
        this.#outbound.onReply(frame.ref, null);
        break;
      case 'error':
        this.#onError(frame);
        break;
      case 'kicked':
        this.#kickedReason = typeof frame.reason === 'string' ? frame.reason : '';
        this.#emitter.emit('kicked', { reason: this.#kickedReason });
        break;
      case 'publication':
        this.#topics.onPublication(frame);
        break;
      case 'presence':
        if (typeof frame.user === 'string' && typeof frame.online === 'boolean') {
          this.#emitter.emit('presence', { user: frame.user, online: frame.online });
        }
        break;
      default:
        // Unknown types are ignored: a newer server may send more.
    }
  }

  #onWelcome(connection, welcome) {
    if (connection.welcomed) {
      return;
    }
    connection.welcomed = true;
    this.#userId = welcome.userId ?? null;
    this.#deviceId = welcome.deviceId ?? null;
    this.#backoffExponent = 0;
    this.#reconnectBackoff = advertisedBackoff(welcome,
      { baseMs: this.#options.backoffBaseMs, maxMs: this.#options.backoffMaxMs });
    this.#authFailuresInRow = 0;
    const cursor = Number.isInteger(welcome.cursor) ? welcome.cursor : 0;
    const processedBefore = this.#sequencer.lastSeq;
    const afterSeq = this.#sequencer.resumeAfter(cursor, Number.isInteger(welcome.lastSeq) ? welcome.lastSeq : -1);
    if (this.#sequencer.lastSeq < processedBefore) {
      this.#acks.rebase(cursor); // The server's store was reset: continue from its cursor.
    }
    connection.write(resumeFrame(afterSeq));
    this.#acks.onConnected((seq) => connection.write(JSON.stringify({ type: 'ack', seq })), cursor);
    this.#outbound.onConnected(connection, welcome);
    this.#topics.onConnected();
    this.#uploads.onConnected();
    this.#changeState('connected');
    this.#emitter.emit('welcome', welcome);
  }

  #onMessage(connection, frame) {
    const { seq, message } = frame;
    if (!Number.isInteger(seq) || seq < 1 || message === null || typeof message !== 'object') {
      return;
    }
    switch (this.#sequencer.offer(seq)) {
      case 'deliver':
        this.#stats.delivered++;
        this.#emitter.emit('message', this.#inboxMessage(seq, message));
        this.#acks.onProcessed(seq);
        break;
      case 'duplicate':
        this.#stats.duplicatesSuppressed++;
        break;
      case 'gap':
        connection.write(resumeFrame(this.#sequencer.lastSeq));
        break;
      default:
        // Ahead of a gap whose resume is on its way: dropped, it comes again.
    }
  }

  /**
   * The 'message' event: message.message plus seq, the conversation (PROTOCOL.md section 3), and the
   * file it carries or null (section 11).
   */
  #inboxMessage(seq, message) {
    const to = message.to && typeof message.to === 'object' ? { kind: message.to.kind, id: message.to.id } : null;
    let conversation = message.from;
    if (to?.kind === 'group' || (to !== null && message.from === this.#userId)) {
      conversation = to.id;
    }
    return {
      seq,
      id: message.id,
      from: message.from,
      fromDevice: message.fromDevice,
      to,
      clientId: message.clientId,
      ts: message.ts,
      body: message.body ?? null,
      file: fileDescription(message.file),
      conversation,
    };
  }

  #onTruncated(frame) {
    const { afterSeq, nextSeq } = frame;
    if (this.#sequencer.onTruncated(afterSeq, nextSeq)) {
      this.#stats.truncatedRanges++;
      this.#emitter.emit('truncated', { afterSeq, nextSeq });
      this.#acks.onProcessed(this.#sequencer.lastSeq);
    }
  }

  #onError(frame) {
    const code = typeof frame.code === 'string' ? frame.code : null;
    const text = typeof frame.message === 'string' ? frame.message : '';
    const error = new SwitchboardError(`${code ?? 'error'}${text ? `: ${text}` : ''}`, { code });
    if (!this.#outbound.onError(frame.ref, error)) {
      this.#emitter.emit('error', error);
    }
  }
}

/** Throws TypeError unless topic is a valid topic name. */
function checkTopic(topic) {
  if (typeof topic !== 'string' || !TOPIC_PATTERN.test(topic)) {
    throw new TypeError(`topic must be 1-128 characters of A-Z a-z 0-9 _ . : @ / -, got ${JSON.stringify(topic)}`);
  }
}

/** Removes the credentials a url's query may carry (token=, user=). */
function withoutSignIn(url) {
  url.searchParams.delete('token');
  url.searchParams.delete('user');
}

/** Throws TypeError unless fileId is a non-empty string. */
function checkFileId(fileId) {
  if (typeof fileId !== 'string' || fileId === '') {
    throw new TypeError('fileId must be a non-empty string');
  }
}

/**
 * A copy of a message's file {id, name, size, contentType}, or null when it has none or one without
 * every field (string id, name and contentType, a whole number size >= 0).
 */
function fileDescription(file) {
  if (file === null || typeof file !== 'object' || typeof file.id !== 'string' || typeof file.name !== 'string'
    || !Number.isSafeInteger(file.size) || file.size < 0 || typeof file.contentType !== 'string') {
    return null;
  }
  return { id: file.id, name: file.name, size: file.size, contentType: file.contentType };
}

function resumeFrame(afterSeq) {
  return JSON.stringify(afterSeq === undefined ? { type: 'resume' } : { type: 'resume', afterSeq });
}

/**
 * A new client id: a UUID of version 7 (RFC 9562), whose first 48 bits are the time in milliseconds,
 * so that ids made later sort after earlier ones, as strings too. The embedded store indexes every
 * stored message's (client id, sender) to find resends, client id first: time-ordered ids add each
 * key at the index's end, where random ones (version 4) cost it a page written at a random place per
 * message (docs/PROTOCOL.md). The other 74 bits are random, from crypto.getRandomValues (which,
 * unlike crypto.randomUUID, needs no secure context).
 *
 * @throws {RangeError} unless `now` is a whole number of ms in [0, 2^48)
 */
export function timeOrderedId(now = Date.now(), randomBytes = cryptoRandomBytes) {
  if (!Number.isSafeInteger(now) || now < 0 || now >= 2 ** 48) {
    throw new RangeError(`now must be a whole number of ms in [0, 2^48), got ${now}`);
  }
  const bytes = randomBytes(16);
  let millis = now;
  for (let index = 5; index >= 0; index--) {
    bytes[index] = millis % 256;
    millis = Math.floor(millis / 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function cryptoRandomBytes(length) {
  const bytes = new Uint8Array(length);
  const crypto = globalThis.crypto;
  if (typeof crypto?.getRandomValues === 'function') {
    crypto.getRandomValues(bytes);
  } else {
    for (let index = 0; index < bytes.length; index++) {
      bytes[index] = Math.floor(Math.random() * 256);
    }
  }
  return bytes;
}

/** Fills in the defaults and checks every option; throws TypeError or RangeError. */
function validateOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('options must be an object with at least a url');
  }
  if (typeof options.url !== 'string' && !(options.url instanceof URL)) {
    throw new TypeError('options.url is required, e.g. ws://localhost:8080/ws');
  }
  new URL(options.url); // throws TypeError when malformed
  const token = options.token;
  if (token != null && typeof token !== 'string' && typeof token !== 'function') {
    throw new TypeError('options.token must be a string or a function returning one (or a promise of one)');
  }
  for (const name of ['user', 'deviceId']) {
    if (options[name] != null && (typeof options[name] !== 'string' || options[name] === '')) {
      throw new TypeError(`options.${name} must be a non-empty string`);
    }
  }
  const initialAfterSeq = options.initialAfterSeq;
  if (initialAfterSeq != null && (!Number.isInteger(initialAfterSeq) || initialAfterSeq < 0)) {
    throw new RangeError(`options.initialAfterSeq must be an integer >= 0, got ${initialAfterSeq}`);
  }
  const number = (name, fallback, minimum) => {
    const value = options[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum || value > MAX_TIMER_MS) {
      throw new RangeError(`options.${name} must be a number in [${minimum}, ${MAX_TIMER_MS}], got ${value}`);
    }
    return value;
  };
  const validated = {
    url: String(options.url),
    token,
    user: options.user,
    deviceId: options.deviceId,
    initialAfterSeq,
    backoffBaseMs: number('backoffBaseMs', 1000, 0),
    backoffMaxMs: number('backoffMaxMs', 30000, 0),
    pingIntervalMs: number('pingIntervalMs', 25000, 1),
    pingTimeoutMs: number('pingTimeoutMs', 60000, 1),
    connectTimeoutMs: number('connectTimeoutMs', 10000, 1),
    ackDelayMs: number('ackDelayMs', 200, 0),
    ackBatch: Math.floor(number('ackBatch', 64, 1)),
    maxPendingSends: Math.floor(number('maxPendingSends', 10000, 1)),
    WebSocket: options.WebSocket,
  };
  if (validated.backoffMaxMs < validated.backoffBaseMs) {
    throw new RangeError('options.backoffMaxMs must be >= backoffBaseMs');
  }
  return validated;
}
