//! Who takes part: customers (who come back, in the same language and on
//! the same plan), the agents who pick conversations up, and the reviewers
//! who judge decisions afterwards.

use super::rng::{Rng, Stream};

/// The language a conversation is held in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Portuguese (mostly Brazilian).
    Pt,
    /// Spanish.
    Es,
}

impl Lang {
    /// The traffic mix: en 60%, pt 25%, es 15%.
    const SHARE: [(Lang, f64); 3] = [(Lang::En, 60.0), (Lang::Pt, 25.0), (Lang::Es, 15.0)];

    /// Picks the value for this language out of an (en, pt, es) triple.
    pub fn of<T: Copy>(self, (en, pt, es): (T, T, T)) -> T {
        match self {
            Lang::En => en,
            Lang::Pt => pt,
            Lang::Es => es,
        }
    }
}

/// A customer: the same id always has the same traits, so a returning
/// customer gives the decision's prior contacts something to find.
#[derive(Debug, Clone)]
pub struct Customer {
    /// `sim-{seed}-cus-{k}`.
    pub id: String,
    /// `free`, `pro` or `enterprise`.
    pub tier: &'static str,
    /// The conversation language.
    pub lang: Lang,
    /// Its BCP 47 tag.
    pub language: &'static str,
    /// IANA time zone.
    pub timezone: &'static str,
    /// The year the account was opened, as help desks pass it along.
    pub since: i64,
}

/// Locales by language: (tag, time zone, weight).
const LOCALES: [&[(&str, &str, f64)]; 3] = [
    &[
        ("en-US", "America/New_York", 35.0),
        ("en-US", "America/Chicago", 20.0),
        ("en-US", "America/Los_Angeles", 20.0),
        ("en-GB", "Europe/London", 25.0),
    ],
    &[
        ("pt-BR", "America/Sao_Paulo", 75.0),
        ("pt-BR", "America/Recife", 15.0),
        ("pt-PT", "Europe/Lisbon", 10.0),
    ],
    &[
        ("es-MX", "America/Mexico_City", 45.0),
        ("es-ES", "Europe/Madrid", 30.0),
        ("es-AR", "America/Argentina/Buenos_Aires", 25.0),
    ],
];

/// Customer `k` of the run with `seed`.
pub fn customer(seed: u64, k: u64) -> Customer {
    let mut rng = Rng::new(seed, Stream::Customer, k);
    let weights: Vec<f64> = Lang::SHARE.iter().map(|(_, w)| *w).collect();
    let l = rng.weighted(&weights);
    let lang = Lang::SHARE[l].0;
    let locales = LOCALES[l];
    let weights: Vec<f64> = locales.iter().map(|(_, _, w)| *w).collect();
    let (language, timezone, _) = locales[rng.weighted(&weights)];
    let tier = ["free", "pro", "enterprise"][rng.weighted(&[60.0, 30.0, 10.0])];
    Customer {
        id: format!("sim-{seed}-cus-{k}"),
        tier,
        lang,
        language,
        timezone,
        since: rng.between(2017, 2026),
    }
}

/// Agents by language: a conversation is picked up by someone who speaks it.
pub fn agents(lang: Lang) -> &'static [&'static str] {
    lang.of((
        &[
            "olivia.brooks",
            "james.carter",
            "emma.walsh",
            "noah.bennett",
            "priya.shah",
        ][..],
        &["ana.souza", "bruno.lima", "carla.mendes", "rafael.costa"][..],
        &[
            "lucia.garcia",
            "diego.martinez",
            "sofia.romero",
            "mateo.ruiz",
        ][..],
    ))
}

/// The people who review decisions.
pub const REVIEWERS: [&str; 3] = ["qa.maria", "qa.tom", "qa.jorge"];

/// The first name an agent signs with: `ana.souza` → `Ana`.
pub fn first_name(agent: &str) -> String {
    let first = agent.split('.').next().unwrap_or(agent);
    let mut chars = first.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_keeps_their_traits() {
        let a = customer(7, 12);
        let b = customer(7, 12);
        assert_eq!((a.tier, a.language, a.since), (b.tier, b.language, b.since));
        assert_eq!(a.id, "sim-7-cus-12");
        assert_eq!(first_name("ana.souza"), "Ana");
    }
}
