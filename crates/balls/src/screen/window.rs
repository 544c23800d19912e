//! A real window: minifb (libX11 loaded at run time, so building needs no
//! X11 development packages) shows frames that tiny-skia draws, with
//! anti-aliased balls; the status corner is an 8x8 bitmap font.

use std::io;

use minifb::{Key, KeyRepeat, Window as MiniWindow, WindowOptions};
use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Rect, Transform};

use super::{Input, Screen, View};

const BACKGROUND: [u8; 3] = [16, 18, 24];
const DIVIDER: [u8; 3] = [60, 64, 80];
const TEXT: u32 = 0x00d0_d4dc;

/// The window screen.
pub struct Window {
    window: MiniWindow,
    panes: usize,
    buffer: Vec<u32>,
    pixmap: Option<Pixmap>,
}

impl Window {
    /// Opens a window for `panes` screens side by side, each `width` x
    /// `height` pixels.
    pub fn open(title: &str, panes: usize, width: usize, height: usize) -> io::Result<Window> {
        let panes = panes.max(1);
        let options = WindowOptions {
            resize: true,
            ..WindowOptions::default()
        };
        let mut window = MiniWindow::new(title, width * panes, height, options)
            .map_err(|e| io::Error::other(format!("cannot open a window: {e}")))?;
        // The ring's loop paces frames itself.
        window.set_target_fps(0);
        Ok(Window {
            window,
            panes,
            buffer: Vec::new(),
            pixmap: None,
        })
    }

    /// The last frame drawn, as 0RGB pixels, with its width and height.
    pub fn frame(&self) -> (&[u32], (usize, usize)) {
        (&self.buffer, self.window.get_size())
    }
}

impl Screen for Window {
    fn draw(&mut self, views: &[View]) -> io::Result<Vec<Input>> {
        let (w, h) = self.window.get_size();
        let (w, h) = (w.max(1), h.max(1));
        // One pixmap while the size stays: a new one is 1.9 MB zeroed at
        // 800 x 600, each frame.
        let mut pixmap = match self.pixmap.take() {
            Some(p) if (p.width(), p.height()) == (w as u32, h as u32) => p,
            _ => Pixmap::new(w as u32, h as u32)
                .ok_or_else(|| io::Error::other(format!("cannot draw a {w}x{h} frame")))?,
        };
        let [r, g, b] = BACKGROUND;
        pixmap.fill(Color::from_rgba8(r, g, b, 255));
        let pane_w = w as f32 / views.len().max(1) as f32;
        for (i, view) in views.iter().enumerate() {
            draw_pane(&mut pixmap, view, i as f32 * pane_w, h as f32);
        }
        self.buffer.clear();
        self.buffer.extend(
            pixmap
                .data()
                .chunks_exact(4)
                .map(|p| (u32::from(p[0]) << 16) | (u32::from(p[1]) << 8) | u32::from(p[2])),
        );
        self.pixmap = Some(pixmap);
        for (i, view) in views.iter().enumerate() {
            let x0 = (i as f32 * pane_w) as usize + 8;
            let x1 = ((i + 1) as f32 * pane_w) as usize;
            for (row, line) in view.status.lines().iter().enumerate() {
                text(&mut self.buffer, (w, x1), (x0, 8 + row * 11), line);
            }
        }
        self.window
            .update_with_buffer(&self.buffer, w, h)
            .map_err(|e| io::Error::other(format!("cannot show a frame: {e}")))?;
        Ok(self.keys())
    }

    fn pane_width(&self) -> f64 {
        let (w, h) = self.window.get_size();
        (w.max(1) as f64 / self.panes as f64) / h.max(1) as f64
    }
}

impl Window {
    fn keys(&self) -> Vec<Input> {
        if !self.window.is_open() {
            return vec![Input::Quit];
        }
        let keys = self.window.get_keys_pressed(KeyRepeat::No);
        keys.iter()
            .filter_map(|k| match k {
                Key::Space => Some(Input::Add),
                Key::C => Some(Input::Clear),
                Key::Q | Key::Escape => Some(Input::Quit),
                _ => None,
            })
            .collect()
    }
}

/// Draws one screen's balls and the divider at its left, from `x0`.
fn draw_pane(pixmap: &mut Pixmap, view: &View, x0: f32, h: f32) {
    let mut paint = Paint {
        anti_alias: true,
        ..Paint::default()
    };
    if x0 > 0.0 {
        let [r, g, b] = DIVIDER;
        paint.set_color_rgba8(r, g, b, 255);
        if let Some(rect) = Rect::from_xywh(x0 - 1.0, 0.0, 2.0, h) {
            pixmap.fill_rect(rect, &paint, Transform::identity(), None);
        }
    }
    for ball in &view.world.balls {
        let [r, g, b] = ball.colour;
        paint.set_color_rgba8(r, g, b, 255);
        let (cx, cy) = (x0 + ball.x as f32 * h, h - ball.y as f32 * h);
        if let Some(path) = PathBuilder::from_circle(cx, cy, ball.radius as f32 * h) {
            pixmap.fill_path(
                &path,
                &paint,
                FillRule::Winding,
                Transform::identity(),
                None,
            );
        }
    }
}

/// Writes ASCII `line` at (x, y) in the 8x8 font, on a dark box, cut at
/// `right` (the pane's edge) in a frame `width` pixels wide.
fn text(buffer: &mut [u32], (width, right): (usize, usize), (x, y): (usize, usize), line: &str) {
    let height = buffer.len() / width.max(1);
    let right = right.min(width);
    for (i, c) in line.chars().enumerate() {
        let glyph = font8x8::legacy::BASIC_LEGACY
            .get(c as usize)
            .copied()
            .unwrap_or([0; 8]);
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..8 {
                let (px, py) = (x + i * 8 + col, y + row);
                if px >= right || py >= height {
                    continue;
                }
                let on = bits >> col & 1 == 1;
                buffer[py * width + px] = if on { TEXT } else { 0x0008_0a10 };
            }
        }
    }
}
