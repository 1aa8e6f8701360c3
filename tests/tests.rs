//! The integration tests, in one binary so the crate links once: each module in `suite/` looks at
//! one side of the program from outside (the command line, renders, packs, live playback…), with
//! the helpers they share in `common/`. `no_alloc.rs` is a binary of its own for its counting
//! allocator.

mod common;

#[path = "suite/bad_input.rs"]
mod bad_input;
#[path = "suite/cli.rs"]
mod cli;
#[path = "suite/conventions.rs"]
mod conventions;
#[path = "suite/debian_package.rs"]
mod debian_package;
#[path = "suite/fuzz_regressions.rs"]
mod fuzz_regressions;
#[path = "suite/install.rs"]
mod install;
#[path = "suite/languages.rs"]
mod languages;
#[path = "suite/late_clips.rs"]
mod late_clips;
#[path = "suite/lengths.rs"]
mod lengths;
#[path = "suite/live_playback.rs"]
mod live_playback;
#[path = "suite/media_controls.rs"]
mod media_controls;
#[path = "suite/packs.rs"]
mod packs;
#[path = "suite/pcm.rs"]
mod pcm;
#[path = "suite/practice.rs"]
mod practice;
#[path = "suite/record.rs"]
mod record;
#[path = "suite/render.rs"]
mod render;
#[path = "suite/render_formats.rs"]
mod render_formats;
#[path = "suite/render_targets.rs"]
mod render_targets;
#[path = "suite/timeline_props.rs"]
mod timeline_props;
