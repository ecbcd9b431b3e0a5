//! Phrase patterns operators write in the configuration, compiled once when
//! the configuration loads.
//!
//! A pattern is words matched in order against a message's folded words
//! (see `fold`), so case, accents, apostrophes and stretched letters never
//! matter:
//!
//! - `talk to a human` — these words, consecutively;
//! - `cancel*` — any word starting with `cancel` (`cancelled`, `cancelar`);
//! - `(talk|speak|chat to)` — one of these (each may be several words);
//!   `(a|an|)` — optionally one of these;
//! - `_` — any one word; `..` — up to three words.
//!
//! A plain phrase is a valid pattern, so lists written before patterns
//! existed mean what they meant.

use std::collections::HashMap;

use super::fold::{Token, fold_word};

/// One position of a pattern.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// One of these word sequences; `optional` when `()` allows none.
    Word {
        choices: Vec<Vec<Atom>>,
        optional: bool,
    },
    /// Between `min` and `max` words, whatever they are.
    Gap { min: usize, max: usize },
}

#[derive(Debug, Clone, PartialEq)]
enum Atom {
    Exact(String),
    Prefix(String),
}

impl Atom {
    fn matches(&self, word: &str) -> bool {
        match self {
            Atom::Exact(w) => w == word,
            Atom::Prefix(p) => word.starts_with(p.as_str()),
        }
    }
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    source: String,
    steps: Vec<Step>,
}

/// Why a pattern cannot be compiled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("pattern {pattern:?}: {message}")]
pub struct PatternError {
    pattern: String,
    message: String,
}

/// A pattern as written, before its groups are flattened.
enum Node {
    Word(Atom),
    Gap(usize, usize),
    Group(Vec<Vec<Node>>),
}

/// Reads a pattern: words, `_`, `..` and groups, which may nest.
struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    /// Elements up to the end, a `|` or a `)`.
    fn sequence(&mut self) -> Result<Vec<Node>, &'static str> {
        let mut nodes = Vec::new();
        loop {
            while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
                self.at += 1;
            }
            match self.chars.get(self.at) {
                None | Some('|') | Some(')') => return Ok(nodes),
                Some('(') => {
                    self.at += 1;
                    let mut alternatives = vec![self.sequence()?];
                    loop {
                        match self.chars.get(self.at) {
                            Some('|') => {
                                self.at += 1;
                                alternatives.push(self.sequence()?);
                            }
                            Some(')') => {
                                self.at += 1;
                                break;
                            }
                            _ => return Err("a `(` without its `)`"),
                        }
                    }
                    nodes.push(Node::Group(alternatives));
                }
                Some(_) => {
                    let start = self.at;
                    while self
                        .chars
                        .get(self.at)
                        .is_some_and(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '|'))
                    {
                        self.at += 1;
                    }
                    let part: String = self.chars[start..self.at].iter().collect();
                    match part.as_str() {
                        "_" => nodes.push(Node::Gap(1, 1)),
                        ".." => nodes.push(Node::Gap(0, 3)),
                        // Punctuation around words in a plain phrase is
                        // ignored, as it is in messages.
                        _ => nodes.extend(words(&part).into_iter().map(Node::Word)),
                    }
                }
            }
        }
    }
}

/// Every word sequence an alternative of a group stands for: inner groups
/// multiply out (`(good (morning|evening)|hi)` is three choices).
fn flatten(nodes: &[Node]) -> Result<Vec<Vec<Atom>>, &'static str> {
    let mut out: Vec<Vec<Atom>> = vec![Vec::new()];
    for node in nodes {
        match node {
            Node::Word(a) => out.iter_mut().for_each(|seq| seq.push(a.clone())),
            Node::Gap(..) => return Err("`_` and `..` cannot go inside `()`"),
            Node::Group(alternatives) => {
                let mut inner = Vec::new();
                for alt in alternatives {
                    inner.extend(flatten(alt)?);
                }
                let mut next = Vec::with_capacity(out.len() * inner.len());
                for seq in &out {
                    for tail in &inner {
                        let mut joined = seq.clone();
                        joined.extend(tail.iter().cloned());
                        next.push(joined);
                    }
                }
                if next.len() > 10_000 {
                    return Err("its groups multiply out to more than 10000 phrases");
                }
                out = next;
            }
        }
    }
    Ok(out)
}

/// The words of `text` as atoms: folded, `*` marking a prefix.
fn words(text: &str) -> Vec<Atom> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '*'))
        .filter_map(atom)
        .collect()
}

fn atom(text: &str) -> Option<Atom> {
    let (stem, prefix) = match text.strip_suffix('*') {
        Some(stem) => (stem, true),
        None => (text, false),
    };
    let folded = fold_word(stem);
    if folded.is_empty() {
        return None;
    }
    Some(if prefix {
        Atom::Prefix(folded)
    } else {
        Atom::Exact(folded)
    })
}

impl Pattern {
    /// Compiles `source`.
    pub fn new(source: &str) -> Result<Pattern, PatternError> {
        let fail = |message: &str| PatternError {
            pattern: source.to_owned(),
            message: message.to_owned(),
        };
        let mut parser = Parser {
            chars: source.chars().collect(),
            at: 0,
        };
        let top = parser.sequence().map_err(&fail)?;
        if parser.at < parser.chars.len() {
            return Err(fail("a `)` without its `(`"));
        }
        let mut steps = Vec::new();
        for node in top {
            match node {
                Node::Word(a) => steps.push(Step::Word {
                    choices: vec![vec![a]],
                    optional: false,
                }),
                Node::Gap(min, max) => steps.push(Step::Gap { min, max }),
                Node::Group(alternatives) => {
                    let mut optional = false;
                    let mut choices = Vec::new();
                    for alt in alternatives {
                        for seq in flatten(&alt).map_err(&fail)? {
                            if seq.is_empty() {
                                optional = true;
                            } else if !choices.contains(&seq) {
                                choices.push(seq);
                            }
                        }
                    }
                    if choices.is_empty() {
                        return Err(fail("`()` needs at least one word"));
                    }
                    steps.push(Step::Word { choices, optional });
                }
            }
        }
        let anchored = steps.iter().any(|s| {
            matches!(
                s,
                Step::Word {
                    optional: false,
                    ..
                }
            )
        });
        if !anchored {
            return Err(fail("needs at least one word that must be there"));
        }
        Ok(Pattern {
            source: source.to_owned(),
            steps,
        })
    }

    /// The pattern as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The end of a match of this pattern starting at `start`, if any.
    fn match_at(&self, tokens: &[Token], start: usize) -> Option<usize> {
        fn go(steps: &[Step], tokens: &[Token], at: usize) -> Option<usize> {
            let Some((step, rest)) = steps.split_first() else {
                return Some(at);
            };
            match step {
                Step::Word { choices, optional } => {
                    for seq in choices {
                        let fits = seq.len() <= tokens.len().saturating_sub(at)
                            && seq
                                .iter()
                                .zip(&tokens[at..])
                                .all(|(a, t)| a.matches(&t.word));
                        if fits && let Some(end) = go(rest, tokens, at + seq.len()) {
                            return Some(end);
                        }
                    }
                    if *optional {
                        go(rest, tokens, at)
                    } else {
                        None
                    }
                }
                Step::Gap { min, max } => (*min..=*max)
                    .filter(|n| at + n <= tokens.len())
                    .find_map(|n| go(rest, tokens, at + n)),
            }
        }
        go(&self.steps, tokens, start)
    }
}

/// Where a pattern matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match<'p> {
    /// The pattern, as written.
    pub pattern: &'p str,
    /// Its position in the list.
    pub index: usize,
    /// The first word matched.
    pub start: usize,
    /// One past the last word matched.
    pub end: usize,
}

/// A list of patterns, compiled, indexed by the word a match must start
/// with so a message is scanned once however long the list.
#[derive(Debug, Clone, Default)]
pub struct PatternSet {
    patterns: Vec<Pattern>,
    /// Patterns by an exact word they must start with.
    by_first: HashMap<String, Vec<usize>>,
    /// Patterns by a prefix they must start with.
    by_prefix: Vec<(String, usize)>,
    /// Patterns that may start anywhere (an optional group, a gap).
    others: Vec<usize>,
}

impl PatternSet {
    /// Compiles every pattern of `sources`.
    pub fn new<S: AsRef<str>>(sources: &[S]) -> Result<PatternSet, PatternError> {
        let mut set = PatternSet::default();
        for s in sources {
            let p = Pattern::new(s.as_ref())?;
            let i = set.patterns.len();
            match p.steps.first() {
                Some(Step::Word {
                    choices,
                    optional: false,
                }) => {
                    for seq in choices {
                        match &seq[0] {
                            Atom::Exact(w) => {
                                let list = set.by_first.entry(w.clone()).or_default();
                                if list.last() != Some(&i) {
                                    list.push(i);
                                }
                            }
                            Atom::Prefix(p) => set.by_prefix.push((p.clone(), i)),
                        }
                    }
                }
                _ => set.others.push(i),
            }
            set.patterns.push(p);
        }
        Ok(set)
    }

    /// Whether there are no patterns.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The `index`-th pattern as written (see [`Match::index`]).
    pub fn source(&self, index: usize) -> &str {
        self.patterns[index].source()
    }

    /// Every match in `tokens`, in order of position, at most one per
    /// starting word (patterns that start with that exact word first, then
    /// the others, each in the order listed).
    pub fn find_all<'p>(&'p self, tokens: &[Token]) -> Vec<Match<'p>> {
        let mut found = Vec::new();
        for start in 0..tokens.len() {
            let word = tokens[start].word.as_str();
            let exact = self.by_first.get(word).map_or(&[][..], Vec::as_slice);
            let prefixed = self
                .by_prefix
                .iter()
                .filter(|(p, _)| word.starts_with(p.as_str()))
                .map(|(_, i)| i);
            let hit = exact
                .iter()
                .chain(prefixed)
                .chain(&self.others)
                .find_map(|&i| {
                    let p = &self.patterns[i];
                    p.match_at(tokens, start)
                        .filter(|&end| end > start)
                        .map(|end| Match {
                            pattern: p.source(),
                            index: i,
                            start,
                            end,
                        })
                });
            found.extend(hit);
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::super::fold::Folded;
    use super::*;

    fn first<'p>(set: &'p PatternSet, text: &str) -> Option<&'p str> {
        set.find_all(&Folded::new(text).tokens)
            .first()
            .map(|m| m.pattern)
    }

    #[test]
    fn plain_phrases_match_words_in_order() {
        let set = PatternSet::new(&["talk to a human"]).unwrap();
        assert_eq!(
            first(&set, "Can I TALK to a human?"),
            Some("talk to a human")
        );
        assert_eq!(first(&set, "talk to a humane society"), None);
        assert_eq!(first(&set, "a human to talk"), None);
    }

    #[test]
    fn stems_choices_optional_words_and_gaps() {
        let set = PatternSet::new(&[
            "(talk|speak) to (a|an|) (human|person)",
            "cancel* .. (account|subscription)",
            "not _ robot",
            "(i would|id|we would|wed|we) (like|want) to (leave|go)",
        ])
        .unwrap();
        assert!(first(&set, "let me speak to person").is_some());
        assert!(first(&set, "i want to talk to an actual person").is_none());
        assert!(first(&set, "Cancelling my whole damn account").is_some());
        assert!(first(&set, "cancelled the subscription").is_some());
        assert!(first(&set, "not a robot").is_some());
        assert!(first(&set, "not robot").is_none());
        assert!(first(&set, "I'd like to leave").is_some());
        assert!(first(&set, "we would like to go").is_some());
        assert!(first(&set, "we would to go").is_none());
        let nested = PatternSet::new(&["(hi|good (morning|evening)|hey) there"]).unwrap();
        assert!(first(&nested, "good evening there").is_some());
        assert!(first(&nested, "hey there").is_some());
        assert!(first(&nested, "good there").is_none());
    }

    #[test]
    fn accents_and_stretching_do_not_matter() {
        let set = PatternSet::new(&["não quero mais"]).unwrap();
        assert!(first(&set, "nao quero maaais").is_some());
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(Pattern::new("(a|b").is_err());
        assert!(Pattern::new("a) b").is_err());
        assert!(Pattern::new("(|)").is_err());
        assert!(Pattern::new("..").is_err());
        assert!(Pattern::new("(maybe|) _").is_err());
        assert!(Pattern::new("(a (b|c)").is_err());
        assert!(Pattern::new("(a _ b)").is_err());
    }
}
