//! Retries through injected faults (issue 10, item 6): s3op, the binary and the library, talks to
//! s3s-fs through the fault proxy of `support/fault_proxy.rs`, which answers 503/500/429, cuts
//! bodies with a TCP reset, stalls and resets on script, and logs every request it sees. Each test
//! sets its objects up directly on s3s-fs, then goes through the proxy and counts the sends in its
//! log: how many, which `Range`, which `If-Match`, how far apart.
//!
//! What the tests hold s3op to (the retry policy of `src/retry.rs`, and the send pipeline being
//! rewritten): no request is sent more than `max_attempts` times, a resume included; a streamed
//! body that breaks off is resumed from the first missing byte with `If-Match` set to the first
//! answer's ETag, for `get-object` to a file, every range of a download (the first too) and `cp`
//! to stdout; `x-amz-retry-after` is honoured; a multipart upload that cannot finish is aborted.

mod clirun;
mod support;

#[path = "support/fault_proxy.rs"]
mod fault_proxy;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use clirun::Run;
use fault_proxy::{Fault, FaultProxy, Logged, Rule};
use s3op::transfer::TransferConfig;
use s3op::Error;

const MIB: u64 = 1024 * 1024;
/// s3op's default `max_attempts`.
const DEFAULT_ATTEMPTS: usize = 3;

// ---------------------------------------------------------------------------------------------
// Running s3op

fn env(server: &support::TestServer) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", server.access_key.clone()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_key.clone()),
        ("AWS_REGION", server.region.clone()),
    ]
}

/// s3op against `endpoint` (s3s-fs itself, or the proxy in front of it).
fn s3op_at(endpoint: &str, args: &[&str]) -> Run {
    let server = support::s3s_fs();
    let env = env(server);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut full = vec!["--endpoint-url", endpoint];
    full.extend_from_slice(args);
    clirun::run(&env, &full)
}

/// s3op straight to s3s-fs: setting up and checking, never faulted.
fn direct(args: &[&str]) -> Run {
    s3op_at(&support::s3s_fs().endpoint, args)
}

/// s3op through the proxy.
fn via(proxy: &FaultProxy, args: &[&str]) -> Run {
    s3op_at(&proxy.endpoint, args)
}

/// s3op through the proxy, stdout kept as bytes (an object written to `-`).
fn via_bytes(proxy: &FaultProxy, args: &[&str]) -> (i32, Vec<u8>, String) {
    let server = support::s3s_fs();
    let env = env(server);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = clirun::command(&env)
        .arg("--endpoint-url")
        .arg(&proxy.endpoint)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("s3op runs");
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// s3op through the proxy under `ulimit -n 256`, isolated from this machine's AWS settings the
/// way `clirun::command` isolates it.
fn via_with_few_fds(proxy: &FaultProxy, args: &[&str]) -> Run {
    let server = support::s3s_fs();
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "ulimit -n 256 || exit 99; exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_s3op"))
        .arg("--endpoint-url")
        .arg(&proxy.endpoint)
        .args(args)
        .env_clear();
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    cmd.env("HOME", std::env::temp_dir().join("s3op-test-home-none"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/s3op-test/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/s3op-test/credentials",
        );
    for (k, v) in env(server) {
        cmd.env(k, v);
    }
    let out = cmd.stdin(Stdio::null()).output().expect("sh runs s3op");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A library client that goes through the proxy, isolated from this machine's AWS settings.
fn library_client(proxy: &FaultProxy, max_attempts: Option<u32>) -> s3op::Client {
    let server = support::s3s_fs();
    let mut builder = s3op::Client::builder()
        .endpoint_url(&proxy.endpoint)
        .region(&server.region)
        .credentials(&server.access_key, &server.secret_key, None)
        .environment(s3op::config::Environment::from_vars(
            Vec::<(String, String)>::new(),
            None,
        ));
    if let Some(attempts) = max_attempts {
        builder = builder.max_attempts(attempts);
    }
    builder.build().expect("a client for the proxy")
}

fn proxy(rules: Vec<Rule>) -> FaultProxy {
    FaultProxy::start(support::s3s_fs().addr(), rules)
}

// ---------------------------------------------------------------------------------------------
// Data, files and objects

/// A fresh, empty directory for one test, removed when the test ends.
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("s3op-faults-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    Scratch(dir)
}

fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// `len` pseudo-random bytes, the same for the same seed.
fn data(len: u64, seed: u64) -> Vec<u8> {
    let mut bytes = vec![0u8; usize::try_from(len).expect("fits in memory")];
    fastrand::Rng::with_seed(seed).fill(&mut bytes);
    bytes
}

fn new_bucket(prefix: &str) -> String {
    let bucket = support::unique_bucket(prefix);
    direct(&["mb", &format!("s3://{bucket}")]).expect_code(0);
    bucket
}

/// Put `bytes` at `bucket`/`key` straight on s3s-fs and return its ETag.
fn put(dir: &Path, bucket: &str, key: &str, bytes: &[u8]) -> String {
    let file = dir.join(format!("source-{}", key.replace('/', "_")));
    std::fs::write(&file, bytes).expect("write source");
    direct(&["cp", text(&file), &format!("s3://{bucket}/{key}")]).expect_code(0);
    std::fs::remove_file(&file).expect("remove source");
    etag(bucket, key)
}

/// The object's ETag as s3s-fs reports it (quotes included, as `If-Match` carries it).
fn etag(bucket: &str, key: &str) -> String {
    let head = direct(&["head-object", "--bucket", bucket, "--key", key]);
    head.expect_code(0);
    let headers = &head.json()["headers"];
    headers["etag"]
        .as_str()
        .or_else(|| headers["ETag"].as_str())
        .unwrap_or_else(|| panic!("no ETag in {head}"))
        .to_string()
}

/// The object's bytes, read straight from s3s-fs.
fn object(dir: &Path, bucket: &str, key: &str) -> Vec<u8> {
    let file = dir.join("check-download");
    direct(&["get-object", "--bucket", bucket, "--key", key, text(&file)]).expect_code(0);
    let bytes = std::fs::read(&file).expect("read download");
    std::fs::remove_file(&file).expect("remove download");
    bytes
}

/// Every file under `dir`, relative, `/`-separated, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else if let Ok(rel) = path.strip_prefix(base) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Compare without printing megabytes on failure.
fn assert_same_bytes(got: &[u8], want: &[u8], what: &str) {
    let first_difference = got.iter().zip(want).position(|(a, b)| a != b);
    assert!(
        got.len() == want.len() && first_difference.is_none(),
        "{what}: {} bytes, {} expected; first difference at {first_difference:?}",
        got.len(),
        want.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Reading the proxy log

/// Requests of `method` whose path ends with `/bucket/key`.
fn sends<'a>(log: &'a [Logged], method: &str, bucket: &str, key: &str) -> Vec<&'a Logged> {
    let path = format!("/{bucket}/{key}");
    log.iter()
        .filter(|entry| entry.method == method && entry.path == path)
        .collect()
}

/// How many times each request (method, path, query, range end: [`FaultProxy::identity`]) was
/// sent.
fn sends_per_request(proxy: &FaultProxy, log: &[Logged]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for entry in log {
        *counts.entry(proxy.identity(entry)).or_insert(0) += 1;
    }
    counts
}

/// Assert that no request was sent more than `max` times.
fn assert_at_most_sends(proxy: &FaultProxy, max: usize) {
    let over: Vec<_> = sends_per_request(proxy, &proxy.log())
        .into_iter()
        .filter(|(_, count)| *count > max)
        .collect();
    assert!(
        over.is_empty(),
        "requests sent more than max_attempts ({max}) times: {over:?}\n{}",
        proxy.log_text()
    );
}

// ---------------------------------------------------------------------------------------------
// Error answers: how many sends, how far apart

#[test]
fn a_put_through_two_503s_succeeds_on_the_third_send() {
    let dir = scratch("put-storm-2");
    let bucket = new_bucket("faults-storm");
    let body = data(64 * 1024, 1);
    let file = dir.join("body.bin");
    std::fs::write(&file, &body).expect("write body");
    let proxy = proxy(vec![Rule::new(Fault::slow_down().retry_after(10))
        .method("PUT")
        .first(2)]);

    let run = via(
        &proxy,
        &[
            "put-object",
            "--bucket",
            &bucket,
            "--key",
            "k",
            "--body",
            text(&file),
        ],
    );

    run.expect_code(0);
    let log = proxy.log();
    let puts = sends(&log, "PUT", &bucket, "k");
    assert_eq!(puts.len(), 3, "three sends:\n{}", proxy.log_text());
    assert!(puts[..2].iter().all(|put| put.status == Some(503)));
    assert_eq!(puts[2].status, Some(200), "{}", proxy.log_text());
    assert_same_bytes(&object(&dir, &bucket, "k"), &body, "the stored object");
}

#[test]
fn a_put_through_an_endless_503_storm_stops_at_max_attempts() {
    let dir = scratch("put-storm-endless");
    let bucket = new_bucket("faults-storm-endless");
    let file = dir.join("body.bin");
    std::fs::write(&file, data(1024, 2)).expect("write body");
    for (flags, attempts) in [
        (&[][..], DEFAULT_ATTEMPTS),
        (&["--max-attempts", "5"][..], 5),
    ] {
        let proxy = proxy(vec![
            Rule::new(Fault::slow_down().retry_after(10)).method("PUT")
        ]);
        let mut args: Vec<&str> = flags.to_vec();
        args.extend([
            "put-object",
            "--bucket",
            &bucket,
            "--key",
            "k",
            "--body",
            text(&file),
        ]);

        let run = via(&proxy, &args);

        run.expect_code(1);
        let log = proxy.log();
        assert_eq!(
            sends(&log, "PUT", &bucket, "k").len(),
            attempts,
            "{flags:?}: exactly max_attempts sends:\n{}",
            proxy.log_text()
        );
        let envelope = run.json();
        assert_eq!(envelope["status"], 503, "{run}");
        assert_eq!(envelope["response"]["Error"]["Code"], "SlowDown", "{run}");
    }
}

#[tokio::test]
async fn the_library_stops_a_503_storm_at_its_max_attempts() {
    let bucket = new_bucket("faults-lib-storm");
    for attempts in [1, 2, 4] {
        let proxy = proxy(vec![
            Rule::new(Fault::slow_down().retry_after(10)).method("PUT")
        ]);

        let result = library_client(&proxy, Some(attempts))
            .put_object()
            .bucket(&bucket)
            .key("k")
            .body("through the storm")
            .send()
            .await;

        match result {
            Err(Error::Service(envelope)) => {
                assert_eq!(envelope.status, 503);
                assert_eq!(envelope.error_code(), Some("SlowDown"));
            }
            other => panic!("max_attempts {attempts}: expected the 503, got {other:?}"),
        }
        let log = proxy.log();
        assert_eq!(
            sends(&log, "PUT", &bucket, "k").len(),
            attempts as usize,
            "max_attempts {attempts}:\n{}",
            proxy.log_text()
        );
    }
}

/// `x-amz-retry-after` is honoured: each retry comes at least that long after the answer that
/// asked for it. (Three retries, not one: s3op's own throttling backoff is full jitter up to 1 s,
/// which could land past 300 ms by chance once, but rarely three times in a row.)
fn retry_after_is_honoured(fault: Fault, status: u16) {
    let dir = scratch(&format!("retry-after-{status}"));
    let bucket = new_bucket("faults-retry-after");
    let file = dir.join("body.bin");
    std::fs::write(&file, data(1024, 3)).expect("write body");
    let proxy = proxy(vec![Rule::new(fault.retry_after(300))
        .method("PUT")
        .first(3)]);

    let run = via(
        &proxy,
        &[
            "--max-attempts",
            "4",
            "put-object",
            "--bucket",
            &bucket,
            "--key",
            "k",
            "--body",
            text(&file),
        ],
    );

    run.expect_code(0);
    let log = proxy.log();
    let puts = sends(&log, "PUT", &bucket, "k");
    assert_eq!(puts.len(), 4, "{}", proxy.log_text());
    assert!(puts[..3].iter().all(|put| put.status == Some(status)));
    for pair in puts.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap >= Duration::from_millis(300),
            "a retry {gap:?} after an answer with x-amz-retry-after: 300\n{}",
            proxy.log_text()
        );
    }
}

#[test]
fn a_503_slow_down_with_retry_after_is_waited_out() {
    retry_after_is_honoured(Fault::slow_down(), 503);
}

#[test]
fn a_429_with_retry_after_is_waited_out() {
    retry_after_is_honoured(Fault::too_many_requests(), 429);
}

// ---------------------------------------------------------------------------------------------
// Bodies that break off: resumed from the byte reached

/// The resume of a cut answer: it starts at `start`, ends at the range's end (or is open), and
/// is pinned to the first answer's ETag.
fn assert_resume(resume: &Logged, start: u64, last: u64, etag: &str, log: &str) {
    let range = resume.range.as_deref().unwrap_or("");
    assert!(
        range == format!("bytes={start}-") || range == format!("bytes={start}-{last}"),
        "the resume asks for bytes={start}- or bytes={start}-{last}, not {range:?}:\n{log}"
    );
    assert_eq!(
        resume.if_match.as_deref(),
        Some(etag),
        "the resume carries If-Match with the ETag:\n{log}"
    );
}

#[test]
fn get_object_to_a_file_resumes_a_cut_body_from_the_byte_reached() {
    let dir = scratch("get-object-cut");
    let bucket = new_bucket("faults-get-cut");
    let body = data(3 * MIB, 4);
    let etag = put(&dir, &bucket, "k", &body);
    let proxy = proxy(vec![Rule::new(Fault::CutBody { after: MIB })
        .method("GET")
        .first(1)]);
    let out = dir.join("out.bin");

    let run = via(
        &proxy,
        &["get-object", "--bucket", &bucket, "--key", "k", text(&out)],
    );

    run.expect_code(0);
    assert_same_bytes(&std::fs::read(&out).expect("output file"), &body, "OUTFILE");
    let log = proxy.log();
    let gets = sends(&log, "GET", &bucket, "k");
    assert_eq!(
        gets.len(),
        2,
        "one cut answer, one resume:\n{}",
        proxy.log_text()
    );
    assert_resume(gets[1], MIB, 3 * MIB - 1, &etag, &proxy.log_text());
}

#[test]
fn cp_to_stdout_resumes_a_cut_body() {
    let dir = scratch("stdout-cut");
    let bucket = new_bucket("faults-stdout-cut");
    let body = data(3 * MIB, 5);
    let etag = put(&dir, &bucket, "k", &body);
    let proxy = proxy(vec![Rule::new(Fault::CutBody { after: MIB })
        .method("GET")
        .first(1)]);

    let (code, stdout, stderr) = via_bytes(&proxy, &["cp", &format!("s3://{bucket}/k"), "-"]);

    assert_eq!(
        code,
        0,
        "exit code; stderr:\n{stderr}\n{}",
        proxy.log_text()
    );
    assert_same_bytes(&stdout, &body, "stdout");
    let log = proxy.log();
    let gets = sends(&log, "GET", &bucket, "k");
    assert_eq!(
        gets.len(),
        2,
        "one cut answer, one resume:\n{}",
        proxy.log_text()
    );
    assert_resume(gets[1], MIB, 3 * MIB - 1, &etag, &proxy.log_text());
}

/// 40 MiB in the default 16 MiB ranges: 0, 16 MiB and 32 MiB.
const FORTY_MIB_RANGES: [(u64, u64); 3] = [
    (0, 16 * MIB - 1),
    (16 * MIB, 32 * MIB - 1),
    (32 * MIB, 40 * MIB - 1),
];

/// Each of the 40 MiB object's ranges was sent exactly twice: its first answer (cut by the
/// proxy) and a resume 1 MiB into it, pinned to the ETag; nothing else was fetched.
fn assert_each_range_resumed_once(proxy: &FaultProxy, bucket: &str, key: &str, etag: &str) {
    let log = proxy.log();
    let gets = sends(&log, "GET", bucket, key);
    for (start, last) in FORTY_MIB_RANGES {
        let range: Vec<&&Logged> = gets
            .iter()
            .filter(|get| (start..=last).contains(&get.range_start()))
            .collect();
        assert_eq!(
            range.len(),
            2,
            "range {start}-{last}: sent twice (a cut answer, a resume):\n{}",
            proxy.log_text()
        );
        assert_eq!(range[0].range_start(), start, "{}", proxy.log_text());
        assert!(range[0].fault.is_some(), "{}", proxy.log_text());
        assert_resume(range[1], start + MIB, last, etag, &proxy.log_text());
    }
    assert_eq!(gets.len(), 6, "nothing else fetched:\n{}", proxy.log_text());
    assert_at_most_sends(proxy, DEFAULT_ATTEMPTS);
}

#[test]
fn a_download_resumes_every_range_cut_including_the_first() {
    let dir = scratch("download-cut");
    let bucket = new_bucket("faults-download-cut");
    let body = data(40 * MIB, 6);
    let etag = put(&dir, &bucket, "forty-mib.bin", &body);
    let proxy = proxy(vec![Rule::new(Fault::CutBody { after: MIB })
        .method("GET")
        .each_range_once()]);
    let out = dir.join("x");

    let run = via(
        &proxy,
        &["cp", &format!("s3://{bucket}/forty-mib.bin"), text(&out)],
    );

    run.expect_code(0);
    assert_same_bytes(
        &std::fs::read(&out).expect("downloaded file"),
        &body,
        "the file",
    );
    assert_each_range_resumed_once(&proxy, &bucket, "forty-mib.bin", &etag);
}

#[test]
fn a_download_whose_every_answer_is_cut_fails_and_leaves_nothing() {
    let dir = scratch("download-all-cut");
    let bucket = new_bucket("faults-download-all-cut");
    let source = scratch("download-all-cut-source");
    put(&source, &bucket, "forty-mib.bin", &data(40 * MIB, 7));
    let proxy = proxy(vec![Rule::new(Fault::CutBody { after: MIB }).method("GET")]);

    let run = via(
        &proxy,
        &[
            "cp",
            &format!("s3://{bucket}/forty-mib.bin"),
            text(&dir.join("x")),
        ],
    );

    run.expect_code(1);
    assert!(
        proxy.log().iter().any(|entry| entry.method == "GET"),
        "it did try:\n{}",
        proxy.log_text()
    );
    assert_at_most_sends(&proxy, DEFAULT_ATTEMPTS);
    assert_eq!(
        files_under(&dir),
        Vec::<String>::new(),
        "no target and no temporary file left"
    );
}

#[tokio::test]
async fn the_library_download_resumes_every_range_cut() {
    let dir = scratch("library-download-cut");
    let bucket = new_bucket("faults-lib-download-cut");
    let body = data(40 * MIB, 11);
    let etag = put(&dir, &bucket, "forty-mib.bin", &body);
    let proxy = proxy(vec![Rule::new(Fault::CutBody { after: MIB })
        .method("GET")
        .each_range_once()]);
    let out = dir.join("x");

    let result = library_client(&proxy, None)
        .download_file(&bucket, "forty-mib.bin", &out, &TransferConfig::default())
        .await;

    if let Err(err) = &result {
        panic!("download_file: {err}\n{}", proxy.log_text());
    }
    assert_same_bytes(
        &std::fs::read(&out).expect("downloaded file"),
        &body,
        "the file",
    );
    assert_each_range_resumed_once(&proxy, &bucket, "forty-mib.bin", &etag);
}

// ---------------------------------------------------------------------------------------------
// Stalls

fn a_stall_longer_than_the_read_timeout_is_retried(fault: Fault, name: &str) {
    let dir = scratch(name);
    let bucket = new_bucket("faults-stall");
    let body = data(2 * MIB, 8);
    put(&dir, &bucket, "k", &body);
    let proxy = proxy(vec![Rule::new(fault).method("GET").first(1)]);
    let out = dir.join("out.bin");

    let run = via(
        &proxy,
        &[
            "--read-timeout",
            "1",
            "get-object",
            "--bucket",
            &bucket,
            "--key",
            "k",
            text(&out),
        ],
    );

    run.expect_code(0);
    assert_same_bytes(&std::fs::read(&out).expect("output file"), &body, "OUTFILE");
    let log = proxy.log();
    let gets = sends(&log, "GET", &bucket, "k");
    assert_eq!(
        gets.len(),
        2,
        "the stalled send and one more:\n{}",
        proxy.log_text()
    );
    assert!(gets[0].fault.is_some() && gets[1].fault.is_none());
}

#[test]
fn a_stall_mid_body_longer_than_the_read_timeout_is_retried() {
    a_stall_longer_than_the_read_timeout_is_retried(
        Fault::StallMidBody {
            after: 256 * 1024,
            stall: Duration::from_secs(4),
        },
        "stall-mid-body",
    );
}

#[test]
fn a_stall_before_the_headers_longer_than_the_read_timeout_is_retried() {
    a_stall_longer_than_the_read_timeout_is_retried(
        Fault::StallBeforeHeaders(Duration::from_secs(4)),
        "stall-before-headers",
    );
}

/// `--read-timeout` bounds each wait for bytes, not the whole answer: a body that keeps coming,
/// however slowly, is not retried.
#[test]
fn a_slow_but_steady_body_is_not_a_timeout() {
    let dir = scratch("throttled");
    let bucket = new_bucket("faults-throttled");
    let body = data(MIB, 12);
    put(&dir, &bucket, "k", &body);
    let proxy = proxy(vec![Rule::new(Fault::Throttle {
        bytes_per_sec: 512 * 1024,
    })
    .method("GET")]);
    let out = dir.join("out.bin");

    let run = via(
        &proxy,
        &[
            "--read-timeout",
            "1",
            "get-object",
            "--bucket",
            &bucket,
            "--key",
            "k",
            text(&out),
        ],
    );

    run.expect_code(0);
    assert_same_bytes(&std::fs::read(&out).expect("output file"), &body, "OUTFILE");
    let log = proxy.log();
    assert_eq!(
        sends(&log, "GET", &bucket, "k").len(),
        1,
        "one send, never timed out:\n{}",
        proxy.log_text()
    );
}

// ---------------------------------------------------------------------------------------------
// Multipart uploads

/// PUTs of part `n` of an upload.
fn part_sends<'a>(log: &'a [Logged], bucket: &str, key: &str, n: u32) -> Vec<&'a Logged> {
    let number = n.to_string();
    sends(log, "PUT", bucket, key)
        .into_iter()
        .filter(|entry| entry.query_param("partNumber") == Some(number.as_str()))
        .collect()
}

#[test]
fn a_multipart_upload_retries_a_failing_part() {
    let dir = scratch("multipart-part-500");
    let bucket = new_bucket("faults-multipart");
    let body = data(20 * MIB, 9);
    let file = dir.join("twenty.bin");
    std::fs::write(&file, &body).expect("write source");
    let proxy = proxy(vec![Rule::new(Fault::internal_error())
        .method("PUT")
        .query_contains("partNumber=2")
        .first(2)]);

    let run = via(
        &proxy,
        &[
            "cp",
            "--part-size",
            "5MiB",
            text(&file),
            &format!("s3://{bucket}/k"),
        ],
    );

    run.expect_code(0);
    let log = proxy.log();
    assert_eq!(
        part_sends(&log, &bucket, "k", 2).len(),
        3,
        "{}",
        proxy.log_text()
    );
    for n in [1, 3, 4] {
        assert_eq!(
            part_sends(&log, &bucket, "k", n).len(),
            1,
            "part {n}:\n{}",
            proxy.log_text()
        );
    }
    assert_same_bytes(&object(&dir, &bucket, "k"), &body, "the stored object");
}

#[test]
fn a_multipart_upload_whose_part_always_fails_is_aborted() {
    let dir = scratch("multipart-part-dead");
    let bucket = new_bucket("faults-multipart-dead");
    let file = dir.join("twenty.bin");
    std::fs::write(&file, data(20 * MIB, 10)).expect("write source");
    let proxy = proxy(vec![Rule::new(Fault::internal_error())
        .method("PUT")
        .query_contains("partNumber=2")]);

    let run = via(
        &proxy,
        &[
            "cp",
            "--part-size",
            "5MiB",
            text(&file),
            &format!("s3://{bucket}/k"),
        ],
    );

    run.expect_code(1);
    let log = proxy.log();
    assert_eq!(
        part_sends(&log, &bucket, "k", 2).len(),
        DEFAULT_ATTEMPTS,
        "{}",
        proxy.log_text()
    );
    assert!(
        sends(&log, "DELETE", &bucket, "k")
            .iter()
            .any(|delete| delete.query_param("uploadId").is_some()),
        "an AbortMultipartUpload:\n{}",
        proxy.log_text()
    );
    assert_at_most_sends(&proxy, DEFAULT_ATTEMPTS);
    let head = direct(&["head-object", "--bucket", &bucket, "--key", "k"]);
    assert_eq!(head.code, 1, "no object:\n{head}");
    assert_eq!(head.status(), 404, "no object:\n{head}");
}

// ---------------------------------------------------------------------------------------------
// Many files, random faults, few file descriptors

#[test]
fn five_hundred_files_through_ten_percent_faults_with_256_descriptors() {
    const FILES: usize = 500;
    let up = scratch("many-up");
    let down = scratch("many-down");
    let bucket = new_bucket("faults-many");
    let mut want = BTreeMap::new();
    for i in 0..FILES {
        let rel = format!("d{}/f{i:03}.bin", i % 10);
        let bytes = data(1024 + (i as u64 * 37) % 3072, 1000 + i as u64);
        let path = up.join(&rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&path, &bytes).expect("write file");
        want.insert(rel, bytes);
    }
    // About 10% of requests: throttled, reset unanswered, or (downloads) cut mid-body.
    let proxy = FaultProxy::start_seeded(
        support::s3s_fs().addr(),
        vec![
            Rule::new(Fault::slow_down().retry_after(20)).probability(0.05),
            Rule::new(Fault::ResetBeforeAnswer).probability(0.025),
            Rule::new(Fault::CutBody { after: 512 })
                .method("GET")
                .probability(0.03),
        ],
        0x5eed,
    );
    // Faults are random; attempts must not run out by chance, only by a client's mistake.
    proxy.limit_faults_per_request(DEFAULT_ATTEMPTS as u64 - 1);

    let upload = via_with_few_fds(
        &proxy,
        &[
            "cp",
            "--recursive",
            "--quiet",
            text(&up),
            &format!("s3://{bucket}/"),
        ],
    );
    upload.expect_code(0);
    let faults_up = proxy.log().iter().filter(|e| e.fault.is_some()).count();
    let download = via_with_few_fds(
        &proxy,
        &[
            "cp",
            "--recursive",
            "--quiet",
            &format!("s3://{bucket}/"),
            text(&down),
        ],
    );
    download.expect_code(0);

    let log = proxy.log();
    let faults = log.iter().filter(|e| e.fault.is_some()).count();
    assert!(
        faults_up >= FILES / 50 && faults - faults_up >= FILES / 50,
        "faults were injected both ways ({faults_up} up, {} down)",
        faults - faults_up
    );
    assert_at_most_sends(&proxy, DEFAULT_ATTEMPTS);
    let got = files_under(&down);
    assert_eq!(got.len(), FILES, "every file came down");
    for (rel, bytes) in &want {
        let file = std::fs::read(down.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_same_bytes(&file, bytes, rel);
    }
}
