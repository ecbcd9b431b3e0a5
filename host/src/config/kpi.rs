//! How the handoff KPIs are read (`[kpi]`): the thresholds that turn a
//! number into a flag, and the windows outcomes are judged in.

use serde::{Deserialize, Serialize};

use super::error::{ConfigError, in_range, within};

/// The KPI report's thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct KpiConfig {
    /// A resolution followed by a `reopened` event within this many days
    /// does not count towards the Net Resolution Rate.
    pub reopen_window_days: u32,
    /// Mean ownership changes per conversation that reached a human above
    /// which the repeat-handoff rate is flagged (the guide's 1.3).
    pub repeat_handoff_flag: f64,
    /// How many of the latest buckets a category's escalation-rate trend is
    /// read over.
    pub trend_buckets: u32,
    /// Contacts a bucket needs for its rate to count in a trend; thinner
    /// buckets are noise and are left out.
    pub trend_min_contacts: u32,
    /// A category is improving when its escalation rate falls by at least
    /// this much per bucket (least-squares slope, as a share: 0.005 is half
    /// a percentage point); flat or rising ones are flagged.
    pub trend_min_improvement: f64,
}

impl Default for KpiConfig {
    fn default() -> Self {
        KpiConfig {
            reopen_window_days: 7,
            repeat_handoff_flag: 1.3,
            trend_buckets: 4,
            trend_min_contacts: 5,
            trend_min_improvement: 0.005,
        }
    }
}

impl KpiConfig {
    /// Checks every range, naming the key of the first bad value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        in_range(
            "kpi.reopen_window_days",
            self.reopen_window_days.into(),
            0,
            365,
        )?;
        within(
            "kpi.repeat_handoff_flag",
            self.repeat_handoff_flag,
            0.0,
            100.0,
        )?;
        in_range("kpi.trend_buckets", self.trend_buckets.into(), 2, 366)?;
        in_range(
            "kpi.trend_min_contacts",
            self.trend_min_contacts.into(),
            1,
            1_000_000,
        )?;
        within(
            "kpi.trend_min_improvement",
            self.trend_min_improvement,
            0.0,
            1.0,
        )
    }
}
