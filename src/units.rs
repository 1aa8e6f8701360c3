//! Units every layer shares: seconds turned into frames, and frames and seconds written for
//! people (the plan's clock, chapter and subtitle timestamps). A leaf: it imports nothing of the
//! crate.

/// Seconds to frames at `rate`, rounded to the nearest frame: the one conversion every part of
/// the program uses (negative or not-a-number seconds give 0).
pub fn frames(seconds: f64, rate: u32) -> u64 {
    (seconds * f64::from(rate)).round() as u64
}

/// `m:ss.mmm` (or `h:mm:ss.mmm`) of `seconds`.
pub fn clock(seconds: f64) -> String {
    let ms = (seconds * 1000.0).round() as u64;
    let (h, m, s, ms) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}.{ms:03}")
    } else {
        format!("{m:02}:{s:02}.{ms:03}")
    }
}

/// `HH:MM:SS` + `sep` + `mmm` of `frame` at `rate`, rounded to the nearest millisecond: chapter
/// marks (`.`) and subtitle cues (`,` in SubRip, `.` in WebVTT).
pub fn timestamp(frame: u64, rate: u32, sep: char) -> String {
    let ms = (u128::from(frame) * 1000 + u128::from(rate) / 2) / u128::from(rate);
    let ms = ms as u64;
    let (h, m, s, ms) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    format!("{h:02}:{m:02}:{s:02}{sep}{ms:03}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_to_the_nearest() {
        assert_eq!(frames(1.0, 48_000), 48_000);
        assert_eq!(frames(0.000_01, 48_000), 0);
        assert_eq!(frames(0.000_011, 48_000), 1);
        assert_eq!(frames(-1.0, 48_000), 0);
        assert_eq!(frames(f64::NAN, 48_000), 0);
    }

    #[test]
    fn timestamps_round_to_the_millisecond() {
        assert_eq!(timestamp(0, 48_000, '.'), "00:00:00.000");
        assert_eq!(timestamp(48_000 * 3661 + 24, 48_000, '.'), "01:01:01.001");
        assert_eq!(timestamp(23, 48_000, ','), "00:00:00,000");
    }

    #[test]
    fn clock_formats() {
        assert_eq!(clock(0.0), "00:00.000");
        assert_eq!(clock(61.2345), "01:01.235");
        assert_eq!(clock(3725.5), "1:02:05.500");
    }
}
