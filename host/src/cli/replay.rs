//! `escalator replay`: logged conversations decided again with a candidate
//! rule set, and what would change, as a report an ops team reads or gates
//! its CI on.

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;

use super::store::{flag_time, open_existing};
use crate::config::Config;
use crate::plugin::Runtime;
use crate::replay::gate::{self, Threshold};
use crate::replay::render::{Format, render};
use crate::replay::report::{Options, compare};
use crate::replay::run::{Rules, Workers};
use crate::replay::session::{self, Progress, Replayed, Selection};

/// Everything `escalator replay` is given.
pub struct Args<'a> {
    /// The live config: its store, and the rules that decided (the
    /// baseline of bare requests).
    pub config: Option<&'a Path>,
    /// The live plugins directory, when the server ran with `--plugins`.
    pub plugins: Option<&'a Path>,
    /// The candidate config (default: the live one).
    pub candidate: Option<&'a Path>,
    /// The candidate plugins directory (default: the candidate config's).
    pub candidate_plugins: Option<&'a Path>,
    /// A file of conversations instead of the store.
    pub file: Option<&'a Path>,
    /// The store's decisions to replay.
    pub since: Option<&'a str>,
    /// See [`Selection`].
    pub until: Option<&'a str>,
    /// The filters of [`Selection`], the times aside.
    pub selection: Selection,
    /// How to print the report.
    pub format: Format,
    /// Flipped decisions shown in full.
    pub sample: usize,
    /// Thresholds that fail the run.
    pub fail_if: &'a [Threshold],
    /// Worker threads (default: one per core).
    pub jobs: Option<usize>,
    /// Draw a progress bar on standard error (only on a terminal).
    pub progress: bool,
}

/// Runs the replay of `args`, writing the report to `out`; exit code 1
/// when a `--fail-if` threshold is crossed.
pub fn run(args: Args<'_>, out: &mut dyn Write) -> anyhow::Result<i32> {
    let live = match args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let runtime = Runtime::new(live.cache_dir.clone())?;
    // A replay brings a thread per core of its own.
    runtime.solo();
    let live_dir = plugins_dir(args.plugins, args.config.map(|_| &live));
    let baseline =
        Rules::load(&live, live_dir.clone(), runtime.clone()).context("the live rules")?;
    let candidate = match (args.candidate, args.candidate_plugins) {
        (None, None) => baseline.clone(),
        (path, dir) => {
            let config = match path {
                Some(p) => Config::load(p)
                    .with_context(|| format!("the candidate config {}", p.display()))?,
                None => live.clone(),
            };
            // The candidate's plugins: `--candidate-plugins`, else the live
            // `--plugins` (a server started with it ignored its config's
            // directory, and so does its candidate), else the candidate
            // config's own directory.
            let dir = match (dir, args.plugins, path) {
                (Some(d), _, _) => Some(d.to_owned()),
                (None, Some(live), _) => Some(live.to_owned()),
                (None, None, Some(_)) => Some(config.plugins_dir.clone()),
                (None, None, None) => live_dir.clone(),
            };
            Rules::load(&config, dir, runtime.clone()).context("the candidate rules")?
        }
    };
    for (which, rules) in [("live", &baseline), ("candidate", &candidate)] {
        for w in rules.warnings() {
            eprintln!("warning ({which} rules): {w}");
        }
    }

    let mut selection = args.selection.clone();
    selection.since = flag_time("since", args.since)?;
    selection.until = flag_time("until", args.until)?;
    let workers = Workers {
        threads: args.jobs.unwrap_or(Workers::all_cores().threads).max(1),
        yield_to_serving: false,
    };
    let progress = Arc::new(Progress::default());
    let bar = args.progress.then(|| ProgressBar::start(progress.clone()));
    let started = Instant::now();
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let replayed: anyhow::Result<Replayed> = tokio.block_on(async {
        match args.file {
            Some(path) => {
                let file = std::fs::File::open(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                session::from_file(
                    BufReader::new(file),
                    &candidate,
                    &baseline,
                    workers,
                    &progress,
                    Utc::now(),
                )
                .await
            }
            None => {
                let db = open_existing(&live.store).await?;
                let r = session::from_store(&db, &selection, &candidate, workers, &progress).await;
                db.close().await;
                r
            }
        }
    });
    if let Some(bar) = bar {
        bar.finish();
    }
    let replayed = replayed?;
    let elapsed = started.elapsed();
    let report = compare(
        &replayed.cases,
        &replayed.skipped,
        &Options {
            sample: args.sample,
        },
    );
    eprintln!(
        "replayed {} decisions of {} conversations in {:.1} s on {} threads: {:.0} decisions/s",
        report.decisions,
        report.conversations,
        elapsed.as_secs_f64(),
        workers.threads,
        report.decisions as f64 / elapsed.as_secs_f64().max(1e-9),
    );
    write!(out, "{}", render(&report, args.format))?;
    let breaches = gate::check(&report, args.fail_if);
    for note in gate::notes(&report, args.fail_if) {
        eprintln!("note: {note}");
    }
    for b in &breaches {
        eprintln!("FAIL: {b}");
    }
    Ok(if breaches.is_empty() { 0 } else { 1 })
}

/// The plugins directory of the live rules: `--plugins`, else the config
/// file's; with neither, none (the built-in triggers alone).
fn plugins_dir(flag: Option<&Path>, config: Option<&Config>) -> Option<PathBuf> {
    flag.map(Path::to_owned)
        .or_else(|| config.map(|c| c.plugins_dir.clone()))
}

/// A progress bar fed from a replay's counters by a thread of its own.
struct ProgressBar {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl ProgressBar {
    fn start(progress: Arc<Progress>) -> ProgressBar {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "replaying {bar:40} {pos}/{len} decisions, {per_sec}, {eta} left",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            while !stopped.load(Ordering::Relaxed) {
                bar.set_length(progress.total.load(Ordering::Relaxed));
                bar.set_position(progress.done.load(Ordering::Relaxed));
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        ProgressBar { stop, thread }
    }

    fn finish(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}
