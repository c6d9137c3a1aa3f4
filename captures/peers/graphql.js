#!/usr/bin/env node
// GraphQL over WebSocket peers for captures/record.sh, unmodified libraries on both ends.
//
//   node graphql.js server modern|legacy HOST PORT
//   node graphql.js client modern|legacy HOST PORT
//
// modern: npm graphql-ws 5.16.2 (subprotocol graphql-transport-ws): useServer on a ws server,
//   createClient with keep-alive pings. The client runs a query, a subscription to its end
//   (three `next`), a query that fails validation (`error`), a subscription it completes
//   itself after the first result, and a ping/pong.
// legacy: subscriptions-transport-ws 0.11.0 (subprotocol graphql-ws): SubscriptionServer with a
//   keep-alive (`ka`), SubscriptionClient: the same query, subscription, failing query, and a
//   subscription it stops itself.
//
// Each end logs every GraphQL message it sends or receives, at the socket the library uses
// (its send and its message handler), to $PEERLOG: {"proto":"graphql-ws","subprotocol",
// "dir","action","type","id","payload"}.
'use strict';

const fs = require('fs');
const http = require('http');
const WebSocket = require('ws');
const { buildSchema, execute, subscribe, parse } = require('graphql');

const [role, flavour, host, portStr] = process.argv.slice(2);
const port = Number(portStr);
const logFd = process.env.PEERLOG ? fs.openSync(process.env.PEERLOG, 'a') : null;
const SUBPROTOCOL = flavour === 'modern' ? 'graphql-transport-ws' : 'graphql-ws';
const LIB = flavour === 'modern' ? 'graphql-ws' : 'subscriptions-transport-ws';

function log(dir, action, text) {
  if (logFd === null) return;
  let m = {};
  try {
    m = JSON.parse(String(text));
  } catch (_) {
    m = { unparsed: String(text) };
  }
  const obj = { lib: LIB, role, proto: 'graphql-ws', subprotocol: SUBPROTOCOL, dir, action,
                type: m.type, id: m.id, payload: m.payload, _t: Date.now() / 1000 };
  fs.writeSync(logFd, JSON.stringify(obj) + '\n');
}

// Log at the socket: what the library hands to send(), what arrives before its handler.
function tap(ws, mine, theirs) {
  const send = ws.send.bind(ws);
  ws.send = (data, ...rest) => {
    log(mine, 'sent', data);
    return send(data, ...rest);
  };
  ws.on('message', (data) => log(theirs, 'recv', data));
  return ws;
}

const schema = buildSchema(`
  type Query { hello(name: String): String }
  type Subscription { countdown(from: Int!): Int }
`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const root = {
  hello: ({ name }) => `hello ${name}`,
  countdown: async function* ({ from }) {
    for (let i = from; i > 0; i--) {
      await sleep(30);
      yield { countdown: i };
    }
  },
};

const QUERY = 'query Greet { hello(name: "wslens") }';
const SUB = 'subscription Count { countdown(from: 3) }';
const BAD = 'query Broken { nope }';
const LONG = 'subscription Long { countdown(from: 50) }';

async function server() {
  const srv = http.createServer();
  const wss = new WebSocket.Server({ noServer: true });
  srv.on('upgrade', (req, sock, head) => {
    wss.handleUpgrade(req, sock, head, (ws) => {
      tap(ws, 's2c', 'c2s');
      wss.emit('connection', ws, req);
    });
  });
  let done;
  const finished = new Promise((r) => (done = r));
  if (flavour === 'modern') {
    const { useServer } = require('graphql-ws/lib/use/ws');
    useServer({ schema, roots: { query: root, subscription: root } }, wss);
  } else {
    const { SubscriptionServer } = require('subscriptions-transport-ws');
    // It takes a ws server; the handshake goes through the one above (tapped).
    SubscriptionServer.create(
      { schema, rootValue: root, execute, subscribe, keepAlive: 400 },
      wss,
    );
  }
  wss.on('connection', (ws) => ws.on('close', () => setTimeout(done, 100)));
  srv.listen(port, host, () => console.log('READY'));
  await finished;
  wss.close();
  srv.close();
}

async function modernClient() {
  const { createClient } = require('graphql-ws');
  class Tapped extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      tap(this, 'c2s', 's2c');
    }
  }
  const client = createClient({
    url: `ws://${host}:${port}/graphql`,
    webSocketImpl: Tapped,
    keepAlive: 300,
    lazy: false,
    retryAttempts: 0,
  });
  const run = (query) =>
    new Promise((resolve) => {
      const results = [];
      client.subscribe({ query }, {
        next: (r) => results.push(r),
        error: (e) => resolve({ results, error: e }),
        complete: () => resolve({ results }),
      });
    });
  await run(QUERY);
  await run(SUB);
  await run(BAD);
  await new Promise((resolve) => {
    const stop = client.subscribe({ query: LONG }, {
      next: () => {
        stop();
        resolve();
      },
      error: resolve,
      complete: resolve,
    });
  });
  await sleep(450); // a keep-alive ping and its pong
  await client.dispose();
}

async function legacyClient() {
  const { SubscriptionClient } = require('subscriptions-transport-ws');
  class Tapped extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      tap(this, 'c2s', 's2c');
    }
  }
  const client = new SubscriptionClient(`ws://${host}:${port}/graphql`, { reconnect: false }, Tapped);
  const run = (query) =>
    new Promise((resolve) => {
      client.request({ query }).subscribe({
        next: () => {},
        error: resolve,
        complete: resolve,
      });
    });
  await run(QUERY);
  await run(SUB);
  await run(BAD);
  await new Promise((resolve) => {
    const sub = client.request({ query: LONG }).subscribe({
      next: () => {
        sub.unsubscribe();
        resolve();
      },
      error: resolve,
    });
  });
  await sleep(500); // at least one keep-alive
  client.close();
}

const main = role === 'server' ? server : flavour === 'modern' ? modernClient : legacyClient;
main().then(
  () => setTimeout(() => process.exit(0), 50),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
