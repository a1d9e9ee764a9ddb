// Type declarations for switchboard.js, the JavaScript client of a Switchboard server.
// The wire contract is docs/PROTOCOL.md; behaviour and guarantees are in this package's README.md.

/** 'idle' before connect(); 'connecting' while an attempt is under way; 'connected' after its welcome;
 *  'reconnecting' while waiting for the backoff delay; 'closed' for good. */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** A recipient: a user id, or a group the sender is a member of. */
export interface Target {
  kind: 'user' | 'group';
  id: string;
}

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface SwitchboardOptions {
  /** WebSocket endpoint, e.g. 'ws://localhost:8080/ws'. A query it already has is kept. */
  url: string | URL;
  /** JWT sent as ?token=. A function is asked before every connection attempt (and again at once after
   *  close code 4001 or a first HTTP 401); a string is used as is and cannot be refreshed. */
  token?: string | (() => string | null | undefined | Promise<string | null | undefined>);
  /** Development mode only: sign in as this user (?user=) when there is no token. */
  user?: string;
  /** Sent as ?device=. Absent: the server assigns one, which this client keeps for its reconnects. */
  deviceId?: string;
  /** Seeds lastSeq: the first resume asks for everything after it (0 = whole retained history).
   *  Absent: continue from this device's cursor on the server. */
  initialAfterSeq?: number;
  /** Reconnect backoff base, ms [1000], unless the server advertises its own; also the base of send and subscribe retries. */
  backoffBaseMs?: number;
  /** Reconnect backoff cap, ms [30000], unless the server advertises its own; also the retries' cap. */
  backoffMaxMs?: number;
  /** Send an application ping after this long without inbound traffic, ms [25000]. */
  pingIntervalMs?: number;
  /** Close and reconnect after this long without inbound traffic, ms [60000]. */
  pingTimeoutMs?: number;
  /** Give up a connection attempt (token function included) that has not opened within this time, ms [10000]. */
  connectTimeoutMs?: number;
  /** Longest time an acknowledgement is held back to batch it, ms [200]; 0 acks every entry at once. */
  ackDelayMs?: number;
  /** Acknowledge at once when this many entries are unacknowledged [64]. */
  ackBatch?: number;
  /** Bound on sends not yet confirmed; further sends are rejected [10000]. */
  maxPendingSends?: number;
  /** WebSocket implementation, e.g. the ws package's default export [globalThis.WebSocket]. */
  WebSocket?: new (url: string) => any;
}

/** The server's first message on every connection (PROTOCOL.md section 3). */
export interface Welcome {
  type: 'welcome';
  connectionId: string;
  userId: string;
  deviceId: string;
  cursor: number;
  lastSeq: number;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  maxMessageBytes: number;
  maxBodyBytes: number;
  sendsPerSecond: number;
  sendBurst: number;
  /** The reconnect backoff the server advertises, used instead of backoffBaseMs / backoffMaxMs; absent: none. */
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  [field: string]: unknown;
}

/** A file as messages carry it and uploadFile() resolves with (PROTOCOL.md section 11). */
export interface FileInfo {
  /** 'f-' and 32 hex digits: the fileId to send it with and to download it by (fileUrl()). */
  id: string;
  /** The name a download is saved under. */
  name: string;
  /** Bytes. */
  size: number;
  /** A media type such as 'image/png'; 'application/octet-stream' when none was given. */
  contentType: string;
}

export interface UploadOptions {
  /** 1-255 UTF-16 code units, not only white space, no / or \, no control characters (U+0000-U+001F, U+007F)
   *  and no lone surrogates. Default: a File's name; required for other data. */
  name?: string;
  /** A media type (type/subtype, optional ;parameters) of at most 127 code units, e.g. 'image/png'. Default: a
   *  Blob's type when the server would take it, else the server's application/octet-stream. */
  contentType?: string;
  /** Aborts the upload: the promise rejects with signal.reason. */
  signal?: AbortSignal;
  /** Called with the bytes the server has stored (0 first) each time that number moves. */
  onProgress?: (offset: number, size: number) => void;
}

/** One inbox entry, delivered once per seq, in seq order. */
export interface InboxMessage {
  seq: number;
  /** Server message id, the same for every recipient. */
  id: number;
  from: string;
  fromDevice: string;
  to: Target;
  clientId: string;
  /** Server time of storage, ms since the epoch. */
  ts: number;
  body: Json;
  /** The file the message carries (sent with a fileId); null for a message without one, or with one that
   *  lacks a field. */
  file: FileInfo | null;
  /** The group id for a group message; for a 1:1 message the other user (to.id when this user sent it,
   *  else from). The kind is to.kind. */
  conversation: string;
}

/** What a send resolves with once the message is durable. */
export interface SendReceipt {
  clientId: string;
  id: number;
  ts: number;
  /** The message's seq in the sender's own inbox. */
  seq: number;
  /** True when this clientId had been stored before; the fields are the original's. */
  duplicate: boolean;
}

/** The promise send() returns, with the clientId available at once. */
export interface SendPromise extends Promise<SendReceipt> {
  readonly clientId: string;
}

export interface PendingSend {
  clientId: string;
  to: Target;
  body: Json;
  /** Present on a send with a file. */
  fileId?: string;
}

export interface ClientStats {
  /** Inbox entries handed to 'message' handlers. */
  delivered: number;
  /** Entries dropped because their seq was already processed. */
  duplicatesSuppressed: number;
  /** Connection attempts after the first. */
  reconnects: number;
  /** Sends transmitted again (after a reconnect or a retryable error). */
  sendsResent: number;
  /** Expired ranges skipped ('truncated'). */
  truncatedRanges: number;
  /** Topic publications handed to 'publication' handlers. */
  publicationsDelivered: number;
  /** Publications dropped because their offset had been delivered already. */
  publicationDuplicatesSuppressed: number;
  /** Publications past a gap, each of which made the client re-sync its topic. */
  topicGaps: number;
  /** Subscribe replies with recovered: false ('recoveryFailed'). */
  recoveryFailures: number;
}

/** Where a client stands in a topic: it has seen every publication of `epoch` up to `offset`
 *  (0 = nothing published in this epoch yet). Offsets of different epochs do not compare. */
export interface TopicPosition {
  epoch: string;
  offset: number;
}

/** One publication on a subscribed topic, delivered once per (epoch, offset), in offset order. */
export interface Publication {
  topic: string;
  epoch: string;
  /** 1, 2, 3 … within the epoch, without gaps. */
  offset: number;
  data: Json;
  /** The publishing user; null when the server API published it. */
  from: string | null;
}

/** 'subscribing': a subscribe is on its way or waits for the next connection (after subscribe(), after
 *  every lost connection, and while a topic with missed publications is re-synced); no publications.
 *  'subscribed': confirmed; publications flow. 'unsubscribed': final (unsubscribe(), a refusal, close()). */
export type SubscriptionState = 'subscribing' | 'subscribed' | 'unsubscribed';

/** The data of a subscribe reply (PROTOCOL.md, "Topics"). */
export interface SubscribeResult {
  topic: string;
  epoch: string;
  /** The topic's newest offset when the subscription was made. */
  offset: number;
  history?: boolean;
  /** Present when the subscribe recovered from a position. */
  recovered?: boolean;
  recoveryFailure?: 'epoch_changed' | 'gap_too_large' | 'no_history' | string;
  [field: string]: unknown;
}

/** The data of a publish reply. */
export interface PublishResult {
  topic: string;
  epoch: string;
  offset: number;
  [field: string]: unknown;
}

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** On 'reconnecting': the delay before the next attempt, ms (0 for an immediate retry). */
  retryInMs?: number;
  /** On 'reconnecting' after a backoff: the attempt number n of the delay drawn from [0, min(max, base × 2ⁿ)]. */
  attempt?: number;
}

export interface SwitchboardEvents {
  state: StateChange;
  welcome: Welcome;
  message: InboxMessage;
  synced: { seq: number };
  truncated: { afterSeq: number; nextSeq: number };
  /** The server is about to close this connection with 4003 (kicked) or 4004 (banned); both are terminal. */
  kicked: { reason: string };
  error: SwitchboardError;
  /** Each time an opened connection closes; code 1006 when it ended without a close frame. */
  closed: { code: number; reason: string };
  publication: Publication;
  /** A subscription changed state; `error` says why it became 'unsubscribed' when the server refused it
   *  (its code, e.g. 'forbidden') or the client closed, else null. */
  subscription: { topic: string; state: SubscriptionState; error: SwitchboardError | null };
  /** The server could not replay what the client missed on topic: publications were lost, so state built
   *  from the topic is stale (reload it from your backend). Delivery continues live from {epoch, offset},
   *  the server's newest position. Emitted before the topic's 'subscribed'. */
  recoveryFailed: { topic: string; reason: 'epoch_changed' | 'gap_too_large' | 'no_history' | string;
    epoch: string; offset: number };
  /** A user sharing a group or a 1:1 conversation with this one came online or went offline (only when
   *  the server enables presence.events). */
  presence: { user: string; online: boolean };
}

export interface GroupInfo {
  groupId: string;
  name?: string;
  members: string[];
}

/**
 * A failed request, send, connection or download. `code`: the server's error code (or 'payload_too_large'
 * from the local size check). `closeCode`: the connection was closed with it. `httpStatus`: the handshake
 * was refused (Node with the ws package only), or fetchFile() was answered with it. Absent ones are null.
 */
export class SwitchboardError extends Error {
  constructor(message: string, details?: { code?: string | null; closeCode?: number | null;
    httpStatus?: number | null; cause?: unknown });
  readonly name: 'SwitchboardError';
  readonly code: string | null;
  readonly closeCode: number | null;
  readonly httpStatus: number | null;
}

/**
 * The reconnect backoff a welcome advertises, or `configured` when it advertises none or nothing usable
 * (not whole numbers, a base below 1 ms, a cap below the base); a cap above an hour is cut to an hour.
 */
export function advertisedBackoff(welcome: Partial<Welcome>, configured: { baseMs: number; maxMs: number }):
  { baseMs: number; maxMs: number };

/** Full-jitter backoff: a whole number of ms, uniform in [0, min(maxMs, baseMs × 2^attempt)]. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random?: () => number): number;

/**
 * A new client id as `send` makes them: a UUID of version 7 (RFC 9562) of `now` (ms since the epoch,
 * default `Date.now()`), whose string sorts in time order. `randomBytes(16)` supplies the random bits
 * (default: crypto.getRandomValues). Throws RangeError unless `now` is a whole number in [0, 2^48).
 */
export function timeOrderedId(now?: number, randomBytes?: (length: number) => Uint8Array): string;

export class SwitchboardClient {
  /** Creates an idle client. Throws TypeError/RangeError for bad options or no WebSocket implementation. */
  constructor(options: SwitchboardOptions);

  on<E extends keyof SwitchboardEvents>(event: E, handler: (value: SwitchboardEvents[E]) => void): () => void;
  off<E extends keyof SwitchboardEvents>(event: E, handler: (value: SwitchboardEvents[E]) => void): void;

  /** Starts connecting; does nothing unless idle. Reconnects by itself until close() or a terminal condition. */
  connect(): void;
  /** Queues a durable send; see README.md. `fileId`: a complete upload of this user (uploadFile()'s id),
   *  which the message carries. Throws TypeError for a malformed target, clientId, fileId or body. */
  send(to: Target, body: unknown, options?: { clientId?: string; fileId?: string }): SendPromise;
  /** Uploads a file in chunks, resumed after reconnects; see README.md. `data` may also be a Blob of another
   *  window (anything with a numeric size and a slice function). Resolves with the file to send with
   *  send(to, body, {fileId: file.id}); rejects with the server's code (file_too_large, upload_limit, …),
   *  when the client closes first, or with signal.reason. An upload aborted or failed for good is cancelled
   *  on the server (upload.cancel, best effort). Throws TypeError/RangeError for data of another type, an
   *  empty file, a name or contentType the server would refuse, or a malformed option. */
  uploadFile(data: Blob | ArrayBuffer | ArrayBufferView, options?: UploadOptions): Promise<FileInfo>;
  /** The download URL of a file: GET /files/{fileId} on the server's HTTP origin, with the WebSocket url's
   *  query and token= (or user= in development mode) set as the WebSocket signs in; `signIn: false` leaves
   *  every credential out. Throws TypeError for an empty fileId. */
  fileUrl(fileId: string, options?: { signIn?: boolean }): string;
  /** Downloads a file with the token in an Authorization header (?user= in development mode), never in the
   *  URL. Resolves with the Response (200, or 206 for a Range in headers); rejects with SwitchboardError
   *  whose httpStatus is the answer's for any other status, or with signal.reason. Throws TypeError for an
   *  empty fileId. */
  fetchFile(fileId: string, options?: { signal?: AbortSignal; headers?: HeadersInit }): Promise<Response>;
  /** A request with a fresh ref; resolves with the reply's data. Rejects at once unless connected. */
  request<T = any>(type: string, fields?: Record<string, unknown>): Promise<T>;
  createGroup(group?: { groupId?: string; name?: string; members?: string[] }): Promise<GroupInfo>;
  joinGroup(groupId: string): Promise<GroupInfo>;
  leaveGroup(groupId: string): Promise<GroupInfo>;
  groupMembers(groupId: string): Promise<GroupInfo>;
  listGroups(): Promise<{ groups: Array<{ groupId: string; name?: string }> }>;
  presence(userIds: Iterable<string>): Promise<{ online: Record<string, boolean> }>;
  ping(): Promise<void>;
  /** Asks for a replay after afterSeq on the live connection; ignored while not connected. */
  resume(afterSeq: number): void;
  /** Subscribes to topic, kept across reconnects and recovered by offset; see README.md. Resolves with the
   *  first subscribe reply's data; rejects with the server's code (forbidden, subscription_limit, …).
   *  Throws TypeError for a malformed topic or since. */
  subscribe(topic: string, options?: { since?: TopicPosition }): Promise<SubscribeResult>;
  /** Ends the subscription; resolves with {topic} (at once when not connected). */
  unsubscribe(topic: string): Promise<{ topic: string }>;
  /** Publishes on topic; not queued, rejects at once unless connected; rejects with 'forbidden' when not allowed. */
  publish(topic: string, data: unknown): Promise<PublishResult>;
  /** The position reached in topic, or null when not subscribed or before the first reply. */
  topicPosition(topic: string): TopicPosition | null;
  /** Closes for good; resolves once the last connection has ended. Never rejects. */
  close(): Promise<void>;

  readonly state: ConnectionState;
  readonly lastSeq: number;
  readonly userId: string | null;
  readonly deviceId: string | null;
  readonly pendingSends: PendingSend[];
  /** The topics subscribed, or being subscribed. */
  readonly subscriptions: string[];
  readonly stats: ClientStats;
}
