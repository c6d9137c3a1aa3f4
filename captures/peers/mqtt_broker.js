#!/usr/bin/env node
// An MQTT broker over WebSocket for captures/record.sh: the unmodified aedes broker served
// through websocket-stream (subprotocol mqtt). (Debian 12's mosquitto 2.0.11 refuses to start
// its websockets listener on this machine: "Unable to start any listening sockets".)
//
//   node mqtt_broker.js HOST PORT
'use strict';

const http = require('http');
const ws = require('websocket-stream');
const aedes = require('aedes');

const [host, portStr] = process.argv.slice(2);
Promise.resolve(aedes.createBroker()).then((broker) => {
  const server = http.createServer();
  ws.createServer({ server }, broker.handle);
  server.listen(Number(portStr), host, () => console.log('READY'));
});
