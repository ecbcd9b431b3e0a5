//! A report as people read it: aligned text for a terminal, Markdown for a
//! pull request, or the report itself as JSON for tools.
//!
//! Text and Markdown are built from the same sections, so the two never
//! disagree on what is shown; only the layout of a table differs. Long
//! lists are cut to their top rows, since the JSON keeps every row for
//! anyone who needs them all.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use super::case::VoteFact;
use super::report::{Group, RateChange, Report, SampleCase, SampleSide, Shift, VoterChange};

/// Rows shown per grouped table before the rest is summarised.
const TOP: usize = 15;

/// How to print a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned plain text for a terminal.
    Text,
    /// Markdown tables, to paste in a pull request.
    Markdown,
    /// The report as pretty JSON.
    Json,
}

/// A format name that is not one of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown report format `{0}`: expected text, markdown (or md) or json")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Format, UnknownFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(Format::Text),
            "markdown" | "md" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            _ => Err(UnknownFormat(s.to_owned())),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Json => "json",
        })
    }
}

/// Prints `report` in `format`.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(report)
                .expect("a report serialises: its maps are keyed by strings");
            s.push('\n');
            s
        }
        Format::Text => layout(report, &Text),
        Format::Markdown => layout(report, &Markdown),
    }
}

fn pct(rate: Option<f64>) -> String {
    rate.map_or_else(|| "n/a".to_owned(), |r| format!("{:.2}%", r * 100.0))
}

fn pts(delta: Option<f64>) -> String {
    // Rounding can leave -0.0, which would print as a spurious "-0.00".
    delta.map_or_else(
        || "n/a".to_owned(),
        |d| format!("{:+.2} pts", if d == 0.0 { 0.0 } else { d }),
    )
}

fn signed(n: i128) -> String {
    if n == 0 {
        "0".to_owned()
    } else {
        format!("{n:+}")
    }
}

fn change(r: &RateChange) -> String {
    format!(
        "{} → {} ({})",
        pct(r.baseline),
        pct(r.candidate),
        pts(r.delta_points)
    )
}

fn duration(seconds: f64) -> String {
    match seconds.abs() {
        s if s < 120.0 => format!("{seconds:.0} s"),
        s if s < 7200.0 => format!("{:.1} min", seconds / 60.0),
        _ => format!("{:.1} h", seconds / 3600.0),
    }
}

fn shift(s: &Shift) -> String {
    match (s.mean_turns, s.mean_seconds) {
        (Some(t), Some(sec)) => format!(
            "{}, by {t:.1} turns / {} on average",
            s.count,
            duration(sec)
        ),
        _ => s.count.to_string(),
    }
}

fn vote(v: &VoteFact) -> String {
    let mut s = v.verdict.clone();
    if v.weight != 1.0 {
        let _ = write!(s, " ×{}", v.weight);
    }
    if v.hard {
        s.push_str(" hard");
    }
    if let Some(p) = v.priority {
        let _ = write!(s, " p{p}");
    }
    if !v.reason.is_empty() {
        let _ = write!(s, " ({})", v.reason);
    }
    if let Some(k) = &v.error_kind {
        let _ = write!(s, " [error: {k}]");
    }
    if v.shadow {
        s.push_str(" [shadow]");
    }
    s
}

/// A table in neutral form, laid out by a [`Style`].
struct Table {
    headers: Vec<&'static str>,
    /// Columns whose cells are numbers, aligned right in text.
    numeric: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(headers: &[&'static str], numeric: &[bool]) -> Table {
        Table {
            headers: headers.to_vec(),
            numeric: numeric.to_vec(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

/// What differs between text and Markdown.
trait Style {
    fn title(&self, out: &mut String, title: &str);
    /// The heading of one sampled case, a level below a title.
    fn subtitle(&self, out: &mut String, title: &str);
    fn line(&self, out: &mut String, text: &str);
    fn table(&self, out: &mut String, table: &Table);
}

struct Text;

impl Style for Text {
    fn title(&self, out: &mut String, title: &str) {
        let _ = writeln!(out, "\n{title}");
    }

    fn subtitle(&self, out: &mut String, title: &str) {
        let _ = writeln!(out, "\n  {title}");
    }

    fn line(&self, out: &mut String, text: &str) {
        let _ = writeln!(out, "{}", format!("  {text}").trim_end());
    }

    fn table(&self, out: &mut String, table: &Table) {
        let cols = table.headers.len();
        let mut width: Vec<usize> = table.headers.iter().map(|h| h.chars().count()).collect();
        for row in &table.rows {
            for (w, cell) in width.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |out: &mut String, cells: &mut dyn Iterator<Item = &str>| {
            let mut s = String::from("  ");
            for (i, cell) in cells.enumerate().take(cols) {
                let pad = width[i].saturating_sub(cell.chars().count());
                if i > 0 {
                    s.push_str("  ");
                }
                if table.numeric[i] {
                    s.extend(std::iter::repeat_n(' ', pad));
                    s.push_str(cell);
                } else {
                    s.push_str(cell);
                    s.extend(std::iter::repeat_n(' ', pad));
                }
            }
            let _ = writeln!(out, "{}", s.trim_end());
        };
        line(out, &mut table.headers.iter().copied());
        let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
        line(out, &mut rule.iter().map(String::as_str));
        for row in &table.rows {
            line(out, &mut row.iter().map(String::as_str));
        }
    }
}

struct Markdown;

fn md_cell(s: &str) -> String {
    // A pipe would end the cell and a newline the row.
    s.replace('|', "\\|").replace('\n', " ")
}

impl Style for Markdown {
    fn title(&self, out: &mut String, title: &str) {
        // Tables already end with a blank line; one is enough.
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        let _ = writeln!(out, "#### {title}\n");
    }

    fn subtitle(&self, out: &mut String, title: &str) {
        let _ = writeln!(out, "**{}**\n", md_cell(title));
    }

    fn line(&self, out: &mut String, text: &str) {
        // The trailing double space is Markdown's line break, so that
        // consecutive lines do not run together into one paragraph.
        if text.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{text}  ");
        }
    }

    fn table(&self, out: &mut String, table: &Table) {
        let cells = |row: &mut dyn Iterator<Item = String>| {
            format!("| {} |", row.collect::<Vec<_>>().join(" | "))
        };
        let _ = writeln!(
            out,
            "{}",
            cells(&mut table.headers.iter().map(|h| md_cell(h)))
        );
        let _ = writeln!(
            out,
            "{}",
            cells(
                &mut table
                    .numeric
                    .iter()
                    .map(|&n| if n { "---:" } else { "---" }.to_owned())
            )
        );
        for row in &table.rows {
            let _ = writeln!(out, "{}", cells(&mut row.iter().map(|c| md_cell(c))));
        }
        // Without a blank line, a following line of text would be read as
        // one more row of the table.
        out.push('\n');
    }
}

/// The one-line answer to "what would this change do?".
fn headline(r: &Report) -> String {
    if r.decisions == 0 {
        return "No decisions were replayed.".to_owned();
    }
    format!(
        "{} of {} decisions ({}) would change; escalation rate {}",
        r.flips.count,
        r.decisions,
        pct(r.flips.rate),
        change(&r.escalation_rate)
    )
}

fn groups(style: &dyn Style, out: &mut String, title: &str, column: &'static str, gs: &[Group]) {
    let changed: Vec<&Group> = gs.iter().filter(|g| g.flips > 0).collect();
    if changed.is_empty() {
        return;
    }
    style.title(out, title);
    let mut t = Table::new(
        &[
            column,
            "decisions",
            "flips",
            "escalation rate",
            "up",
            "down",
        ],
        &[false, true, true, false, true, true],
    );
    for g in changed.iter().take(TOP) {
        t.row(vec![
            g.value.clone(),
            g.decisions.to_string(),
            g.flips.to_string(),
            change(&g.escalation_rate),
            g.up.to_string(),
            g.down.to_string(),
        ]);
    }
    style.table(out, &t);
    let rest = gs.len() - changed.len().min(TOP);
    if rest > 0 {
        style.line(
            out,
            &format!("… and {rest} more without changes or below the top {TOP}"),
        );
    }
}

fn voters(
    style: &dyn Style,
    out: &mut String,
    title: &str,
    column: &'static str,
    vs: &[&VoterChange],
) {
    if vs.is_empty() {
        return;
    }
    style.title(out, title);
    let mut t = Table::new(
        &[column, "votes", "changed", "in flips", "timing-dependent"],
        &[false, true, true, true, true],
    );
    for v in vs {
        t.row(vec![
            v.source.clone(),
            v.votes.to_string(),
            v.votes_changed.to_string(),
            v.flips_with_change.to_string(),
            v.timing_dependent.to_string(),
        ]);
    }
    style.table(out, &t);
}

fn sample_side_rows(t: &mut Table, b: &SampleSide, c: &SampleSide) {
    let list = |rs: &[String]| {
        if rs.is_empty() {
            "—".to_owned()
        } else {
            rs.join(", ")
        }
    };
    t.row(vec!["action".into(), b.action.clone(), c.action.clone()]);
    t.row(vec![
        "priority".into(),
        b.priority.to_string(),
        c.priority.to_string(),
    ]);
    t.row(vec!["reasons".into(), list(&b.reasons), list(&c.reasons)]);
    if b.shadow_action.is_some() || c.shadow_action.is_some() {
        let s = |x: &Option<String>| x.clone().unwrap_or_else(|| "—".to_owned());
        t.row(vec![
            "shadow action".into(),
            s(&b.shadow_action),
            s(&c.shadow_action),
        ]);
    }
    // Pair differing votes by voter so that each row reads across.
    let mut taken = vec![false; c.votes.len()];
    for bv in &b.votes {
        let other = c
            .votes
            .iter()
            .enumerate()
            .find(|(i, cv)| !taken[*i] && cv.source == bv.source);
        let right = match other {
            Some((i, cv)) => {
                taken[i] = true;
                vote(cv)
            }
            None => "—".to_owned(),
        };
        t.row(vec![bv.source.clone(), vote(bv), right]);
    }
    for (cv, _) in c.votes.iter().zip(&taken).filter(|(_, t)| !**t) {
        t.row(vec![cv.source.clone(), "—".to_owned(), vote(cv)]);
    }
}

fn sample_case(style: &dyn Style, out: &mut String, s: &SampleCase) {
    let mut about = vec![format!("conversation {}", s.conversation_id)];
    about.push(format!(
        "{} / {}",
        s.category.as_deref().unwrap_or("(no category)"),
        s.customer_tier.as_deref().unwrap_or("(no tier)")
    ));
    if let Some(ch) = &s.channel {
        about.push(ch.clone());
    }
    about.push(format!("turn {}", s.turn));
    about.push(s.at.format("%Y-%m-%d %H:%M:%S UTC").to_string());
    if let Some(v) = &s.verdict {
        about.push(format!("reviewed: {v}"));
    }
    style.subtitle(out, &format!("{} · {}", s.decision_id, about.join(" · ")));
    let mut t = Table::new(&["", "baseline", "candidate"], &[false, false, false]);
    sample_side_rows(&mut t, &s.baseline, &s.candidate);
    style.table(out, &t);
}

fn layout(r: &Report, style: &dyn Style) -> String {
    let mut out = String::new();
    style.title(&mut out, "Replay: baseline vs candidate rules");
    style.line(&mut out, &headline(r));
    if r.decisions > 0 {
        style.line(
            &mut out,
            &format!(
                "{} conversations; escalations: {} new, {} dropped; offer rate {}",
                r.conversations,
                r.escalations_up,
                r.escalations_down,
                change(&r.offer_rate)
            ),
        );
        let p = &r.reproduced;
        style.line(
            &mut out,
            &format!(
                "reproduced: {} of actions, {} of votes, {} of decisions identical{}",
                pct(p.action_rate),
                pct(p.vote_rate),
                pct(p.decision_rate),
                if p.timing_dependent > 0 {
                    format!(
                        " ({} timing-dependent votes not compared)",
                        p.timing_dependent
                    )
                } else {
                    String::new()
                }
            ),
        );
    }
    if !r.skipped.is_empty() {
        let total: u64 = r.skipped.values().sum();
        let each: Vec<String> = r.skipped.iter().map(|(k, v)| format!("{k} {v}")).collect();
        style.line(
            &mut out,
            &format!("skipped {total} records: {}", each.join(", ")),
        );
    }
    if r.decisions == 0 {
        return out;
    }

    style.title(&mut out, "Actions");
    let mut t = Table::new(
        &["action", "baseline", "candidate", "change"],
        &[false, true, true, true],
    );
    let order = ["escalate", "offer", "stay", "hand_back", "stay_with_human"];
    let mut names: Vec<&String> = r.actions.keys().collect();
    // Known actions in the order of their weight, unknown ones after.
    names.sort_by_key(|a| (order.iter().position(|o| o == a).unwrap_or(order.len()), *a));
    for a in names {
        let c = &r.actions[a];
        t.row(vec![
            a.clone(),
            c.baseline.to_string(),
            c.candidate.to_string(),
            signed(i128::from(c.candidate) - i128::from(c.baseline)),
        ]);
    }
    style.table(&mut out, &t);

    if r.transitions.is_empty() {
        style.title(&mut out, "No decision changes action.");
    } else {
        style.title(&mut out, "Changes of action");
        let mut t = Table::new(&["from", "to", "decisions"], &[false, false, true]);
        for tr in &r.transitions {
            t.row(vec![tr.from.clone(), tr.to.clone(), tr.count.to_string()]);
        }
        style.table(&mut out, &t);
    }

    groups(style, &mut out, "By category", "category", &r.by_category);
    groups(
        style,
        &mut out,
        "By customer tier",
        "customer tier",
        &r.by_customer_tier,
    );

    if !r.by_reason.is_empty() {
        style.title(&mut out, "Reasons behind escalations gained and lost");
        let mut t = Table::new(&["reason", "gained", "lost"], &[false, true, true]);
        for x in r.by_reason.iter().take(TOP) {
            t.row(vec![
                x.code.clone(),
                x.gained.to_string(),
                x.lost.to_string(),
            ]);
        }
        style.table(&mut out, &t);
        if r.by_reason.len() > TOP {
            style.line(&mut out, &format!("… and {} more", r.by_reason.len() - TOP));
        }
    }

    let plugins: Vec<&VoterChange> = r.by_plugin.iter().collect();
    voters(style, &mut out, "Plugins", "plugin", &plugins);
    // Built-ins are many and mostly steady: only those that moved.
    let triggers: Vec<&VoterChange> = r
        .by_trigger
        .iter()
        .filter(|v| v.votes_changed > 0 || v.timing_dependent > 0)
        .collect();
    voters(
        style,
        &mut out,
        "Built-in triggers that changed",
        "trigger",
        &triggers,
    );

    let tm = &r.timing;
    if tm.conversations > 0 {
        style.title(
            &mut out,
            &format!(
                "First escalation ({} conversations with 2+ decisions)",
                tm.conversations
            ),
        );
        let mut t = Table::new(&["candidate escalates", "conversations"], &[false, false]);
        t.row(vec!["earlier".into(), shift(&tm.earlier)]);
        t.row(vec!["later".into(), shift(&tm.later)]);
        t.row(vec!["at the same decision".into(), tm.same.to_string()]);
        t.row(vec![
            "never (baseline did)".into(),
            tm.only_baseline.to_string(),
        ]);
        t.row(vec![
            "only the candidate".into(),
            tm.only_candidate.to_string(),
        ]);
        t.row(vec!["neither escalates".into(), tm.neither.to_string()]);
        style.table(&mut out, &t);
    }

    let v = &r.review;
    if v.reviewed > 0 {
        style.title(
            &mut out,
            &format!("Against reviewers' verdicts ({} reviewed)", v.reviewed),
        );
        let mut t = Table::new(
            &["", "baseline", "candidate", "change"],
            &[false, true, true, true],
        );
        t.row(vec![
            "precision".into(),
            pct(v.baseline.precision),
            pct(v.candidate.precision),
            pts(v.precision_delta_points),
        ]);
        t.row(vec![
            "recall".into(),
            pct(v.baseline.recall),
            pct(v.candidate.recall),
            pts(v.recall_delta_points),
        ]);
        let cm = |c: &super::report::Confusion| format!("{}/{}/{}/{}", c.tp, c.fp, c.fn_, c.tn);
        t.row(vec![
            "TP/FP/FN/TN".into(),
            cm(&v.baseline),
            cm(&v.candidate),
            String::new(),
        ]);
        style.table(&mut out, &t);
        style.line(
            &mut out,
            &format!(
                "correct escalations lost: {}; unnecessary escalations dropped: {}; missed escalations caught: {}",
                v.correct_lost, v.unnecessary_dropped, v.missed_caught
            ),
        );
    }

    if !r.sample.is_empty() {
        style.title(
            &mut out,
            &format!(
                "Sample: {} of {} changed decisions (votes shown only where they differ)",
                r.sample.len(),
                r.flips.count
            ),
        );
        for s in &r.sample {
            sample_case(style, &mut out, s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::replay::report::tests::six;
    use crate::replay::report::{Options, compare};

    fn report() -> Report {
        compare(&six(), &BTreeMap::new(), &Options::default())
    }

    #[test]
    fn parses_formats() {
        assert_eq!("md".parse::<Format>(), Ok(Format::Markdown));
        assert_eq!(" JSON ".parse::<Format>(), Ok(Format::Json));
        assert_eq!("text".parse::<Format>(), Ok(Format::Text));
        let err = "html".parse::<Format>().unwrap_err().to_string();
        assert!(err.contains("html") && err.contains("markdown"), "{err}");
    }

    #[test]
    fn text_has_the_headline_and_the_sections() {
        let out = render(&report(), Format::Text);
        assert!(
            out.contains("2 of 6 decisions (33.33%) would change; escalation rate 50.00% → 50.00% (+0.00 pts)"),
            "{out}"
        );
        for part in [
            "Changes of action",
            "escalate  offer",
            "By category",
            "low_confidence",
            "vip",
            "First escalation",
            "precision",
            "+100.00 pts",
            "d2 · conversation a",
            "(stay_reason)",
        ] {
            assert!(out.contains(part), "missing {part:?} in\n{out}");
        }
        // Nothing changed among built-ins, so they are not listed.
        assert!(!out.contains("Built-in triggers"), "{out}");
    }

    #[test]
    fn markdown_has_tables_and_the_headline() {
        let out = render(&report(), Format::Markdown);
        assert!(
            out.contains("2 of 6 decisions (33.33%) would change"),
            "{out}"
        );
        assert!(
            out.contains("| action | baseline | candidate | change |"),
            "{out}"
        );
        assert!(out.contains("| --- | ---: | ---: | ---: |"), "{out}");
        assert!(out.contains("| escalate | offer | 1 |"), "{out}");
    }

    #[test]
    fn empty_report_renders_without_nan() {
        let r = compare(&[], &BTreeMap::new(), &Options::default());
        for f in [Format::Text, Format::Markdown, Format::Json] {
            let out = render(&r, f);
            assert!(!out.contains("NaN"), "{out}");
        }
        assert!(render(&r, Format::Text).contains("No decisions were replayed."));
    }

    #[test]
    fn json_round_trips() {
        let r = report();
        let back: Report = serde_json::from_str(&render(&r, Format::Json)).unwrap();
        assert_eq!(back, r);
    }
}
