//! The notes this decoder emits: stable codes, and a cap per code and direction so a stream that
//! repeats one violation in every frame cannot flood the views.

use crate::event::{Event, Level, Note, Sink};
use crate::tcp::StreamCtx;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
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
    PreviewLimit,
    LengthTopBit,
    LengthNotMinimal,
    DeflateWindow,
}

const N_CODES: usize = Kind::DeflateWindow as usize + 1;

impl Kind {
    /// A protocol violation: only reported when the frame it is about was found by following
    /// the stream from a known point, not by guessing where frames start again after lost
    /// bytes (a wrong guess would make up violations the peers never committed).
    fn is_violation(self) -> bool {
        !matches!(
            self,
            Kind::IncompleteFrame
                | Kind::IncompleteMessage
                | Kind::Gap
                | Kind::Resync
                | Kind::PreviewLimit
                | Kind::InflateLimit
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::UnmaskedClientFrame => "ws-unmasked-client-frame",
            Kind::MaskedServerFrame => "ws-masked-server-frame",
            Kind::FragmentedControl => "ws-fragmented-control",
            Kind::ControlTooLong => "ws-control-too-long",
            Kind::RsvWithoutExtension => "ws-rsv-without-extension",
            Kind::ReservedOpcode => "ws-reserved-opcode",
            Kind::InvalidUtf8 => "ws-invalid-utf8",
            Kind::InvalidCloseCode => "ws-invalid-close-code",
            Kind::ClosePayload1Byte => "ws-close-payload-1-byte",
            Kind::DataAfterClose => "ws-data-after-close",
            Kind::ContinuationWithoutStart => "ws-continuation-without-start",
            Kind::NewMessageBeforeFin => "ws-new-message-before-fin",
            Kind::InflateError => "ws-inflate-error",
            Kind::InflateLimit => "ws-inflate-limit",
            Kind::IncompleteFrame => "ws-incomplete-frame",
            Kind::IncompleteMessage => "ws-incomplete-message",
            Kind::Gap => "ws-gap",
            Kind::Resync => "ws-resync",
            Kind::PreviewLimit => "ws-preview-limit",
            Kind::LengthTopBit => "ws-length-top-bit",
            Kind::LengthNotMinimal => "ws-length-not-minimal",
            Kind::DeflateWindow => "ws-deflate-window",
        }
    }
}

/// Notes of one code beyond this many per direction are dropped (the last one says so).
pub(crate) const PER_CODE_CAP: u32 = 100;

#[derive(Default)]
pub(crate) struct Notes {
    counts: [u32; N_CODES],
    /// Frames are being recognised heuristically after lost bytes: violations are not shown.
    pub unproven: bool,
    /// A violation was held back while unproven: the guess of where frames start is suspect.
    pub suspicious: bool,
}

impl Notes {
    /// Emit only the first note of this code in this direction.
    pub fn emit_once(
        &mut self,
        sink: &mut dyn Sink,
        cx: &StreamCtx,
        level: Level,
        code: Kind,
        text: impl FnOnce() -> String,
    ) {
        if self.counts[code as usize] == 0 {
            self.emit(sink, cx, level, code, text);
        }
    }

    pub fn emit(
        &mut self,
        sink: &mut dyn Sink,
        cx: &StreamCtx,
        level: Level,
        code: Kind,
        text: impl FnOnce() -> String,
    ) {
        if self.unproven && code.is_violation() {
            self.suspicious = true;
            return;
        }
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
