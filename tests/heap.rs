//! A counting allocator for the benches that report a peak heap (BENCHMARKS.md): the system
//! allocator with counters of the bytes live and their peak. A bench installs it with
//! `#[global_allocator] static ALLOCATOR: Counting = Counting;`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting.
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: the caller's layout, as given.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `alloc` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Bytes live now.
pub fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Runs `step`, returning its value and the peak heap above what was live before it.
pub fn peak_of<T>(step: impl FnOnce() -> T) -> (T, usize) {
    let before = live();
    PEAK.store(before, Ordering::Relaxed);
    let value = step();
    (value, PEAK.load(Ordering::Relaxed) - before)
}

/// Starts measuring a peak from what is live now (for an `async` step); [`peak_since`] reads it.
pub fn start_peak() -> usize {
    let before = live();
    PEAK.store(before, Ordering::Relaxed);
    before
}

/// The peak heap above `baseline` (from [`start_peak`]).
pub fn peak_since(baseline: usize) -> usize {
    PEAK.load(Ordering::Relaxed) - baseline
}
