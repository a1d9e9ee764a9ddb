// The Switchboard admin page: asks for an API key, then polls GET /api/v1/stats once a second and
// shows the cluster: summary numbers, live charts of the last 120 samples (connections, messages,
// latency, and the connections the server closed: slow consumers, kicks and bans), a table of the
// nodes and the recent kicks, bans and slow-consumer closes. Server data only ever enters the page as
// text.
import { LineChart, shortNumber } from './line-chart.js';

const STATS_URL = '/api/v1/stats';
const KEY_STORAGE = 'switchboard.admin.apiKey';
const POLL_MS = 1000;
const MAX_RETRY_MS = 5000;
const REQUEST_TIMEOUT_MS = 5000;
const SAMPLES = 120;
const STALE_NODE_MS = 10_000;
/** The closes chart counts the closes of this trailing window. */
const CLOSES_WINDOW_MS = 60_000;
const EVENT_KINDS = { kick: 'Kick', ban: 'Ban', slow_consumer: 'Slow consumer' };

const $ = id => document.getElementById(id);

/** The signed-in session; null while signed out. Replaced as a whole on sign-in and sign-out. */
let session = null;

const charts = {
  connections: new LineChart($('chart-connections'), {
    capacity: SAMPLES, legend: $('legend-connections'), yTitle: 'connections',
  }),
  messages: new LineChart($('chart-messages'), {
    capacity: SAMPLES, legend: $('legend-messages'), yTitle: 'msgs/s',
    series: [{ key: 'in', label: 'in' }, { key: 'out', label: 'out', color: '#14b8a6' }],
  }),
  latency: new LineChart($('chart-latency'), {
    capacity: SAMPLES, legend: $('legend-latency'), yTitle: 'ms', format: formatMillis,
    series: [{ key: 'p50', label: 'p50', color: '#2f6fed' }, { key: 'p99', label: 'p99', color: '#d97706' }],
  }),
  closes: new LineChart($('chart-closes'), {
    capacity: SAMPLES, legend: $('legend-closes'), yTitle: 'closes',
    series: [{ key: 'slow', label: 'slow consumer', color: '#d64545' }, { key: 'kicked', label: 'kicked or banned', color: '#7c3aed' }],
  }),
};

// ---- the API ---------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** GET /api/v1/stats with `key`; throws ApiError for an HTTP error, TypeError/AbortError when unreachable. */
async function fetchStats(key) {
  const response = await fetch(STATS_URL, {
    headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' },
    cache: 'no-store',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page, say): described by the status alone.
  }
  if (!response.ok) {
    throw new ApiError(response.status, body?.error ?? `http_${response.status}`, body?.message ?? response.statusText);
  }
  if (!body || !Array.isArray(body.nodes)) throw new ApiError(response.status, 'bad_response', 'not a stats document');
  return body;
}

/** A refusal that no retry fixes: back to the form with this text; null for anything else. */
function signInProblem(error) {
  if (!(error instanceof ApiError)) return null;
  if (error.status === 401) return 'Wrong API key.';
  if (error.code === 'api_disabled') {
    return 'The server API is disabled: the server has no API key configured (api.keys).';
  }
  return null;
}

function describeFailure(error) {
  if (error instanceof ApiError) {
    return `Server answered ${error.status} ${error.code}${error.message ? `: ${error.message}` : ''}. Retrying…`;
  }
  const timedOut = error?.name === 'TimeoutError' || error?.name === 'AbortError';
  return `Server unreachable${timedOut ? ' (no answer within 5 s)' : ''}, retrying…`;
}

// ---- sign-in and sign-out --------------------------------------------------------------------

function readKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

function writeKey(key) {
  try {
    if (key === null) sessionStorage.removeItem(KEY_STORAGE);
    else sessionStorage.setItem(KEY_STORAGE, key);
  } catch {
    // Storage disabled: the key lasts until the page is reloaded.
  }
}

function showSignIn(message = null) {
  $('boot').hidden = true;
  $('dashboard').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message ?? '';
  $('signin-error').hidden = !message;
  $('signin-submit').disabled = false;
  $('signin-key').focus();
}

async function onSignIn(event) {
  event.preventDefault();
  const key = $('signin-key').value.trim();
  if (!key) return;
  $('signin-submit').disabled = true;
  $('signin-error').hidden = true;
  try {
    const stats = await fetchStats(key);
    writeKey(key);
    $('signin-key').value = '';
    startDashboard(key, stats);
  } catch (error) {
    showSignIn(signInProblem(error) ?? describeFailure(error).replace('retrying…', 'try again.'));
  }
}

function signOut(message = null) {
  if (session) {
    clearTimeout(session.timer);
    session = null;
  }
  writeKey(null);
  Object.values(charts).forEach(chart => chart.clear());
  $('nodes-body').replaceChildren();
  $('events').replaceChildren();
  showSignIn(message);
}

// ---- polling ---------------------------------------------------------------------------------

function startDashboard(key, firstStats = null) {
  session = { key, timer: 0, failures: 0, lastOk: 0, eventsSignature: null, closeCounters: new Map(), closes: [] };
  $('boot').hidden = true;
  $('signin').hidden = true;
  $('dashboard').hidden = false;
  Object.values(charts).forEach(chart => chart.draw());
  if (firstStats) {
    accept(session, firstStats);
    schedule(session, POLL_MS);
  } else {
    setStatus('connecting', 'connecting…');
    poll(session);
  }
}

function schedule(owner, delay) {
  if (owner === session) owner.timer = setTimeout(() => poll(owner), delay);
}

/** One request; the next one starts a second after this one started (later after failures). */
async function poll(owner) {
  const started = performance.now();
  try {
    const stats = await fetchStats(owner.key);
    if (owner !== session) return;
    accept(owner, stats);
    schedule(owner, Math.max(0, POLL_MS - (performance.now() - started)));
  } catch (error) {
    if (owner !== session) return;
    const problem = signInProblem(error);
    if (problem) {
      signOut(problem);
      return;
    }
    owner.failures += 1;
    setStatus('offline', 'retrying');
    showProblem(describeFailure(error));
    schedule(owner, Math.min(MAX_RETRY_MS, POLL_MS * 2 ** (owner.failures - 1)));
  }
}

function accept(owner, stats) {
  owner.failures = 0;
  owner.lastOk = Date.now();
  setStatus('connected', 'live');
  showProblem(null);
  render(owner, stats);
}

function setStatus(state, text) {
  $('status').dataset.state = state;
  $('dashboard').dataset.state = state;
  if ($('status-text').textContent !== text) $('status-text').textContent = text;
}

function showProblem(text) {
  const banner = $('problem');
  banner.hidden = !text;
  if (text && banner.textContent !== text) banner.textContent = text;
}

// ---- rendering -------------------------------------------------------------------------------

function render(owner, stats) {
  const now = Date.now();
  const nodes = [...stats.nodes].sort((a, b) => String(a.nodeId).localeCompare(String(b.nodeId)));
  const sum = field => nodes.reduce((total, node) => total + (Number(node[field]) || 0), 0);
  const worst = field => {
    const values = nodes.map(node => node[field]).filter(Number.isFinite);
    return values.length > 0 ? Math.max(...values) : null;
  };
  const connections = Number.isFinite(stats.connections) ? stats.connections : sum('connections');
  const totals = {
    in: round(sum('messagesInPerSecond')),
    out: round(sum('messagesOutPerSecond')),
    p50: worst('deliveryLatencyP50Millis'),
    p99: worst('deliveryLatencyP99Millis'),
  };

  setStat('summary-nodes', nodes.length, String(nodes.length));
  setStat('summary-connections', connections, formatCount(connections));
  setStat('summary-users', sum('users'), formatCount(sum('users')));
  setStat('summary-in', totals.in, formatRate(totals.in));
  setStat('summary-out', totals.out, formatRate(totals.out));
  setStat('summary-p99', totals.p99, totals.p99 === null ? '–' : `${formatMillis(totals.p99)} ms`);
  setStat('summary-topics', sum('topicSubscriptions'), formatCount(sum('topicSubscriptions')));

  charts.connections.push(now, Object.fromEntries(nodes.map(node => [String(node.nodeId), numberOrNull(node.connections)])));
  charts.messages.push(now, { in: totals.in, out: totals.out });
  charts.latency.push(now, { p50: totals.p50, p99: totals.p99 });
  charts.closes.push(now, closesInLastMinute(owner, now, nodes));

  renderNodes(nodes);
  renderEvents(owner, Array.isArray(stats.events) ? stats.events : []);
  $('updated').textContent = `updated ${formatClock(now)}`;
}

/**
 * Slow-consumer closes and kicks (bans included) across the nodes in the last minute, from how much
 * each node's counters grew since the previous poll: a node's first report counts nothing (its totals
 * go back to its start), and a restarted node's counters start from zero again.
 */
function closesInLastMinute(owner, now, nodes) {
  const grown = { slow: 0, kicked: 0 };
  const counters = new Map();
  for (const node of nodes) {
    const current = { slow: Number(node.slowConsumerCloses) || 0, kicked: Number(node.kicks) || 0 };
    const before = owner.closeCounters.get(String(node.nodeId));
    counters.set(String(node.nodeId), current);
    if (!before) continue;
    for (const key of ['slow', 'kicked']) {
      grown[key] += current[key] >= before[key] ? current[key] - before[key] : current[key];
    }
  }
  owner.closeCounters = counters;
  owner.closes.push({ time: now, ...grown });
  while (owner.closes[0].time <= now - CLOSES_WINDOW_MS) owner.closes.shift();
  return {
    slow: owner.closes.reduce((total, entry) => total + entry.slow, 0),
    kicked: owner.closes.reduce((total, entry) => total + entry.kicked, 0),
  };
}

function setStat(id, value, text) {
  const element = $(id);
  element.dataset.value = value === null ? '' : String(value);
  if (element.textContent !== text) element.textContent = text;
}

function renderNodes(nodes) {
  // A node's report is "stale" when it is well behind the freshest one (compared on the server's
  // clocks, so a skewed browser clock does not matter): that node has probably stopped.
  const newest = Math.max(0, ...nodes.map(node => Number(node.updatedAt) || 0));
  const rows = nodes.map(node => {
    const behind = newest - (Number(node.updatedAt) || newest);
    const stale = behind > STALE_NODE_MS;
    const row = document.createElement('tr');
    row.setAttribute('data-testid', 'node-row');
    row.dataset.node = String(node.nodeId);
    row.classList.toggle('stale', stale);
    const name = cell('node', String(node.nodeId));
    name.scope = 'row';
    if (stale) {
      const badge = document.createElement('span');
      badge.className = 'stale-badge';
      badge.textContent = `no report for ${Math.round(behind / 1000)} s`;
      name.append(' ', badge);
    }
    row.append(
      name,
      cell('connections', formatCount(node.connections)),
      cell('users', formatCount(node.users)),
      cell('topicSubscriptions', formatCount(node.topicSubscriptions)),
      cell('messagesInPerSecond', formatRate(node.messagesInPerSecond)),
      cell('messagesOutPerSecond', formatRate(node.messagesOutPerSecond)),
      cell('deliveryLatencyP50Millis', formatMillis(node.deliveryLatencyP50Millis)),
      cell('deliveryLatencyP99Millis', formatMillis(node.deliveryLatencyP99Millis)),
      cell('slowConsumerCloses', formatCount(node.slowConsumerCloses)),
      cell('kicks', formatCount(node.kicks)),
      cell('uptimeSeconds', formatDuration(node.uptimeSeconds)),
    );
    return row;
  });
  $('nodes-body').replaceChildren(...rows);
  $('nodes-empty').hidden = nodes.length > 0;
}

function cell(column, text) {
  const element = document.createElement(column === 'node' ? 'th' : 'td');
  element.dataset.col = column;
  if (column !== 'node') element.className = 'num';
  element.textContent = text;
  return element;
}

function renderEvents(owner, events) {
  // The list is rebuilt only when it changed, so a selection or a scroll position survives polls.
  const signature = JSON.stringify(events);
  if (signature === owner.eventsSignature) return;
  owner.eventsSignature = signature;
  const items = events.map(event => {
    const item = document.createElement('li');
    item.className = 'event';
    item.setAttribute('data-testid', 'event');
    item.dataset.kind = String(event.kind);
    if (event.userId) item.dataset.user = String(event.userId);
    if (event.nodeId) item.dataset.node = String(event.nodeId);

    const time = document.createElement('time');
    time.className = 'event-time';
    if (Number.isFinite(event.at)) {
      time.dateTime = new Date(event.at).toISOString();
      time.textContent = formatEventTime(event.at);
    }
    const kind = document.createElement('span');
    kind.className = 'event-kind';
    kind.dataset.kind = String(event.kind);
    kind.textContent = EVENT_KINDS[event.kind] ?? String(event.kind);
    const what = document.createElement('span');
    what.className = 'event-what';
    const user = document.createElement('strong');
    user.setAttribute('data-testid', 'event-user');
    user.textContent = event.userId ?? '(unknown user)';
    what.append(user);
    if (event.reason) what.append(` — ${event.reason}`);
    const where = document.createElement('span');
    where.className = 'event-where';
    where.textContent = [event.nodeId, event.connectionId && `connection ${event.connectionId}`].filter(Boolean).join(' · ');
    item.append(time, kind, what, where);
    return item;
  });
  $('events').replaceChildren(...items);
  $('events-empty').hidden = events.length > 0;
}

// ---- formatting ------------------------------------------------------------------------------

const countFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

function numberOrNull(value) {
  return Number.isFinite(value) ? value : null;
}

function round(value) {
  return Math.round(value * 100) / 100;
}

function formatCount(value) {
  return Number.isFinite(value) ? countFormat.format(value) : '–';
}

function formatRate(value) {
  if (!Number.isFinite(value)) return '–';
  return value >= 100 ? countFormat.format(Math.round(value)) : shortNumber(Math.round(value * 10) / 10);
}

/** Milliseconds with two significant digits below 10 (0.42, 1.9), whole above. */
function formatMillis(value) {
  if (!Number.isFinite(value)) return '–';
  if (value === 0) return '0';
  if (value < 1) return String(Number(value.toPrecision(2)));
  if (value < 10) return value.toFixed(1);
  return countFormat.format(Math.round(value));
}

/** 42 s, 6 min 05 s, 3 h 04 min, 2 d 03 h. */
function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.floor(seconds));
  const pad = n => String(n).padStart(2, '0');
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${pad(Math.floor(s / 60) % 60)} min`;
  return `${Math.floor(s / 86_400)} d ${pad(Math.floor(s / 3600) % 24)} h`;
}

function formatClock(ms) {
  return clockFormat.format(new Date(ms));
}

function formatEventTime(ms) {
  const date = new Date(ms);
  const today = new Date();
  const sameDay = date.toDateString() === today.toDateString();
  return sameDay ? clockFormat.format(date) : `${dateFormat.format(date)} ${clockFormat.format(date)}`;
}

// ---- start -----------------------------------------------------------------------------------

$('signin-form').addEventListener('submit', onSignIn);
$('signout').addEventListener('click', () => signOut());

const storedKey = readKey();
if (storedKey) startDashboard(storedKey);
else showSignIn();
