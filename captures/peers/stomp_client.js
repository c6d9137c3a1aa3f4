#!/usr/bin/env node
// STOMP over WebSocket with the unmodified @stomp/stompjs client (against RabbitMQ's web-stomp).
//
//   node stomp_client.js HOST PORT
//
// Offers the subprotocols v12.stomp, v11.stomp, v10.stomp; heart-beats every 1000 ms both
// ways. Subscribes to a queue (client-individual acks, with a receipt), sends a JSON message, a
// binary one (content-length, a NUL inside; valid UTF-8, as RabbitMQ
// forwards it in a text frame, and a text frame that is not UTF-8 makes the client fail the
// connection), one with a header that needs STOMP 1.2 escaping,
// a transaction (BEGIN, SEND, COMMIT), acks each delivered message, idles for heart-beats,
// unsubscribes with a receipt, then sends to an unknown destination type with a receipt: the
// broker answers with an ERROR and closes the connection.
//
// stompjs' own debug lines (">>> FRAME", "<<< FRAME", ">>> PING", "<<< PONG") go to $PEERLOG,
// one JSON object per frame: {"command","headers"} (headers unescaped), and "body" where the
// script knows it (what it sent, what the subscription callback received).
'use strict';

const fs = require('fs');
const WebSocket = require('ws');
const { Client } = require('@stomp/stompjs');

const [host, portStr] = process.argv.slice(2);
const logFd = process.env.PEERLOG ? fs.openSync(process.env.PEERLOG, 'a') : null;

function log(obj) {
  if (logFd === null) return;
  fs.writeSync(logFd, JSON.stringify({ lib: '@stomp/stompjs', role: 'client', ...obj, _t: Date.now() / 1000 }) + '\n');
}

function unescape(v) {
  return v.replace(/\\(.)/g, (_, c) => ({ r: '\r', n: '\n', c: ':', '\\': '\\' })[c]);
}

// A debug line ">>> SEND\ndestination:...\n..." as {command, headers}.
function parseDebug(text) {
  const lines = text.split('\n');
  const command = lines[0];
  const headers = {};
  for (const l of lines.slice(1)) {
    if (l === '') break;
    const i = l.indexOf(':');
    const k = l.slice(0, i);
    const v = l.slice(i + 1);
    const esc = command !== 'CONNECT' && command !== 'CONNECTED';
    if (!(k in headers)) headers[esc ? unescape(k) : k] = esc ? unescape(v) : v;
  }
  return { command, headers };
}

const bodies = { sent: [], recv: [] };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const client = new Client({
  webSocketFactory: () =>
    new WebSocket(`ws://${host}:${portStr}/ws`, ['v12.stomp', 'v11.stomp', 'v10.stomp']),
  connectHeaders: { login: 'guest', passcode: 'guest', host: '/' },
  heartbeatIncoming: 1000,
  heartbeatOutgoing: 1000,
  reconnectDelay: 0,
  debug: (line) => {
    if (process.env.STOMP_DEBUG) console.error(line);
    if (line === '>>> PING') return log({ dir: 'c2s', action: 'sent', command: 'heartbeat' });
    if (line === '<<< PONG') return log({ dir: 's2c', action: 'recv', command: 'heartbeat' });
    const m = /^(>>>|<<<) ([A-Z]+\n[\s\S]*)$/.exec(line);
    if (!m) return;
    const sent = m[1] === '>>>';
    log({ dir: sent ? 'c2s' : 's2c', action: sent ? 'sent' : 'recv', ...parseDebug(m[2]) });
  },
});

function send(params) {
  client.publish(params);
}

client.onConnect = async () => {
  const delivered = [];
  const queue = '/queue/wslens-js';
  const subscribed = new Promise((resolve) => client.watchForReceipt('sub-1', resolve));
  const sub = client.subscribe(
    queue,
    (msg) => {
      log({ dir: 's2c', action: 'delivered', command: 'MESSAGE', headers: msg.headers,
            body_bytes: msg.binaryBody.length, body: msg.body });
      msg.ack();
      delivered.push(msg);
    },
    { id: 'sub-0', ack: 'client-individual', receipt: 'sub-1' },
  );
  await subscribed;
  send({ destination: queue, body: JSON.stringify({ hello: 'stomp', n: 1 }),
         headers: { 'content-type': 'application/json' } });
  send({ destination: queue, binaryBody: new Uint8Array([0x77, 0x73, 0x00, 0x6c, 0x0a]),
         headers: { 'content-type': 'application/octet-stream' } });
  send({ destination: queue, body: 'escaped header',
         headers: { 'x-note': 'colon:and\nnewline\\back' } });
  const tx = client.begin('tx-1');
  send({ destination: queue, body: 'in a transaction', headers: { transaction: tx.id } });
  tx.commit();
  for (let i = 0; i < 100 && delivered.length < 4; i++) await sleep(50);
  // Idle long enough for heart-beats both ways.
  await sleep(2600);
  const unsubscribed = new Promise((resolve) => client.watchForReceipt('unsub-1', resolve));
  sub.unsubscribe({ receipt: 'unsub-1' });
  await unsubscribed;
  // Not a destination type RabbitMQ knows: it answers with an ERROR (without the receipt-id
  // that STOMP says it SHOULD add) and closes the connection.
  send({ destination: '/bogus/x', body: 'lost', headers: { receipt: 'lost-1' } });
};

client.onStompError = (frame) => {
  log({ dir: 's2c', action: 'error', command: 'ERROR', headers: frame.headers, body: frame.body });
  client.deactivate().then(() => {
    process.exit(0);
  });
};

client.onWebSocketClose = (e) => {
  if (process.env.STOMP_DEBUG) console.error("close", e.code, e.reason);
  setTimeout(() => process.exit(0), 100);
};

setTimeout(() => {
  console.error('timed out');
  process.exit(1);
}, 20000);

client.activate();
