//! `cargo xtask fuzz [--seconds N] [--runs N] [--target NAME]... [--jobs N] [-- LIBFUZZER ARGS]`:
//! builds the fuzz targets of `fuzz/` and runs each under libFuzzer, then prints per target the
//! executions done, the rate and the crashes found. It fails when a target crashed (or timed out,
//! or ran out of memory), naming the saved input. Not part of `cargo xtask test`.
//!
//! It needs nothing installed beyond the toolchain and a C++ compiler: `libfuzzer-sys` compiles
//! libFuzzer itself, and the coverage instrumentation libFuzzer feeds on comes from LLVM's
//! `sancov-module` pass, which stable rustc runs through `-C passes` and `-C llvm-args` (cargo-fuzz
//! would add `-Z sanitizer`, a nightly flag; see `fuzz/README.md`). The flags go in `RUSTFLAGS` with
//! an explicit `--target`, so that build scripts and proc macros, built for the host, stay
//! uninstrumented.
//!
//! Where things go, all under the target directory:
//! - `fuzz-build/`: the fuzz crate's own build (release, with overflow checks and debug assertions);
//! - `fuzz-corpus/<target>/`: the corpus, kept between runs; seeded on every run from the fixtures
//!   (botocore's bodies and inputs, the event-stream vectors, the SigV4 suite) by the target itself,
//!   and read together with the hand-picked inputs of `tests/fixtures/fuzz/<target>/`;
//! - `fuzz-crashes/<target>/`: inputs that crashed (`crash-…`), timed out (`timeout-…`) or ran out
//!   of memory (`oom-…`); copy one to `tests/fixtures/fuzz/<target>/` to make it a regression test;
//! - `fuzz-logs/<target>.log`: libFuzzer's output.
//!
//! The `config` target writes its profile files on every run; they go to a directory under
//! `/dev/shm` (memory) when there is one, removed afterwards.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::Result;

/// The targets, in the order they run; the names of `fuzz/Cargo.toml`'s binaries.
const TARGETS: &[&str] = &[
    "xml_to_json",
    "json_to_xml",
    "parse_arg",
    "eventstream",
    "config",
    "signer",
];

/// Coverage instrumentation for libFuzzer, on stable rustc: what `cargo fuzz build --sanitizer
/// none` passes, less its nightly-only flags. `trace-compares` lets libFuzzer learn the constants
/// inputs are compared with (a CRC, a keyword), at some cost in speed.
const RUSTFLAGS: &[&str] = &[
    "--cfg",
    "fuzzing",
    "-Cpasses=sancov-module",
    "-Cllvm-args=-sanitizer-coverage-level=4",
    "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
    "-Cllvm-args=-sanitizer-coverage-pc-table",
    "-Cllvm-args=-sanitizer-coverage-trace-compares",
];

/// Seconds per target when neither `--seconds` nor `--runs` is given.
const DEFAULT_SECONDS: u64 = 60;
/// An input that takes longer than this is a finding (a hang), saved as `timeout-…`.
const INPUT_TIMEOUT_SECS: u64 = 10;
/// A target whose memory grows past this is a finding, saved as `oom-…`.
const RSS_LIMIT_MB: u64 = 2048;
/// Inputs longer than libFuzzer's default of 4096 bytes where a shorter limit serves better:
/// signing cost grows with a request's length (hundreds of query parameters to sort), while every
/// rule of canonicalisation shows in a short request; the regression tests cover long ones.
const MAX_LEN: &[(&str, u64)] = &[("signer", 512)];

struct Options {
    seconds: Option<u64>,
    runs: Option<u64>,
    targets: Vec<&'static str>,
    jobs: usize,
    libfuzzer_args: Vec<String>,
}

const USAGE: &str =
    "usage: cargo xtask fuzz [--seconds N] [--runs N] [--target NAME]... [--jobs N] \
                     [-- LIBFUZZER ARGS]";

fn parse_args(args: &[String]) -> Result<Options> {
    let mut options = Options {
        seconds: None,
        runs: None,
        targets: Vec::new(),
        jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        libfuzzer_args: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        if flag == "--" {
            options.libfuzzer_args = args.cloned().collect();
            break;
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next().cloned())
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        let number = |text: String| {
            text.parse::<u64>()
                .map_err(|_| format!("{flag} takes a whole number, not `{text}`"))
        };
        match flag {
            "--seconds" => options.seconds = Some(number(value()?)?),
            "--runs" => options.runs = Some(number(value()?)?),
            "--jobs" => options.jobs = number(value()?)?.max(1) as usize,
            "--target" => {
                let name = value()?;
                let target = TARGETS.iter().find(|t| **t == name).ok_or_else(|| {
                    format!(
                        "unknown fuzz target `{name}`; the targets are {}",
                        TARGETS.join(", ")
                    )
                })?;
                options.targets.push(target);
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}").into()),
        }
    }
    if options.targets.is_empty() {
        options.targets = TARGETS.to_vec();
    }
    if options.seconds.is_none() && options.runs.is_none() {
        options.seconds = Some(DEFAULT_SECONDS);
    }
    Ok(options)
}

pub fn run(args: &[String]) -> Result {
    let options = parse_args(args)?;
    let root = crate::workspace_root();
    let target_dir = crate::target_dir();
    let binaries = build(&root, &target_dir)?;

    let limit = [
        options.seconds.map(|s| format!("{s} s")),
        options.runs.map(|r| format!("{r} runs")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" or ");
    let jobs = options.jobs.min(options.targets.len());
    println!(
        "[fuzz] {} target(s), {limit} each, {jobs} at a time",
        options.targets.len()
    );

    // A small work queue: `jobs` threads take the next target until none is left.
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Outcome>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(&target) = options.targets.get(i) else {
                    break;
                };
                let outcome = fuzz_one(target, &binaries, &root, &target_dir, &options);
                if let Ok(mut results) = results.lock() {
                    results.push(outcome);
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|o| TARGETS.iter().position(|t| *t == o.target));
    report(&results, &binaries)
}

/// Builds every target; returns the directory holding the binaries.
fn build(root: &Path, target_dir: &Path) -> Result<PathBuf> {
    let host = host_triple()?;
    let build_dir = target_dir.join("fuzz-build");
    let mut command = Command::new(crate::cargo());
    command
        .args(["build", "--release", "--bins", "--target", &host])
        .arg("--manifest-path")
        .arg(root.join("fuzz/Cargo.toml"))
        .env("CARGO_TARGET_DIR", &build_dir)
        .env("RUSTFLAGS", RUSTFLAGS.join(" "))
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .stdin(Stdio::null());
    println!(
        "[fuzz] building the targets (cargo build --release in fuzz/, instrumented for libFuzzer)"
    );
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building the fuzz targets failed ({status})").into());
    }
    Ok(build_dir.join(host).join("release"))
}

/// The host's target triple, from `rustc -vV`.
fn host_triple() -> Result<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc)
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run rustc -vV: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| "rustc -vV did not name the host triple".into())
}

/// What one target's run gave.
struct Outcome {
    target: &'static str,
    executions: Option<u64>,
    exec_per_sec: Option<u64>,
    new_units: Option<u64>,
    seconds: f64,
    /// Inputs libFuzzer saved as crashing, hanging or exhausting memory.
    findings: Vec<PathBuf>,
    /// The panic message and location, when the target panicked.
    panic: Option<String>,
    log: PathBuf,
    /// Why the run itself failed (the binary would not start, or exited non-zero with nothing saved).
    error: Option<String>,
}

fn fuzz_one(
    target: &'static str,
    binaries: &Path,
    root: &Path,
    target_dir: &Path,
    options: &Options,
) -> Outcome {
    let corpus = target_dir.join("fuzz-corpus").join(target);
    let crashes = target_dir.join("fuzz-crashes").join(target);
    let logs = target_dir.join("fuzz-logs");
    let log = logs.join(format!("{target}.log"));
    let fixtures = root.join("tests/fixtures");
    let regressions = fixtures.join("fuzz").join(target);
    let scratch = scratch_dir(target, target_dir);
    let mut outcome = Outcome {
        target,
        executions: None,
        exec_per_sec: None,
        new_units: None,
        seconds: 0.0,
        findings: Vec::new(),
        panic: None,
        log: log.clone(),
        error: None,
    };
    for dir in [&corpus, &crashes, &logs, &scratch] {
        if let Err(e) = std::fs::create_dir_all(dir) {
            outcome.error = Some(format!("cannot create {}: {e}", dir.display()));
            return outcome;
        }
    }
    let log_file = match std::fs::File::create(&log) {
        Ok(file) => file,
        Err(e) => {
            outcome.error = Some(format!("cannot create {}: {e}", log.display()));
            return outcome;
        }
    };

    let mut command = Command::new(binaries.join(target));
    // New inputs go to the first directory; the others are only read.
    command.arg(&corpus);
    if regressions.is_dir() {
        command.arg(&regressions);
    }
    let mut artifact_prefix = crashes.clone().into_os_string();
    artifact_prefix.push("/");
    let mut prefix_arg = std::ffi::OsString::from("-artifact_prefix=");
    prefix_arg.push(artifact_prefix);
    command
        .arg(prefix_arg)
        .arg("-print_final_stats=1")
        .arg(format!("-timeout={INPUT_TIMEOUT_SECS}"))
        .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"));
    if let Some(seconds) = options.seconds {
        command.arg(format!("-max_total_time={seconds}"));
    }
    if let Some(runs) = options.runs {
        command.arg(format!("-runs={runs}"));
    }
    if let Some((_, max_len)) = MAX_LEN.iter().find(|(name, _)| *name == target) {
        command.arg(format!("-max_len={max_len}"));
    }
    command
        .args(&options.libfuzzer_args)
        .env("S3OP_FUZZ_FIXTURES", &fixtures)
        .env("S3OP_FUZZ_SEED_DIR", &corpus)
        .env("S3OP_FUZZ_SCRATCH", &scratch)
        .stdin(Stdio::null());
    match log_file.try_clone() {
        Ok(copy) => {
            command.stdout(copy).stderr(log_file);
        }
        Err(e) => {
            outcome.error = Some(format!("cannot open {} twice: {e}", log.display()));
            return outcome;
        }
    }

    println!("[fuzz] {target}: started, log in {}", log.display());
    let started = Instant::now();
    let status = command.status();
    outcome.seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&scratch);

    let text = std::fs::read_to_string(&log).unwrap_or_default();
    outcome.executions = stat(&text, "stat::number_of_executed_units:");
    outcome.exec_per_sec = stat(&text, "stat::average_exec_per_sec:");
    outcome.new_units = stat(&text, "stat::new_units_added:");
    // libFuzzer names every input it saves: `Test unit written to PATH`.
    outcome.findings = text
        .lines()
        .filter_map(|line| line.split_once("Test unit written to ").map(|(_, p)| p))
        .map(|path| PathBuf::from(path.trim()))
        .collect();
    outcome.panic = panic_message(&text);
    match status {
        Ok(status) if status.success() => {}
        Ok(status) if outcome.findings.is_empty() => {
            outcome.error = Some(format!("exited with {status} without saving an input"));
        }
        Ok(_) => {}
        Err(e) => {
            outcome.error = Some(format!(
                "cannot run {}: {e}",
                binaries.join(target).display()
            ))
        }
    }
    let verdict = match (&outcome.error, outcome.findings.len()) {
        (Some(error), _) => error.clone(),
        (None, 0) => "no crash".to_owned(),
        (None, n) => format!("{n} crash(es)"),
    };
    println!(
        "[fuzz] {target}: finished in {:.0} s, {} executions, {verdict}",
        outcome.seconds,
        outcome.executions.map_or("?".to_owned(), |n| n.to_string()),
    );
    outcome
}

/// Where the `config` target writes its profile files: memory when the machine has `/dev/shm`.
fn scratch_dir(target: &str, target_dir: &Path) -> PathBuf {
    let name = format!("s3op-fuzz-{target}-{}", std::process::id());
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.join(name)
    } else {
        target_dir.join("fuzz-scratch").join(name)
    }
}

/// `thread '…' panicked at FILE:LINE:COL:` and the message line after it, from a log.
fn panic_message(log: &str) -> Option<String> {
    let mut lines = log.lines();
    let at = lines.find(|line| line.contains(" panicked at "))?;
    let message = lines.next().unwrap_or_default();
    Some(format!("{} {}", at.trim(), message.trim()))
}

/// The number after `key` in libFuzzer's final statistics.
fn stat(log: &str, key: &str) -> Option<u64> {
    log.lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix(key))
        .and_then(|value| value.trim().parse().ok())
}

fn report(results: &[Outcome], binaries: &Path) -> Result {
    let width = results.iter().map(|o| o.target.len()).max().unwrap_or(6);
    println!();
    println!(
        "{:width$}  {:>13}  {:>8}  {:>7}  {:>9}  result",
        "target", "executions", "exec/s", "seconds", "new units"
    );
    let show = |n: Option<u64>| n.map_or("?".to_owned(), |n| n.to_string());
    for o in results {
        let result = match (&o.error, o.findings.len()) {
            (Some(error), _) => format!("FAILED: {error} (see {})", o.log.display()),
            (None, 0) => "ok".to_owned(),
            (None, n) => format!("{n} CRASH(ES)"),
        };
        println!(
            "{:width$}  {:>13}  {:>8}  {:>7.0}  {:>9}  {result}",
            o.target,
            show(o.executions),
            show(o.exec_per_sec),
            o.seconds,
            show(o.new_units),
        );
    }
    let mut failed = Vec::new();
    for o in results {
        for path in &o.findings {
            println!("[fuzz] {}: input saved to {}", o.target, path.display());
            if let Some(panic) = &o.panic {
                println!("[fuzz] {}: {panic}", o.target);
            }
            println!(
                "[fuzz] {}: log in {}; run it again with `{} {}`",
                o.target,
                o.log.display(),
                binaries.join(o.target).display(),
                path.display()
            );
        }
        if o.error.is_some() || !o.findings.is_empty() {
            failed.push(o.target);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("fuzzing found problems in: {}", failed.join(", ")).into())
    }
}
