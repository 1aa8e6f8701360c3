//! Each command other than the session itself, one file each; [`crate::app`] dispatches to them.

pub mod completions;
pub mod config;
pub mod log;
pub mod man;
pub mod packs;
pub mod scripts;
