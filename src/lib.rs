//! balasana-audio: an eyes-closed guided Child's pose (Balasana) session.
//!
//! The core is pure and testable: [`script`] (parse + validate) → [`timeline`] (events at exact
//! frames) → [`mix`] (samples for any frame range). The edges touch the world: [`pack`] (clip
//! files), [`output::live`] (the audio device), [`output::render`] (WAV files), [`terminal`]
//! (keys and progress), [`pipeline`] (the one clip pipeline), [`commands`] (one file per command),
//! [`app`] and [`cli`] (the command line).

#![warn(missing_docs)]

pub mod app;
pub mod atomic;
pub mod cache;
pub mod chime;
pub mod cli;
pub mod codec;
pub mod commands;
pub mod config;
pub mod cue;
pub mod decode;
pub mod exit;
pub mod library;
pub mod loudness;
pub mod mix;
pub mod output;
pub mod pack;
pub mod paths;
pub mod pipeline;
pub mod plan;
pub mod practice;
pub mod probe;
pub mod resample;
pub mod script;
pub mod session;
pub mod terminal;
pub mod timeline;
pub mod transcript;
pub mod units;
