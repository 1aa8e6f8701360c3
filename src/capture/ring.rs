//! The one way captured samples travel: from the audio callback into a preallocated lock-free
//! ring (`rtrb`), and out of it on the thread that meters and keeps them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rodio::cpal::{FromSample, Sample};

/// What both ends of a ring count, for the reading side to see.
#[derive(Debug, Default)]
struct Counts {
    /// Samples the audio callback has handed over, kept or not.
    arrived: AtomicU64,
    /// Samples that found the ring full and were lost.
    dropped: AtomicU64,
}

/// The audio callback's end of a ring: it pushes what the device captured.
pub struct RingInput {
    producer: rtrb::Producer<f32>,
    counts: Arc<Counts>,
}

/// The reading end of a ring.
pub struct RingOutput {
    consumer: rtrb::Consumer<f32>,
    counts: Arc<Counts>,
}

/// A ring holding `capacity` samples, both ends.
pub fn ring(capacity: usize) -> (RingInput, RingOutput) {
    let (producer, consumer) = rtrb::RingBuffer::new(capacity.max(1));
    let counts = Arc::new(Counts::default());
    (
        RingInput {
            producer,
            counts: counts.clone(),
        },
        RingOutput { consumer, counts },
    )
}

impl RingInput {
    /// Converts `data` to `f32` and pushes as much of it as fits; what does not fit is counted
    /// as dropped. Neither allocates, locks nor waits: it runs on the audio thread.
    pub fn push<T: Sample>(&mut self, data: &[T])
    where
        f32: FromSample<T>,
    {
        let fits = data.len().min(self.producer.slots());
        if let Ok(chunk) = self.producer.write_chunk_uninit(fits) {
            chunk.fill_from_iter(data.iter().map(|s| s.to_sample::<f32>()));
        }
        let counts = &self.counts;
        counts
            .arrived
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        counts
            .dropped
            .fetch_add((data.len() - fits) as u64, Ordering::Relaxed);
    }
}

impl RingOutput {
    /// Appends every sample waiting in the ring to `into`; returns how many.
    pub fn read(&mut self, into: &mut Vec<f32>) -> usize {
        let Ok(chunk) = self.consumer.read_chunk(self.consumer.slots()) else {
            return 0;
        };
        let (first, second) = chunk.as_slices();
        into.extend_from_slice(first);
        into.extend_from_slice(second);
        let n = chunk.len();
        chunk.commit_all();
        n
    }

    /// Samples the audio callback has handed over so far, kept or dropped.
    pub fn arrived(&self) -> u64 {
        self.counts.arrived.load(Ordering::Relaxed)
    }

    /// Samples lost because the ring was full (the reader fell behind).
    pub fn dropped(&self) -> u64 {
        self.counts.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_arrive_in_order_as_f32_and_overflow_is_counted() {
        let (mut input, mut output) = ring(4);
        input.push(&[i16::MAX, 0, i16::MIN]);
        let mut got = Vec::new();
        assert_eq!(output.read(&mut got), 3);
        assert!((got[0] - 1.0).abs() < 1e-4 && got[1] == 0.0 && got[2] == -1.0);
        // Wrapping around the end of the ring, then overflowing it.
        input.push(&[0.25f32, 0.5, 0.75, 1.0, 1.25]);
        got.clear();
        assert_eq!(output.read(&mut got), 4);
        assert_eq!(got, [0.25, 0.5, 0.75, 1.0]);
        assert_eq!((output.arrived(), output.dropped()), (8, 1));
        assert_eq!(output.read(&mut got), 0);
    }
}
