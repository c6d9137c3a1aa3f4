//! English catalogue. Placeholders in braces are filled by the narration; keep them identical
//! in every language (a test checks).

use super::catalog::Msg::{self, *};

pub(super) fn text(id: Msg) -> &'static str {
    match id {
        WClient => "client",
        WServer => "server",
        WYes => "yes",
        WNo => "no",
        ListSep => ", ",

        ConnOpenTcp => {
            "New TCP connection {conn}. A socket is named by five facts: protocol {proto}, local IP {lip}, local port {lport}, remote IP {rip}, remote port {rport} (seen from the client; the server sees the same five with local and remote swapped)."
        }
        ConnOpenSteps => {
            "Connecting takes three steps: the server listens (a program must be waiting for requests on port {rport}), the client requests (from the temporary port {lport} it picked), and the connection is confirmed (the three-way handshake that follows). Whether anything listens on port {rport} shows in the server's answer."
        }
        ConnOpenGuessed => "The SYN was not captured, so which end is the client is only a guess.",
        ConnOpenUdp => {
            "New UDP conversation {conn}: protocol {proto}, local IP {lip}, local port {lport}, remote IP {rip}, remote port {rport}. UDP is connectionless: no handshake, the first datagram simply goes, like a text message rather than a phone call."
        }

        Syn => {
            "Handshake 1/3: the client asks to connect (SYN) and chooses its initial sequence number j = {isn}. The SYN carries no data but uses up one sequence number, so the client's first data byte will be number j+1 = {next}."
        }
        SynOpts => "The {who} also announces: {opts}.",
        OptMss => "largest segment it accepts (MSS) {mss} bytes",
        OptWscale => "window scale ×{factor}",
        OptSack => "selective acknowledgements (SACK)",
        OptTs => "timestamps",
        SynAck => {
            "Handshake 2/3: the server accepts (SYN+ACK). ack = {ack} = j+1 = {isn_peer}+1, because the client's SYN consumed one sequence number and ack names the next byte the server expects. The server picks its own initial sequence number k = {isn}."
        }
        SynAckOdd => {
            "Handshake 2/3: the server answers SYN+ACK with its own initial sequence number k = {isn}; ack = {ack} names the next client byte it expects."
        }
        HsAck => {
            "Handshake 3/3: the client confirms (ACK). ack = {ack} = k+1 = {isn_peer}+1, because the server's SYN also consumed one sequence number. The connection is confirmed: from now on both ends may send at the same time (full duplex)."
        }
        HsAckOdd => {
            "Handshake 3/3: the client confirms (ACK, ack = {ack}) and the connection is established."
        }
        Data => {
            "{len} bytes of data from the {who}: bytes {first}…{last} of its stream (seq {seq} minus its initial sequence number {isn} = {first}). The {who}'s next segment will start at {next}."
        }
        DataAck => {
            "Its ack = {rel_ack} also confirms every byte the {peer} sent before number {rel_ack} (the acknowledgement rides along with the data)."
        }
        AckOnly => {
            "A pure acknowledgement, no data: ack = {ack} (relative {rel_ack}) tells the {peer} that every byte before {rel_ack} has arrived."
        }
        Fin => {
            "FIN from the {who}: it has nothing more to send and closes its half of the connection; the other direction stays open until the {peer} sends its own FIN. Like the SYN, the FIN uses one sequence number ({rel_seq})."
        }
        Rst => {
            "RST from the {who}: the connection is aborted at once, without the FIN goodbye; data not yet delivered is thrown away."
        }
        RstRefused => {
            "RST answering a SYN: nothing listens on port {port}, so the server's system refuses the connection (the client sees \"connection refused\"). No socket listened, so the server's side never left CLOSED and the client is CLOSED again."
        }
        Retrans => {
            "Retransmission: these bytes were sent before; no acknowledgement came back in time, so the sender sent them again. TCP is reliable because it retries."
        }
        OutOfOrder => {
            "Out of order: this segment arrived before earlier bytes; the receiver keeps it until the hole is filled."
        }
        DupAck => {
            "Duplicate ACK: the receiver repeats ack {rel_ack} because bytes are missing; three duplicates make the sender retransmit at once (fast retransmit)."
        }
        Lost => {
            "Bytes before this segment were not captured (a lost packet or a gap in the capture)."
        }
        OtherAnalysis => "TCP analysis: {names}.",
        StateNow => "The {who} is now {state}: {meaning}",
        StateBoth => "Both ends are now {state}: {meaning}",
        MClosed => "no connection.",
        MListen => "waiting for connection requests (the server listens).",
        MSynSent => "it sent a SYN and waits for the server's confirmation.",
        MSynReceived => "it received a SYN, answered with SYN+ACK and waits for the final ACK.",
        MEstablished => "the connection is open and data can flow both ways.",
        MFinWait1 => "it sent a FIN and waits for it to be acknowledged.",
        MFinWait2 => "its FIN was acknowledged; it waits for the other side's FIN.",
        MCloseWait => "the other side has finished sending; this end may still send, then close.",
        MClosing => "both sides sent FIN at the same time; it waits for the ACK of its own FIN.",
        MLastAck => "it sent its FIN after the other side's and waits for the last ACK.",
        MTimeWait => {
            "it closed first, so it waits 2×MSL before forgetting the connection, so that stray old packets cannot confuse a new connection on the same ports."
        }
        AliasSynSent => "SYN_SENT",
        AliasSynReceived => "SYN_RECEIVED",

        CloseFin => {
            "Connection {conn} is closed: both ends sent FIN and acknowledged the other's (the four-way goodbye)."
        }
        CloseRst => "Connection {conn} ended with a reset (RST).",
        CloseRefused => {
            "Connection {conn} never opened: the SYN was refused because nothing listened."
        }
        CloseIncomplete => "Connection {conn} was still open when the capture ended.",
        CloseStates => "Final states: client {cstate}, server {sstate}.",
        CloseShort => {
            "This was a short connection: it carried one HTTP request and closed, and the same thing had been asked before. Every new question costs a new connection and a new three-way handshake; asking again and again like this is polling."
        }

        Udp => {
            "A UDP datagram of {len} bytes from the {who}: no handshake, no acknowledgement, no ordering (connectionless, unreliable, fast)."
        }

        HttpRequest => {
            "HTTP request {method} {path}: the client asks for a resource. HTTP is an application protocol carried inside the TCP connection; this head is {head_len} bytes."
        }
        HttpUpgradeReq => {
            "Upgrade: {upgrade} with Connection: {connection} asks the server to switch this same TCP connection from HTTP to the WebSocket protocol."
        }
        HttpKey => {
            "Sec-WebSocket-Key: {key} is 16 random bytes in base64; the server must answer with a value computed from it, proving it really speaks WebSocket. Sec-WebSocket-Version: {version} (13 is RFC 6455)."
        }
        HttpExtOffer => {
            "Sec-WebSocket-Extensions: {ext} offers extensions; permessage-deflate means each message may be compressed."
        }
        HttpProtoOffer => {
            "Sec-WebSocket-Protocol: {proto} names the application subprotocols the client can speak."
        }
        HttpResponse => "HTTP response {status} {reason}, with a {head_len}-byte head.",
        HttpBody => {
            "The body is {body_len} bytes: {head_len} bytes of head were sent for {body_len} bytes of content."
        }
        HttpConnClose => {
            "Connection: close: the TCP connection ends after this exchange (a short connection)."
        }
        Http101 => {
            "101 Switching Protocols: the server agrees; after the last byte of this head the connection speaks WebSocket, not HTTP."
        }
        HttpAccept => {
            "Sec-WebSocket-Accept: {accept} is the server's proof: base64 of the SHA-1 of the client's key followed by a fixed GUID."
        }
        HttpExtAccept => "Sec-WebSocket-Extensions: {ext} are the extensions the server accepted.",
        HttpProtoAccept => "Sec-WebSocket-Protocol: {proto} is the subprotocol the server chose.",

        WsOpen => {
            "WebSocket handshake complete on connection {conn}: one HTTP request and one answer turned the TCP connection into a persistent, full-duplex WebSocket."
        }
        WsAcceptSteps => {
            "Accept check: \"{key}\" + \"{guid}\" → SHA-1 {sha1} → base64 {expected}; the server sent {accept}: {verdict}."
        }
        VerdictOk => "correct",
        VerdictBad => "WRONG, a real client must refuse this server",
        WsDeflate => {
            "permessage-deflate agreed: messages may be compressed (RSV1=1 marks a compressed one); windows of {sbits} bits (server) and {cbits} bits (client); compression context kept between messages: server {stake}, client {ctake}."
        }
        WsFailed => {
            "The upgrade failed (status {status}): {problems}. No WebSocket frames follow on connection {conn}."
        }

        Frame => {
            "WebSocket frame with a {hlen}-byte header: FIN={fin}, RSV={rsv}, opcode {op} = {opname}, MASK={mask}, payload {len} bytes ({lenform})."
        }
        LenForm7 => "the 7-bit length field holds it",
        LenForm16 => "length code 126: a 16-bit length follows",
        LenForm64 => "length code 127: a 64-bit length follows",
        OpContinuation => "continuation (the next piece of a fragmented message)",
        OpText => "text (UTF-8)",
        OpBinary => "binary",
        OpClose => "close",
        OpPing => "ping (are you there?)",
        OpPong => "pong (the answer to a ping)",
        OpReserved => "reserved (not allowed without an extension)",
        FrameMasked => {
            "Client frames must be masked: the payload is XORed with the 4-byte key {key}, repeating (byte i XOR key[i mod 4]), so that caches and proxies cannot be tricked by bytes an attacker chose."
        }
        FrameUnmasked => "Server frames are sent unmasked (MASK=0).",
        FrameUnmaskedClient => {
            "This client frame is NOT masked: RFC 6455 requires the server to close the connection."
        }
        FrameMaskedServer => "This server frame is masked, which RFC 6455 forbids.",
        FrameFragment => {
            "FIN=0: more frames of this message follow (fragmentation); continuation frames carry the rest."
        }
        FrameRsv1 => "RSV1=1: this message is compressed with permessage-deflate.",
        FrameHeuristic => "Recognised by the shape of its bytes, without a captured handshake.",

        MsgText => "Text message from the {who}, {len} bytes of UTF-8: \"{text}\".",
        MsgBinary => "Binary message from the {who}, {len} bytes.",
        MsgFragments => "It travelled as {frames} frames and was joined back together.",
        MsgDeflateSmaller => {
            "permessage-deflate: {wire_len} bytes on the wire became {len} bytes after inflating; the wire carried {pct}% of the original size."
        }
        MsgDeflateBigger => {
            "permessage-deflate: {len} bytes of content took {wire_len} bytes on the wire ({pct}%): compressing made it bigger, as happens with short or random data."
        }
        MsgInflateErr => "Could not inflate this message: {err}.",
        MsgPush => {
            "The {who} sent this on its own, answering no client message, over the connection that was already open: no new request, no new handshake. This is full-duplex instant messaging; WebSocket replaces polling here."
        }
        MsgPing => {
            "Ping from the {who} ({len} bytes): a heartbeat; the other end must answer with a pong carrying the same bytes."
        }
        MsgPong => "Pong from the {who} ({len} bytes): the answer to a ping, echoing its bytes.",
        MsgClose => {
            "Close from the {who}: code {code} ({meaning}). In the closing handshake each side sends one Close, then TCP closes."
        }
        MsgCloseReason => "Reason: \"{reason}\".",
        MsgCloseNoCode => {
            "Close from the {who} without a status code. In the closing handshake each side sends one Close, then TCP closes."
        }
        MsgUtf8 => "The payload is not valid UTF-8, which a text message must be.",
        Cc1000 => "normal closure",
        Cc1001 => "going away, e.g. a server restarting or a page closed",
        Cc1002 => "protocol error",
        Cc1003 => "data of a type it cannot accept",
        Cc1007 => "invalid data in the message",
        Cc1008 => "policy violation",
        Cc1009 => "message too big",
        Cc1010 => "a required extension was not agreed",
        Cc1011 => "internal server error",
        CcOther => "an application-defined or unknown code",

        NoteLine => "Note: {text}",

        StatTitle => "Polling vs WebSocket in {file}",
        StatPolling => "HTTP polling",
        StatWs => "WebSocket",
        StatConnections => "TCP connections opened",
        StatHandshakes => "TCP three-way handshakes",
        StatRequests => "HTTP requests",
        StatMessages => "messages delivered",
        StatSegments => "TCP segments",
        StatHeaderBytes => "header bytes (HTTP heads / frame headers)",
        StatPayloadBytes => "payload bytes",
        StatHeaderPerMsg => "header bytes per message",
        StatPayloadPerMsg => "payload bytes per message",
        StatSetup => "one-time HTTP upgrade (head bytes)",
        StatVerdict => {
            "Polling opened {pconn} connection(s) with {phs} handshake(s) for {pmsg} answer(s), {phdr} header bytes per message, and news that appeared just after an answer waited {pwait} ms (the mean time between poll answers) for the next one; WebSocket used {wconn} connection(s) for {wmsg} message(s), {whdr} header bytes per message."
        }
        StatNoPolling => "No HTTP polling in this capture.",
        StatNoWs => "No WebSocket in this capture.",
        UiConns => "Connections ({n})",
        UiOnlySelected => " [only selected]",
        UiLadder => "Ladder",
        UiLadderConn => "Ladder: connection {c}",
        UiDetail => "Detail",
        UiDetailAt => "Detail: event {e} · packet {p}",
        UiDetailAtPkt => "Detail: packet {p}",
        UiBytes => "Bytes",
        UiWhatHappened => "What happened",
        UiKeysTitle => "Keys (any key closes)",
        UiSearchHint => "Enter apply  Esc cancel",
        FQuit => "quit",
        FHelp => "help",
        FPlay => "play",
        FPause => "pause",
        FStep => "step",
        FCompare => "compare",
        FPane => "pane",
        FLayer => "layer",
        FSearch => "search",
        FAcks => "acks",
        FOneConn => "one conn",
        FRawSeq => "raw seq",
        FTheme => "theme",
        FSpeed => "speed",
        KPlay => "play / pause (starts playback from the first event)",
        KSpeed => "faster / slower playback",
        KStep => "next / previous event",
        KMove => "move in the focused pane",
        KPage => "page through the ladder or detail",
        KHome => "playback: back to the first event",
        KEnd => "show all, the last event (loading: the end first)",
        KEsc => "clear the search, or leave playback",
        KTab => "focus: connections → ladder → detail → narration",
        KEnter => "(connections) open it; (detail) fold/unfold JSON",
        KCompare => "compare polling with WebSocket (whole capture)",
        KOneConn => "step only through the selected connection",
        KLayer => "layers: all → TCP → HTTP → WebSocket → app → TLS",
        KAcks => "hide / show pure ACKs",
        KSearch => "search labels (Enter applies, Esc cancels)",
        KRaw => "relative / raw sequence numbers",
        KTheme => "theme: dark → light → high contrast",
        KMouse => "click to select, wheel to scroll",
        KHelp => "this help",
        KQuit => "quit",
        WkTitle => {
            "Worksheet: a WebSocket conversation, layer by layer ({file}, connection {conn})"
        }
        WkName => "Name:",
        WkDate => "Class and date:",
        WkIntro => {
            "Every number below was captured from a real conversation between a WebSocket client and server. Fill in each blank (____) from the rules you learned; the answers, with the reasoning, are on the last page."
        }
        WkAnswers => "Answer key",
        WkSecSocket => "1. The socket's five facts",
        WkColFact => "Fact",
        WkColValue => "Value",
        WkFactProto => "Protocol",
        WkFactLip => "Local IP address (the client)",
        WkFactLport => "Local port (the client)",
        WkFactRip => "Remote IP address (the server)",
        WkFactRport => "Remote port (the server)",
        WkQTempPort => {
            "Which of the two ports did the client's operating system pick for this connection alone? "
        }
        WkATempPort => {
            "The client's port {lport} is a temporary (ephemeral) port chosen when it connected; the server's port {rport} is the one it listens on, fixed in advance so that clients can find it."
        }
        WkSecHandshake => "2. The TCP three-way handshake (WebSocket handshake step 1 of 4)",
        WkHandshakeIntro => {
            "The client picked the initial sequence number j = {j}, the server k = {k}. Fill in the missing seq and ack numbers and the state of each end after each segment arrives."
        }
        WkColDir => "Direction",
        WkColFlags => "Flags",
        WkColSeq => "seq",
        WkColAck => "ack",
        WkColClientState => "Client state after",
        WkColServerState => "Server state after",
        WkStateWhy => "The {who} is {state}: {meaning}",
        WkASynAckAck => {
            "ack = j+1 = {j}+1 = {ack}: the SYN uses up one sequence number, and ack names the next byte the server expects."
        }
        WkAHsAckSeq => {
            "seq = j+1 = {seq}: the client's SYN used sequence number j = {j}, so its next byte is j+1."
        }
        WkAHsAckAck => {
            "ack = k+1 = {k}+1 = {ack}: the server's SYN also uses up one sequence number."
        }
        WkSecUpgrade => "3. The HTTP upgrade (WebSocket handshake steps 2 and 3 of 4)",
        WkUpgradeIntro => {
            "Over the new TCP connection the client sends an ordinary HTTP request asking to switch to WebSocket. Its important lines:"
        }
        WkQStatus => "The status code of the server's answer: ",
        WkAStatus101 => {
            "101 Switching Protocols: the server agrees, and after this answer the connection speaks WebSocket."
        }
        WkAStatusOther => "Not 101: the server refused the upgrade, so the connection stays HTTP.",
        WkAcceptIntro => {
            "The server proves it understood the request: it appends the fixed GUID {guid} to the client's Sec-WebSocket-Key, takes the SHA-1 of that text, and sends the base64 of the 20-byte result as Sec-WebSocket-Accept."
        }
        WkQConcat => "Key followed by the GUID: ",
        WkAConcat => {
            "The key exactly as sent, immediately followed by the GUID, with nothing between them."
        }
        WkQSha1 => "SHA-1 of that text (40 hexadecimal digits): ",
        WkASha1 => "SHA-1 always gives 20 bytes, written as 40 hexadecimal digits.",
        WkQBase64 => "base64 of those 20 bytes (the Sec-WebSocket-Accept): ",
        WkABase64 => "base64 turns 20 bytes into 28 characters, ending in one '='.",
        WkAcceptTool => "To check your answer with a computer:",
        WkQMatch => "Did the server send the value you computed (yes/no)? ",
        WkAMatchYes => {
            "The server sent {got}, which equals the computed {want}: the handshake is valid."
        }
        WkAMatchNo => {
            "The server sent {got} but the computation gives {want}: a client must fail this connection."
        }
        WkSecFrame => {
            "4. A WebSocket frame from the client (step 4 of 4: frames over the same TCP connection)"
        }
        WkFrameIntro => {
            "The first bytes of the client's first data frame (the frame header), in hexadecimal:"
        }
        WkAFin => {
            "FIN is the top bit of the first byte 0x{byte}: 1 means this is the last frame of the message, 0 that more fragments follow."
        }
        WkAOpcode => {
            "The opcode is the low 4 bits of the first byte 0x{byte}: 1 is text, 2 binary, 8 close, 9 ping, 10 pong."
        }
        WkAMask => {
            "MASK is the top bit of the second byte 0x{byte}: every frame a client sends must be masked."
        }
        WkPayloadLen => "payload length",
        WkALen => {
            "The low 7 bits of the second byte give {code}; below 126 that is the length itself, 126 means a 16-bit length follows and 127 a 64-bit one. The payload is {len} bytes."
        }
        WkMaskKey => "masking key",
        WkAMaskKey => "The 4 bytes after the length fields are the masking key.",
        WkUnmaskIntro => {
            "Unmask the first {n} payload bytes: each byte i is XORed with key byte number i mod 4."
        }
        WkColMasked => "On the wire",
        WkColKeyByte => "Key byte",
        WkColPlain => "Unmasked",
        WkAXor => "0x{m} XOR 0x{k} (key byte {i}) = 0x{p}",
        WkQText => "Read the unmasked bytes as UTF-8 text: ",
        WkAText => "The unmasked bytes are the message's text, encoded in UTF-8.",
        WkCompressed => {
            "This frame is compressed (RSV1 = 1, permessage-deflate): the unmasked bytes are deflate data, not yet text."
        }
        WkWholeText => "The whole message, once all its bytes are unmasked, reads: {text}",
        WkSecClose => "5. Closing",
        WkCloseFrame => "The WebSocket closing handshake starts with a Close frame, {dir}.",
        WkQCloseCode => "Its status code: ",
        WkACloseCode => {
            "{code}: {meaning}. The code is the first two bytes of the Close frame's payload."
        }
        WkTeardownIntro => {
            "Then TCP closes the connection. Fill in the acknowledgement of each FIN and the state of each end after each segment arrives."
        }
        WkAFinAck => {
            "ack = {ack}: a FIN, like a SYN, uses up one sequence number, so its acknowledgement is one more than its seq."
        }
        ChapTcp => {
            "▌Chapter 1 · The TCP three-way handshake — WebSocket handshake step 1 of 4: the TCP connection everything else travels on."
        }
        ChapTls => {
            "▌Chapter 2 · The TLS handshake (wss://): before any HTTP, client and server agree on keys; everything after it is encrypted."
        }
        ChapTlsNone => {
            "▌Chapter 2 · No TLS handshake: this connection is not encrypted (ws://, like port 80). With wss:// (port 443) a TLS handshake would come here, right after the three-way handshake, and everything after it — the upgrade request, every frame — would be encrypted; an eavesdropper would see only sizes and timing."
        }
        ChapUpgrade => {
            "▌Chapter 3 · The HTTP upgrade request — WebSocket handshake step 2 of 4 (the server's 101 answer is step 3)."
        }
        ChapMessage => {
            "▌Chapter 4 · The first WebSocket message — step 4 of 4: from now on, frames over the same TCP connection."
        }
        ChapClose => "▌Chapter 5 · The closing handshake: the first Close frame.",
        ChapMissing => "This connection has none: the chapter is not in this capture.",
        KChapters => "chapters: TCP, TLS, upgrade, first message, close",
        KPresenter => "presenter layout: only the ladder and the narration",
        KQuiz => "quiz: hide what can be worked out; Enter reveals",
        QuizTitle => {
            "❓ Quiz — work it out, then press Enter to reveal the answer with its reasoning."
        }
        QuizSynAckAck => {
            "The server answers the SYN with SYN+ACK. What is its ack number (ack=?)? Hint: what did the client's SYN use up?"
        }
        QuizHsAck => {
            "The client's third handshake segment: what are its seq and ack (seq=? ack=?)? Hint: both SYNs used up a sequence number."
        }
        QuizStates => {
            "This {flags} segment from the {who} has just arrived. Before it the client was {client} and the server {server}: which state is each end in now?"
        }
        QuizAccept => {
            "The client's key was {key}. Compute the Sec-WebSocket-Accept the server must send: base64(SHA-1(key + {guid})). Did the server get it right?"
        }
        QuizUnmask => {
            "The first masked payload byte is 0x{m}; the masking key begins with 0x{k}. What is the unmasked byte (0x{m} XOR 0x{k})?"
        }
        QuizHidden => "Hidden until the answer is revealed (Enter).",

        SynAsks => {
            "Nothing has answered yet: whether a program listens on port {port} shows only in the server's answer (SYN+ACK if one listens, RST if none)."
        }
        SynAckArrives => {
            "The answer shows that a program was listening (LISTEN) on port {port}: taking the SYN, the server's side of this connection is now SYN_RECEIVED. The client takes this SYN+ACK as it arrives and is ESTABLISHED at once (RFC 9293); it still owes the third segment, its ACK."
        }
        HsBoth => {
            "Both ends are now ESTABLISHED: the client since the SYN+ACK reached it, the server now that this ACK has. After the third handshake segment the connection is open both ways."
        }
        FinAckTogether => {
            "This one segment is the {who}'s ACK of the {peer}'s FIN and the {who}'s own FIN together: it had nothing left to send, so it closed at once. That is why the four-way goodbye shows three segments here."
        }
        FinCrossed => {
            "This FIN does not acknowledge the {peer}'s FIN, so it was sent before that FIN arrived: the two FINs crossed (a simultaneous close). The {who} went FIN_WAIT_1 and, when the {peer}'s FIN reached it, CLOSING."
        }
        RetransState => {
            "So the earlier copy did not get through (or the answer to it was lost): the {peer}'s state change shown with the first copy really happened when a copy arrived."
        }
        DataAckNone => {
            "Its ack = {rel_ack} only repeats that the {peer}'s SYN arrived: the {peer} has sent no data yet."
        }
        WsStep2 => {
            "WebSocket step 2 of 4 (step 1 was the TCP connection above): the client's HTTP request carries the WebSocket version and key."
        }
        WsStep3 => "WebSocket step 3 of 4: the server's HTTP answer.",
        WsStep4 => {
            "WebSocket step 4 of 4: from now on the two ends exchange frames over the same TCP connection."
        }

        StatStreamPerByte => "TCP bytes per content byte",
        StatNewsWait => "news waits up to (ms)",
        StatVerdictPush => {
            "The server pushed {pushes} message(s) that answered no client message: each reached the client {wwait} ms after it was sent. WebSocket replaces polling: no waiting for the next question."
        }
        StatUdpTitle => "Connectionless UDP beside connected TCP",
        StatUdp => "UDP",
        StatTcp => "TCP",
        StatFlows => "conversations / connections",
        StatPackets => "datagrams / segments",
        StatEmptyPackets => "of them without payload (handshake, ACKs, FINs)",
        StatHeaderPerByte => "header bytes per payload byte (UDP 8, TCP ≥20 each)",
        StatFirstByte => "time to the first payload byte (ms)",
        StatUdpVerdict => {
            "UDP sent {udg} datagram(s) for {ubytes} payload bytes and its first payload left with the first packet ({ufirst} ms): nothing is set up, acknowledged or resent (connectionless, unreliable, fast). TCP used {tseg} segment(s) for {tbytes} payload bytes, {tempty} of them without payload (handshake, acknowledgements, teardown), and its first payload byte came {tfirst} ms after the first SYN."
        }
        AckBeforeFin => {
            "This segment's ack does not cover the {peer}'s FIN yet: it was sent before that FIN arrived, or the FIN is still waiting for missing bytes before it. The {who}'s CLOSE_WAIT shown with the FIN really begins when its ack covers it."
        }
        FinSecond => {
            "FIN from the {who}: the {peer} had already closed its half, and now the {who} has finished sending too; once this FIN is acknowledged both directions are closed. Like the SYN, the FIN uses one sequence number ({rel_seq})."
        }
        WkQListen => "When the SYN arrived, in which state was the server's socket? ",
        WkAListen => {
            "LISTEN: the SYN+ACK answer shows that a program was waiting for connection requests on port {port}. Had nobody listened, the answer would have been RST (the server's side CLOSED)."
        }
        KDeltaT => "Δt column: time since the row above",
        DPacket => "Packet {n}: {len} bytes captured of {orig}",
        DTcpConn => "TCP connection",
        DStatesAfter => "states after: client {c}, server {s}",
        DWindow => "window {w} bytes (scaled)",
        DOptions => "options: mss={mss} wscale={ws} sack_permitted={sack}",
        DAnalysis => "analysis: {name}",
        DHttpHead => "HTTP head",
        DWsHandshake => "WebSocket handshake",
        DExtensions => "extensions: {e}",
        DConnClosed => "Connection closed",
        DHow => "how: {how}; client {c}, server {s}",
        DNewConn => "New connection",
        DNote => "Note ({level}, {code})",
        DAcceptTitle => "Sec-WebSocket-Accept, step by step",
        DNoKey => "no Sec-WebSocket-Key was sent",
        DStepKey => "1 key",
        DStepServer => "  server",
        DMatch => "✓ match",
        DMismatch => "✗ MISMATCH",
        DNoAccept => "  server sent no Accept ✗",
        DFrame => "WebSocket frame: {op} {len}B{heur}",
        DHeuristic => " (recognised without handshake)",
        DLayout => "RFC 6455 §5.2 layout",
        DUnmaskTitle => "Unmasking: wire byte XOR key[i mod 4] = plain byte",
        DNotMasked => "payload not masked (server frames never are)",
        DMessage => "Message: {op} in {n} frame(s)",
        DDeflate => "permessage-deflate: {wire} bytes on the wire → {len} bytes inflated",
        DBytes => "{n} bytes",
        DInflateErr => "could not inflate: {e}",
        DClose => "close code {code} reason \"{reason}\"",
        DNone => "(none)",
        DText => "text: \"{t}\"{more}",
        DData => "data: {hex}",
        DBadUtf8 => "invalid UTF-8",
        UiColProto => "prot",
        UiColLocalIp => "local (client) IP",
        UiColPort => "port",
        UiColRemoteIp => "remote (server) IP",
        UiColLocal => "local (client)",
        UiColRemote => "remote (server)",
        UiColMsgs => "msgs",
        UiColBytes => "bytes",
        UiNoConn => "  (no connection yet)",
        UiWaiting => "  waiting for packets…",
        UiPressN => "  press n or → to reveal the next event",
        UiNothing => "  nothing matches the filters",
        UiFiltLayer => "layer={l}",
        UiFiltNoAcks => "no pure ACKs",
        UiFiltRaw => "raw seq",
        LNoFlags => "<no flags>",
        LStep2 => "step 2/4 ",
        LStep3 => "step 3/4 ",
        LWsOpen => "step 4/4 WebSocket open",
        LUpgradeFailed => "upgrade failed",
        LAcceptOk => ", Accept ✓",
        LAcceptBad => ", Accept ✗",
        LMasked => " (masked)",
        LMessage => "⇒ {op} message",
        LFrames => " ({n} frames)",
        LClosed => "connection closed ({how})",
        ClosePolledKeepAlive => {
            "This connection was kept alive for {requests} HTTP requests, asking again for what was asked before: that is polling too. It saved handshakes, but every question still cost a full request head and answer head, and news waited for the next question."
        }
        UiFollowing => "following",
        UiFollowPaused => "paused (End follows)",
        UiLoading => "loading…",
        UiAheadPreparing => "loading… · End: decoding the end of the file ahead…",
        UiAheadShown => "end decoded ahead · file {pct}% loaded · Home: start",
        UiAheadMid => " · {n} picked up mid-way",
        UiAheadFailed => "could not decode the end ahead: {e}",
        UiUnknownKey => "that key does nothing here: press ? for the keys",
        UiCapturing => "capturing on {iface} ({backend})",
        UiRecordingTo => "recording to {file}",
        UiCaptureEnded => "capture ended",
        UiDemoRunning => "demo running, captured on lo ({backend})",
        UiDemoReplaying => "replaying the bundled demo recording",
        UiDemoEnded => "demo ended",
        UiHeadEvent => "event {pos}/{n}",
        UiHeadCounts => "{p} pkts {e} events {c} conns",
        UiHeadDropped => "dropped {n}",
        UiMsgPrompt => "message:",
        UiMsgHint => "Enter: the client sends it now · Esc: cancel",
        FDemoNext => "next step",
        FDemoMsg => "type a message",
        // above WebSocket: Engine.IO and Socket.IO
        AppEioOpen => {
            "Engine.IO opens session {sid}: the server offers to upgrade to {upgrades}, and will ping every {interval} ms (the other side has {timeout} ms to answer)."
        }
        AppEioProbePing => {
            "Upgrade dance, step 1: on the new WebSocket the client sends ping \"probe\" (2probe) to test it, while long-polling still carries the session."
        }
        AppEioProbePong => {
            "Step 2: the server answers pong \"probe\" (3probe) on the WebSocket: the new transport works. The client now pauses polling."
        }
        AppEioUpgrade => {
            "Step 3: the client sends upgrade (5): from here on the session's packets travel over the WebSocket and polling stops."
        }
        AppEioNoop => {
            "noop (6): the server ends a waiting long-poll with nothing in it, so the client can switch transports."
        }
        AppEioPing => {
            "Heartbeat: the {who} sends an Engine.IO ping; the other side must answer pong in time, or the session is considered dead."
        }
        AppEioPong => "Heartbeat answer: pong from the {who}.",
        AppEioClose => "The {who} closes the Engine.IO session.",
        AppEioMessage => "An Engine.IO message from the {who}: {args}",
        AppPolling => {
            "It travelled in the body of an HTTP long-polling {what}; several packets may share one body, separated by the record separator 0x1E."
        }
        AppSioConnect => "Socket.IO: the client asks to join namespace {nsp}.",
        AppSioConnectOk => {
            "Socket.IO: the server accepts the client in namespace {nsp} (socket id {sid})."
        }
        AppSioDisconnect => "Socket.IO: the {who} leaves namespace {nsp}.",
        AppSioEvent => {
            "Socket.IO event \"{name}\" from the {who} in namespace {nsp}, arguments {args}."
        }
        AppSioWantsAck => {
            "It carries ack id {id}: the {other} is expected to answer with an ack of the same id."
        }
        AppSioBinary => {
            "{n} binary attachment(s) of {sizes} bytes followed as separate binary packets and take the places of their placeholders."
        }
        AppSioAck => {
            "Socket.IO ack {id} from the {who}: the answer to event \"{name}\" (packet #{pkt}), {rtt} after it."
        }
        AppSioAckUnpaired => {
            "Socket.IO ack {id} from the {who}; the event it answers was not captured."
        }
        AppSioConnectError => "Socket.IO: the server refuses the client in namespace {nsp}: {args}",
        AppOther => "{proto}: {label}",
        AppRpcRequest => {
            "JSON-RPC request {id} from the {who}: call {method} with {args}; the {other} must answer with the same id."
        }
        AppRpcNotification => {
            "JSON-RPC notification from the {who}: {method} {args} (no id: nobody answers it)."
        }
        AppRpcResponse => {
            "JSON-RPC response {id} from the {who}: the result of {method} (packet #{pkt}), {rtt} after the request: {args}"
        }
        AppRpcError => {
            "JSON-RPC error {id} from the {who}: {method} (packet #{pkt}) failed, {rtt} after the request: {args}"
        }
        AppRpcUnpaired => {
            "JSON-RPC {kind} {id} from the {who}; its request was not captured: {args}"
        }
        AppRpcCdp => {
            "This is the Chrome DevTools Protocol: JSON-RPC's shape without the \"jsonrpc\":\"2.0\" member; messages without an id are the browser's events."
        }
        StatTlsTitle => "TLS (wss://, https://)",
        StatTlsConns => {
            "TLS connections: {n}; seen carrying a WebSocket (wss://): {wss} (only a decrypted one can be)"
        }
        StatTlsKeys => "decrypted with a key log: {yes}; not decrypted: {no}",
        StatTlsSuite => "  {version} {cipher}: {n}",
        StatC2s => "client → server",
        StatS2c => "server → client",
        StatTlsRecords => "encrypted records",
        StatTlsBytes => "encrypted bytes (record bodies)",
        StatTlsAllOpen => {
            "Every TLS connection was decrypted with the key log: what the tables above count was read inside TLS. Anyone without the keys sees only these records: how many, how big, when."
        }
        StatTlsClosed => {
            "{no} TLS connection(s) stayed encrypted: an eavesdropper, and wslens without keys, sees only how many records went each way, how big and when, not the HTTP Upgrade nor any WebSocket message. Give the key log with --tls-keylog FILE (or SSLKEYLOGFILE) to see inside."
        }
        AppStompConnect => {
            "STOMP: the client opens a session ({cmd}) and offers versions {versions}; heart-beat {hb} (it can send one every x ms, and wants one every y ms; 0 = never)."
        }
        AppStompConnected => {
            "STOMP: the server accepts ({rtt} after the client's {cmd}): version {version}, heart-beat {hb}, server {server}."
        }
        AppStompSend => "STOMP SEND from the client to destination {dest}.",
        AppStompSubscribe => {
            "STOMP SUBSCRIBE: the client subscribes to {dest} as subscription {id} (acknowledgement mode {ack}); messages for it will come as MESSAGE frames naming it."
        }
        AppStompUnsubscribe => "STOMP UNSUBSCRIBE: the client ends subscription {id}.",
        AppStompMessage => {
            "STOMP MESSAGE: the server delivers message {id} from {dest} to subscription {sub}."
        }
        AppStompAck => {
            "STOMP ACK: the client confirms it processed the MESSAGE of packet #{pkt}, {rtt} after it arrived."
        }
        AppStompNack => {
            "STOMP NACK: the client refuses the MESSAGE of packet #{pkt}, {rtt} after it arrived; the broker may deliver it again."
        }
        AppStompTx => {
            "STOMP {cmd}: transaction {id} (frames naming it take effect together at COMMIT)."
        }
        AppStompDisconnect => "STOMP DISCONNECT: the client ends the session.",
        AppStompReceipt => {
            "STOMP RECEIPT {id}: the server confirms it processed the client's {name} (packet #{pkt}), {rtt} later."
        }
        AppStompReceiptWanted => {
            "It carries receipt:{id}: the server is to answer with a RECEIPT frame whose receipt-id is {id}."
        }
        AppStompError => "STOMP ERROR from the server: {message}",
        AppStompErrorAnswers => {
            "Its receipt-id {id} names what failed: the client's {name} (packet #{pkt}), {rtt} earlier."
        }
        AppStompErrorCause => {
            "The ERROR has no receipt-id, so what caused it is not named; most likely the client's last frame: {cause}."
        }
        AppStompHeartbeat => {
            "STOMP heart-beat from the {who}: a bare end-of-line between frames (or right after a frame's NUL), proving the connection is alive."
        }
        AppStompBody => "Body: {n} bytes ({how}): {args}",
        AppGqlInit => {
            "GraphQL over WebSocket ({sub}): the client opens the session with connection_init; it may start operations once the server answers connection_ack."
        }
        AppGqlAck => {
            "The server accepts the GraphQL session (connection_ack), {rtt} after connection_init."
        }
        AppGqlStart => {
            "The client starts operation {id}: {name}. Its results come back as messages carrying the same id, until complete (or error)."
        }
        AppGqlNext => "A result of operation {id} ({name}), {rtt} after it started: {args}",
        AppGqlError => "Operation {id} ({name}) failed: {args}",
        AppGqlCancel => {
            "The client cancels operation {id} ({name}); results already on their way may still arrive."
        }
        AppGqlComplete => "The server ends operation {id} ({name}), {rtt} after it started.",
        AppGqlKeepAlive => "Keep-alive: {kind} from the {who}.",
        AppGqlTerminate => "The client ends the GraphQL session (connection_terminate).",
        AppMqttConnect => {
            "MQTT CONNECT: client \"{client}\" opens a session ({protocol}); it promises to send something at least every {keepalive} s (keep-alive)."
        }
        AppMqttConnack => {
            "MQTT CONNACK: the broker answers with reason code {code} (0 = accepted), {rtt} after CONNECT."
        }
        AppMqttPublish => "MQTT PUBLISH from the {who} to topic {topic} at QoS {qos}: {args}",
        AppMqttQos1 => {
            "QoS 1 (at least once): the receiver confirms with PUBACK naming packet id {id}; until then the sender may send it again."
        }
        AppMqttQos2 => {
            "QoS 2 (exactly once): PUBREC, PUBREL and PUBCOMP naming packet id {id} follow, so the message is delivered once and only once."
        }
        AppMqttRetain => {
            "Retained: the broker keeps it and hands it to every later subscriber of the topic."
        }
        AppMqttFlow => {
            "MQTT {kind} {id} from the {who}: a step of the QoS flow of the PUBLISH to {topic} (packet #{pkt}), {rtt} after it."
        }
        AppMqttSubscribe => "MQTT {kind} {id} from the client: {args}",
        AppMqttSuback => "MQTT {kind} {id}: the broker answers {args}, {rtt} after the request.",
        AppMqttPing => {
            "MQTT {kind} from the {who}: keep-alive, so both ends know the session lives."
        }
        AppMqttDisconnect => "MQTT DISCONNECT from the {who}: the session ends cleanly.",
        AppMqttProps => "MQTT 5 properties: {props}",
        DAppType => "type",
        DAppTransport => "transport",
        DAppNamespace => "namespace",
        DAppName => "name",
        DAppId => "id",
        DAppAnswers => "answers packet #{pkt}{name}, round trip {rtt}",
        DAppAttach => "binary attachments joined: {sizes}",
        DAppArgs => "arguments:",
        DMoreLines => "… {n} more lines (see decode --json)",
        DFirstOf => " (first {n} of {len} bytes)",
        DAsJson => "Payload as JSON",
        DAsHex => "Payload as hex",
        DAsBase64 => "Payload as base64",
        KLayers => "one arrow per packet ↔ one arrow per layer",
        UiFiltPerLayer => "per layer",
        DAsMsgpack => "Payload as MessagePack",
        DAsCbor => "Payload as CBOR",
        DAsText => "Payload as text",
        DFullLoading => "loading the whole payload ({len} bytes) from the file…",
        DFullLive => {
            "only the first {n} of {len} bytes are kept: a live capture has no finished file to read the rest from (wslens export on the saved file has it all)"
        }
        DFullCap => {
            "the whole payload is {len} bytes, more than the {cap} MiB the UI loads: the views show its first {cap} MiB (wslens export --max-message writes it all)"
        }
        DFullFailed => "the whole payload could not be loaded: {e}",
        DFullMissing => {
            "the whole payload was not found again in the file; the views show the first {n} of {len} bytes"
        }
    }
}
