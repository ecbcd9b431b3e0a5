//! A report as people read it: a table for the terminal, or CSV
//! (`metric,value`, one row per number) for a spreadsheet.

use std::io::{self, Write};

use serde_json::Value;

use chrono::SecondsFormat;

use super::report::{Rate, Report};
use super::window::Bucket;

fn pct(r: &Rate) -> String {
    match r.rate {
        Some(x) => format!("{:.1}% ({}/{})", x * 100.0, r.count, r.of),
        None => "no data".to_owned(),
    }
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "no data".to_owned(), |x| format!("{x}"))
}

fn secs(v: Option<f64>) -> String {
    match v {
        None => "no data".to_owned(),
        Some(s) if s < 120.0 => format!("{s:.0} s"),
        Some(s) if s < 7200.0 => format!("{:.1} min", s / 60.0),
        Some(s) => format!("{:.1} h", s / 3600.0),
    }
}

/// Writes `report` as a readable table.
pub fn table(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let w = &report.window;
    writeln!(
        out,
        "Handoff KPIs {} .. {} (by {}){}{}",
        w.from.to_rfc3339_opts(SecondsFormat::Secs, true),
        w.to.to_rfc3339_opts(SecondsFormat::Secs, true),
        match w.bucket {
            Bucket::Day => "day",
            Bucket::Week => "week",
        },
        w.category
            .as_deref()
            .map(|c| format!(", category {c}"))
            .unwrap_or_default(),
        w.channel
            .as_deref()
            .map(|c| format!(", channel {c}"))
            .unwrap_or_default(),
    )?;
    if report.no_data {
        writeln!(
            out,
            "No conversation had a decision in this window: no data."
        )?;
        return Ok(());
    }
    let row = |out: &mut dyn Write, name: &str, value: String| -> io::Result<()> {
        writeln!(out, "  {name:<38} {value}")
    };
    writeln!(out, "\nVolume and resolution")?;
    row(out, "contacts", report.contacts.to_string())?;
    row(out, "AI resolution rate", pct(&report.ai_resolution))?;
    row(out, "escalation rate", pct(&report.escalation.escalated))?;
    row(out, "offered a human", pct(&report.escalation.offered))?;
    row(out, "handed off", pct(&report.escalation.handed_off))?;
    let n = &report.net_resolution;
    row(out, "resolved", pct(&n.resolved))?;
    row(
        out,
        &format!("net resolution rate ({} d reopen)", n.reopen_window_days),
        format!("{} — {} provisional", pct(&n.net_resolved), n.provisional),
    )?;

    writeln!(out, "\nCustomer satisfaction (latest CSAT, 1-5)")?;
    let c = &report.csat;
    for (name, r) in [
        ("overall", &c.overall),
        ("handoffs", &c.handoff),
        ("AI only", &c.ai_only),
    ] {
        row(
            out,
            name,
            format!(
                "mean {} of {} rated, satisfied {}",
                num(r.mean),
                r.rated,
                pct(&r.satisfied)
            ),
        )?;
    }
    row(out, "handoff gap (handoffs − overall)", num(c.gap))?;

    writeln!(out, "\nTime to a human (exact percentiles)")?;
    let t = &report.time_to_human;
    row(
        out,
        "escalated / assigned",
        format!("{} / {}", t.escalated, t.assigned),
    )?;
    row(
        out,
        "P50 / P90 / P99 / max",
        format!(
            "{} / {} / {} / {}",
            secs(t.p50_s),
            secs(t.p90_s),
            secs(t.p99_s),
            secs(t.max_s)
        ),
    )?;
    row(out, "still waiting", t.waiting.to_string())?;
    row(
        out,
        "closed before a human came",
        t.closed_without_human.to_string(),
    )?;

    writeln!(out, "\nRepeat handoffs")?;
    let r = &report.repeat_handoff;
    row(
        out,
        "ownership changes per handoff",
        format!(
            "{} over {} conversations{}",
            num(r.mean),
            r.conversations,
            if r.flagged {
                format!("  FLAG: above {}", r.flag_above)
            } else {
                String::new()
            }
        ),
    )?;
    row(out, "two changes or more", pct(&r.repeat))?;

    writeln!(out, "\nFirst reply after a handoff")?;
    let f = &report.first_reply;
    row(
        out,
        "scored / without text / pending",
        format!("{} / {} / {}", f.scored, f.without_text, f.pending),
    )?;
    row(out, "aware of the context", pct(&f.aware))?;
    row(out, "generic", pct(&f.generic))?;
    row(out, "asked to start over", pct(&f.restart))?;
    row(out, "mean score (0-1)", num(f.mean_score))?;
    for q in &f.by_queue {
        row(
            out,
            &format!("  queue {}", q.key),
            format!(
                "score {}, aware {}, restart {}",
                num(q.mean_score),
                pct(&q.aware),
                pct(&q.restart)
            ),
        )?;
    }

    writeln!(out, "\nAgent handle time")?;
    let u = &report.utilization;
    for (name, h) in [
        ("handed off", &u.handed_off),
        ("routed directly", &u.direct),
    ] {
        row(
            out,
            name,
            format!(
                "{} conversations ({} open), mean {}, P50 {}, P90 {}",
                h.conversations,
                h.open,
                secs(h.mean_s),
                secs(h.p50_s),
                secs(h.p90_s)
            ),
        )?;
    }
    row(out, "handed off ÷ direct", num(u.ratio))?;

    writeln!(out, "\nEscalations by reason (share carried)")?;
    for s in report.escalation.by_reason.iter().take(10) {
        row(
            out,
            &s.key,
            format!("{:.1}%  in {}", s.carried * 100.0, pct(&s.escalations)),
        )?;
    }
    writeln!(out, "\nEscalations by tag (share carried)")?;
    for s in &report.escalation.by_tag {
        row(out, &s.key, format!("{:.1}%", s.carried * 100.0))?;
    }

    writeln!(out, "\nTop categories driving handoffs")?;
    for t in &report.top_handoff_categories {
        row(out, &t.category, pct(&t.share))?;
    }
    writeln!(out, "\nTop categories driving repeat handoffs")?;
    for t in &report.top_repeat_handoff_categories {
        row(out, &t.category, pct(&t.share))?;
    }

    writeln!(out, "\nEscalation rate by category over time")?;
    for c in &report.trend.categories {
        let rates: Vec<String> = c
            .rates
            .iter()
            .map(|r| r.map_or_else(|| "  -  ".to_owned(), |x| format!("{:>4.0}%", x * 100.0)))
            .collect();
        writeln!(
            out,
            "  {:<20} {}  slope {}{}",
            c.category,
            rates.join(" "),
            num(c.slope),
            if c.flagged { "  NOT IMPROVING" } else { "" }
        )?;
    }
    if !report.trend.improvement_targets.is_empty() {
        writeln!(
            out,
            "  improvement targets: {}",
            report.trend.improvement_targets.join(", ")
        )?;
    }

    writeln!(out, "\nRules: escalations carried and reviewers' verdicts")?;
    for r in &report.rules {
        writeln!(
            out,
            "  {:<30} {:>6} escalations, {} reviewed: correct {}, unnecessary {}; missed {}",
            r.rule,
            r.escalations,
            r.reviewed,
            pct(&r.correct),
            pct(&r.unnecessary),
            r.missed
        )?;
    }

    let sh = &report.shadow;
    // Only where shadow rules ran: most deployments never configure one.
    if sh.decisions_with_shadow > 0 {
        writeln!(out, "\nShadow rules (would-be effect on live traffic)")?;
        row(
            out,
            "decisions with a shadow evaluation",
            sh.decisions_with_shadow.to_string(),
        )?;
        row(
            out,
            "would have changed the action",
            pct(&Rate {
                count: sh.flips,
                of: sh.decisions_with_shadow,
                rate: sh.flip_rate,
            }),
        )?;
        let e = &sh.escalation_rate;
        row(
            out,
            "escalation rate, enforced → would-be",
            format!(
                "{} → {} ({} points)",
                pct(&e.enforced),
                pct(&e.would_be),
                e.delta_points
                    .map_or_else(|| "no data".to_owned(), |d| format!("{d:+.1}"))
            ),
        )?;
        for t in &sh.transitions {
            row(
                out,
                &format!("  {} → {}", t.from, t.to),
                t.count.to_string(),
            )?;
        }
        for c in &sh.by_category {
            row(
                out,
                &format!("  category {}", c.category),
                format!(
                    "{} decisions, {} flipped, escalations {} → {}",
                    c.decisions, c.flips, c.escalations, c.would_be_escalations
                ),
            )?;
        }
    }
    Ok(())
}

/// Writes `report` as CSV: `metric,value`, one row per number, metric
/// names the JSON path (`csat.handoff.mean`), list items named by their
/// key (`by_category[billing].escalation.rate`).
pub fn csv(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let value = serde_json::to_value(report).map_err(io::Error::other)?;
    writeln!(out, "metric,value")?;
    flatten("", &value, out)
}

fn flatten(path: &str, v: &Value, out: &mut dyn Write) -> io::Result<()> {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten(&p, v, out)?;
            }
            Ok(())
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let name = ["key", "category", "rule"]
                    .iter()
                    .find_map(|k| item.get(*k).and_then(Value::as_str))
                    .map(str::to_owned)
                    .or_else(|| transition(item))
                    .unwrap_or_else(|| i.to_string());
                flatten(&format!("{path}[{name}]"), item, out)?;
            }
            Ok(())
        }
        Value::Null => writeln!(out, "{},", quote(path)),
        Value::String(s) => writeln!(out, "{},{}", quote(path), quote(s)),
        other => writeln!(out, "{},{other}", quote(path)),
    }
}

/// A shadow transition is named by its pair of actions (`stay->escalate`):
/// its position would change from one report to the next.
fn transition(item: &Value) -> Option<String> {
    let from = item.get("from")?.as_str()?;
    let to = item.get("to")?.as_str()?;
    Some(format!("{from}->{to}"))
}

/// A CSV field, quoted when it must be. A value a spreadsheet would read as
/// a formula (a category or agent name starting with `=`, `+`, `-`, `@`)
/// is prefixed with `'`: names come from requests and events.
fn quote(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}
