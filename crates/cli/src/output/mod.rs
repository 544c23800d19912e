//! Output for two readers: a person (tables, lines, progress) and a program
//! (JSON), plus plots written as files. One module per format; the bench
//! report's formats are the exporters of [`export`]; every unit is
//! formatted by [`units`].

pub mod caret;
pub mod export;
pub mod grid;
pub mod json;
pub mod line;
pub mod progress;
pub mod render;
pub mod summary;
pub mod units;
