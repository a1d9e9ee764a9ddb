// The Switchboard chat page: sign-in, conversation list, one open conversation, composer.
// Messages are never stored in the browser: on every load the client resumes after seq 0 and
// the server replays the retained inbox. See docs/PROTOCOL.md for the rules this relies on.
import { SwitchboardClient } from '/client/switchboard.js';
import { $, h, bodyText, dayKey, formatDay, formatListTime, formatTime, paintAvatar } from './dom.js';
import * as storage from './storage.js';

const WS_URL = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
const ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;
const PRESENCE_POLL_MS = 10_000;
const PAGE_SIZE = 200;
const ERROR_TEXT = {
  not_group_member: 'You are not a member of that group.',
  group_not_found: 'There is no group with that id.',
  group_exists: 'A group with that id already exists.',
  group_full: 'That group is full.',
  payload_too_large: 'That message is too long.',
  invalid_field: 'The server refused a field: ',
};

/** Everything about the signed-in session; replaced as a whole on sign-out. */
let chat = null;

function newChat(session) {
  return {
    session,
    userId: session.userId,
    client: null,
    conversations: new Map(), // key "user:bob" | "group:team" -> conversation
    openKey: null,
    online: {},               // user id -> boolean, from presence polling
    presenceSupported: true,
    readMarks: storage.loadReadMarks(session.userId),
    lastSeq: 0,               // highest seq received, to resume from after a terminal close
    maxBodyBytes: 16384,
    connection: { state: 'idle', until: 0, attempt: 0 },
    everConnected: false,
    lastClose: null,          // {code, reason} of the last connection that ended
    notice: null,             // { text, action?: { label, run } } shown under the status
    timers: [],
    renderQueued: false,
    stickToBottom: true,
  };
}

// ---- conversations -------------------------------------------------------------------------

const keyOf = (kind, id) => `${kind}:${id}`;

function ensureConversation(kind, id) {
  const key = keyOf(kind, id);
  let conversation = chat.conversations.get(key);
  if (!conversation) {
    conversation = {
      key, kind, id,
      name: id,
      member: undefined,  // groups: true/false once the server has told us
      members: null,
      entries: [],        // messages sorted by seq; unsent own messages (seq null) last
      byClientId: new Map(),
      seqs: new Set(),
      lastActivity: 0,
      visible: PAGE_SIZE,
      needsSort: false,
      fixedNodes: new Map(), // day separators and the like, reused across renders
    };
    chat.conversations.set(key, conversation);
  }
  return conversation;
}

/** The conversation a message belongs to (PROTOCOL.md section 3). */
function conversationOf(message) {
  if (message.to?.kind === 'group') return ['group', message.to.id];
  return ['user', message.from === chat.userId ? message.to.id : message.from];
}

function onMessage(message) {
  const [kind, id] = conversationOf(message);
  const conversation = ensureConversation(kind, id);
  chat.lastSeq = Math.max(chat.lastSeq, message.seq);
  const mine = message.from === chat.userId;
  if (conversation.seqs.has(message.seq)) {
    console.warn('[switchboard-page] duplicate message seq', message.seq, 'ignored');
    return;
  }
  conversation.seqs.add(message.seq);
  const optimistic = mine ? conversation.byClientId.get(message.clientId) : undefined;
  if (optimistic) {
    // Our own send coming back through the inbox: the same entry, now with its seq.
    Object.assign(optimistic, { seq: message.seq, id: message.id, ts: message.ts, status: 'sent', error: null });
    conversation.needsSort = true;
  } else {
    const entry = {
      seq: message.seq, id: message.id, from: message.from, clientId: message.clientId,
      ts: message.ts, body: message.body, mine, status: mine ? 'sent' : null,
    };
    const last = conversation.entries.at(-1);
    if (last && (last.seq === null || last.seq > message.seq)) conversation.needsSort = true;
    conversation.entries.push(entry);
    if (mine && message.clientId) conversation.byClientId.set(message.clientId, entry);
  }
  conversation.lastActivity = Math.max(conversation.lastActivity, message.ts);
  if (kind === 'user' && id !== chat.userId && !(id in chat.online)) queuePresence();
  scheduleRender();
}

function sortedEntries(conversation) {
  if (conversation.needsSort) {
    conversation.entries.sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity) || (a.order ?? 0) - (b.order ?? 0));
    conversation.needsSort = false;
  }
  return conversation.entries;
}

function unreadCount(conversation) {
  const mark = chat.readMarks[conversation.key] ?? 0;
  let count = 0;
  const entries = sortedEntries(conversation);
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (entry.seq === null) continue;
    if (entry.seq <= mark) break;
    if (!entry.mine) count++;
  }
  return count;
}

function markOpenConversationRead() {
  if (!chat.openKey || document.visibilityState !== 'visible') return;
  const conversation = chat.conversations.get(chat.openKey);
  if (!conversation) return;
  let newest = 0;
  for (const entry of conversation.entries) if (entry.seq !== null && entry.seq > newest) newest = entry.seq;
  if (newest > (chat.readMarks[conversation.key] ?? 0)) {
    chat.readMarks[conversation.key] = newest;
    storage.saveReadMarks(chat.userId, chat.readMarks);
  }
}

// ---- sending -------------------------------------------------------------------------------

let localOrder = 0;

function send(conversation, text) {
  const bytes = new TextEncoder().encode(JSON.stringify(text)).length;
  if (bytes > chat.maxBodyBytes) {
    showComposerNote(`That message is too long (${bytes} bytes; at most ${chat.maxBodyBytes}).`);
    return false;
  }
  let pending;
  try {
    pending = chat.client.send({ kind: conversation.kind, id: conversation.id }, text);
  } catch (error) {
    showComposerNote(describeError(error));
    return false;
  }
  const entry = {
    seq: null, id: null, from: chat.userId, clientId: pending.clientId, ts: Date.now(), body: text,
    mine: true, status: 'sending', order: ++localOrder,
  };
  conversation.entries.push(entry);
  conversation.byClientId.set(entry.clientId, entry);
  conversation.lastActivity = Math.max(conversation.lastActivity, entry.ts);
  const owner = chat;
  pending.then(receipt => {
    if (owner !== chat) return;
    if (entry.seq === null) {
      Object.assign(entry, { seq: receipt.seq, id: receipt.id, ts: receipt.ts });
      conversation.needsSort = true;
    }
    entry.status = 'sent';
    entry.error = null;
    scheduleRender();
  }, error => {
    if (owner !== chat || entry.status === 'sent') return;
    entry.status = 'failed';
    entry.error = describeError(error);
    scheduleRender();
  });
  chat.stickToBottom = true;
  scheduleRender();
  return true;
}

function retry(conversation, entry) {
  conversation.entries.splice(conversation.entries.indexOf(entry), 1);
  conversation.byClientId.delete(entry.clientId);
  send(conversation, entry.body);
}

function describeError(error) {
  if (!error) return 'Something went wrong.';
  const known = ERROR_TEXT[error.code];
  if (known) return known.endsWith(': ') ? known + (error.message ?? '') : known;
  return error.message || String(error);
}

// ---- groups and presence -------------------------------------------------------------------

async function refreshGroups() {
  const owner = chat;
  try {
    const { groups } = await owner.client.listGroups();
    if (owner !== chat) return;
    const memberOf = new Set();
    for (const group of groups ?? []) {
      const conversation = ensureConversation('group', group.groupId);
      if (group.name) conversation.name = group.name;
      conversation.member = true;
      memberOf.add(conversation.key);
    }
    for (const conversation of chat.conversations.values()) {
      if (conversation.kind === 'group' && !memberOf.has(conversation.key)) conversation.member = false;
    }
    scheduleRender();
  } catch (error) {
    console.warn('[switchboard-page] group list failed:', error?.message ?? error);
  }
}

async function loadMembers(conversation) {
  const owner = chat;
  try {
    const result = await owner.client.groupMembers(conversation.id);
    if (owner !== chat) return;
    conversation.members = result.members ?? [];
    if (result.name) conversation.name = result.name;
    conversation.member = true;
  } catch (error) {
    if (error?.code === 'not_group_member' || error?.code === 'group_not_found') conversation.member = false;
  }
  scheduleRender();
}

let presenceQueued = false;

function queuePresence() {
  if (presenceQueued) return;
  presenceQueued = true;
  setTimeout(() => { presenceQueued = false; pollPresence(); }, 300);
}

async function pollPresence() {
  if (!chat || !chat.presenceSupported || chat.client?.state !== 'connected') return;
  const users = [...chat.conversations.values()]
    .filter(c => c.kind === 'user' && c.id !== chat.userId).map(c => c.id);
  if (users.length === 0) return;
  const owner = chat;
  try {
    const { online } = await owner.client.presence(users);
    if (owner !== chat) return;
    Object.assign(chat.online, online);
  } catch (error) {
    if (owner !== chat) return;
    if (error?.code === 'unknown_type') chat.presenceSupported = false;
    console.warn('[switchboard-page] presence failed:', error?.message ?? error);
  }
  scheduleRender();
}

// ---- the client ----------------------------------------------------------------------------

function startClient() {
  const { session } = chat;
  const client = new SwitchboardClient({
    url: WS_URL,
    ...(session.mode === 'token' ? { token: () => session.token } : { user: session.userId }),
    deviceId: storage.deviceIdFor(session.userId),
    initialAfterSeq: chat.lastSeq,
  });
  chat.client = client;
  const owner = chat;
  const live = handler => (...args) => { if (owner === chat && owner.client === client) handler(...args); };

  client.on('state', live(({ state, retryInMs, attempt }) => {
    chat.connection = {
      state,
      until: state === 'reconnecting' ? Date.now() + (retryInMs ?? 0) : 0,
      attempt: attempt ?? 0,
    };
    if (state === 'connected') {
      chat.everConnected = true;
      chat.notice = null;
      refreshGroups();
      pollPresence();
    } else if (state === 'reconnecting' && !chat.everConnected && (attempt ?? 0) >= 2) {
      chat.notice = { text: 'Cannot reach the server. If it needs a token, sign out and sign in with one.' };
    } else if (state === 'closed' && !chat.notice?.action) {
      // The client gave up for good (a kick, a refused token); it does not reconnect by itself.
      const expired = chat.lastClose?.code === 4001;
      chat.notice = {
        text: expired ? 'Your session has ended. Sign out and sign in again.' : 'Disconnected from the server.',
        action: { label: 'Reconnect', run: reconnect },
      };
    }
    renderConnection();
  }));
  client.on('welcome', live(welcome => {
    if (welcome.maxBodyBytes) chat.maxBodyBytes = welcome.maxBodyBytes;
  }));
  client.on('message', live(onMessage));
  client.on('synced', live(() => { scheduleRender(); pollPresence(); }));
  client.on('kicked', live(() => {
    chat.notice = {
      text: 'Switchboard is open in another tab or window.',
      action: { label: 'Use here', run: reconnect },
    };
    renderConnection();
  }));
  // 'closed' reports the end of every connection; the client decides whether to reconnect, and
  // says so with the next 'state'.
  client.on('closed', live(close => {
    chat.lastClose = close ?? null;
    if (close?.code === 4001) {
      // The token expired. The client asks for a fresh one, but this page only has the pasted one.
      chat.notice = chat.session.mode === 'token'
        ? { text: 'Your token has expired.', action: { label: 'Sign in again', run: signOut } }
        : null;
      renderConnection();
    }
  }));
  client.on('error', live(error => console.warn('[switchboard-page] client error:', error?.message ?? error)));
  client.connect();
}

/** After a terminal close: a new client that resumes after the last seq we have. */
function reconnect() {
  const old = chat.client;
  chat.client = null;
  try { old?.close(); } catch { /* already closed */ }
  chat.notice = null;
  startClient();
}

// ---- sign-in and sign-out ------------------------------------------------------------------

function showSignin(message, prefill) {
  $('boot').hidden = true;
  $('app').hidden = true;
  $('signin').hidden = false;
  const error = $('signin-error');
  error.textContent = message ?? '';
  error.hidden = !message;
  if (prefill?.userId) $('signin-user').value = prefill.userId;
  if (prefill?.mode === 'token') $('token-box').open = true;
  $('signin-server').textContent = `Server: ${location.host}`;
  document.title = 'Switchboard — sign in';
  (prefill?.mode === 'token' ? $('signin-token') : $('signin-user')).focus();
}

/** The `sub` claim of a JWT, read without verifying (the server verifies). */
function tokenSubject(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(parts[1].length / 4) * 4, '='));
    const claims = JSON.parse(json);
    return typeof claims.sub === 'string' && ID_PATTERN.test(claims.sub) ? claims.sub : null;
  } catch {
    return null;
  }
}

function onSigninSubmit(event) {
  event.preventDefault();
  const token = $('signin-token').value.trim();
  const name = $('signin-user').value.trim();
  let session;
  if (token) {
    const userId = tokenSubject(token);
    if (!userId) return showSignin('That does not look like a Switchboard token (a JWT with a "sub" claim).');
    session = { userId, mode: 'token', token };
  } else {
    if (!ID_PATTERN.test(name)) {
      return showSignin('A user id is 1–128 letters, digits or _ . : @ -');
    }
    session = { userId: name, mode: 'dev' };
  }
  storage.saveSession(session);
  enterChat(session);
}

function enterChat(session) {
  chat = newChat(session);
  $('boot').hidden = true;
  $('signin').hidden = true;
  $('app').hidden = false;
  $('me-name').textContent = session.userId;
  paintAvatar($('me-avatar'), session.userId);
  startClient();
  chat.timers.push(setInterval(pollPresence, PRESENCE_POLL_MS));
  chat.timers.push(setInterval(() => { if (chat.client?.state === 'connected') refreshGroups(); }, 30_000));
  chat.timers.push(setInterval(renderConnection, 250));
  applyRoute();
  renderConnection();
  scheduleRender();
}

function signOut() {
  if (!chat) return;
  const old = chat;
  chat = null;
  old.timers.forEach(clearInterval);
  try { old.client?.close(); } catch { /* already closed */ }
  storage.clearSession();
  $('conversation-list').replaceChildren();
  $('message-list').replaceChildren();
  $('signin-token').value = '';
  $('signin-user').value = '';
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  showSignin();
}

// ---- routing: the open conversation lives in the URL hash (#/user/bob, #/group/team) --------

function routeKey() {
  const match = /^#\/(user|group)\/(.+)$/.exec(location.hash);
  if (!match) return null;
  let id;
  try { id = decodeURIComponent(match[2]); } catch { return null; }
  return ID_PATTERN.test(id) ? [match[1], id] : null;
}

function applyRoute() {
  if (!chat) return;
  const route = routeKey();
  const previous = chat.openKey;
  if (route) {
    const conversation = ensureConversation(route[0], route[1]);
    chat.openKey = conversation.key;
    if (conversation.kind === 'group' && previous !== conversation.key) loadMembers(conversation);
    if (conversation.kind === 'user' && !(conversation.id in chat.online)) queuePresence();
  } else {
    chat.openKey = null;
  }
  if (previous !== chat.openKey) {
    chat.stickToBottom = true;
    $('composer-note').hidden = true;
  }
  $('app').dataset.pane = chat.openKey ? 'chat' : 'list';
  scheduleRender();
  if (chat.openKey && matchMedia('(min-width: 721px)').matches) $('composer-input').focus();
}

function openConversation(kind, id) {
  const hash = `#/${kind}/${encodeURIComponent(id)}`;
  if (location.hash === hash) applyRoute();
  else location.hash = hash;
}

// ---- rendering -----------------------------------------------------------------------------

function scheduleRender() {
  if (!chat || chat.renderQueued) return;
  chat.renderQueued = true;
  setTimeout(() => {
    if (!chat) return;
    chat.renderQueued = false;
    markOpenConversationRead();
    renderList();
    renderChat();
  }, 16);
}

function connectionLabel() {
  const { state, until } = chat.connection;
  switch (state) {
    case 'connected': return ['connected', 'connected'];
    case 'connecting': return ['connecting', chat.everConnected ? 'reconnecting…' : 'connecting…'];
    case 'reconnecting': {
      const seconds = Math.ceil((until - Date.now()) / 1000);
      return ['reconnecting', seconds > 0 ? `reconnecting in ${seconds} s` : 'reconnecting…'];
    }
    default: return ['offline', 'offline'];
  }
}

function renderConnection() {
  if (!chat) return;
  const [kind, text] = connectionLabel();
  const element = $('connection-state');
  element.dataset.state = kind;
  if ($('connection-text').textContent !== text) $('connection-text').textContent = text;
  const banner = $('chat-connection');
  banner.hidden = kind === 'connected';
  banner.dataset.state = kind;
  const pending = kind === 'connected' ? 0 : countSending();
  const bannerText = kind === 'offline' ? 'Offline' : text.charAt(0).toUpperCase() + text.slice(1);
  const full = pending > 0 ? `${bannerText} · ${pending} message${pending === 1 ? '' : 's'} will be sent when the connection is back` : bannerText;
  if (banner.textContent !== full) banner.textContent = full;
  const hint = $('connection-hint');
  const notice = chat.notice;
  hint.hidden = !notice;
  if (notice && hint.dataset.text !== notice.text) {
    hint.dataset.text = notice.text;
    hint.replaceChildren(notice.text);
    if (notice.action) {
      const button = h('button', { type: 'button', className: 'link', 'data-testid': 'connection-action' }, notice.action.label);
      button.addEventListener('click', notice.action.run);
      hint.append(' ', button);
    }
  } else if (!notice) {
    delete hint.dataset.text;
  }
}

function countSending() {
  let count = 0;
  for (const conversation of chat.conversations.values()) {
    for (let i = conversation.entries.length - 1; i >= 0 && conversation.entries[i].seq === null; i--) {
      if (conversation.entries[i].status === 'sending') count++;
    }
  }
  return count;
}

function previewOf(conversation) {
  const entries = sortedEntries(conversation);
  const last = entries.at(-1);
  if (!last) return conversation.kind === 'group' ? 'No messages yet' : 'Say hello';
  const who = last.mine ? 'You: ' : conversation.kind === 'group' ? `${last.from}: ` : '';
  return who + bodyText(last.body).replace(/\s+/g, ' ').slice(0, 120);
}

function renderList() {
  const list = $('conversation-list');
  const conversations = [...chat.conversations.values()]
    .sort((a, b) => b.lastActivity - a.lastActivity || a.name.localeCompare(b.name));
  let totalUnread = 0;
  const items = conversations.map(conversation => {
    const unread = unreadCount(conversation);
    totalUnread += unread;
    const avatar = h('span', { className: 'avatar', 'aria-hidden': 'true' });
    paintAvatar(avatar, conversation.id, conversation.kind === 'group');
    if (conversation.kind === 'user' && chat.presenceSupported && conversation.id in chat.online) {
      const isOnline = chat.online[conversation.id] === true;
      avatar.append(h('span', {
        className: 'presence-dot', 'data-testid': 'presence', 'data-online': String(isOnline),
        title: isOnline ? 'online' : 'offline',
      }));
    }
    const last = conversation.entries.length ? sortedEntries(conversation).at(-1) : null;
    const button = h('button', {
      type: 'button', className: 'conversation', 'data-testid': 'conversation-item',
      'data-conversation': conversation.key, 'data-unread': String(unread),
      'aria-current': conversation.key === chat.openKey ? 'true' : false,
    },
    avatar,
    h('span', { className: 'conversation-main' },
      h('span', { className: 'conversation-top' },
        h('span', { className: 'conversation-name', 'data-testid': 'conversation-name' },
          conversation.kind === 'group' ? h('span', { className: 'kind', 'aria-label': 'group' }, '#') : null,
          conversation.name),
        last ? h('time', { className: 'conversation-time' }, formatListTime(last.ts)) : null),
      h('span', { className: 'conversation-bottom' },
        h('span', { className: 'conversation-preview' }, previewOf(conversation)),
        unread > 0 ? h('span', { className: 'badge', 'data-testid': 'unread-count', 'aria-label': `${unread} unread` }, String(unread)) : null)));
    button.addEventListener('click', () => openConversation(conversation.kind, conversation.id));
    return h('li', {}, button);
  });
  list.replaceChildren(...items);
  $('conversation-empty').hidden = items.length > 0;
  document.title = totalUnread > 0 ? `(${totalUnread}) Switchboard` : 'Switchboard';
  // At phone width the list is hidden behind the open chat: the back button shows what waits there.
  const elsewhere = totalUnread - (chat.openKey && chat.conversations.has(chat.openKey) ? unreadCount(chat.conversations.get(chat.openKey)) : 0);
  const backBadge = $('back-unread');
  backBadge.hidden = elsewhere <= 0;
  backBadge.textContent = elsewhere > 0 ? String(elsewhere) : '';
}

function messageNode(conversation, entry) {
  const status = entry.mine ? entry.status : null;
  const meta = h('span', { className: 'message-meta' }, h('time', {}, formatTime(entry.ts)));
  if (status) {
    meta.append(h('span', { className: 'message-status', 'data-testid': 'message-status' },
      status === 'sending' ? 'sending' : status === 'sent' ? 'sent' : 'not sent'));
  }
  const node = h('li', {
    className: `message ${entry.mine ? 'mine' : 'theirs'}`, 'data-testid': 'message',
    'data-client-id': entry.clientId ?? '', 'data-seq': entry.seq ?? '', 'data-state': status ?? 'received',
    'data-from': entry.from,
  },
  !entry.mine && conversation.kind === 'group' ? h('span', { className: 'message-from' }, entry.from) : null,
  h('p', { className: 'message-body', 'data-testid': 'message-body' }, bodyText(entry.body)),
  meta);
  if (status === 'failed') {
    const button = h('button', { type: 'button', className: 'link', 'data-testid': 'message-retry' }, 'Retry');
    button.addEventListener('click', () => retry(conversation, entry));
    node.append(h('span', { className: 'message-error' }, entry.error ?? 'Not sent.', ' ', button));
  }
  return node;
}

function renderChat() {
  const conversation = chat.openKey ? chat.conversations.get(chat.openKey) : null;
  $('chat-empty').hidden = !!conversation;
  $('chat-open').hidden = !conversation;
  if (!conversation) return;

  $('chat-title').textContent = conversation.kind === 'group' ? conversation.name : conversation.id;
  paintAvatar($('chat-avatar'), conversation.id, conversation.kind === 'group');
  const sub = $('chat-sub');
  if (conversation.kind === 'group') {
    const members = conversation.members;
    sub.textContent = conversation.member === false ? `#${conversation.id} · you left this group`
      : members ? `#${conversation.id} · ${members.length} members: ${members.join(', ')}` : `#${conversation.id}`;
    delete sub.dataset.online;
  } else if (chat.presenceSupported && conversation.id in chat.online) {
    sub.textContent = chat.online[conversation.id] ? 'online' : 'offline';
    sub.dataset.online = String(chat.online[conversation.id] === true);
  } else {
    sub.textContent = '';
    delete sub.dataset.online;
  }
  $('group-leave').hidden = !(conversation.kind === 'group' && conversation.member !== false);
  $('group-rejoin').hidden = !(conversation.kind === 'group' && conversation.member === false);
  const canWrite = !(conversation.kind === 'group' && conversation.member === false);
  $('composer-input').disabled = !canWrite;
  $('composer-input').placeholder = canWrite ? `Message ${conversation.kind === 'group' ? conversation.name : conversation.id}` : 'You left this group';
  document.querySelector('#composer button').disabled = !canWrite;

  const scroller = $('messages');
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  const entries = sortedEntries(conversation);
  const start = Math.max(0, entries.length - conversation.visible);
  const nodes = [];
  const fixed = (key, make) => {
    let node = conversation.fixedNodes.get(key);
    if (!node) conversation.fixedNodes.set(key, node = make());
    return node;
  };
  if (start > 0) {
    nodes.push(fixed(`earlier|${start}`, () => {
      const more = h('button', { type: 'button', className: 'link', 'data-testid': 'show-earlier' }, `Show earlier messages (${start})`);
      more.addEventListener('click', () => { conversation.visible += PAGE_SIZE; chat.stickToBottom = false; scheduleRender(); });
      return h('li', { className: 'earlier' }, more);
    }));
  }
  let day = null;
  let previous = null;
  for (let i = start; i < entries.length; i++) {
    const entry = entries[i];
    const entryDay = dayKey(entry.ts);
    if (entryDay !== day) {
      day = entryDay;
      previous = null;
      const label = formatDay(entry.ts);
      nodes.push(fixed(`day|${day}|${label}`, () => h('li', { className: 'day', role: 'separator' }, h('span', {}, label))));
    }
    const follow = previous !== null && previous.from === entry.from && entry.ts - previous.ts < 5 * 60_000;
    // A message's node is rebuilt only when what it shows changed, so selections and focus survive.
    const version = `${entry.status}|${entry.seq}|${entry.ts}|${entry.error ?? ''}|${follow}`;
    if (entry.node?.version !== version) {
      entry.node = messageNode(conversation, entry);
      entry.node.version = version;
      entry.node.classList.toggle('follow', follow);
    }
    nodes.push(entry.node);
    previous = entry;
  }
  if (entries.length === 0) {
    nodes.push(fixed('empty', () => h('li', { className: 'no-messages' },
      conversation.kind === 'group' ? 'No messages in this group yet.' : `This is the start of your conversation with ${conversation.id}.`)));
  }
  if ($('message-list').dataset.conversation !== conversation.key) {
    $('message-list').replaceChildren();
    $('message-list').dataset.conversation = conversation.key;
  }
  syncChildren($('message-list'), nodes);
  if (chat.stickToBottom || atBottom) {
    scroller.scrollTop = scroller.scrollHeight;
    chat.stickToBottom = false;
  }
}

/** Makes `parent`'s children exactly `nodes`, moving only what moved (a selection survives). */
function syncChildren(parent, nodes) {
  let current = parent.firstChild;
  for (const node of nodes) {
    if (node === current) {
      current = current.nextSibling;
    } else {
      parent.insertBefore(node, current);
    }
  }
  while (current) {
    const next = current.nextSibling;
    current.remove();
    current = next;
  }
}

function showComposerNote(text) {
  const note = $('composer-note');
  note.textContent = text;
  note.hidden = !text;
}

function showActionError(text) {
  const element = $('action-error');
  element.textContent = text ?? '';
  element.hidden = !text;
}

// ---- wiring --------------------------------------------------------------------------------

function parseIds(text) {
  return [...new Set(text.split(/[\s,;]+/).map(s => s.trim()).filter(Boolean))];
}

function togglePanel(which) {
  for (const [name, form, button] of [['create', 'create-group-form', 'toggle-create'], ['join', 'join-group-form', 'toggle-join']]) {
    const open = name === which && $(form).hidden;
    $(form).hidden = !open;
    $(button).setAttribute('aria-expanded', String(open));
    if (open) $(form).querySelector('input').focus();
  }
  showActionError(null);
}

function wire() {
  $('signin-form').addEventListener('submit', onSigninSubmit);
  $('signout').addEventListener('click', signOut);
  $('back').addEventListener('click', () => { location.hash = ''; });
  window.addEventListener('hashchange', applyRoute);
  document.addEventListener('visibilitychange', () => scheduleRender());

  $('new-chat-form').addEventListener('submit', event => {
    event.preventDefault();
    const id = $('new-chat-input').value.trim();
    if (!ID_PATTERN.test(id)) return showActionError('A user id is 1–128 letters, digits or _ . : @ -');
    showActionError(null);
    $('new-chat-input').value = '';
    ensureConversation('user', id).lastActivity ||= Date.now();
    openConversation('user', id);
    queuePresence();
  });

  $('toggle-create').addEventListener('click', () => togglePanel('create'));
  $('toggle-join').addEventListener('click', () => togglePanel('join'));

  $('create-group-form').addEventListener('submit', async event => {
    event.preventDefault();
    const name = $('group-create-name').value.trim();
    const groupId = $('group-create-id').value.trim();
    const members = parseIds($('group-create-members').value).filter(m => m !== chat.userId);
    const bad = [groupId, ...members].find(id => id && !ID_PATTERN.test(id));
    if (bad) return showActionError(`"${bad}" is not a valid id.`);
    showActionError(null);
    try {
      const owner = chat;
      const result = await owner.client.createGroup({ groupId: groupId || undefined, name: name || undefined, members });
      if (owner !== chat) return;
      const conversation = ensureConversation('group', result.groupId);
      conversation.name = result.name || name || result.groupId;
      conversation.member = true;
      conversation.members = result.members ?? null;
      conversation.lastActivity ||= Date.now();
      event.target.reset();
      togglePanel(null);
      openConversation('group', result.groupId);
    } catch (error) {
      showActionError(describeError(error));
    }
  });

  $('join-group-form').addEventListener('submit', async event => {
    event.preventDefault();
    const groupId = $('group-join-id').value.trim();
    if (!ID_PATTERN.test(groupId)) return showActionError('Enter the id of the group to join.');
    showActionError(null);
    try {
      await joinGroup(groupId);
      event.target.reset();
      togglePanel(null);
      openConversation('group', groupId);
    } catch (error) {
      showActionError(describeError(error));
    }
  });

  $('group-leave').addEventListener('click', async () => {
    const conversation = chat.conversations.get(chat.openKey);
    if (!conversation || conversation.kind !== 'group') return;
    try {
      await chat.client.leaveGroup(conversation.id);
      conversation.member = false;
      conversation.members = null;
      scheduleRender();
    } catch (error) {
      showComposerNote(describeError(error));
    }
  });

  $('group-rejoin').addEventListener('click', async () => {
    const conversation = chat.conversations.get(chat.openKey);
    if (!conversation) return;
    try {
      await joinGroup(conversation.id);
    } catch (error) {
      showComposerNote(describeError(error));
    }
  });

  const input = $('composer-input');
  $('composer').addEventListener('submit', event => {
    event.preventDefault();
    const conversation = chat?.conversations.get(chat.openKey);
    const text = input.value.trim();
    if (!conversation || !text) return;
    showComposerNote(null);
    if (send(conversation, text)) {
      input.value = '';
      autoGrow();
    }
  });
  input.addEventListener('keydown', event => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $('composer').requestSubmit();
    }
  });
  const autoGrow = () => {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight, 160) + 'px';
  };
  input.addEventListener('input', autoGrow);
}

async function joinGroup(groupId) {
  const owner = chat;
  const result = await owner.client.joinGroup(groupId);
  if (owner !== chat) return;
  const conversation = ensureConversation('group', result.groupId ?? groupId);
  conversation.member = true;
  conversation.members = result.members ?? null;
  conversation.lastActivity ||= Date.now();
  refreshGroups();
  scheduleRender();
}

wire();
const saved = storage.loadSession();
if (saved && (saved.mode === 'dev' || saved.token)) enterChat(saved);
else if (saved) showSignin('Paste your token again to continue.', saved);
else showSignin();
