// The page's model of the inbox: conversations, their messages in seq order, own messages that
// are still on their way, and unread counts. No DOM here; the view reads it, the app changes it.

const PAGE_SIZE = 200;

/** Key of a conversation: "user:bob" or "group:team". */
export const keyOf = (kind, id) => `${kind}:${id}`;

/**
 * Every conversation of the signed-in user, built from the messages the client delivers (each
 * once, in seq order) and from the sends this page made.
 *
 * An own send is shown at once as an entry without seq, status 'sending', keyed by its clientId.
 * It becomes 'sent' when the send's promise resolves or when the message comes back through the
 * inbox with the same clientId, whichever is first; the inbox copy updates the entry and is not
 * shown a second time.
 */
export class Inbox {
  #order = 0;

  /**
   * @param {string} userId the signed-in user
   * @param {Record<string, number>} readMarks last-read seq per conversation key (changed in place)
   */
  constructor(userId, readMarks) {
    this.userId = userId;
    this.readMarks = readMarks;
    /** @type {Map<string, object>} */
    this.conversations = new Map();
    /** The highest seq delivered, to resume after it when a new client takes over. */
    this.lastSeq = 0;
  }

  /** The conversation, created empty when new. */
  conversation(kind, id) {
    const key = keyOf(kind, id);
    let conversation = this.conversations.get(key);
    if (!conversation) {
      conversation = {
        key, kind, id,
        name: id,
        member: undefined,     // groups: true/false once the server has said
        members: null,         // groups: member ids once fetched
        entries: [],           // sorted by seq; own entries without seq (not yet stored) last
        byClientId: new Map(), // own entries by clientId
        seqs: new Set(),
        lastActivity: 0,
        visible: PAGE_SIZE,    // how many of the newest entries the view shows
        needsSort: false,
      };
      this.conversations.set(key, conversation);
    }
    return conversation;
  }

  get(key) {
    return key ? this.conversations.get(key) : undefined;
  }

  /** The conversation a message belongs to (PROTOCOL.md section 3): [kind, id]. */
  conversationOf(message) {
    if (message.to?.kind === 'group') return ['group', message.to.id];
    return ['user', message.from === this.userId ? message.to.id : message.from];
  }

  /**
   * Adds a delivered inbox message. Returns its conversation, or null for a seq already shown
   * (the client promises each seq once; a repeat is logged as a bug, not shown).
   */
  add(message) {
    const [kind, id] = this.conversationOf(message);
    const conversation = this.conversation(kind, id);
    this.lastSeq = Math.max(this.lastSeq, message.seq);
    if (conversation.seqs.has(message.seq)) {
      console.warn('[switchboard-page] duplicate message seq', message.seq, 'ignored');
      return null;
    }
    conversation.seqs.add(message.seq);
    const mine = message.from === this.userId;
    const optimistic = mine ? conversation.byClientId.get(message.clientId) : undefined;
    if (optimistic) {
      Object.assign(optimistic, { seq: message.seq, id: message.id, ts: message.ts, status: 'sent', error: null });
      conversation.needsSort = true;
    } else {
      const entry = {
        seq: message.seq, id: message.id, from: message.from, clientId: message.clientId,
        ts: message.ts, body: message.body, file: message.file ?? null, mine, status: mine ? 'sent' : null,
      };
      const last = conversation.entries.at(-1);
      if (last && (last.seq === null || last.seq > message.seq)) conversation.needsSort = true;
      conversation.entries.push(entry);
      if (mine && message.clientId) conversation.byClientId.set(message.clientId, entry);
    }
    conversation.lastActivity = Math.max(conversation.lastActivity, message.ts);
    return conversation;
  }

  /** Adds an own message the client has just accepted for sending, with the file it carries or null. */
  addSending(conversation, clientId, body, file = null) {
    const entry = {
      seq: null, id: null, from: this.userId, clientId, ts: Date.now(), body, file,
      mine: true, status: 'sending', order: ++this.#order,
    };
    conversation.entries.push(entry);
    conversation.byClientId.set(clientId, entry);
    conversation.lastActivity = Math.max(conversation.lastActivity, entry.ts);
    return entry;
  }

  /** The send's promise resolved with its receipt {seq, id, ts}. */
  confirm(conversation, entry, receipt) {
    if (entry.seq === null) {
      Object.assign(entry, { seq: receipt.seq, id: receipt.id, ts: receipt.ts });
      conversation.needsSort = true;
    }
    entry.status = 'sent';
    entry.error = null;
  }

  /** The send failed for good (not stored); the entry stays, marked, so it can be retried. */
  fail(entry, reason) {
    if (entry.status === 'sent') return;
    entry.status = 'failed';
    entry.error = reason;
  }

  remove(conversation, entry) {
    const index = conversation.entries.indexOf(entry);
    if (index >= 0) conversation.entries.splice(index, 1);
    conversation.byClientId.delete(entry.clientId);
  }

  /** The entries in display order: by seq, then unsent ones in send order. */
  entries(conversation) {
    if (conversation.needsSort) {
      conversation.entries.sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity) || (a.order ?? 0) - (b.order ?? 0));
      conversation.needsSort = false;
    }
    return conversation.entries;
  }

  /** Messages from others with a seq above the conversation's last-read seq. */
  unread(conversation) {
    const mark = this.readMarks[conversation.key] ?? 0;
    const entries = this.entries(conversation);
    let count = 0;
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      if (entry.seq === null) continue;
      if (entry.seq <= mark) break;
      if (!entry.mine) count++;
    }
    return count;
  }

  /** Moves the last-read mark to the newest seq; true when it moved. */
  markRead(conversation) {
    let newest = 0;
    for (const entry of conversation.entries) if (entry.seq !== null && entry.seq > newest) newest = entry.seq;
    if (newest <= (this.readMarks[conversation.key] ?? 0)) return false;
    this.readMarks[conversation.key] = newest;
    return true;
  }

  /** Own messages still waiting to be stored, over all conversations. */
  countSending() {
    let count = 0;
    for (const { entries } of this.conversations.values()) {
      for (let i = entries.length - 1; i >= 0 && entries[i].seq === null; i--) {
        if (entries[i].status === 'sending') count++;
      }
    }
    return count;
  }

  /** Conversations, the most recently active first. */
  sorted() {
    return [...this.conversations.values()]
      .sort((a, b) => b.lastActivity - a.lastActivity || a.name.localeCompare(b.name));
  }

  /** The 1:1 partners, for presence. */
  partners() {
    return [...this.conversations.values()]
      .filter(c => c.kind === 'user' && c.id !== this.userId).map(c => c.id);
  }

  showEarlier(conversation) {
    conversation.visible += PAGE_SIZE;
  }
}
