// The Switchboard chat page: sign-in, the client's events, sending, files, groups, presence, routing.
// Messages are never stored in the browser: on every load the client resumes after seq 0 and the
// server replays the retained inbox (docs/PROTOCOL.md section 4). conversations.js holds the
// model, view.js draws it, errors.js words the errors.
import { SwitchboardClient } from '/client/switchboard.js';
import { Inbox } from './conversations.js';
import { $, h, paintAvatar } from './dom.js';
import { describeDownloadError, describeError, describeUploadError } from './errors.js';
import * as storage from './storage.js';
import { clearChat, renderChat, renderConnection, renderList } from './view.js';

const WS_URL = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
const ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;
const ID_RULE = 'A user or group id is 1–128 letters, digits or _ . : @ -';
const PRESENCE_POLL_MS = 10_000;
const GROUPS_POLL_MS = 30_000;
/**
 * How long a downloaded file's blob: URL is kept after its link was clicked: the browser reads it when
 * the download starts, and a URL kept until the page closes would hold the file in memory till then.
 */
const BLOB_URL_LIFETIME_MS = 10_000;

/** The signed-in session; null while signed out. Replaced as a whole on sign-in and sign-out. */
let chat = null;

function newChat(session) {
  return {
    session,
    userId: session.userId,
    client: null,
    inbox: new Inbox(session.userId, storage.loadReadMarks(session.userId)),
    openKey: null,            // the conversation shown, from the URL hash
    online: {},               // user id -> boolean, from presence polling
    presenceSupported: true,
    maxBodyBytes: 16384,      // from welcome
    connection: { state: 'idle', until: 0 },
    everConnected: false,
    lastClose: null,          // {code, reason} of the last connection that ended
    notice: null,             // {text, action?: {label, run}} shown under the status
    groupsVersion: 0,         // bumped by every local group change; older group lists are stale
    uploads: [],              // uploads under way: {name, size, offset, conversationKey, controller}
    timers: [],
    renderQueued: false,
    stickToBottom: true,
  };
}

const actions = {
  open: (kind, id) => openConversation(kind, id),
  retry: (conversation, entry) => {
    chat.inbox.remove(conversation, entry);
    send(conversation, entry.body, entry.file);
  },
  // With a token, file links carry no credentials (a copied link must not hold the token): a click
  // downloads the file with the token in a header instead. In development mode ?user= is harmless.
  fileHref: fileId => chat.client.fileUrl(fileId, { signIn: chat.session.mode !== 'token' }),
  openFile: (event, file) => {
    if (chat.session.mode !== 'token') return;
    event.preventDefault();
    downloadWithToken(file);
  },
  cancelUpload: upload => upload.controller.abort(),
  showEarlier: conversation => {
    chat.inbox.showEarlier(conversation);
    scheduleRender();
  },
};

function scheduleRender() {
  if (!chat || chat.renderQueued) return;
  chat.renderQueued = true;
  setTimeout(() => {
    if (!chat) return;
    chat.renderQueued = false;
    const open = chat.inbox.get(chat.openKey);
    if (open && document.visibilityState === 'visible' && chat.inbox.markRead(open)) {
      storage.saveReadMarks(chat.userId, chat.inbox.readMarks);
    }
    renderList(chat, actions);
    renderChat(chat, actions);
  }, 16);
}

/** Runs `work` for the current session; its result is dropped if the user signed out meanwhile. */
function forSession(work) {
  const owner = chat;
  return work(owner).then(result => (owner === chat ? result : undefined));
}

// ---- sending -------------------------------------------------------------------------------

/** Sends `text` (null for a file without caption) to `conversation`, with an uploaded `file` if given. */
function send(conversation, text, file = null) {
  const bytes = new TextEncoder().encode(JSON.stringify(text)).length;
  if (bytes > chat.maxBodyBytes) {
    showComposerNote(`That message is too long (${bytes} bytes; at most ${chat.maxBodyBytes}).`);
    return false;
  }
  let pending;
  try {
    pending = chat.client.send({ kind: conversation.kind, id: conversation.id }, text, file ? { fileId: file.id } : {});
  } catch (error) {
    showComposerNote(describeError(error));
    return false;
  }
  const owner = chat;
  const entry = chat.inbox.addSending(conversation, pending.clientId, text, file);
  pending.then(receipt => {
    if (owner !== chat) return;
    chat.inbox.confirm(conversation, entry, receipt);
    scheduleRender();
  }, error => {
    if (owner !== chat) return;
    chat.inbox.fail(entry, describeError(error));
    scheduleRender();
  });
  chat.stickToBottom = true;
  scheduleRender();
  return true;
}

// ---- files ---------------------------------------------------------------------------------

/**
 * Uploads `file` with its progress shown above the composer, then sends it to `conversation` as a
 * message without caption. The client resumes the upload after a reconnect; Cancel aborts it.
 */
function attachFile(conversation, file) {
  if (file.size === 0) {
    showComposerNote(`${file.name} is empty: there is nothing to send.`);
    return;
  }
  const upload = {
    name: file.name, size: file.size, offset: 0, conversationKey: conversation.key, controller: new AbortController(),
  };
  let uploading;
  try {
    uploading = chat.client.uploadFile(file, {
      signal: upload.controller.signal,
      onProgress: offset => {
        upload.offset = offset;
        scheduleRender();
      },
    });
  } catch (error) {
    showComposerNote(`${file.name} cannot be sent: ${describeUploadError(error)}`);
    return;
  }
  const owner = chat;
  const finish = () => {
    owner.uploads = owner.uploads.filter(other => other !== upload);
    scheduleRender();
  };
  chat.uploads.push(upload);
  scheduleRender();
  uploading.then(described => {
    if (owner !== chat) return;
    finish();
    chat.stickToBottom = true;
    send(conversation, null, described);
  }, error => {
    if (owner !== chat) return;
    finish();
    if (error?.name !== 'AbortError') showComposerNote(`${file.name} was not sent: ${describeUploadError(error)}`);
  });
}

/**
 * Saves `file` for a page signed in with a token: fetches it with the token in an Authorization header
 * (client.fetchFile), then clicks a temporary download link to a blob: URL of its bytes, revoked soon
 * after. The token never enters a URL or the page.
 */
async function downloadWithToken(file) {
  const owner = chat;
  let blob;
  try {
    const response = await owner.client.fetchFile(file.id);
    blob = await response.blob();
  } catch (error) {
    if (owner !== chat) return;
    showComposerNote(`${file.name} could not be downloaded: ${describeDownloadError(error)}`);
    return;
  }
  if (owner !== chat) return;
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: file.name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), BLOB_URL_LIFETIME_MS);
}

// ---- groups and presence -------------------------------------------------------------------

async function refreshGroups() {
  const version = chat.groupsVersion;
  try {
    const result = await forSession(session => session.client.listGroups());
    if (!result || chat.groupsVersion !== version) return;
    const memberOf = new Set();
    for (const group of result.groups ?? []) {
      const conversation = chat.inbox.conversation('group', group.groupId);
      if (group.name) conversation.name = group.name;
      conversation.member = true;
      memberOf.add(conversation.key);
    }
    for (const conversation of chat.inbox.conversations.values()) {
      if (conversation.kind === 'group' && !memberOf.has(conversation.key)) conversation.member = false;
    }
    scheduleRender();
  } catch (error) {
    console.warn('[switchboard-page] group list failed:', error?.message ?? error);
  }
}

async function loadMembers(conversation) {
  try {
    const result = await forSession(session => session.client.groupMembers(conversation.id));
    if (!result) return;
    conversation.members = result.members ?? [];
    if (result.name) conversation.name = result.name;
    conversation.member = true;
  } catch (error) {
    if (error?.code === 'not_group_member' || error?.code === 'group_not_found') conversation.member = false;
  }
  scheduleRender();
}

/** Applies a group change this page made (create, join, leave). */
function groupChanged(groupId, { member, members, name }) {
  chat.groupsVersion++;
  const conversation = chat.inbox.conversation('group', groupId);
  conversation.member = member;
  conversation.members = members ?? null;
  if (name) conversation.name = name;
  conversation.lastActivity ||= Date.now();
  scheduleRender();
  return conversation;
}

let presenceQueued = false;

/** A presence poll soon, for a partner just seen; several in a row make one request. */
function queuePresence() {
  if (presenceQueued) return;
  presenceQueued = true;
  setTimeout(() => { presenceQueued = false; pollPresence(); }, 300);
}

async function pollPresence() {
  if (!chat?.presenceSupported || chat.client?.state !== 'connected') return;
  const users = chat.inbox.partners();
  if (users.length === 0) return;
  try {
    const result = await forSession(session => session.client.presence(users));
    if (!result) return;
    Object.assign(chat.online, result.online);
  } catch (error) {
    if (!chat) return;
    if (error?.code === 'unknown_type') chat.presenceSupported = false;  // an older server
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
    initialAfterSeq: chat.inbox.lastSeq,
  });
  chat.client = client;
  const owner = chat;
  const live = handler => value => { if (owner === chat && owner.client === client) handler(value); };

  client.on('state', live(({ state, retryInMs, attempt }) => {
    chat.connection = { state, until: state === 'reconnecting' ? Date.now() + (retryInMs ?? 0) : 0 };
    if (state === 'connected') {
      chat.everConnected = true;
      chat.notice = null;
      refreshGroups();
      pollPresence();
    } else if (state === 'reconnecting' && !chat.everConnected && (attempt ?? 0) >= 2) {
      chat.notice = { text: 'Cannot reach the server. If it needs a token, sign out and sign in with one.' };
    } else if (state === 'closed' && !chat.notice?.action) {
      // The client gave up for good; it does not reconnect by itself.
      chat.notice = { text: 'Disconnected from the server.', action: { label: 'Reconnect', run: reconnect } };
    }
    renderConnection(chat);
  }));
  client.on('welcome', live(welcome => {
    if (welcome.maxBodyBytes > 0) chat.maxBodyBytes = welcome.maxBodyBytes;
  }));
  client.on('message', live(message => {
    const conversation = chat.inbox.add(message);
    if (conversation?.kind === 'user' && !(conversation.id in chat.online)) queuePresence();
    scheduleRender();
  }));
  client.on('synced', live(() => scheduleRender()));
  client.on('kicked', live(() => {
    chat.notice = { text: 'Switchboard is open in another tab or window.', action: { label: 'Use here', run: reconnect } };
    renderConnection(chat);
  }));
  // 'closed' reports the end of every connection; whether the client reconnects shows in 'state'.
  client.on('closed', live(close => {
    chat.lastClose = close ?? null;
    if (close?.code === 4001 && chat.session.mode === 'token') {
      // The client asks for a fresh token, but all this page has is the one that was pasted.
      chat.notice = { text: 'Your token has expired.', action: { label: 'Sign in again', run: signOut } };
      renderConnection(chat);
    }
  }));
  client.on('error', live(error => console.warn('[switchboard-page] client error:', error?.message ?? error)));
  client.connect();
}

/** After a terminal close (a kick): a new client, resuming after the last seq already shown. */
function reconnect() {
  const old = chat.client;
  chat.client = null;
  old?.close();
  chat.notice = null;
  startClient();
}

// ---- sign-in and sign-out ------------------------------------------------------------------

function showSignin(message, prefill) {
  $('boot').hidden = true;
  $('app').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message ?? '';
  $('signin-error').hidden = !message;
  if (prefill?.userId) $('signin-user').value = prefill.userId;
  if (prefill?.mode === 'token') $('token-box').open = true;
  $('signin-server').textContent = `Server: ${location.host}`;
  document.title = 'Switchboard — sign in';
  (prefill?.mode === 'token' ? $('signin-token') : $('signin-user')).focus();
}

/** The `sub` claim of a JWT, read without verifying it (the server does that). */
function tokenSubject(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')));
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
    if (!ID_PATTERN.test(name)) return showSignin(ID_RULE);
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
  chat.timers.push(setInterval(() => { if (chat.client?.state === 'connected') refreshGroups(); }, GROUPS_POLL_MS));
  chat.timers.push(setInterval(() => renderConnection(chat), 250));  // the "in N s" countdown
  applyRoute();
  renderConnection(chat);
  scheduleRender();
}

function signOut() {
  if (!chat) return;
  const old = chat;
  chat = null;
  old.timers.forEach(clearInterval);
  old.client?.close();
  storage.clearSession();
  clearChat();
  $('signin-token').value = '';
  $('signin-user').value = '';
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  showSignin();
}

// ---- routing: the open conversation lives in the URL hash (#/user/bob, #/group/team) --------

function routeTarget() {
  const match = /^#\/(user|group)\/(.+)$/.exec(location.hash);
  if (!match) return null;
  try {
    const id = decodeURIComponent(match[2]);
    return ID_PATTERN.test(id) ? [match[1], id] : null;
  } catch {
    return null;
  }
}

function applyRoute() {
  if (!chat) return;
  const target = routeTarget();
  const previous = chat.openKey;
  const conversation = target ? chat.inbox.conversation(...target) : null;
  chat.openKey = conversation?.key ?? null;
  if (previous !== chat.openKey) {
    chat.stickToBottom = true;
    showComposerNote(null);
    if (conversation?.kind === 'group') loadMembers(conversation);
    if (conversation?.kind === 'user' && !(conversation.id in chat.online)) queuePresence();
    if (conversation && matchMedia('(min-width: 721px)').matches) $('composer-input').focus();
  }
  $('app').dataset.pane = conversation ? 'chat' : 'list';
  scheduleRender();
}

function openConversation(kind, id) {
  const hash = `#/${kind}/${encodeURIComponent(id)}`;
  if (location.hash === hash) applyRoute();
  else location.hash = hash;
}

// ---- forms ---------------------------------------------------------------------------------

function showComposerNote(text) {
  $('composer-note').textContent = text ?? '';
  $('composer-note').hidden = !text;
}

function showActionError(text) {
  $('action-error').textContent = text ?? '';
  $('action-error').hidden = !text;
}

function parseIds(text) {
  return [...new Set(text.split(/[\s,;]+/).filter(Boolean))];
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

/** Runs a group request from a form; a refusal is shown next to the form. */
async function groupAction(request, onDone) {
  showActionError(null);
  try {
    const result = await forSession(request);
    if (result) onDone(result);
  } catch (error) {
    showActionError(describeError(error));
  }
}

function wire() {
  $('signin-form').addEventListener('submit', onSigninSubmit);
  $('signout').addEventListener('click', signOut);
  $('back').addEventListener('click', () => { location.hash = ''; });
  window.addEventListener('hashchange', applyRoute);
  document.addEventListener('visibilitychange', scheduleRender);

  $('new-chat-form').addEventListener('submit', event => {
    event.preventDefault();
    const id = $('new-chat-input').value.trim();
    if (!ID_PATTERN.test(id)) return showActionError(ID_RULE);
    showActionError(null);
    event.target.reset();
    chat.inbox.conversation('user', id).lastActivity ||= Date.now();
    openConversation('user', id);
  });

  $('toggle-create').addEventListener('click', () => togglePanel('create'));
  $('toggle-join').addEventListener('click', () => togglePanel('join'));

  $('create-group-form').addEventListener('submit', event => {
    event.preventDefault();
    const name = $('group-create-name').value.trim();
    const groupId = $('group-create-id').value.trim();
    const members = parseIds($('group-create-members').value).filter(member => member !== chat.userId);
    const bad = [groupId, ...members].find(id => id && !ID_PATTERN.test(id));
    if (bad) return showActionError(`"${bad}" is not a valid id. ${ID_RULE}.`);
    groupAction(session => session.client.createGroup({ groupId: groupId || undefined, name: name || undefined, members }),
      result => {
        groupChanged(result.groupId, { member: true, members: result.members, name: result.name || name });
        event.target.reset();
        togglePanel(null);
        openConversation('group', result.groupId);
      });
  });

  $('join-group-form').addEventListener('submit', event => {
    event.preventDefault();
    const groupId = $('group-join-id').value.trim();
    if (!ID_PATTERN.test(groupId)) return showActionError('Enter the id of the group to join.');
    groupAction(session => session.client.joinGroup(groupId), result => {
      groupChanged(result.groupId ?? groupId, { member: true, members: result.members });
      refreshGroups();  // for the group's name
      event.target.reset();
      togglePanel(null);
      openConversation('group', groupId);
    });
  });

  $('group-leave').addEventListener('click', () => {
    const conversation = chat.inbox.get(chat.openKey);
    if (conversation?.kind !== 'group') return;
    forSession(session => session.client.leaveGroup(conversation.id))
      .then(result => result && groupChanged(conversation.id, { member: false }))
      .catch(error => showComposerNote(describeError(error)));
  });

  $('group-rejoin').addEventListener('click', () => {
    const conversation = chat.inbox.get(chat.openKey);
    if (conversation?.kind !== 'group') return;
    forSession(session => session.client.joinGroup(conversation.id))
      .then(result => result && groupChanged(conversation.id, { member: true, members: result.members }))
      .catch(error => showComposerNote(describeError(error)));
  });

  const input = $('composer-input');
  const autoGrow = () => {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  };
  $('composer-attach').addEventListener('click', () => $('composer-file').click());
  $('composer-file').addEventListener('change', event => {
    const conversation = chat?.inbox.get(chat.openKey);
    const files = [...event.target.files];
    event.target.value = '';  // the same file may be chosen again
    if (!conversation) return;
    showComposerNote(null);
    for (const file of files) attachFile(conversation, file);
  });
  $('composer').addEventListener('submit', event => {
    event.preventDefault();
    const conversation = chat?.inbox.get(chat.openKey);
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
  input.addEventListener('input', autoGrow);
}

wire();
const saved = storage.loadSession();
if (saved && (saved.mode === 'dev' || saved.token)) enterChat(saved);
else if (saved) showSignin('Paste your token again to continue.', saved);
else showSignin();
