//! No screen at all: for tests, servers and `--json` runs.

use super::{Input, Screen, View};

/// Draws nothing; its screens are 4:3.
#[derive(Debug, Default)]
pub struct Headless;

impl Screen for Headless {
    fn draw(&mut self, _views: &[View]) -> std::io::Result<Vec<Input>> {
        Ok(Vec::new())
    }

    fn pane_width(&self) -> f64 {
        4.0 / 3.0
    }
}
