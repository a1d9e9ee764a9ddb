// Peer server: Node.js + ws. Minimal IM protocol (see README.md).
// Usage: node ws-server.mjs [PORT]   (or PORT=... ; 0 = any free port; HOST defaults to 127.0.0.1)
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
const host = process.env.HOST || '127.0.0.1';

const users = new Map();  // user id -> Set<WebSocket>
const topics = new Map(); // topic   -> Set<WebSocket>
const PONG = JSON.stringify({ type: 'pong' });

const wss = new WebSocketServer({ host, port, path: '/ws', perMessageDeflate: false });

wss.on('connection', (ws, req) => {
  const user = new URL(req.url, 'http://x').searchParams.get('user');
  if (!user) {
    ws.close(1008, 'user required');
    return;
  }
  let conns = users.get(user);
  if (!conns) users.set(user, (conns = new Set()));
  conns.add(ws);
  const subscribed = new Set(); // topics of this connection, for cleanup on close

  ws.send(JSON.stringify({ type: 'welcome', user }));

  ws.on('message', (data) => {
    let m;
    try {
      m = JSON.parse(data);
    } catch {
      return;
    }
    switch (m.type) {
      case 'send': {
        const targets = users.get(m.to);
        if (!targets) return;
        const out = JSON.stringify({ type: 'message', from: user, body: m.body });
        for (const s of targets) s.send(out);
        return;
      }
      case 'subscribe': {
        const topic = String(m.topic);
        let subs = topics.get(topic);
        if (!subs) topics.set(topic, (subs = new Set()));
        subs.add(ws);
        subscribed.add(topic);
        ws.send(JSON.stringify({ type: 'subscribed', topic }));
        return;
      }
      case 'publish': {
        const topic = String(m.topic);
        const subs = topics.get(topic);
        if (!subs) return;
        const out = JSON.stringify({ type: 'publication', topic, data: m.data });
        for (const s of subs) s.send(out);
        return;
      }
      case 'ping':
        ws.send(PONG);
        return;
    }
  });

  ws.on('close', () => {
    conns.delete(ws);
    if (conns.size === 0) users.delete(user);
    for (const topic of subscribed) {
      const subs = topics.get(topic);
      subs.delete(ws);
      if (subs.size === 0) topics.delete(topic);
    }
  });
  ws.on('error', () => {}); // a broken client must not crash the server
});

wss.on('listening', () => {
  process.stdout.write(`LISTENING ${wss.address().port}\n`);
});

process.on('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  wss.close(() => process.exit(0));
});
