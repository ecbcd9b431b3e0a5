//! Where a secret comes from when it is not written in the config text: an
//! environment variable or a file. Shared by API tokens (`[auth]`) and
//! secret plugin settings, so both read, trim and bound a secret the same
//! way and name the source, never the value, in an error.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{ConfigError, invalid};
use super::files::read_regular;

/// A secret file larger than this is refused: a secret is a line, and a
/// path pointing at a log or a disk image is a mistake.
const MAX_SECRET_FILE: u64 = 64 << 10;

/// The source of a secret value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretSource {
    /// An environment variable, read when the configuration is loaded.
    Env(String),
    /// A file (relative to the config file's directory), read when the
    /// configuration is loaded; one trailing newline is dropped.
    File(PathBuf),
}

impl SecretSource {
    /// Makes a relative file path relative to `base`.
    pub fn resolve(&mut self, base: &Path) {
        if let SecretSource::File(p) = self
            && p.is_relative()
        {
            *p = base.join(&*p);
        }
    }

    /// Reads the value; `key` names the configuration key in an error.
    pub fn read(&self, key: &str) -> Result<String, ConfigError> {
        let value = match self {
            SecretSource::Env(var) => std::env::var(var).map_err(|e| {
                invalid(
                    key,
                    match e {
                        std::env::VarError::NotPresent => {
                            format!("the environment variable {var} is not set")
                        }
                        std::env::VarError::NotUnicode(_) => {
                            format!("the environment variable {var} is not UTF-8")
                        }
                    },
                )
            })?,
            SecretSource::File(path) => {
                let bytes = read_regular(path, MAX_SECRET_FILE, "the secret file limit")
                    .map_err(|e| invalid(key, format!("cannot read {}: {e}", path.display())))?;
                let mut text = String::from_utf8(bytes)
                    .map_err(|_| invalid(key, format!("{} is not UTF-8 text", path.display())))?;
                if text.ends_with('\n') {
                    text.pop();
                    if text.ends_with('\r') {
                        text.pop();
                    }
                }
                text
            }
        };
        if value.is_empty() {
            return Err(invalid(key, format!("{} is empty", self.describe())));
        }
        Ok(value)
    }

    /// `env NAME` or `file NAME`: what an operator may see of the source.
    /// A file is named without its directory, so no absolute path of the
    /// host leaks through the API.
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Env(var) => format!("env {var}"),
            SecretSource::File(path) => format!(
                "file {}",
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_lose_one_trailing_newline_and_errors_name_the_source_not_the_value() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t"), "s3cret-value\n").unwrap();
        let mut source = SecretSource::File(PathBuf::from("t"));
        source.resolve(dir.path());
        assert_eq!(source.read("k").unwrap(), "s3cret-value");
        assert_eq!(source.describe(), "file t");

        std::fs::write(dir.path().join("empty"), "\n").unwrap();
        let err = SecretSource::File(dir.path().join("empty"))
            .read("auth.tokens.x")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("auth.tokens.x") && err.contains("empty"),
            "{err}"
        );

        let err = SecretSource::Env("ESCALATOR_TEST_SURELY_UNSET_VAR".into())
            .read("k")
            .unwrap_err()
            .to_string();
        assert!(err.contains("ESCALATOR_TEST_SURELY_UNSET_VAR"), "{err}");
    }
}
