//! The edges where samples leave the program: a live device or a WAV file.

pub mod feeder;
pub mod live;
pub mod render;
pub mod source;
