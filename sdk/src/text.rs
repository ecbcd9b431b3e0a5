//! Small text helpers that most rules need: phrase matching and similarity.
//!
//! Matching works on lowercased words, so `"Cancel"` matches `"cancel!"` but
//! `"cancel"` does not match `"cancellation"`; list each form you mean.

/// Splits `text` into lowercase words made of letters, digits and apostrophes.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// True when the words of `phrase` appear consecutively in `text`, ignoring
/// case and punctuation.
///
/// ```
/// use escalator_sdk::text::contains_phrase;
///
/// assert!(contains_phrase("Can I TALK to a human, please?", "talk to a human"));
/// assert!(!contains_phrase("cancellation fee", "cancel"));
/// ```
pub fn contains_phrase(text: &str, phrase: &str) -> bool {
    let needle = words(phrase);
    if needle.is_empty() {
        return false;
    }
    words(text)
        .windows(needle.len())
        .any(|w| w == needle.as_slice())
}

/// The first phrase of `phrases` that `text` contains.
pub fn first_phrase<'a>(text: &str, phrases: &'a [String]) -> Option<&'a str> {
    phrases
        .iter()
        .find(|p| contains_phrase(text, p))
        .map(String::as_str)
}

/// Jaccard similarity of the two texts' word sets, from 0.0 to 1.0.
pub fn similarity(a: &str, b: &str) -> f64 {
    use std::collections::BTreeSet;
    let a: BTreeSet<String> = words(a).into_iter().collect();
    let b: BTreeSet<String> = words(b).into_iter().collect();
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let shared = a.intersection(&b).count() as f64;
    shared / a.union(&b).count() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_match_whole_words_in_order() {
        assert!(contains_phrase("I want to CANCEL!", "cancel"));
        assert!(contains_phrase(
            "let me talk to a human, now",
            "talk to a human"
        ));
        assert!(!contains_phrase("cancellation fee", "cancel"));
        assert!(!contains_phrase("human to talk", "talk to a human"));
        assert!(!contains_phrase("anything", ""));
    }

    #[test]
    fn similarity_is_jaccard_over_words() {
        assert_eq!(similarity("my order is late", "My order is LATE!"), 1.0);
        assert_eq!(similarity("a b", "c d"), 0.0);
        assert!((similarity("a b c", "a b d") - 0.5).abs() < 1e-9);
    }
}
