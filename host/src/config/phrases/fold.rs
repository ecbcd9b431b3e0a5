//! Text as the detectors read it: words folded so that the ways customers
//! really type match one pattern — case, accents (`não`, `nao`), apostrophes
//! (`don't`, `dont`) and stretched letters (`pleeease`) — with where each
//! word sits: in which sentence, and whether inside quotation marks.

/// One word of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The folded word.
    pub word: String,
    /// Which sentence of the message it is in, counting from 0.
    pub sentence: u32,
    /// Whether it is inside quotation marks (someone else's words).
    pub quoted: bool,
}

/// A message split into folded words, once per decision.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    /// The words, in order.
    pub tokens: Vec<Token>,
    /// For each sentence, whether it ends with a question mark.
    pub questions: Vec<bool>,
}

/// Lowercase, without accents or apostrophes, with runs of three or more of
/// one letter cut to one.
pub fn fold_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut last: Option<char> = None;
    let mut run = 0;
    for c in word.chars().flat_map(char::to_lowercase) {
        let c = strip_accent(c);
        if c == '\'' || c == '’' {
            continue;
        }
        if Some(c) == last {
            run += 1;
        } else {
            run = 1;
            last = Some(c);
        }
        // "soooo" and "pleeease": a third repeat is emphasis, not spelling.
        if run == 3 && c.is_alphabetic() {
            out.pop();
            continue;
        }
        if run > 3 && c.is_alphabetic() {
            continue;
        }
        out.push(c);
    }
    out
}

/// The letter without its accent, for the Latin letters of English,
/// Portuguese and Spanish (and their neighbours).
fn strip_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '«' | '»' | '„')
}

impl Folded {
    /// Splits `text` into folded words. Sentences end at `.`, `!`, `?`,
    /// `;` and line breaks; a straight double quote opens and closes a
    /// quotation in turn, typographic ones by their side.
    pub fn new(text: &str) -> Folded {
        let mut tokens = Vec::new();
        let mut questions = vec![false];
        let mut sentence = 0u32;
        let mut quoted = false;
        let mut word = String::new();
        let flush = |word: &mut String, tokens: &mut Vec<Token>, sentence, quoted| {
            if !word.is_empty() {
                let folded = fold_word(word);
                if !folded.is_empty() {
                    tokens.push(Token {
                        word: folded,
                        sentence,
                        quoted,
                    });
                }
                word.clear();
            }
        };
        for c in text.chars() {
            if c.is_alphanumeric() || c == '\'' || c == '’' {
                word.push(c);
                continue;
            }
            flush(&mut word, &mut tokens, sentence, quoted);
            match c {
                '"' | '„' => quoted = !quoted,
                '“' | '«' => quoted = true,
                '”' | '»' => quoted = false,
                '?' | '¿' if c == '?' => {
                    if let Some(q) = questions.last_mut() {
                        *q = true;
                    }
                }
                _ => {}
            }
            if matches!(c, '.' | '!' | '?' | ';' | '\n') {
                let started = tokens.last().is_some_and(|t| t.sentence == sentence);
                if started {
                    sentence += 1;
                    questions.push(false);
                }
                // A quotation never runs past the end of a line.
                if c == '\n' {
                    quoted = false;
                }
            }
        }
        flush(&mut word, &mut tokens, sentence, quoted);
        let _ = is_quote;
        Folded { tokens, questions }
    }

    /// Whether sentence `s` is a question.
    pub fn is_question(&self, s: u32) -> bool {
        self.questions.get(s as usize).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        Folded::new(text)
            .tokens
            .into_iter()
            .map(|t| t.word)
            .collect()
    }

    #[test]
    fn case_accents_apostrophes_and_stretching_fold_away() {
        assert_eq!(words("NÃO funciona, Don't"), ["nao", "funciona", "dont"]);
        assert_eq!(words("pleeeease sooooo"), ["please", "so"]);
        assert_eq!(words("cool book 2000"), ["cool", "book", "2000"]);
        assert_eq!(words("¿Cancelación?"), ["cancelacion"]);
    }

    #[test]
    fn quotations_and_sentences_are_marked() {
        let f = Folded::new("He said \"I will sue\". Is that ok? fine");
        let quoted: Vec<&str> = f
            .tokens
            .iter()
            .filter(|t| t.quoted)
            .map(|t| t.word.as_str())
            .collect();
        assert_eq!(quoted, ["i", "will", "sue"]);
        let is = f.tokens.iter().find(|t| t.word == "is").unwrap();
        assert!(f.is_question(is.sentence));
        let fine = f.tokens.iter().find(|t| t.word == "fine").unwrap();
        assert!(!f.is_question(fine.sentence));
    }
}
