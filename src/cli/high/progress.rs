//! What the transfer commands tell the user: one line per file on stdout (`upload: ./a.txt to
//! s3://b/a.txt`, as the AWS CLI writes them; JSON Lines with `--json`), failures on stderr with S3's
//! error code and request id, and a progress bar on stderr when it is a terminal. It counts failures
//! for the exit code. It performs no transfers.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use s3op::client::Progress;

use s3op::transfer::jobs::Event;
pub(crate) use s3op::transfer::jobs::Problem;

/// Output settings and counters shared by every task of one command.
pub(crate) struct Reporter {
    quiet: bool,
    json: bool,
    dry_run: bool,
    bar: Option<ProgressBar>,
    failures: AtomicUsize,
    files_planned: AtomicU64,
    files_done: AtomicU64,
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
        }
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

    /// The callback transfers report their bytes to (it moves the bar), if there is a bar.
    pub fn progress(&self) -> Option<Progress> {
        let bar = self.bar.clone()?;
        Some(Arc::new(move |n| bar.inc(n)))
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

    pub fn failures(&self) -> usize {
        self.failures.load(Ordering::Relaxed)
    }

    /// Clear the bar and give the exit code: 0 when nothing failed, 1 otherwise.
    pub fn finish(&self) -> i32 {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let _ = std::io::stdout().lock().flush();
        if self.failures() == 0 {
            0
        } else {
            1
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
