//! Ctrl-C (SIGINT) or SIGTERM during a transfer: the multipart uploads in flight are aborted, the
//! temporary download files removed, nothing appears under the target name, and s3op exits 130 or
//! 143. Runs on moto, which lists multipart uploads (s3s-fs does not).

#![cfg(unix)]

mod clirun;
mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

fn env(server: &support::TestServer) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", server.access_key.clone()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_key.clone()),
        ("AWS_REGION", server.region.clone()),
    ]
}

fn s3op(server: &support::TestServer, args: &[&str]) -> std::process::Command {
    let owned = env(server);
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut cmd = clirun::command(&pairs);
    cmd.arg("--endpoint-url").arg(&server.endpoint).args(args);
    cmd
}

/// Start `cmd`, wait until `ready` holds (or a few seconds), send `signal`, return the exit code.
fn interrupt(mut cmd: std::process::Command, signal: &str, ready: impl Fn() -> bool) -> i32 {
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    while !ready() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    out.status.code().unwrap_or(-1)
}

fn uploads(server: &support::TestServer, bucket: &str) -> usize {
    let owned = env(server);
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = clirun::run(
        &pairs,
        &[
            "--endpoint-url",
            &server.endpoint,
            "list-multipart-uploads",
            "--bucket",
            bucket,
        ],
    );
    run.json()["response"]["Uploads"]
        .as_array()
        .map_or(0, Vec::len)
}

#[test]
fn an_interrupted_upload_leaves_no_multipart_upload() {
    let server = support::moto();
    let bucket = support::unique_bucket("intr");
    let owned = env(server);
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    clirun::run(
        &pairs,
        &[
            "--endpoint-url",
            &server.endpoint,
            "create-bucket",
            "--bucket",
            &bucket,
        ],
    )
    .expect_code(0);
    let dir = std::env::temp_dir().join(format!("s3op-intr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let big = dir.join("big.bin");
    std::fs::write(&big, vec![42u8; 400 * 1024 * 1024]).expect("write");

    for (signal, expected) in [("INT", 130), ("TERM", 143)] {
        let cmd = s3op(
            server,
            &[
                "cp",
                "--part-size",
                "5MiB",
                "--concurrency",
                "2",
                big.to_str().unwrap_or_default(),
                &format!("s3://{bucket}/big-{signal}.bin"),
            ],
        );
        let code = interrupt(cmd, signal, || uploads(server, &bucket) > 0);
        assert_eq!(code, expected, "SIG{signal}");
        assert_eq!(
            uploads(server, &bucket),
            0,
            "SIG{signal}: the multipart upload in flight was aborted"
        );
        let listing = clirun::run(
            &pairs,
            &[
                "--endpoint-url",
                &server.endpoint,
                "list-objects-v2",
                "--bucket",
                &bucket,
            ],
        );
        assert_eq!(
            listing.json()["response"]["Contents"],
            serde_json::json!([]),
            "no object appeared"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_interrupted_download_leaves_no_file() {
    let server = support::moto();
    let bucket = support::unique_bucket("intrdl");
    let owned = env(server);
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    clirun::run(
        &pairs,
        &[
            "--endpoint-url",
            &server.endpoint,
            "create-bucket",
            "--bucket",
            &bucket,
        ],
    )
    .expect_code(0);
    let dir = std::env::temp_dir().join(format!("s3op-intrdl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let big = dir.join("src.bin");
    std::fs::write(&big, vec![7u8; 300 * 1024 * 1024]).expect("write");
    clirun::run(
        &pairs,
        &[
            "--endpoint-url",
            &server.endpoint,
            "cp",
            "--part-size",
            "64MiB",
            big.to_str().unwrap_or_default(),
            &format!("s3://{bucket}/big.bin"),
        ],
    )
    .expect_code(0);
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).expect("out dir");
    let target = out_dir.join("big.bin");
    let watch = out_dir.clone();
    let cmd = s3op(
        server,
        &[
            "cp",
            "--part-size",
            "5MiB",
            "--concurrency",
            "2",
            &format!("s3://{bucket}/big.bin"),
            target.to_str().unwrap_or_default(),
        ],
    );
    let code = interrupt(cmd, "INT", move || {
        std::fs::read_dir(&watch)
            .map(|d| d.count() > 0)
            .unwrap_or(false)
    });
    assert_eq!(code, 130);
    let left: Vec<_> = std::fs::read_dir(&out_dir)
        .expect("list")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(
        left.is_empty(),
        "nothing under the target name and no temporary file: {left:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
