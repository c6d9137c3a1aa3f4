//! 简体中文目录。术语与种子教程一致：套接字、服务器监听/客户端请求/连接确认、三次握手、
//! SYN_SEND / SYN_RECV（教材写法）、全双工、短连接、轮询、即时通讯、面向连接/无连接。
//! 花括号里的占位符必须与英文目录完全相同（有测试检查）。

use super::catalog::Msg::{self, *};

pub(super) fn text(id: Msg) -> &'static str {
    match id {
        WClient => "客户端",
        WServer => "服务器",
        WYes => "是",
        WNo => "否",
        ListSep => "、",

        ConnOpenTcp => {
            "新的 TCP 连接 {conn}。套接字（socket）必须包含 5 种信息：协议 {proto}、本地 IP {lip}、本地端口 {lport}、远地 IP {rip}、远地端口 {rport}（从客户端看；从服务器看，本地与远地正好互换）。"
        }
        ConnOpenSteps => {
            "建立连接分 3 个步骤：服务器监听（端口 {rport} 上要有程序在等待连接请求）、客户端请求（客户端从它临时选用的端口 {lport} 发出请求）、连接确认（就是接下来的三次握手）。端口 {rport} 上有没有程序在监听，要看服务器的回答。"
        }
        ConnOpenGuessed => "抓包中没有 SYN，所以哪一端是客户端只是推测。",
        ConnOpenUdp => {
            "新的 UDP 会话 {conn}：协议 {proto}、本地 IP {lip}、本地端口 {lport}、远地 IP {rip}、远地端口 {rport}。UDP 是无连接的：不握手，直接发送，像发手机短信而不是打电话。"
        }

        Syn => {
            "三次握手第 1 次：客户端发送 SYN 包（syn=j={isn}），请求连接，等待服务器确认。SYN 不带数据，但占用一个序号，所以客户端第一个数据字节的编号是 j+1={next}。"
        }
        SynOpts => "{who}同时告知：{opts}。",
        OptMss => "可接收的最大报文段（MSS）{mss} 字节",
        OptWscale => "窗口缩放 ×{factor}",
        OptSack => "选择确认（SACK）",
        OptTs => "时间戳",
        SynAck => {
            "三次握手第 2 次：服务器收到 SYN 包，确认客户的 SYN（ack=j+1={isn_peer}+1={ack}，因为 SYN 占用了一个序号，ack 表示期望收到的下一个字节），同时自己也发送一个 SYN 包（syn=k={isn}），即 SYN+ACK 包。"
        }
        SynAckOdd => {
            "三次握手第 2 次：服务器发送 SYN+ACK 包，自己的初始序号 k={isn}；ack={ack} 表示它期望收到的客户端下一个字节。"
        }
        HsAck => {
            "三次握手第 3 次：客户端收到 SYN+ACK 包，向服务器发送确认包 ACK（ack=k+1={isn_peer}+1={ack}，因为服务器的 SYN 也占用一个序号）。连接确认完成，三次握手结束；此后双方可以同时收发数据（全双工）。"
        }
        HsAckOdd => "三次握手第 3 次：客户端发送确认包 ACK（ack={ack}），连接建立。",
        Data => {
            "{who}发送 {len} 字节数据：它字节流中的第 {first}…{last} 字节（seq {seq} 减去初始序号 {isn} 得 {first}）。{who}的下一个报文段将从第 {next} 字节开始。"
        }
        DataAck => {
            "其中 ack={rel_ack} 顺便确认了{peer}在第 {rel_ack} 字节之前发送的全部数据（捎带确认）。"
        }
        AckOnly => {
            "纯确认包，不带数据：ack={ack}（相对值 {rel_ack}）告诉{peer}：第 {rel_ack} 字节之前的数据都已收到。"
        }
        Fin => {
            "{who}发送 FIN：它没有数据要发了，关闭自己这一半连接；另一个方向仍然打开，直到{peer}也发送 FIN。和 SYN 一样，FIN 也占用一个序号（{rel_seq}）。"
        }
        Rst => "{who}发送 RST：连接被立即中止，不经过 FIN 的正常挥手，尚未交付的数据被丢弃。",
        RstRefused => {
            "用 RST 回答 SYN：端口 {port} 上没有程序在监听，服务器的系统拒绝了连接（客户端看到“connection refused”，即连接被拒绝）。既然没有套接字在监听，服务器一端始终是 CLOSED，客户端也回到 CLOSED。"
        }
        Retrans => {
            "重传：这些字节之前发送过，但没有及时收到确认，于是发送方再发一次。TCP 之所以可靠，就是因为会重传。"
        }
        OutOfOrder => "乱序：这个报文段比它前面的字节先到达，接收方先保存它，等空缺补上。",
        DupAck => {
            "重复确认：接收方重复 ack={rel_ack}，因为有字节缺失；连续三个重复确认会让发送方立即重传（快速重传）。"
        }
        Lost => "这个报文段之前的字节没有被抓到（丢包或抓包遗漏）。",
        OtherAnalysis => "TCP 分析：{names}。",
        StateNow => "{who}现在的状态是 {state}：{meaning}",
        StateBoth => "双方现在的状态都是 {state}：{meaning}",
        MClosed => "没有连接。",
        MListen => "等待连接请求（服务器监听）。",
        MSynSent => "已发送 SYN，等待服务器确认。",
        MSynReceived => "已收到 SYN 并回复了 SYN+ACK，等待最后的 ACK。",
        MEstablished => "连接已建立，数据可以双向传输。",
        MFinWait1 => "已发送 FIN，等待对方确认。",
        MFinWait2 => "自己的 FIN 已被确认，等待对方的 FIN。",
        MCloseWait => "对方已停止发送；本端还可以继续发送，然后再关闭。",
        MClosing => "双方同时发送了 FIN，等待对自己 FIN 的确认。",
        MLastAck => "在对方之后发送了 FIN，等待最后一个 ACK。",
        MTimeWait => {
            "它先关闭，所以要等待 2×MSL 才释放连接，以免迟到的旧报文干扰使用相同端口的新连接。"
        }
        AliasSynSent => "SYN_SENT（教材写作 SYN_SEND）",
        AliasSynReceived => "SYN_RECEIVED（教材写作 SYN_RECV）",

        CloseFin => "连接 {conn} 已关闭：双方都发送了 FIN，并确认了对方的 FIN（四次挥手）。",
        CloseRst => "连接 {conn} 因复位（RST）而结束。",
        CloseRefused => "连接 {conn} 没有建立起来：没有程序在监听，SYN 被拒绝。",
        CloseIncomplete => "抓包结束时，连接 {conn} 仍然打开。",
        CloseStates => "最终状态：客户端 {cstate}，服务器 {sstate}。",
        CloseShort => {
            "这是一个短连接：只传送了一个 HTTP 请求就关闭了，而同样的内容之前已经问过。每次新的询问都要重新建立连接、重新三次握手，这样反复询问就是轮询。"
        }

        Udp => {
            "{who}发出 {len} 字节的 UDP 数据报：没有握手、没有确认、不保证顺序（无连接、不可靠、速度快）。"
        }

        HttpRequest => {
            "HTTP 请求 {method} {path}：客户端请求一个资源。HTTP 是应用层协议，它的数据由 TCP 连接传输；这个请求头共 {head_len} 字节。"
        }
        HttpUpgradeReq => {
            "Upgrade: {upgrade} 加上 Connection: {connection}，请求服务器把这条 TCP 连接从 HTTP 协议切换到 WebSocket 协议。"
        }
        HttpKey => {
            "Sec-WebSocket-Key: {key} 是 16 个随机字节的 base64 编码；服务器必须用它算出回应值，证明自己确实懂 WebSocket。Sec-WebSocket-Version: {version}（13 即 RFC 6455）。"
        }
        HttpExtOffer => {
            "客户端在 Sec-WebSocket-Extensions: {ext} 中提出想使用的扩展；permessage-deflate 表示每条消息都可以压缩。"
        }
        HttpProtoOffer => "Sec-WebSocket-Protocol: {proto} 列出客户端能使用的应用子协议。",
        HttpResponse => "HTTP 响应 {status} {reason}，响应头 {head_len} 字节。",
        HttpBody => {
            "正文 {body_len} 字节：为了 {body_len} 字节的内容，发送了 {head_len} 字节的头部。"
        }
        HttpConnClose => "Connection: close：这次应答之后 TCP 连接就会关闭（短连接）。",
        Http101 => {
            "101 Switching Protocols：服务器同意切换协议；从这个响应头的最后一个字节之后，这条连接上传送的就是 WebSocket 数据，而不再是 HTTP。"
        }
        HttpAccept => {
            "Sec-WebSocket-Accept: {accept} 是服务器的证明：把客户端的密钥与一个固定的 GUID 拼接起来，计算 SHA-1，再做 base64 编码。"
        }
        HttpExtAccept => "Sec-WebSocket-Extensions: {ext} 是服务器接受的扩展。",
        HttpProtoAccept => "Sec-WebSocket-Protocol: {proto} 是服务器选定的子协议。",

        WsOpen => {
            "连接 {conn} 上的 WebSocket 握手完成：一次 HTTP 请求和一次应答，就把这条 TCP 连接变成了持久的、全双工的 WebSocket 连接。"
        }
        WsAcceptSteps => {
            "Accept 校验：\"{key}\" + \"{guid}\" → SHA-1 {sha1} → base64 {expected}；服务器发送的是 {accept}：{verdict}。"
        }
        VerdictOk => "正确",
        VerdictBad => "错误，真正的客户端必须拒绝这个服务器",
        WsDeflate => {
            "双方协商了 permessage-deflate：消息可以压缩（RSV1=1 表示已压缩）；窗口 {sbits} 位（服务器）和 {cbits} 位（客户端）；消息之间保留压缩上下文：服务器 {stake}，客户端 {ctake}。"
        }
        WsFailed => "升级失败（状态码 {status}）：{problems}。连接 {conn} 上不会有 WebSocket 帧。",

        Frame => {
            "WebSocket 帧，帧头 {hlen} 字节：FIN={fin}，RSV={rsv}，opcode {op} = {opname}，MASK={mask}，负载 {len} 字节（{lenform}）。"
        }
        LenForm7 => "7 位长度字段直接表示",
        LenForm16 => "长度码 126：后面跟 16 位扩展长度",
        LenForm64 => "长度码 127：后面跟 64 位扩展长度",
        OpContinuation => "延续帧（分片消息的后续部分）",
        OpText => "文本（UTF-8）",
        OpBinary => "二进制",
        OpClose => "关闭",
        OpPing => "ping（探测对方是否还在）",
        OpPong => "pong（对 ping 的回应）",
        OpReserved => "保留值（没有扩展时不允许使用）",
        FrameMasked => {
            "客户端发出的帧必须加掩码：负载与 4 字节的掩码密钥 {key} 循环异或（第 i 字节 XOR key[i mod 4]），以免攻击者精心构造的字节欺骗缓存和代理。"
        }
        FrameUnmasked => "服务器发出的帧不加掩码（MASK=0）。",
        FrameUnmaskedClient => "这个客户端帧没有加掩码：RFC 6455 要求服务器关闭连接。",
        FrameMaskedServer => "这个服务器帧加了掩码，而 RFC 6455 禁止这样做。",
        FrameFragment => "FIN=0：这条消息后面还有帧（分片），其余部分由延续帧传送。",
        FrameRsv1 => "RSV1=1：这条消息用 permessage-deflate 压缩过。",
        FrameHeuristic => "没有抓到握手，根据字节的特征识别出这是一个 WebSocket 帧。",

        MsgText => "{who}发送的文本消息，{len} 字节 UTF-8：“{text}”。",
        MsgBinary => "{who}发送的二进制消息，{len} 字节。",
        MsgFragments => "它分成 {frames} 个帧传送，收到后再拼接起来。",
        MsgDeflateSmaller => {
            "permessage-deflate：实际传输 {wire_len} 字节，解压后是 {len} 字节；实际传输的只有原大小的 {pct}%。"
        }
        MsgDeflateBigger => {
            "permessage-deflate：{len} 字节的内容实际传输了 {wire_len} 字节（{pct}%）：压缩后反而变大了，短数据或随机数据常常如此。"
        }
        MsgInflateErr => "无法解压这条消息：{err}。",
        MsgPush => {
            "{who}主动发送了这条消息（不是对客户端消息的回答），走的是已经打开的连接：不需要新的请求，也不需要新的握手。这就是全双工的即时通讯，WebSocket 在这里取代了轮询。"
        }
        MsgPing => "{who}发送 Ping（{len} 字节）：心跳检测；对方必须回一个带相同字节的 Pong。",
        MsgPong => "{who}回复 Pong（{len} 字节）：对 Ping 的回答，原样带回它的字节。",
        MsgClose => {
            "{who}发送 Close：状态码 {code}（{meaning}）。关闭握手：双方各发一个 Close，然后关闭 TCP 连接。"
        }
        MsgCloseReason => "原因：“{reason}”。",
        MsgCloseNoCode => {
            "{who}发送不带状态码的 Close。关闭握手：双方各发一个 Close，然后关闭 TCP 连接。"
        }
        MsgUtf8 => "负载不是合法的 UTF-8，而文本消息必须是 UTF-8。",
        Cc1000 => "正常关闭",
        Cc1001 => "离开，例如服务器重启或页面关闭",
        Cc1002 => "协议错误",
        Cc1003 => "收到无法接受的数据类型",
        Cc1007 => "消息中的数据无效",
        Cc1008 => "违反策略",
        Cc1009 => "消息太大",
        Cc1010 => "缺少必需的扩展",
        Cc1011 => "服务器内部错误",
        CcOther => "应用自定义或未知的状态码",

        NoteLine => "提示：{text}",

        StatTitle => "{file} 中的轮询与 WebSocket 对比",
        StatPolling => "HTTP 轮询",
        StatWs => "WebSocket",
        StatConnections => "打开的 TCP 连接",
        StatHandshakes => "TCP 三次握手",
        StatRequests => "HTTP 请求",
        StatMessages => "送达的消息",
        StatSegments => "TCP 报文段",
        StatHeaderBytes => "头部字节（HTTP 头 / 帧头）",
        StatPayloadBytes => "负载字节",
        StatHeaderPerMsg => "每条消息的头部字节",
        StatPayloadPerMsg => "每条消息的负载字节",
        StatSetup => "一次性的 HTTP 升级（头部字节）",
        StatVerdict => {
            "轮询为了 {pmsg} 个回答打开了 {pconn} 个连接、做了 {phs} 次三次握手，每条消息 {phdr} 字节头部；刚好在一次回答之后出现的新消息，要等 {pwait} 毫秒（两次轮询回答之间的平均间隔）才随下一次回答送到。WebSocket 只用 {wconn} 个连接传送 {wmsg} 条消息，每条消息 {whdr} 字节头部。"
        }
        StatNoPolling => "这个抓包里没有 HTTP 轮询。",
        StatNoWs => "这个抓包里没有 WebSocket。",
        UiConns => "连接 ({n})",
        UiOnlySelected => " [只看选中的]",
        UiLadder => "时序图",
        UiLadderConn => "时序图：连接 {c}",
        UiDetail => "详情",
        UiDetailAt => "详情：事件 {e} · 数据包 {p}",
        UiDetailAtPkt => "详情：数据包 {p}",
        UiBytes => "字节",
        UiWhatHappened => "发生了什么",
        UiKeysTitle => "按键（按任意键关闭）",
        UiSearchHint => "Enter 应用  Esc 取消",
        FQuit => "退出",
        FHelp => "帮助",
        FPlay => "播放",
        FPause => "暂停",
        FStep => "单步",
        FCompare => "对比",
        FPane => "窗格",
        FLayer => "协议层",
        FSearch => "搜索",
        FAcks => "纯 ACK",
        FOneConn => "单连接",
        FRawSeq => "原始序号",
        FTheme => "主题",
        FSpeed => "速度",
        KPlay => "播放 / 暂停（从第一个事件开始回放）",
        KSpeed => "回放加快 / 减慢",
        KStep => "下一个 / 上一个事件",
        KMove => "在当前窗格中移动",
        KPage => "时序图或详情翻页",
        KHome => "回放：回到第一个事件",
        KEnd => "显示全部，选中最后一个事件（加载中：先看末尾）",
        KEsc => "清除搜索，或退出回放",
        KTab => "切换焦点：连接 → 时序图 → 详情 → 讲解",
        KEnter => "（连接列表）打开选中的连接；（详情）折叠/展开 JSON",
        KCompare => "对比轮询与 WebSocket（整个抓包）",
        KOneConn => "只在选中的连接中单步",
        KLayer => "协议层：全部 → TCP → HTTP → WebSocket → 应用层 → TLS",
        KAcks => "隐藏 / 显示纯 ACK",
        KSearch => "搜索标签（Enter 应用，Esc 取消）",
        KRaw => "相对 / 原始序号",
        KTheme => "主题：深色 → 浅色 → 高对比度",
        KMouse => "单击选择，滚轮滚动",
        KHelp => "本帮助",
        KQuit => "退出",
        WkTitle => "练习单：逐层观察一次 WebSocket 通信（{file}，连接 {conn}）",
        WkName => "姓名：",
        WkDate => "班级和日期：",
        WkIntro => {
            "下面的每个数字都来自一次真实 WebSocket 客户端与服务器通信的抓包。请根据学过的规则填写每个空格（____）；答案和推理过程在最后一页。"
        }
        WkAnswers => "参考答案",
        WkSecSocket => "一、socket 的五种信息",
        WkColFact => "信息",
        WkColValue => "值",
        WkFactProto => "连接使用的协议",
        WkFactLip => "本地主机的 IP 地址（客户端）",
        WkFactLport => "本地进程的协议端口（客户端）",
        WkFactRip => "远地主机的 IP 地址（服务器）",
        WkFactRport => "远地进程的协议端口（服务器）",
        WkQTempPort => "两个端口中，哪一个是客户端操作系统专门为这次连接临时选的？",
        WkATempPort => {
            "客户端的端口 {lport} 是连接时临时分配的端口；服务器的端口 {rport} 是它事先固定好、一直在监听的端口，客户端才能找到它。"
        }
        WkSecHandshake => "二、TCP 三次握手（WebSocket 握手第 1 步，共 4 步）",
        WkHandshakeIntro => {
            "客户端选择的初始序号 j = {j}，服务器选择的 k = {k}。请填出缺少的 seq、ack，以及每个报文段到达后两端各自的状态。"
        }
        WkColDir => "方向",
        WkColFlags => "标志位",
        WkColSeq => "seq（序号）",
        WkColAck => "ack（确认号）",
        WkColClientState => "之后客户端的状态",
        WkColServerState => "之后服务器的状态",
        WkStateWhy => "{who}处于 {state}：{meaning}",
        WkASynAckAck => {
            "ack = j+1 = {j}+1 = {ack}：SYN 占用一个序号，而 ack 表示服务器期望收到的下一个字节。"
        }
        WkAHsAckSeq => {
            "seq = j+1 = {seq}：客户端的 SYN 用掉了序号 j = {j}，所以它的下一个字节是 j+1。"
        }
        WkAHsAckAck => "ack = k+1 = {k}+1 = {ack}：服务器的 SYN 同样占用一个序号。",
        WkSecUpgrade => "三、HTTP 升级请求（WebSocket 握手第 2、3 步，共 4 步）",
        WkUpgradeIntro => {
            "在刚建立的 TCP 连接上，客户端发送一个普通的 HTTP 请求，要求切换到 WebSocket。其中关键的几行："
        }
        WkQStatus => "服务器回应的状态码：",
        WkAStatus101 => {
            "101 Switching Protocols（切换协议）：服务器同意升级，这个回应之后连接上传输的就是 WebSocket 了。"
        }
        WkAStatusOther => "不是 101：服务器拒绝了升级，连接仍然是 HTTP。",
        WkAcceptIntro => {
            "服务器要证明自己看懂了这个请求：把固定的 GUID {guid} 拼接在客户端的 Sec-WebSocket-Key 后面，计算这段文本的 SHA-1，再把 20 字节的结果做 base64 编码，作为 Sec-WebSocket-Accept 发回。"
        }
        WkQConcat => "密钥拼接 GUID 之后的文本：",
        WkAConcat => "原样照抄密钥，紧接着写 GUID，中间没有任何字符。",
        WkQSha1 => "这段文本的 SHA-1（40 位十六进制数）：",
        WkASha1 => "SHA-1 的结果总是 20 字节，写成 40 位十六进制数。",
        WkQBase64 => "这 20 字节的 base64 编码（即 Sec-WebSocket-Accept）：",
        WkABase64 => "base64 把 20 字节编码成 28 个字符，末尾有一个“=”。",
        WkAcceptTool => "用计算机核对答案：",
        WkQMatch => "服务器发回的值和你算出的一样吗（是/否）？",
        WkAMatchYes => "服务器发回 {got}，与计算结果 {want} 相同：握手有效。",
        WkAMatchNo => "服务器发回 {got}，而计算结果是 {want}：客户端必须断开这个连接。",
        WkSecFrame => "四、客户端发出的一个 WebSocket 帧（第 4 步：此后在同一个 TCP 连接上传输帧）",
        WkFrameIntro => "客户端第一个数据帧的开头几个字节（帧头），十六进制：",
        WkAFin => {
            "FIN 是第一个字节 0x{byte} 的最高位：1 表示这是消息的最后一帧，0 表示后面还有分片。"
        }
        WkAOpcode => {
            "opcode（操作码）是第一个字节 0x{byte} 的低 4 位：1 是文本，2 是二进制，8 是关闭，9 是 ping，10 是 pong。"
        }
        WkAMask => "MASK 是第二个字节 0x{byte} 的最高位：客户端发出的每一帧都必须加掩码。",
        WkPayloadLen => "载荷长度",
        WkALen => {
            "第二个字节的低 7 位是 {code}；小于 126 时它就是长度本身，126 表示后面跟着 16 位长度，127 表示后面跟着 64 位长度。载荷共 {len} 字节。"
        }
        WkMaskKey => "掩码密钥",
        WkAMaskKey => "长度字段之后的 4 个字节就是掩码密钥。",
        WkUnmaskIntro => {
            "对载荷的前 {n} 个字节去掉掩码：第 i 个字节与密钥的第 i mod 4 个字节做异或（XOR）。"
        }
        WkColMasked => "线路上的字节",
        WkColKeyByte => "密钥字节",
        WkColPlain => "去掉掩码后",
        WkAXor => "0x{m} XOR 0x{k}（密钥第 {i} 字节）= 0x{p}",
        WkQText => "把去掉掩码的字节按 UTF-8 读成文字：",
        WkAText => "去掉掩码后的字节就是消息的文字，采用 UTF-8 编码。",
        WkCompressed => {
            "这一帧经过压缩（RSV1 = 1，permessage-deflate）：去掉掩码后得到的是 deflate 数据，还不是文字。"
        }
        WkWholeText => "整条消息的全部字节去掉掩码后是：{text}",
        WkSecClose => "五、关闭连接",
        WkCloseFrame => "WebSocket 的关闭握手从一个 Close 帧开始，方向：{dir}。",
        WkQCloseCode => "它的状态码：",
        WkACloseCode => "{code}：{meaning}。状态码是 Close 帧载荷的前两个字节。",
        WkTeardownIntro => {
            "接着 TCP 关闭连接。请填出每个 FIN 的确认号，以及每个报文段到达后两端各自的状态。"
        }
        WkAFinAck => "ack = {ack}：FIN 和 SYN 一样占用一个序号，所以对它的确认号比它的 seq 大 1。",
        ChapTcp => {
            "▌第 1 章 · TCP 三次握手——WebSocket 握手第 1 步（共 4 步）：之后的一切都在这条 TCP 连接上传输。"
        }
        ChapTls => {
            "▌第 2 章 · TLS 握手（wss://）：在任何 HTTP 之前，客户端和服务器先商定密钥；此后的内容全部加密。"
        }
        ChapTlsNone => {
            "▌第 2 章 · 没有 TLS 握手：这个连接没有加密（ws://，如同 80 端口）。如果用 wss://（443 端口），三次握手之后紧接着就是 TLS 握手，之后的一切——升级请求、每一帧——都会加密，窃听者只能看到数据的大小和时间。"
        }
        ChapUpgrade => {
            "▌第 3 章 · HTTP 升级请求——WebSocket 握手第 2 步（共 4 步；服务器的 101 回应是第 3 步）。"
        }
        ChapMessage => "▌第 4 章 · 第一条 WebSocket 消息——第 4 步：从此在同一个 TCP 连接上传输帧。",
        ChapClose => "▌第 5 章 · 关闭握手：第一个 Close 帧。",
        ChapMissing => "这个连接没有这一部分：本抓包里没有这一章。",
        KChapters => "分章跳转：TCP 握手、TLS、升级请求、第一条消息、关闭",
        KPresenter => "演示布局：只显示时序图和讲解",
        KQuiz => "测验模式：隐藏可以推算出的数字；Enter 揭晓",
        QuizTitle => "❓ 测验——先自己推算，再按 Enter 揭晓答案和推理过程。",
        QuizSynAckAck => {
            "服务器用 SYN+ACK 回应 SYN。它的确认号是多少（ack=?）？提示：客户端的 SYN 占用了什么？"
        }
        QuizHsAck => {
            "客户端的第三次握手报文段：它的 seq 和 ack 是多少（seq=? ack=?）？提示：两个 SYN 各占用一个序号。"
        }
        QuizStates => {
            "{who}发出的这个 {flags} 报文段刚刚到达。在此之前客户端处于 {client}，服务器处于 {server}：现在两端各处于什么状态？"
        }
        QuizAccept => {
            "客户端的密钥是 {key}。请算出服务器应当发回的 Sec-WebSocket-Accept：base64(SHA-1(密钥 + {guid}))。服务器算对了吗？"
        }
        QuizUnmask => {
            "第一个加了掩码的载荷字节是 0x{m}，掩码密钥的第一个字节是 0x{k}。去掉掩码后的字节是多少（0x{m} XOR 0x{k}）？"
        }
        QuizHidden => "答案揭晓（按 Enter）之前隐藏。",

        SynAsks => {
            "服务器还没有回答：端口 {port} 上有没有程序在监听，要看服务器的回答才知道（有人监听就回 SYN+ACK，没有就回 RST）。"
        }
        SynAckArrives => {
            "这个回答说明端口 {port} 上有程序在监听（LISTEN）：服务器收到 SYN 后，这条连接在服务器一端进入 SYN_RECEIVED（教材写作 SYN_RECV）状态。客户端收到 SYN+ACK 包时就进入 ESTABLISHED 状态（RFC 9293），接着还要发出第 3 次握手的 ACK。"
        }
        HsBoth => {
            "客户端和服务器都进入了 ESTABLISHED 状态：客户端在收到 SYN+ACK 时进入，服务器在收到这个 ACK 时进入。第 3 次握手的包发送完毕，连接就建立了。"
        }
        FinAckTogether => {
            "这一个报文段同时是{who}对{peer}的 FIN 的确认（ACK）和{who}自己的 FIN：它没有数据要发了，所以立即关闭。这就是为什么这里的“四次挥手”只看到三个报文段。"
        }
        FinCrossed => {
            "这个 FIN 没有确认{peer}的 FIN，说明它是在{peer}的 FIN 到达之前发出的：两个 FIN 在途中交错（同时关闭）。{who}先进入 FIN_WAIT_1，收到{peer}的 FIN 后进入 CLOSING。"
        }
        RetransState => {
            "可见前一份没有送达（或者对它的回答丢了）：前面随第一份显示的{peer}状态变化，实际上是在某一份送达时才发生的。"
        }
        DataAckNone => {
            "其中 ack={rel_ack} 只是再次表明{peer}的 SYN 已经收到：{peer}还没有发送过数据。"
        }
        WsStep2 => {
            "WebSocket 第 2 步（共 4 步；第 1 步是上面建立的 TCP 连接）：客户端发出 HTTP 请求，带上 WebSocket 的版本号和密钥。"
        }
        WsStep3 => "WebSocket 第 3 步（共 4 步）：服务器回复 HTTP 响应。",
        WsStep4 => "WebSocket 第 4 步（共 4 步）：从此双方在同一条 TCP 连接上收发数据帧。",

        StatStreamPerByte => "每个内容字节的 TCP 字节数",
        StatNewsWait => "新消息最多等待（毫秒）",
        StatVerdictPush => {
            "服务器主动推送了 {pushes} 条消息（不是对客户端消息的回答）：每条在发出后 {wwait} 毫秒就到达客户端。这就是 WebSocket 能够取代轮询的原因：新消息不必等下一次询问。"
        }
        StatUdpTitle => "无连接的 UDP 与面向连接的 TCP 对比",
        StatUdp => "UDP",
        StatTcp => "TCP",
        StatFlows => "会话数 / 连接数",
        StatPackets => "数据报 / 报文段",
        StatEmptyPackets => "其中不带数据的（握手、确认、挥手）",
        StatHeaderPerByte => "每个数据字节的头部字节（每包：UDP 8，TCP ≥20）",
        StatFirstByte => "到第一个数据字节的时间（毫秒）",
        StatUdpVerdict => {
            "UDP 发送了 {udg} 个数据报、{ubytes} 字节数据，第一个数据随第一个包就发出了（{ufirst} 毫秒）：不建立连接、不确认、不重传（无连接、不可靠、速度快）。TCP 用了 {tseg} 个报文段传送 {tbytes} 字节数据，其中 {tempty} 个不带数据（握手、确认、挥手），第一个数据字节在第一个 SYN 之后 {tfirst} 毫秒才发出。"
        }
        AckBeforeFin => {
            "这个报文段的 ack 还没有覆盖{peer}的 FIN：它是在 FIN 到达之前发出的，或者 FIN 之前还有字节没收到。随 FIN 显示的{who} CLOSE_WAIT 状态，实际上要到它的 ack 覆盖 FIN 时才开始。"
        }
        FinSecond => {
            "{who}发送 FIN：{peer}已经关闭了它那一半连接，现在{who}也没有数据要发了；这个 FIN 被确认后，两个方向就都关闭了。和 SYN 一样，FIN 也占用一个序号（{rel_seq}）。"
        }
        WkQListen => "SYN 到达时，服务器的套接字处于什么状态？",
        WkAListen => {
            "LISTEN：SYN+ACK 这个回应说明有程序在 {port} 端口等待连接请求。如果没有程序监听，回应会是 RST（服务器一方为 CLOSED）。"
        }
        KDeltaT => "Δt 列：与上一行相隔的时间",
        DPacket => "数据包 {n}：抓到 {len} 字节（原长 {orig} 字节）",
        DTcpConn => "TCP 连接",
        DStatesAfter => "之后的状态：客户端 {c}，服务器 {s}",
        DWindow => "窗口 {w} 字节（已按比例放大）",
        DOptions => "选项：mss={mss} wscale={ws} sack_permitted={sack}",
        DAnalysis => "分析：{name}",
        DHttpHead => "HTTP 头部",
        DWsHandshake => "WebSocket 握手",
        DExtensions => "扩展：{e}",
        DConnClosed => "连接已关闭",
        DHow => "关闭方式：{how}；客户端 {c}，服务器 {s}",
        DNewConn => "新连接",
        DNote => "提示（{level}，{code}）",
        DAcceptTitle => "逐步计算 Sec-WebSocket-Accept",
        DNoKey => "没有发送 Sec-WebSocket-Key",
        DStepKey => "1 密钥",
        DStepServer => "  服务器",
        DMatch => "✓ 一致",
        DMismatch => "✗ 不一致",
        DNoAccept => "  服务器没有发送 Accept ✗",
        DFrame => "WebSocket 帧：{op} {len}B{heur}",
        DHeuristic => "（未经握手、按内容识别）",
        DLayout => "RFC 6455 §5.2 帧格式",
        DUnmaskTitle => "去掉掩码：线路上的字节 XOR key[i mod 4] = 原始字节",
        DNotMasked => "载荷没有加掩码（服务器发出的帧从不加掩码）",
        DMessage => "消息：{op}，共 {n} 帧",
        DDeflate => "permessage-deflate：线路上 {wire} 字节 → 解压后 {len} 字节",
        DBytes => "{n} 字节",
        DInflateErr => "无法解压：{e}",
        DClose => "关闭状态码 {code}，原因“{reason}”",
        DNone => "（无）",
        DText => "文本：“{t}”{more}",
        DData => "数据：{hex}",
        DBadUtf8 => "无效的 UTF-8",
        UiColProto => "协议",
        UiColLocalIp => "本地（客户端）IP",
        UiColPort => "端口",
        UiColRemoteIp => "远地（服务器）IP",
        UiColLocal => "本地（客户端）",
        UiColRemote => "远地（服务器）",
        UiColMsgs => "消息",
        UiColBytes => "字节",
        UiNoConn => "  （还没有连接）",
        UiWaiting => "  等待数据包…",
        UiPressN => "  按 n 或 → 显示下一个事件",
        UiNothing => "  没有符合筛选条件的内容",
        UiFiltLayer => "协议层={l}",
        UiFiltNoAcks => "隐藏纯 ACK",
        UiFiltRaw => "原始序号",
        LNoFlags => "<无标志位>",
        LStep2 => "第 2/4 步 ",
        LStep3 => "第 3/4 步 ",
        LWsOpen => "第 4/4 步 WebSocket 已建立",
        LUpgradeFailed => "升级失败",
        LAcceptOk => "，Accept ✓",
        LAcceptBad => "，Accept ✗",
        LMasked => "（已加掩码）",
        LMessage => "⇒ {op} 消息",
        LFrames => "（{n} 帧）",
        LClosed => "连接关闭（{how}）",
        ClosePolledKeepAlive => {
            "这条连接保持打开，传送了 {requests} 个 HTTP 请求，反复询问之前问过的内容：这也是轮询。它省去了重新握手，但每次询问仍然要发送完整的请求头和响应头，新消息也要等到下一次询问才能送到。"
        }
        UiFollowing => "跟随中",
        UiFollowPaused => "已暂停（End 继续跟随）",
        UiLoading => "加载中…",
        UiAheadPreparing => "加载中… · End：正在提前解码文件末尾…",
        UiAheadShown => "已提前解码末尾 · 文件已加载 {pct}% · Home：开头",
        UiAheadMid => " · 其中 {n} 个从中途开始解码",
        UiAheadFailed => "无法提前解码文件末尾：{e}",
        UiUnknownKey => "此键在这里没有作用：按 ? 查看所有按键",
        UiCapturing => "正在 {iface} 上抓包（{backend}）",
        UiRecordingTo => "同时记录到 {file}",
        UiCaptureEnded => "抓包已结束",
        UiDemoRunning => "演示进行中，在 lo 上抓包（{backend}）",
        UiDemoReplaying => "正在回放内置的演示录制",
        UiDemoEnded => "演示已结束",
        UiHeadEvent => "事件 {pos}/{n}",
        UiHeadCounts => "{p} 个数据包 {e} 个事件 {c} 个连接",
        UiHeadDropped => "丢失 {n} 个",
        UiMsgPrompt => "消息：",
        UiMsgHint => "Enter：客户端立即发送 · Esc：取消",
        FDemoNext => "下一步",
        FDemoMsg => "输入消息",
        // above WebSocket: Engine.IO and Socket.IO
        AppEioOpen => {
            "Engine.IO 打开会话 {sid}：服务器提供升级到 {upgrades}，每 {interval} 毫秒发一次 ping（对方须在 {timeout} 毫秒内应答）。"
        }
        AppEioProbePing => {
            "升级过程第 1 步：客户端在新的 WebSocket 上发送 ping \"probe\"（2probe）试探它，此时会话仍由长轮询承载。"
        }
        AppEioProbePong => {
            "第 2 步：服务器在 WebSocket 上回复 pong \"probe\"（3probe）：新的传输方式可用。客户端随即暂停轮询。"
        }
        AppEioUpgrade => {
            "第 3 步：客户端发送 upgrade（5）：此后会话的数据包都走 WebSocket，轮询停止。"
        }
        AppEioNoop => {
            "空包（noop，6）：服务器用一个空包结束正在等待的长轮询，好让客户端切换传输方式。"
        }
        AppEioPing => "心跳：{who}发送 Engine.IO ping；对方须及时回复 pong，否则会话被视为已断开。",
        AppEioPong => "心跳应答：{who}回复 pong。",
        AppEioClose => "{who}关闭 Engine.IO 会话。",
        AppEioMessage => "{who}发来一条 Engine.IO 消息：{args}",
        AppPolling => {
            "它装在一个 HTTP 长轮询{what}的正文里；一个正文可装多个数据包，以记录分隔符 0x1E 隔开。"
        }
        AppSioConnect => "Socket.IO：客户端请求加入命名空间 {nsp}。",
        AppSioConnectOk => "Socket.IO：服务器接受客户端加入命名空间 {nsp}（socket id {sid}）。",
        AppSioDisconnect => "Socket.IO：{who}离开命名空间 {nsp}。",
        AppSioEvent => "Socket.IO 事件 \"{name}\"，来自{who}，命名空间 {nsp}，参数 {args}。",
        AppSioWantsAck => "它带有确认编号 {id}：{other}应以同一编号的 ack 作答。",
        AppSioBinary => {
            "{n} 个二进制附件（{sizes} 字节）作为单独的二进制数据包随后发送，替换各自的占位符。"
        }
        AppSioAck => {
            "{who}发来 Socket.IO ack {id}：回应事件 \"{name}\"（数据包 #{pkt}），相隔 {rtt}。"
        }
        AppSioAckUnpaired => "{who}发来 Socket.IO ack {id}；它回应的事件没有被抓到。",
        AppSioConnectError => "Socket.IO：服务器拒绝客户端加入命名空间 {nsp}：{args}",
        AppOther => "{proto}：{label}",
        AppRpcRequest => {
            "{who}发来 JSON-RPC 请求 {id}：调用 “{method}”，参数 {args}；{other}须以同一编号（id）作答。"
        }
        AppRpcNotification => {
            "{who}发来 JSON-RPC 通知：“{method}” {args}（没有编号（id）：无需应答）。"
        }
        AppRpcResponse => {
            "{who}发来 JSON-RPC 响应 {id}：“{method}”（数据包 #{pkt}）的结果，距请求 {rtt}：{args}"
        }
        AppRpcError => {
            "{who}发来 JSON-RPC 错误 {id}：“{method}”（数据包 #{pkt}）失败，距请求 {rtt}：{args}"
        }
        AppRpcUnpaired => "{who}发来 JSON-RPC {kind} {id}；对应的请求没有被抓到：{args}",
        AppRpcCdp => {
            "这是 Chrome 开发者工具协议（CDP）：形同 JSON-RPC，但没有 \"jsonrpc\":\"2.0\" 成员；没有 id 的消息是浏览器的事件。"
        }
        StatTlsTitle => "TLS（wss://、https://）",
        StatTlsConns => {
            "TLS 连接：{n} 个；看得出承载 WebSocket（wss://）的：{wss} 个（只有解密后才看得出）"
        }
        StatTlsKeys => "用密钥日志解密的：{yes} 个；未解密的：{no} 个",
        StatTlsSuite => "  {version} {cipher}：{n} 个",
        StatC2s => "客户端 → 服务器",
        StatS2c => "服务器 → 客户端",
        StatTlsRecords => "加密记录数",
        StatTlsBytes => "加密字节数（记录正文）",
        StatTlsAllOpen => {
            "每个 TLS 连接都用密钥日志解密了：上面表格里的数字是在 TLS 里面读出来的。没有密钥的人只能看到这些记录：有多少、多大、什么时候。"
        }
        StatTlsClosed => {
            "有 {no} 个 TLS 连接仍然是加密的：窃听者（以及没有密钥的 wslens）只能看到每个方向有多少记录、多大、什么时候，看不到 HTTP 升级请求，也看不到任何 WebSocket 消息。用 --tls-keylog FILE（或 SSLKEYLOGFILE）提供密钥日志就能看到里面。"
        }
        AppStompConnect => {
            "STOMP：客户端开启会话（{cmd}），可用版本 {versions}；心跳 {hb}（它每 x 毫秒能发一次，希望每 y 毫秒收到一次；0 表示不用）。"
        }
        AppStompConnected => {
            "STOMP：服务器接受（距客户端的 {cmd} {rtt}）：版本 {version}，心跳 {hb}，服务器 {server}。"
        }
        AppStompSend => "STOMP SEND：客户端发往目的地 {dest}。",
        AppStompSubscribe => {
            "STOMP SUBSCRIBE：客户端订阅 {dest}，订阅编号 “{id}”（确认模式 {ack}）；发给它的消息将以注明此编号的 MESSAGE 帧送达。"
        }
        AppStompUnsubscribe => "STOMP UNSUBSCRIBE：客户端结束订阅 “{id}”。",
        AppStompMessage => "STOMP MESSAGE：服务器把 {dest} 的消息 “{id}” 投递给订阅 “{sub}”。",
        AppStompAck => "STOMP ACK：客户端确认已处理数据包 #{pkt} 的 MESSAGE，距它到达 {rtt}。",
        AppStompNack => {
            "STOMP NACK：客户端拒收数据包 #{pkt} 的 MESSAGE，距它到达 {rtt}；代理可能会重新投递。"
        }
        AppStompTx => "STOMP {cmd}：事务 “{id}”（注明此事务的帧在 COMMIT 时一起生效）。",
        AppStompDisconnect => "STOMP DISCONNECT：客户端结束会话。",
        AppStompReceipt => {
            "STOMP 回执（RECEIPT）“{id}”：服务器确认已处理客户端的 {name}（数据包 #{pkt}），相隔 {rtt}。"
        }
        AppStompReceiptWanted => {
            "它要求回执（receipt:{id}）：服务器应回复一个回执帧（RECEIPT），其回执编号头（receipt-id）为 “{id}”。"
        }
        AppStompError => "服务器发来 STOMP 错误帧（ERROR）：“{message}”",
        AppStompErrorAnswers => {
            "它的回执编号头（receipt-id）“{id}” 指明了失败的是什么：客户端的 {name}（数据包 #{pkt}），早 {rtt}。"
        }
        AppStompErrorCause => {
            "这个错误帧（ERROR）没有回执编号头（receipt-id），没有指明起因；最可能是客户端的上一帧：{cause}。"
        }
        AppStompHeartbeat => {
            "{who}发来 STOMP 心跳：帧与帧之间（或紧跟在帧的 NUL 之后）的一个单独换行，表明连接仍然活着。"
        }
        AppStompBody => "正文：{n} 字节（{how}）：{args}",
        AppGqlInit => {
            "基于 WebSocket 的 GraphQL（{sub}）：客户端以初始化消息（connection_init）开启会话；服务器回复确认（connection_ack）之后才能开始操作。"
        }
        AppGqlAck => {
            "服务器接受 GraphQL 会话（connection_ack），距初始化消息（connection_init）{rtt}。"
        }
        AppGqlStart => {
            "客户端开始操作 “{id}”：{name}。结果以带同一编号（id）的消息返回，直到完成（complete）或出错（error）。"
        }
        AppGqlNext => "操作 “{id}”（{name}）的一个结果，距开始 {rtt}：{args}",
        AppGqlError => "操作 “{id}”（{name}）失败：{args}",
        AppGqlCancel => "客户端取消操作 “{id}”（{name}）；已在路上的结果仍可能到达。",
        AppGqlComplete => "服务器结束操作 “{id}”（{name}），距开始 {rtt}。",
        AppGqlKeepAlive => "保活：{who}发来 {kind}。",
        AppGqlTerminate => "客户端结束 GraphQL 会话（connection_terminate）。",
        AppMqttConnect => {
            "MQTT CONNECT：客户端 \"{client}\" 开启会话（{protocol}）；它承诺至少每 {keepalive} 秒发送一次数据（保活）。"
        }
        AppMqttConnack => {
            "MQTT CONNACK：代理以原因码 {code} 作答（0 表示接受），距 CONNECT {rtt}。"
        }
        AppMqttPublish => "{who}发来 MQTT PUBLISH，主题 {topic}，QoS {qos}：{args}",
        AppMqttQos1 => {
            "QoS 1（至少一次）：接收方以注明报文编号 {id} 的 PUBACK 确认；在此之前发送方可能重发。"
        }
        AppMqttQos2 => {
            "QoS 2（恰好一次）：随后是注明报文编号 {id} 的 PUBREC、PUBREL 和 PUBCOMP，保证消息只送达一次。"
        }
        AppMqttRetain => "保留消息：代理会保存它，并交给该主题以后的每个订阅者。",
        AppMqttFlow => {
            "{who}发来 MQTT {kind} {id}：主题 {topic} 的 PUBLISH（数据包 #{pkt}）的 QoS 流程中的一步，距它 {rtt}。"
        }
        AppMqttSubscribe => "客户端发来 MQTT {kind} {id}：{args}",
        AppMqttSuback => "MQTT {kind} {id}：代理答复 {args}，距请求 {rtt}。",
        AppMqttPing => "{who}发来 MQTT {kind}：保活，让双方知道会话仍在。",
        AppMqttDisconnect => "{who}发来 MQTT DISCONNECT：会话正常结束。",
        AppMqttProps => "MQTT 5 属性：{props}",
        DAppType => "类型",
        DAppTransport => "传输方式",
        DAppNamespace => "命名空间",
        DAppName => "名称",
        DAppId => "编号",
        DAppAnswers => "回应数据包 #{pkt}{name}，往返时间 {rtt}",
        DAppAttach => "拼接的二进制附件：{sizes}",
        DAppArgs => "参数：",
        DMoreLines => "… 还有 {n} 行（见 decode --json）",
        DFirstOf => "（{len} 字节中的前 {n} 字节）",
        DAsJson => "载荷（JSON）",
        DAsHex => "载荷（十六进制）",
        DAsBase64 => "载荷（base64）",
        KLayers => "每个数据包一个箭头 ↔ 每层一个箭头",
        UiFiltPerLayer => "分层显示",
        DAsMsgpack => "载荷（MessagePack 解码）",
        DAsCbor => "载荷（CBOR 解码）",
        DAsText => "载荷（文本）",
        DFullLoading => "正在从文件读取完整载荷（{len} 字节）…",
        DFullLive => {
            "只保留了 {len} 字节中的前 {n} 字节：实时抓包没有写完的文件可以读回其余部分（对保存的文件运行 wslens export 可得到全部）"
        }
        DFullCap => {
            "完整载荷有 {len} 字节，超过界面读取的上限 {cap} MiB：下面只显示前 {cap} MiB（wslens export --max-message 可写出全部）"
        }
        DFullFailed => "无法读取完整载荷：{e}",
        DFullMissing => "在文件中没有再次找到这条消息；下面显示 {len} 字节中的前 {n} 字节",
    }
}
