//! `cargo xtask test [-- cargo test args]`: the one command that runs every test, locally and in CI.
//!
//! It installs the test servers (see `servers`), hands their paths to the tests through
//! `S3OP_S3S_FS_BIN` / `S3OP_MOTO_SERVER_BIN` / `S3OP_GARAGE_BIN` / `S3OP_RADOSGW_BIN`, runs `cargo test --workspace --all-targets
//! --no-fail-fast`, then the doc tests (`cargo test --workspace --doc --no-fail-fast`), streams
//! cargo's output (stdout and stderr joined, in order) to stdout as it comes, and ends with one line
//! per test binary and a total, parsed from the `test result:` lines. Without arguments it also
//! builds the library's documentation with `-D warnings`. It fails when cargo fails or any test
//! failed.
//!
//! Extra arguments go to both cargo runs: `cargo xtask test -- signer` (a filter). Arguments that
//! pick packages (`-p`) or targets (`--test support_smoke`) take the place of `--workspace` or of
//! `--all-targets` and the doc-test run (cargo refuses `--doc` beside them):
//! `cargo xtask test -- --test support_smoke -- --nocapture`.

use std::io::{IsTerminal, Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::servers;
use crate::Result;

pub fn run(args: &[String]) -> Result {
    let extra = match args.split_first() {
        Some((first, rest)) if first == "--" => rest,
        _ => args,
    };
    let started = Instant::now();
    let servers = servers::ensure_installed()?;

    // Without arguments: every target of every package, then the doc tests (which `--all-targets`
    // leaves out). Arguments that pick packages or targets replace `--workspace` / `--all-targets`.
    let cargo_args = cargo_args(extra);
    let picks_packages = cargo_args.iter().any(|arg| {
        arg.starts_with("-p") || arg.starts_with("--package") || arg.as_str() == "--workspace"
    });
    let picks_targets = cargo_args
        .iter()
        .any(|arg| TARGET_FLAGS.contains(&arg.split('=').next().unwrap_or(arg)));
    let mut base = vec!["test"];
    if !picks_packages {
        base.push("--workspace");
    }
    let mut runs = vec![base.clone()];
    if !picks_targets {
        runs[0].push("--all-targets");
        runs.push([base, vec!["--doc"]].concat());
    }
    if !cargo_args
        .iter()
        .any(|arg| arg.as_str() == "--no-fail-fast")
    {
        // Every failure in one run, not just the first binary's.
        runs.iter_mut().for_each(|run| run.push("--no-fail-fast"));
    }

    let mut summary = Summary::default();
    let mut cargo_failures = Vec::new();
    for base in runs {
        let mut command = Command::new(crate::cargo());
        command
            .args(&base)
            .args(extra)
            .current_dir(crate::workspace_root());
        for (name, path) in servers.env() {
            command.env(name, path);
        }
        if std::env::var_os("CARGO_TERM_COLOR").is_none() && std::io::stdout().is_terminal() {
            // cargo sees a pipe, not our terminal; keep its colours for the person watching.
            command.env("CARGO_TERM_COLOR", "always");
        }
        let shown = servers::display_command(&command);
        // On stdout, where cargo's output goes too, so the two stay in order.
        println!("[test] running `{shown}`");
        let status = stream_and_parse(command, &mut summary)
            .map_err(|err| format!("running `{shown}`: {err}"))?;
        if !status.success() {
            cargo_failures.push(format!("`{shown}` exited with {status}"));
        }
    }

    if extra.is_empty() {
        // The public API's documentation builds without a warning (broken links included).
        let mut doc = Command::new(crate::cargo());
        doc.args(["doc", "--no-deps", "--lib", "-p", "s3op"])
            .env("RUSTDOCFLAGS", "-D warnings")
            .current_dir(crate::workspace_root());
        println!("[test] running `RUSTDOCFLAGS=-D warnings cargo doc --no-deps --lib -p s3op`");
        match doc.status() {
            Ok(status) if status.success() => {}
            Ok(status) => cargo_failures.push(format!("`cargo doc` exited with {status}")),
            Err(err) => cargo_failures.push(format!("`cargo doc` did not start: {err}")),
        }
    }

    summary.print(started);
    if summary.total.failed > 0 {
        return Err(format!("{} test(s) failed", summary.total.failed).into());
    }
    if !cargo_failures.is_empty() {
        return Err(format!(
            "{} (a build error, or a test binary that crashed: see above)",
            cargo_failures.join("; ")
        )
        .into());
    }
    Ok(())
}

/// Cargo's options that pick targets; cargo refuses `--doc` beside them.
const TARGET_FLAGS: &[&str] = &[
    "--lib",
    "--bin",
    "--bins",
    "--test",
    "--tests",
    "--example",
    "--examples",
    "--bench",
    "--benches",
    "--all-targets",
    "--doc",
];

/// The arguments meant for cargo itself: those before a second `--` (after it, the test binaries').
fn cargo_args(extra: &[String]) -> &[String] {
    let end = extra
        .iter()
        .position(|arg| arg == "--")
        .unwrap_or(extra.len());
    &extra[..end]
}

/// How long to keep reading after cargo exited, in case a process a test started still holds its
/// output open.
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(5);

/// Run cargo with its stdout and stderr joined into one pipe, forwarded to our stdout as it comes,
/// feeding each complete line to `summary`. One pipe keeps the order of cargo's `Running …` lines
/// (stderr) and the test binaries' `test result:` lines (stdout) exactly as they were written.
fn stream_and_parse(mut command: Command, summary: &mut Summary) -> std::io::Result<ExitStatus> {
    let (reader, writer) = std::io::pipe()?;
    command
        .stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer);
    let mut child = command.spawn()?;
    // The command holds our copies of the write end: drop them so the pipe ends when cargo does.
    drop(command);
    let (sender, lines) = mpsc::channel::<String>();
    std::thread::spawn(move || forward(reader, std::io::stdout(), sender));
    let mut exited: Option<(ExitStatus, Instant)> = None;
    loop {
        match lines.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => summary.line(&line),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        match exited {
            None => exited = child.try_wait()?.map(|status| (status, Instant::now())),
            Some((_, at)) if at.elapsed() > DRAIN_AFTER_EXIT => {
                eprintln!("[test] warning: cargo has exited but something it started still holds its output open; not waiting for it");
                break;
            }
            Some(_) => {}
        }
    }
    match exited {
        Some((status, _)) => Ok(status),
        None => child.wait(),
    }
}

/// Copy `from` to `to` chunk by chunk (so a half-written line such as `test slow ... ` shows at once)
/// and send every complete line, without colour codes, to `lines`.
fn forward(mut from: impl Read, mut to: impl Write, lines: mpsc::Sender<String>) {
    let mut buffer = [0u8; 8192];
    let mut pending = Vec::new();
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let _ = to.write_all(&buffer[..read]);
        let _ = to.flush();
        pending.extend_from_slice(&buffer[..read]);
        while let Some(end) = pending.iter().position(|&byte| byte == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let _ = lines.send(strip_ansi(&String::from_utf8_lossy(&line)));
        }
    }
    if !pending.is_empty() {
        let _ = lines.send(strip_ansi(&String::from_utf8_lossy(&pending)));
    }
}

/// Remove ANSI escape sequences (`ESC [ … final-byte`) and the trailing newline.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('\x40'..='\x7e').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out.trim_end_matches(['\r', '\n']).to_string()
}

#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
struct Counts {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl Counts {
    /// Parse `test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; …`.
    fn parse(line: &str) -> Option<Counts> {
        let rest = line.trim().strip_prefix("test result:")?;
        let mut counts = Counts::default();
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(what), Some(number)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(number) = number.parse::<u64>() else {
                continue;
            };
            match what {
                "passed" => counts.passed = number,
                "failed" => counts.failed = number,
                "ignored" => counts.ignored = number,
                _ => {}
            }
        }
        Some(counts)
    }

    fn add(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.ignored += other.ignored;
    }
}

/// Test binaries in the order cargo ran them, with their results.
#[derive(Default)]
struct Summary {
    binaries: Vec<(String, Option<Counts>)>,
    total: Counts,
}

impl Summary {
    /// Feed one line of output. Cargo's own lines are matched with their indentation, so that a
    /// test printing `Running …` is not taken for one.
    fn line(&mut self, line: &str) {
        if let Some(running) = line
            .strip_prefix("     Running ")
            .filter(|running| running.ends_with(')'))
        {
            self.binaries.push((binary_name(running), None));
        } else if let Some(krate) = line.strip_prefix("   Doc-tests ") {
            self.binaries.push((format!("{krate} (doc tests)"), None));
        } else if let Some(counts) = Counts::parse(line) {
            self.total.add(counts);
            match self.binaries.last_mut() {
                Some((_, result @ None)) => *result = Some(counts),
                _ => self.binaries.push(("(unnamed)".into(), Some(counts))),
            }
        }
    }

    fn print(&self, started: Instant) {
        let width = self
            .binaries
            .iter()
            .map(|(name, _)| name.len())
            .max()
            .unwrap_or(0);
        println!("\ntest summary ({} binaries):", self.binaries.len());
        for (name, counts) in &self.binaries {
            match counts {
                Some(c) => println!(
                    "  {name:width$}  {} passed, {} failed, {} ignored{}",
                    c.passed,
                    c.failed,
                    c.ignored,
                    if c.failed > 0 { "  <- FAILED" } else { "" }
                ),
                None => println!(
                    "  {name:width$}  no `test result` line (custom harness, or it crashed)"
                ),
            }
        }
        println!("elapsed: {}s", started.elapsed().as_secs());
        // Last, and in the plain form CI reads: `word: N passed, N failed, N skipped`.
        let Counts {
            passed,
            failed,
            ignored,
        } = self.total;
        println!("total: {passed} passed, {failed} failed, {ignored} skipped");
    }
}

/// `unittests src/lib.rs (target/debug/deps/s3op-1a2b3c)` → `s3op src/lib.rs`.
fn binary_name(running: &str) -> String {
    let running = running.strip_prefix("unittests ").unwrap_or(running);
    let Some((source, binary)) = running.rsplit_once(" (") else {
        return running.to_string();
    };
    let file = binary
        .trim_end_matches(')')
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(binary);
    let file = file
        .strip_suffix(std::env::consts::EXE_SUFFIX)
        .unwrap_or(file);
    let stem = match file.rsplit_once('-') {
        Some((stem, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => stem,
        _ => file,
    };
    format!("{stem} {source}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_result_lines() {
        let ok = "test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 2 filtered out; finished in 0.01s";
        assert_eq!(
            Counts::parse(ok),
            Some(Counts {
                passed: 3,
                failed: 0,
                ignored: 1
            })
        );
        let failed = "test result: FAILED. 10 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.50s";
        assert_eq!(
            Counts::parse(failed),
            Some(Counts {
                passed: 10,
                failed: 2,
                ignored: 0
            })
        );
        assert_eq!(Counts::parse("running 3 tests"), None);
    }

    #[test]
    fn names_binaries() {
        assert_eq!(
            binary_name("unittests src/lib.rs (target/debug/deps/s3op-0123abcd)"),
            "s3op src/lib.rs"
        );
        assert_eq!(
            binary_name("tests/support_smoke.rs (target/debug/deps/support_smoke-9f8e7d6c)"),
            "support_smoke tests/support_smoke.rs"
        );
    }

    #[test]
    fn attributes_results_to_the_binary_announced_before_them() {
        let mut summary = Summary::default();
        let coloured = "\x1b[1m\x1b[92m     Running\x1b[0m tests/a.rs (target/debug/deps/a-00ff)\n";
        summary.line(&strip_ansi(coloured));
        summary.line("test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
        summary.line("Running tests/printed_by_a_test.rs (not cargo)");
        summary.line("   Doc-tests s3op");
        summary
            .line("test result: FAILED. 1 passed; 1 failed; 3 ignored; 0 measured; 0 filtered out");
        assert_eq!(summary.binaries.len(), 2);
        assert_eq!(summary.binaries[0].0, "a tests/a.rs");
        assert_eq!(summary.binaries[1].0, "s3op (doc tests)");
        assert_eq!(
            summary.total,
            Counts {
                passed: 3,
                failed: 1,
                ignored: 3
            }
        );
    }

    #[test]
    fn cargo_args_stop_at_the_test_binaries_arguments() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            cargo_args(&args(&["--test", "x", "--", "--nocapture"])),
            &args(&["--test", "x"])[..]
        );
        assert_eq!(cargo_args(&args(&["signer"])), &args(&["signer"])[..]);
        assert!(cargo_args(&args(&[])).is_empty());
    }
}
