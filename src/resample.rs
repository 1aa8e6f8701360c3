//! Sample-rate conversion of clips with rubato's band-limited FFT resampler, aligned to the frame.

use std::collections::HashMap;

use rubato::{FftFixedInOut, Resampler};

/// Resamples mono `input` from `from` to `to` Hz with a band-limited FFT resampler.
/// The result has exactly `ceil(len * to / from)` samples, aligned with the input to within a
/// fraction of a frame.
pub fn resample(input: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to {
        return input.to_vec();
    }
    let mut out = vec![0.0; resampled_len(input.len() as u64, from, to) as usize];
    resample_into(input, from, to, resampler_delay(from, to), &mut out);
    out
}

/// The frames `frames` input frames at `from` Hz become at `to` Hz, as [`resample_into`]
/// aligns them: `ceil(frames × to / from)` (the same frames when the rates agree).
pub fn resampled_len(frames: u64, from: u32, to: u32) -> u64 {
    (u128::from(frames) * u128::from(to)).div_ceil(u128::from(from)) as u64
}

/// Runs rubato's FFT resampler over `input` (zero-padded at the end): drops the first `skip`
/// output frames (the resampler's delay, for aligned output) and fills `out` with the next, so a
/// clip can be resampled straight into the buffer it is shared in. Each block is resampled into
/// one reused buffer and copied out once.
pub fn resample_into(input: &[f32], from: u32, to: u32, skip: usize, out: &mut [f32]) {
    Kept::new(from, to, skip).run(input, out);
}

/// Resamplers kept for reuse, one per pair of rates, each with its delay measured once: building
/// one (its filter and FFT plans) costs about as much as resampling a short clip, and a worker
/// that prepares clip after clip needs the same one again and again. The samples are the same as
/// from a new resampler: it is reset before every clip.
#[derive(Default)]
pub struct Resamplers {
    by_rates: HashMap<(u32, u32), Kept>,
}

impl Resamplers {
    /// [`resample_into`] with the resampler for `from` → `to` and its delay, made on first use.
    pub fn resample_into(&mut self, input: &[f32], from: u32, to: u32, out: &mut [f32]) {
        self.by_rates
            .entry((from, to))
            .or_insert_with(|| Kept::new(from, to, resampler_delay(from, to)))
            .run(input, out);
    }
}

/// A resampler, its buffers and the output frames it drops first.
struct Kept {
    resampler: FftFixedInOut<f32>,
    block: Vec<Vec<f32>>,
    padded: Vec<f32>,
    skip: usize,
}

impl Kept {
    fn new(from: u32, to: u32, skip: usize) -> Kept {
        // Construction fails only for a zero rate; decoders and devices report positive rates.
        let resampler = FftFixedInOut::<f32>::new(from as usize, to as usize, 1024, 1)
            .expect("positive sample rates");
        Kept {
            block: resampler.output_buffer_allocate(true),
            padded: vec![0.0f32; resampler.input_frames_max()],
            resampler,
            skip,
        }
    }

    /// Resamples `input` into `out` as [`resample_into`] describes, from a reset resampler.
    fn run(&mut self, input: &[f32], out: &mut [f32]) {
        self.resampler.reset();
        let (mut pos, mut skip, mut filled) = (0, self.skip, 0);
        while filled < out.len() {
            let need = self.resampler.input_frames_next();
            let chunk = &input[pos.min(input.len())..(pos + need).min(input.len())];
            let chunk = if chunk.len() == need {
                chunk
            } else {
                // The end: the rest of the input, then silence.
                self.padded[..chunk.len()].copy_from_slice(chunk);
                self.padded[chunk.len()..need].fill(0.0);
                &self.padded[..need]
            };
            let (_, made) = self
                .resampler
                .process_into_buffer(&[chunk], &mut self.block, None)
                .expect("buffers sized by the resampler");
            let dropped = skip.min(made);
            skip -= dropped;
            let take = (made - dropped).min(out.len() - filled);
            out[filled..filled + take].copy_from_slice(&self.block[0][dropped..dropped + take]);
            filled += take;
            pos += need;
        }
    }
}

/// The resampler's delay in output frames, measured on an impulse: rubato's `output_delay()`
/// is an estimate that can be a frame off, and a frame is what this player promises.
pub fn resampler_delay(from: u32, to: u32) -> usize {
    const AT: usize = 512;
    let mut impulse = vec![0.0f32; 2 * AT];
    impulse[AT] = 1.0;
    let ratio = f64::from(to) / f64::from(from);
    let expected = AT as f64 * ratio;
    let mut out = vec![0.0; (2.0 * expected) as usize + 512];
    resample_into(&impulse, from, to, 0, &mut out);
    let peak = (1..out.len() - 1)
        .max_by(|&a, &b| out[a].total_cmp(&out[b]))
        .unwrap_or(0);
    // Refine the peak between samples with a parabola through its neighbours.
    let (y0, y1, y2) = (out[peak - 1], out[peak], out[peak + 1]);
    let curve = f64::from(y0 - 2.0 * y1 + y2);
    let frac = if curve.abs() > 1e-9 {
        0.5 * f64::from(y0 - y2) / curve
    } else {
        0.0
    };
    (peak as f64 + frac - expected).round().max(0.0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: u32, seconds: f64) -> Vec<f32> {
        let n = (seconds * f64::from(rate)) as usize;
        (0..n)
            .map(|i| (std::f64::consts::TAU * freq * i as f64 / f64::from(rate)).sin() as f32 * 0.5)
            .collect()
    }

    #[test]
    fn resample_keeps_length_timing_and_pitch() {
        let input = sine(440.0, 22_050, 1.0);
        let out = resample(&input, 22_050, 48_000);
        assert_eq!(out.len(), 48_000);
        // Compare against the ideal 440 Hz sine at 48 kHz away from the edges.
        let ideal = sine(440.0, 48_000, 1.0);
        let err = out[2000..46_000]
            .iter()
            .zip(&ideal[2000..46_000])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err < 0.01, "max error {err}");
    }

    #[test]
    fn resample_keeps_an_impulse_in_place() {
        for (from, to) in [
            (22_050, 48_000),
            (44_100, 48_000),
            (48_000, 44_100),
            (16_000, 48_000),
        ] {
            let mut input = vec![0.0f32; from as usize / 10];
            input[1000] = 1.0;
            let out = resample(&input, from, to);
            let peak = (0..out.len())
                .max_by(|&a, &b| out[a].total_cmp(&out[b]))
                .unwrap();
            let expected = 1000.0 * f64::from(to) / f64::from(from);
            assert!(
                (peak as f64 - expected).abs() <= 1.0,
                "{from}->{to}: {peak} vs {expected}"
            );
        }
    }

    #[test]
    fn resample_is_identity_at_same_rate() {
        let input = sine(300.0, 48_000, 0.1);
        assert_eq!(resample(&input, 48_000, 48_000), input);
    }
}
