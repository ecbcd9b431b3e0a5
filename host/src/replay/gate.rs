//! `--fail-if` thresholds: a rule change fails CI when its replay crosses
//! a limit the ops team set, such as `escalation_rate_up>2`.
//!
//! Every metric is oriented so that a bigger number is the direction people
//! worry about (`recall_down`, not `recall_delta`), so a limit almost always
//! reads `METRIC>N`; `<` exists for the few that are good news, such as
//! `missed_caught<1`. A metric without data never fails a gate: it says so
//! in a note instead, since neither passing nor failing would be true.

use std::fmt;
use std::str::FromStr;

use super::report::Report;

/// What a metric counts in, for parsing and printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A number of decisions or conversations.
    Count,
    /// A percentage, 0–100.
    Percent,
    /// A difference of percentages, in points.
    Points,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Percent => "percent",
            Unit::Points => "points",
        }
    }

    fn show(self, x: f64) -> String {
        match self {
            Unit::Count => format!("{x}"),
            Unit::Percent => format!("{x}%"),
            Unit::Points => format!("{x} pts"),
        }
    }
}

/// A number a threshold can be set on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Decisions whose action changes.
    Flips,
    /// Share of decisions whose action changes.
    FlipRate,
    /// Rise of the escalation rate.
    EscalationRateUp,
    /// Fall of the escalation rate.
    EscalationRateDown,
    /// Rise of the offer rate.
    OfferRateUp,
    /// Fall of the offer rate.
    OfferRateDown,
    /// Decisions newly escalating.
    EscalationsUp,
    /// Decisions no longer escalating.
    EscalationsDown,
    /// Escalations reviewers judged correct that the candidate drops.
    CorrectLost,
    /// Escalations reviewers judged unnecessary that the candidate drops.
    UnnecessaryDropped,
    /// Escalations reviewers said were missed that the candidate makes.
    MissedCaught,
    /// Fall of precision on reviewed decisions.
    PrecisionDown,
    /// Fall of recall on reviewed decisions.
    RecallDown,
    /// Conversations whose first escalation comes later.
    EscalatedLater,
    /// Conversations the baseline escalated and the candidate never does.
    NoLongerEscalated,
    /// Share of decisions with the same action.
    ActionReproduced,
    /// Share of comparable votes that are identical.
    VoteReproduced,
}

/// Where a metric's data comes from, to explain its absence.
#[derive(Clone, Copy)]
enum Basis {
    Decisions,
    Review,
    Precision,
    Recall,
    Timing,
    Votes,
}

impl Basis {
    fn missing(self, r: &Report) -> &'static str {
        match self {
            // With nothing reviewed, that is the cause worth naming.
            Basis::Precision | Basis::Recall if r.review.reviewed == 0 => Basis::Review.missing(r),
            Basis::Decisions => "no decision was replayed",
            Basis::Review => "no replayed decision has a reviewer's verdict",
            Basis::Precision => {
                "precision is undefined: a side escalated none of the reviewed decisions"
            }
            Basis::Recall => "recall is undefined: no reviewed decision should have escalated",
            Basis::Timing => "no conversation has two or more replayed decisions",
            Basis::Votes => "no vote could be compared",
        }
    }
}

fn points(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl Metric {
    /// Every metric, in the order help lists them.
    pub const ALL: [Metric; 17] = [
        Metric::Flips,
        Metric::FlipRate,
        Metric::EscalationRateUp,
        Metric::EscalationRateDown,
        Metric::OfferRateUp,
        Metric::OfferRateDown,
        Metric::EscalationsUp,
        Metric::EscalationsDown,
        Metric::CorrectLost,
        Metric::UnnecessaryDropped,
        Metric::MissedCaught,
        Metric::PrecisionDown,
        Metric::RecallDown,
        Metric::EscalatedLater,
        Metric::NoLongerEscalated,
        Metric::ActionReproduced,
        Metric::VoteReproduced,
    ];

    /// The name used in `--fail-if`.
    pub fn name(self) -> &'static str {
        self.spec().0
    }

    /// What it counts in.
    pub fn unit(self) -> Unit {
        self.spec().1
    }

    /// One line saying what it measures.
    pub fn description(self) -> &'static str {
        self.spec().2
    }

    fn spec(self) -> (&'static str, Unit, &'static str, Basis) {
        use Basis as B;
        use Unit::*;
        match self {
            Metric::Flips => (
                "flips",
                Count,
                "decisions whose action changes",
                B::Decisions,
            ),
            Metric::FlipRate => (
                "flip_rate",
                Percent,
                "share of decisions whose action changes",
                B::Decisions,
            ),
            Metric::EscalationRateUp => (
                "escalation_rate_up",
                Points,
                "rise of the escalation rate",
                B::Decisions,
            ),
            Metric::EscalationRateDown => (
                "escalation_rate_down",
                Points,
                "fall of the escalation rate",
                B::Decisions,
            ),
            Metric::OfferRateUp => (
                "offer_rate_up",
                Points,
                "rise of the rate of offering a human",
                B::Decisions,
            ),
            Metric::OfferRateDown => (
                "offer_rate_down",
                Points,
                "fall of the rate of offering a human",
                B::Decisions,
            ),
            Metric::EscalationsUp => (
                "escalations_up",
                Count,
                "decisions that escalate with the candidate and did not before",
                B::Decisions,
            ),
            Metric::EscalationsDown => (
                "escalations_down",
                Count,
                "decisions that escalated before and no longer do",
                B::Decisions,
            ),
            Metric::CorrectLost => (
                "correct_lost",
                Count,
                "escalations reviewers judged correct that the candidate drops",
                B::Review,
            ),
            Metric::UnnecessaryDropped => (
                "unnecessary_dropped",
                Count,
                "escalations reviewers judged unnecessary that the candidate drops",
                B::Review,
            ),
            Metric::MissedCaught => (
                "missed_caught",
                Count,
                "escalations reviewers said were missed that the candidate makes",
                B::Review,
            ),
            Metric::PrecisionDown => (
                "precision_down",
                Points,
                "fall of precision against reviewers' verdicts",
                B::Precision,
            ),
            Metric::RecallDown => (
                "recall_down",
                Points,
                "fall of recall against reviewers' verdicts",
                B::Recall,
            ),
            Metric::EscalatedLater => (
                "escalated_later",
                Count,
                "conversations whose first escalation comes later",
                B::Timing,
            ),
            Metric::NoLongerEscalated => (
                "no_longer_escalated",
                Count,
                "conversations the baseline escalated and the candidate never does",
                B::Timing,
            ),
            Metric::ActionReproduced => (
                "action_reproduced",
                Percent,
                "share of decisions with the same action (100 with unchanged rules)",
                B::Decisions,
            ),
            Metric::VoteReproduced => (
                "vote_reproduced",
                Percent,
                "share of comparable votes that are identical (100 with unchanged rules)",
                B::Votes,
            ),
        }
    }

    /// The metric's value in `report`, or `None` when the report has no
    /// data for it.
    pub fn value(self, r: &Report) -> Option<f64> {
        let count = |n: u64, has: bool| has.then_some(n as f64);
        let decided = r.decisions > 0;
        let reviewed = r.review.reviewed > 0;
        let timed = r.timing.conversations > 0;
        let down = |d: Option<f64>| d.map(|x| points(-x) + 0.0);
        // Shares a gate compares are taken from the counts, unrounded: one
        // flip in 30 000 decisions must not read as 100% reproduced.
        let exact = |part: u64, of: u64| (of > 0).then(|| part as f64 * 100.0 / of as f64);
        let repro = &r.reproduced;
        match self {
            Metric::Flips => count(r.flips.count, decided),
            Metric::FlipRate => exact(r.flips.count, r.decisions),
            Metric::EscalationRateUp => r.escalation_rate.delta_points,
            Metric::EscalationRateDown => down(r.escalation_rate.delta_points),
            Metric::OfferRateUp => r.offer_rate.delta_points,
            Metric::OfferRateDown => down(r.offer_rate.delta_points),
            Metric::EscalationsUp => count(r.escalations_up, decided),
            Metric::EscalationsDown => count(r.escalations_down, decided),
            Metric::CorrectLost => count(r.review.correct_lost, reviewed),
            Metric::UnnecessaryDropped => count(r.review.unnecessary_dropped, reviewed),
            Metric::MissedCaught => count(r.review.missed_caught, reviewed),
            Metric::PrecisionDown => down(r.review.precision_delta_points),
            Metric::RecallDown => down(r.review.recall_delta_points),
            Metric::EscalatedLater => count(r.timing.later.count, timed),
            Metric::NoLongerEscalated => count(r.timing.only_baseline, timed),
            Metric::ActionReproduced => exact(r.decisions - r.flips.count, r.decisions),
            Metric::VoteReproduced => exact(
                repro.votes_identical,
                repro.votes_total - repro.timing_dependent,
            ),
        }
    }

    /// Looks a metric up by name; `-` may stand for `_` and case is
    /// ignored, since both are easy slips on a command line.
    pub fn from_name(name: &str) -> Option<Metric> {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The list of metrics, one per line, for `--help` and error messages.
pub fn help() -> String {
    let width = Metric::ALL
        .iter()
        .map(|m| m.name().len())
        .max()
        .unwrap_or(0);
    let mut out = String::from(
        "--fail-if METRIC OP NUMBER, OP one of >, >=, <, <= (e.g. escalation_rate_up>2):\n",
    );
    for m in Metric::ALL {
        out.push_str(&format!(
            "  {:width$}  {:7}  {}\n",
            m.name(),
            m.unit().name(),
            m.description()
        ));
    }
    out
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Op::Gt => "above",
            Op::Ge => "at or above",
            Op::Lt => "below",
            Op::Le => "at or below",
        }
    }

    fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Op::Gt => value > limit,
            Op::Ge => value >= limit,
            Op::Lt => value < limit,
            Op::Le => value <= limit,
        }
    }
}

/// Why a `--fail-if` expression could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    /// No comparison in it.
    #[error(
        "`{0}` has no comparison: write METRIC OP NUMBER with OP one of >, >=, <, <= (e.g. flip_rate>5)"
    )]
    MissingOperator(String),
    /// A comparison other than the four known.
    #[error("`{op}` in `{input}` is not a comparison: use one of >, >=, <, <=")]
    BadOperator {
        /// The operator as written.
        op: String,
        /// The whole expression.
        input: String,
    },
    /// Nothing before the comparison.
    #[error("`{0}` names no metric; known metrics: {known}", known = known())]
    MissingMetric(String),
    /// A name that is not a metric.
    #[error("unknown metric `{name}`; known metrics: {known}", known = known())]
    UnknownMetric {
        /// The name as written.
        name: String,
    },
    /// Not a finite number after the comparison.
    #[error("`{number}` in `{input}` is not a number (write e.g. {metric}>2.5)")]
    BadNumber {
        /// The number as written.
        number: String,
        /// The whole expression.
        input: String,
        /// The metric, for the example.
        metric: &'static str,
    },
}

fn known() -> String {
    Metric::ALL.map(Metric::name).join(", ")
}

/// A limit such as `flip_rate>5`: the replay fails when it holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// What is measured.
    pub metric: Metric,
    /// How it is compared.
    pub op: Op,
    /// The limit, in the metric's unit.
    pub limit: f64,
}

impl FromStr for Threshold {
    type Err = ThresholdError;

    fn from_str(input: &str) -> Result<Threshold, ThresholdError> {
        let s = input.trim();
        let is_op = |c: char| matches!(c, '<' | '>' | '=' | '!');
        let at = s
            .find(is_op)
            .ok_or_else(|| ThresholdError::MissingOperator(input.to_owned()))?;
        let rest = &s[at..];
        // Operator characters are ASCII, so a char count is a byte offset.
        let len = rest.chars().take_while(|&c| is_op(c)).count();
        let op = match &rest[..len] {
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "<" => Op::Lt,
            "<=" => Op::Le,
            other => {
                return Err(ThresholdError::BadOperator {
                    op: other.to_owned(),
                    input: input.to_owned(),
                });
            }
        };
        let name = s[..at].trim();
        if name.is_empty() {
            return Err(ThresholdError::MissingMetric(input.to_owned()));
        }
        let metric = Metric::from_name(name).ok_or_else(|| ThresholdError::UnknownMetric {
            name: name.to_owned(),
        })?;
        let number = rest[len..].trim();
        // `5%` reads naturally for a percentage; accept it there only.
        let digits = match number.strip_suffix('%') {
            Some(d) if metric.unit() == Unit::Percent => d.trim_end(),
            _ => number,
        };
        let limit = digits
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| ThresholdError::BadNumber {
                number: number.to_owned(),
                input: input.to_owned(),
                metric: metric.name(),
            })?;
        Ok(Threshold { metric, op, limit })
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.metric, self.op.symbol(), self.limit)
    }
}

/// A threshold the report crosses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Breach {
    /// The threshold crossed.
    pub threshold: Threshold,
    /// The metric's value in the report.
    pub value: f64,
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.threshold;
        let unit = t.metric.unit();
        write!(
            f,
            "{} is {}, {} the limit of {} ({}): --fail-if {}",
            t.metric,
            // Compared unrounded, shown as the report shows it.
            unit.show((self.value * 100.0).round() / 100.0),
            t.op.words(),
            unit.show(t.limit),
            t.metric.description(),
            t
        )
    }
}

/// The thresholds `report` crosses, in the order given.
pub fn check(report: &Report, thresholds: &[Threshold]) -> Vec<Breach> {
    thresholds
        .iter()
        .filter_map(|&threshold| {
            let value = threshold.metric.value(report)?;
            threshold
                .op
                .holds(value, threshold.limit)
                .then_some(Breach { threshold, value })
        })
        .collect()
}

/// One note per threshold that could not be checked for want of data;
/// such a threshold is neither passed nor failed.
pub fn notes(report: &Report, thresholds: &[Threshold]) -> Vec<String> {
    thresholds
        .iter()
        .filter(|t| t.metric.value(report).is_none())
        .map(|t| {
            format!(
                "--fail-if {t} not checked: {}",
                t.metric.spec().3.missing(report)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::replay::case::Case;
    use crate::replay::report::tests::six;
    use crate::replay::report::{Options, compare};

    fn parse(s: &str) -> Threshold {
        s.parse().unwrap()
    }

    fn report() -> Report {
        compare(&six(), &BTreeMap::new(), &Options::default())
    }

    #[test]
    fn parses_with_or_without_spaces() {
        let t = parse(" escalation_rate_up > 2 ");
        assert_eq!(
            t,
            Threshold {
                metric: Metric::EscalationRateUp,
                op: Op::Gt,
                limit: 2.0
            }
        );
        assert_eq!(parse("flips>=10").op, Op::Ge);
        assert_eq!(parse("missed_caught<1").op, Op::Lt);
        assert_eq!(parse("Recall-Down<=1.5").metric, Metric::RecallDown);
        assert_eq!(parse("flip_rate>5%").limit, 5.0);
        assert_eq!(parse("escalation_rate_up>-1").limit, -1.0);
        assert_eq!(parse("flip_rate>5").to_string(), "flip_rate>5");
    }

    #[test]
    fn parse_errors_say_what_is_wrong() {
        let err = |s: &str| s.parse::<Threshold>().unwrap_err();
        assert!(matches!(err("flips"), ThresholdError::MissingOperator(_)));
        assert!(matches!(err("flips=3"), ThresholdError::BadOperator { .. }));
        assert!(matches!(
            err("flips=>3"),
            ThresholdError::BadOperator { .. }
        ));
        assert!(matches!(err(">3"), ThresholdError::MissingMetric(_)));
        assert!(matches!(
            err("flips>lots"),
            ThresholdError::BadNumber { .. }
        ));
        assert!(matches!(err("flips>5%"), ThresholdError::BadNumber { .. }));
        assert!(matches!(
            err("flip_rate>NaN"),
            ThresholdError::BadNumber { .. }
        ));
        let unknown = err("escalation_up>2").to_string();
        assert!(unknown.contains("escalation_up"), "{unknown}");
        assert!(unknown.contains("escalation_rate_up"), "{unknown}");
        assert!(unknown.contains("recall_down"), "{unknown}");
    }

    #[test]
    fn every_metric_has_a_distinct_name_and_help_line() {
        let h = help();
        for m in Metric::ALL {
            assert_eq!(Metric::from_name(m.name()), Some(m));
            assert!(h.contains(m.name()) && h.contains(m.description()));
        }
    }

    #[test]
    fn breaches_on_the_six() {
        // flips 2 of 6 (33.33%), escalation rate unchanged, offer rate
        // +16.67 pts, correct_lost 0, missed_caught 1, recall +100 pts (so
        // recall_down is -100), later 1 conversation.
        let r = report();
        let ts: Vec<Threshold> = [
            "flips>=2",
            "flip_rate>33.33",
            "flip_rate>=33.33",
            "escalation_rate_up>0",
            "offer_rate_up>3",
            "correct_lost>0",
            "missed_caught<1",
            "recall_down>1",
            "escalated_later>0",
            "action_reproduced<100",
        ]
        .iter()
        .map(|s| parse(s))
        .collect();
        let hit: Vec<String> = check(&r, &ts)
            .iter()
            .map(|b| b.threshold.to_string())
            .collect();
        assert_eq!(
            hit,
            vec![
                "flips>=2",
                // 2 of 6 is 33.333…%, above 33.33 once taken unrounded.
                "flip_rate>33.33",
                "flip_rate>=33.33",
                "offer_rate_up>3",
                "escalated_later>0",
                "action_reproduced<100"
            ]
        );
        let b = check(&r, &[parse("flip_rate>5")]).remove(0);
        assert_eq!(
            b.to_string(),
            "flip_rate is 33.33%, above the limit of 5% \
             (share of decisions whose action changes): --fail-if flip_rate>5"
        );
        assert!(notes(&r, &ts).is_empty());
    }

    #[test]
    fn metrics_without_data_never_breach_and_say_so() {
        let empty = compare(&[], &BTreeMap::new(), &Options::default());
        let ts = [
            parse("flips<1"),
            parse("recall_down>-1000"),
            parse("action_reproduced<100"),
        ];
        assert!(check(&empty, &ts).is_empty());
        let n = notes(&empty, &ts);
        assert_eq!(n.len(), 3);
        assert!(n[0].contains("no decision was replayed"), "{n:?}");
        assert!(n[1].contains("reviewer"), "{n:?}");

        // Decisions but no reviews: review metrics still have no data.
        let mut cases = six();
        for c in &mut cases {
            c.verdict = None;
        }
        let r = compare(&cases, &BTreeMap::new(), &Options::default());
        assert!(check(&r, &[parse("missed_caught<1")]).is_empty());
        assert_eq!(notes(&r, &[parse("missed_caught<1")]).len(), 1);
    }

    #[test]
    fn one_flip_in_many_decisions_still_fails_a_zero_tolerance_gate() {
        let six = six();
        // One flipped decision (d2) among 30 001: rounded to 4 decimals its
        // share would read 0, and the log as 100% reproduced.
        let mut cases: Vec<Case> = std::iter::repeat_n(six[0].clone(), 30_000).collect();
        cases.push(six[1].clone());
        let r = compare(&cases, &BTreeMap::new(), &Options { sample: 0 });
        assert_eq!(r.flips.count, 1);
        let gates = [parse("flip_rate>0"), parse("action_reproduced<100")];
        assert_eq!(check(&r, &gates).len(), 2, "{:?}", check(&r, &gates));
    }
}
