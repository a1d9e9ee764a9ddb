// Small DOM helpers. User content only ever enters the page as text (text nodes and
// textContent), never as markup.

/** Creates an element; string children become text nodes, attributes are set with setAttribute. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'className') element.className = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export const $ = id => document.getElementById(id);

/** The text to show for a message body: a string, `{text}`, or any other JSON shown as JSON. */
export function bodyText(body) {
  if (typeof body === 'string') return body;
  if (body && typeof body === 'object' && typeof body.text === 'string') return body.text;
  try {
    return JSON.stringify(body);
  } catch {
    return String(body);
  }
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' });
const shortDayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

export function formatTime(ts) {
  return timeFormat.format(new Date(ts));
}

export function dayKey(ts) {
  const d = new Date(ts);
  return d.getFullYear() * 10000 + (d.getMonth() + 1) * 100 + d.getDate();
}

/** "Today", "Yesterday" or a date, for the divider above a day's messages. */
export function formatDay(ts) {
  const today = dayKey(Date.now());
  const day = dayKey(ts);
  if (day === today) return 'Today';
  if (day === dayKey(Date.now() - 86_400_000)) return 'Yesterday';
  return dayFormat.format(new Date(ts));
}

/** A file size for people: "812 B", "4.2 KB", "200 KB", "1.5 MB" (units of 1024). */
export function formatBytes(bytes) {
  if (!(bytes >= 1024)) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** The time of the last message in the conversation list: a time today, else a short date. */
export function formatListTime(ts) {
  return dayKey(ts) === dayKey(Date.now()) ? formatTime(ts) : shortDayFormat.format(new Date(ts));
}

/** Fills an avatar element with initials and a colour derived from the id. */
export function paintAvatar(element, id, isGroup = false) {
  const letters = id.replace(/[^A-Za-z0-9]/g, '').slice(0, isGroup ? 2 : 1) || '?';
  element.textContent = letters.charAt(0).toUpperCase() + letters.slice(1).toLowerCase();
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  element.style.setProperty('--hue', String(hash % 360));
  element.classList.toggle('group', isGroup);
}
