//! The edges where samples leave the program: a live device, or a file, pipe or standard output.

pub mod feeder;
pub mod live;
pub mod render;
pub mod source;
pub mod target;
