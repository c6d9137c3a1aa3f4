//! Colour themes: one for dark terminals, one for light ones, one high-contrast for projectors.

use ratatui::style::{Color, Modifier, Style};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ThemeName {
    Dark,
    Light,
    Contrast,
}

impl ThemeName {
    pub fn next(self) -> ThemeName {
        match self {
            ThemeName::Dark => ThemeName::Light,
            ThemeName::Light => ThemeName::Contrast,
            ThemeName::Contrast => ThemeName::Dark,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ThemeName::Dark => "dark",
            ThemeName::Light => "light",
            ThemeName::Contrast => "contrast",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub base: Style,
    pub border: Style,
    pub focus_border: Style,
    pub title: Style,
    pub c2s: Style,
    pub s2c: Style,
    pub remark: Style,
    pub state: Style,
    pub selected: Style,
    pub highlight: Style,
    pub dim: Style,
    pub key: Style,
    pub good: Style,
    pub bad: Style,
}

impl Theme {
    pub fn get(name: ThemeName) -> Theme {
        let b = Modifier::BOLD;
        match name {
            // Only foreground colours, on the terminal's own background: the bright variants read
            // well on black and dark grey.
            ThemeName::Dark => Theme {
                base: Style::new(),
                border: Style::new().fg(Color::DarkGray),
                focus_border: Style::new().fg(Color::Cyan),
                title: Style::new().fg(Color::Cyan).add_modifier(b),
                c2s: Style::new().fg(Color::LightCyan),
                s2c: Style::new().fg(Color::LightYellow),
                remark: Style::new().fg(Color::LightMagenta),
                state: Style::new().fg(Color::LightGreen),
                selected: Style::new().add_modifier(Modifier::REVERSED),
                highlight: Style::new().fg(Color::Black).bg(Color::Yellow),
                dim: Style::new().fg(Color::Gray),
                key: Style::new().fg(Color::Cyan).add_modifier(b),
                good: Style::new().fg(Color::LightGreen).add_modifier(b),
                bad: Style::new().fg(Color::LightRed).add_modifier(b),
            },
            // Dark, saturated colours that keep their contrast on white.
            ThemeName::Light => Theme {
                base: Style::new(),
                border: Style::new().fg(Color::Gray),
                focus_border: Style::new().fg(Color::Blue),
                title: Style::new().fg(Color::Blue).add_modifier(b),
                c2s: Style::new().fg(Color::Blue),
                s2c: Style::new().fg(Color::Magenta),
                remark: Style::new().fg(Color::Red),
                state: Style::new().fg(Color::Green).add_modifier(b),
                selected: Style::new().add_modifier(Modifier::REVERSED),
                highlight: Style::new().fg(Color::White).bg(Color::Blue),
                dim: Style::new().fg(Color::DarkGray),
                key: Style::new().fg(Color::Blue).add_modifier(b),
                good: Style::new().fg(Color::Green).add_modifier(b),
                bad: Style::new().fg(Color::Red).add_modifier(b),
            },
            // Black and white with bold yellow accents: survives washed-out projectors.
            ThemeName::Contrast => Theme {
                base: Style::new().fg(Color::White).bg(Color::Black),
                border: Style::new().fg(Color::White).bg(Color::Black),
                focus_border: Style::new()
                    .fg(Color::Yellow)
                    .bg(Color::Black)
                    .add_modifier(b),
                title: Style::new()
                    .fg(Color::Yellow)
                    .bg(Color::Black)
                    .add_modifier(b),
                c2s: Style::new()
                    .fg(Color::White)
                    .bg(Color::Black)
                    .add_modifier(b),
                s2c: Style::new()
                    .fg(Color::Yellow)
                    .bg(Color::Black)
                    .add_modifier(b),
                remark: Style::new()
                    .fg(Color::White)
                    .bg(Color::Black)
                    .add_modifier(b),
                state: Style::new()
                    .fg(Color::LightGreen)
                    .bg(Color::Black)
                    .add_modifier(b),
                selected: Style::new()
                    .fg(Color::Black)
                    .bg(Color::White)
                    .add_modifier(b),
                highlight: Style::new()
                    .fg(Color::Black)
                    .bg(Color::Yellow)
                    .add_modifier(b),
                dim: Style::new().fg(Color::White).bg(Color::Black),
                key: Style::new()
                    .fg(Color::Yellow)
                    .bg(Color::Black)
                    .add_modifier(b),
                good: Style::new()
                    .fg(Color::LightGreen)
                    .bg(Color::Black)
                    .add_modifier(b),
                bad: Style::new()
                    .fg(Color::LightRed)
                    .bg(Color::Black)
                    .add_modifier(b),
            },
        }
    }
}
