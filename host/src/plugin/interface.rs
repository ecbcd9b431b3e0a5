//! Interface versioning. A component records the version of the
//! `escalator:rules` package it was built against in the names of its
//! imports (`escalator:rules/host@0.2.0`). The host implements the current
//! version and keeps every older one it has shipped ([`SUPPORTED`]); it
//! accepts any version semver-compatible with one of them — same major,
//! and for 0.x the same minor — and refuses others with a message naming
//! the versions, before linking would fail with a less helpful one.

use std::fmt;

use wasmtime::Engine;
use wasmtime::component::Component;

/// The package every rule plugin is built against.
pub const PACKAGE: &str = "escalator:rules";

/// The interface version this host implements: the version of the WIT
/// package in `wit/`, which the SDK reads at build time.
pub const HOST_VERSION: Version = Version::parse_const(escalator_sdk::INTERFACE_VERSION);

/// Every version the host loads plugins of, newest first: the current one,
/// 0.2 (frozen in `wit/v0.2`) and 0.1 (frozen in `wit/v0.1`).
pub const SUPPORTED: [Version; 3] = [
    HOST_VERSION,
    Version {
        major: 0,
        minor: 2,
        patch: 0,
    },
    Version {
        major: 0,
        minor: 1,
        patch: 0,
    },
];

/// A semver version (pre-release and build metadata are ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
    /// Patch.
    pub patch: u64,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl Version {
    /// Parses `X.Y.Z` at compile time; anything else fails the build.
    const fn parse_const(s: &str) -> Version {
        let bytes = s.as_bytes();
        let mut parts = [0u64; 3];
        let (mut part, mut i) = (0, 0);
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'.' {
                part += 1;
                assert!(part < 3, "the interface version has three parts");
            } else {
                assert!(b.is_ascii_digit(), "the interface version is X.Y.Z");
                parts[part] = parts[part] * 10 + (b - b'0') as u64;
            }
            i += 1;
        }
        assert!(part == 2, "the interface version has three parts");
        Version {
            major: parts[0],
            minor: parts[1],
            patch: parts[2],
        }
    }

    /// Parses `1.2.3` (ignoring any `-pre` or `+build` suffix).
    pub fn parse(s: &str) -> Option<Version> {
        let core = s.split(['-', '+']).next()?;
        let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
        let v = Version {
            major: parts.next()??,
            minor: parts.next()??,
            patch: parts.next()??,
        };
        parts.next().is_none().then_some(v)
    }

    /// Whether a plugin built against `self` runs on a host implementing
    /// `host`: the same major version, and for 0.x the same minor version,
    /// with the plugin's version not newer than the host's.
    pub fn runs_on(self, host: Version) -> bool {
        let same_line = if host.major == 0 {
            self.major == 0 && self.minor == host.minor
        } else {
            self.major == host.major
        };
        same_line && self <= host
    }
}

/// The `escalator:rules` version a component was built against, read from
/// its imports; `None` when it imports nothing of the package.
pub fn built_against(engine: &Engine, component: &Component) -> Option<Version> {
    let ty = component.component_type();
    ty.imports(engine)
        .filter_map(|(name, _)| {
            let rest = name.strip_prefix(PACKAGE)?.strip_prefix('/')?;
            Version::parse(rest.split_once('@')?.1)
        })
        .max()
}

/// Refuses a component built against an interface version no supported
/// one is compatible with.
pub fn check(engine: &Engine, component: &Component) -> Result<Option<Version>, String> {
    match built_against(engine, component) {
        Some(v) if !SUPPORTED.iter().any(|&s| v.runs_on(s)) => Err(format!(
            "the plugin was built against {PACKAGE}@{v}, which this host (implementing \
             {PACKAGE}@{HOST_VERSION}, and loading plugins built against {}) cannot run; \
             rebuild it against {PACKAGE}@{}.{}.x",
            SUPPORTED[1..]
                .iter()
                .map(|s| format!("{PACKAGE}@{}.{}.x", s.major, s.minor))
                .collect::<Vec<_>>()
                .join(", "),
            HOST_VERSION.major,
            HOST_VERSION.minor
        )),
        v => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn compatibility_follows_semver() {
        assert!(v("0.1.0").runs_on(v("0.1.0")));
        assert!(v("0.1.0").runs_on(v("0.1.3")));
        assert!(!v("0.1.4").runs_on(v("0.1.3")), "newer than the host");
        assert!(!v("0.2.0").runs_on(v("0.1.0")));
        assert!(!v("0.1.0").runs_on(v("0.2.0")), "0.x minors are breaking");
        assert!(v("1.0.0").runs_on(v("1.4.0")));
        assert!(!v("2.0.0").runs_on(v("1.4.0")));
        assert_eq!(Version::parse("0.1.0-rc.1"), Some(v("0.1.0")));
        assert_eq!(Version::parse("0.1"), None);
    }

    #[test]
    fn host_version_matches_the_wit_package() {
        let wit = include_str!("../../../wit/rules.wit");
        assert!(wit.contains(&format!("package {PACKAGE}@{HOST_VERSION};")));
        let frozen = [
            include_str!("../../../wit/v0.2/rules.wit"),
            include_str!("../../../wit/v0.1/rules.wit"),
        ];
        for (old, version) in frozen.iter().zip(&SUPPORTED[1..]) {
            assert!(old.contains(&format!("package {PACKAGE}@{version};")));
        }
        assert_eq!(
            SUPPORTED.len(),
            frozen.len() + 1,
            "one frozen WIT per older version"
        );
    }
}
