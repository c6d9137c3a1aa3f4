//! TCP sequence analysis with Wireshark's meanings (`tcp.analysis.*`), so the counts can be
//! compared with tshark's on the same file: the rules follow its first-pass analysis.

use crate::event::{Analysis, TcpFlags, Ts};

fn gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}
fn lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}
fn le(a: u32, b: u32) -> bool {
    !gt(a, b)
}

/// What one direction has sent so far, as the analysis needs it.
#[derive(Clone, Copy, Debug, Default)]
pub struct DirAna {
    /// Highest sequence number sent so far, plus length (`nextseq`); None before any segment.
    nextseq: Option<u32>,
    nextseq_time: Ts,
    /// Last acknowledgement number sent in this direction.
    lastack: Option<u32>,
    lastack_time: Ts,
    /// Window field as last sent, scaled when the scale is known.
    window: Option<u32>,
    dupacks: i32,
    maxseqtobeacked: Option<u32>,
    last_flags: Analysis,
    /// Window scale shift: None = not yet known, Some(None) = not in use.
    pub win_scale: Option<Option<u8>>,
    /// The SYN of this direction carried no window scale option.
    syn_without_ws: bool,
}

/// Per-segment input.
#[derive(Clone, Copy, Debug)]
pub struct Seg {
    pub flags: TcpFlags,
    pub seq: u32,
    pub ack: u32,
    pub len: u32,
    /// Window field before scaling.
    pub win: u16,
    pub wscale_opt: Option<u8>,
    pub ts: Ts,
}

/// The two directions' analysis state plus the initial RTT (SYN to the handshake's ACK).
#[derive(Clone, Copy, Debug, Default)]
pub struct ConnAna {
    pub dir: [DirAna; 2],
    syn_time: Option<Ts>,
    pub first_rtt: Option<i64>,
}

impl ConnAna {
    /// The window scale in force for a direction, if known.
    pub fn scale(&self, d: usize) -> Option<u8> {
        self.dir[d].win_scale.flatten()
    }

    /// Analyse a segment sent in direction `d` and update the state.
    pub fn segment(&mut self, d: usize, s: Seg) -> Analysis {
        let r = 1 - d;
        let mut a = Analysis::default();
        let fl = s.flags;
        let synfinrst = fl.syn() || fl.fin() || fl.rst();

        // Window scaling is negotiated by the SYN and SYN-ACK together.
        if fl.syn() {
            if fl.ack() {
                let (mine, theirs) = (s.wscale_opt, self.dir[r].syn_without_ws);
                if mine.is_some() && !theirs {
                    self.dir[d].win_scale = Some(mine);
                } else {
                    self.dir[d].win_scale = Some(None);
                    if self.dir[r].win_scale.is_some() || theirs {
                        self.dir[r].win_scale = Some(None);
                    }
                }
            } else {
                self.dir[d].syn_without_ws = s.wscale_opt.is_none();
                self.dir[d].win_scale = Some(s.wscale_opt);
                self.syn_time = Some(s.ts);
            }
        } else if fl.ack()
            && self.first_rtt.is_none()
            && d == 0
            && let Some(t0) = self.syn_time
        {
            self.first_rtt = Some(s.ts.0 - t0.0);
        }
        let window = if fl.syn() {
            s.win as u32
        } else {
            (s.win as u32) << self.scale(d).unwrap_or(0).min(14)
        };

        let (f, rv) = (self.dir[d], self.dir[r]);
        let nextseq = f.nextseq;

        if s.len == 1 && Some(s.seq) == nextseq && rv.window == Some(0) {
            a.set(Analysis::ZERO_WINDOW_PROBE);
        } else {
            if window == 0 && !synfinrst {
                a.set(Analysis::ZERO_WINDOW);
            }
            if let Some(n) = nextseq
                && gt(s.seq, n)
                && !fl.rst()
            {
                a.set(Analysis::PREV_NOT_CAPTURED);
            }
            if s.len <= 1 && nextseq.is_some_and(|n| s.seq == n.wrapping_sub(1)) && !synfinrst {
                a.set(Analysis::KEEP_ALIVE);
            }
            let same_ack = Some(s.ack) == f.lastack && Some(s.seq) == nextseq && !synfinrst;
            if s.len == 0 && window != 0 && Some(window) != f.window && same_ack {
                a.set(Analysis::WINDOW_UPDATE);
            }
            if s.len > 0
                && !synfinrst
                && rv.win_scale.is_some()
                && let (Some(rack), Some(rwin)) = (rv.lastack, rv.window)
                && s.seq.wrapping_add(s.len) == rack.wrapping_add(rwin)
            {
                a.set(Analysis::WINDOW_FULL);
            }
            if s.len == 0 && window != 0 && Some(window) == f.window && same_ack {
                if rv.last_flags.has(Analysis::KEEP_ALIVE) {
                    a.set(Analysis::KEEP_ALIVE_ACK);
                } else {
                    self.dir[d].dupacks = if f.dupacks < 0 { 1 } else { f.dupacks + 1 };
                    a.set(Analysis::DUP_ACK);
                }
            }
        }
        if Some(s.ack) != f.lastack {
            self.dir[d].dupacks = 0;
        }
        if fl.ack()
            && let Some(m) = self.dir[r].maxseqtobeacked
            && gt(s.ack, m)
        {
            let rnext = self.dir[r].nextseq.unwrap_or(m);
            if gt(m, rnext) || m != rnext {
                self.dir[r].maxseqtobeacked = Some(rnext);
                a.set(Analysis::ACKED_UNSEEN);
            } else {
                if self.dir[r].dupacks == 0 {
                    a.set(Analysis::ACKED_UNSEEN);
                }
                self.dir[r].dupacks = -1;
            }
        }

        if (s.len > 0 || fl.syn() || fl.fin()) && !a.has(Analysis::KEEP_ALIVE) {
            let mut not_advanced = nextseq.is_some_and(|n| lt(s.seq, n));
            if s.len > 1 && nextseq.is_some_and(|n| n.wrapping_sub(1) == s.seq) {
                not_advanced = false;
            }
            let extra = (fl.syn() || fl.fin()) as u32;
            if s.len > 0
                && let Some(rack) = rv.lastack
                && rack != 0
                && le(s.seq.wrapping_add(s.len), rack)
            {
                a.set(Analysis::SPURIOUS_RETRANSMISSION);
                a.set(Analysis::RETRANSMISSION);
            } else if not_advanced
                && self.dir[r].dupacks >= 2
                && rv.lastack == Some(s.seq)
                && s.ts.0 - rv.lastack_time.0 < 20_000_000
            {
                // Fast retransmission; tshark marks it `tcp.analysis.retransmission` too.
                a.set(Analysis::RETRANSMISSION);
            } else if not_advanced
                && s.ts.0 - f.nextseq_time.0
                    < self.first_rtt.filter(|&t| t > 0).unwrap_or(3_000_000)
                && nextseq != Some(s.seq.wrapping_add(s.len).wrapping_add(extra))
            {
                a.set(Analysis::OUT_OF_ORDER);
            } else if not_advanced {
                a.set(Analysis::RETRANSMISSION);
            }
        }

        let f = &mut self.dir[d];
        let end = s
            .seq
            .wrapping_add(s.len)
            .wrapping_add((fl.syn() || fl.fin()) as u32);
        if (nextseq.is_none() || gt(end, nextseq.unwrap_or(0)))
            && !a.has(Analysis::ZERO_WINDOW_PROBE)
        {
            f.nextseq = Some(end);
            f.nextseq_time = s.ts;
        }
        if (f.maxseqtobeacked.is_none() || f.maxseqtobeacked == Some(s.seq))
            && !a.has(Analysis::ZERO_WINDOW_PROBE)
        {
            f.maxseqtobeacked = f.nextseq;
        }
        f.window = Some(window);
        f.lastack = Some(s.ack);
        f.lastack_time = s.ts;
        f.last_flags = a;
        a
    }
}
