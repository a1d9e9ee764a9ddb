// Peer server: Bun's built-in HTTP/WebSocket server (Bun.serve) with its native pub/sub.
// Minimal IM protocol (see README.md).
// Usage: node_modules/.bin/bun bun-server.js [PORT]   (or PORT=... ; 0 = any free port; HOST defaults to 127.0.0.1)
const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
const hostname = process.env.HOST || '127.0.0.1';

const users = new Map(); // user id -> Set<ServerWebSocket>
const PONG = JSON.stringify({ type: 'pong' });

const server = Bun.serve({
  hostname,
  port,
  fetch(req, server) {
    const url = new URL(req.url);
    if (url.pathname !== '/ws') return new Response('not found', { status: 404 });
    const user = url.searchParams.get('user');
    if (!user) return new Response('user required', { status: 400 });
    if (server.upgrade(req, { data: { user } })) return undefined;
    return new Response('websocket upgrade expected', { status: 400 });
  },
  websocket: {
    perMessageDeflate: false,
    open(ws) {
      const user = ws.data.user;
      let conns = users.get(user);
      if (!conns) users.set(user, (conns = new Set()));
      conns.add(ws);
      ws.send(JSON.stringify({ type: 'welcome', user }));
    },
    message(ws, raw) {
      let m;
      try {
        m = JSON.parse(raw);
      } catch {
        return;
      }
      switch (m.type) {
        case 'send': {
          const targets = users.get(m.to);
          if (!targets) return;
          const out = JSON.stringify({ type: 'message', from: ws.data.user, body: m.body });
          for (const s of targets) s.send(out);
          return;
        }
        case 'subscribe': {
          const topic = String(m.topic);
          ws.subscribe(topic);
          ws.send(JSON.stringify({ type: 'subscribed', topic }));
          return;
        }
        case 'publish': {
          const topic = String(m.topic);
          // server.publish reaches every subscriber, the publisher included (ws.publish would skip it).
          server.publish(topic, JSON.stringify({ type: 'publication', topic, data: m.data }));
          return;
        }
        case 'ping':
          ws.send(PONG);
          return;
      }
    },
    close(ws) {
      // Bun drops the topic subscriptions of a closed socket itself.
      const user = ws.data.user;
      const conns = users.get(user);
      if (!conns) return;
      conns.delete(ws);
      if (conns.size === 0) users.delete(user);
    },
  },
});

process.stdout.write(`LISTENING ${server.port}\n`);

process.on('SIGTERM', () => {
  server.stop(true);
  process.exit(0);
});
