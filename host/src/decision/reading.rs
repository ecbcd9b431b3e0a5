//! A customer message as the detectors read it: folded words, and where the
//! negations and hypotheticals are, found once per message so every phrase
//! list is judged in the same scope.
//!
//! A phrase found inside quotation marks is someone else's words; one
//! shortly after a negation in the same sentence ("I don't need a human")
//! is denied; one after a hypothetical ("if I cancel, …") is conditional,
//! or asked about when its sentence is a question.

use crate::config::phrases::{Folded, Match, Phrases};
use crate::config::triggers::ScopeConfig;

/// How a phrase is said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mood {
    /// Asked about hypothetically: "what happens if I cancel?".
    Asked,
    /// Said under a condition: "if this isn't fixed I'll cancel".
    Conditional,
    /// Said outright.
    Stated,
}

/// A phrase found in scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found<'p> {
    /// The pattern that matched, as written.
    pub phrase: &'p str,
    /// How it is said.
    pub mood: Mood,
    /// The sentence it is in.
    pub sentence: u32,
}

/// A message read for its phrases.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// Its folded words.
    pub text: Folded,
    /// (start, end, sentence) of each negation.
    negations: Vec<(usize, usize, u32)>,
    /// (end, sentence) of each hypothetical cue.
    hypotheticals: Vec<(usize, u32)>,
    reach: usize,
}

impl Reading {
    /// Reads `text` under `scope`.
    pub fn new(text: &str, scope: &ScopeConfig) -> Reading {
        let text = Folded::new(text);
        let marks = |phrases: &Phrases| -> Vec<(usize, u32)> {
            phrases
                .find_all(&text)
                .into_iter()
                .map(|m| (m.end, text.tokens[m.start].sentence))
                .collect()
        };
        let negations = scope
            .negations
            .find_all(&text)
            .into_iter()
            .map(|m| (m.start, m.end, text.tokens[m.start].sentence))
            .collect();
        Reading {
            negations,
            hypotheticals: marks(&scope.hypotheticals),
            reach: scope.negation_reach as usize,
            text,
        }
    }

    /// How the match is said, or `None` when it does not count: quoted, or
    /// negated.
    fn mood(&self, m: &Match<'_>) -> Option<Mood> {
        let tokens = &self.text.tokens[m.start..m.end];
        if tokens.iter().all(|t| t.quoted) {
            return None;
        }
        let sentence = tokens[0].sentence;
        // A negation reaches the words after it, and may overlap the match
        // ("no necesito un agente" against "necesito un agente").
        let negated = self.negations.iter().any(|&(start, end, s)| {
            s == sentence && start < m.start && m.start <= end + self.reach
        });
        if negated {
            return None;
        }
        let hypothetical = self
            .hypotheticals
            .iter()
            .any(|&(end, s)| s == sentence && end <= m.start);
        Some(match (hypothetical, self.text.is_question(sentence)) {
            (false, _) => Mood::Stated,
            (true, false) => Mood::Conditional,
            (true, true) => Mood::Asked,
        })
    }

    /// The most direct match of `phrases` in scope: stated before
    /// conditional before asked, then the first.
    pub fn find<'p>(&self, phrases: &'p Phrases) -> Option<Found<'p>> {
        let mut best: Option<Found<'p>> = None;
        for m in phrases.find_all(&self.text) {
            let Some(mood) = self.mood(&m) else { continue };
            if best.is_none_or(|b| mood > b.mood) {
                best = Some(Found {
                    phrase: m.pattern,
                    mood,
                    sentence: self.text.tokens[m.start].sentence,
                });
            }
        }
        best
    }

    /// Whether any match of `phrases` falls in `sentence`, in scope or not.
    pub fn in_sentence(&self, phrases: &Phrases, sentence: u32) -> bool {
        phrases
            .find_all(&self.text)
            .iter()
            .any(|m| self.text.tokens[m.start].sentence == sentence)
    }

    /// Whether any match of `phrases` is in the message, in scope or not.
    pub fn mentions(&self, phrases: &Phrases) -> bool {
        !phrases.find_all(&self.text).is_empty()
    }

    /// How many words the message has.
    pub fn len(&self) -> usize {
        self.text.tokens.len()
    }

    /// Whether the message has no words.
    pub fn is_empty(&self) -> bool {
        self.text.tokens.is_empty()
    }

    /// The share of the message's words that `phrases` cover (0 to 1).
    pub fn coverage(&self, phrases: &Phrases) -> f64 {
        if self.text.tokens.is_empty() {
            return 0.0;
        }
        let mut covered = vec![false; self.text.tokens.len()];
        for m in phrases.find_all(&self.text) {
            for c in &mut covered[m.start..m.end] {
                *c = true;
            }
        }
        covered.iter().filter(|c| **c).count() as f64 / covered.len() as f64
    }

    /// Whether `phrases` are stated in a sentence that is not a question:
    /// "thanks, that worked" says a problem is solved; "did that work?"
    /// does not.
    pub fn states(&self, phrases: &Phrases) -> bool {
        self.find(phrases)
            .is_some_and(|f| f.mood == Mood::Stated && !self.text.is_question(f.sentence))
    }

    /// Whether the message reads as English rather than Portuguese or
    /// Spanish, by their commonest function words.
    pub fn looks_english(&self) -> bool {
        const ENGLISH: &[&str] = &[
            "the", "and", "is", "it", "to", "my", "you", "i", "of", "in", "for", "this", "that",
            "was", "have", "not", "with", "me", "your", "are", "but", "what", "can",
        ];
        const IBERIAN: &[&str] = &[
            "que", "nao", "de", "e", "o", "a", "os", "as", "um", "uma", "para", "pra", "com",
            "meu", "minha", "voce", "vc", "vcs", "esta", "ta", "el", "la", "los", "las", "y", "en",
            "es", "mi", "por", "con", "del", "una", "lo", "se", "no", "pero", "muy", "tengo",
            "tenho", "eu", "yo", "mas", "como",
        ];
        let (mut en, mut ib) = (0, 0);
        for t in &self.text.tokens {
            en += usize::from(ENGLISH.contains(&t.word.as_str()));
            ib += usize::from(IBERIAN.contains(&t.word.as_str()));
        }
        en >= ib
    }

    /// Whether the message's last sentence is a question.
    pub fn ends_with_question(&self) -> bool {
        self.text
            .tokens
            .last()
            .is_some_and(|t| self.text.is_question(t.sentence))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::phrases::defaults;

    fn mood(text: &str, phrase: &str) -> Option<Mood> {
        let scope = ScopeConfig::default();
        let phrases = defaults(&[phrase]);
        Reading::new(text, &scope).find(&phrases).map(|f| f.mood)
    }

    #[test]
    fn quoted_and_negated_phrases_do_not_count() {
        assert_eq!(
            mood("I want to cancel my plan", "cancel* .. plan"),
            Some(Mood::Stated)
        );
        assert_eq!(
            mood("I don't want to cancel my plan", "cancel* .. plan"),
            None
        );
        assert_eq!(
            mood("my boss wrote \"cancel my plan\" lol", "cancel* .. plan"),
            None
        );
        assert_eq!(mood("no need for a human, thanks", "human"), None);
    }

    #[test]
    fn hypotheticals_are_conditional_or_asked() {
        assert_eq!(
            mood(
                "what happens to my data if I cancel my plan?",
                "cancel* .. plan"
            ),
            Some(Mood::Asked)
        );
        assert_eq!(
            mood(
                "if this is not fixed today I will cancel my plan",
                "cancel* .. plan"
            ),
            Some(Mood::Conditional)
        );
        assert_eq!(
            mood("If it's slow, fine. Cancel my plan now.", "cancel* .. plan"),
            Some(Mood::Stated)
        );
    }
}
