//! The window a report covers, as the API and the command line take it:
//! `from`, `to`, `bucket`, and the category and channel filters.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// The default window: the four weeks before `to`.
const DEFAULT_DAYS: i64 = 28;

/// The longest window: three years of decisions is already a long report.
const MAX_DAYS: i64 = 3 * 366;

/// The most buckets a report cuts its window into.
pub const MAX_BUCKETS: i64 = 400;

/// How a window is cut for the trends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// One day.
    Day,
    /// Seven days.
    Week,
}

impl Bucket {
    /// The bucket's length.
    pub fn length(self) -> Duration {
        match self {
            Bucket::Day => Duration::days(1),
            Bucket::Week => Duration::days(7),
        }
    }
}

/// A validated window.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Window {
    /// Decisions made at or after this.
    pub from: DateTime<Utc>,
    /// Decisions made before this.
    pub to: DateTime<Utc>,
    /// The trend's bucket; buckets count from `from`.
    pub bucket: Bucket,
    /// Only conversations of this category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Only conversations on this channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

/// A parameter that does not make a window: which, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowError {
    /// The parameter.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

/// The window's parameters as given, each optional.
#[derive(Debug, Clone, Default)]
pub struct WindowArgs<'a> {
    /// RFC 3339; default `to` − 28 days.
    pub from: Option<&'a str>,
    /// RFC 3339; default now.
    pub to: Option<&'a str>,
    /// `day` or `week` (default).
    pub bucket: Option<&'a str>,
    /// A category, or `(none)` for conversations without one.
    pub category: Option<&'a str>,
    /// A channel, or `(none)`.
    pub channel: Option<&'a str>,
}

impl Window {
    /// Checks `args` against the server's clock `now`.
    pub fn parse(args: &WindowArgs<'_>, now: DateTime<Utc>) -> Result<Window, WindowError> {
        let time = |field: &'static str, v: &str| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| WindowError {
                    field,
                    message: format!("{v:?} is not an RFC 3339 time"),
                })
        };
        let to = args.to.map(|v| time("to", v)).transpose()?.unwrap_or(now);
        let from = args
            .from
            .map(|v| time("from", v))
            .transpose()?
            .unwrap_or(to - Duration::days(DEFAULT_DAYS));
        if from >= to {
            return Err(WindowError {
                field: "from",
                message: "must be before `to`".into(),
            });
        }
        if to - from > Duration::days(MAX_DAYS) {
            return Err(WindowError {
                field: "from",
                message: format!("the window is at most {MAX_DAYS} days"),
            });
        }
        let bucket = match args.bucket {
            None | Some("week") => Bucket::Week,
            Some("day") => Bucket::Day,
            Some(other) => {
                return Err(WindowError {
                    field: "bucket",
                    message: format!("{other:?}: expected day or week"),
                });
            }
        };
        let window = Window {
            from,
            to,
            bucket,
            category: args.category.map(str::to_owned),
            channel: args.channel.map(str::to_owned),
        };
        if window.buckets() > MAX_BUCKETS {
            return Err(WindowError {
                field: "bucket",
                message: format!(
                    "{} buckets; at most {MAX_BUCKETS}: use week or a shorter window",
                    window.buckets()
                ),
            });
        }
        for (field, v) in [("category", &window.category), ("channel", &window.channel)] {
            if v.as_deref().is_some_and(|s| s.is_empty() || s.len() > 256) {
                return Err(WindowError {
                    field,
                    message: "must be 1 to 256 bytes".into(),
                });
            }
        }
        Ok(window)
    }

    /// How many buckets the window holds (the last may be partial).
    pub fn buckets(&self) -> i64 {
        let len = self.bucket.length().num_microseconds().unwrap_or(1).max(1);
        let span = (self.to - self.from).num_microseconds().unwrap_or(0);
        (span + len - 1) / len
    }

    /// The start of bucket `i`.
    pub fn bucket_start(&self, i: i64) -> DateTime<Utc> {
        self.from + self.bucket.length() * i as i32
    }

    /// A filter as the store keeps it: conversations without a category
    /// (or channel) are `""`, asked for as `(none)`.
    pub(crate) fn stored(v: &Option<String>) -> Option<String> {
        v.as_deref().map(|s| {
            if s == NONE {
                String::new()
            } else {
                s.to_owned()
            }
        })
    }
}

/// How a missing category or channel is shown and asked for.
pub const NONE: &str = "(none)";

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-29T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn defaults_are_the_last_four_weeks_by_week() {
        let w = Window::parse(&WindowArgs::default(), now()).unwrap();
        assert_eq!(w.to, now());
        assert_eq!(w.from, now() - Duration::days(28));
        assert_eq!(w.bucket, Bucket::Week);
        assert_eq!(w.buckets(), 4);
    }

    #[test]
    fn a_partial_last_bucket_counts() {
        let args = WindowArgs {
            from: Some("2026-11-01T00:00:00Z"),
            to: Some("2026-11-03T12:00:00Z"),
            bucket: Some("day"),
            ..WindowArgs::default()
        };
        let w = Window::parse(&args, now()).unwrap();
        assert_eq!(w.buckets(), 3);
        assert_eq!(w.bucket_start(2).to_rfc3339(), "2026-11-03T00:00:00+00:00");
    }

    #[test]
    fn bad_parameters_are_named() {
        let bad = [
            (
                WindowArgs {
                    from: Some("yesterday"),
                    ..WindowArgs::default()
                },
                "from",
            ),
            (
                WindowArgs {
                    from: Some("2026-11-02T00:00:00Z"),
                    to: Some("2026-11-01T00:00:00Z"),
                    ..WindowArgs::default()
                },
                "from",
            ),
            (
                WindowArgs {
                    bucket: Some("month"),
                    ..WindowArgs::default()
                },
                "bucket",
            ),
            (
                WindowArgs {
                    from: Some("2024-01-01T00:00:00Z"),
                    bucket: Some("day"),
                    ..WindowArgs::default()
                },
                "bucket",
            ),
            (
                WindowArgs {
                    category: Some(""),
                    ..WindowArgs::default()
                },
                "category",
            ),
        ];
        for (args, field) in bad {
            assert_eq!(Window::parse(&args, now()).unwrap_err().field, field);
        }
    }
}
