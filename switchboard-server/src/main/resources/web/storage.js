// What the page keeps in the browser. localStorage holds only the signed-in user, a device id
// per user (so a reload is the same device) and the last-read seq per conversation; the
// messages themselves come back from the server on every load (resume after seq 0). A pasted
// token is kept in sessionStorage: it survives a reload of this tab, not the closing of it.

const PREFIX = 'switchboard.';

function read(store, key) {
  try {
    return store.getItem(PREFIX + key);
  } catch {
    return null;
  }
}

function write(store, key, value) {
  try {
    if (value === null) store.removeItem(PREFIX + key);
    else store.setItem(PREFIX + key, value);
  } catch {
    // Storage full or disabled: the page still works, it just forgets across reloads.
  }
}

/** The signed-in session, `{userId, mode: 'dev'|'token', token?}`, or null. */
export function loadSession() {
  const raw = read(localStorage, 'user');
  if (!raw) return null;
  try {
    const session = JSON.parse(raw);
    if (typeof session?.userId !== 'string') return null;
    if (session.mode === 'token') {
      const token = read(sessionStorage, 'token');
      return token ? { ...session, token } : { ...session, token: null };
    }
    return { userId: session.userId, mode: 'dev' };
  } catch {
    return null;
  }
}

export function saveSession({ userId, mode, token }) {
  write(localStorage, 'user', JSON.stringify({ userId, mode }));
  write(sessionStorage, 'token', mode === 'token' ? token : null);
}

export function clearSession() {
  write(localStorage, 'user', null);
  write(sessionStorage, 'token', null);
}

/** This browser's device id for `userId`, created on first use and kept. */
export function deviceIdFor(userId) {
  const key = 'device.' + userId;
  let id = read(localStorage, key);
  if (!id || !/^[A-Za-z0-9_.:@-]{1,64}$/.test(id)) {
    id = 'web-' + randomId(10);
    write(localStorage, key, id);
  }
  return id;
}

/** Last-read seq per conversation key for `userId`: `{ 'user:bob': 12, 'group:team': 30 }`. */
export function loadReadMarks(userId) {
  try {
    const marks = JSON.parse(read(localStorage, 'read.' + userId) || '{}');
    return marks && typeof marks === 'object' ? marks : {};
  } catch {
    return {};
  }
}

export function saveReadMarks(userId, marks) {
  write(localStorage, 'read.' + userId, JSON.stringify(marks));
}

function randomId(length) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, b => alphabet[b % alphabet.length]).join('');
}
