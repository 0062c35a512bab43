//! `s3op check SRC DST` (issue 14, item 5) against s3s-fs and moto: trees with one file changed
//! (same size, different bytes), one missing and one extra, compared local↔S3, S3↔S3 and
//! local↔local; which comparison told them apart (`"by"` in the JSON lines: stored CRC64NVME
//! checksums when the objects were uploaded with `--checksum-algorithm CRC64NVME`, MD5 ETags when
//! they were not, the size alone when neither can tell); exit codes 0 (identical), 1 (not) and 2
//! (bad arguments, nothing listed).

mod clirun;
mod support;

#[path = "support/scratch.rs"]
mod scratch;

use std::path::Path;

use clirun::Run;
use scratch::Scratch;
use serde_json::Value;

/// Run s3op against `server`, with `extra_env` beside the server's keys.
fn on_with(server: &support::TestServer, extra_env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut env = vec![
        ("AWS_ACCESS_KEY_ID", server.access_key.as_str()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_key.as_str()),
        ("AWS_REGION", server.region.as_str()),
    ];
    env.extend_from_slice(extra_env);
    let mut full = vec!["--endpoint-url", server.endpoint.as_str()];
    full.extend_from_slice(args);
    clirun::run(&env, &full)
}

fn on(server: &support::TestServer, args: &[&str]) -> Run {
    on_with(server, &[], args)
}

fn scratch(name: &str) -> Scratch {
    scratch::scratch("check", name)
}

fn new_bucket(server: &support::TestServer, prefix: &str) -> String {
    let bucket = support::unique_bucket(prefix);
    on(server, &["mb", &format!("s3://{bucket}")]).expect_code(0);
    bucket
}

fn text(path: &Path) -> String {
    path.to_str().expect("UTF-8 path").to_string()
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("parent dir");
    }
    std::fs::write(path, bytes).expect("write file");
}

/// The source tree: `same.txt`, `sub/changed.bin` and `only-in-src.txt`.
fn source_tree(dir: &Path) {
    write(&dir.join("same.txt"), b"the same in both trees\n");
    write(&dir.join("sub/changed.bin"), b"0123456789abcdef");
    write(&dir.join("only-in-src.txt"), b"missing in DST\n");
}

/// The destination tree: `same.txt` as in the source, `sub/changed.bin` of the same size with
/// other bytes, and `only-in-dst.txt`.
fn destination_tree(dir: &Path) {
    write(&dir.join("same.txt"), b"the same in both trees\n");
    write(&dir.join("sub/changed.bin"), b"0123456789abcdeF");
    write(&dir.join("only-in-dst.txt"), b"missing in SRC\n");
}

/// How an upload is made, so that the object has (or has not) a stored checksum.
#[derive(Clone, Copy, PartialEq)]
enum Stored {
    Crc64nvme,
    /// No checksum asked for, and none sent even if s3op's default changes to send one.
    Nothing,
}

/// Upload every file under `dir` to `s3://bucket/prefix…` with `s3op put-object`.
fn upload_tree(server: &support::TestServer, dir: &Path, bucket: &str, prefix: &str, how: Stored) {
    for rel in [
        "same.txt",
        "sub/changed.bin",
        "only-in-src.txt",
        "only-in-dst.txt",
    ] {
        let path = dir.join(rel);
        if !path.exists() {
            continue;
        }
        let key = format!("{prefix}{rel}");
        let body = text(&path);
        let mut args = vec![
            "put-object",
            "--bucket",
            bucket,
            "--key",
            &key,
            "--body",
            &body,
        ];
        let env: &[(&str, &str)] = match how {
            Stored::Crc64nvme => {
                args.extend(["--checksum-algorithm", "CRC64NVME"]);
                &[]
            }
            Stored::Nothing => &[("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")],
        };
        let r = on_with(server, env, &args);
        r.expect_code(0);
        let sent = r.json()["headers"]["x-amz-checksum-crc64nvme"].is_string();
        assert_eq!(sent, how == Stored::Crc64nvme, "{key}: {r}");
    }
}

fn json_lines(r: &Run) -> Vec<Value> {
    r.stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}\n{r}"))
        })
        .collect()
}

/// The JSON line about `path`.
fn line_for<'a>(lines: &'a [Value], path: &str, r: &Run) -> &'a Value {
    lines
        .iter()
        .find(|l| l["path"] == path)
        .unwrap_or_else(|| panic!("no line for {path}:\n{r}"))
}

fn summary(lines: &[Value], r: &Run) -> Value {
    let last = lines.last().unwrap_or_else(|| panic!("no lines:\n{r}"));
    assert!(
        last["summary"].is_object(),
        "the last line is the summary:\n{r}"
    );
    last["summary"].clone()
}

/// `check --json SRC DST` on the two trees: exit 1, one line each for the missing, the extra and
/// the changed file (told apart `by`), none for the same file, and the summary.
fn expect_differences(
    server: &support::TestServer,
    src: &str,
    dst: &str,
    by: &str,
    algorithm: Option<&str>,
) {
    let r = on(server, &["check", "--json", src, dst]);
    r.expect_code(1);
    let lines = json_lines(&r);
    assert_eq!(lines.len(), 4, "three differences and the summary:\n{r}");
    assert_eq!(
        line_for(&lines, "only-in-src.txt", &r)["result"],
        "missing_in_dst"
    );
    assert_eq!(
        line_for(&lines, "only-in-dst.txt", &r)["result"],
        "missing_in_src"
    );
    let changed = line_for(&lines, "sub/changed.bin", &r);
    assert_eq!(changed["result"], "differs", "{r}");
    assert_eq!(changed["by"], by, "{r}");
    if let Some(algorithm) = algorithm {
        assert_eq!(changed["algorithm"], algorithm, "{r}");
        assert_ne!(changed["src"], changed["dst"], "{r}");
        assert!(
            changed["src"].is_string() && changed["dst"].is_string(),
            "{r}"
        );
    }
    assert!(
        lines.iter().all(|l| l["path"] != "same.txt"),
        "an identical file known to be so has no line:\n{r}"
    );
    let s = summary(&lines, &r);
    assert_eq!(
        (
            &s["identical"],
            &s["differ"],
            &s["missing_in_dst"],
            &s["missing_in_src"],
            &s["errors"]
        ),
        (&1.into(), &1.into(), &1.into(), &1.into(), &0.into()),
        "{r}"
    );

    // The same without --json: one text line per difference, the summary on stderr.
    let r = on(server, &["check", src, dst]);
    r.expect_code(1);
    let mut lines: Vec<&str> = r.stdout.lines().collect();
    lines.sort();
    assert_eq!(lines.len(), 3, "{r}");
    assert!(lines[0].starts_with("differs: sub/changed.bin ("), "{r}");
    assert_eq!(lines[1], "missing in DST: only-in-src.txt", "{r}");
    assert_eq!(lines[2], "missing in SRC: only-in-dst.txt", "{r}");
    assert!(
        r.stderr
            .contains("1 identical, 1 differ, 1 missing in DST, 1 missing in SRC"),
        "{r}"
    );
}

/// Identical trees: exit 0, nothing on stdout but (with --json) the summary.
fn expect_identical(server: &support::TestServer, src: &str, dst: &str, files: u64) {
    let r = on(server, &["check", src, dst]);
    r.expect_code(0);
    assert_eq!(r.stdout, "", "{r}");
    assert!(
        r.stderr.contains(&format!(
            "{files} identical, 0 differ, 0 missing in DST, 0 missing in SRC"
        )),
        "{r}"
    );
    let r = on(server, &["check", "--json", src, dst]);
    r.expect_code(0);
    let lines = json_lines(&r);
    assert_eq!(lines.len(), 1, "only the summary:\n{r}");
    assert_eq!(summary(&lines, &r)["identical"], files, "{r}");
}

/// Local ↔ S3 and S3 ↔ S3 with stored CRC64NVME checksums, then with plain uploads (ETags).
fn trees_on(server: &support::TestServer, name: &str) {
    let dir = scratch(name);
    let (src_dir, dst_dir) = (dir.join("src"), dir.join("dst"));
    source_tree(&src_dir);
    destination_tree(&dst_dir);
    let (src_local, dst_local) = (text(&src_dir), text(&dst_dir));
    let bucket = new_bucket(server, name);
    let at = |prefix: &str| format!("s3://{bucket}/{prefix}");

    upload_tree(server, &src_dir, &bucket, "crc-src/", Stored::Crc64nvme);
    upload_tree(server, &dst_dir, &bucket, "crc-dst/", Stored::Crc64nvme);
    upload_tree(server, &src_dir, &bucket, "plain-src/", Stored::Nothing);
    upload_tree(server, &dst_dir, &bucket, "plain-dst/", Stored::Nothing);

    // Stored checksums: computed over the local file, or compared object to object; both
    // directions.
    expect_differences(
        server,
        &src_local,
        &at("crc-dst/"),
        "checksum",
        Some("CRC64NVME"),
    );
    expect_differences(
        server,
        &at("crc-src"),
        &dst_local,
        "checksum",
        Some("CRC64NVME"),
    );
    expect_differences(
        server,
        &at("crc-src/"),
        &at("crc-dst/"),
        "checksum",
        Some("CRC64NVME"),
    );
    // No stored checksum: the ETag (the local file's MD5).
    expect_differences(server, &src_local, &at("plain-dst/"), "etag", None);
    expect_differences(server, &at("plain-src/"), &at("plain-dst/"), "etag", None);
    // One side with a checksum, the other without: nothing in common but the ETags.
    expect_differences(server, &at("crc-src/"), &at("plain-dst/"), "etag", None);
    // Two local trees: both hashed.
    expect_differences(
        server,
        &src_local,
        &dst_local,
        "checksum",
        Some("CRC64NVME"),
    );

    // Identical: the source tree against its uploads, and those against each other.
    expect_identical(server, &src_local, &at("crc-src/"), 3);
    expect_identical(server, &src_local, &at("plain-src/"), 3);
    expect_identical(server, &at("crc-src/"), &at("plain-src/"), 3);
}

#[test]
fn trees_on_s3s_fs() {
    trees_on(support::s3s_fs(), "check-s3s");
}

#[test]
fn trees_on_moto() {
    trees_on(support::moto(), "check-moto");
}

/// Uploaded in one part of a multipart upload: the ETag is `md5-of-md5s-1`, which the plain ETag
/// of the same bytes cannot be compared with, and no checksum is stored.
fn upload_in_one_part(server: &support::TestServer, bucket: &str, key: &str, body: &Path) {
    let env = [("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")];
    let r = on_with(
        server,
        &env,
        &["create-multipart-upload", "--bucket", bucket, "--key", key],
    );
    r.expect_code(0);
    let upload_id = r.json()["response"]["UploadId"]
        .as_str()
        .unwrap_or_else(|| panic!("an upload id:\n{r}"))
        .to_string();
    let r = on_with(
        server,
        &env,
        &[
            "upload-part",
            "--bucket",
            bucket,
            "--key",
            key,
            "--upload-id",
            &upload_id,
            "--part-number",
            "1",
            "--body",
            &text(body),
        ],
    );
    r.expect_code(0);
    let etag = r.json()["headers"]["etag"]
        .as_str()
        .unwrap_or_else(|| panic!("a part ETag:\n{r}"))
        .to_string();
    let parts = serde_json::json!({ "Parts": [{ "PartNumber": 1, "ETag": etag }] }).to_string();
    on_with(
        server,
        &env,
        &[
            "complete-multipart-upload",
            "--bucket",
            bucket,
            "--key",
            key,
            "--upload-id",
            &upload_id,
            "--multipart-upload",
            &parts,
        ],
    )
    .expect_code(0);
}

/// When nothing but the size can tell (a plain ETag against a multipart one, no checksums), equal
/// sizes count as identical, and the JSON says so for that file.
#[test]
fn size_only_when_nothing_else_can_tell() {
    let server = support::s3s_fs();
    let dir = scratch("size-only");
    let file = dir.join("f.bin");
    write(&file, b"the same bytes, stored two ways");
    let bucket = new_bucket(server, "check-size-only");
    on_with(
        server,
        &[("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")],
        &[
            "put-object",
            "--bucket",
            &bucket,
            "--key",
            "one/f.bin",
            "--body",
            &text(&file),
        ],
    )
    .expect_code(0);
    upload_in_one_part(server, &bucket, "two/f.bin", &file);

    let (one, two) = (format!("s3://{bucket}/one/"), format!("s3://{bucket}/two/"));
    let r = on(server, &["check", "--json", &one, &two]);
    r.expect_code(0);
    let lines = json_lines(&r);
    assert_eq!(
        lines.len(),
        2,
        "a line for the file, then the summary:\n{r}"
    );
    let f = line_for(&lines, "f.bin", &r);
    assert_eq!(
        (&f["result"], &f["by"], &f["size_only"]),
        (&"identical".into(), &"size".into(), &true.into()),
        "{r}"
    );
    let s = summary(&lines, &r);
    assert_eq!(
        (&s["identical"], &s["size_only"]),
        (&1.into(), &1.into()),
        "{r}"
    );
    // The text form prints no line for it.
    let r = on(server, &["check", &one, &two]);
    r.expect_code(0);
    assert_eq!(r.stdout, "", "{r}");

    // The local file against the multipart object: its ETag is recomputed (one part), so the
    // ETag tells.
    let r = on(server, &["check", "--json", &text(&dir), &two]);
    r.expect_code(0);
    assert_eq!(json_lines(&r).len(), 1, "only the summary:\n{r}");
}

/// Bad arguments exit 2 and list nothing (the endpoint is a closed port: anything sent would fail
/// with exit 1 instead).
#[test]
fn bad_arguments_exit_2() {
    let dir = scratch("bad-args");
    let missing = text(&dir.join("no-such-dir"));
    let file = dir.join("a-file");
    write(&file, b"x");
    let env = [
        ("AWS_ACCESS_KEY_ID", "k"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
        ("AWS_REGION", "us-east-1"),
    ];
    let cases: [&[&str]; 5] = [
        &["check", &missing, "s3://bucket/p/"],
        &["check", "s3://bucket/p/", &text(&file)],
        &["check", "-", "s3://bucket/p/"],
        &["check", "s3:/bucket", &text(&dir)],
        &["check", "s3://bucket/p/"],
    ];
    for args in cases {
        let mut full = vec!["--endpoint-url", "http://127.0.0.1:1"];
        full.extend_from_slice(args);
        let r = clirun::run(&env, &full);
        r.expect_code(2);
        assert_eq!(r.stdout, "", "{r}");
    }
}

/// A prefix that cannot be listed (no such bucket) is an error: exit 1, not "identical".
#[test]
fn unlistable_side_exits_1() {
    let server = support::s3s_fs();
    let dir = scratch("unlistable");
    write(&dir.join("a.txt"), b"a");
    let bucket = support::unique_bucket("check-never-made");
    let r = on(
        server,
        &["check", &text(&dir), &format!("s3://{bucket}/p/")],
    );
    r.expect_code(1);
    assert!(r.stderr.contains("listing s3://"), "{r}");
}
