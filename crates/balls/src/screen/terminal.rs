//! The terminal: each screen a box of braille dots, its status in the
//! border; follows resizes, and works over ssh (it needs only a terminal).

use std::io::{self, Stdout};
use std::time::Duration;

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::canvas::{Canvas, Points};
use ratatui::widgets::{Block, Borders};
use ratatui::Terminal as Tui;

use super::{Input, Screen, View};

/// The terminal screen; restores the terminal when dropped.
pub struct Terminal {
    tui: Tui<CrosstermBackend<Stdout>>,
    pane_width: f64,
}

impl Terminal {
    /// Takes over the terminal (raw mode, alternate screen).
    pub fn open() -> io::Result<Terminal> {
        terminal::enable_raw_mode()?;
        let mut stdout = io::stdout();
        crossterm::execute!(stdout, EnterAlternateScreen)?;
        let mut tui = Tui::new(CrosstermBackend::new(stdout))?;
        tui.hide_cursor()?;
        Ok(Terminal {
            tui,
            pane_width: 2.0,
        })
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
        let _ = crossterm::execute!(self.tui.backend_mut(), LeaveAlternateScreen);
        let _ = self.tui.show_cursor();
    }
}

impl Screen for Terminal {
    fn draw(&mut self, views: &[View]) -> io::Result<Vec<Input>> {
        let mut width = self.pane_width;
        self.tui.draw(|frame| {
            let n = views.len().max(1) as u32;
            let panes =
                Layout::horizontal((0..n).map(|_| Constraint::Ratio(1, n))).split(frame.area());
            for (view, area) in views.iter().zip(panes.iter()) {
                width = draw_pane(frame, view, *area);
            }
        })?;
        self.pane_width = width;
        keys()
    }

    fn pane_width(&self) -> f64 {
        self.pane_width
    }
}

/// Draws one screen in `area`; returns its width in heights.
fn draw_pane(frame: &mut ratatui::Frame, view: &View, area: Rect) -> f64 {
    let [top, left, right, counts] = view.status.lines();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Line::from(top))
        .title_bottom(Line::from(format!("{counts} | {left} | {right}")))
        .border_style(Style::default().fg(Color::DarkGray));
    let inner = block.inner(area);
    // A terminal cell is about twice as high as it is wide.
    let width = f64::from(inner.width.max(1)) / (2.0 * f64::from(inner.height.max(1)));
    let (cols, rows) = (f64::from(inner.width) * 2.0, f64::from(inner.height) * 4.0);
    let canvas = Canvas::default()
        .block(block)
        .marker(Marker::Braille)
        .x_bounds([0.0, width])
        .y_bounds([0.0, 1.0])
        .paint(move |ctx| {
            for ball in &view.world.balls {
                let coords = disc(ball.x, ball.y, ball.radius, width / cols, 1.0 / rows);
                let [r, g, b] = ball.colour;
                ctx.draw(&Points {
                    coords: &coords,
                    color: Color::Rgb(r, g, b),
                });
            }
        });
    frame.render_widget(canvas, area);
    width
}

/// The dots of a filled disc, one per braille dot it covers.
fn disc(x: f64, y: f64, radius: f64, dx: f64, dy: f64) -> Vec<(f64, f64)> {
    let mut dots = Vec::new();
    let (nx, ny) = ((radius / dx).ceil() as i64, (radius / dy).ceil() as i64);
    for i in -nx..=nx {
        for j in -ny..=ny {
            let (px, py) = (i as f64 * dx, j as f64 * dy);
            if px * px + py * py <= radius * radius {
                dots.push((x + px, y + py));
            }
        }
    }
    dots
}

/// The keys pressed since the last frame, without waiting.
fn keys() -> io::Result<Vec<Input>> {
    let mut inputs = Vec::new();
    while event::poll(Duration::ZERO)? {
        let Event::Key(key) = event::read()? else {
            continue;
        };
        if key.kind == KeyEventKind::Release {
            continue;
        }
        let ctrl_c =
            key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
        match key.code {
            _ if ctrl_c => inputs.push(Input::Quit),
            KeyCode::Char(' ') => inputs.push(Input::Add),
            KeyCode::Char('c') => inputs.push(Input::Clear),
            KeyCode::Char('q') | KeyCode::Esc => inputs.push(Input::Quit),
            _ => {}
        }
    }
    Ok(inputs)
}
