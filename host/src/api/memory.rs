//! Giving memory back to the operating system after a burst of large
//! requests.
//!
//! glibc's allocator keeps freed memory in its per-thread arenas: after 200
//! concurrent 900 KB requests the process stayed at 385–453 MB although
//! nothing was in use. The request path notes how many bytes of large
//! bodies it handled; a background thread asks the allocator to release
//! free pages (`malloc_trim`) once a second after such traffic, never on
//! the request path.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Bodies at least this large count towards a trim.
pub const LARGE_BODY: usize = 64 << 10;

/// Bytes of large bodies handled since the last trim after which one is due.
const TRIM_AFTER: u64 = 8 << 20;

static LARGE_BYTES: AtomicU64 = AtomicU64::new(0);

/// Notes that a request body of `bytes` was handled.
pub fn note_body(bytes: usize) {
    if bytes >= LARGE_BODY {
        LARGE_BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
    }
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
                if LARGE_BYTES.load(Ordering::Relaxed) >= TRIM_AFTER {
                    LARGE_BYTES.store(0, Ordering::Relaxed);
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
