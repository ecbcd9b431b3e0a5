//! A customer message as the detectors read it: folded words, and where the
//! negations and hypotheticals are, found once per message so every phrase
//! list is judged in the same scope.
//!
//! A phrase found inside quotation marks is someone else's words; one
//! shortly after a negation in the same sentence ("I don't need a human")
//! is denied; one after a hypothetical ("if I cancel, …") is conditional,
//! or asked about when its sentence is a question.

use std::sync::{Mutex, OnceLock, PoisonError};

use crate::config::phrases::{Folded, Match, Phrases};
use crate::config::triggers::ScopeConfig;

/// How many phrase lists a reading remembers its answer for: more than a
/// configuration has (about twenty), few enough that a string of edits to
/// the phrase lists cannot grow a cached reading without end.
const REMEMBERED_LISTS: usize = 48;

/// What a reading was asked about a phrase list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Question {
    /// [`Reading::find`].
    Find,
    /// [`Reading::mentions`].
    Mentions,
}

/// A remembered answer: the list's fingerprint, the question, and the
/// pattern's index, mood and sentence of the match (for `Mentions`, any
/// match: the mood and sentence are not used).
type Answer = (u64, Question, Option<(usize, Mood, u32)>);

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
///
/// A reading is kept across decisions (`decision::memo`) while its
/// conversation is re-sent turn after turn, and every decision asks it the
/// same questions (is a human asked for? a topic named? anger stated?), so
/// it remembers its answers to [`Reading::find`]: a re-sent message then
/// costs a lookup per phrase list instead of a scan.
#[derive(Debug, Default)]
pub struct Reading {
    /// Its folded words.
    pub text: Folded,
    /// (start, end, sentence) of each negation.
    negations: Vec<(usize, usize, u32)>,
    /// (end, sentence) of each hypothetical cue.
    hypotheticals: Vec<(usize, u32)>,
    reach: usize,
    /// Answers of `find` and `mentions`, by phrase list.
    answers: Mutex<Vec<Answer>>,
    /// Whether it reads as English, once asked.
    english: OnceLock<bool>,
    /// Its distinct words in order, once asked.
    words: OnceLock<Vec<String>>,
}

impl Clone for Reading {
    fn clone(&self) -> Reading {
        Reading {
            text: self.text.clone(),
            negations: self.negations.clone(),
            hypotheticals: self.hypotheticals.clone(),
            reach: self.reach,
            answers: Mutex::new(self.answers().clone()),
            english: self.english.clone(),
            words: self.words.clone(),
        }
    }
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
            answers: Mutex::default(),
            english: OnceLock::new(),
            words: OnceLock::new(),
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
        self.remembered(phrases, Question::Find, || self.scan(phrases))
            .map(|(index, mood, sentence)| Found {
                phrase: phrases.source(index),
                mood,
                sentence,
            })
    }

    /// The answer to `question` about `phrases`, from memory or from
    /// `answer`, which is then remembered.
    fn remembered(
        &self,
        phrases: &Phrases,
        question: Question,
        answer: impl FnOnce() -> Option<(usize, Mood, u32)>,
    ) -> Option<(usize, Mood, u32)> {
        let list = phrases.fingerprint();
        let known = self
            .answers()
            .iter()
            .find(|&&(l, q, _)| l == list && q == question)
            .map(|a| a.2);
        known.unwrap_or_else(|| {
            let found = answer();
            let mut answers = self.answers();
            if answers.len() < REMEMBERED_LISTS {
                answers.push((list, question, found));
            }
            found
        })
    }

    /// [`Reading::find`] without the memory: the index of the pattern, its
    /// mood and sentence.
    fn scan(&self, phrases: &Phrases) -> Option<(usize, Mood, u32)> {
        let mut best: Option<(usize, Mood, u32)> = None;
        for m in phrases.find_all(&self.text) {
            let Some(mood) = self.mood(&m) else { continue };
            if best.is_none_or(|(_, b, _)| mood > b) {
                best = Some((m.index, mood, self.text.tokens[m.start].sentence));
            }
        }
        best
    }

    fn answers(&self) -> std::sync::MutexGuard<'_, Vec<Answer>> {
        // An answer is pushed whole or not at all: a panic elsewhere while
        // the lock was held leaves nothing half-written.
        self.answers.lock().unwrap_or_else(PoisonError::into_inner)
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
        self.remembered(phrases, Question::Mentions, || {
            phrases
                .find_all(&self.text)
                .first()
                .map(|m| (m.index, Mood::Stated, self.text.tokens[m.start].sentence))
        })
        .is_some()
    }

    /// The message's distinct words, sorted: what repetition compares.
    pub fn word_set(&self) -> &[String] {
        self.words.get_or_init(|| {
            let mut words: Vec<String> = self.text.tokens.iter().map(|t| t.word.clone()).collect();
            words.sort_unstable();
            words.dedup();
            words
        })
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
        *self.english.get_or_init(|| self.count_english())
    }

    fn count_english(&self) -> bool {
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
    fn remembered_answers_are_the_answers_of_each_list() {
        let reading = Reading::new(
            "If the parcel is late again I will cancel. I want a refund now.",
            &ScopeConfig::default(),
        );
        let cancel = defaults(&["cancel", "close my account"]);
        let refund = defaults(&["money back", "refund"]);
        let absent = defaults(&["manager"]);
        for round in 0..3 {
            let c = reading.find(&cancel).unwrap();
            assert_eq!(
                (c.phrase, c.mood, c.sentence),
                ("cancel", Mood::Conditional, 0)
            );
            let r = reading.find(&refund).unwrap();
            assert_eq!((r.phrase, r.mood, r.sentence), ("refund", Mood::Stated, 1));
            assert_eq!(reading.find(&absent), None, "round {round}");
            assert!(reading.mentions(&refund) && !reading.mentions(&absent));
            assert_eq!(
                reading.answers().len(),
                5,
                "one answer per list and question"
            );
        }
        // A list written the same way is the same question; another wording
        // is another question.
        let same = defaults(&["money back", "refund"]);
        assert_eq!(reading.find(&same).unwrap().phrase, "refund");
        let other = defaults(&["refund", "money back", "chargeback"]);
        assert_eq!(reading.find(&other).unwrap().phrase, "refund");
        assert_eq!(reading.answers().len(), 6);
        // A copy answers the same.
        assert_eq!(reading.clone().find(&cancel), reading.find(&cancel));
    }

    #[test]
    fn a_reading_remembers_a_bounded_number_of_lists() {
        let reading = Reading::new("please help", &ScopeConfig::default());
        for i in 0..REMEMBERED_LISTS + 20 {
            let list = defaults(&[format!("word{i}").as_str(), "help"]);
            assert_eq!(reading.find(&list).unwrap().phrase, "help");
        }
        assert_eq!(reading.answers().len(), REMEMBERED_LISTS);
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
