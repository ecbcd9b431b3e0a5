//! How a policy did on a corpus: recall of what must reach a human, the
//! needless escalations, agreement with the acceptable answers, overall and
//! by language and category.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::decision::merge::Action;

/// Counts for one group of conversations.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Tally {
    /// Conversations.
    pub total: u32,
    /// Labelled `escalate`.
    pub must_escalate: u32,
    /// Of those, escalated.
    pub caught: u32,
    /// Labelled `stay`.
    pub should_stay: u32,
    /// Of those, escalated.
    pub needless: u32,
    /// Answered with an acceptable action.
    pub agreed: u32,
    /// Answered `offer`.
    pub offered: u32,
}

impl Tally {
    /// Adds one decision.
    pub fn add(&mut self, expect: Action, got: Action, agreed: bool) {
        self.total += 1;
        self.agreed += u32::from(agreed);
        self.offered += u32::from(got == Action::Offer);
        match expect {
            Action::Escalate => {
                self.must_escalate += 1;
                self.caught += u32::from(got == Action::Escalate);
            }
            Action::Stay => {
                self.should_stay += 1;
                self.needless += u32::from(got == Action::Escalate);
            }
            // Offers, and the two answers about a conversation a human
            // owns, count only towards agreement.
            _ => {}
        }
    }

    /// Share of must-escalate conversations escalated.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.caught, self.must_escalate)
    }

    /// Share of should-stay conversations escalated.
    pub fn needless_rate(&self) -> Option<f64> {
        ratio(self.needless, self.should_stay)
    }

    /// Share of conversations answered acceptably.
    pub fn agreement(&self) -> Option<f64> {
        ratio(self.agreed, self.total)
    }
}

fn ratio(n: u32, d: u32) -> Option<f64> {
    (d > 0).then(|| f64::from(n) / f64::from(d))
}

/// A conversation answered with an action its label does not accept.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    /// Its id.
    pub id: String,
    /// Where it was read from.
    pub origin: String,
    /// Its language.
    pub lang: String,
    /// Its category.
    pub category: String,
    /// The label.
    pub expect: Action,
    /// What the policy answered.
    pub got: Action,
    /// The reason codes the service gave.
    pub reasons: Vec<String>,
    /// Why the label is what it is.
    pub note: String,
}

/// The whole report.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Every conversation.
    pub overall: Tally,
    /// By language.
    pub by_lang: BTreeMap<String, Tally>,
    /// By category.
    pub by_category: BTreeMap<String, Tally>,
    /// The conversations answered unacceptably.
    pub misses: Vec<Miss>,
    /// Mean time to decide one conversation, in microseconds.
    pub mean_decision_us: f64,
    /// Mean time per customer message, in microseconds.
    pub mean_message_us: f64,
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

impl Report {
    /// The report as text, for a terminal.
    pub fn render(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        writeln!(
            out,
            "{:<26} {:>5} {:>6} {:>7} {:>6} {:>9} {:>9} {:>7}",
            "", "n", "must", "recall", "stay", "needless", "agreement", "offers"
        )?;
        let row = |out: &mut dyn std::io::Write, name: &str, t: &Tally| {
            writeln!(
                out,
                "{:<26} {:>5} {:>6} {:>7} {:>6} {:>9} {:>9} {:>7}",
                name,
                t.total,
                t.must_escalate,
                pct(t.recall()),
                t.should_stay,
                pct(t.needless_rate()),
                pct(t.agreement()),
                t.offered
            )
        };
        row(out, "all", &self.overall)?;
        for (lang, t) in &self.by_lang {
            row(out, &format!("lang {lang}"), t)?;
        }
        for (category, t) in &self.by_category {
            row(out, &format!("category {category}"), t)?;
        }
        writeln!(
            out,
            "cost: {:.0} µs per decision, {:.0} µs per customer message",
            self.mean_decision_us, self.mean_message_us
        )?;
        if !self.misses.is_empty() {
            writeln!(out, "\nmisses ({}):", self.misses.len())?;
            for m in &self.misses {
                let reasons = if m.reasons.is_empty() {
                    "no reason".to_owned()
                } else {
                    m.reasons.join(", ")
                };
                writeln!(
                    out,
                    "  {:<12} {}/{:<20} expected {:?}, got {:?} ({reasons})",
                    m.id, m.lang, m.category, m.expect, m.got
                )?;
                if !m.note.is_empty() {
                    writeln!(out, "               {}", m.note)?;
                }
            }
        }
        Ok(())
    }
}
