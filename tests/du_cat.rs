//! `s3op du` and `s3op cat` (issue 15, item 5), on s3s-fs and moto. du: the object count and bytes
//! under a prefix equal what was put (and only under it), per storage class on moto, every version
//! and the delete markers apart with `--all-versions` on moto, `--json` parses, `--human-readable`
//! prints KiB/MiB. cat: a 40 MiB object read in 5 MiB ranges equals the object byte for byte, as
//! does `cp … -`; a reader that closes early (`| head -c 10`) leaves exit 0 and no panic; an
//! empty object prints nothing; a missing key exits 1 with S3's error envelope on stderr; a
//! bucket or a prefix exits 2. A bit flipped on the way (the fault proxy in front of s3s-fs) is
//! caught by the object's CRC64NVME: a one-GET object prints nothing, a ranged one fails at the
//! end; both exit 1 naming both values.

mod clirun;
mod support;

#[path = "support/cli.rs"]
mod cli;

#[path = "support/fault_proxy.rs"]
mod fault_proxy;
#[path = "support/scratch.rs"]
mod scratch;

use std::io::Read;
use std::process::Stdio;

use scratch::data;
use serde_json::Value;

use cli::{env, s3op as on};

/// Run s3op and keep its standard output as bytes.
fn raw(server: &support::TestServer, args: &[&str]) -> (i32, Vec<u8>, String) {
    cli::s3op_bytes(&server.endpoint, &env(server), args)
}

fn new_bucket(server: &support::TestServer, prefix: &str) -> String {
    let bucket = support::unique_bucket(prefix);
    on(server, &["mb", &format!("s3://{bucket}")]).expect_code(0);
    bucket
}

/// Put objects with the library: (key, bytes, storage class).
fn put_all(server: &support::TestServer, bucket: &str, objects: &[(&str, Vec<u8>, Option<&str>)]) {
    let client = server.client();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        for (key, bytes, class) in objects {
            let mut put = client
                .put_object()
                .bucket(bucket)
                .key(*key)
                .body(bytes.clone());
            if let Some(class) = class {
                put = put.storage_class(*class);
            }
            put.send().await.expect("put");
        }
    });
}

fn du_json(server: &support::TestServer, args: &[&str]) -> Value {
    let mut full = vec!["du", "--json"];
    full.extend_from_slice(args);
    let r = on(server, &full);
    r.expect_code(0);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{r}"))
}

#[test]
fn du_counts_what_is_under_the_prefix_on_s3s_fs() {
    let server = support::s3s_fs();
    let bucket = new_bucket(server, "du-s3s");
    let sizes = [1000u64, 2000, 0, 512 * 1024];
    let mut objects: Vec<(String, Vec<u8>)> = sizes
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("logs/{i}/part.bin"), data(*n, i as u64)))
        .collect();
    objects.push(("other/outside.bin".into(), data(4096, 9)));
    let borrowed: Vec<(&str, Vec<u8>, Option<&str>)> = objects
        .iter()
        .map(|(k, b)| (k.as_str(), b.clone(), None))
        .collect();
    put_all(server, &bucket, &borrowed);

    let under = du_json(server, &[&format!("s3://{bucket}/logs/")]);
    assert_eq!(under["Objects"], sizes.len() as u64, "{under}");
    assert_eq!(under["Size"], sizes.iter().sum::<u64>(), "{under}");
    let all = du_json(server, &[&format!("s3://{bucket}")]);
    assert_eq!(all["Objects"], sizes.len() as u64 + 1, "{all}");
    assert_eq!(all["Size"], sizes.iter().sum::<u64>() + 4096, "{all}");

    // Text: bytes, count, URL; human-readable sizes.
    let r = on(server, &["du", &format!("s3://{bucket}/other/")]);
    r.expect_code(0);
    let words: Vec<&str> = r.stdout.split_whitespace().collect();
    assert_eq!(
        words,
        ["4096", "1", "objects", &format!("s3://{bucket}/other/")],
        "{r}"
    );
    let r = on(
        server,
        &["du", "--human-readable", &format!("s3://{bucket}/logs/3/")],
    );
    r.expect_code(0);
    assert!(r.stdout.contains("512.0 KiB"), "{r}");

    // An empty prefix counts nothing; a local path is refused before anything is sent.
    let none = du_json(server, &[&format!("s3://{bucket}/nothing/")]);
    assert_eq!(
        (none["Objects"].clone(), none["Size"].clone()),
        (0.into(), 0.into())
    );
    let r = on(server, &["du", "/tmp"]);
    r.expect_code(2);
}

#[test]
fn du_by_storage_class_and_all_versions_on_moto() {
    let server = support::moto();
    let bucket = new_bucket(server, "du-moto");
    put_all(
        server,
        &bucket,
        &[
            ("a", data(100, 1), None),
            ("b", data(200, 2), Some("STANDARD_IA")),
            ("c", data(300, 3), Some("STANDARD_IA")),
            ("d", data(400, 4), Some("GLACIER")),
        ],
    );
    let by_class = du_json(server, &["--by-storage-class", &format!("s3://{bucket}")]);
    assert_eq!(by_class["Objects"], 4, "{by_class}");
    assert_eq!(by_class["Size"], 1000, "{by_class}");
    assert_eq!(
        by_class["StorageClasses"],
        serde_json::json!({
            "STANDARD": {"Objects": 1, "Size": 100},
            "STANDARD_IA": {"Objects": 2, "Size": 500},
            "GLACIER": {"Objects": 1, "Size": 400},
        }),
        "{by_class}"
    );
    let r = on(
        server,
        &["du", "--by-storage-class", &format!("s3://{bucket}")],
    );
    r.expect_code(0);
    let ia = r
        .stdout
        .lines()
        .find(|l| l.ends_with(" STANDARD_IA"))
        .unwrap_or_else(|| panic!("a STANDARD_IA line:\n{r}"));
    assert_eq!(
        ia.split_whitespace().collect::<Vec<_>>(),
        ["500", "2", "objects", "STANDARD_IA"]
    );

    // Versions: two of "v" (10 and 20 bytes) and a delete marker.
    let versioned = new_bucket(server, "du-versions");
    on(
        server,
        &[
            "put-bucket-versioning",
            "--bucket",
            &versioned,
            "--versioning-configuration",
            r#"{"Status":"Enabled"}"#,
        ],
    )
    .expect_code(0);
    put_all(
        server,
        &versioned,
        &[("v", data(10, 5), None), ("v", data(20, 6), None)],
    );
    on(server, &["rm", &format!("s3://{versioned}/v")]).expect_code(0);
    let current = du_json(server, &[&format!("s3://{versioned}")]);
    assert_eq!(
        (current["Objects"].clone(), current["Size"].clone()),
        (0.into(), 0.into())
    );
    let every = du_json(server, &["--all-versions", &format!("s3://{versioned}")]);
    assert_eq!(every["Objects"], 2, "{every}");
    assert_eq!(every["Size"], 30, "{every}");
    assert_eq!(every["DeleteMarkers"], 1, "{every}");
}

#[test]
fn cat_reads_a_large_object_in_ranges_in_order_on_s3s_fs() {
    let server = support::s3s_fs();
    let bucket = new_bucket(server, "cat-s3s");
    let bytes = data(40 * 1024 * 1024 + 123, 7);
    put_all(
        server,
        &bucket,
        &[
            ("big.bin", bytes.clone(), None),
            ("empty", Vec::new(), None),
        ],
    );
    let url = format!("s3://{bucket}/big.bin");
    let (code, out, err) = raw(
        server,
        &["cat", "--part-size", "5MiB", "--concurrency", "4", &url],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.len(), bytes.len());
    assert!(out == bytes, "cat gave other bytes");
    let (code, out, err) = raw(server, &["cp", "--part-size", "5MiB", &url, "-"]);
    assert_eq!(code, 0, "{err}");
    assert!(out == bytes, "cp … - gave other bytes");
    let (code, out, err) = raw(server, &["cat", &format!("s3://{bucket}/empty")]);
    assert_eq!((code, out.len()), (0, 0), "{err}");

    // A reader that takes 10 bytes and goes away.
    let mut child = clirun::command(&env(server))
        .args(["--endpoint-url", &server.endpoint])
        .args(["cat", "--part-size", "5MiB", &url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("s3op runs");
    let mut head = [0u8; 10];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut head)
        .expect("10 bytes");
    // The pipe's reading end is closed here.
    let out = child.wait_with_output().expect("s3op finishes");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(head, bytes[..10]);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.trim().is_empty(), "quiet: {stderr}");
}

#[test]
fn cat_of_a_missing_key_or_a_prefix_fails_on_moto() {
    let server = support::moto();
    let bucket = new_bucket(server, "cat-moto");
    put_all(server, &bucket, &[("small.txt", b"hello\n".to_vec(), None)]);
    let r = on(server, &["cat", &format!("s3://{bucket}/small.txt")]);
    r.expect_code(0);
    assert_eq!(r.stdout, "hello\n");
    let r = on(server, &["cat", &format!("s3://{bucket}/missing.txt")]);
    r.expect_code(1);
    assert!(r.stdout.is_empty(), "{r}");
    let envelope: Value =
        serde_json::from_str(&r.stderr).unwrap_or_else(|e| panic!("an envelope ({e}):\n{r}"));
    assert_eq!(envelope["status"], 404, "{r}");
    assert_eq!(envelope["response"]["Error"]["Code"], "NoSuchKey", "{r}");
    for bad in [format!("s3://{bucket}"), format!("s3://{bucket}/dir/")] {
        let r = on(server, &["cat", &bad]);
        r.expect_code(2);
        assert!(r.stderr.contains("cat prints one object"), "{r}");
    }
}

/// Bad usage of the new commands and flags exits 2 naming the problem, with no request sent.
#[tokio::test(flavor = "multi_thread")]
async fn bad_usage_exits_2_and_sends_nothing() {
    let server = wiremock::MockServer::start().await;
    let dir = scratch::scratch("du_cat", "usage");
    let file = dir.join("f.txt");
    std::fs::write(&file, b"x").expect("write");
    let file = file.to_str().expect("UTF-8").to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["du", &file], "S3 URL"),
        (vec!["du", "s3:/bkt"], "s3:/bkt"),
        (vec!["cat", "s3://bkt"], "cat prints one object"),
        (vec!["cat", "s3://bkt/dir/"], "cat prints one object"),
        (vec!["cat", &file], "S3 URL"),
        (
            vec!["cat", "--part-size", "1KiB", "s3://bkt/k"],
            "--part-size",
        ),
        (
            vec!["cp", "--version-id", "v1", &file, "s3://bkt/k"],
            "--version-id",
        ),
        (
            vec![
                "cp",
                "--version-id",
                "v1",
                "-r",
                "s3://bkt/p/",
                "s3://bkt/q/",
            ],
            "--version-id",
        ),
        (
            vec!["rm", "--all-versions", "--incomplete", "s3://bkt/p/"],
            "--incomplete",
        ),
        (vec!["rm", "--all-versions", "s3://bkt/p/"], "--recursive"),
    ];
    cli::expect_usage_errors(&server.uri(), &cases);
    assert_eq!(
        server
            .received_requests()
            .await
            .map(|r| r.len())
            .unwrap_or(0),
        0,
        "bad usage must not reach the server"
    );
}

fn crc64(bytes: &[u8]) -> String {
    let mut h = s3op::checksum::Hasher::new(s3op::checksum::Algorithm::Crc64Nvme);
    h.update(bytes);
    h.finish()
}

#[test]
fn cat_checks_the_full_object_checksum() {
    use fault_proxy::{Fault, FaultProxy, Rule};
    const MIB: u64 = 1024 * 1024;
    let server = support::s3s_fs();
    let bucket = new_bucket(server, "cat-flip");
    let dir = scratch::scratch("du_cat", "flip");
    let small = data(300_000, 11);
    let big = data(12 * MIB, 12);
    for (key, bytes) in [("small", &small), ("big", &big)] {
        let file = dir.join(key);
        std::fs::write(&file, bytes).expect("write");
        on(
            server,
            &[
                "put-object",
                "--bucket",
                &bucket,
                "--key",
                key,
                "--body",
                file.to_str().expect("UTF-8"),
                "--checksum-algorithm",
                "CRC64NVME",
            ],
        )
        .expect_code(0);
    }
    let through = |rule: Rule, args: &[&str]| {
        let proxy = FaultProxy::start(server.addr(), vec![rule]);
        cli::s3op_bytes(&proxy.endpoint, &env(server), args)
    };
    // One GET: checked before anything is written.
    let (code, out, err) = through(
        Rule::new(Fault::FlipAnswerBit { at: 99 }).method("GET"),
        &["cat", &format!("s3://{bucket}/small")],
    );
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "nothing written");
    let mut flipped = small.clone();
    flipped[99] ^= 1;
    assert!(
        err.contains(&crc64(&small)) && err.contains(&crc64(&flipped)),
        "both values named: {err}"
    );
    // Ranges: the bit flipped in the third range is found at the end.
    let (code, out, err) = through(
        Rule::new(Fault::FlipAnswerBit { at: 77 })
            .method("GET")
            .range_start(10 * MIB),
        &["cat", "--part-size", "5MiB", &format!("s3://{bucket}/big")],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out.len() as u64,
        12 * MIB,
        "written in order before the end"
    );
    let mut flipped = big.clone();
    flipped[(10 * MIB + 77) as usize] ^= 1;
    assert!(out == flipped, "the flipped range was written as it came");
    assert!(
        err.contains(&crc64(&big)) && err.contains(&crc64(&flipped)),
        "both values named: {err}"
    );
    // Untouched, both check out.
    let (code, out, err) = raw(
        server,
        &["cat", "--part-size", "5MiB", &format!("s3://{bucket}/big")],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out == big, "byte-exact");
}
