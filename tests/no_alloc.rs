//! The audio thread does nothing but mix: pulling samples through `MixSource` allocates and frees
//! nothing, in every path (play, volume, pause, resume, seek, a clip that is late, stop), whether
//! the clips were all given at the start or arrive from the preparation worker.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use balasana_audio::mix::Mixer;
use balasana_audio::output::feeder::Supply;
use balasana_audio::output::source::{Controls, MixSource};
use balasana_audio::pack::{Pack, PackFiles};
use balasana_audio::script::Script;
use balasana_audio::timeline::Timeline;

/// The in-process session the integration tests share.
#[path = "common/session.rs"]
mod shared;

use shared::{RATE, tones};

/// Counts allocations, reallocations and frees made by threads that asked to be counted.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: the allocator also runs while thread-locals are being torn down.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note();
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Pulls `n` samples (to the end, for `usize::MAX`) a device buffer at a time, as the audio
/// thread does, with this thread counted; returns how many allocations and frees it made.
fn pull(src: &mut MixSource, n: usize) -> u64 {
    let mut buffer = vec![0i16; 1200];
    COUNT.with(|c| c.set(0));
    COUNTING.with(|on| on.set(true));
    let mut left = n;
    while left > 0 {
        let take = left.min(buffer.len());
        if src.fill(&mut buffer[..take]) < take {
            break;
        }
        left -= take;
    }
    COUNTING.with(|on| on.set(false));
    COUNT.with(|c| c.get())
}

/// The built-in session with two 30 s holds.
fn session() -> (Script, Timeline, PackFiles) {
    shared::session(30.0)
}

/// Every control path, with the number of allocations each made.
fn exercise(mut src: MixSource, controls: &Controls, t: &Timeline) -> Vec<(&'static str, u64)> {
    let second = 2 * RATE as usize;
    let mut seen = vec![("play", pull(&mut src, 3 * second))];
    controls.set_volume(0.5);
    seen.push(("volume", pull(&mut src, second)));
    controls.set_paused(true);
    seen.push(("pause", pull(&mut src, second)));
    controls.set_paused(false);
    seen.push(("resume", pull(&mut src, second)));
    controls.seek(t.steps[2].frame);
    seen.push(("seek ahead", pull(&mut src, 2 * second)));
    controls.seek(t.steps[1].frame);
    seen.push(("seek back", pull(&mut src, 2 * second)));
    // Far ahead: the worker has not prepared these clips yet, so a fed source holds.
    controls.seek(t.duration - 5 * u64::from(RATE));
    for _ in 0..20 {
        seen.push(("far seek, waiting", pull(&mut src, second / 10)));
        std::thread::sleep(Duration::from_millis(10));
    }
    seen.push(("after far seek", pull(&mut src, second)));
    controls.stop();
    seen.push(("stop", pull(&mut src, usize::MAX)));
    assert!(controls.finished());
    seen
}

#[test]
fn pulling_samples_never_allocates_with_every_clip_given() {
    let (script, t, files) = session();
    let pack = Pack::load(files.location.clone(), &script, None).unwrap();
    let clips = pack.prepare(RATE);
    let controls = Arc::new(Controls::default());
    let mixer = Mixer::new(&t, &clips).unwrap();
    let src = MixSource::new(mixer, controls.clone(), 2, RATE, 0.4, tones());
    let seen = exercise(src, &controls, &t);
    assert!(seen.iter().all(|&(_, n)| n == 0), "{seen:?}");
}

#[test]
fn pulling_samples_never_allocates_while_the_worker_feeds_clips() {
    let (_, t, files) = session();
    let supply = Supply::new(&files, RATE, false);
    let mut mixer = supply.mixer(&t, 0);
    mixer.wait_ready(u64::from(RATE));
    let controls = Arc::new(Controls::default());
    let src = MixSource::new(mixer, controls.clone(), 2, RATE, 0.4, tones());
    let seen = exercise(src, &controls, &t);
    assert!(seen.iter().all(|&(_, n)| n == 0), "{seen:?}");
    assert!(!supply.failed());
}
