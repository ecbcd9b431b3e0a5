//! The `[tls]` section: serving HTTPS without a terminating proxy. Read at
//! start only.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, Serializer};

/// Where the certificate and its key are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, PEM, leaf first (relative to the config
    /// file's directory).
    #[serde(serialize_with = "file_name")]
    pub cert: PathBuf,
    /// The private key, PEM (PKCS#8, PKCS#1 or SEC1).
    #[serde(serialize_with = "file_name")]
    pub key: PathBuf,
}

impl TlsConfig {
    /// Makes relative paths relative to `base`.
    pub fn resolve(&mut self, base: &Path) {
        for p in [&mut self.cert, &mut self.key] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }
}

/// Shows a file by its name only: the API does not hand out the host's
/// directory layout.
fn file_name<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(
        &path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
}
