//! Output for two readers: a person (tables, lines, progress) and a program
//! (JSON), plus plots written as files. One module per format.

pub mod caret;
pub mod json;
pub mod line;
pub mod plot;
pub mod progress;
pub mod render;
pub mod summary;
pub mod table;
