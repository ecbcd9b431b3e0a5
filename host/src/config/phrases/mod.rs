//! Phrase lists in the configuration: the words customers use for an
//! intent, written as patterns (see [`pattern`]) and compiled when the
//! configuration loads, so a bad pattern is refused with the rest of the
//! file and a decision never compiles anything.

pub mod fold;
pub mod pattern;

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use fold::Folded;
pub use pattern::{Match, PatternError, PatternSet};

/// A compiled list of phrase patterns; serialises as the list written.
#[derive(Clone, Default)]
pub struct Phrases {
    sources: Vec<String>,
    set: Arc<PatternSet>,
    /// A hash of `sources`: what a cached reading made under this list
    /// is keyed by.
    fingerprint: u64,
}

impl Phrases {
    /// Compiles `sources`.
    pub fn new<S: AsRef<str>>(sources: &[S]) -> Result<Phrases, PatternError> {
        let sources: Vec<String> = sources.iter().map(|s| s.as_ref().to_owned()).collect();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(&sources, &mut h);
        Ok(Phrases {
            set: Arc::new(PatternSet::new(&sources)?),
            fingerprint: std::hash::Hasher::finish(&h),
            sources,
        })
    }

    /// A hash of the patterns as written: equal lists have equal
    /// fingerprints.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The patterns as written.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The `index`-th pattern as written (see [`Match::index`]).
    pub fn source(&self, index: usize) -> &str {
        self.set.source(index)
    }

    /// Every match in `text`, in order of position.
    pub fn find_all<'p>(&'p self, text: &Folded) -> Vec<Match<'p>> {
        self.set.find_all(&text.tokens)
    }
}

/// Compiles a built-in default list; a typo in one is a bug caught by the
/// configuration's tests.
pub fn defaults(sources: &[&str]) -> Phrases {
    Phrases::new(sources).expect("built-in phrase patterns compile")
}

impl std::fmt::Debug for Phrases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.sources.fmt(f)
    }
}

impl PartialEq for Phrases {
    fn eq(&self, other: &Self) -> bool {
        self.sources == other.sources
    }
}

impl Serialize for Phrases {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.sources.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Phrases {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let sources = Vec::<String>::deserialize(deserializer)?;
        Phrases::new(&sources).map_err(serde::de::Error::custom)
    }
}
