// Rendering of the chat: connection state, conversation list and the open conversation. Reads
// the session state (`chat`, see app.js) and calls back through `actions`; changes nothing else.
import { $, h, bodyText, dayKey, formatBytes, formatDay, formatListTime, formatTime, paintAvatar } from './dom.js';

/** [data-state, text] for the connection: "connected", "reconnecting in N s", "offline" … */
export function connectionLabel(chat) {
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

/** The status under the user's name, the banner over the open chat and any notice. */
export function renderConnection(chat) {
  const [kind, text] = connectionLabel(chat);
  $('connection-state').dataset.state = kind;
  setText($('connection-text'), text);

  const banner = $('chat-connection');
  banner.hidden = kind === 'connected';
  banner.dataset.state = kind;
  const pending = kind === 'connected' ? 0 : chat.inbox.countSending();
  const headline = kind === 'offline' ? 'Offline' : text.charAt(0).toUpperCase() + text.slice(1);
  setText(banner, pending > 0
    ? `${headline} · ${pending} message${pending === 1 ? '' : 's'} will be sent when the connection is back`
    : headline);

  const hint = $('connection-hint');
  const notice = chat.notice;
  hint.hidden = !notice;
  if (!notice) {
    delete hint.dataset.text;
  } else if (hint.dataset.text !== notice.text) {
    hint.dataset.text = notice.text;
    hint.replaceChildren(notice.text);
    if (notice.action) {
      const button = h('button', { type: 'button', className: 'link', 'data-testid': 'connection-action' }, notice.action.label);
      button.addEventListener('click', notice.action.run);
      hint.append(' ', button);
    }
  }
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** A file message without a caption shows only its file; one with a caption shows both. */
const hasCaption = entry => !entry.file || (entry.body !== null && entry.body !== '');

function previewOf(chat, conversation) {
  const last = chat.inbox.entries(conversation).at(-1);
  if (!last) return conversation.kind === 'group' ? 'No messages yet' : 'Say hello';
  const who = last.mine ? 'You: ' : conversation.kind === 'group' ? `${last.from}: ` : '';
  const text = hasCaption(last) ? bodyText(last.body) : `File: ${last.file.name}`;
  return who + text.replace(/\s+/g, ' ').slice(0, 120);
}

/** The conversation list, the page title and the back button's unread badge. */
export function renderList(chat, actions) {
  const { inbox } = chat;
  let totalUnread = 0;
  let openUnread = 0;
  const items = inbox.sorted().map(conversation => {
    const unread = inbox.unread(conversation);
    totalUnread += unread;
    if (conversation.key === chat.openKey) openUnread = unread;
    const avatar = h('span', { className: 'avatar', 'aria-hidden': 'true' });
    paintAvatar(avatar, conversation.id, conversation.kind === 'group');
    if (conversation.kind === 'user' && chat.presenceSupported && conversation.id in chat.online) {
      const online = chat.online[conversation.id] === true;
      avatar.append(h('span', {
        className: 'presence-dot', 'data-testid': 'presence', 'data-online': String(online),
        title: online ? 'online' : 'offline',
      }));
    }
    const last = inbox.entries(conversation).at(-1);
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
        h('span', { className: 'conversation-preview' }, previewOf(chat, conversation)),
        unread > 0 ? h('span', { className: 'badge', 'data-testid': 'unread-count', 'aria-label': `${unread} unread` }, String(unread)) : null)));
    button.addEventListener('click', () => actions.open(conversation.kind, conversation.id));
    return h('li', {}, button);
  });
  $('conversation-list').replaceChildren(...items);
  $('conversation-empty').hidden = items.length > 0;
  document.title = totalUnread > 0 ? `(${totalUnread}) Switchboard` : 'Switchboard';
  // At phone width the list hides behind the open chat: the back button shows what waits there.
  const elsewhere = totalUnread - openUnread;
  const backBadge = $('back-unread');
  backBadge.hidden = elsewhere <= 0;
  setText(backBadge, elsewhere > 0 ? String(elsewhere) : '');
}

/**
 * A message's file: its name and size, as a link that downloads it (the server checks who may). The
 * link's href never holds a token; a click goes through actions.openFile, which may download it itself.
 */
function fileNode(file, actions) {
  const link = h('a', {
    className: 'message-file', 'data-testid': 'message-file', 'data-file-id': file.id,
    href: actions.fileHref(file.id), download: file.name, title: `${file.name} (${formatBytes(file.size)})`,
  },
  h('span', { className: 'icon icon-file', 'aria-hidden': 'true' }),
  h('span', { className: 'file-name', 'data-testid': 'message-file-name' }, file.name),
  h('span', { className: 'file-size', 'data-testid': 'message-file-size' }, formatBytes(file.size)));
  link.addEventListener('click', event => actions.openFile(event, file));
  return link;
}

function messageNode(conversation, entry, actions) {
  const status = entry.mine ? entry.status : null;
  const meta = h('span', { className: 'message-meta' }, h('time', {}, formatTime(entry.ts)));
  if (status) {
    meta.append(h('span', { className: 'message-status', 'data-testid': 'message-status' },
      status === 'failed' ? 'not sent' : status));
  }
  const node = h('li', {
    className: `message ${entry.mine ? 'mine' : 'theirs'}`, 'data-testid': 'message',
    'data-client-id': entry.clientId ?? '', 'data-seq': entry.seq ?? '', 'data-state': status ?? 'received',
    'data-from': entry.from,
  },
  !entry.mine && conversation.kind === 'group' ? h('span', { className: 'message-from' }, entry.from) : null,
  entry.file ? fileNode(entry.file, actions) : null,
  hasCaption(entry) ? h('p', { className: 'message-body', 'data-testid': 'message-body' }, bodyText(entry.body)) : null,
  meta);
  if (status === 'failed') {
    const button = h('button', { type: 'button', className: 'link', 'data-testid': 'message-retry' }, 'Retry');
    button.addEventListener('click', () => actions.retry(conversation, entry));
    node.append(h('span', { className: 'message-error' }, entry.error ?? 'Not sent.', ' ', button));
  }
  return node;
}

/** Nodes that are not messages (day separators …), kept per conversation so they are reused. */
const fixedNodes = new WeakMap();

function fixedNode(conversation, key, make) {
  let nodes = fixedNodes.get(conversation);
  if (!nodes) fixedNodes.set(conversation, nodes = new Map());
  let node = nodes.get(key);
  if (!node) nodes.set(key, node = make());
  return node;
}

/** Message nodes by entry, rebuilt only when what they show changed (a selection survives). */
const messageNodes = new WeakMap();

function cachedMessageNode(conversation, entry, follow, actions) {
  const version = `${entry.status}|${entry.seq}|${entry.ts}|${entry.error ?? ''}|${follow}`;
  let cached = messageNodes.get(entry);
  if (cached?.version !== version) {
    cached = { version, node: messageNode(conversation, entry, actions) };
    cached.node.classList.toggle('follow', follow);
    messageNodes.set(entry, cached);
  }
  return cached.node;
}

/** The open conversation: header, messages (newest page), composer state. */
export function renderChat(chat, actions) {
  const conversation = chat.inbox.get(chat.openKey);
  $('chat-empty').hidden = !!conversation;
  $('chat-open').hidden = !conversation;
  if (!conversation) return;

  const isGroup = conversation.kind === 'group';
  setText($('chat-title'), isGroup ? conversation.name : conversation.id);
  paintAvatar($('chat-avatar'), conversation.id, isGroup);
  const sub = $('chat-sub');
  if (isGroup) {
    const { members } = conversation;
    setText(sub, conversation.member === false ? `#${conversation.id} · you left this group`
      : members ? `#${conversation.id} · ${members.length} members: ${members.join(', ')}` : `#${conversation.id}`);
    delete sub.dataset.online;
  } else if (chat.presenceSupported && conversation.id in chat.online) {
    const online = chat.online[conversation.id] === true;
    setText(sub, online ? 'online' : 'offline');
    sub.dataset.online = String(online);
  } else {
    setText(sub, '');
    delete sub.dataset.online;
  }
  const left = isGroup && conversation.member === false;
  $('group-leave').hidden = !isGroup || left;
  $('group-rejoin').hidden = !left;
  $('composer-input').disabled = left;
  $('composer-send').disabled = left;
  $('composer-attach').disabled = left;
  renderUploads(chat, conversation, actions);
  $('composer-input').placeholder = left ? 'You left this group' : `Message ${isGroup ? conversation.name : conversation.id}`;

  const scroller = $('messages');
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  const entries = chat.inbox.entries(conversation);
  const start = Math.max(0, entries.length - conversation.visible);
  const nodes = [];
  if (start > 0) {
    nodes.push(fixedNode(conversation, `earlier|${start}`, () => {
      const more = h('button', { type: 'button', className: 'link', 'data-testid': 'show-earlier' }, `Show earlier messages (${start})`);
      more.addEventListener('click', () => actions.showEarlier(conversation));
      return h('li', { className: 'earlier' }, more);
    }));
  }
  let day = null;
  let previous = null;
  for (let i = start; i < entries.length; i++) {
    const entry = entries[i];
    if (dayKey(entry.ts) !== day) {
      day = dayKey(entry.ts);
      previous = null;
      const label = formatDay(entry.ts);
      nodes.push(fixedNode(conversation, `day|${day}|${label}`,
        () => h('li', { className: 'day', role: 'separator' }, h('span', {}, label))));
    }
    const follow = previous !== null && previous.from === entry.from && entry.ts - previous.ts < 5 * 60_000;
    nodes.push(cachedMessageNode(conversation, entry, follow, actions));
    previous = entry;
  }
  if (entries.length === 0) {
    nodes.push(fixedNode(conversation, 'empty', () => h('li', { className: 'no-messages' },
      isGroup ? 'No messages in this group yet.' : `This is the start of your conversation with ${conversation.id}.`)));
  }
  const list = $('message-list');
  if (list.dataset.conversation !== conversation.key) {
    list.replaceChildren();
    list.dataset.conversation = conversation.key;
  }
  syncChildren(list, nodes);
  if (chat.stickToBottom || atBottom) {
    scroller.scrollTop = scroller.scrollHeight;
    chat.stickToBottom = false;
  }
}

/** Upload rows by upload, kept while it runs so a click on Cancel is never lost to a re-render. */
const uploadNodes = new WeakMap();

function uploadNode(upload, actions) {
  let node = uploadNodes.get(upload);
  if (!node) {
    const cancel = h('button', { type: 'button', className: 'link', 'data-testid': 'upload-cancel' }, 'Cancel');
    cancel.addEventListener('click', () => actions.cancelUpload(upload));
    node = h('li', { className: 'upload', 'data-testid': 'upload' },
      h('span', { className: 'upload-name', 'data-testid': 'upload-name' }, upload.name),
      h('progress', { max: String(upload.size), value: '0', 'aria-label': `Uploading ${upload.name}` }),
      h('span', { className: 'upload-percent', 'data-testid': 'upload-percent' }),
      cancel);
    uploadNodes.set(upload, node);
  }
  const percent = Math.floor((upload.offset * 100) / upload.size);
  node.dataset.percent = String(percent);
  node.querySelector('progress').value = upload.offset;
  setText(node.querySelector('.upload-percent'), `${percent}%`);
  return node;
}

/** The open conversation's uploads, above the composer: name, progress, Cancel. */
function renderUploads(chat, conversation, actions) {
  const nodes = chat.uploads.filter(upload => upload.conversationKey === conversation.key)
    .map(upload => uploadNode(upload, actions));
  syncChildren($('uploads'), nodes);
  $('uploads').hidden = nodes.length === 0;
}

/** Makes `parent`'s children exactly `nodes`, moving only what moved. */
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

export function clearChat() {
  $('conversation-list').replaceChildren();
  $('uploads').replaceChildren();
  $('message-list').replaceChildren();
  delete $('message-list').dataset.conversation;
}
