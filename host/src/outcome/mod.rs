//! Outcome events: what happened after a decision, as the help desk, the
//! routing engine or the survey tool reports it. A batch is validated as
//! strictly as a decision request — every problem names its field
//! (`events[3].score`) — and is taken whole or not at all.

mod event;

pub use event::{Event, EventType, Facts, MAX_BATCH, MAX_ID, MAX_TEXT, parse_batch};
