//! Narration of TCP segments: what the flags and numbers mean, and both ends' states as each
//! segment arrives (the capture point is the moment of delivery; see docs/tcp.md): the SYN
//! asks, the answer shows whether anything listened, crossed FINs, FIN and ACK together, and
//! what a retransmission or a short acknowledgement reveals about an earlier segment.

use super::*;

pub(crate) fn meaning(st: TcpState) -> Msg {
    match st {
        TcpState::Closed => Msg::MClosed,
        TcpState::Listen => Msg::MListen,
        TcpState::SynSent => Msg::MSynSent,
        TcpState::SynReceived => Msg::MSynReceived,
        TcpState::Established => Msg::MEstablished,
        TcpState::FinWait1 => Msg::MFinWait1,
        TcpState::FinWait2 => Msg::MFinWait2,
        TcpState::CloseWait => Msg::MCloseWait,
        TcpState::Closing => Msg::MClosing,
        TcpState::LastAck => Msg::MLastAck,
        TcpState::TimeWait => Msg::MTimeWait,
    }
}

fn options(o: &TcpOpts, lang: Lang) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(mss) = o.mss {
        parts.push(say!(lang, OptMss, mss = mss));
    }
    if let Some(w) = o.wscale {
        // RFC 7323 caps the shift at 14; larger values are treated as 14.
        let factor = 1u32 << u32::from(w.min(14));
        parts.push(say!(lang, OptWscale, factor = factor));
    }
    if o.sack_permitted {
        parts.push(say!(lang, OptSack));
    }
    if o.timestamps.is_some() {
        parts.push(say!(lang, OptTs));
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(catalog::text(lang, Msg::ListSep)))
    }
}

pub(super) fn tcp(s: &TcpSegment, facts: Option<&ConnFacts>, lang: Lang, out: &mut Lines) {
    let who = side(lang, s.dir);
    let peer = side(lang, s.dir.flip());
    let prev = facts.and_then(|f| f.states);
    let peer_isn = facts.and_then(|f| f.isn[s.dir.flip().idx()]);
    let f = s.flags;
    if f.rst() {
        let refused = s.dir == Dir::S2C
            && matches!(
                prev,
                Some((TcpState::SynSent, TcpState::Listen | TcpState::Closed))
            );
        if refused {
            let port = facts.and_then(|f| f.server).map(|a| a.port());
            match port {
                Some(port) => tell!(out, lang, RstRefused, port = port),
                None => tell!(out, lang, Rst, who = who),
            }
        } else {
            tell!(out, lang, Rst, who = who);
        }
    } else if f.syn() && !f.ack() {
        tell!(out, lang, Syn, isn = s.seq, next = s.seq.wrapping_add(1));
        if let Some(o) = options(&s.opts, lang) {
            tell!(out, lang, SynOpts, who = who, opts = o);
        }
    } else if f.syn() {
        match peer_isn {
            Some(j) if s.ack == j.wrapping_add(1) => {
                tell!(out, lang, SynAck, ack = s.ack, isn_peer = j, isn = s.seq)
            }
            _ => tell!(out, lang, SynAckOdd, ack = s.ack, isn = s.seq),
        }
        if let Some(o) = options(&s.opts, lang) {
            tell!(out, lang, SynOpts, who = who, opts = o);
        }
    } else if s.handshake == Some(Handshake::Ack) {
        match peer_isn {
            Some(k) if s.ack == k.wrapping_add(1) => {
                tell!(out, lang, HsAck, ack = s.ack, isn_peer = k)
            }
            _ => tell!(out, lang, HsAckOdd, ack = s.ack),
        }
    } else {
        if s.len > 0 {
            let isn = s.seq.wrapping_sub(s.rel_seq);
            let last = s.rel_seq.wrapping_add(s.len - 1);
            let next = s.rel_seq.wrapping_add(s.len);
            tell!(
                out,
                lang,
                Data,
                len = s.len,
                who = who,
                first = s.rel_seq,
                last = last,
                seq = s.seq,
                isn = isn,
                next = next
            );
            let told = facts.is_some_and(|c| c.data_ack_told[s.dir.idx()]);
            if f.ack() && !f.fin() && !told {
                // ack=1 confirms only the peer's SYN: there were no data bytes to confirm.
                if s.rel_ack <= 1 {
                    tell!(out, lang, DataAckNone, rel_ack = s.rel_ack, peer = peer);
                } else {
                    tell!(out, lang, DataAck, rel_ack = s.rel_ack, peer = peer);
                }
            }
        }
        if f.fin() {
            let fin_seq = s.rel_seq.wrapping_add(s.len);
            let peer_fin = facts.and_then(|c| {
                let p = s.dir.flip().idx();
                c.fin_end[p].map(|e| (e, c.fin_acked[p]))
            });
            // The second FIN closes the last open direction: no "until the peer sends its own".
            if peer_fin.is_some() {
                tell!(
                    out,
                    lang,
                    FinSecond,
                    who = who,
                    peer = peer,
                    rel_seq = fin_seq
                );
            } else {
                tell!(out, lang, Fin, who = who, peer = peer, rel_seq = fin_seq);
            }
            let sender_before = prev.map(|p| pick(p, s.dir));
            let sender_now = pick((s.client_state, s.server_state), s.dir);
            if sender_before == Some(TcpState::CloseWait) && sender_now == TcpState::Closing {
                tell!(out, lang, FinCrossed, who = who, peer = peer);
            } else if let Some((end, false)) = peer_fin
                && f.ack()
                && (s.ack.wrapping_sub(end) as i32) >= 0
            {
                tell!(out, lang, FinAckTogether, who = who, peer = peer);
            }
        } else if s.len == 0 && f.ack() && s.analysis.is_empty() {
            tell!(
                out,
                lang,
                AckOnly,
                ack = s.ack,
                rel_ack = s.rel_ack,
                peer = peer
            );
        }
    }
    // Later evidence that the peer's FIN had not arrived when this was sent: say so.
    if !f.fin() && !f.rst() && f.ack() && facts.is_some_and(|c| ack_misses_fin(c, s)) {
        tell!(out, lang, AckBeforeFin, who = who, peer = peer);
    }
    let a = s.analysis;
    if a.has(Analysis::RETRANSMISSION) || a.has(Analysis::SPURIOUS_RETRANSMISSION) {
        tell!(out, lang, Retrans);
        // States changed with the first copy; this one shows it may not have arrived.
        if (f.syn() || f.fin()) && !f.rst() {
            tell!(out, lang, RetransState, peer = peer);
        }
    } else if a.has(Analysis::OUT_OF_ORDER) {
        tell!(out, lang, OutOfOrder);
    } else if a.has(Analysis::DUP_ACK) {
        tell!(out, lang, DupAck, rel_ack = s.rel_ack);
    } else if a.has(Analysis::PREV_NOT_CAPTURED) {
        tell!(out, lang, Lost);
    } else if !a.is_empty() {
        let names: Vec<String> = a
            .names()
            .map(|n| crate::teach::labels::analysis(lang, n).into_owned())
            .collect();
        tell!(out, lang, OtherAnalysis, names = names.join(", "));
    }
    let now = (s.client_state, s.server_state);
    let port = facts.and_then(|f| f.server).map(|a| a.port());
    if f.syn() && !f.ack() && s.dir == Dir::C2S && now.1 == TcpState::Closed {
        // Nothing on the server's side is known before its answer: tell only the client's.
        state_changes(Some((TcpState::Closed, now.1)), now, lang, out);
        if let Some(port) = port {
            tell!(out, lang, SynAsks, port = port);
        }
    } else if f.syn()
        && f.ack()
        && s.dir == Dir::S2C
        && now == (TcpState::Established, TcpState::SynReceived)
    {
        match port {
            Some(port) => tell!(out, lang, SynAckArrives, port = port),
            None => state_changes(prev, now, lang, out),
        }
    } else if s.handshake == Some(Handshake::Ack)
        && now == (TcpState::Established, TcpState::Established)
        && prev.is_some_and(|p| p != now)
    {
        tell!(out, lang, HsBoth);
    } else {
        state_changes(prev, now, lang, out);
    }
}

/// The peer's FIN was seen, is not acknowledged yet and this segment's ack falls short of it
/// (not yet told for this connection).
pub(super) fn ack_misses_fin(c: &ConnFacts, s: &TcpSegment) -> bool {
    let p = s.dir.flip().idx();
    !c.ack_before_fin_told
        && !c.fin_acked[p]
        && c.fin_end[p].is_some_and(|e| (s.ack.wrapping_sub(e) as i32) < 0)
}

/// The state of the side that sent in direction `dir`.
fn pick(states: (TcpState, TcpState), dir: Dir) -> TcpState {
    match dir {
        Dir::C2S => states.0,
        Dir::S2C => states.1,
    }
}

/// Sentences for the ends whose state changed since `prev`.
fn state_changes(
    prev: Option<(TcpState, TcpState)>,
    now: (TcpState, TcpState),
    lang: Lang,
    out: &mut Lines,
) {
    let c_changed = prev.is_none_or(|p| p.0 != now.0);
    let s_changed = prev.is_none_or(|p| p.1 != now.1);
    if c_changed && s_changed && now.0 == now.1 {
        let m = catalog::text(lang, meaning(now.0));
        tell!(
            out,
            lang,
            StateBoth,
            state = state_name(lang, now.0),
            meaning = m
        );
        return;
    }
    for (changed, st, dir) in [(c_changed, now.0, Dir::C2S), (s_changed, now.1, Dir::S2C)] {
        if changed {
            let m = catalog::text(lang, meaning(st));
            tell!(
                out,
                lang,
                StateNow,
                who = side(lang, dir),
                state = state_name(lang, st),
                meaning = m
            );
        }
    }
}
