//! The handoff-quality KPIs and the review loop.
//!
//! The data flows: [`window`] validates what a report covers; [`replies`]
//! scores agents' first replies ([`first_reply`]) against the decision they
//! follow; [`report`] asks the store's queries (`store::kpi`) for counts
//! and turns them into rates, percentiles, trends and flags; [`render`]
//! prints a report as a table or CSV. [`review`] picks escalations for
//! people to judge and exports their verdicts as fixtures.

pub mod first_reply;
pub mod render;
pub mod replies;
pub mod report;
pub mod review;
pub mod window;

pub use report::{Report, compute};
pub use window::{Bucket, Window, WindowArgs, WindowError};
