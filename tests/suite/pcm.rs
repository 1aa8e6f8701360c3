//! The fast 16-bit conversion of renders rounds exactly as `f32::round` does, and clamps.

use balasana_audio::codec::to_i16;

#[test]
fn to_i16_rounds_half_away_from_zero_like_round() {
    let reference = |s: f32| (s.clamp(-1.0, 1.0) * 32767.0).round() as i16;
    // Every half-LSB step across the range, the values just around each, and beyond full scale.
    for k in -70_000i32..=70_000 {
        let v = k as f32 / 65_534.0;
        for s in [
            v,
            f32::from_bits(v.to_bits() + 1),
            f32::from_bits(v.to_bits().saturating_sub(1)),
        ] {
            assert_eq!(to_i16(s), reference(s), "{s}");
        }
    }
    assert_eq!(to_i16(2.0), i16::MAX);
    assert_eq!(to_i16(-2.0), -i16::MAX);
}
