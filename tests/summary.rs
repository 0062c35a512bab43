//! The end-of-run summary of `cp`, `mv`, `sync` and `rm` on s3s-fs: with `--stat` a line on stderr
//! (`s3op: 3 files, 5.9 KiB in 0.1 s (…/s), 0 failed`) or with `--json` a `{"summary": …}` object
//! whose counts are checked against what the test sent; failures are counted; without `--stat`
//! and with stderr not a terminal there is no summary, and on a terminal (a pseudo-terminal from
//! `script`) there is one without being asked for.

mod clirun;
mod support;

#[path = "support/scratch.rs"]
mod scratch;

use clirun::Run;
use scratch::{data, scratch};

fn env() -> [(&'static str, String); 3] {
    let server = support::s3s_fs();
    [
        ("AWS_ACCESS_KEY_ID", server.access_key.clone()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_key.clone()),
        ("AWS_REGION", server.region.clone()),
    ]
}

fn s3(args: &[&str]) -> Run {
    let env = env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut full = vec!["--endpoint-url", support::s3s_fs().endpoint.as_str()];
    full.extend_from_slice(args);
    clirun::run(&env, &full)
}

fn bucket(prefix: &str) -> String {
    let bucket = support::unique_bucket(prefix);
    s3(&["mb", &format!("s3://{bucket}")]).expect_code(0);
    bucket
}

fn text(path: &std::path::Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Three files of 1000, 2000 and 3000 bytes under `dir/up`; their total size.
fn three_files(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    for (name, size) in [("a.bin", 1000), ("b.bin", 2000), ("sub/c.bin", 3000)] {
        let path = dir.join("up").join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(&path, data(size, size)).expect("write");
        total += size;
    }
    total
}

/// The one summary line on stderr, if any.
fn summary_lines(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| l.starts_with("s3op: ") && l.contains(" failed"))
        .collect()
}

/// The `{"summary": …}` object on stderr (with `--json --stat`).
fn summary_json(run: &Run) -> serde_json::Value {
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("{\"summary\""))
        .unwrap_or_else(|| panic!("no summary object on stderr:\n{run}"));
    serde_json::from_str::<serde_json::Value>(line).expect("summary is JSON")["summary"].clone()
}

#[test]
fn cp_with_stat_counts_files_and_bytes_and_without_it_says_nothing() {
    let dir = scratch("summary", "cp");
    let total = three_files(&dir);
    let bucket = bucket("summary-cp");
    let up = text(&dir.join("up")).to_string();

    let run = s3(&[
        "cp",
        "--recursive",
        "--stat",
        &up,
        &format!("s3://{bucket}/a/"),
    ]);
    run.expect_code(0);
    let lines = summary_lines(&run);
    assert_eq!(lines.len(), 1, "one summary line:\n{run}");
    assert!(
        lines[0].starts_with("s3op: 3 files, 5.9 KiB in ") && lines[0].ends_with(", 0 failed"),
        "{run}"
    );

    let run = s3(&[
        "cp",
        "--recursive",
        "--stat",
        "--json",
        &up,
        &format!("s3://{bucket}/b/"),
    ]);
    run.expect_code(0);
    let summary = summary_json(&run);
    assert_eq!(summary["files"], 3, "{run}");
    assert_eq!(summary["bytes"], total, "{run}");
    assert_eq!(summary["failed"], 0, "{run}");
    assert!(
        summary["seconds"].as_f64().is_some_and(|s| s > 0.0),
        "{run}"
    );
    // stdout keeps its JSON Lines, one per file, and no summary.
    assert_eq!(run.stdout.lines().count(), 3, "{run}");

    // Downloads count the bytes that came in.
    let down = dir.join("down");
    let run = s3(&[
        "cp",
        "--recursive",
        "--stat",
        "--json",
        &format!("s3://{bucket}/a/"),
        text(&down),
    ]);
    run.expect_code(0);
    let summary = summary_json(&run);
    assert_eq!(
        (summary["files"].clone(), summary["bytes"].clone()),
        (3.into(), total.into()),
        "{run}"
    );

    // --dry-run says what it would do, and so does its summary.
    let run = s3(&[
        "--dry-run",
        "cp",
        "--recursive",
        "--stat",
        &up,
        &format!("s3://{bucket}/d/"),
    ]);
    run.expect_code(0);
    let lines = summary_lines(&run);
    assert!(
        lines.len() == 1 && lines[0].starts_with("s3op: (dryrun) 3 files, 5.9 KiB in "),
        "{run}"
    );

    // stderr is a pipe here: no summary unless asked for.
    let run = s3(&["cp", "--recursive", &up, &format!("s3://{bucket}/c/")]);
    run.expect_code(0);
    assert!(summary_lines(&run).is_empty(), "{run}");
    assert!(run.stderr.is_empty(), "{run}");
}

#[test]
fn failures_are_counted() {
    let bucket = bucket("summary-fail");
    let dir = scratch("summary", "fail");
    let run = s3(&[
        "cp",
        "--stat",
        &format!("s3://{bucket}/no-such-key"),
        text(&dir.join("x")),
    ]);
    run.expect_code(1);
    let lines = summary_lines(&run);
    assert_eq!(lines.len(), 1, "{run}");
    assert!(lines[0].starts_with("s3op: 0 files, 0 B in "), "{run}");
    assert!(lines[0].ends_with(", 1 failed"), "{run}");
}

#[test]
fn sync_mv_and_rm_report_their_counts() {
    let dir = scratch("summary", "sync");
    three_files(&dir);
    let bucket = bucket("summary-sync");
    let up = text(&dir.join("up")).to_string();
    let prefix = format!("s3://{bucket}/s/");

    let run = s3(&["sync", "--stat", &up, &prefix]);
    run.expect_code(0);
    let lines = summary_lines(&run);
    assert!(
        lines.len() == 1 && lines[0].starts_with("s3op: 3 files, 5.9 KiB in "),
        "{run}"
    );
    // Nothing changed: nothing copied.
    let run = s3(&["sync", "--stat", &up, &prefix]);
    run.expect_code(0);
    let lines = summary_lines(&run);
    assert!(
        lines.len() == 1 && lines[0].starts_with("s3op: 0 files, 0 B in "),
        "{run}"
    );

    // mv inside S3: server-side copies, the objects' sizes stand for the bytes.
    let moved = format!("s3://{bucket}/m/");
    let run = s3(&["mv", "--recursive", "--stat", "--json", &prefix, &moved]);
    run.expect_code(0);
    let summary = summary_json(&run);
    assert_eq!(
        (summary["files"].clone(), summary["bytes"].clone()),
        (3.into(), 6000.into()),
        "{run}"
    );

    let run = s3(&["rm", "--recursive", "--stat", &moved]);
    run.expect_code(0);
    let lines = summary_lines(&run);
    assert!(
        lines.len() == 1 && lines[0].starts_with("s3op: 3 removed in "),
        "{run}"
    );
    let run = s3(&["rm", "--recursive", "--stat", "--json", &moved]);
    run.expect_code(0);
    let summary = summary_json(&run);
    assert_eq!(summary["files"], 0, "{run}");
    assert!(summary.get("bytes").is_none(), "rm moves no bytes: {run}");
}

#[test]
fn a_terminal_gets_the_summary_without_asking_and_quiet_silences_it() {
    // `script` gives the command a pseudo-terminal for stdin, stdout and stderr.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `script` to make a terminal");
        return;
    }
    let dir = scratch("summary", "tty");
    three_files(&dir);
    let bucket = bucket("summary-tty");
    let server = support::s3s_fs();
    let on_terminal = |extra: &str| -> String {
        let line = format!(
            "'{}' --endpoint-url '{}' cp --recursive {extra} '{}' 's3://{bucket}/t/'",
            env!("CARGO_BIN_EXE_s3op"),
            server.endpoint,
            text(&dir.join("up")),
        );
        let output = std::process::Command::new("script")
            .args(["-qefc", &line, "/dev/null"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", text(&dir))
            .env("AWS_CONFIG_FILE", "/nonexistent/s3op-test/config")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/s3op-test/credentials",
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", &server.access_key)
            .env("AWS_SECRET_ACCESS_KEY", &server.secret_key)
            .env("AWS_REGION", &server.region)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("script runs");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let shown = on_terminal("");
    assert!(shown.contains("s3op: 3 files, 5.9 KiB in "), "{shown}");
    let quiet = on_terminal("--quiet");
    assert!(!quiet.contains("s3op: 3 files"), "{quiet}");
}
