//! What a message's text alone decides, remembered across decisions.
//!
//! An AI platform asks after every customer message and sends the whole
//! conversation each time, so without memory the work of a conversation
//! grows with the square of its length: every decision would score the
//! sentiment of, and read for phrases, every message before the new one
//! again. Both depend only on the text (and, for a reading, on the scope
//! phrases of the configuration), so they are kept in two bounded caches
//! keyed by exactly that; a re-sent conversation then costs what its new
//! messages cost.
//!
//! The caches are bounded by the bytes they hold, not by entries, so a
//! flood of long messages cannot grow them; what no longer fits is evicted
//! (S3-FIFO, via `quick_cache`) and recomputed when it comes back.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock};

use quick_cache::{Equivalent, Weighter, sync::Cache};

use crate::config::triggers::ScopeConfig;
use crate::decision::reading::Reading;
use crate::decision::signals::sentiment;

/// Bytes of text (and what is derived from it) each cache may hold.
const CACHE_BYTES: u64 = 16 << 20;

/// Roughly what one entry costs besides its text: the key, the cache's own
/// slot, allocator rounding.
const ENTRY_OVERHEAD: u64 = 96;

/// A reading holds its text folded, a token (with its own string) per
/// word, and once asked its sorted word set (a string per distinct word):
/// about twenty times the text's size for words of five letters.
const READING_FACTOR: u64 = 20;

/// What a reading costs besides its words: the structure itself and its
/// remembered answers (one per phrase list asked about, some twenty).
///
/// The three weights were set from a measurement: with every message new,
/// the caches full held about 55 MiB resident under the earlier, smaller
/// weights (BENCHMARKS.md, "Memory, with every message new").
const READING_ANSWERS: u64 = 1536;

static SENTIMENT: LazyLock<Cache<Key, f64, ByText>> =
    LazyLock::new(|| Cache::with_weighter(16_384, CACHE_BYTES, ByText(1, 0)));

static READINGS: LazyLock<Cache<Key, Arc<Reading>, ByText>> = LazyLock::new(|| {
    Cache::with_weighter(16_384, CACHE_BYTES, ByText(READING_FACTOR, READING_ANSWERS))
});

/// The VADER compound score of `text`, scored once while it stays cached.
pub fn sentiment_of(text: &str) -> f64 {
    let key = KeyRef { salt: 0, text };
    if let Some(score) = SENTIMENT.get(&key) {
        return score;
    }
    let score = sentiment(text);
    SENTIMENT.insert(key.to_owned(), score);
    score
}

/// `text` read under `scope`, read once while it stays cached.
pub fn reading_of(text: &str, scope: &ScopeConfig) -> Arc<Reading> {
    let key = KeyRef {
        salt: scope_fingerprint(scope),
        text,
    };
    if let Some(reading) = READINGS.get(&key) {
        return reading;
    }
    let reading = Arc::new(Reading::new(text, scope));
    READINGS.insert(key.to_owned(), reading.clone());
    reading
}

/// What a reading depends on besides its text.
fn scope_fingerprint(scope: &ScopeConfig) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    scope.negations.fingerprint().hash(&mut h);
    scope.hypotheticals.fingerprint().hash(&mut h);
    scope.negation_reach.hash(&mut h);
    h.finish()
}

/// A cache key: the text and what else the value depends on.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    salt: u64,
    text: String,
}

/// A [`Key`] to look up without copying the text. Its fields hash as
/// `Key`'s do (a `String` hashes as its `str`).
#[derive(Hash)]
struct KeyRef<'a> {
    salt: u64,
    text: &'a str,
}

impl KeyRef<'_> {
    fn to_owned(&self) -> Key {
        Key {
            salt: self.salt,
            text: self.text.to_owned(),
        }
    }
}

impl Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        self.salt == key.salt && self.text == key.text
    }
}

/// Weighs an entry by its text's length times a factor, plus a fixed cost
/// of its value.
#[derive(Clone)]
struct ByText(u64, u64);

impl<V> Weighter<Key, V> for ByText {
    fn weight(&self, key: &Key, _: &V) -> u64 {
        key.text.len() as u64 * self.0 + self.1 + ENTRY_OVERHEAD
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::phrases::Phrases;

    #[test]
    fn a_cached_score_is_the_score() {
        for text in ["I love this!", "this is terrible", "", "ok"] {
            assert_eq!(sentiment_of(text), sentiment(text));
            assert_eq!(sentiment_of(text), sentiment(text), "second lookup");
        }
    }

    #[test]
    fn a_reading_follows_its_scope() {
        let text = "I don't need a human, thanks";
        let wanted = Phrases::new(&["need a human"]).unwrap();
        let default = ScopeConfig::default();
        assert!(
            reading_of(text, &default).find(&wanted).is_none(),
            "negated"
        );
        // The same text under a scope without negations is a new reading.
        let bare = ScopeConfig {
            negations: Phrases::new::<&str>(&[]).unwrap(),
            ..ScopeConfig::default()
        };
        assert!(reading_of(text, &bare).find(&wanted).is_some());
        assert!(reading_of(text, &default).find(&wanted).is_none());
    }

    #[test]
    fn the_caches_stay_within_their_bytes() {
        let long = "word ".repeat(8_000);
        for i in 0..120 {
            reading_of(&format!("{i} {long}"), &ScopeConfig::default());
        }
        // 120 readings of 40 kB weigh 48 MB: most were evicted.
        assert!(READINGS.weight() <= CACHE_BYTES);
        assert!(READINGS.weight() > CACHE_BYTES / 2);
    }
}
