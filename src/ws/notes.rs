//! The notes this decoder emits: stable codes, and a cap per code and direction so a stream that
//! repeats one violation in every frame cannot flood the views.

use crate::event::{Event, Level, Note, Sink};
use crate::tcp::StreamCtx;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Code {
    UnmaskedClientFrame,
    MaskedServerFrame,
    FragmentedControl,
    ControlTooLong,
    RsvWithoutExtension,
    ReservedOpcode,
    InvalidUtf8,
    InvalidCloseCode,
    ClosePayload1Byte,
    DataAfterClose,
    ContinuationWithoutStart,
    NewMessageBeforeFin,
    InflateError,
    InflateLimit,
    IncompleteFrame,
    IncompleteMessage,
    Gap,
    Resync,
}

const N_CODES: usize = Code::Resync as usize + 1;

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::UnmaskedClientFrame => "ws-unmasked-client-frame",
            Code::MaskedServerFrame => "ws-masked-server-frame",
            Code::FragmentedControl => "ws-fragmented-control",
            Code::ControlTooLong => "ws-control-too-long",
            Code::RsvWithoutExtension => "ws-rsv-without-extension",
            Code::ReservedOpcode => "ws-reserved-opcode",
            Code::InvalidUtf8 => "ws-invalid-utf8",
            Code::InvalidCloseCode => "ws-invalid-close-code",
            Code::ClosePayload1Byte => "ws-close-payload-1-byte",
            Code::DataAfterClose => "ws-data-after-close",
            Code::ContinuationWithoutStart => "ws-continuation-without-start",
            Code::NewMessageBeforeFin => "ws-new-message-before-fin",
            Code::InflateError => "ws-inflate-error",
            Code::InflateLimit => "ws-inflate-limit",
            Code::IncompleteFrame => "ws-incomplete-frame",
            Code::IncompleteMessage => "ws-incomplete-message",
            Code::Gap => "ws-gap",
            Code::Resync => "ws-resync",
        }
    }
}

/// Notes of one code beyond this many per direction are dropped (the last one says so).
pub(crate) const PER_CODE_CAP: u32 = 100;

#[derive(Default)]
pub(crate) struct Notes {
    counts: [u32; N_CODES],
}

impl Notes {
    pub fn emit(
        &mut self,
        sink: &mut dyn Sink,
        cx: &StreamCtx,
        level: Level,
        code: Code,
        text: impl FnOnce() -> String,
    ) {
        let n = &mut self.counts[code as usize];
        *n = n.saturating_add(1);
        if *n > PER_CODE_CAP {
            return;
        }
        let mut text = text();
        if *n == PER_CODE_CAP {
            text.push_str(" (further notes of this kind in this direction are not shown)");
        }
        sink.emit(Event::Note(Note {
            level,
            code: code.as_str(),
            text,
            conn: Some(cx.conn),
            pkt: Some(cx.pkt),
        }));
    }
}
