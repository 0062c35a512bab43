//! What the transfer commands tell the user: one line per file on stdout (`upload: ./a.txt to
//! s3://b/a.txt`, as the AWS CLI writes them; JSON Lines with `--json`), failures on stderr with S3's
//! error code and request id, and a progress bar on stderr when it is a terminal. It counts failures
//! for the exit code and, at the end, prints a summary line on stderr (files, bytes, time, rate,
//! failures: with `--stat`, or by itself when stderr is a terminal). It performs no transfers.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use s3op::client::Progress;

use s3op::transfer::jobs::Event;
pub(crate) use s3op::transfer::jobs::Problem;

/// What a command's summary counts: files with their bytes, or deletions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tally {
    /// `cp`, `mv`, `sync`: files, bytes and a rate.
    Transfers,
    /// `rm`: objects deleted (or uploads aborted), no bytes.
    Deletions,
}

/// The end-of-run summary: what it counts and since when.
struct Summary {
    tally: Tally,
    started: Instant,
}

/// Output settings and counters shared by every task of one command.
pub(crate) struct Reporter {
    quiet: bool,
    json: bool,
    dry_run: bool,
    bar: Option<ProgressBar>,
    failures: AtomicUsize,
    files_planned: AtomicU64,
    files_done: AtomicU64,
    /// Bytes the transfers reported moving (both directions), retries included.
    bytes_moved: Arc<AtomicU64>,
    /// The sizes of the files done (server-side copies move no bytes through us).
    bytes_done: AtomicU64,
    summary: Option<Summary>,
}

impl Reporter {
    /// A progress bar is drawn only when stderr is a terminal, and not with `--quiet`, `--json` or
    /// `--dry-run`.
    pub fn new(quiet: bool, json: bool, dry_run: bool) -> Self {
        let bar = (!quiet && !json && !dry_run && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{bytes:>10}/{total_bytes:<10} {wide_bar} {binary_bytes_per_sec:>12} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Reporter {
            quiet,
            json,
            dry_run,
            bar,
            failures: AtomicUsize::new(0),
            files_planned: AtomicU64::new(0),
            files_done: AtomicU64::new(0),
            bytes_moved: Arc::new(AtomicU64::new(0)),
            bytes_done: AtomicU64::new(0),
            summary: None,
        }
    }

    /// Print a summary on stderr when the command ends: with `stat` (`--stat`) always, otherwise
    /// when stderr is a terminal, unless `--quiet`, `--json` or `--dry-run` asked for less.
    pub fn with_summary(mut self, stat: bool, tally: Tally) -> Self {
        let auto = !self.quiet && !self.json && !self.dry_run && std::io::stderr().is_terminal();
        if stat || auto {
            self.summary = Some(Summary {
                tally,
                started: Instant::now(),
            });
        }
        self
    }

    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// One more file of `bytes` to transfer.
    pub fn planned(&self, bytes: u64) {
        self.files_planned.fetch_add(1, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc_length(bytes);
            self.update_message(bar);
        }
    }

    /// The callback transfers report their bytes to (it moves the bar and counts them for the
    /// summary), if there is a bar or a summary.
    pub fn progress(&self) -> Option<Progress> {
        if self.bar.is_none() && self.summary.is_none() {
            return None;
        }
        let bar = self.bar.clone();
        let moved = Arc::clone(&self.bytes_moved);
        Some(Arc::new(move |n| {
            moved.fetch_add(n, Ordering::Relaxed);
            if let Some(bar) = &bar {
                bar.inc(n);
            }
        }))
    }

    fn update_message(&self, bar: &ProgressBar) {
        bar.set_message(format!(
            "{}/{} files",
            self.files_done.load(Ordering::Relaxed),
            self.files_planned.load(Ordering::Relaxed)
        ));
    }

    /// `action` succeeded (or, under `--dry-run`, would be done): `upload: SRC to DST`.
    pub fn done(&self, action: &str, source: &str, destination: Option<&str>, size: Option<u64>) {
        self.done_with(action, source, destination, size, None);
    }

    /// As [`Reporter::done`], with an extra JSON member (`rm` tells which batch deleted a key).
    pub fn done_with(
        &self,
        action: &str,
        source: &str,
        destination: Option<&str>,
        size: Option<u64>,
        extra: Option<(&str, serde_json::Value)>,
    ) {
        self.files_done.fetch_add(1, Ordering::Relaxed);
        self.bytes_done
            .fetch_add(size.unwrap_or(0), Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            self.update_message(bar);
        }
        if self.quiet {
            return;
        }
        let line = if self.json {
            let mut object = json!({ "action": action, "source": source });
            if let Some(d) = destination {
                object["destination"] = json!(d);
            }
            if let Some(s) = size {
                object["size"] = json!(s);
            }
            if self.dry_run {
                object["dryrun"] = json!(true);
            }
            if let Some((name, value)) = extra {
                object[name] = value;
            }
            object.to_string()
        } else {
            let dry = if self.dry_run { "(dryrun) " } else { "" };
            match destination {
                Some(d) => format!("{dry}{action}: {source} to {d}"),
                None => format!("{dry}{action}: {source}"),
            }
        };
        self.stdout_line(&line);
    }

    /// `action` failed: a line on stderr (always, even with `--quiet`), a JSON line on stdout with
    /// `--json`; the command will exit 1.
    pub fn failed(&self, action: &str, source: &str, destination: Option<&str>, problem: &Problem) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        let text = match destination {
            Some(d) => format!("{action} failed: {source} to {d}: {}", problem.message),
            None => format!("{action} failed: {source}: {}", problem.message),
        };
        self.stderr_line(&text);
        if self.json {
            let mut object = json!({
                "action": action,
                "source": source,
                "error": { "message": problem.message, "code": problem.code, "request_id": problem.request_id },
            });
            if let Some(d) = destination {
                object["destination"] = json!(d);
            }
            self.stdout_line(&object.to_string());
        }
    }

    /// A failure that belongs to no one file (a listing that broke off, an unreadable directory).
    pub fn error(&self, message: &str) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        self.stderr_line(&format!("s3op: error: {message}"));
        if self.json {
            self.stdout_line(&json!({ "error": { "message": message } }).to_string());
        }
    }

    /// Show an event of the library's transfer runner or sync as the commands show it.
    pub fn event(&self, event: Event) {
        match event {
            Event::Planned { size } => self.planned(size),
            Event::Done {
                action,
                source,
                destination,
                size,
                batch,
                ..
            } => self.done_with(
                action.as_str(),
                &source,
                destination.as_deref(),
                size,
                batch.map(|b| ("batch", json!(b))),
            ),
            Event::Failed {
                action,
                source,
                destination,
                problem,
            } => self.failed(action.as_str(), &source, destination.as_deref(), &problem),
            Event::Error { message } => self.error(&message),
            Event::Note { message } => self.note(&message),
        }
    }

    /// Something worth telling that is not a failure: on stderr (not with `--quiet`), and as a
    /// JSON line with `--json`.
    pub fn note(&self, message: &str) {
        if !self.quiet {
            self.stderr_line(&format!("s3op: note: {message}"));
        }
        if self.json {
            self.stdout_line(&json!({ "note": message }).to_string());
        }
    }

    /// Files (or keys) done so far.
    pub fn files_done(&self) -> u64 {
        self.files_done.load(Ordering::Relaxed)
    }

    pub fn failures(&self) -> usize {
        self.failures.load(Ordering::Relaxed)
    }

    /// Clear the bar, print the summary if asked for, and give the exit code: 0 when nothing
    /// failed, 1 otherwise.
    pub fn finish(&self) -> i32 {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let _ = std::io::stdout().lock().flush();
        if let Some(summary) = &self.summary {
            let line = self.summary_line(summary);
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
        if self.failures() == 0 {
            0
        } else {
            1
        }
    }

    /// `s3op: 412 files, 1.2 GiB in 8.3 s (148.0 MiB/s), 0 failed`, or with `--json` one object:
    /// `{"summary":{"files":412,"bytes":…,"seconds":8.3,"bytes_per_second":…,"failed":0}}`.
    fn summary_line(&self, summary: &Summary) -> String {
        let files = self.files_done.load(Ordering::Relaxed);
        let failed = self.failures();
        let seconds = summary.started.elapsed().as_secs_f64();
        // Bytes through s3op; a server-side copy moves none, so the files' sizes stand for them.
        let bytes = self
            .bytes_moved
            .load(Ordering::Relaxed)
            .max(self.bytes_done.load(Ordering::Relaxed));
        let rate = if seconds > 0.0 {
            bytes as f64 / seconds
        } else {
            0.0
        };
        let dry = if self.dry_run { "(dryrun) " } else { "" };
        match (self.json, summary.tally) {
            (true, tally) => {
                let mut object =
                    json!({ "files": files, "seconds": round_ms(seconds), "failed": failed });
                if tally == Tally::Transfers {
                    object["bytes"] = json!(bytes);
                    object["bytes_per_second"] = json!(rate.round() as u64);
                }
                if self.dry_run {
                    object["dryrun"] = json!(true);
                }
                json!({ "summary": object }).to_string()
            }
            (false, Tally::Transfers) => format!(
                "s3op: {dry}{files} file{}, {} in {} s ({}/s), {failed} failed",
                plural(files),
                human_bytes(bytes as f64),
                human_seconds(seconds),
                human_bytes(rate)
            ),
            (false, Tally::Deletions) => {
                format!(
                    "s3op: {dry}{files} removed in {} s, {failed} failed",
                    human_seconds(seconds)
                )
            }
        }
    }

    fn stdout_line(&self, line: &str) {
        let write = || {
            let mut out = std::io::stdout().lock();
            // A closed stdout (`| head`) must not stop the transfers.
            let _ = writeln!(out, "{line}");
        };
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    fn stderr_line(&self, line: &str) {
        let write = || {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        };
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `0.04`, `8.3`: two decimals under ten seconds, one above.
fn human_seconds(seconds: f64) -> String {
    if seconds < 10.0 {
        format!("{seconds:.2}")
    } else {
        format!("{seconds:.1}")
    }
}

fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

/// `512 B`, `1.5 KiB`, `148.0 MiB`, `1.2 GiB`: powers of 1024, as `--part-size` reads them.
fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024.0 {
        return format!("{} B", bytes.round() as u64);
    }
    let mut value = bytes / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}
