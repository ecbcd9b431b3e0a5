//! Small text helpers that most rules need: phrase matching and similarity.
//!
//! Matching works on lowercased words, so `"Cancel"` matches `"cancel!"` but
//! `"cancel"` does not match `"cancellation"`; list each form you mean.

use std::borrow::Cow;
use std::collections::BTreeSet;

/// The words of `text` as written: runs of letters, digits and apostrophes.
fn raw_words(text: &str) -> impl Iterator<Item = &str> + Clone {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
}

/// `word` lowercased, borrowed when it already is (the common case: an
/// allocation per word per phrase made matching the slowest part of a rule).
fn lowercase(word: &str) -> Cow<'_, str> {
    if word
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(word.to_lowercase())
    }
}

/// Splits `text` into lowercase words made of letters, digits and apostrophes.
pub fn words(text: &str) -> Vec<String> {
    raw_words(text).map(str::to_lowercase).collect()
}

/// A text split into lowercase words once, to test many phrases against it.
///
/// ```
/// use escalator_sdk::text::Words;
///
/// let words = Words::new("I was HACKED, and now I want to cancel!");
/// assert!(words.contains("hacked"));
/// assert_eq!(words.first_of(&["refund".into(), "want to cancel".into()]), Some("want to cancel"));
/// ```
#[derive(Debug, Clone)]
pub struct Words<'a> {
    words: Vec<Cow<'a, str>>,
}

impl<'a> Words<'a> {
    /// Splits `text`; words already in lowercase are borrowed, not copied.
    pub fn new(text: &'a str) -> Self {
        Words {
            words: raw_words(text).map(lowercase).collect(),
        }
    }

    /// True when the words of `phrase` appear consecutively, ignoring case
    /// and punctuation. An empty phrase is never contained.
    pub fn contains(&self, phrase: &str) -> bool {
        // Compared word by word as the phrase is split, so matching a
        // lowercase phrase allocates nothing.
        let mut needle = raw_words(phrase);
        let Some(first) = needle.next().map(lowercase) else {
            return false;
        };
        self.words.iter().enumerate().any(|(start, word)| {
            *word == first && {
                let mut rest = self.words[start + 1..].iter();
                needle
                    .clone()
                    .all(|p| rest.next().is_some_and(|w| *w == lowercase(p)))
            }
        })
    }

    /// The first of `phrases` that the text contains.
    pub fn first_of<'p>(&self, phrases: &'p [String]) -> Option<&'p str> {
        phrases
            .iter()
            .find(|p| self.contains(p))
            .map(String::as_str)
    }

    /// The text's words, lowercased, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(|w| &**w)
    }

    /// The number of words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True when the text has no words.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Jaccard similarity of the two texts' word sets, from 0.0 to 1.0.
    pub fn similarity(&self, other: &Words<'_>) -> f64 {
        let a: BTreeSet<&str> = self.iter().collect();
        let b: BTreeSet<&str> = other.iter().collect();
        if a.is_empty() && b.is_empty() {
            return 1.0;
        }
        let shared = a.intersection(&b).count() as f64;
        shared / a.union(&b).count() as f64
    }
}

/// True when the words of `phrase` appear consecutively in `text`, ignoring
/// case and punctuation. To test several phrases against one text, split
/// it once with [`Words`].
///
/// ```
/// use escalator_sdk::text::contains_phrase;
///
/// assert!(contains_phrase("Can I TALK to a human, please?", "talk to a human"));
/// assert!(!contains_phrase("cancellation fee", "cancel"));
/// ```
pub fn contains_phrase(text: &str, phrase: &str) -> bool {
    Words::new(text).contains(phrase)
}

/// The first phrase of `phrases` that `text` contains.
pub fn first_phrase<'a>(text: &str, phrases: &'a [String]) -> Option<&'a str> {
    Words::new(text).first_of(phrases)
}

/// Jaccard similarity of the two texts' word sets, from 0.0 to 1.0.
pub fn similarity(a: &str, b: &str) -> f64 {
    Words::new(a).similarity(&Words::new(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain definition: both sides split into lowercased words, then a
    /// window of the text's words equals the phrase's words.
    fn contains_by_definition(text: &str, phrase: &str) -> bool {
        let needle = words(phrase);
        !needle.is_empty() && words(text).windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn matching_agrees_with_the_plain_definition_on_generated_texts() {
        // Texts built from a small vocabulary with mixed case, punctuation
        // and non-ASCII letters, so that matches, near misses and repeated
        // words are all common. A fixed xorshift seed keeps it reproducible.
        const PIECES: [&str; 14] = [
            "talk",
            "TALK",
            "to",
            "a",
            "Human",
            "human!",
            "ΟΔΟΣ",
            "οδος",
            "\u{212A}ey",
            "key",
            "don't",
            "  ",
            ", ",
            "?!",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut sentence = |len: usize| {
            (0..len)
                .map(|_| PIECES[next(PIECES.len())])
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut matches = 0;
        for _ in 0..3000 {
            let text = sentence(8);
            let phrase = sentence(2);
            let expected = contains_by_definition(&text, &phrase);
            assert_eq!(
                Words::new(&text).contains(&phrase),
                expected,
                "{text:?} / {phrase:?}"
            );
            matches += usize::from(expected);
        }
        assert!(
            matches > 100,
            "the generator should produce matches, got {matches}"
        );
    }

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
    fn words_agree_with_lowercasing_each_word() {
        for text in [
            "Plain words, NOW!",
            "\u{212A}elvin sign and İstanbul",
            "ΟΔΟΣ and οδος",
            "don't DON'T   ' '' x",
            "",
        ] {
            let split: Vec<String> = Words::new(text).iter().map(str::to_owned).collect();
            assert_eq!(split, words(text), "{text:?}");
        }
        assert!(contains_phrase("the \u{212A}EY is lost", "key"));
        assert!(contains_phrase("ΟΔΟΣ", "οδος"));
        assert!(contains_phrase("so: talk to A human", "Talk to a HUMAN!"));
        assert!(!contains_phrase("talk to a", "talk to a human"));
        assert!(!contains_phrase("talk to to a human", "talk to a human"));
        assert!(contains_phrase("talk talk to a human", "talk to a human"));
    }

    #[test]
    fn similarity_is_jaccard_over_words() {
        assert_eq!(similarity("my order is late", "My order is LATE!"), 1.0);
        assert_eq!(similarity("a b", "c d"), 0.0);
        assert!((similarity("a b c", "a b d") - 0.5).abs() < 1e-9);
    }
}
