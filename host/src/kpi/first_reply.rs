//! First-reply context completeness: whether the human agent's first message
//! after a handoff shows that they know what already happened, or asks the
//! customer to start over.
//!
//! A customer who has explained the problem to the AI and is then asked
//! "how can I help?" experiences the handoff as a restart, whatever the
//! handoff context said. The scorer is pure and deterministic so the KPI can
//! be recomputed from the store at any time with the same result.
//!
//! # Definitions
//!
//! **Words.** Every text (the reply, each context message, each category
//! term) is split into words by [`Folded`], which folds them with
//! [`fold_word`](crate::config::phrases::fold::fold_word): lowercase,
//! accents stripped (`cobrança` = `cobranca`, `facturación` =
//! `facturacion`), apostrophes dropped (`what's` = `whats`), runs of three or
//! more of one letter cut to one. Punctuation only separates words; a
//! sentence is a question when it ends with `?`.
//!
//! **Content words.** Words of at least 4 characters that are not
//! stopwords. The stopword list covers English, Portuguese and Spanish:
//!
//! - function words (`that`, `with`, `para`, `como`, `pero`, `usted`, …);
//! - support filler that any reply may contain whatever the conversation:
//!   greetings and courtesy (`hello`, `hola`, `please`, `thanks`,
//!   `obrigado`, `gracias`, `sorry`, `desculpe`, `disculpe`), offers of help
//!   (`help`, `ajuda`, `ayuda`, `assist`, `resolve`, `check`, `confirm`), the
//!   handoff itself (`human`, `agent`, `atendente`, `specialist`,
//!   `transferring`, `moment`, `wait`), the generic nouns of support
//!   (`problem`, `issue`, `question`, `situation`, `request`, `customer`,
//!   `support`, `details`, `problema`, `cliente`, `duda`) and empathy
//!   (`understand`, `frustrated`, `inconvenience`, `lamento`);
//! - words about events in general (`happened`, `aconteceu`, `pasó`).
//!
//! "Problem" and "issue" are stopwords: every customer has one, so an agent
//! who mentions "your issue" has not shown that they read it. Topic nouns
//! (`account`, `order`, `card`, `refund`, `transfer`, `conta`, `cuenta`) are
//! not stopwords. Most stopwords are exact folded words; a few families are
//! stopwords by their first five letters (`thank…`, `obrig…`, `graci…`,
//! `agrad…`, `frust…`, `apolo…`, `lamen…`, `enten…`, `ajuda…`, `ayuda…`,
//! `probl…`, `quest…`, `situa…`, `pregu…`, `pergu…`, `duvid…`, `clien…`,
//! `suppo…`, `atend…`, `human…`, `agent…`, `repre…`, `momen…`, `pleas…`,
//! `happe…`, `acont…`, `suced…`, `ocurr…`, `occur…`, `messa…`, `mensa…`).
//!
//! **Matching words.** Two words match when their keys are equal. The key of
//! a word of 5 or more characters is its first 5 characters, a light stem:
//! `charged`, `charge` and `charges` match, as do `cobrado` and `cobrança`,
//! `facturación` and `facturar`. A word of 4 characters is its own key, so it
//! matches only itself (`card` does not match `cards`). A word containing a
//! digit is its own key whatever its length, so order numbers match only
//! exactly.
//!
//! **The greeted name.** In the reply's first sentence, the word right after
//! a greeting (`hi`, `hello`, `hey`, `dear`, `morning`, `afternoon`,
//! `evening`, `oi`, `ola`, `hola`, `dia`, `dias`, `tarde`, `tardes`,
//! `noite`, `noches`, `prezado`, `prezada`, `estimado`, `estimada`) is taken
//! as the customer's name and is not a content word of the reply: "Hi
//! Maria" shows no knowledge of the problem even if the customer signed
//! "Maria".
//!
//! **`problem`**: some content word of the reply matches a content word of
//! the customer's messages.
//!
//! **`ai_tried`**: some content word of the reply matches a content word of
//! the AI's messages and matches none of the customer's (so echoing the
//! customer's words, which the AI usually repeated too, is `problem`, not
//! `ai_tried`); or the reply acknowledges the AI's earlier help with one of
//! these phrases (folded, outside quotation marks; `(a|b)` is a choice,
//! `(a|)` is optional):
//!
//! - en: `(i|we) (can|) see (that|) (you|you've|you have) (already|tried|previously)`,
//!   `(you|you've|you have) already tried`,
//!   `(the|our) (virtual|ai|automated|) assistant`, `(the|our) (chat|) bot`,
//!   `(the|our) chatbot`;
//! - pt: `(vi|vejo|percebi|notei) que (você|vc|o senhor|a senhora|) já`,
//!   `(você|vc) já tentou`, `(o|a|nosso|nossa) assistente`,
//!   `(o|nosso) (bot|robô|chatbot)`;
//! - es: `(veo|vi|noto) que (usted|tú|) ya`,
//!   `ya (intentó|probó|intentaste|probaste|ha intentado|has intentado)`,
//!   `(el|la|nuestro|nuestra) asistente`, `(el|nuestro) (bot|robot|chatbot)`.
//!
//! **`category`**: the reply contains a category term. Each term is folded
//! into words and matched as consecutive words of the reply, word by word
//! with the key rule above (`double charge` matches "the double charges",
//! not "double-check the charge"). A term is ignored when none of its words
//! has at least 3 characters and is not a stopword, so `help` or `id` can
//! never make every reply name the category.
//!
//! **`restart`**: the reply asks the customer to start over or explain the
//! problem again. Phrases are matched on folded words in order, so case,
//! accents and punctuation never matter; a match starting inside quotation
//! marks (the agent quoting someone) does not count. Two kinds:
//!
//! - requests, which count wherever they are:
//!   - en: `how (can|may|could) (i|we) (help|assist)`,
//!     `what can (i|we) do for you`, `what (can|may) (i|we) help you with`,
//!     `what do you need help with`, `what seems to be the (problem|issue)`,
//!     `(can|could|would) you (please|) (tell me|let me know|explain|describe) (what happened|what went wrong|what is going on|what's going on|what is happening|what's happening|what the (issue|problem) is|what is the (issue|problem)|what's the (issue|problem))`,
//!     `(can|could|would) you (please|) (explain|describe) (the|your) (issue|problem|situation)`,
//!     `please (explain|describe) (the|your) (issue|problem|situation)`,
//!     `tell me (more|) about (the|your) (issue|problem|situation)`,
//!     `(can|could|would) you (please|) repeat`;
//!   - pt: `(como|em que) (posso|podemos|poderia) (te|lhe|) ajud*`,
//!     `(pode|poderia|podes|consegue) (me|) (contar|dizer|explicar|descrever|informar) o que (aconteceu|houve|ocorreu)`,
//!     `me (conta|conte|diga|explica|explique|descreva) o que (aconteceu|houve|ocorreu)`,
//!     `(pode|poderia|podes|consegue) (me|) descrever`,
//!     `(pode|poderia|podes|consegue) (me|) explicar (o|seu|o seu|a sua|sua) (problema|situação|questão)`,
//!     `(pode|poderia) (me|) repetir`;
//!   - es: `(en qué|cómo) (le|te|) (puedo|podemos|podría) ayud*`,
//!     `(puede|podría|puedes|podrías) (contarme|decirme|explicarme|describirme|indicarme) (qué|lo que) (pasó|sucedió|ocurrió)`,
//!     `(cuéntame|cuénteme|dígame|dime|explíqueme|explícame) (qué|lo que) (pasó|sucedió|ocurrió)`,
//!     `(puede|podría|puedes|podrías) (explicar*|describir*|contar*) (el|su|tu) problema`,
//!     `(puede|podría|puedes|podrías) repetir*`
//!
//!   (a word ending in `*` is any word starting so: `ajud*` matches
//!   `ajudar` and `ajudá-lo`);
//! - bare questions, which count only in a sentence ending with `?` and
//!   when none of the 3 words before them in that sentence is a verb of
//!   knowing or checking (en `see`, `saw`, `know`, `understand`, `check`,
//!   `explain`, `found`, …; pt `vi`, `vejo`, `sei`, `entendi`, `verifiquei`,
//!   …; es `lo`, `veo`, `vi`, `sé`, `entiendo`, `revisé`, …), so "I see what
//!   happened, shall I refund it?" and "Ya veo lo que pasó" are not
//!   restarts while "Hi Maria, what happened?" is:
//!   - en: `what happened`, `what went wrong`,
//!     `(what is|what's) (going on|happening)`,
//!     `(what is|what's) the (issue|problem)`;
//!   - pt: `o que (aconteceu|houve|ocorreu)`,
//!     `o que (está|tá) acontecendo`, `qual (é|seria|foi) o (seu|) problema`;
//!   - es: `qué (pasó|sucedió|ocurrió)`, `qué (está|estaba) pasando`,
//!     `cuál es (el|su|tu) problema`.
//!
//! A restart question without its `?` ("what happened") is not detected;
//! a request ("how can I help you today") is, with or without it.
//!
//! **`level`**: [`Level::Restart`] when `restart` (even if the reply also
//! refers to the context), else [`Level::Aware`] when any of `problem`,
//! `category`, `ai_tried`, else [`Level::Generic`].
//!
//! **`score`**: the number of `problem`, `category`, `ai_tried` that hold,
//! divided by 3; 0.0 when `restart`.
//!
//! **Cost.** Only the reply's first 4096 bytes are read. Each context
//! message and category term is folded once into a set of keys, and every
//! reply word is looked up in those sets, so the work is linear in the
//! total length of the reply, the context and the terms.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use serde::Serialize;

use crate::config::phrases::fold::{Folded, Token};
use crate::config::phrases::{Phrases, defaults};

/// Replies are short messages; reading no further bounds the cost of a
/// pathological one.
const MAX_REPLY_BYTES: usize = 4096;

/// Shorter words are mostly function words and abbreviations in all three
/// languages.
const MIN_CONTENT_CHARS: usize = 4;

/// Long enough to keep `charge` and `change` apart, short enough for
/// `cobrado`/`cobrança` and `charged`/`charges` to meet.
const STEM_CHARS: usize = 5;

/// Category terms such as `pix` or `app` are short but specific.
const MIN_TERM_CHARS: usize = 3;

/// How far before a bare question a verb of knowing turns it into a
/// statement ("I understand exactly what happened").
const KNOWING_WINDOW: usize = 3;

/// What the reply is compared with, taken from the decision's handoff context.
#[derive(Debug, Clone, Default)]
pub struct ReplyContext<'a> {
    /// The customer's messages (their own words).
    pub customer: Vec<&'a str>,
    /// The AI's messages to the customer (what it tried).
    pub ai: Vec<&'a str>,
    /// Words naming the category: its name and subcategory split on `-`/`_`,
    /// plus any configured topic phrases (plain words).
    pub category_terms: Vec<&'a str>,
}

/// How the first reply treats what already happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// It refers to the problem, the category or what the AI tried, and does
    /// not ask the customer to start over.
    Aware,
    /// It neither refers to the context nor asks to start over.
    Generic,
    /// It asks the customer to start over or explain the problem again.
    Restart,
}

/// The first-reply score; see the module documentation for each definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplyScore {
    /// A content word of the reply matches one of the customer's.
    pub problem: bool,
    /// The reply contains a category term.
    pub category: bool,
    /// The reply refers to something only the AI said, or acknowledges the
    /// AI's earlier help.
    pub ai_tried: bool,
    /// The reply asks the customer to start over.
    pub restart: bool,
    /// The overall verdict.
    pub level: Level,
    /// `(problem + category + ai_tried) / 3`, or 0.0 when `restart`.
    pub score: f64,
}

/// Scores `reply`, a human agent's first message after a handoff, against
/// what happened before it.
pub fn score(reply: &str, ctx: &ReplyContext<'_>) -> ReplyScore {
    let reply = Folded::new(&reply[..reply.floor_char_boundary(MAX_REPLY_BYTES)]);
    let customer = content_keys(&ctx.customer);
    let ai = content_keys(&ctx.ai);
    let name = greeted_names(&reply.tokens);
    let words: Vec<&str> = reply
        .tokens
        .iter()
        .enumerate()
        .filter(|(i, t)| !name.contains(i) && is_content(&t.word))
        .map(|(_, t)| key(&t.word))
        .collect();

    let problem = words.iter().any(|k| customer.contains(*k));
    let ai_tried = words
        .iter()
        .any(|k| ai.contains(*k) && !customer.contains(*k))
        || unquoted(&ACKNOWLEDGEMENTS, &reply).next().is_some();
    let category = names_category(&reply.tokens, &ctx.category_terms);
    let restart = asks_to_restart(&reply);

    let level = if restart {
        Level::Restart
    } else if problem || category || ai_tried {
        Level::Aware
    } else {
        Level::Generic
    };
    let score = if restart {
        0.0
    } else {
        f64::from(u8::from(problem) + u8::from(category) + u8::from(ai_tried)) / 3.0
    };
    ReplyScore {
        problem,
        category,
        ai_tried,
        restart,
        level,
        score,
    }
}

/// The word's stem for matching: its first [`STEM_CHARS`] characters, or
/// the whole word when shorter or when it holds a digit (an order number
/// that shares a prefix is another order).
fn key(word: &str) -> &str {
    if word.chars().any(|c| c.is_ascii_digit()) {
        return word;
    }
    match word.char_indices().nth(STEM_CHARS) {
        Some((end, _)) => &word[..end],
        None => word,
    }
}

fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(word) || STOP_STEMS.contains(key(word))
}

fn is_content(word: &str) -> bool {
    word.chars().count() >= MIN_CONTENT_CHARS && !is_stopword(word)
}

/// The keys of the content words of `messages`, folded once so each reply
/// word costs one lookup however long the conversation.
fn content_keys(messages: &[&str]) -> HashSet<String> {
    let mut keys = HashSet::new();
    for message in messages {
        for token in Folded::new(message).tokens {
            if is_content(&token.word) {
                keys.insert(key(&token.word).to_owned());
            }
        }
    }
    keys
}

/// Positions of the words that follow a greeting in the first sentence:
/// the customer's name there is politeness, not knowledge of the problem.
fn greeted_names(tokens: &[Token]) -> Vec<usize> {
    tokens
        .windows(2)
        .enumerate()
        .filter(|(_, pair)| pair[1].sentence == 0 && GREETINGS.contains(&pair[0].word.as_str()))
        .map(|(i, _)| i + 1)
        .collect()
}

/// Whether some category term appears in `tokens` as consecutive words.
fn names_category(tokens: &[Token], terms: &[&str]) -> bool {
    // Terms by the key of their first word, so the reply is scanned once.
    let mut by_first: HashMap<String, Vec<Vec<String>>> = HashMap::new();
    for term in terms {
        let words: Vec<String> = Folded::new(term)
            .tokens
            .into_iter()
            .map(|t| t.word)
            .collect();
        let specific = words
            .iter()
            .any(|w| w.chars().count() >= MIN_TERM_CHARS && !is_stopword(w));
        if !specific {
            continue;
        }
        let keys: Vec<String> = words.iter().map(|w| key(w).to_owned()).collect();
        by_first
            .entry(keys[0].clone())
            .or_default()
            .push(keys[1..].to_vec());
    }
    tokens.iter().enumerate().any(|(i, token)| {
        by_first.get(key(&token.word)).is_some_and(|rests| {
            rests.iter().any(|rest| {
                let following = &tokens[i + 1..];
                rest.len() <= following.len()
                    && rest.iter().zip(following).all(|(k, t)| key(&t.word) == k)
            })
        })
    })
}

/// Matches of `phrases` in `text` that do not start inside a quotation.
fn unquoted<'a>(
    phrases: &'a Phrases,
    text: &'a Folded,
) -> impl Iterator<Item = crate::config::phrases::Match<'a>> + 'a {
    phrases
        .find_all(text)
        .into_iter()
        .filter(move |m| !text.tokens[m.start].quoted)
}

fn asks_to_restart(reply: &Folded) -> bool {
    if unquoted(&RESTART_REQUESTS, reply).next().is_some() {
        return true;
    }
    unquoted(&RESTART_QUESTIONS, reply).any(|m| {
        let sentence = reply.tokens[m.start].sentence;
        let before = &reply.tokens[m.start.saturating_sub(KNOWING_WINDOW)..m.start];
        reply.is_question(sentence)
            && !before
                .iter()
                .any(|t| t.sentence == sentence && KNOWING.contains(&t.word.as_str()))
    })
}

/// Requests to start over or explain again; they count anywhere.
static RESTART_REQUESTS: LazyLock<Phrases> = LazyLock::new(|| {
    defaults(&[
        // en
        "how (can|may|could) (i|we) (help|assist)",
        "what can (i|we) do for you",
        "what (can|may) (i|we) help you with",
        "what do you need help with",
        "what seems to be the (problem|issue)",
        "(can|could|would) you (please|) (tell me|let me know|explain|describe) \
         (what happened|what went wrong|what is going on|what's going on|what is happening\
         |what's happening|what the (issue|problem) is|what is the (issue|problem)\
         |what's the (issue|problem))",
        "(can|could|would) you (please|) (explain|describe) (the|your) (issue|problem|situation)",
        "please (explain|describe) (the|your) (issue|problem|situation)",
        "tell me (more|) about (the|your) (issue|problem|situation)",
        "(can|could|would) you (please|) repeat",
        // pt
        "(como|em que) (posso|podemos|poderia) (te|lhe|) ajud*",
        "(pode|poderia|podes|consegue) (me|) (contar|dizer|explicar|descrever|informar) \
         o que (aconteceu|houve|ocorreu)",
        "me (conta|conte|diga|explica|explique|descreva) o que (aconteceu|houve|ocorreu)",
        "(pode|poderia|podes|consegue) (me|) descrever",
        "(pode|poderia|podes|consegue) (me|) explicar (o|seu|o seu|a sua|sua) \
         (problema|situação|questão)",
        "(pode|poderia) (me|) repetir",
        // es
        "(en qué|cómo) (le|te|) (puedo|podemos|podría) ayud*",
        "(puede|podría|puedes|podrías) (contarme|decirme|explicarme|describirme|indicarme) \
         (qué|lo que) (pasó|sucedió|ocurrió)",
        "(cuéntame|cuénteme|dígame|dime|explíqueme|explícame) (qué|lo que) (pasó|sucedió|ocurrió)",
        "(puede|podría|puedes|podrías) (explicar*|describir*|contar*) (el|su|tu) problema",
        "(puede|podría|puedes|podrías) repetir*",
    ])
});

/// Questions that also occur inside statements ("I see what happened"), so
/// they count only as questions and not after a verb of knowing.
static RESTART_QUESTIONS: LazyLock<Phrases> = LazyLock::new(|| {
    defaults(&[
        // en
        "what happened",
        "what went wrong",
        "(what is|what's) (going on|happening)",
        "(what is|what's) the (issue|problem)",
        // pt
        "o que (aconteceu|houve|ocorreu)",
        "o que (está|tá) acontecendo",
        "qual (é|seria|foi) o (seu|) problema",
        // es
        "qué (pasó|sucedió|ocurrió)",
        "qué (está|estaba) pasando",
        "cuál es (el|su|tu) problema",
    ])
});

/// Words that make a following bare question a statement of what the agent
/// knows or will find out.
const KNOWING: &[&str] = &[
    // en
    "see",
    "saw",
    "seen",
    "know",
    "knew",
    "understand",
    "understood",
    "check",
    "checked",
    "checking",
    "find",
    "found",
    "read",
    "review",
    "reviewed",
    "noticed",
    "explain",
    "explained",
    "investigate",
    "investigating",
    "verify",
    "verified",
    "confirm",
    "confirmed",
    "sure",
    "exactly",
    // pt
    "vi",
    "vejo",
    "ver",
    "sei",
    "saber",
    "entendi",
    "entendo",
    "entender",
    "compreendo",
    "verifiquei",
    "verificar",
    "verificando",
    "confirmei",
    "confirmar",
    "explicar",
    "explico",
    "li",
    "analisei",
    "analisar",
    "olhei",
    "identifiquei",
    "descobri",
    "exatamente",
    // es
    "lo",
    "veo",
    "se",
    "entiendo",
    "comprendo",
    "revise",
    "revisar",
    "revisando",
    "verifique",
    "confirme",
    "descubri",
    "identifique",
    "exactamente",
];

/// Acknowledgements of what the AI already did.
static ACKNOWLEDGEMENTS: LazyLock<Phrases> = LazyLock::new(|| {
    defaults(&[
        // en
        "(i|we) (can|) see (that|) (you|you've|you have) (already|tried|previously)",
        "(you|you've|you have) already tried",
        "(the|our) (virtual|ai|automated|) assistant",
        "(the|our) (chat|) bot",
        "(the|our) chatbot",
        // pt
        "(vi|vejo|percebi|notei) que (você|vc|o senhor|a senhora|) já",
        "(você|vc) já tentou",
        "(o|a|nosso|nossa) assistente",
        "(o|nosso) (bot|robô|chatbot)",
        // es
        "(veo|vi|noto) que (usted|tú|) ya",
        "ya (intentó|probó|intentaste|probaste|ha intentado|has intentado)",
        "(el|la|nuestro|nuestra) asistente",
        "(el|nuestro) (bot|robot|chatbot)",
    ])
});

/// Greetings after which the next word is taken as the customer's name.
const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "dear",
    "morning",
    "afternoon",
    "evening",
    "oi",
    "ola",
    "hola",
    "dia",
    "dias",
    "tarde",
    "tardes",
    "noite",
    "noches",
    "prezado",
    "prezada",
    "estimado",
    "estimada",
];

/// Families of filler words, by their key (five letters): every form of
/// "thank", "obrigado", "problema" is filler, and no topic word shares the
/// stem.
static STOP_STEMS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    [
        "thank", "obrig", "graci", "agrad", "frust", "apolo", "lamen", "enten", "ajuda", "ayuda",
        "probl", "quest", "situa", "pregu", "pergu", "duvid", "clien", "suppo", "atend", "human",
        "agent", "repre", "momen", "pleas", "happe", "acont", "suced", "ocurr", "occur", "messa",
        "mensa",
    ]
    .into_iter()
    .collect()
});

/// Exact folded words of at least four letters that carry no topic: function
/// words and support filler in English, Portuguese and Spanish.
static STOPWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    [
        // en: function words
        "about",
        "above",
        "after",
        "again",
        "against",
        "also",
        "always",
        "another",
        "anyone",
        "anything",
        "anyway",
        "around",
        "away",
        "back",
        "because",
        "been",
        "before",
        "behind",
        "being",
        "below",
        "between",
        "both",
        "cannot",
        "could",
        "does",
        "doing",
        "done",
        "down",
        "during",
        "each",
        "either",
        "else",
        "enough",
        "even",
        "ever",
        "every",
        "everyone",
        "everything",
        "from",
        "further",
        "have",
        "having",
        "here",
        "hers",
        "herself",
        "himself",
        "into",
        "itself",
        "just",
        "least",
        "less",
        "like",
        "many",
        "maybe",
        "might",
        "more",
        "most",
        "much",
        "must",
        "myself",
        "near",
        "need",
        "needs",
        "needed",
        "never",
        "next",
        "none",
        "nothing",
        "often",
        "once",
        "only",
        "other",
        "others",
        "ours",
        "ourselves",
        "over",
        "perhaps",
        "quite",
        "rather",
        "really",
        "same",
        "seem",
        "seems",
        "seemed",
        "several",
        "shall",
        "should",
        "since",
        "some",
        "someone",
        "something",
        "sometimes",
        "soon",
        "still",
        "such",
        "sure",
        "than",
        "that",
        "thats",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "theres",
        "these",
        "they",
        "theyre",
        "theyve",
        "thing",
        "things",
        "think",
        "this",
        "those",
        "though",
        "through",
        "thus",
        "till",
        "together",
        "under",
        "until",
        "upon",
        "very",
        "want",
        "wants",
        "wanted",
        "well",
        "were",
        "what",
        "whats",
        "whatever",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "whom",
        "whose",
        "will",
        "with",
        "within",
        "without",
        "would",
        "your",
        "yours",
        "yourself",
        "youre",
        "youve",
        "youll",
        "youd",
        "dont",
        "doesnt",
        "didnt",
        "cant",
        "wont",
        "isnt",
        "arent",
        "wasnt",
        "werent",
        "havent",
        "hasnt",
        "hadnt",
        "shouldnt",
        "wouldnt",
        "couldnt",
        "lets",
        "okay",
        "yeah",
        "right",
        "gets",
        "getting",
        "make",
        "makes",
        "made",
        "making",
        "take",
        "takes",
        "taking",
        "took",
        "taken",
        "give",
        "given",
        "going",
        "gone",
        "come",
        "comes",
        "came",
        "look",
        "looks",
        "looking",
        "looked",
        "keep",
        "know",
        "knows",
        "known",
        "knew",
        "tell",
        "told",
        "said",
        "says",
        "able",
        // en: support filler
        "hello",
        "dear",
        "good",
        "great",
        "nice",
        "fine",
        "perfect",
        "morning",
        "afternoon",
        "evening",
        "welcome",
        "glad",
        "happy",
        "sorry",
        "help",
        "helps",
        "helped",
        "helping",
        "helpful",
        "assist",
        "assists",
        "assisted",
        "assisting",
        "assistance",
        "resolve",
        "resolved",
        "resolving",
        "solve",
        "solved",
        "solution",
        "sort",
        "sorted",
        "care",
        "work",
        "works",
        "worked",
        "working",
        "check",
        "checks",
        "checked",
        "checking",
        "confirm",
        "confirmed",
        "confirming",
        "details",
        "detail",
        "information",
        "info",
        "issue",
        "issues",
        "request",
        "requests",
        "customer",
        "customers",
        "team",
        "name",
        "chat",
        "conversation",
        "contact",
        "contacted",
        "contacting",
        "today",
        "time",
        "wait",
        "waiting",
        "patience",
        "shortly",
        "understand",
        "understood",
        "understanding",
        "inconvenience",
        "inconveniences",
        "person",
        "specialist",
        "colleague",
        "colleagues",
        "operator",
        "transferring",
        "transferred",
        "happen",
        "happens",
        // pt: function words
        "para",
        "pelo",
        "pela",
        "pelos",
        "pelas",
        "como",
        "mais",
        "muito",
        "muita",
        "muitos",
        "muitas",
        "isso",
        "isto",
        "esse",
        "essa",
        "esses",
        "essas",
        "este",
        "esta",
        "estes",
        "estas",
        "aquele",
        "aquela",
        "aquilo",
        "aqui",
        "onde",
        "quando",
        "porque",
        "pois",
        "entao",
        "tambem",
        "ainda",
        "sobre",
        "entre",
        "depois",
        "antes",
        "agora",
        "sempre",
        "nunca",
        "nada",
        "tudo",
        "todo",
        "toda",
        "todos",
        "todas",
        "algo",
        "alguem",
        "algum",
        "alguma",
        "alguns",
        "algumas",
        "cada",
        "mesmo",
        "mesma",
        "outro",
        "outra",
        "outros",
        "outras",
        "seus",
        "suas",
        "minha",
        "minhas",
        "meus",
        "nosso",
        "nossa",
        "nossos",
        "nossas",
        "voce",
        "voces",
        "dele",
        "dela",
        "deles",
        "delas",
        "eles",
        "elas",
        "estou",
        "estamos",
        "estao",
        "estava",
        "estavam",
        "estive",
        "esteve",
        "sido",
        "sendo",
        "seja",
        "sejam",
        "sera",
        "serao",
        "foram",
        "fosse",
        "tenho",
        "temos",
        "tinha",
        "tive",
        "teve",
        "fazer",
        "feito",
        "faco",
        "pode",
        "posso",
        "podemos",
        "poderia",
        "preciso",
        "precisa",
        "quero",
        "queria",
        "gostaria",
        "vamos",
        "deve",
        "devo",
        "apenas",
        "somente",
        "assim",
        "caso",
        "qual",
        "quais",
        "quem",
        "nesta",
        "neste",
        "nessa",
        "nesse",
        "disso",
        "desse",
        "dessa",
        "deste",
        "desta",
        "daqui",
        "comigo",
        "contigo",
        "numa",
        "umas",
        "quanto",
        "quanta",
        "vezes",
        "certo",
        "claro",
        // pt: support filler
        "favor",
        "tarde",
        "noite",
        "hoje",
        "perfeito",
        "aguarde",
        "aguardar",
        "aguardando",
        "espera",
        "esperar",
        "verificar",
        "verificando",
        "verifico",
        "verifiquei",
        "olhar",
        "vejo",
        "confirmar",
        "confirmo",
        "detalhes",
        "informacoes",
        "informacao",
        "dados",
        "resolver",
        "resolvido",
        "resolvida",
        "solucao",
        "senhor",
        "senhora",
        "prezado",
        "prezada",
        "nome",
        "equipe",
        "suporte",
        "setor",
        "pessoa",
        "desculpe",
        "desculpa",
        "desculpas",
        "sinto",
        "compreendo",
        "transtorno",
        "transtornos",
        "especialista",
        "colega",
        "operador",
        "operadora",
        "transferido",
        "transferida",
        "transferindo",
        "contato",
        "contatar",
        "conversa",
        "houve",
        "ajudo",
        // es: function words
        "pero",
        "cuando",
        "donde",
        "pues",
        "entonces",
        "todavia",
        "despues",
        "ahora",
        "siempre",
        "alguien",
        "alguna",
        "alguno",
        "algunos",
        "algunas",
        "mismo",
        "misma",
        "otro",
        "otra",
        "otros",
        "otras",
        "suyo",
        "suya",
        "nuestro",
        "nuestra",
        "nuestros",
        "nuestras",
        "usted",
        "ustedes",
        "ellos",
        "ellas",
        "estoy",
        "estan",
        "estaba",
        "estaban",
        "esto",
        "estos",
        "esos",
        "esas",
        "alli",
        "siendo",
        "fueron",
        "fuera",
        "tengo",
        "tiene",
        "tienes",
        "tenemos",
        "tenia",
        "hacer",
        "hecho",
        "hago",
        "puede",
        "puedo",
        "puedes",
        "podria",
        "necesito",
        "necesita",
        "quiero",
        "gustaria",
        "debe",
        "debo",
        "solo",
        "solamente",
        "cual",
        "cuales",
        "quien",
        "desde",
        "hasta",
        "hacia",
        "segun",
        "mucho",
        "mucha",
        "muchos",
        "muchas",
        "poco",
        "poca",
        "bien",
        "mejor",
        // es: support filler
        "hola",
        "buenos",
        "buenas",
        "dias",
        "tardes",
        "noches",
        "ayudo",
        "duda",
        "dudas",
        "soporte",
        "atencion",
        "equipo",
        "conversacion",
        "contacto",
        "contactar",
        "disculpe",
        "disculpa",
        "disculpas",
        "disculpen",
        "siento",
        "perdon",
        "perdao",
        "entiendo",
        "comprendo",
        "perfecto",
        "espere",
        "esperar",
        "revisar",
        "revisando",
        "reviso",
        "verifico",
        "detalles",
        "informacion",
        "datos",
        "solucionar",
        "solucion",
        "estimado",
        "estimada",
        "senor",
        "senora",
        "nombre",
        "persona",
        "operadora",
        "transferido",
        "transferida",
        "transfiriendo",
        "molestia",
        "molestias",
        "inconveniente",
        "inconvenientes",
        "pasa",
        "paso",
        "pasando",
    ]
    .into_iter()
    .collect()
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::phrases::fold::fold_word;

    fn ctx<'a>(customer: &[&'a str], ai: &[&'a str], terms: &[&'a str]) -> ReplyContext<'a> {
        ReplyContext {
            customer: customer.to_vec(),
            ai: ai.to_vec(),
            category_terms: terms.to_vec(),
        }
    }

    fn billing() -> ReplyContext<'static> {
        ctx(
            &["Hi, this is Maria. I was charged twice for my subscription this month, please help"],
            &[
                "I'm sorry about that. I opened a refund ticket for the duplicate charge, \
                 but a specialist needs to approve it. Transferring you now.",
            ],
            &["billing", "double charge"],
        )
    }

    fn restarts(reply: &str) -> bool {
        score(reply, &ReplyContext::default()).restart
    }

    #[test]
    fn english_aware_reply_refers_to_problem_category_and_ai() {
        let s = score(
            "Hi Maria, I can see the double charge on your subscription and the refund \
             ticket that was opened. I'll approve it now.",
            &billing(),
        );
        assert!(s.problem && s.category && s.ai_tried && !s.restart, "{s:?}");
        assert_eq!(s.level, Level::Aware);
        assert_eq!(s.score, 1.0);
    }

    #[test]
    fn portuguese_aware_reply_matches_across_accents_and_stems() {
        let c = ctx(
            &["Fui cobrado duas vezes na fatura de março"],
            &["Abri uma solicitação de estorno para você."],
            &["cobranca"],
        );
        let s = score("Oi! Vi a cobrança duplicada na sua fatura de marco.", &c);
        assert!(s.problem && s.category && !s.ai_tried, "{s:?}");
        assert_eq!(s.level, Level::Aware);
        assert!((s.score - 2.0 / 3.0).abs() < 1e-12);
        let s = score("Olá, vi que você já pediu o estorno; vou aprovar.", &c);
        assert!(s.ai_tried && !s.problem, "{s:?}");
    }

    #[test]
    fn spanish_aware_reply_refers_to_what_the_ai_tried() {
        let c = ctx(
            &["No puedo acceder a mi cuenta, la contraseña no funciona"],
            &["Te envié un enlace para restablecer la contraseña."],
            &["acceso", "cuenta"],
        );
        let s = score("Hola, recibió el enlace de restablecimiento?", &c);
        assert!(s.ai_tried && !s.problem && !s.category, "{s:?}");
        assert_eq!(s.level, Level::Aware);
        let s = score("Hola Juan, veo que ya intentó cambiar la CONTRASENA.", &c);
        assert!(s.ai_tried && s.problem, "{s:?}");
    }

    #[test]
    fn accents_and_case_never_matter() {
        let c = ctx(&["La facturación está mal"], &[], &["Facturación"]);
        let s = score("Revisé la FACTURACION de este mes", &c);
        assert!(s.problem && s.category, "{s:?}");
    }

    #[test]
    fn words_of_five_letters_or_more_match_by_their_first_five() {
        let c = ctx(&["They charged me again"], &[], &[]);
        assert!(score("I see two charges on the statement", &c).problem);
        assert!(!score("I will change the plan", &c).problem);
        // Four-letter words and numbers match only exactly.
        let c = ctx(&["my card 123456 was declined"], &[], &[]);
        assert!(!score("which of your cards, 12345?", &c).problem);
        assert!(score("card 123456 is blocked on our side", &c).problem);
    }

    #[test]
    fn echoing_the_customer_is_problem_not_ai_tried() {
        // The AI repeated the customer's words; the reply's "charged" is
        // theirs, not something the AI tried.
        let c = ctx(
            &["I was charged twice"],
            &["I understand you were charged twice."],
            &[],
        );
        let s = score("You were charged twice, I'll fix that.", &c);
        assert!(s.problem && !s.ai_tried, "{s:?}");
    }

    #[test]
    fn generic_replies_refer_to_nothing() {
        for reply in [
            "Hi, I'm Ana, I'll take it from here",
            "Hello Maria, thanks for waiting! I'm a human agent and I'm happy to help with your issue.",
            "Olá, obrigado por aguardar, vou te ajudar com isso.",
            "Hola, gracias por esperar, soy Carlos del equipo de soporte.",
        ] {
            let s = score(reply, &billing());
            assert_eq!(s.level, Level::Generic, "{reply}: {s:?}");
            assert_eq!(s.score, 0.0);
        }
    }

    #[test]
    fn english_restart_questions() {
        for reply in [
            "Hi! How can I help you today?",
            "Hello, what can I do for you",
            "What seems to be the problem?",
            "Can you tell me what happened?",
            "Could you please describe your issue?",
            "Hi Maria, what's going on?",
            "Hi, what happened?",
            "Tell me more about your problem.",
        ] {
            assert!(restarts(reply), "{reply}");
        }
    }

    #[test]
    fn portuguese_restart_questions() {
        for reply in [
            "Olá, em que posso ajudar?",
            "Oi! Como posso te ajudar hoje",
            "Como posso ajudá-lo?",
            "Pode me contar o que aconteceu?",
            "Oi Maria, o que aconteceu?",
            "Qual é o problema?",
            "Você pode descrever a situação?",
        ] {
            assert!(restarts(reply), "{reply}");
        }
    }

    #[test]
    fn spanish_restart_questions() {
        for reply in [
            "¿En qué le puedo ayudar?",
            "Hola, ¿cómo puedo ayudarte?",
            "¿Puede contarme qué pasó?",
            "¿Cuál es el problema?",
            "Hola, ¿qué sucedió?",
            "¿Podría explicarme el problema?",
        ] {
            assert!(restarts(reply), "{reply}");
        }
    }

    #[test]
    fn knowing_what_happened_is_not_a_restart() {
        for reply in [
            "I can see what happened with the double charge.",
            "I see what happened, shall I refund it now?",
            "Would you like me to explain what happened?",
            "Vi o que aconteceu com a cobrança.",
            "Ya veo lo que pasó con el cobro, ¿lo reembolso?",
            "Here is what is going on with your card.",
            "How else can I help?",
        ] {
            assert!(!restarts(reply), "{reply}");
        }
        let s = score(
            "I can see what happened with the double charge.",
            &billing(),
        );
        assert_eq!(s.level, Level::Aware);
    }

    #[test]
    fn aware_reply_that_asks_to_restart_is_a_restart() {
        let s = score(
            "I see you were charged twice for the subscription. Can you tell me what happened?",
            &billing(),
        );
        assert!(s.problem && s.restart, "{s:?}");
        assert_eq!(s.level, Level::Restart);
        assert_eq!(s.score, 0.0);
    }

    #[test]
    fn quoting_the_customer_is_not_asking() {
        let s = score(
            "You wrote \"what happened to my refund?\" - the refund ticket went out today.",
            &billing(),
        );
        assert!(!s.restart && s.ai_tried, "{s:?}");
    }

    #[test]
    fn acknowledging_the_assistant_counts_as_ai_tried() {
        for reply in [
            "I see you already tried a few things.",
            "Thanks for your patience with our bot.",
            "Vi que você já falou com o assistente.",
            "Veo que ya habló con el asistente.",
        ] {
            let s = score(reply, &ReplyContext::default());
            assert!(s.ai_tried && s.level == Level::Aware, "{reply}: {s:?}");
        }
    }

    #[test]
    fn category_terms_match_as_consecutive_words_and_filler_terms_are_ignored() {
        let c = ctx(&[], &[], &["double charge", "help", "id"]);
        assert!(score("these look like double charges", &c).category);
        assert!(!score("let me double-check the charge", &c).category);
        assert!(!score("I'd be glad to help", &c).category);
    }

    #[test]
    fn empty_context_and_empty_reply() {
        let s = score(
            "I'll refund the duplicate charge now.",
            &ReplyContext::default(),
        );
        assert_eq!(s.level, Level::Generic);
        assert!(!s.problem && !s.category && !s.ai_tried && !s.restart);
        assert!(restarts("How can I help?"));
        for reply in ["", "  ...  ", "!?"] {
            let s = score(reply, &billing());
            assert_eq!(s.level, Level::Generic, "{reply:?}");
            assert_eq!(s.score, 0.0);
            assert!(!s.restart);
        }
    }

    #[test]
    fn long_replies_are_read_only_to_the_limit() {
        // A multi-byte character straddles the limit.
        let reply = format!("{}ção how can I help", "a".repeat(MAX_REPLY_BYTES - 1));
        assert!(!restarts(&reply));
        let s = score(&"subscription ".repeat(2000), &billing());
        assert!(s.problem);
    }

    #[test]
    fn levels_serialise_in_snake_case() {
        let s = score("What happened?", &ReplyContext::default());
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["level"], "restart");
        assert_eq!(json["score"], 0.0);
    }

    #[test]
    fn built_in_lists_are_folded_and_compile() {
        for list in [&RESTART_REQUESTS, &RESTART_QUESTIONS, &ACKNOWLEDGEMENTS] {
            assert!(!list.is_empty());
        }
        for w in STOPWORDS.iter() {
            assert_eq!(fold_word(w), *w);
            assert!(
                w.chars().count() >= MIN_CONTENT_CHARS,
                "{w} is never a content word"
            );
        }
        for w in STOP_STEMS.iter() {
            assert_eq!(w.chars().count(), STEM_CHARS, "{w}");
        }
        for w in KNOWING.iter().chain(GREETINGS) {
            assert_eq!(fold_word(w), *w);
        }
    }
}
