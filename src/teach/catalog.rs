//! The message catalogue: every sentence the teaching layer shows is a template named by a
//! [`Msg`] id, with one table per language (`en.rs`, `zh.rs`). Keeping the wording out of the
//! narration logic lets a translator work on one file and lets a test prove every language says
//! something for every id, with the same placeholders.

use std::fmt::{self, Display};

/// A language the narration speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    /// Simplified Chinese, with the seed tutorial's terms.
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "en" | "english" => Ok(Lang::En),
            "zh" | "zh-cn" | "zh-hans" | "chinese" | "中文" => Ok(Lang::Zh),
            _ => Err(format!("unknown language {s:?} (expected en or zh)")),
        }
    }
}

impl Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

macro_rules! ids {
    ($($id:ident),* $(,)?) => {
        /// Every message id; each language's table must have a text for each.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Msg { $($id),* }
        impl Msg {
            pub const ALL: &'static [Msg] = &[$(Msg::$id),*];
        }
    };
}

ids! {
    // words used inside other sentences
    WClient, WServer, WYes, WNo, ListSep,
    // connection opens
    ConnOpenTcp, ConnOpenSteps, ConnOpenGuessed, ConnOpenUdp,
    // TCP segments
    Syn, SynOpts, OptMss, OptWscale, OptSack, OptTs,
    SynAck, SynAckOdd, HsAck, HsAckOdd,
    Data, DataAck, AckOnly, Fin, Rst, RstRefused,
    Retrans, OutOfOrder, DupAck, Lost, OtherAnalysis,
    StateNow, StateBoth,
    MClosed, MListen, MSynSent, MSynReceived, MEstablished, MFinWait1, MFinWait2,
    MCloseWait, MClosing, MLastAck, MTimeWait,
    AliasSynSent, AliasSynReceived,
    // connection closes
    CloseFin, CloseRst, CloseRefused, CloseIncomplete, CloseStates, CloseShort,
    // UDP
    Udp,
    // HTTP
    HttpRequest, HttpUpgradeReq, HttpKey, HttpExtOffer, HttpProtoOffer,
    HttpResponse, HttpBody, HttpConnClose, Http101, HttpAccept, HttpExtAccept, HttpProtoAccept,
    // WebSocket handshake
    WsOpen, WsAcceptSteps, VerdictOk, VerdictBad, WsDeflate, WsFailed,
    // WebSocket frames
    Frame, LenForm7, LenForm16, LenForm64,
    OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong, OpReserved,
    FrameMasked, FrameUnmasked, FrameUnmaskedClient, FrameMaskedServer,
    FrameFragment, FrameRsv1, FrameHeuristic,
    // WebSocket messages
    MsgText, MsgBinary, MsgFragments, MsgDeflateSmaller, MsgDeflateBigger, MsgInflateErr,
    MsgPush, MsgPing, MsgPong, MsgClose, MsgCloseReason, MsgCloseNoCode, MsgUtf8,
    Cc1000, Cc1001, Cc1002, Cc1003, Cc1007, Cc1008, Cc1009, Cc1010, Cc1011, CcOther,
    // notes
    NoteLine,
    // polling vs WebSocket statistics
    StatTitle, StatPolling, StatWs, StatConnections, StatHandshakes, StatRequests,
    StatMessages, StatSegments, StatHeaderBytes, StatPayloadBytes, StatHeaderPerMsg,
    StatPayloadPerMsg, StatSetup, StatVerdict, StatNoPolling, StatNoWs,
    // the terminal UI's own words: pane titles, footer hints, the key help
    UiConns, UiOnlySelected, UiLadder, UiLadderConn, UiDetail, UiDetailAt, UiDetailAtPkt, UiBytes, UiWhatHappened,
    UiKeysTitle, UiSearchHint,
    FQuit, FHelp, FPlay, FPause, FStep, FCompare, FPane, FLayer, FSearch, FAcks, FOneConn, FRawSeq,
    FTheme, FSpeed,
    KPlay, KSpeed, KStep, KMove, KPage, KHome, KEnd, KEsc, KTab, KEnter, KCompare, KOneConn, KLayer,
    KAcks, KSearch, KRaw, KTheme, KMouse, KHelp, KQuit,
    // worksheets (`wslens worksheet`)
    WkTitle, WkName, WkDate, WkIntro, WkAnswers,
    WkSecSocket, WkColFact, WkColValue, WkFactProto, WkFactLip, WkFactLport, WkFactRip, WkFactRport,
    WkQTempPort, WkATempPort,
    WkSecHandshake, WkHandshakeIntro, WkColDir, WkColFlags, WkColSeq, WkColAck, WkColClientState,
    WkColServerState, WkStateWhy, WkASynAckAck, WkAHsAckSeq, WkAHsAckAck,
    WkSecUpgrade, WkUpgradeIntro, WkQStatus, WkAStatus101, WkAStatusOther, WkAcceptIntro, WkQConcat,
    WkAConcat, WkQSha1, WkASha1, WkQBase64, WkABase64, WkAcceptTool, WkQMatch, WkAMatchYes, WkAMatchNo,
    WkSecFrame, WkFrameIntro, WkAFin, WkAOpcode, WkAMask, WkPayloadLen, WkALen, WkMaskKey, WkAMaskKey,
    WkUnmaskIntro, WkColMasked, WkColKeyByte, WkColPlain, WkAXor, WkQText, WkAText, WkCompressed,
    WkWholeText,
    WkSecClose, WkCloseFrame, WkQCloseCode, WkACloseCode, WkTeardownIntro, WkAFinAck,
    // chapters (keys 1-5) and the presenter layout
    ChapTcp, ChapTls, ChapTlsNone, ChapUpgrade, ChapMessage, ChapClose, ChapMissing, KChapters,
    KPresenter, KQuiz, QuizTitle, QuizSynAckAck, QuizHsAck, QuizStates, QuizAccept, QuizUnmask,
    QuizHidden,
    WkQListen, WkAListen,
    KDeltaT,
    // the detail pane's own lines
    DPacket, DTcpConn, DStatesAfter, DWindow, DOptions, DAnalysis, DHttpHead, DWsHandshake,
    DExtensions, DConnClosed, DHow, DNewConn, DNote, DAcceptTitle, DNoKey, DStepKey, DStepServer,
    DMatch, DMismatch, DNoAccept, DFrame, DHeuristic, DLayout, DUnmaskTitle, DNotMasked, DMessage,
    DDeflate, DBytes, DInflateErr, DClose, DNone, DText, DData, DBadUtf8,
    // the UI's list headings, filters and empty states
    UiColProto, UiColLocalIp, UiColPort, UiColRemoteIp, UiColLocal, UiColRemote, UiColMsgs,
    UiColBytes, UiNoConn, UiWaiting, UiPressN, UiNothing, UiFiltLayer, UiFiltNoAcks, UiFiltRaw,
    // ladder labels' words
    LNoFlags, LStep2, LStep3, LWsOpen, LUpgradeFailed, LAcceptOk, LAcceptBad, LMasked, LMessage,
    LFrames, LClosed,
    UiHeadEvent, UiHeadCounts, UiHeadDropped,
    UiMsgPrompt, UiMsgHint, FDemoNext, FDemoMsg,
    DAppType, DAppTransport, DAppNamespace, DAppName, DAppId, DAppAnswers, DAppAttach, DAppArgs,
    DMoreLines, DFirstOf, DAsJson, DAsHex, DAsBase64, DAsMsgpack, DAsCbor,
    // both ends' states as each segment arrives (issue 14)
    SynAsks, SynAckArrives, HsBoth, FinAckTogether, FinCrossed, RetransState, DataAckNone,
    // the WebSocket handshake as the tutorial's four steps
    WsStep2, WsStep3, WsStep4,
    // measured polling figures, and UDP beside TCP
    StatStreamPerByte, StatNewsWait, StatVerdictPush,
    StatUdpTitle, StatUdp, StatTcp, StatFlows, StatPackets, StatEmptyPackets, StatHeaderPerByte,
    StatFirstByte, StatUdpVerdict,
    AckBeforeFin, FinSecond, ClosePolledKeepAlive,
    // live sources in the UI: following new events, an unknown key
    UiFollowing, UiFollowPaused, UiLoading, UiUnknownKey,
    // `End` while a large file loads: its end decoded ahead
    UiAheadPreparing, UiAheadShown, UiAheadMid, UiAheadFailed,
    UiCapturing, UiRecordingTo, UiCaptureEnded, UiDemoRunning, UiDemoReplaying, UiDemoEnded,
    // above WebSocket: Engine.IO and Socket.IO
    AppEioOpen, AppEioProbePing, AppEioProbePong, AppEioUpgrade, AppEioNoop, AppEioPing,
    AppEioPong, AppEioClose, AppEioMessage, AppPolling, AppSioConnect, AppSioConnectOk,
    AppSioDisconnect, AppSioEvent, AppSioWantsAck, AppSioBinary, AppSioAck, AppSioAckUnpaired,
    AppSioConnectError, AppOther,
    AppRpcRequest, AppRpcNotification, AppRpcResponse, AppRpcError, AppRpcUnpaired, AppRpcCdp,
    // one arrow per packet, or one per layer (key x)
    KLayers, UiFiltPerLayer,
    // TLS connections in `wslens stats`
    StatTlsTitle, StatTlsConns, StatTlsKeys, StatTlsSuite, StatC2s, StatS2c, StatTlsRecords,
    StatTlsBytes, StatTlsAllOpen, StatTlsClosed,
    // above WebSocket: STOMP
    AppStompConnect, AppStompConnected, AppStompSend, AppStompSubscribe, AppStompUnsubscribe,
    AppStompMessage, AppStompAck, AppStompNack, AppStompTx, AppStompDisconnect, AppStompReceipt,
    AppStompReceiptWanted, AppStompError, AppStompErrorAnswers, AppStompErrorCause, AppStompHeartbeat, AppStompBody,
    // above WebSocket: GraphQL over WebSocket, MQTT
    AppGqlInit, AppGqlAck, AppGqlStart, AppGqlNext, AppGqlError, AppGqlCancel, AppGqlComplete,
    AppGqlKeepAlive, AppGqlTerminate,
    AppMqttConnect, AppMqttConnack, AppMqttPublish, AppMqttQos1, AppMqttQos2, AppMqttRetain,
    AppMqttFlow, AppMqttSubscribe, AppMqttSuback, AppMqttPing, AppMqttDisconnect, AppMqttProps,
    // whole payloads loaded from the file for the detail pane's views
    DAsText, DFullLoading, DFullLive, DFullCap, DFullFailed, DFullMissing,
}

/// The template for `id` in `lang`.
pub fn text(lang: Lang, id: Msg) -> &'static str {
    match lang {
        Lang::En => super::en::text(id),
        Lang::Zh => super::zh::text(id),
    }
}

/// The `{name}` placeholders of a template, in order of appearance.
pub fn placeholders(tpl: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = tpl;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    out.push(name);
                }
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

/// Fill a template's `{name}` placeholders from `args`. Values are inserted as given: callers
/// escape captured strings before passing them, and values are never re-scanned, so a captured
/// `{x}` stays literal.
pub fn fill(tpl: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(tpl.len() + 32);
    fill_into(&mut out, tpl, args);
    out
}

/// [`fill`], appended to `out`.
pub fn fill_into(out: &mut String, tpl: &str, args: &[(&str, &dyn Display)]) {
    let mut rest = tpl;
    while let Some((lit, name, after)) = next_placeholder(rest) {
        out.push_str(lit);
        push_arg(out, name, args);
        rest = after;
    }
    out.push_str(rest);
}

/// The text before the next `{name}` of `tpl`, the name, and what follows its `}`. A name is
/// whatever lies between a `{` and the next `}` with no `{` inside (a `{` followed by another
/// `{` first is literal text).
fn next_placeholder(tpl: &str) -> Option<(&str, &str, &str)> {
    let b = tpl.as_bytes();
    let mut from = 0;
    loop {
        let open = from + memchr::memchr(b'{', &b[from..])?;
        let close = open + 1 + memchr::memchr(b'}', &b[open + 1..])?;
        match memchr::memchr(b'{', &b[open + 1..close]) {
            // `{a {b}`: the first `{` is literal; the next one may open a name.
            Some(inner) => from = open + 1 + inner,
            None => return Some((&tpl[..open], &tpl[open + 1..close], &tpl[close + 1..])),
        }
    }
}

/// The value named `name` written to `out`, or `{name}` as it stands when none is given.
#[inline]
fn push_arg(out: &mut String, name: &str, args: &[(&str, &dyn Display)]) {
    let nb = name.as_bytes();
    let found = args.iter().find(|(n, _)| same_name(n.as_bytes(), nb));
    match found {
        Some((_, v)) => {
            use fmt::Write;
            let _ = write!(out, "{v}");
        }
        None => {
            out.push('{');
            out.push_str(name);
            out.push('}');
        }
    }
}

/// One piece of a template split once at its placeholders: literal text, then the name of the
/// value that follows it (none for the template's tail).
#[derive(Clone, Copy)]
struct Piece {
    lit: &'static str,
    name: Option<&'static str>,
    /// `name` as a [`Name`] (one that no call can give when the name is too long for one).
    key: Name,
}

/// A placeholder's name packed into a number (its bytes and its length), so that finding the
/// value for a placeholder is comparing integers: names are short identifiers, at most 15
/// bytes (the narration's `say!` checks its names at compile time).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Name(u128);

impl Name {
    /// Longest name that packs.
    pub const MAX_LEN: usize = 15;

    /// `name` packed; None when it is longer than [`Name::MAX_LEN`].
    pub const fn try_of(name: &str) -> Option<Name> {
        let b = name.as_bytes();
        if b.len() > Self::MAX_LEN {
            return None;
        }
        let mut key = (b.len() as u128) << 120;
        let mut i = 0;
        while i < b.len() {
            key |= (b[i] as u128) << (8 * i);
            i += 1;
        }
        Some(Name(key))
    }

    /// `name` packed (to be evaluated at compile time: a longer name fails the build).
    pub const fn of(name: &str) -> Name {
        match Self::try_of(name) {
            Some(n) => n,
            None => panic!("placeholder names are at most 15 bytes"),
        }
    }

    /// No name packs to this (its length byte is above 15).
    const NONE: Name = Name(u128::MAX);
}

/// A catalogue template split at its placeholders, with its literal length.
struct Parsed {
    pieces: Box<[Piece]>,
    lit_len: usize,
}

fn parse(tpl: &'static str) -> Parsed {
    let mut pieces = Vec::new();
    let mut rest = tpl;
    while let Some((lit, name, after)) = next_placeholder(rest) {
        pieces.push(Piece {
            lit,
            name: Some(name),
            key: Name::try_of(name).unwrap_or(Name::NONE),
        });
        rest = after;
    }
    pieces.push(Piece {
        lit: rest,
        name: None,
        key: Name::NONE,
    });
    let lit_len = pieces.iter().map(|p| p.lit.len()).sum();
    Parsed {
        pieces: pieces.into_boxed_slice(),
        lit_len,
    }
}

/// Every template of every language, split once (the narrated text log fills millions of
/// sentences; searching each template for its braces every time was a sixth of its cost).
fn parsed(lang: Lang, id: Msg) -> &'static Parsed {
    static TABLES: std::sync::OnceLock<Vec<Vec<Parsed>>> = std::sync::OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        Lang::ALL
            .iter()
            .map(|&l| Msg::ALL.iter().map(|&m| parse(text(l, m))).collect())
            .collect()
    });
    &tables[lang as usize][id as usize]
}

/// How the narrated text log indents a sentence (past the packet-number column of the summary
/// line above it).
pub const LINE_INDENT: &str = "          ";

/// Every template as a line of the narrated text log ([`LINE_INDENT`], the sentence, a
/// newline), split once: a sentence without values is then written at once. The lines are
/// made once per run and live as long as the program (like the templates).
fn parsed_line(lang: Lang, id: Msg) -> &'static Parsed {
    static TABLES: std::sync::OnceLock<Vec<Vec<Parsed>>> = std::sync::OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        Lang::ALL
            .iter()
            .map(|&l| {
                Msg::ALL
                    .iter()
                    .map(|&m| {
                        let line = format!("{LINE_INDENT}{}\n", text(l, m));
                        parse(Box::leak(line.into_boxed_str()))
                    })
                    .collect()
            })
            .collect()
    });
    &tables[lang as usize][id as usize]
}

/// A value for a placeholder, as the narration's `say!` passes it: text and whole numbers are
/// written as they are, anything else through its `Display` (the same characters either way;
/// the narrated text log fills millions of placeholders, and `fmt` was a quarter of its cost).
#[derive(Clone, Copy)]
pub enum Arg<'a> {
    Str(&'a str),
    Unsigned(u64),
    Signed(i64),
    Shown(&'a dyn Display),
}

impl Arg<'_> {
    #[inline]
    fn push_to(self, out: &mut String) {
        match self {
            Arg::Str(s) => out.push_str(s),
            Arg::Unsigned(n) => out.push_str(itoa::Buffer::new().format(n)),
            Arg::Signed(n) => out.push_str(itoa::Buffer::new().format(n)),
            Arg::Shown(v) => {
                use fmt::Write;
                let _ = write!(out, "{v}");
            }
        }
    }
}

/// `(&ArgOf(&v)).arg()` picks [`PlainArg`] for text and whole numbers and [`DisplayArg`] for
/// any other `Display` value (method lookup tries `ArgOf<T>` before `&ArgOf<T>`).
pub struct ArgOf<'a, T: ?Sized>(pub &'a T);

/// Text and whole numbers, written without `fmt`.
pub trait PlainArg<'a> {
    fn arg(&self) -> Arg<'a>;
}

/// Any other value, written through its `Display`.
pub trait DisplayArg<'a> {
    fn arg(&self) -> Arg<'a>;
}

impl<'a, T: Display> DisplayArg<'a> for &ArgOf<'a, T> {
    fn arg(&self) -> Arg<'a> {
        Arg::Shown(self.0)
    }
}

macro_rules! plain_args {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {
        $(impl<'a> PlainArg<'a> for ArgOf<'a, $t> {
            #[inline]
            fn arg(&self) -> Arg<'a> {
                let $v = self.0;
                $e
            }
        })*
    };
}

plain_args! {
    str => |v| Arg::Str(v),
    &str => |v| Arg::Str(v),
    String => |v| Arg::Str(v),
    std::borrow::Cow<'_, str> => |v| Arg::Str(v),
    u8 => |v| Arg::Unsigned(u64::from(*v)),
    u16 => |v| Arg::Unsigned(u64::from(*v)),
    u32 => |v| Arg::Unsigned(u64::from(*v)),
    u64 => |v| Arg::Unsigned(*v),
    usize => |v| Arg::Unsigned(*v as u64),
    i32 => |v| Arg::Signed(i64::from(*v)),
    i64 => |v| Arg::Signed(*v),
}

/// A value already made an [`Arg`].
impl<'a> PlainArg<'a> for ArgOf<'_, Arg<'a>> {
    #[inline]
    fn arg(&self) -> Arg<'a> {
        *self.0
    }
}

/// [`say`] with values given as [`Arg`]s under [`Name`]s (the narration's `say!`).
pub fn say_args(lang: Lang, id: Msg, args: &[(Name, Arg)]) -> String {
    let p = parsed(lang, id);
    let mut out = spare_string(p.lit_len + 16 * args.len());
    say_args_into(&mut out, lang, id, args);
    out
}

/// [`say_args`], appended to `out`.
pub fn say_args_into(out: &mut String, lang: Lang, id: Msg, args: &[(Name, Arg)]) {
    fill_parsed(out, parsed(lang, id), args);
}

/// [`say_args`] as a line of the narrated text log, appended to `out`: [`LINE_INDENT`], the
/// sentence and a newline (the log writes its sentences straight into its text).
pub fn say_line_into(out: &mut String, lang: Lang, id: Msg, args: &[(Name, Arg)]) {
    fill_parsed(out, parsed_line(lang, id), args);
}

#[inline]
fn fill_parsed(out: &mut String, p: &Parsed, args: &[(Name, Arg)]) {
    out.reserve(p.lit_len + 16 * args.len());
    for piece in p.pieces.iter() {
        out.push_str(piece.lit);
        if let Some(name) = piece.name {
            match args.iter().find(|(n, _)| *n == piece.key) {
                Some((_, v)) => v.push_to(out),
                None => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            }
        }
    }
}

/// Most sentence buffers kept for reuse per thread, and the largest kept.
const SPARE_STRINGS: usize = 64;
const SPARE_CAPACITY: usize = 4096;

thread_local! {
    /// Buffers of sentences already written out (`recycle`), for the next sentences: the
    /// narrated text log makes about three sentences an event, and allocating and freeing each
    /// was a tenth of its cost.
    static SPARE: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An empty string with room for `cap` bytes, reused when one was recycled on this thread.
fn spare_string(cap: usize) -> String {
    match SPARE.with_borrow_mut(|v| v.pop()) {
        Some(mut s) => {
            s.clear();
            s.reserve(cap);
            s
        }
        None => String::with_capacity(cap),
    }
}

/// Give sentences that were written out back for reuse by the next ones made on this thread
/// (a bounded number, of bounded size).
pub fn recycle(sentences: Vec<String>) {
    SPARE.with_borrow_mut(|v| {
        for s in sentences {
            if v.len() >= SPARE_STRINGS {
                break;
            }
            if s.capacity() <= SPARE_CAPACITY {
                v.push(s);
            }
        }
    });
}

/// Placeholder names are short identifiers: their length and first byte tell most apart
/// without a `memcmp` call.
#[inline]
fn same_name(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.first() == b.first() && a == b
}

/// A catalogue sentence in `lang`, filled.
pub fn say(lang: Lang, id: Msg, args: &[(&str, &dyn Display)]) -> String {
    let p = parsed(lang, id);
    let mut out = String::with_capacity(p.lit_len + 16 * args.len());
    say_into(&mut out, lang, id, args);
    out
}

/// [`say`], appended to `out`.
pub fn say_into(out: &mut String, lang: Lang, id: Msg, args: &[(&str, &dyn Display)]) {
    for piece in parsed(lang, id).pieces.iter() {
        out.push_str(piece.lit);
        if let Some(name) = piece.name {
            push_arg(out, name, args);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_message_with_the_same_placeholders() {
        for &id in Msg::ALL {
            let mut en = placeholders(text(Lang::En, id));
            en.sort_unstable();
            en.dedup();
            for lang in Lang::ALL {
                let t = text(lang, id);
                assert!(!t.trim().is_empty(), "{lang}: {id:?} is empty");
                let mut p = placeholders(t);
                p.sort_unstable();
                p.dedup();
                assert_eq!(p, en, "{lang}: {id:?} has other placeholders than en");
                assert_eq!(
                    t.matches('{').count(),
                    t.matches('}').count(),
                    "{lang}: {id:?} has unbalanced braces"
                );
            }
        }
    }

    #[test]
    fn chinese_texts_are_translated() {
        // A forgotten copy of the English text would pass the placeholder test.
        let same: Vec<Msg> = Msg::ALL
            .iter()
            .copied()
            .filter(|&id| {
                let en = text(Lang::En, id);
                en == text(Lang::Zh, id) && en.chars().any(|c| c.is_ascii_lowercase())
            })
            .filter(|id| {
                !matches!(
                    id,
                    Msg::AliasSynSent
                        | Msg::AliasSynReceived
                        | Msg::StatWs
                        | Msg::StatUdp
                        | Msg::StatTcp
                )
            })
            .collect();
        assert!(same.is_empty(), "untranslated: {same:?}");
    }

    #[test]
    fn fill_replaces_known_placeholders_only() {
        let n = 7;
        let v = "{n}";
        assert_eq!(
            fill("a {n} b {m} {v}", &[("n", &n), ("v", &v)]),
            "a 7 b {m} {n}"
        );
        assert_eq!(fill("{", &[]), "{");
        assert_eq!(fill("{a {n} {}", &[("n", &n)]), "{a 7 {}");
        assert_eq!(fill("}{n}{", &[("n", &n)]), "}7{");
        assert_eq!(placeholders("x {a} {b_1} {} {c"), ["a", "b_1"]);
    }

    /// The straightforward fill (a `{` at a time) that the split templates must agree with.
    fn fill_scanning(tpl: &str, args: &[(&str, &dyn Display)]) -> String {
        let mut out = String::new();
        let mut rest = tpl;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let arg = after.find('}').and_then(|c| {
                let name = &after[..c];
                args.iter().find(|(n, _)| *n == name).map(|(_, v)| (c, v))
            });
            match arg {
                Some((c, v)) => {
                    out.push_str(&v.to_string());
                    rest = &after[c + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn split_templates_fill_as_the_scanning_fill_does() {
        let (n, v) = (42u64, "{who}");
        // Some placeholders given, some not (left as they stand), one value that looks like one.
        let args: [(&str, &dyn Display); 3] = [("who", &v), ("len", &n), ("text", &"a}b{")];
        for &id in Msg::ALL {
            for lang in Lang::ALL {
                let want = fill_scanning(text(lang, id), &args);
                assert_eq!(say(lang, id, &args), want, "{lang} {id:?}");
                assert_eq!(fill(text(lang, id), &args), want, "{lang} {id:?}");
            }
        }
        for tpl in [
            "{",
            "}",
            "{a {len}",
            "}{len}{",
            "{{len}}",
            "{} {len",
            "x{who}y{text}",
        ] {
            assert_eq!(fill(tpl, &args), fill_scanning(tpl, &args), "{tpl}");
        }
    }

    #[test]
    fn log_lines_are_the_sentences_indented() {
        let n = 42u64;
        let args = [
            (Name::of("who"), Arg::Str("{who}")),
            (Name::of("len"), Arg::Unsigned(n)),
            (Name::of("text"), Arg::Str("a}b{")),
        ];
        for &id in Msg::ALL {
            for lang in Lang::ALL {
                let mut line = String::from("x");
                say_line_into(&mut line, lang, id, &args);
                let want = format!("x{LINE_INDENT}{}\n", say_args(lang, id, &args));
                assert_eq!(line, want, "{lang} {id:?}");
            }
        }
    }

    #[test]
    fn names_pack_apart() {
        let names = [
            "a",
            "b",
            "ab",
            "ba",
            "a_1",
            "connection",
            "isn_peer",
            "isn",
            "fifteen_bytes__",
        ];
        for a in names {
            for b in names {
                assert_eq!(Name::of(a) == Name::of(b), a == b, "{a} {b}");
            }
            assert_ne!(Name::of(a), Name::NONE);
        }
        assert_eq!(Name::try_of("sixteen_bytes___"), None);
        // A template's placeholder too long for a name is left as it stands.
        let p = parse("x {sixteen_bytes___} y");
        assert_eq!(p.pieces[0].key, Name::NONE);
    }

    #[test]
    fn lang_parses() {
        assert_eq!("zh".parse::<Lang>(), Ok(Lang::Zh));
        assert_eq!("EN".parse::<Lang>(), Ok(Lang::En));
        assert!("fr".parse::<Lang>().is_err());
    }
}
