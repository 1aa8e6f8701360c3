//! Rebuilds the crate when the embedded default voice pack changes (`include_dir!` reads the
//! folder, but cargo does not track what a proc macro reads on stable Rust), and deflates the
//! built-in translations into `OUT_DIR` (issue 22: 115 kB of text become about a third of it in
//! the binary; `script::translations` inflates them on first use).
use std::path::PathBuf;

/// The translated sessions compiled in, as `script/<language>/<name>.toml`.
const TRANSLATED: [&str; 4] = ["de", "es", "fr", "it"];
/// The sessions each language has.
const SESSIONS: [&str; 2] = ["balasana", "bedtime"];

fn main() {
    println!("cargo:rerun-if-changed=audio/heart");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for language in TRANSLATED {
        for session in SESSIONS {
            let source = format!("script/{language}/{session}.toml");
            println!("cargo:rerun-if-changed={source}");
            let text = std::fs::read(&source).unwrap_or_else(|e| panic!("{source}: {e}"));
            let deflated = miniz_oxide::deflate::compress_to_vec(&text, 10);
            let target = out.join(format!("{language}-{session}.toml.deflate"));
            std::fs::write(&target, deflated)
                .unwrap_or_else(|e| panic!("{}: {e}", target.display()));
        }
    }
}
