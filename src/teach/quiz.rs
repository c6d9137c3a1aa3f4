//! Quiz mode: before an event is revealed, the numbers a student can work out from what came
//! before are hidden and asked — the ack of a SYN-ACK and of the third handshake segment, the
//! next state of each end, the Sec-WebSocket-Accept, an unmasked byte. The ordinary narration,
//! which explains each number, is the answer.

use super::catalog::{self, Lang, Msg};
use crate::event::{Dir, Event, Handshake, Opcode, TcpState};
use std::fmt::Display;

/// What to hide and ask about one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quiz {
    /// Hide `seq=` in the ladder label (the third handshake segment's).
    pub hide_seq: bool,
    /// Hide `ack=` in the ladder label.
    pub hide_ack: bool,
    /// Hide both ends' states (in the ladder and the connection list).
    pub hide_states: bool,
    /// Hide quoted payload text and the Accept verdict in the label.
    pub hide_text: bool,
    /// The questions, one sentence each, and how to see the answer.
    pub questions: Vec<String>,
}

fn say(lang: Lang, id: Msg, args: &[(&str, &dyn Display)]) -> String {
    catalog::say(lang, id, args)
}

/// The quiz for `ev`, given both ends' states before it; None when there is nothing to work out.
pub fn ask(ev: &Event, before: (TcpState, TcpState), lang: Lang) -> Option<Quiz> {
    let mut q = Quiz {
        hide_seq: false,
        hide_ack: false,
        hide_states: false,
        hide_text: false,
        questions: Vec::new(),
    };
    match ev {
        Event::Tcp(t) => {
            match t.handshake {
                Some(Handshake::SynAck) => {
                    q.hide_ack = true;
                    q.questions
                        .push(catalog::text(lang, Msg::QuizSynAckAck).into());
                }
                Some(Handshake::Ack) => {
                    q.hide_seq = true;
                    q.hide_ack = true;
                    q.questions.push(catalog::text(lang, Msg::QuizHsAck).into());
                }
                _ => {}
            }
            if (t.client_state, t.server_state) != before {
                q.hide_states = true;
                let who = match t.dir {
                    Dir::C2S => Msg::WClient,
                    Dir::S2C => Msg::WServer,
                };
                q.questions.push(say(
                    lang,
                    Msg::QuizStates,
                    &[
                        ("flags", &t.flags),
                        ("who", &catalog::text(lang, who)),
                        ("client", &before.0),
                        ("server", &before.1),
                    ],
                ));
            }
        }
        Event::WsHandshake(h) if h.key.is_some() && h.accept.is_some() => {
            q.hide_text = true;
            let key =
                crate::text::escape_for_terminal(h.key.as_deref().unwrap_or_default()).into_owned();
            q.questions.push(say(
                lang,
                Msg::QuizAccept,
                &[("key", &key), ("guid", &crate::http::WS_GUID)],
            ));
        }
        Event::WsFrame(f) if f.header.masked && !f.preview.is_empty() => {
            let key = f.header.mask_key.unwrap_or_default();
            let m = f.preview[0];
            q.hide_text = matches!(f.header.opcode, Opcode::Text | Opcode::Binary);
            q.questions.push(say(
                lang,
                Msg::QuizUnmask,
                &[
                    ("m", &format!("{m:02x}")),
                    ("k", &format!("{:02x}", key[0])),
                ],
            ));
        }
        _ => {}
    }
    if q.questions.is_empty() {
        return None;
    }
    q.questions
        .insert(0, catalog::text(lang, Msg::QuizTitle).to_string());
    Some(q)
}

/// `label` with what the quiz hides replaced by `?`: the digits after `seq=`/`ack=`, the text
/// between the first pair of quotes, and a ✓/✗ verdict.
pub fn hide(label: &str, q: &Quiz) -> String {
    let mut out = label.to_string();
    let blank_number = |field: &str, out: &mut String| {
        if let Some(p) = out.find(field) {
            let from = p + field.len();
            let end = out[from..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(out.len(), |e| from + e);
            out.replace_range(from..end, "?");
        }
    };
    if q.hide_seq {
        blank_number("seq=", &mut out);
    }
    if q.hide_ack {
        blank_number("ack=", &mut out);
    }
    if q.hide_text {
        if let Some(a) = out.find('"')
            && let Some(b) = out[a + 1..].rfind('"')
        {
            out.replace_range(a + 1..a + 1 + b, "?");
        }
        out = out.replace(['✓', '✗'], "?");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(seq: bool, ack: bool, text: bool) -> Quiz {
        Quiz {
            hide_seq: seq,
            hide_ack: ack,
            hide_states: false,
            hide_text: text,
            questions: vec![],
        }
    }

    #[test]
    fn hides_only_what_is_asked() {
        let l = "ACK seq=1 ack=1 win=64";
        assert_eq!(hide(l, &q(true, true, false)), "ACK seq=? ack=? win=64");
        assert_eq!(
            hide("SYN,ACK seq=0 ack=1 mss=65495", &q(false, true, false)),
            "SYN,ACK seq=0 ack=? mss=65495"
        );
        assert_eq!(
            hide("Text \"Hello\" (masked)", &q(false, false, true)),
            "Text \"?\" (masked)"
        );
        assert_eq!(
            hide("WebSocket open, Accept ✓", &q(false, false, true)),
            "WebSocket open, Accept ?"
        );
        assert_eq!(hide(l, &q(false, false, false)), l);
    }
}
