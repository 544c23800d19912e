//! The exports of `tether bench --broker`: its table and its chart (the
//! JSON is the report as serde writes it).

pub mod plot;
pub mod table;
