#!/usr/bin/env python3
"""MQTT over WebSocket with the paho-mqtt client against the aedes broker.

    mqtt_client.py HOST PORT [5]

One MQTT 3.1.1 session, or with `5` one MQTT 5 session (its PUBLISHes carry properties: a
content type and a user property; the broker is mosquitto behind a WebSocket listener). It subscribes to `wslens/#`
with QoS 2, publishes to `wslens/q0`, `wslens/q1`, `wslens/q2` with QoS 0, 1 and 2 (the
broker delivers each back: the QoS 1 and 2 flows run both ways), publishes a retained message,
unsubscribes, pings, and disconnects. paho's own log lines ("Sending PUBLISH (d0, q1, r0,
m2), ...", "Received PUBACK (Mid: 2)") go to $PEERLOG, one JSON object each, with the packet
type and the session's protocol level (4 = 3.1.1, 5 = 5).
"""

import json
import os
import re
import sys
import threading
import time

import paho.mqtt.client as mqtt

LOG = open(os.environ["PEERLOG"], "a") if os.environ.get("PEERLOG") else None


def session(host, port, level):
    proto = mqtt.MQTTv311 if level == 4 else mqtt.MQTTv5
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"wslens-{level}",
                    protocol=proto, transport="websockets")
    c.ws_set_options(path="/mqtt")
    got = []
    done = threading.Event()

    def on_log(_c, _u, _level, line):
        m = re.match(r"(Sending|Received) (\w+)", line)
        if not m or LOG is None:
            return
        mid = re.search(r"(?:Mid: |m)(\d+)", line)
        obj = {"lib": "paho-mqtt", "role": "client", "proto": "mqtt", "level": level,
               "action": "sent" if m.group(1) == "Sending" else "recv",
               "dir": "c2s" if m.group(1) == "Sending" else "s2c",
               "type": m.group(2).lower(), "line": line, "_t": time.time()}
        if mid and m.group(2) not in ("CONNECT", "CONNACK"):
            obj["id"] = int(mid.group(1))
        t = re.search(r"\), '(?:b')?([^']*)'", line)
        if t:
            obj["topic"] = t.group(1)
        LOG.write(json.dumps(obj) + "\n")
        LOG.flush()

    def on_message(_c, _u, msg):
        got.append(msg.topic)
        if len(got) == 3:
            done.set()

    c.on_log = on_log
    c.on_message = on_message
    c.connect(host, port, keepalive=60)
    c.loop_start()
    c.subscribe("wslens/#", qos=2)
    time.sleep(0.3)
    props = None
    if level == 5:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties
        props = Properties(PacketTypes.PUBLISH)
        props.ContentType = "text/plain"
        props.UserProperty = ("lang", "en")
    for q in (0, 1, 2):
        c.publish(f"wslens/q{q}", f"hello at QoS {q} from MQTT level {level}".encode(), qos=q,
                  properties=props).wait_for_publish()
    done.wait(5)
    time.sleep(0.2)
    c.unsubscribe("wslens/#")
    time.sleep(0.2)
    c.publish("wslens/retained", b"kept by the broker", qos=1, retain=True).wait_for_publish()
    time.sleep(0.2)
    c._send_pingreq()
    time.sleep(0.3)
    c.disconnect()
    c.loop_stop()


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    # aedes speaks 3.1.1 only; MQTT 5 is recorded against mosquitto (`mqtt5`).
    level = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    session(host, port, level)
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
