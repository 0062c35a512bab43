//! `s3op rm --incomplete s3://bucket[/prefix] [--older-than DURATION]` (issue 14, item 4): the
//! multipart uploads left unfinished under a prefix are listed and aborted, on moto (s3s-fs answers
//! ListMultipartUploads with 501, which must show as a failure, exit 1). An upload old enough
//! cannot be made on a server, so the filter is shown both ways with the bounds: moto gives every
//! upload the same fixed, years-old `Initiated`, so `--older-than 0s` keeps every upload and a
//! century keeps none. `--dry-run` lists and aborts nothing; a malformed duration exits 2 with
//! nothing sent.

mod clirun;
mod support;

#[path = "support/cli.rs"]
mod cli;

use clirun::Run;
use serde_json::Value;

use cli::{bucket as new_bucket, s3op as on};

/// Start a multipart upload of `key`; its upload id.
fn start_upload(server: &support::TestServer, bucket: &str, key: &str) -> String {
    let r = on(
        server,
        &["create-multipart-upload", "--bucket", bucket, "--key", key],
    );
    r.expect_code(0);
    r.json()["response"]["UploadId"]
        .as_str()
        .unwrap_or_else(|| panic!("an upload id:\n{r}"))
        .to_string()
}

/// The (key, upload id) of every upload in the bucket, sorted, from ListMultipartUploads.
fn uploads(server: &support::TestServer, bucket: &str) -> Vec<(String, String)> {
    let r = on(server, &["list-multipart-uploads", "--bucket", bucket]);
    r.expect_code(0);
    let mut found: Vec<(String, String)> = r.json()["response"]["Uploads"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|u| {
            (
                u["Key"].as_str().unwrap_or("").to_string(),
                u["UploadId"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

fn json_lines(r: &Run) -> Vec<Value> {
    r.stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}\n{r}"))
        })
        .collect()
}

#[test]
fn aborts_old_uploads_under_the_prefix_on_moto() {
    let server = support::moto();
    let bucket = new_bucket(server, "rm-incomplete");
    let one = start_upload(server, &bucket, "logs/one.bin");
    let two = start_upload(server, &bucket, "logs/two.bin");
    let other = start_upload(server, &bucket, "keep/three.bin");
    let all = {
        let mut all = vec![
            ("keep/three.bin".to_string(), other.clone()),
            ("logs/one.bin".to_string(), one.clone()),
            ("logs/two.bin".to_string(), two.clone()),
        ];
        all.sort();
        all
    };
    assert_eq!(uploads(server, &bucket), all);
    let prefix = format!("s3://{bucket}/logs/");

    // A century: none of them is that old, nothing is aborted.
    let r = on(
        server,
        &["rm", "--incomplete", &prefix, "--older-than", "36500d"],
    );
    r.expect_code(0);
    assert_eq!(r.stdout, "", "{r}");
    assert_eq!(uploads(server, &bucket), all);

    // --dry-run: both uploads under the prefix are listed, as JSON lines, and stay.
    let r = on(
        server,
        &[
            "--dry-run",
            "rm",
            "--incomplete",
            &prefix,
            "--older-than",
            "0s",
            "--json",
        ],
    );
    r.expect_code(0);
    let mut listed: Vec<(String, String, bool)> = json_lines(&r)
        .into_iter()
        .map(|l| {
            assert_eq!(l["action"], "abort", "{r}");
            assert!(l["initiated"].is_string(), "{r}");
            (
                l["source"].as_str().unwrap_or("").to_string(),
                l["upload_id"].as_str().unwrap_or("").to_string(),
                l["dryrun"] == true,
            )
        })
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        vec![
            (format!("{prefix}one.bin"), one.clone(), true),
            (format!("{prefix}two.bin"), two.clone(), true),
        ],
        "{r}"
    );
    assert_eq!(uploads(server, &bucket), all);

    // 0s: every upload under the prefix is old enough; they are aborted, the other one stays.
    let r = on(
        server,
        &["rm", "--incomplete", &prefix, "--older-than", "0s"],
    );
    r.expect_code(0);
    let mut lines: Vec<&str> = r.stdout.lines().collect();
    lines.sort();
    assert_eq!(lines.len(), 2, "{r}");
    assert!(
        lines[0].starts_with(&format!("abort {prefix}one.bin ({one}, initiated ")),
        "{r}"
    );
    assert!(
        lines[1].starts_with(&format!("abort {prefix}two.bin ({two}, initiated ")),
        "{r}"
    );
    assert_eq!(
        uploads(server, &bucket),
        vec![("keep/three.bin".to_string(), other.clone())]
    );

    // Without --older-than and without a prefix: the rest of the bucket.
    let r = on(server, &["rm", "--incomplete", &format!("s3://{bucket}")]);
    r.expect_code(0);
    assert_eq!(r.stdout.lines().count(), 1, "{r}");
    assert!(uploads(server, &bucket).is_empty());
}

/// A bucket without unfinished uploads: nothing printed, exit 0.
#[test]
fn an_empty_bucket_has_nothing_to_abort() {
    let server = support::moto();
    let bucket = new_bucket(server, "rm-incomplete-empty");
    let r = on(server, &["rm", "--incomplete", &format!("s3://{bucket}/")]);
    r.expect_code(0);
    assert_eq!(r.stdout, "", "{r}");
}

#[test]
fn malformed_duration_exits_2_and_sends_nothing() {
    // A closed port: anything sent would fail with exit 1.
    let env = [
        ("AWS_ACCESS_KEY_ID", "k"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
        ("AWS_REGION", "us-east-1"),
    ];
    for bad in ["24x", "24", "h", "1.5h", "-1h"] {
        let flag = format!("--older-than={bad}");
        let r = clirun::run(
            &env,
            &[
                "--endpoint-url",
                "http://127.0.0.1:1",
                "rm",
                "--incomplete",
                "s3://bucket/p/",
                &flag,
            ],
        );
        r.expect_code(2);
        assert!(r.stderr.contains("--older-than"), "{bad}: {r}");
        assert_eq!(r.stdout, "", "{r}");
    }
    // --older-than belongs to --incomplete.
    let r = clirun::run(
        &env,
        &[
            "--endpoint-url",
            "http://127.0.0.1:1",
            "rm",
            "s3://bucket/p/key",
            "--older-than",
            "1h",
        ],
    );
    r.expect_code(2);
}

/// s3s-fs does not implement ListMultipartUploads: the failure is reported and the exit code is 1.
#[test]
fn unlistable_uploads_exit_1_on_s3s_fs() {
    let server = support::s3s_fs();
    let bucket = new_bucket(server, "rm-incomplete-s3s");
    let r = on(
        server,
        &["rm", "--incomplete", &format!("s3://{bucket}/"), "--json"],
    );
    r.expect_code(1);
    assert!(
        r.stderr.contains(&format!(
            "listing the multipart uploads under s3://{bucket}/"
        )),
        "{r}"
    );
    assert!(r.stderr.contains("NotImplemented"), "{r}");
    let lines = json_lines(&r);
    assert!(lines.iter().all(|l| l["error"].is_object()), "{r}");
}
