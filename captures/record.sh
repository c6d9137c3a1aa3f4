#!/usr/bin/env bash
# Re-record wslens' test captures from real WebSocket peers.
#
#   captures/record.sh NAME...          e.g. captures/record.sh classroom echo-node
#   captures/record.sh all              every committed capture
#   captures/record.sh bench-chatty [DIR]   bench data (not committed; DIR defaults to bench-data/)
#   captures/record.sh bench-bulk [DIR]
#   captures/record.sh bench-bulk-tls [DIR]   the bulk workload over wss:// (TLS 1.3) + its key log
#
# Needs root (network namespaces, packet capture), tcpdump, dumpcap, python3, node/npm
# (chromium only for `browser`).  All traffic stays inside namespaces this script creates
# and deletes again (also on failure), so nothing reaches or comes from the host's network.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PEERS="$HERE/peers"
VENV="$HERE/.venv"
REPO=$(cd "$HERE/.." && pwd)
# WSLENS_REC_NS names the namespaces, so that two recordings can run at once.
NS=${WSLENS_REC_NS:-wslens-rec}   # one namespace for loopback captures
NS_A=$NS-a             # two more joined by a veth pair where a real link is needed
NS_B=$NS-b
NS_M=$NS-m             # the impaired link between A and B
WORK=$(mktemp -d /tmp/wslens-rec.XXXXXX)
PIDS=()

log() { printf '[record] %s\n' "$*" >&2; }

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
    ip netns del "$NS" 2>/dev/null || true
    ip netns del "$NS_A" 2>/dev/null || true
    ip netns del "$NS_B" 2>/dev/null || true
    ip netns del "$NS_M" 2>/dev/null || true
}
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

deps() {
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import websockets, stomp' 2>/dev/null; then
        log "creating $VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q -r "$PEERS/requirements.txt"
    fi
    if [ ! -d "$PEERS/node_modules/ws" ] || [ ! -d "$PEERS/node_modules/socket.io" ] || [ ! -d "$PEERS/node_modules/@stomp/stompjs" ] || [ ! -d "$PEERS/node_modules/graphql-ws" ] || [ ! -d "$PEERS/node_modules/socket.io-msgpack-parser" ]; then
        log "installing node peers' dependencies"
        (cd "$PEERS" && npm ci --no-audit --no-fund >/dev/null)
    fi
}

PYBIN="$VENV/bin/python"
PY() { "$PYBIN" "$@"; }

ns_fresh() {
    ip netns del "$NS" 2>/dev/null || true
    ip netns add "$NS"
    ip -n "$NS" link set lo up
}

# Client namespace A (10.77.0.1) and server namespace B (10.77.0.2), joined through a middle
# namespace M that forwards frames between two veth pairs (peers/impair.py impairs them there;
# this kernel has no netem).  Offloads are off so every frame is a real MTU-sized segment
# with a finished checksum (a forwarded frame with a partial checksum would be dropped).
ns_pair() {
    local ns
    for ns in "$NS_A" "$NS_M" "$NS_B"; do
        ip netns del "$ns" 2>/dev/null || true
        ip netns add "$ns"
        ip -n "$ns" link set lo up
    done
    ip -n "$NS_A" link add wsl-a type veth peer name wsl-ma netns "$NS_M"
    ip -n "$NS_B" link add wsl-b type veth peer name wsl-mb netns "$NS_M"
    ip -n "$NS_A" addr add 10.77.0.1/24 dev wsl-a
    ip -n "$NS_B" addr add 10.77.0.2/24 dev wsl-b
    ip netns exec "$NS_A" ethtool -K wsl-a tx off tso off gso off gro off >/dev/null
    ip netns exec "$NS_B" ethtool -K wsl-b tx off tso off gso off gro off >/dev/null
    ip netns exec "$NS_M" ethtool -K wsl-ma tso off gso off gro off >/dev/null
    ip netns exec "$NS_M" ethtool -K wsl-mb tso off gso off gro off >/dev/null
    ip -n "$NS_A" link set wsl-a up
    ip -n "$NS_B" link set wsl-b up
    ip -n "$NS_M" link set wsl-ma up
    ip -n "$NS_M" link set wsl-mb up
}

# cap_start NS OUTFILE IFACE FILTER [extra tool args...]   (tool: tcpdump, or dumpcap for .pcapng)
CAP_PID=
# Packets reach user space a ring block at a time; immediate mode hands each one over at once,
# so nothing is left behind in the kernel when the capture is stopped.
CAP_IMMEDIATE=--immediate-mode
cap_start() {
    local ns=$1 out=$2 iface=$3 filter=$4
    shift 4
    local err="$WORK/cap.err"
    : >"$err"
    rm -f "$out"
    if [[ "$out" == *.pcapng ]]; then
        ip netns exec "$ns" dumpcap -q -B 64 -i "$iface" -s 0 -f "$filter" -w "$out" "$@" 2>"$err" &
    else
        ip netns exec "$ns" tcpdump -B 65536 $CAP_IMMEDIATE -i "$iface" -s 0 -U -n -w "$out" "$@" "$filter" 2>"$err" &
    fi
    CAP_PID=$!
    PIDS+=("$CAP_PID")
    # Both tools say so on stderr once the socket is open; only then may traffic start.
    local i
    for i in $(seq 100); do
        if grep -qiE 'listening on|capturing on' "$err"; then
            sleep 0.2
            return 0
        fi
        sleep 0.05
    done
    cat "$err" >&2
    return 1
}

cap_stop() {
    # Let the last ACKs/FINs pass the tap, and any partly filled ring block time out (1 s).
    sleep 1.2
    kill -INT "$CAP_PID"
    wait "$CAP_PID" || true
    chmod 644 "$OUT_FILE" 2>/dev/null || true
    # A capture with kernel drops would contradict the peer log: refuse it.
    if grep -qE '^[1-9][0-9]* packets dropped by kernel|Packets dropped: [1-9]' "$WORK/cap.err"; then
        cat "$WORK/cap.err" >&2
        log "capture dropped packets: $OUT_FILE is incomplete"
        return 1
    fi
}

# wait_ready FILE: a server prints READY once it is listening.
wait_ready() {
    local f=$1 i
    for i in $(seq 200); do
        grep -q READY "$f" 2>/dev/null && return 0
        sleep 0.05
    done
    log "server did not become ready:"; cat "$f" >&2
    return 1
}

# bg NS LOGNAME CMD...   start a peer in a namespace, its stdout in $WORK/LOGNAME.out
run_bg() {
    local ns=$1 name=$2
    shift 2
    PEERLOG="$WORK/$name.ndjson" ip netns exec "$ns" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}

run_fg() {
    local ns=$1 name=$2
    shift 2
    PEERLOG="$WORK/$name.ndjson" ip netns exec "$ns" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || {
        log "$name failed:"; cat "$WORK/$name.err" >&2; return 1; }
}

wait_pid() {
    local pid=$1 name=$2
    wait "$pid" || { log "$name failed:"; cat "$WORK/$name.err" >&2; return 1; }
}

# merge NAME DESCRIPTION PEERS   -> captures/NAME.peers.ndjson from every $WORK/*.ndjson
merge() {
    "$PYBIN" "$PEERS/merge_log.py" "$HERE/$1.peers.ndjson" "$1" "$2" "$3" "$WORK"/*.ndjson
    rm -f "$WORK"/*.ndjson
}

# ---------------------------------------------------------------- generic pairs

# py_pair NS HOST PORT SCENARIO : python websockets server + client
py_pair() {
    local ns=$1 host=$2 port=$3 scen=$4
    run_bg "$ns" server "$PYBIN" "$PEERS/py_ws.py" server "$scen" "$host" "$port"
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    run_fg "$ns" client "$PYBIN" "$PEERS/py_ws.py" client "$scen" "$host" "$port"
    wait_pid "$spid" server
}

node_pair() {
    local ns=$1 host=$2 port=$3 scen=$4
    run_bg "$ns" server node "$PEERS/node_ws.js" server "$scen" "$host" "$port"
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    run_fg "$ns" client node "$PEERS/node_ws.js" client "$scen" "$host" "$port"
    wait_pid "$spid" server
}

PYWS="python-websockets server,python-websockets client"
NODEWS="node-ws server,node-ws client"

# [SIMPLE_PEERS=list] simple_py NAME FILE IFACE HOST PORT SCENARIO DESCRIPTION [capture args]
simple_py() {
    local name=$1 file=$2 iface=$3 host=$4 port=$5 scen=$6 desc=$7
    shift 7
    ns_fresh
    OUT_FILE="$HERE/$file"
    cap_start "$NS" "$OUT_FILE" "$iface" "tcp port $port" "$@"
    py_pair "$NS" "$host" "$port" "$scen"
    cap_stop
    merge "$name" "$desc" "${SIMPLE_PEERS:-$PYWS}"
}

# ---------------------------------------------------------------- the captures

rec_classroom() {
    simple_py classroom classroom.pcap lo 127.0.0.1 8765 classroom \
        "Teaching story: handshake, upgrade to /chat, Hello echo, Chinese text, 8-byte binary, 3-fragment text, ping/pong 'are you there?', close 1000 'bye', TCP teardown"
}

rec_echo-python() {
    simple_py echo-python echo-python.pcap lo 127.0.0.1 8765 echo \
        "Echo: text, binary, empty text and binary, 125/126-byte text and binary, 65535, 65536 and 3 MiB binary, two pings, close 1000"
}

rec_echo-node() {
    ns_fresh
    OUT_FILE="$HERE/echo-node.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port 8766"
    node_pair "$NS" 127.0.0.1 8766 echo
    cap_stop
    merge echo-node "Node ws echo: text, binary, empty messages, 125/126/65535/65536 bytes, 3 MiB binary, fragmented text, ping/pong, close 1000" "$NODEWS"
}

rec_udp() {
    ns_fresh
    OUT_FILE="$HERE/udp.pcap"
    cap_start "$NS" "$OUT_FILE" lo "udp port 9000 or tcp port 9001"
    run_bg "$NS" server "$PYBIN" "$PEERS/udp_tcp.py" server 127.0.0.1 9000
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    run_fg "$NS" client "$PYBIN" "$PEERS/udp_tcp.py" client 127.0.0.1 9000
    wait_pid "$spid" server
    cap_stop
    merge udp "Five readings echoed over UDP (port 9000: datagrams, no connection) and then over TCP (port 9001: handshake, stream, teardown), for contrast" "python-socket"
}

rec_refused() {
    ns_fresh
    OUT_FILE="$HERE/refused.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port 8799"
    run_fg "$NS" client "$PYBIN" "$PEERS/http_poll.py" refused 127.0.0.1 8799
    cap_stop
    merge refused "Connect to a closed port 8799: SYN answered by RST" "python-socket client"
}

rec_polling() {
    ns_fresh
    OUT_FILE="$HERE/polling.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port 8080"
    run_bg "$NS" server "$PYBIN" "$PEERS/http_poll.py" server 127.0.0.1 8080
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    run_fg "$NS" client "$PYBIN" "$PEERS/http_poll.py" client 127.0.0.1 8080
    wait_pid "$spid" server
    cap_stop
    merge polling "HTTP polling: 5 GET /poll on fresh connections (Connection: close, Content-Length), then one keep-alive connection with 3 requests, the second answered chunked" "python-http server,python-http client"
}

rec_polling-vs-ws() {
    SIMPLE_PEERS="python-websockets server,python-asyncio client (polls),python-websockets client" \
    simple_py polling-vs-ws polling-vs-ws.pcap lo 127.0.0.1 8765 polling-vs-ws \
        "The same 5 chat lines fetched first by 5 HTTP polls (one TCP connection each), then pushed over one WebSocket"
}

rec_ipv6() {
    simple_py ipv6 ipv6.pcap lo ::1 8765 ipv6 "Echo over IPv6 loopback [::1]:8765"
}

rec_cooked() {
    simple_py cooked cooked.pcap any 127.0.0.1 8765 small \
        "Small echo captured with tcpdump -i any -y LINUX_SLL: Linux cooked capture v1 (SLL, link type 113)" \
        -y LINUX_SLL
}

rec_cooked2() {
    simple_py cooked2 cooked2.pcapng any 127.0.0.1 8765 small \
        "Small echo captured by dumpcap -i any -y LINUX_SLL2: pcapng, Linux cooked capture v2 (link type 276)" \
        -y LINUX_SLL2
}

rec_dumpcap() {
    simple_py dumpcap dumpcap.pcapng lo 127.0.0.1 8765 small \
        "Small echo captured by dumpcap on lo: pcapng, Ethernet link type, microsecond timestamps (if_tsresol 6, the default)"
}

rec_lossy() {
    ns_pair
    run_bg "$NS_M" impair "$PYBIN" "$PEERS/impair.py" wsl-ma wsl-mb 6455
    wait_ready "$WORK/impair.out"
    OUT_FILE="$HERE/lossy.pcap"
    cap_start "$NS_B" "$OUT_FILE" wsl-b "tcp port 8767"
    run_bg "$NS_B" server node "$PEERS/node_ws.js" server lossy 10.77.0.2 8767
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    run_fg "$NS_A" client node "$PEERS/node_ws.js" client lossy 10.77.0.2 8767
    wait_pid "$spid" server
    cap_stop
    merge lossy "Node ws echo of 300 messages (1 B to 20 KB) over a veth link impaired in user space (client to server: 3% loss, 5+-2 ms delay, 10% held back 15 ms; server to client: 1% loss); captured at the server's end: real retransmissions, gaps and out-of-order segments" "$NODEWS"
}

rec_deflate() {
    simple_py deflate deflate.pcap lo 127.0.0.1 8765 deflate \
        "permessage-deflate with context takeover (window 15): 40 similar JSON chat lines compress better and better, a 64-byte random binary (compressed anyway: websockets always compresses), a 4000-byte run, a fragmented compressed message"
}

rec_deflate-nocontext() {
    simple_py deflate-nocontext deflate-nocontext.pcap lo 127.0.0.1 8765 deflate-nocontext \
        "permessage-deflate with server_no_context_takeover and client_no_context_takeover: every message compressed on its own"
}

rec_deflate-window() {
    simple_py deflate-window deflate-window.pcap lo 127.0.0.1 8765 deflate-window \
        "permessage-deflate with client_max_window_bits=10 and server_max_window_bits=11"
}

rec_close-server() {
    simple_py close-server close-server.pcap lo 127.0.0.1 8765 close-server \
        "The server sends three messages, then closes with 1001 'going away: server restarting'; the client echoes the close"
}

rec_rejected() {
    SIMPLE_PEERS="python-websockets server,python-websockets client,python-asyncio client (plain GET)" \
    simple_py rejected rejected.pcap lo 127.0.0.1 8765 rejected \
        "Two refused upgrades: GET /private with Upgrade answered 403 by process_request; a plain GET without Upgrade answered 426 Upgrade Required by websockets itself"
}

rec_chat() {
    ns_fresh
    OUT_FILE="$HERE/chat.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port 8768"
    run_bg "$NS" server node "$PEERS/node_ws.js" server chat 127.0.0.1 8768
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    local pids=() n
    for n in alice bob carol; do
        run_bg "$NS" "client-$n" node "$PEERS/node_ws.js" client chat 127.0.0.1 8768 "$n"
        pids+=("$LAST_PID")
    done
    for n in 0 1 2; do wait_pid "${pids[$n]}" client; done
    wait_pid "$spid" server
    cap_stop
    merge chat "Node ws chat server with three concurrent clients (alice, bob, carol); every line is broadcast to all three" "node-ws server,node-ws client"
}

rec_tiny-segments() {
    ns_fresh
    OUT_FILE="$HERE/tiny-segments.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port 8765"
    run_bg "$NS" server "$PYBIN" "$PEERS/py_ws.py" server tiny 127.0.0.1 8765
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    run_fg "$NS" client "$PYBIN" "$PEERS/raw_ws.py" tiny-client 127.0.0.1 8765
    wait_pid "$spid" server
    cap_stop
    merge tiny-segments "Raw-socket client (TCP_NODELAY) writes the upgrade request in 5-byte pieces, its first frame byte by byte and its second 3 bytes at a time; python websockets server echoes" "python-websockets server,python-raw client"
}

rec_bad-accept() {
    ns_fresh
    OUT_FILE="$HERE/bad-accept.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port 8765"
    run_bg "$NS" server "$PYBIN" "$PEERS/raw_ws.py" bad-server 127.0.0.1 8765
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    run_fg "$NS" client "$PYBIN" "$PEERS/raw_ws.py" bad-client 127.0.0.1 8765
    wait_pid "$spid" server
    cap_stop
    merge bad-accept "DELIBERATELY misbehaving raw-socket server: 101 with a wrong Sec-WebSocket-Accept; the raw-socket client computes the right value, sees the mismatch and closes the TCP connection without sending any frame" "python-raw server,python-raw client"
}

# [BROWSER_KEYLOG=FILE] browser_run NAME PORT SCHEME [chromium args...]: headless Chromium loads
# SCHEME://127.0.0.1:PORT/ from browser_server.py (the page polls, then opens its WebSocket);
# NAME.pcap and the page's and server's logs in $WORK (merged by the caller). With
# BROWSER_KEYLOG, Chromium (only) gets SSLKEYLOGFILE=FILE.
browser_run() {
    local name=$1 port=$2 scheme=$3
    shift 3
    command -v chromium >/dev/null || { log "$name: chromium not installed (apt-get install -y chromium)"; return 1; }
    ns_fresh
    OUT_FILE="$HERE/$name.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port $port"
    run_bg "$NS" server "$PYBIN" "$PEERS/browser_server.py" 127.0.0.1 "$port"
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    local profile
    profile=$(mktemp -d "$WORK/chromium.XXXXXX")
    local envs=()
    [ -n "${BROWSER_KEYLOG:-}" ] && envs=(SSLKEYLOGFILE="$BROWSER_KEYLOG")
    run_bg "$NS" chromium env "${envs[@]}" chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-features=Translate,OptimizationHints,MediaRouter \
        --user-data-dir="$profile" --enable-logging=stderr --v=0 \
        --remote-debugging-port=0 "$@" "$scheme://127.0.0.1:$port/"
    local cpid=$LAST_PID
    wait_pid "$spid" server
    kill "$cpid" 2>/dev/null || true
    wait "$cpid" 2>/dev/null || true
    cap_stop
    # The page reports its own sends/receives on the console; chromium prints them on stderr.
    "$PYBIN" "$PEERS/browser_server.py" --console "$WORK/chromium.err" "$WORK/server.ndjson" >"$WORK/page.ndjson"
}

rec_browser() {
    browser_run browser 8770 http
    merge browser "Headless Chromium: page load, 3 fetch() polls, then a WebSocket with permessage-deflate (browser default) exchanging text and binary, closed 1000 by the page" "chromium page,python-websockets server"
}

rec_cdp() {
    command -v chromium >/dev/null || { log "cdp: chromium not installed (apt-get install -y chromium)"; return 1; }
    ns_fresh
    OUT_FILE="$HERE/cdp.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port 9222"
    local profile
    profile=$(mktemp -d "$WORK/chromium.XXXXXX")
    run_bg "$NS" chromium chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-features=Translate,OptimizationHints,MediaRouter \
        --user-data-dir="$profile" --remote-debugging-address=127.0.0.1 \
        --remote-debugging-port=9222 --remote-allow-origins='*' about:blank
    local cpid=$LAST_PID
    run_fg "$NS" client "$PYBIN" "$PEERS/cdp_client.py" 127.0.0.1 9222
    kill "$cpid" 2>/dev/null || true
    wait "$cpid" 2>/dev/null || true
    cap_stop
    merge cdp "Headless Chromium driven over the Chrome DevTools Protocol: GET /json/list, then the page's WebSocket: Runtime.enable (events follow), Runtime.evaluate (a value, then a thrown exception), Page.enable, Page.navigate to a data: URL (events), an unknown method (error reply)" "chromium devtools,python-websockets client"
}

rec_mqtt() {
    ns_fresh
    OUT_FILE="$HERE/mqtt.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port 8772"
    run_bg "$NS" broker node "$PEERS/mqtt_broker.js" 127.0.0.1 8772
    local bpid=$LAST_PID
    wait_ready "$WORK/broker.out"
    run_fg "$NS" client "$PYBIN" "$PEERS/mqtt_client.py" 127.0.0.1 8772
    kill "$bpid" 2>/dev/null || true
    wait "$bpid" 2>/dev/null || true
    cap_stop
    merge mqtt "MQTT over WebSocket (subprotocol mqtt): a paho-mqtt MQTT 3.1.1 session against the aedes broker: subscribe wslens/# QoS 2, publish QoS 0/1/2 (delivered back: QoS 1 and 2 flows both ways), retained publish, unsubscribe, ping, disconnect" "aedes broker (websocket-stream),paho-mqtt client"
}

rec_jsonrpc() {
    ns_fresh
    OUT_FILE="$HERE/jsonrpc.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port 8778"
    run_bg "$NS" server "$PYBIN" "$PEERS/jsonrpc_peers.py" server 127.0.0.1 8778
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    run_fg "$NS" client "$PYBIN" "$PEERS/jsonrpc_peers.py" client 127.0.0.1 8778
    sleep 0.3
    kill "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    cap_stop
    merge jsonrpc "JSON-RPC 2.0 over WebSocket: jsonrpcserver behind a python websockets server, jsonrpcclient messages from a python websockets client: two requests, a notification, an unknown method (-32601), wrong parameters (-32602), an application error, a batch of two requests and a notification" "jsonrpcserver + python-websockets server,jsonrpcclient + python-websockets client"
}

# RabbitMQ with its web-stomp plugin, in $NS, from a fresh state directory under $WORK (the
# Debian package's own service is not used).  Prints nothing; waits until web-stomp listens.
rabbit_start() {
    command -v /usr/lib/rabbitmq/bin/rabbitmq-server >/dev/null ||
        { log "stomp: RabbitMQ not installed (apt-get install -y rabbitmq-server)"; return 1; }
    local d="$WORK/rabbit"
    mkdir -p "$d"
    printf '%s\n' 'listeners.tcp = none' 'stomp.listeners.tcp = none' \
        'web_stomp.tcp.ip = 127.0.0.1' "web_stomp.tcp.port = $1" 'loopback_users = none' >"$d/rabbitmq.conf"
    echo '[rabbitmq_web_stomp].' >"$d/enabled_plugins"
    HOME="$d" RABBITMQ_CONFIG_FILE="$d/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" \
        RABBITMQ_MNESIA_BASE="$d/mnesia" RABBITMQ_LOG_BASE="$d/log" RABBITMQ_LOGS=- \
        RABBITMQ_NODENAME=wslens@localhost RABBITMQ_PID_FILE="$d/pid" \
        run_bg "$NS" broker /usr/lib/rabbitmq/bin/rabbitmq-server
    local i
    for i in $(seq 600); do
        grep -q 'Server startup complete' "$WORK/broker.out" 2>/dev/null && return 0
        sleep 0.1
    done
    log "RabbitMQ did not start:"; tail -20 "$WORK/broker.out" >&2
    return 1
}

# Every process left in $NS (the broker, its epmd and helpers): all were started here.
ns_kill_all() {
    local p
    for p in $(ip netns pids "$NS"); do kill "$p" 2>/dev/null || true; done
    sleep 0.5
}

rec_stomp() {
    ns_fresh
    OUT_FILE="$HERE/stomp.pcap"
    rabbit_start 15674
    cap_start "$NS" "$OUT_FILE" lo "tcp port 15674"
    run_fg "$NS" stompjs node "$PEERS/stomp_client.js" 127.0.0.1 15674
    run_fg "$NS" stomppy "$PYBIN" "$PEERS/stomp_client.py" 127.0.0.1 15674
    cap_stop
    ns_kill_all
    merge stomp "STOMP over WebSocket against RabbitMQ 3.10 web-stomp: @stomp/stompjs (subprotocol v12.stomp, heart-beats 1000 ms both ways) subscribes with a receipt, sends JSON, a binary body with a NUL (content-length), an escaped header, a transaction, acks each delivery, idles for heart-beats, unsubscribes with a receipt, then sends to a missing exchange with a receipt (ERROR naming it); then stomp.py (no subprotocol: recognised from content) subscribes, sends two messages, acks one, nacks one, unsubscribes and disconnects with receipts" "RabbitMQ web-stomp,@stomp/stompjs client,stomp.py client"
}

# graphql_pair NAME FLAVOUR PORT DESCRIPTION PEERS: the graphql.js server and client in $NS.
graphql_pair() {
    ns_fresh
    OUT_FILE="$HERE/$1.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port $3"
    run_bg "$NS" server node "$PEERS/graphql.js" server "$2" 127.0.0.1 "$3"
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    run_fg "$NS" client node "$PEERS/graphql.js" client "$2" 127.0.0.1 "$3"
    wait_pid "$spid" server
    cap_stop
    merge "$1" "$4" "$5"
}

rec_graphql-ws() {
    graphql_pair graphql-ws modern 8773 "GraphQL over WebSocket, subprotocol graphql-transport-ws: npm graphql-ws 5.16.2 server (useServer on ws) and client (createClient, keep-alive pings): connection_init/ack, a query (next, complete), a subscription to its end (3 next, complete), a query failing validation (error), a subscription the client completes after its first result, ping/pong" "graphql-ws server,graphql-ws client"
}

rec_graphql-legacy() {
    graphql_pair graphql-legacy legacy 8774 "GraphQL over WebSocket, legacy subprotocol graphql-ws: subscriptions-transport-ws 0.11.0 SubscriptionServer (keep-alive ka every 400 ms) and SubscriptionClient: connection_init/ack, a query (data, complete), a subscription to its end (3 data, complete), a query failing validation (data with errors, complete), a subscription the client stops after its first result, connection_terminate" "subscriptions-transport-ws server,subscriptions-transport-ws client"
}

rec_mqtt5() {
    command -v mosquitto >/dev/null || { log "mqtt5: mosquitto not installed (apt-get install -y mosquitto)"; return 1; }
    ns_fresh
    OUT_FILE="$HERE/mqtt5.pcap"
    printf '%s\n' 'user root' 'listener 1883 127.0.0.1' 'allow_anonymous true' >"$WORK/mosquitto.conf"
    cap_start "$NS" "$OUT_FILE" lo "tcp port 8776"
    run_bg "$NS" mosquitto mosquitto -c "$WORK/mosquitto.conf"
    local mpid=$LAST_PID
    run_bg "$NS" bridge node "$PEERS/mqtt5_bridge.js" 127.0.0.1 8776 1883
    local bpid=$LAST_PID
    wait_ready "$WORK/bridge.out"
    run_fg "$NS" client "$PYBIN" "$PEERS/mqtt_client.py" 127.0.0.1 8776 5
    kill "$bpid" "$mpid" 2>/dev/null || true
    wait "$bpid" 2>/dev/null || true
    wait "$mpid" 2>/dev/null || true
    cap_stop
    merge mqtt5 "MQTT 5 over WebSocket (subprotocol mqtt): a paho-mqtt MQTT 5 session against Debian's mosquitto 2.0.11 (plain TCP) behind a websocket-stream listener that passes bytes unchanged: subscribe wslens/# QoS 2, publish QoS 0/1/2 with properties (content type, user property; delivered back, so the QoS 1 and 2 flows run both ways), retained publish, unsubscribe, ping, disconnect" "mosquitto 2.0.11 (via websocket-stream),paho-mqtt client"
}

rec_bad-accept-ping() {
    ns_fresh
    OUT_FILE="$HERE/bad-accept-ping.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port 8765"
    run_bg "$NS" server "$PYBIN" "$PEERS/raw_ws.py" bad-server-ping 127.0.0.1 8765
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    run_fg "$NS" client "$PYBIN" "$PEERS/raw_ws.py" bad-client 127.0.0.1 8765
    wait_pid "$spid" server
    cap_stop
    merge bad-accept-ping "DELIBERATELY misbehaving raw-socket server: 101 with a wrong Sec-WebSocket-Accept, then at once an unmasked ping frame 'still there?'; the raw-socket client sees the mismatch and closes the TCP connection without sending any frame" "python-raw server,python-raw client"
}

rec_socketio() {
    ns_fresh
    OUT_FILE="$HERE/socketio.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port 8771"
    run_bg "$NS" server node "$PEERS/socketio.js" server 127.0.0.1 8771
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    run_fg "$NS" client node "$PEERS/socketio.js" client 127.0.0.1 8771
    wait_pid "$spid" server
    cap_stop
    merge socketio "Socket.IO 4 (Engine.IO 4) with default transports: long-polling, the probe and upgrade to WebSocket, events both ways, acks both ways, a binary upload and a reply with two attachments, the /admin namespace, heartbeats every 300 ms, disconnect" "socket.io server,socket.io-client"
}

rec_socketio-msgpack() {
    ns_fresh
    OUT_FILE="$HERE/socketio-msgpack.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port 8775"
    run_bg "$NS" server node "$PEERS/socketio.js" server 127.0.0.1 8775 msgpack
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    run_fg "$NS" client node "$PEERS/socketio.js" client 127.0.0.1 8775 msgpack
    wait_pid "$spid" server
    cap_stop
    merge socketio-msgpack "Socket.IO 4 with socket.io-msgpack-parser on both ends (each Socket.IO packet one MessagePack binary message; over long-polling as b-prefixed base64): the same session as socketio.pcap: polling, upgrade, events and acks both ways, binary arguments, the /admin namespace, heartbeats, disconnect" "socket.io server (msgpack parser),socket.io-client (msgpack parser)"
}

# ---------------------------------------------------------------- wss:// (TLS)

# tls_cert: a self-signed certificate for the recording's servers (CN localhost, 127.0.0.1).
tls_cert() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=localhost/O=wslens test" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
    export WSLENS_TLS_CERT="$WORK/tls.crt" WSLENS_TLS_KEY="$WORK/tls.key"
}

# tls_finish NAME [pcapng-only]: NAME.keys (the client's NSS key log) next to NAME.pcap, and
# NAME.pcapng with the same keys embedded as a Decryption Secrets Block (editcap
# --inject-secrets). Large recordings keep only the pcapng (the .pcap is the same packets).
tls_finish() {
    local name=$1
    cp "$WORK/keys.log" "$HERE/$name.keys"
    chmod 644 "$HERE/$name.keys"
    editcap --inject-secrets "tls,$HERE/$name.keys" "$HERE/$name.pcap" "$HERE/$name.pcapng"
    chmod 644 "$HERE/$name.pcapng"
    [ "${2:-}" = pcapng-only ] && rm -f "$HERE/$name.pcap"
    unset WSLENS_TLS_CERT WSLENS_TLS_KEY WSLENS_TLS_VERSION WSLENS_TLS_CIPHERS WSLENS_TLS_KEYLOG
}

# tls_py NAME PORT SCENARIO VERSION CIPHERS DESCRIPTION
tls_py() {
    local name=$1 port=$2 scen=$3 version=$4 ciphers=$5 desc=$6
    tls_cert
    : >"$WORK/keys.log"
    export WSLENS_TLS_VERSION=$version WSLENS_TLS_CIPHERS=$ciphers WSLENS_TLS_KEYLOG="$WORK/keys.log"
    simple_py "$name" "$name.pcap" lo 127.0.0.1 "$port" "$scen" "$desc"
    tls_finish "$name" ${TLS_ONLY_PCAPNG:+pcapng-only}
}

rec_tls13-python() {
    TLS_ONLY_PCAPNG=1 tls_py tls13-python 8443 echo 1.3 "" \
        "wss:// over TLS 1.3 (python ssl/OpenSSL: TLS_AES_256_GCM_SHA384, x25519): the echo scenario (text, binary, empty, 125/126/65535/65536 bytes, 3 MiB, pings, close 1000); the client's key log in tls13-python.keys, embedded in tls13-python.pcapng"
}

rec_tls12-gcm() {
    tls_py tls12-gcm 8444 deflate 1.2 "ECDHE-RSA-AES256-GCM-SHA384" \
        "wss:// over TLS 1.2 with ECDHE-RSA-AES256-GCM-SHA384 (SHA-384 PRF), permessage-deflate chat lines inside; key log in tls12-gcm.keys, embedded in tls12-gcm.pcapng"
}

rec_tls12-chacha() {
    tls_py tls12-chacha 8445 small 1.2 "ECDHE-RSA-CHACHA20-POLY1305" \
        "wss:// over TLS 1.2 pinned to ECDHE-RSA-CHACHA20-POLY1305; key log in tls12-chacha.keys, embedded in tls12-chacha.pcapng"
}

# tls_node NAME PORT SCENARIO CIPHERS DESCRIPTION   (node writes its keys with --tls-keylog)
tls_node() {
    local name=$1 port=$2 scen=$3 ciphers=$4 desc=$5
    tls_cert
    : >"$WORK/keys.log"
    export WSLENS_TLS_CIPHERS=$ciphers
    ns_fresh
    OUT_FILE="$HERE/$name.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port $port"
    run_bg "$NS" server node "$PEERS/node_ws.js" server "$scen" 127.0.0.1 "$port"
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    run_fg "$NS" client node --tls-keylog="$WORK/keys.log" "$PEERS/node_ws.js" client "$scen" 127.0.0.1 "$port"
    wait_pid "$spid" server
    cap_stop
    merge "$name" "$desc" "$NODEWS"
    tls_finish "$name" ${TLS_ONLY_PCAPNG:+pcapng-only}
}

rec_tls13-node() {
    TLS_ONLY_PCAPNG=1 tls_node tls13-node 8446 echo "TLS_AES_128_GCM_SHA256" \
        "node ws over wss:// (TLS 1.3, TLS_AES_128_GCM_SHA256 pinned): echo of text, binary, empty messages, 125/126/65535/65536 bytes, 3 MiB binary, fragmented text, ping/pong, close 1000; key log from node --tls-keylog"
}

# browser-tls: the browser scenario over https:// and wss:// (python ssl server, the script's
# self-signed certificate, accepted by its SPKI pin only), the keys from Chromium's own
# SSLKEYLOGFILE.
rec_browser-tls() {
    tls_cert
    : >"$WORK/keys.log"
    local spki
    spki=$(openssl x509 -in "$WORK/tls.crt" -pubkey -noout | openssl pkey -pubin -outform der \
        | openssl dgst -sha256 -binary | base64)
    BROWSER_KEYLOG="$WORK/keys.log" browser_run browser-tls 8773 https \
        --ignore-certificate-errors-spki-list="$spki"
    merge browser-tls "Headless Chromium over https:// and wss:// (TLS 1.3, python ssl server, self-signed certificate): page load, 3 fetch() polls, then a WebSocket with permessage-deflate exchanging text and binary, closed 1000 by the page; Chromium's SSLKEYLOGFILE in browser-tls.keys, embedded in browser-tls.pcapng" "chromium page,python-websockets server"
    tls_finish browser-tls
}

rec_tls13-chacha() {
    tls_node tls13-chacha 8447 lossy "TLS_CHACHA20_POLY1305_SHA256" \
        "node ws over wss:// (TLS 1.3, TLS_CHACHA20_POLY1305_SHA256 pinned): 300 echoed messages of 1 B to 20 KB; key log from node --tls-keylog"
}

# tls13-keyupdate: TLS 1.3 KeyUpdates mid-conversation. The client's TLS is `openssl s_client`
# (python's ssl cannot send a KeyUpdate; s_client does on a line `k` / `K`), driven by
# peers/keyupdate_client.py, which writes the upgrade request and masked frames to its input;
# the server is python websockets over TLS 1.3. s_client writes the key log.
rec_tls13-keyupdate() {
    local port=8448
    tls_cert
    : >"$WORK/keys.log"
    export WSLENS_TLS_VERSION=1.3
    ns_fresh
    OUT_FILE="$HERE/tls13-keyupdate.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port $port"
    run_bg "$NS" server "$PYBIN" "$PEERS/py_ws.py" server echo 127.0.0.1 "$port"
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    run_fg "$NS" client "$PYBIN" "$PEERS/keyupdate_client.py" 127.0.0.1 "$port" "$WORK/keys.log"
    wait_pid "$spid" server
    cap_stop
    merge tls13-keyupdate "wss:// over TLS 1.3 (TLS_AES_256_GCM_SHA384) with KeyUpdates mid-conversation: openssl s_client (driven by a script writing the upgrade request and masked frames) against python websockets; two messages echoed, the client's KeyUpdate (update_not_requested), a message, the client's KeyUpdate with update_requested and the server's KeyUpdate in answer, three more messages (one of 40,000 bytes), close 1000; key log from s_client -keylogfile" "python-websockets server,openssl-s_client client"
    tls_finish tls13-keyupdate
}

# ---------------------------------------------------------------- bench (never committed)

rec_bench() {
    local which=$1 dir=$2
    mkdir -p "$dir"
    CAP_IMMEDIATE=
    ns_fresh
    OUT_FILE="$dir/$which.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port 8790"
    run_bg "$NS" server node "$PEERS/node_ws.js" server "$which" 127.0.0.1 8790
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    PEERLOG= ip netns exec "$NS" node "$PEERS/node_ws.js" client "$which" 127.0.0.1 8790
    wait_pid "$spid" server
    cap_stop
    log "$OUT_FILE: $(du -h "$OUT_FILE" | cut -f1)"
}

# bench-bulk-tls: the bulk workload over wss:// (TLS 1.3, Node's default TLS_AES_256_GCM_SHA384),
# the client's key log next to it as bench-bulk-tls.keys.
rec_bench_tls() {
    local dir=$1
    mkdir -p "$dir"
    CAP_IMMEDIATE=
    tls_cert
    : >"$WORK/keys.log"
    ns_fresh
    OUT_FILE="$dir/bench-bulk-tls.pcap"
    cap_start "$NS" "$OUT_FILE" lo "tcp port 8791"
    run_bg "$NS" server node "$PEERS/node_ws.js" server bench-bulk 127.0.0.1 8791
    local spid=$LAST_PID
    wait_ready "$WORK/server.out"
    PEERLOG= ip netns exec "$NS" node --tls-keylog="$WORK/keys.log" "$PEERS/node_ws.js" client bench-bulk 127.0.0.1 8791
    wait_pid "$spid" server
    cap_stop
    cp "$WORK/keys.log" "$dir/bench-bulk-tls.keys"
    unset WSLENS_TLS_CERT WSLENS_TLS_KEY
    log "$OUT_FILE: $(du -h "$OUT_FILE" | cut -f1)"
}

ALL=(classroom echo-python echo-node refused polling polling-vs-ws ipv6 cooked cooked2 dumpcap
     lossy deflate deflate-nocontext deflate-window close-server chat tiny-segments rejected
     bad-accept browser udp socketio bad-accept-ping cdp mqtt mqtt5 stomp graphql-ws graphql-legacy socketio-msgpack tls13-python tls12-gcm tls12-chacha tls13-node tls13-chacha
     browser-tls tls13-keyupdate jsonrpc)

main() {
    [ "$(id -u)" = 0 ] || { log "needs root (network namespaces and packet capture)"; exit 1; }
    [ $# -gt 0 ] || { sed -n '2,10p' "$0"; exit 1; }
    deps
    if [ "$1" = bench-bulk-tls ]; then
        rec_bench_tls "${2:-$REPO/bench-data}"
        return
    fi
    if [ "$1" = bench-chatty ] || [ "$1" = bench-bulk ]; then
        rec_bench "$1" "${2:-$REPO/bench-data}"
        return
    fi
    local names=("$@")
    [ "$1" = all ] && names=("${ALL[@]}")
    local n
    for n in "${names[@]}"; do
        declare -F "rec_$n" >/dev/null || { log "unknown capture: $n"; exit 1; }
        log "recording $n"
        "rec_$n"
        cleanup
    done
}

main "$@"
