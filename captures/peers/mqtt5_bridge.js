#!/usr/bin/env node
// A WebSocket listener for an MQTT 5 broker, for captures/record.sh: Debian 12's mosquitto
// 2.0.11 speaks MQTT 5 but will not start its own websockets listener here ("Unable to start
// any listening sockets"), and aedes has no MQTT 5. So mosquitto listens on plain TCP and this
// unmodified websocket-stream server (subprotocol mqtt, binary messages) passes each
// WebSocket's bytes to a TCP connection to it and back, unchanged: what the capture shows on the
// WebSocket side is what mosquitto and the client said.
//
//   node mqtt5_bridge.js HOST PORT BROKER_PORT
'use strict';

const http = require('http');
const net = require('net');
const ws = require('websocket-stream');

const [host, portStr, brokerStr] = process.argv.slice(2);
const server = http.createServer();
ws.createServer({ server }, (stream) => {
  const tcp = net.connect(Number(brokerStr), host);
  stream.pipe(tcp).pipe(stream);
  const end = () => {
    stream.destroy();
    tcp.destroy();
  };
  stream.on('error', end);
  tcp.on('error', end);
  tcp.on('close', end);
});
server.listen(Number(portStr), host, () => console.log('READY'));
