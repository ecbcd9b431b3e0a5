//! Changing rules safely: re-deciding logged conversations with a candidate
//! rule set and reporting what would change.
//!
//! The data flows: [`item`] reads a logged decision (or a bare request)
//! into what is decided again; [`run`] decides the items with the candidate
//! rules on threads of its own, [`session`] driving it over the store or a
//! file a page at a time; [`case`] reads the facts replay compares from a
//! decision's JSON (a stored record, or a fresh decision serialised);
//! [`report`] compares the pairs (flips, timing, reviewers' verdicts);
//! [`render`] prints a report as text, Markdown or JSON; [`gate`] checks it
//! against `--fail-if` thresholds.

pub mod case;
pub mod gate;
pub mod item;
pub mod render;
pub mod report;
pub mod run;
pub mod session;
