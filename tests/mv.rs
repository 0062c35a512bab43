//! `s3op mv` on s3s-fs: local → S3, S3 → local, S3 → S3, `--recursive` and wildcards, each source
//! gone only once its copy is there and whole; a copy that fails keeps its source; `-` and URLs
//! are refused before anything is sent; `--checksum-algorithm` reaches the stored object.

mod clirun;
mod support;

#[path = "support/cli.rs"]
mod cli;
#[path = "support/scratch.rs"]
mod scratch;

use cli::text;
use clirun::Run;
use scratch::{data, scratch};

fn s3(args: &[&str]) -> Run {
    cli::s3op(support::s3s_fs(), args)
}

fn bucket(prefix: &str) -> String {
    cli::bucket(support::s3s_fs(), prefix)
}

fn exists(url: &str) -> bool {
    let (bucket, key) = url
        .strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
        .expect("s3://bucket/key");
    s3(&["head-object", "--bucket", bucket, "--key", key]).code == 0
}

#[test]
fn a_file_moved_up_and_back_down_leaves_no_source_behind() {
    let dir = scratch("mv", "one");
    let bucket = bucket("mv-one");
    let bytes = data(300_000, 1);
    let file = dir.join("a.bin");
    std::fs::write(&file, &bytes).expect("write");
    let url = format!("s3://{bucket}/a.bin");
    let up = s3(&["mv", text(&file), &url]);
    up.expect_code(0);
    assert!(
        up.stdout
            .contains(&format!("move: {} to {url}", text(&file))),
        "{up}"
    );
    assert!(!file.exists(), "the local file is gone");
    assert!(exists(&url));
    let back = dir.join("back.bin");
    s3(&["mv", &url, text(&back)]).expect_code(0);
    assert!(
        std::fs::read(&back).expect("downloaded") == bytes,
        "byte-exact"
    );
    assert!(!exists(&url), "the object is gone");
}

#[test]
fn a_tree_moves_inside_s3_and_a_wildcard_moves_only_its_matches() {
    let dir = scratch("mv", "tree");
    let bucket = bucket("mv-tree");
    for (name, seed) in [("x/1.txt", 1), ("x/2.txt", 2), ("x/sub/3.log", 3)] {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(&path, data(1000 + seed, seed)).expect("write");
    }
    // A wildcard: only the .txt files go.
    let pattern = format!("{}/x/*.txt", text(&dir));
    s3(&["mv", &pattern, &format!("s3://{bucket}/up/")]).expect_code(0);
    assert!(!dir.join("x/1.txt").exists() && !dir.join("x/2.txt").exists());
    assert!(dir.join("x/sub/3.log").exists(), "not matched, not moved");
    assert!(exists(&format!("s3://{bucket}/up/1.txt")));
    // A prefix, recursively, to another prefix.
    s3(&[
        "mv",
        "--recursive",
        &format!("s3://{bucket}/up/"),
        &format!("s3://{bucket}/moved/"),
    ])
    .expect_code(0);
    for name in ["1.txt", "2.txt"] {
        assert!(exists(&format!("s3://{bucket}/moved/{name}")), "{name}");
        assert!(!exists(&format!("s3://{bucket}/up/{name}")), "{name} left");
    }
}

#[test]
fn a_failed_copy_keeps_its_source() {
    let dir = scratch("mv", "fail");
    let file = dir.join("keep.bin");
    std::fs::write(&file, data(5000, 4)).expect("write");
    // An upload that cannot reach its server.
    let run = clirun::run(
        &[("AWS_ACCESS_KEY_ID", "AK"), ("AWS_SECRET_ACCESS_KEY", "SK")],
        &[
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--max-attempts",
            "1",
            "mv",
            text(&file),
            "s3://nowhere/keep.bin",
        ],
    );
    run.expect_code(1);
    assert!(
        file.exists(),
        "the source stays when the upload fails:\n{run}"
    );
    // A download that cannot be written (its directory is a file) keeps the object.
    let bucket = bucket("mv-fail");
    let url = format!("s3://{bucket}/k");
    s3(&["cp", text(&file), &url]).expect_code(0);
    let blocker = dir.join("blocker");
    std::fs::write(&blocker, b"a file, not a directory").expect("write");
    let run = s3(&["mv", &url, text(&blocker.join("k"))]);
    run.expect_code(1);
    assert!(
        exists(&url),
        "the object stays when the download fails:\n{run}"
    );
}

#[test]
fn streams_and_urls_cannot_be_moved_and_nothing_is_sent() {
    for args in [
        ["mv", "-", "s3://b/k"],
        ["mv", "s3://b/k", "-"],
        ["mv", "https://example.com/x", "s3://b/k"],
    ] {
        let run = clirun::run(
            &[("AWS_ACCESS_KEY_ID", "AK"), ("AWS_SECRET_ACCESS_KEY", "SK")],
            &[
                "--endpoint-url",
                "http://127.0.0.1:9",
                args[0],
                args[1],
                args[2],
            ],
        );
        run.expect_code(2);
        assert!(run.stderr.contains("mv moves files and objects"), "{run}");
    }
}

#[test]
fn mv_sends_the_checksum_asked_for() {
    let dir = scratch("mv", "sum");
    let bucket = bucket("mv-sum");
    let file = dir.join("s.bin");
    std::fs::write(&file, data(10_000, 5)).expect("write");
    let url = format!("s3://{bucket}/s.bin");
    s3(&["mv", "--checksum-algorithm", "SHA256", text(&file), &url]).expect_code(0);
    let head = s3(&[
        "head-object",
        "--bucket",
        &bucket,
        "--key",
        "s.bin",
        "--checksum-mode",
        "ENABLED",
    ]);
    head.expect_code(0);
    assert!(
        head.json()["headers"]["x-amz-checksum-sha256"].is_string(),
        "{head}"
    );
}
