#!/usr/bin/env bash
# Cross-check each capture against its peer log with tshark: data messages (opcode 1/2 frames
# that start a message) and close frames seen on the wire vs. "sent" lines in the log.
# Pings are not compared: python websockets servers cannot log their automatic pongs.
cd "$(dirname "$0")"
status=0
for f in *.pcap *.pcapng; do
    name=${f%.*}
    log=$name.peers.ndjson
    [ -f "$log" ] || continue
    # Application-level logs (Socket.IO) are compared by tests/decode/appproto.rs instead.
    grep -q '"proto":"socket.io"' "$log" && continue
    # wss:// recordings: decrypted with their own key log (a .pcapng has it inside as well);
    # ports 8443-8448 are not TLS to tshark's port table, so they are named.
    tls=()
    [ -f "$name.keys" ] && tls=(-o "tls.keylog_file:$name.keys" -d tcp.port==8443-8448,tls)
    wire=$(tshark -r "$f" -2 -o tcp.reassemble_out_of_order:TRUE "${tls[@]}" \
        -d tcp.port==8765,http -d tcp.port==8766,http -d tcp.port==8767,http \
        -d tcp.port==8768,http -d tcp.port==8770,http \
        -Y websocket -T fields -e websocket.opcode -E occurrence=a 2>/dev/null |
        tr '\t,' '\n\n' | awk '$1==1||$1==2{d++} $1==8{c++} END{printf "%d %d", d, c}')
    logged=$(grep '"action":"sent"' "$log" |
        awk '/"opcode":"(text|binary)"/{d++} /"opcode":"close"/{c++} END{printf "%d %d", d, c}')
    if [ "$wire" = "$logged" ]; then
        printf 'ok   %-22s data+close on wire = logged: %s\n' "$f" "$wire"
    else
        printf 'FAIL %-22s wire %s, logged %s\n' "$f" "$wire" "$logged"
        status=1
    fi
done
exit $status
