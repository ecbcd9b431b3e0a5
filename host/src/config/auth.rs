//! The `[auth]` section: the named bearer tokens callers present, each with
//! a role, and whether the service may run without any.
//!
//! A token is never kept in clear: the file holds its SHA-256 digest, or
//! names the environment variable or file the token is read from, and only
//! the digest is kept in memory.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, Serializer};
use sha2::{Digest, Sha256};

use super::error::{ConfigError, invalid};
use super::secret::SecretSource;

/// Tokens read from the environment or a file shorter than this are
/// refused: a bearer token must not be guessable.
pub const MIN_TOKEN_CHARS: usize = 16;

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The AI platform or help desk: asks for decisions and reports outcomes.
    Client,
    /// Support-ops: reads and changes configuration, plugins, the decision
    /// log, KPIs and replays; may also do what a client does.
    Operator,
}

impl Role {
    /// Whether a caller with this role may call an endpoint that needs
    /// `needed`.
    pub fn grants(self, needed: Role) -> bool {
        self >= needed
    }

    /// `client` or `operator`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Operator => "operator",
        }
    }
}

/// The validated `[auth]` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AuthConfig {
    /// Serve without tokens on a non-loopback address. Off by default:
    /// without tokens the service listens on loopback only.
    pub allow_unauthenticated: bool,
    /// The accepted tokens, by name.
    pub tokens: Vec<ApiToken>,
}

/// One accepted token.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    /// The caller's name, recorded in the audit trail.
    pub name: String,
    /// What the caller may do.
    pub role: Role,
    /// Where the token came from: `sha256`, `env NAME` or `file NAME`.
    pub from: String,
    /// SHA-256 of the token; never shown.
    #[serde(skip)]
    pub digest: [u8; 32],
}

impl AuthConfig {
    /// Whether any token is configured: without one, every caller is let in
    /// (and the service stays on loopback unless allowed otherwise).
    pub fn enabled(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// Refuses to expose an unauthenticated service beyond this machine.
    pub fn check_exposure(&self, listen: SocketAddr) -> Result<(), String> {
        if self.enabled() || listen.ip().is_loopback() || self.allow_unauthenticated {
            return Ok(());
        }
        Err(format!(
            "refusing to listen on {listen} without authentication: anyone who can reach it \
             could read the decision log and the configuration. Configure tokens in [auth] \
             (see `escalator token new`), listen on a loopback address, or set \
             `[auth] allow_unauthenticated = true` if a proxy in front authenticates callers"
        ))
    }
}

/// `[auth]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAuth {
    #[serde(default)]
    allow_unauthenticated: bool,
    #[serde(default)]
    tokens: BTreeMap<String, RawToken>,
}

/// `[auth.tokens.NAME]` as written: a role and exactly one source.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawToken {
    role: Role,
    sha256: Option<String>,
    env: Option<String>,
    file: Option<PathBuf>,
}

impl RawAuth {
    /// Validates the section, reading tokens from their environment
    /// variables and files (relative paths against `base`).
    pub(crate) fn validate(self, base: &Path) -> Result<AuthConfig, ConfigError> {
        let mut tokens = Vec::with_capacity(self.tokens.len());
        for (name, raw) in self.tokens {
            let key = format!("auth.tokens.{name}");
            if name.is_empty()
                || name.len() > 64
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            {
                return Err(invalid(
                    &key,
                    "a token's name is 1 to 64 letters, digits, `-`, `_` or `.`",
                ));
            }
            let (digest, from) = match (raw.sha256, raw.env, raw.file) {
                (Some(hex_digest), None, None) => {
                    (parse_digest(&key, &hex_digest)?, "sha256".into())
                }
                (None, Some(var), None) => read_token(&key, SecretSource::Env(var), base)?,
                (None, None, Some(path)) => read_token(&key, SecretSource::File(path), base)?,
                _ => {
                    return Err(invalid(
                        &key,
                        "give exactly one of `sha256` (the token's digest, from `escalator \
                         token new` or `escalator token hash`), `env` or `file`",
                    ));
                }
            };
            if let Some(other) = tokens.iter().find(|t: &&ApiToken| t.digest == digest) {
                return Err(invalid(
                    &key,
                    format!(
                        "the same token as auth.tokens.{}; give each caller its own",
                        other.name
                    ),
                ));
            }
            tokens.push(ApiToken {
                name,
                role: raw.role,
                from,
                digest,
            });
        }
        Ok(AuthConfig {
            allow_unauthenticated: self.allow_unauthenticated,
            tokens,
        })
    }
}

fn parse_digest(key: &str, text: &str) -> Result<[u8; 32], ConfigError> {
    let mut digest = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut digest).map_err(|_| {
        invalid(
            &format!("{key}.sha256"),
            "expected the 64 hex digits of the token's SHA-256 (`escalator token hash`)",
        )
    })?;
    Ok(digest)
}

fn read_token(
    key: &str,
    mut source: SecretSource,
    base: &Path,
) -> Result<([u8; 32], String), ConfigError> {
    source.resolve(base);
    let token = source.read(key)?;
    if token.chars().count() < MIN_TOKEN_CHARS || token.chars().any(char::is_whitespace) {
        return Err(invalid(
            key,
            format!(
                "the token in {} must be at least {MIN_TOKEN_CHARS} characters without spaces \
                 (`escalator token new` makes one)",
                source.describe()
            ),
        ));
    }
    Ok((digest_of(&token), source.describe()))
}

/// SHA-256 of a presented token, the form tokens are kept and compared in.
pub fn digest_of(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Serializes a value as `"set"`, for the config view of anything secret.
pub fn as_set<S: Serializer, T>(_: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("set")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn tokens_come_from_a_digest_the_environment_or_a_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ops.token"), "ops-token-0123456789abcdef\n").unwrap();
        let digest = hex::encode(digest_of("client-token-0123456789"));
        let text = format!(
            "[auth.tokens.helpdesk]\nrole = \"client\"\nsha256 = \"{digest}\"\n\
             [auth.tokens.ops]\nrole = \"operator\"\nfile = \"ops.token\"\n"
        );
        let c = Config::parse_file(&dir.path().join("e.toml"), &text).unwrap();
        let t = &c.auth.tokens;
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].name.as_str(), t[0].role), ("helpdesk", Role::Client));
        assert_eq!(t[0].digest, digest_of("client-token-0123456789"));
        assert_eq!(t[1].digest, digest_of("ops-token-0123456789abcdef"));
        assert_eq!(t[1].from, "file ops.token");
        // The view never carries a digest or the token.
        let shown = serde_json::to_string(&c.auth).unwrap();
        assert!(
            !shown.contains(&digest) && !shown.contains("ops-token"),
            "{shown}"
        );
    }

    #[test]
    fn bad_tokens_are_refused_naming_the_key() {
        let cases = [
            ("[auth.tokens.a]\nrole = \"client\"\n", "auth.tokens.a"),
            (
                "[auth.tokens.a]\nrole = \"client\"\nsha256 = \"abc\"\n",
                "auth.tokens.a.sha256",
            ),
            (
                "[auth.tokens.a]\nrole = \"admin\"\nsha256 = \"abc\"\n",
                "admin",
            ),
            (
                "[auth.tokens.\"a b\"]\nrole = \"client\"\nenv = \"X\"\n",
                "auth.tokens.a b",
            ),
            (
                "[auth.tokens.a]\nrole = \"client\"\nenv = \"ESCALATOR_TEST_NO_SUCH_TOKEN\"\n",
                "ESCALATOR_TEST_NO_SUCH_TOKEN",
            ),
        ];
        for (text, needle) in cases {
            let err = Config::parse(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("short"), "abc").unwrap();
        let err = Config::parse_file(
            &dir.path().join("e.toml"),
            "[auth.tokens.a]\nrole = \"client\"\nfile = \"short\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("at least 16"), "{err}");
        assert!(!err.contains("abc"), "the value leaked: {err}");
        let same = hex::encode(digest_of("0123456789abcdefgh"));
        let err = Config::parse(&format!(
            "[auth.tokens.a]\nrole = \"client\"\nsha256 = \"{same}\"\n\
             [auth.tokens.b]\nrole = \"operator\"\nsha256 = \"{same}\"\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("same token"), "{err}");
    }

    #[test]
    fn an_open_service_stays_on_loopback_unless_allowed() {
        let open = AuthConfig::default();
        assert!(open.check_exposure("127.0.0.1:80".parse().unwrap()).is_ok());
        assert!(open.check_exposure("[::1]:80".parse().unwrap()).is_ok());
        let err = open
            .check_exposure("0.0.0.0:80".parse().unwrap())
            .unwrap_err();
        assert!(err.contains("allow_unauthenticated"), "{err}");
        let allowed = AuthConfig {
            allow_unauthenticated: true,
            ..AuthConfig::default()
        };
        assert!(
            allowed
                .check_exposure("0.0.0.0:80".parse().unwrap())
                .is_ok()
        );
        assert!(Role::Operator.grants(Role::Client));
        assert!(!Role::Client.grants(Role::Operator));
    }
}
