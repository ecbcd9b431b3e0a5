//! Giving memory back to the operating system after a burst of large
//! requests.
//!
//! glibc's allocator keeps freed memory in its per-thread arenas: after 200
//! concurrent 900 KB requests the process stayed at 385–453 MB although
//! nothing was in use. Each large request holds a [`LargeBody`] until its
//! work is done; a background thread asks the allocator to release free
//! pages (`malloc_trim`) once a second after such traffic, never on the
//! request path.
//!
//! Bytes count when a request ends, not when its body arrives: a trim while
//! the decisions of a burst are still running frees little, and the memory
//! they let go of afterwards would stay with the process until the next
//! burst. For the same reason a trim is also due whenever large requests
//! have ended and none is running, however few bytes they had.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Bodies at least this large count towards a trim.
pub const LARGE_BODY: usize = 64 << 10;

/// Bytes of ended large requests after which a trim is due even while
/// others still run.
const TRIM_AFTER: u64 = 8 << 20;

/// Bytes of large requests that ended since the last trim.
static ENDED_BYTES: AtomicU64 = AtomicU64::new(0);

/// Large requests being read or decided now.
static RUNNING: AtomicU64 = AtomicU64::new(0);

/// A large request in progress; its bytes count towards a trim when it is
/// dropped. Small bodies get an inert one.
#[must_use = "hold it until the request's work is done"]
pub struct LargeBody(u64);

/// Notes that a request body of `bytes` arrived; hold the result until
/// the work the body causes is done.
pub fn note_body(bytes: usize) -> LargeBody {
    if bytes < LARGE_BODY {
        return LargeBody(0);
    }
    RUNNING.fetch_add(1, Ordering::Relaxed);
    LargeBody(bytes as u64)
}

impl Drop for LargeBody {
    fn drop(&mut self) {
        if self.0 > 0 {
            // Bytes first: the trimmer must never see no request running
            // and none of the bytes of the one that just ended.
            ENDED_BYTES.fetch_add(self.0, Ordering::SeqCst);
            RUNNING.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Whether a trim is due, given the bytes of ended large requests and how
/// many still run.
fn trim_due(ended: u64, running: u64) -> bool {
    ended >= TRIM_AFTER || (ended > 0 && running == 0)
}

/// Starts the background thread that trims after large traffic (once per
/// process, however many services it runs).
pub fn start_trimmer() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        fix_mmap_threshold();
        spawn_trimmer();
    });
}

fn spawn_trimmer() {
    let spawned = std::thread::Builder::new()
        .name("escalator-trim".into())
        .spawn(|| {
            loop {
                std::thread::sleep(Duration::from_secs(1));
                let running = RUNNING.load(Ordering::SeqCst);
                if trim_due(ENDED_BYTES.load(Ordering::SeqCst), running) {
                    ENDED_BYTES.store(0, Ordering::SeqCst);
                    trim();
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot start the memory trimmer: {e}");
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn trim() {
    // SAFETY: malloc_trim takes a plain integer, touches only the
    // allocator's own free lists, and is thread-safe in glibc.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Allocations of at least this size get their own mapping, returned to
/// the system as soon as they are freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 256 << 10;

/// glibc raises its mmap threshold each time a mapped block is freed (up to
/// 32 MiB), so after the first large body every later one came from the
/// arenas and stayed there. Setting it explicitly turns that off.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn fix_mmap_threshold() {
    // SAFETY: mallopt takes two plain integers and only changes allocator
    // tuning; it is called once, before the service handles requests.
    let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) };
    if ok != 1 {
        tracing::debug!("mallopt(M_MMAP_THRESHOLD) was refused");
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn fix_mmap_threshold() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trim_waits_for_the_work_unless_much_has_ended() {
        assert!(!trim_due(0, 0), "no traffic, no trim");
        assert!(!trim_due(1 << 20, 3), "a burst still running");
        assert!(trim_due(1 << 20, 0), "the burst's last request ended");
        assert!(trim_due(TRIM_AFTER, 5), "much ended while more runs");
    }
}
