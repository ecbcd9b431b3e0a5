//! Elapsed time as people read it on a support timeline.

/// `ms` milliseconds as `m:ss` (negative spans read as `0:00`), the format
/// of every offset the human sees in the handoff context.
pub fn clock(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}
