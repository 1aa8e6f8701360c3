//! balasana-audio: an eyes-closed guided Child's pose (Balasana) session.
//!
//! The modules stand in layers, and a module imports only from its own layer or the ones below
//! (no circles; `docs/architecture.md` draws them, with the data flow and where each rule lives):
//!
//! | layer | modules | what they do |
//! |---|---|---|
//! | top | [`cli`], [`app`] (and `main.rs`) | parse arguments, dispatch, one error enum mapped to exit codes |
//! | session and commands | [`session`], [`commands`] | one session: options → prepare → plan, render or live → log; one file per other command |
//! | edges | [`output`], [`capture`], [`terminal`], [`media`] | the live device and its source, the clip worker, renders and their targets, a take played back; the microphone; keys, progress and the recording screen; the media controls (MPRIS on D-Bus) |
//! | files | [`decode`], [`probe`], [`cache`], [`pack`], [`pipeline`], [`library`], [`practice`], [`config`], [`paths`], [`atomic`] | clips decoded and measured, packs found and read, the session library, the practice log, layered settings, where files live, writing whole or not at all |
//! | pure core | [`script`], [`pace`], [`timeline`], [`plan`], [`transcript`], [`mix`] | no I/O: script → timeline (events at exact frames) → mixer (samples for any frame range); plans and transcripts read the timeline; a line's pace counted and fitted |
//! | sound pieces | [`chime`], [`cue`], [`loudness`], [`resample`], [`codec`] | chimes synthesized, cue ids, EBU R128 gains, band-limited resampling, WAV/FLAC/Ogg encoders |
//! | leaves | [`units`], [`exit`], [`language`] | seconds to frames and time written for people; exit codes; language tags and the locale rule |
//!
//! One exception, as in ripgrep: [`config`], [`session`] and [`commands`] read the parsed
//! argument types of [`cli`], which nothing else below the top does.

#![warn(missing_docs)]

// Top.
pub mod app;
pub mod cli;

// Session and commands.
pub mod commands;
pub mod session;

// Edges.
pub mod capture;
pub mod media;
pub mod output;
pub mod terminal;

// Files.
pub mod atomic;
pub mod cache;
pub mod config;
pub mod decode;
pub mod library;
pub mod pack;
pub mod paths;
pub mod pipeline;
pub mod practice;
pub mod probe;

// The pure core.
pub mod mix;
pub mod pace;
pub mod plan;
pub mod script;
pub mod timeline;
pub mod transcript;

// Sound pieces.
pub mod chime;
pub mod codec;
pub mod cue;
pub mod loudness;
pub mod resample;

// Leaves.
pub mod exit;
pub mod language;
pub mod units;
