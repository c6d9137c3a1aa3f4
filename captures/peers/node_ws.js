#!/usr/bin/env node
// Node `ws` peers for captures/record.sh.
//
//   node node_ws.js server SCENARIO HOST PORT
//   node node_ws.js client SCENARIO HOST PORT [NAME]
//
// The server exits once the scenario's connections are closed.  Every message
// sent or received goes to the peer log ($PEERLOG), same contract as peerlog.py.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const WebSocket = require('ws');

const LIB = 'node-ws';
const [role, scenario, host, portStr, who] = process.argv.slice(2);
const port = Number(portStr);
const logFd = process.env.PEERLOG ? fs.openSync(process.env.PEERLOG, 'a') : null;
const BENCH = scenario.startsWith('bench-');

function endpoint(addr, p) {
  return addr.includes(':') ? `[${addr}]:${p}` : `${addr}:${p}`;
}

function endpoints(ws, isClient) {
  const s = ws._socket;
  const local = endpoint(s.localAddress, s.localPort);
  const remote = endpoint(s.remoteAddress, s.remotePort);
  return isClient ? { client: local, server: remote } : { client: remote, server: local };
}

function logMsg(conn, action, opcode, payload, extra) {
  if (logFd === null) return;
  const buf = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const own = role === 'client' ? 'c2s' : 's2c';
  const other = role === 'client' ? 's2c' : 'c2s';
  const obj = {
    lib: LIB, role, client: conn.client, server: conn.server,
    dir: action === 'sent' ? own : other, action, opcode,
    len: buf.length, sha256: crypto.createHash('sha256').update(buf).digest('hex'),
    ...(extra || {}),
    _t: Date.now() / 1000,
  };
  fs.writeSync(logFd, JSON.stringify(obj) + '\n');
}

function closePayload(code, reason) {
  if (code === 1005 || code === undefined) return Buffer.alloc(0);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, Buffer.from(reason, 'utf8')]);
}

function logClose(conn, action, code, reason, auto) {
  const extra = code === 1005 ? {} : { close_code: code, close_reason: reason };
  if (auto) extra.auto = true;
  logMsg(conn, action, 'close', closePayload(code, reason), extra);
}

// Deterministic pseudo-random bytes (xorshift), so re-recording gives the same payloads.
function blob(n, seed) {
  const out = Buffer.alloc(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function text(n, seed) {
  const abc = 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const b = blob(n, seed);
  let s = '';
  for (let i = 0; i < n; i++) s += abc[b[i] % abc.length];
  return s;
}

// ------------------------------------------------------------------ server

const SERVER_CONNS = { chat: 3 };

function runServer() {
  const deflate = scenario === 'bench-chatty';
  // wss:// when record.sh gives a certificate (WSLENS_TLS_CERT/KEY); WSLENS_TLS_CIPHERS pins
  // the suites (TLS 1.3 names are accepted by Node's `ciphers` too).
  let tlsServer = null;
  if (process.env.WSLENS_TLS_CERT) {
    tlsServer = require('https').createServer({
      cert: fs.readFileSync(process.env.WSLENS_TLS_CERT),
      key: fs.readFileSync(process.env.WSLENS_TLS_KEY),
      ...(process.env.WSLENS_TLS_CIPHERS ? { ciphers: process.env.WSLENS_TLS_CIPHERS } : {}),
    });
  }
  const wss = new WebSocket.Server({
    ...(tlsServer ? { server: tlsServer } : { host, port }),
    perMessageDeflate: deflate ? { threshold: 0 } : false,
    autoPong: false, // we answer pings ourselves, so the pong is logged as ours
    maxPayload: 64 * 1024 * 1024,
  });
  let open = 0;
  let finished = 0;
  const expected = SERVER_CONNS[scenario] || 1;
  const clients = new Set();
  if (tlsServer) tlsServer.listen(port, host, () => console.log('READY'));
  else wss.on('listening', () => console.log('READY'));
  wss.on('connection', (ws) => {
    open++;
    clients.add(ws);
    const conn = endpoints(ws, false);
    let weClosed = false;
    ws.on('message', (data, isBinary) => {
      const op = isBinary ? 'binary' : 'text';
      const msg = isBinary ? data : data.toString('utf8');
      if (!BENCH) logMsg(conn, 'recv', op, data);
      if (scenario === 'chat') {
        for (const peer of clients) {
          if (peer.readyState !== WebSocket.OPEN) continue;
          logMsg(endpoints(peer, false), 'sent', op, data);
          peer.send(msg, { binary: isBinary });
        }
      } else {
        if (!BENCH) logMsg(conn, 'sent', op, data);
        ws.send(msg, { binary: isBinary });
      }
    });
    ws.on('ping', (data) => {
      logMsg(conn, 'recv', 'ping', data);
      logMsg(conn, 'sent', 'pong', data);
      ws.pong(data);
    });
    ws.on('close', (code, reason) => {
      if (!BENCH) {
        logClose(conn, 'recv', code, reason.toString('utf8'), false);
        // ws answers a close it did not start with the same code and reason.
        if (!weClosed) logClose(conn, 'sent', code, reason.toString('utf8'), true);
      }
      clients.delete(ws);
      finished++;
      if (finished >= expected) {
        wss.close();
        setTimeout(() => process.exit(0), 200);
      }
    });
  });
}

// ------------------------------------------------------------------ client

function echoSteps() {
  return [
    ['msg', 'Hello from node'],
    ['msg', Buffer.from([1, 2, 3, 4, 5])],
    ['msg', ''],
    ['msg', Buffer.alloc(0)],
    ['msg', text(125, 125)],
    ['msg', text(126, 126)],
    ['msg', blob(125, 1125)],
    ['msg', blob(126, 1126)],
    ['msg', blob(65535, 65535)],
    ['msg', blob(65536, 65536)],
    ['msg', blob(3 * 1024 * 1024, 3)],
    ['frag', ['node ', 'fragmented ', 'text']],
    ['ping', Buffer.from('node-ping')],
    ['ping', Buffer.alloc(0)],
    ['close', [1000, 'done']],
  ];
}

function lossySteps() {
  const steps = [];
  for (let i = 0; i < 300; i++) {
    // Sizes from 1 byte to ~20 KB, so some messages fit one segment and some span many.
    const sizes = [1, 10, 125, 126, 500, 1400, 1500, 3000, 9000, 20000];
    const n = sizes[i % sizes.length] + (i % 7);
    steps.push(['msg', i % 3 === 0 ? text(n, 5000 + i) : blob(n, 5000 + i)]);
  }
  steps.push(['close', [1000, 'lossy done']]);
  return steps;
}

function chatSteps(name) {
  const lines = {
    alice: ['hi everyone', 'who is on call today?', 'thanks bob!'],
    bob: ['hey alice', 'me, until 18:00', 'np'],
    carol: ['morning', 'I will take tomorrow', 'bye all'],
  }[name];
  const steps = [];
  for (const l of lines) steps.push(['chat', `${name}: ${l}`]);
  steps.push(['close', [1000, `${name} leaves`]]);
  return steps;
}

function runClient() {
  const deflate = scenario === 'bench-chatty';
  const h = host.includes(':') ? `[${host}]` : host;
  const tls = !!process.env.WSLENS_TLS_CERT;
  const ws = new WebSocket(`${tls ? 'wss' : 'ws'}://${h}:${port}/${scenario}`, {
    // The recording's self-signed certificate; keys go to node's --tls-keylog file.
    ...(tls ? { rejectUnauthorized: false } : {}),
    ...(tls && process.env.WSLENS_TLS_CIPHERS ? { ciphers: process.env.WSLENS_TLS_CIPHERS } : {}),
    perMessageDeflate: deflate ? { threshold: 0 } : false,
    maxPayload: 64 * 1024 * 1024,
  });
  let conn;
  let pending = null; // resolve function for the next expected message
  const inbox = [];
  ws.on('message', (data, isBinary) => {
    const op = isBinary ? 'binary' : 'text';
    if (!BENCH) logMsg(conn, 'recv', op, data);
    if (pending) { const p = pending; pending = null; p(data); } else inbox.push(data);
  });
  const nextMessage = () => new Promise((res) => {
    if (inbox.length) res(inbox.shift()); else pending = res;
  });
  let pongWaiter = null;
  ws.on('pong', (data) => {
    logMsg(conn, 'recv', 'pong', data);
    if (pongWaiter) { const p = pongWaiter; pongWaiter = null; p(); }
  });
  const closed = new Promise((res) => ws.on('close', (code, reason) => {
    logClose(conn, 'recv', code, reason.toString('utf8'), false);
    res();
  }));
  ws.on('error', (e) => { console.error(e); process.exit(1); });
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  ws.on('open', async () => {
    conn = endpoints(ws, true);
    if (BENCH) return bench(ws, nextMessage, closed);
    const steps = scenario === 'echo' ? echoSteps()
      : scenario === 'lossy' ? lossySteps()
        : chatSteps(who);
    let seen = 0;
    for (const [kind, arg] of steps) {
      if (kind === 'msg') {
        const isBin = typeof arg !== 'string';
        logMsg(conn, 'sent', isBin ? 'binary' : 'text', arg);
        ws.send(arg, { binary: isBin });
        const echo = await nextMessage();
        if (!Buffer.from(echo).equals(isBin ? arg : Buffer.from(arg, 'utf8'))) throw new Error('echo differs');
      } else if (kind === 'frag') {
        const whole = arg.join('');
        logMsg(conn, 'sent', 'text', whole, { frames: arg.length });
        arg.forEach((piece, i) => ws.send(piece, { binary: false, fin: i === arg.length - 1 }));
        await nextMessage();
      } else if (kind === 'chat') {
        // Every client's line reaches all three clients; wait a little so lines interleave.
        await sleep(100 + 37 * (who.length % 3));
        logMsg(conn, 'sent', 'text', arg);
        ws.send(arg);
      } else if (kind === 'ping') {
        logMsg(conn, 'sent', 'ping', arg);
        const got = new Promise((r) => { pongWaiter = r; });
        ws.ping(arg);
        await got;
      } else if (kind === 'close') {
        if (scenario === 'chat') {
          // Stay until all 9 broadcast lines (3 per client) have arrived.
          while (seen + inbox.length < 9) { await nextMessage(); seen++; }
        }
        const [code, reason] = arg;
        logClose(conn, 'sent', code, reason, false);
        ws.close(code, reason);
      }
    }
    await closed;
    process.exit(0);
  });
}

async function bench(ws, nextMessage, closed) {
  if (scenario === 'bench-chatty') {
    // Lock-step so each message and its echo travel in their own segments, like a chatty app.
    for (let i = 0; i < 150000; i++) {
      ws.send(`{"seq":${i},"type":"tick","price":${(100 + (i % 97) / 7).toFixed(3)}}`);
      await nextMessage();
    }
  } else {
    const b = blob(65536, 42);
    // A few messages in flight keeps the pipe full without unbounded buffering.
    const inflight = 4;
    for (let i = 0; i < inflight; i++) ws.send(b);
    for (let i = inflight; i < 3000; i++) { await nextMessage(); ws.send(b); }
    for (let i = 0; i < inflight; i++) await nextMessage();
  }
  ws.close(1000, 'bench done');
  await closed;
  process.exit(0);
}

if (role === 'server') runServer(); else runClient();
