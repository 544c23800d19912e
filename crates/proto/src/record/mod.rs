//! Placeholder: the record codec is being written.
#![allow(missing_docs)]
pub struct Record;
#[derive(Debug)]
pub struct RecordError;
pub enum Value {}
pub struct Values;
