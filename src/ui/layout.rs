//! Where each pane goes for a given terminal size; shared by drawing and mouse handling so a
//! click always lands on what was drawn.

use super::model::Model;
use ratatui::layout::{Constraint, Layout, Rect};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub conns: Rect,
    pub ladder: Rect,
    pub detail: Rect,
    pub bytes: Rect,
    pub narration: Rect,
    pub footer: Rect,
}

/// Terminals at least this wide get the ladder and detail side by side.
pub const WIDE: u16 = 120;
/// The bytes pane fits 8 bytes a row (offset, hex, ASCII) in this many columns.
const BYTES_NARROW: u16 = 40;
const BYTES_WIDE: u16 = 76;

impl Areas {
    /// Ladder rows that fit below its title and lifeline heading.
    pub fn ladder_rows(&self) -> usize {
        self.ladder.height.saturating_sub(2) as usize
    }
    /// Connection rows that fit below the title and column heading.
    pub fn conn_rows(&self) -> usize {
        self.conns.height.saturating_sub(2) as usize
    }
    pub fn detail_rows(&self) -> usize {
        self.detail.height.saturating_sub(1) as usize
    }
    /// Narration lines that fit below the pane's title.
    pub fn narration_rows(&self) -> usize {
        self.narration.height.saturating_sub(1) as usize
    }
    /// Columns for narration text (beside the bytes pane it has a left border).
    pub fn narration_text_width(&self) -> usize {
        let border = u16::from(self.narration.x > 0);
        self.narration.width.saturating_sub(border) as usize
    }
}

/// Is the selected event the WebSocket handshake (whose detail is the Accept computation)?
fn accept_selected(m: &Model) -> bool {
    m.cursor
        .filter(|&c| {
            m.store
                .meta(c)
                .is_some_and(|x| x.layer == super::store::Layer::Http)
        })
        .and_then(|c| m.store.event(c))
        .is_some_and(|e| matches!(e, crate::event::Event::WsHandshake(_)))
}

pub fn areas(size: Rect, m: &Model) -> Areas {
    if m.presenter {
        // For a projector: the ladder and the narration, nothing else, the narration with room
        // for its sentences whole.
        let narration_h = (size.height * 2 / 5).max(4);
        let [header, ladder, narration, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(4),
            Constraint::Length(narration_h),
            Constraint::Length(1),
        ])
        .areas(size);
        return Areas {
            header,
            ladder,
            narration,
            footer,
            ..Areas::default()
        };
    }
    let conns = m.store.conns.len().clamp(1, 8) as u16;
    let conns_h = (conns + 2).min(size.height / 4).max(3);
    if size.width >= WIDE {
        // Narration sits beside the bytes pane, so the body gets the full height.
        let [header, conns, body, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(conns_h),
            Constraint::Min(4),
            Constraint::Length(1),
        ])
        .areas(size);
        let bytes_h = (body.height / 3).clamp(4, 14);
        let [top, bottom] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(bytes_h)]).areas(body);
        let [ladder, detail] =
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(top);
        // Below 160 columns the bytes go 8 to a row, so the narration beside them keeps room
        // for its sentences.
        let bytes_w = if size.width >= 160 {
            BYTES_WIDE
        } else {
            BYTES_NARROW
        };
        let [bytes, narration] =
            Layout::horizontal([Constraint::Length(bytes_w), Constraint::Min(0)]).areas(bottom);
        return Areas {
            header,
            conns,
            ladder,
            detail,
            bytes,
            narration,
            footer,
        };
    }
    // Narration sentences are long (the teaching layer explains every number); a fixed share of
    // the height keeps the layout still while stepping, and the pane scrolls for the rest.
    let narration_h = (size.height / 4).clamp(3, 12);
    let [header, conns, body, narration, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(conns_h),
        Constraint::Min(4),
        Constraint::Length(narration_h),
        Constraint::Length(1),
    ])
    .areas(size);
    let [ladder, lower] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
    let bytes_w = if accept_selected(m) {
        // The Accept computation needs the width (the GUID whole, the key and GUID joined);
        // the 101's bytes are one keypress away on the HTTP row.
        0
    } else if size.width >= 2 * BYTES_NARROW {
        BYTES_NARROW
    } else {
        size.width / 2
    };
    let [detail, bytes] =
        Layout::horizontal([Constraint::Min(10), Constraint::Length(bytes_w)]).areas(lower);
    Areas {
        header,
        conns,
        ladder,
        detail,
        bytes,
        narration,
        footer,
    }
}
