//! Developer tasks for s3op, run as `cargo xtask <task> [args]` (matklad's xtask convention: the
//! alias lives in `.cargo/config.toml`). Each task is one module with a `run(args)` function; this
//! file only dispatches to them and renders their errors once, at the edge.

mod bench;
mod compat;
mod demo;
mod docs;
mod fuzz;
mod servers;
mod spec_audit;
mod test;

use std::process::ExitCode;

/// What every task returns: `Err` is printed as `error: …` and the process exits with status 1.
pub type Result<T = (), E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

/// One task: its name on the command line, a one-line summary for `cargo xtask help`, its entry point.
struct Task {
    name: &'static str,
    summary: &'static str,
    run: fn(&[String]) -> Result,
}

/// Every task. Adding one is a `mod` line above and one line here.
const TASKS: &[Task] = &[
    Task {
        name: "test",
        summary: "install the test servers, run `cargo test` on the workspace, print a summary [-- cargo test args]",
        run: test::run,
    },
    Task {
        name: "servers",
        summary: "install the test servers (s3s-fs, moto, Garage, Ceph RGW) and print their paths as `export` lines",
        run: servers::run,
    },
    Task {
        name: "docs",
        summary: "regenerate docs/reference/ from spec/ and docs/man/ from the command tree [--check: fail if stale instead]",
        run: docs::run,
    },
    Task {
        name: "demo",
        summary: "start s3s-fs on loopback and walk through bucket, upload, listing, presigned link and download",
        run: demo::run,
    },
    Task {
        name: "spec-audit",
        summary: "compare spec/ with botocore's S3 model, list every difference [PATH/TO/service-2.json]",
        run: spec_audit::run,
    },
    Task {
        name: "bench",
        summary: "time s3op's CLI against s5cmd, the AWS CLI, rclone and aws-sdk-s3 on s3s-fs, write BENCHMARKS.md [--quick] [--garage] [--ceph]",
        run: bench::run,
    },
    Task {
        name: "compat",
        summary: "rewrite README's compatibility section from target/compat/*.json (the compat suite's results) [--run: run the suite first]",
        run: compat::run,
    },
    Task {
        name: "fuzz",
        summary: "build the fuzz targets (libFuzzer on stable) and run each, 60 s by default [--seconds N] [--runs N] [--target NAME]",
        run: fuzz::run,
    },
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((name, rest)) = args.split_first() else {
        print_help();
        return ExitCode::from(2);
    };
    if matches!(name.as_str(), "help" | "-h" | "--help") {
        print_help();
        return ExitCode::SUCCESS;
    }
    let Some(task) = TASKS.iter().find(|task| task.name == name) else {
        eprintln!("error: unknown task `{name}`\n");
        print_help();
        return ExitCode::from(2);
    };
    match (task.run)(rest) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn print_help() {
    eprintln!("usage: cargo xtask <task> [args]\n\ntasks:");
    let width = TASKS.iter().map(|task| task.name.len()).max().unwrap_or(0);
    for task in TASKS {
        eprintln!("  {:width$}  {}", task.name, task.summary);
    }
}

/// The workspace root: the parent of this crate's directory.
pub fn workspace_root() -> std::path::PathBuf {
    let manifest_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// The cargo that runs this task (`$CARGO`, set by `cargo run`), so nested builds use the same toolchain.
pub fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` if set (relative to the workspace root), else
/// `<root>/target`. Tools the tasks install are cached under it, so `cargo clean` resets them too.
pub fn target_dir() -> std::path::PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace_root().join(dir),
        _ => workspace_root().join("target"),
    }
}
