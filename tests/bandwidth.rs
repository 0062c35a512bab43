//! `--bwlimit RATE` and the library's [`Bandwidth`] token bucket. The bucket on tokio's paused
//! clock: one taker moves at the rate after a burst of at most a tenth of a second, clones and
//! concurrent takers share one rate, an idle bucket saves up no more than the burst. The CLI on
//! s3s-fs: uploads and downloads of several files in several parts, and `put-object`/`get-object`,
//! take at least as long as their bytes need at the rate (a lower bound only: it cannot fail by
//! being fast), and arrive whole. A malformed rate exits 2 naming `--bwlimit` and sends nothing.

mod clirun;
mod support;

#[path = "support/cli.rs"]
mod cli;

#[path = "support/scratch.rs"]
mod scratch;

use std::num::NonZeroU64;
use std::time::{Duration, Instant};

use clirun::Run;
use s3op::client::Bandwidth;
use scratch::{data, scratch};

const MIB: u64 = 1 << 20;
/// What an idle bucket lets through at once (a tenth of a second at the rate).
const BURST: Duration = Duration::from_millis(100);

fn limit(bytes_per_second: u64) -> Bandwidth {
    Bandwidth::new(NonZeroU64::new(bytes_per_second).expect("a rate above 0"))
}

#[tokio::test(start_paused = true)]
async fn one_taker_moves_at_the_rate_after_a_short_burst() {
    let bw = limit(MIB);
    let start = tokio::time::Instant::now();
    for _ in 0..40 {
        bw.take(128 << 10).await; // 40 × 128 KiB = 5 MiB
    }
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_secs(5) - BURST && elapsed <= Duration::from_secs(5),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn clones_and_concurrent_takers_share_one_rate() {
    let bw = limit(MIB);
    let start = tokio::time::Instant::now();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let bw = bw.clone();
            tokio::spawn(async move {
                for _ in 0..8 {
                    bw.take(64 << 10).await; // 4 × 8 × 64 KiB = 2 MiB in all
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_secs(2) - BURST && elapsed <= Duration::from_secs(2),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_idle_bucket_saves_up_only_the_burst_and_small_takes_in_it_do_not_wait() {
    let bw = limit(MIB);
    let start = tokio::time::Instant::now();
    bw.take(50 << 10).await;
    bw.take(0).await;
    assert_eq!(start.elapsed(), Duration::ZERO, "within the burst");
    bw.take(MIB).await;
    // A long pause does not bank a second's worth of tokens.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let start = tokio::time::Instant::now();
    bw.take(MIB).await;
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_secs(1) - BURST && elapsed <= Duration::from_secs(1),
        "{elapsed:?}"
    );
}

fn s3(args: &[&str]) -> Run {
    cli::s3op(support::s3s_fs(), args)
}

use cli::text;

/// Run `args`; its wall time.
fn timed(args: &[&str]) -> Duration {
    let start = Instant::now();
    s3(args).expect_code(0);
    start.elapsed()
}

/// At least the time `bytes` need at `rate`, less the burst (and a little for coarse clocks).
fn at_least(bytes: u64, rate: u64) -> Duration {
    Duration::from_secs_f64(bytes as f64 / rate as f64) - BURST - Duration::from_millis(50)
}

#[test]
fn cp_shares_one_rate_across_files_and_parts_both_ways() {
    let dir = scratch("bandwidth", "cp");
    let bucket = support::unique_bucket("bwlimit-cp");
    s3(&["mb", &format!("s3://{bucket}")]).expect_code(0);
    // 6 MiB in two parts (5 MiB + 1 MiB) and a 2 MiB file: 8 MiB at 4 MiB/s.
    let files = [("big.bin", 6 * MIB, 1), ("small.bin", 2 * MIB, 2)];
    let up = dir.join("up");
    std::fs::create_dir_all(&up).expect("dir");
    for (name, size, seed) in files {
        std::fs::write(up.join(name), data(size, seed)).expect("write");
    }
    let total = files.iter().map(|(_, size, _)| size).sum::<u64>();
    let rate = 4 * MIB;
    let prefix = format!("s3://{bucket}/limited/");
    let common = ["--bwlimit", "4MiB", "--part-size", "5MiB", "--recursive"];

    let mut args = vec!["cp"];
    args.extend(common);
    args.extend([text(&up), prefix.as_str()]);
    let upload = timed(&args);
    assert!(upload >= at_least(total, rate), "upload took {upload:?}");

    let down = dir.join("down");
    let mut args = vec!["cp"];
    args.extend(common);
    args.extend([prefix.as_str(), text(&down)]);
    let download = timed(&args);
    assert!(
        download >= at_least(total, rate),
        "download took {download:?}"
    );
    for (name, size, seed) in files {
        assert!(
            std::fs::read(down.join(name)).expect("downloaded") == data(size, seed),
            "{name} arrived whole"
        );
    }
    // The same without a limit, for the record (no upper bound: it could only flake).
    let unlimited = timed(&["cp", "--recursive", &prefix, text(&dir.join("again"))]);
    eprintln!("limited: up {upload:?}, down {download:?}; unlimited down {unlimited:?}");
}

#[test]
fn s3api_put_object_and_get_object_are_limited_too() {
    let dir = scratch("bandwidth", "s3api");
    let bucket = support::unique_bucket("bwlimit-api");
    s3(&["mb", &format!("s3://{bucket}")]).expect_code(0);
    let body = dir.join("body.bin");
    let bytes = data(2 * MIB, 3);
    std::fs::write(&body, &bytes).expect("write");
    let put = timed(&[
        "--bwlimit",
        "1MiB",
        "put-object",
        "--bucket",
        &bucket,
        "--key",
        "k",
        "--body",
        text(&body),
    ]);
    assert!(put >= at_least(2 * MIB, MIB), "put-object took {put:?}");
    let out = dir.join("out.bin");
    let get = timed(&[
        "get-object",
        "--bucket",
        &bucket,
        "--key",
        "k",
        "--bwlimit",
        "1048576/s",
        text(&out),
    ]);
    assert!(get >= at_least(2 * MIB, MIB), "get-object took {get:?}");
    assert!(std::fs::read(&out).expect("got") == bytes, "whole");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_rate_exits_2_naming_it_and_sends_nothing() {
    let server = wiremock::MockServer::start().await;
    let uri = server.uri();
    let dir = scratch("bandwidth", "bad");
    let file = dir.join("f");
    std::fs::write(&file, b"x").expect("write");
    let keys = [
        ("AWS_ACCESS_KEY_ID", "AKID"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ];
    for rate in ["abc", "0", "10XB", "-5", "1.5MiB", ""] {
        for command in [
            vec!["cp", text(&file), "s3://bucket/k"],
            vec![
                "put-object",
                "--bucket",
                "bucket",
                "--key",
                "k",
                "--body",
                text(&file),
            ],
        ] {
            let flag = format!("--bwlimit={rate}");
            let mut args = vec!["--endpoint-url", uri.as_str(), flag.as_str()];
            args.extend(command);
            let run = clirun::run(&keys, &args);
            run.expect_code(2);
            assert!(run.stderr.contains("--bwlimit"), "names the flag:\n{run}");
            assert!(run.stdout.is_empty(), "{run}");
        }
    }
    let sent = server.received_requests().await.map_or(0, |r| r.len());
    assert_eq!(sent, 0, "nothing sent");
}
