//! What can be wrong with a configuration, and the one set of range checks
//! every section validates with, so a bound reads the same everywhere.

use std::path::PathBuf;

/// A configuration problem, with enough context for an operator to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not have the expected shape.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message, with line and column.
        message: String,
    },
    /// A value is out of its allowed range.
    #[error("config `{key}`: {message}")]
    Invalid {
        /// The dotted key, for example `triggers.confidence.threshold`.
        key: String,
        /// What is wrong and what is allowed.
        message: String,
    },
}

/// The largest weight any voter, built-in or plugin, may be given, so no
/// single voter can outweigh every other by orders of magnitude.
pub const MAX_WEIGHT: f64 = 1000.0;

/// `key` is wrong, and `message` says how.
pub(crate) fn invalid(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        message: message.into(),
    }
}

/// A finite number in `lo..=hi`.
pub(crate) fn within(key: &str, v: f64, lo: f64, hi: f64) -> Result<(), ConfigError> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(invalid(
            key,
            format!("must be between {lo} and {hi}, got {v}"),
        ))
    }
}

/// A finite number above 0.
pub(crate) fn positive(key: &str, v: f64) -> Result<(), ConfigError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(invalid(key, format!("must be a number above 0, got {v}")))
    }
}

/// A voter's weight: 0 to [`MAX_WEIGHT`].
pub(crate) fn weight(key: &str, v: f64) -> Result<(), ConfigError> {
    within(key, v, 0.0, MAX_WEIGHT)
}

/// A priority, 0 to 100.
pub(crate) fn priority(key: &str, v: u8) -> Result<(), ConfigError> {
    in_range(key, v.into(), 0, 100)
}

/// Every integer key has a range, so that no accepted value can overflow a
/// duration or a size computed from it later.
pub(crate) fn in_range(key: &str, v: u64, lo: u64, hi: u64) -> Result<(), ConfigError> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(invalid(key, format!("must be {lo} to {hi}, got {v}")))
    }
}
