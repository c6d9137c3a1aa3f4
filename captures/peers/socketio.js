#!/usr/bin/env node
// Socket.IO peers for captures/record.sh: the unmodified socket.io server and socket.io-client,
// default transports (HTTP long-polling first, then the upgrade to WebSocket).
//
//   node socketio.js server HOST PORT [msgpack]
//   node socketio.js client HOST PORT [msgpack]
//
// With `msgpack` both ends use socket.io-msgpack-parser: each Socket.IO packet is one
// MessagePack-encoded binary Engine.IO message (binary arguments inside it, no attachments).
//
// Both ends log what their own libraries report to $PEERLOG, one JSON object per line:
//   engine.io level — every packet the engine.io socket creates ("packetCreate") or receives
//   ("packet"): {"proto":"engine.io","type":"message","data":"2[\"chat\",...]"} (binary data as
//   {"binary":len,"sha256":…}); the transport probe packets (2probe/3probe) are written by the
//   transport itself, below these hooks, so they are not in the log;
//   socket.io level — events sent and received (onAnyOutgoing / onAny), acknowledgements sent
//   and received (in the ack callbacks), namespace connects.
// Every line has "sid" (the engine.io session id) so lines are grouped by session, not by TCP
// connection (polling uses several).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');

const [role, host, portStr, parserName] = process.argv.slice(2);
const PARSER = parserName === 'msgpack' ? { parser: require('socket.io-msgpack-parser') } : {};
const port = Number(portStr);
const logFd = process.env.PEERLOG ? fs.openSync(process.env.PEERLOG, 'a') : null;
const LIB = role === 'server' ? 'socket.io' : 'socket.io-client';

// Buffers are logged by length and digest (the capture holds their bytes).
function plain(v) {
  if (Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
    const b = Buffer.from(v);
    return { binary: b.length, sha256: crypto.createHash('sha256').update(b).digest('hex') };
  }
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = plain(v[k]);
    return o;
  }
  return v;
}

function log(obj) {
  if (logFd === null) return;
  fs.writeSync(logFd, JSON.stringify({ lib: LIB, role, ...obj, _t: Date.now() / 1000 }) + '\n');
}

const own = role === 'client' ? 'c2s' : 's2c';
const other = role === 'client' ? 's2c' : 'c2s';

// engine.io packets as the engine.io socket sees them.
function hookEngine(engine, sid) {
  engine.on('packetCreate', (p) => log({ proto: 'engine.io', sid: sid(), dir: own, action: 'sent',
    type: p.type, data: p.data === undefined ? null : plain(p.data) }));
  engine.on('packet', (p) => log({ proto: 'engine.io', sid: sid(), dir: other, action: 'recv',
    type: p.type, data: p.data === undefined ? null : plain(p.data) }));
}

function hookSocket(sock, nsp, sid) {
  sock._logNsp = nsp;
  sock.onAnyOutgoing((name, ...args) => {
    // The trailing ack callback is not an argument on the wire.
    const wire = args.filter((a) => typeof a !== 'function');
    log({ proto: 'socket.io', sid: sid(), nsp, dir: own, action: 'sent', type: 'event',
      name, args: plain(wire) });
  });
  sock.onAny((name, ...args) => {
    const wire = args.filter((a) => typeof a !== 'function');
    log({ proto: 'socket.io', sid: sid(), nsp, dir: other, action: 'recv', type: 'event',
      name, args: plain(wire) });
  });
}

function ackLine(sock, sid, action, args) {
  log({ proto: 'socket.io', sid: sid(), nsp: sock._logNsp, dir: action === 'sent' ? own : other,
    action, type: 'ack', args: plain(args) });
}

function bytes(n, seed) {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

if (role === 'server') {
  const { Server } = require('socket.io');
  const srv = http.createServer();
  // Short ping interval so the capture holds the heartbeat (the default is 25 s).
  const io = new Server(srv, { pingInterval: 300, pingTimeout: 2000, ...PARSER });
  const hooked = new Set();
  let gone = 0;
  const onConn = (sock) => {
    const sid = () => sock.conn.id;
    if (!hooked.has(sock.conn)) {
      hooked.add(sock.conn);
      hookEngine(sock.conn, sid);
    }
    log({ proto: 'socket.io', sid: sid(), nsp: sock.nsp.name, dir: 'c2s', action: 'recv', type: 'connect' });
    hookSocket(sock, sock.nsp.name, sid);
    // Sent at once: the client is still on long-polling, so this travels in a GET response.
    sock.emit('welcome', { nsp: sock.nsp.name, text: 'hello from the server' });
    sock.on('chat', (msg) => sock.emit('chat', { echo: msg }));
    sock.on('add', (a, b, ack) => {
      const res = { sum: a + b };
      ackLine(sock, sid, 'sent', [res]);
      ack(res);
    });
    sock.on('upload', (name, data, ack) => {
      const res = { name, got: data.length };
      ackLine(sock, sid, 'sent', [res]);
      ack(res);
      sock.emit('file', 'reply.bin', bytes(300, 7), 'two-attachments', bytes(5, 9));
    });
    sock.on('ready-for-question', () => {
      sock.timeout(3000).emit('question', 'what is 6 x 7?', (err, answer) => {
        ackLine(sock, sid, 'recv', err ? [String(err)] : [answer]);
        sock.emit('bye', 'done');
      });
    });
    sock.on('disconnect', (reason) => {
      log({ proto: 'socket.io', sid: sid(), nsp: sock.nsp.name, dir: 'c2s', action: 'recv', type: 'disconnect', reason });
      gone += 1;
      if (gone === 2) setTimeout(() => { io.close(); srv.close(); process.exit(0); }, 300);
    });
  };
  io.on('connection', onConn);
  io.of('/admin').on('connection', onConn);
  srv.listen(port, host, () => console.log('READY'));
} else {
  const { io } = require('socket.io-client');
  const url = `http://${host}:${port}`;
  const sock = io(url, { reconnection: false, ...PARSER });
  const manager = sock.io;
  const sid = () => (manager.engine ? manager.engine.id : null);
  manager.on('open', () => hookEngine(manager.engine, sid));
  hookSocket(sock, '/', sid);
  let admin = null;
  sock.on('connect', () => {
    log({ proto: 'socket.io', sid: sid(), nsp: '/', dir: 'c2s', action: 'sent', type: 'connect' });
    // Sent straight away: usually over polling, before the upgrade completes.
    sock.emit('chat', 'hi over whatever transport is current');
    sock.emit('add', 2, 3, (res) => ackLine(sock, sid, 'recv', [res]));
  });
  sock.on('welcome', () => {});
  manager.engine && manager.engine.on('upgrade', () => {});
  sock.on('chat', () => {});
  let steps = 0;
  const next = () => {
    steps += 1;
    if (steps === 1) {
      // After the upgrade: a Unicode chat line, a binary upload with an ack, the admin namespace.
      sock.emit('chat', '你好, Socket.IO');
      sock.emit('upload', 'data.bin', bytes(1000, 3), (res) => {
        ackLine(sock, sid, 'recv', [res]);
        admin = io(`${url}/admin`, { reconnection: false, ...PARSER });
        hookSocket(admin, '/admin', sid);
        admin.on('connect', () => {
          log({ proto: 'socket.io', sid: sid(), nsp: '/admin', dir: 'c2s', action: 'sent', type: 'connect' });
          admin.emit('stats', { users: 1, rooms: ['lobby'] });
          sock.emit('ready-for-question');
        });
        admin.on('welcome', () => {});
      });
    }
  };
  sock.on('file', () => {});
  sock.on('question', (q, ack) => {
    ackLine(sock, sid, 'sent', [42]);
    ack(42);
  });
  sock.on('bye', () => {
    // Let a heartbeat or two pass over the WebSocket, then leave both namespaces.
    setTimeout(() => {
      admin.disconnect();
      sock.disconnect();
      setTimeout(() => process.exit(0), 300);
    }, 700);
  });
  const waitUpgrade = () => {
    const eng = manager.engine;
    if (eng.transport && eng.transport.name === 'websocket') return next();
    eng.once('upgrade', () => setTimeout(next, 50));
  };
  sock.once('connect', () => setTimeout(waitUpgrade, 0));
}
