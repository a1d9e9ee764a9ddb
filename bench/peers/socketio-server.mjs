// Peer server: Node.js + Socket.IO (WebSocket transport only). Minimal IM protocol (see README.md).
// Usage: node socketio-server.mjs [PORT]   (or PORT=... ; 0 = any free port; HOST defaults to 127.0.0.1)
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
const host = process.env.HOST || '127.0.0.1';

const httpServer = createServer();
const io = new Server(httpServer, {
  transports: ['websocket'],
  perMessageDeflate: false,
  serveClient: false,
});

// One room per user ("u:<id>") for 1:1 delivery to all of a user's connections,
// one room per topic ("t:<topic>").
io.use((socket, next) => {
  const user = socket.handshake.query.user;
  if (typeof user !== 'string' || user === '') return next(new Error('user required'));
  socket.data.user = user;
  next();
});

const PONG = { type: 'pong' };

io.on('connection', (socket) => {
  const user = socket.data.user;
  socket.join('u:' + user);
  socket.emit('welcome', { type: 'welcome', user });

  socket.on('send', (m) => {
    if (!m || typeof m.to !== 'string') return;
    io.to('u:' + m.to).emit('message', { type: 'message', from: user, body: m.body });
  });
  socket.on('subscribe', (m) => {
    if (!m) return;
    const topic = String(m.topic);
    socket.join('t:' + topic);
    socket.emit('subscribed', { type: 'subscribed', topic });
  });
  socket.on('publish', (m) => {
    if (!m) return;
    const topic = String(m.topic);
    io.to('t:' + topic).emit('publication', { type: 'publication', topic, data: m.data });
  });
  socket.on('ping', () => {
    socket.emit('pong', PONG);
  });
});

httpServer.listen(port, host, () => {
  process.stdout.write(`LISTENING ${httpServer.address().port}\n`);
});

process.on('SIGTERM', () => {
  io.close(() => process.exit(0));
});
