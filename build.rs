//! Rebuilds the crate when the embedded default voice pack changes: `include_dir!` reads the
//! folder, but cargo does not track what a proc macro reads on stable Rust.
fn main() {
    println!("cargo:rerun-if-changed=audio/heart");
}
