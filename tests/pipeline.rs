//! The send pipeline's shape, seen from the wire (issue 10, items 2 and 3): s3op talks to s3s-fs,
//! directly or through the fault proxy of `support/fault_proxy.rs`, whose log records when each
//! request arrived.
//!
//! - A download starts its other ranges from the first range's *headers*: while the proxy holds the
//!   first range's body mid-way, the ranges at 16 MiB and 32 MiB of a 40 MiB object reach the proxy
//!   long before the hold ends, through `s3op cp` and through `Client::download_file`.
//! - A raw request (`Client::request`, a `RawRequest`) is signed like any call (s3s-fs checks it),
//!   puts a body, reads one back into a file or a writer, and has a cut body resumed by the same
//!   pipeline: a second GET from the byte reached, pinned to the ETag.

mod clirun;
mod support;

#[path = "support/fault_proxy.rs"]
mod fault_proxy;
#[path = "support/scratch.rs"]
mod scratch;

use std::time::{Duration, Instant};

use fault_proxy::{Fault, FaultProxy, Logged, Rule};
use s3op::transfer::TransferConfig;
use s3op::{Body, Client, Error, RawRequest};
use scratch::{data, names_in, Scratch};

const MIB: u64 = 1024 * 1024;
/// How long the proxy holds the first range's body.
const STALL: Duration = Duration::from_secs(3);

// ---------------------------------------------------------------------------------------------
// Clients, data, scratch directories

/// A library client for `endpoint` (s3s-fs or the proxy in front of it) with s3s-fs's keys, or
/// with a wrong secret, isolated from this machine's AWS settings.
fn client_at(endpoint: &str, secret: Option<&str>) -> Client {
    let server = support::s3s_fs();
    Client::builder()
        .endpoint_url(endpoint)
        .region(&server.region)
        .credentials(
            &server.access_key,
            secret.unwrap_or(&server.secret_key),
            None,
        )
        .environment(s3op::config::Environment::from_vars(
            Vec::<(String, String)>::new(),
            None,
        ))
        .build()
        .expect("a client")
}

fn direct() -> Client {
    support::s3s_fs().client()
}

fn via(proxy: &FaultProxy) -> Client {
    client_at(&proxy.endpoint, None)
}

fn scratch(name: &str) -> Scratch {
    scratch::scratch("pipeline", name)
}

async fn new_bucket(prefix: &str) -> String {
    let bucket = support::unique_bucket(prefix);
    direct()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    bucket
}

/// Put `bytes` straight on s3s-fs in one PUT; returns the ETag (quotes included).
async fn put(bucket: &str, key: &str, bytes: &[u8]) -> String {
    let put = direct()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(Body::Bytes(bytes.to_vec().into()))
        .send()
        .await
        .expect("put object");
    put.headers.get("etag").cloned().expect("an ETag")
}

/// Bytes compared without printing megabytes on failure.
fn assert_same_bytes(got: &[u8], want: &[u8], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(at) = got.iter().zip(want).position(|(a, b)| a != b) {
        panic!("{what}: first difference at byte {at}");
    }
}

/// The GETs of `bucket`/`key` in the proxy's log, in arrival order.
fn gets<'a>(log: &'a [Logged], bucket: &str, key: &str) -> Vec<&'a Logged> {
    let path = format!("/{bucket}/{key}");
    log.iter()
        .filter(|entry| entry.method == "GET" && entry.path == path)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Downloads start their ranges together

/// Hold the first range's body for [`STALL`] after its headers and 1 MiB of it.
fn stall_the_first_range_body() -> Vec<Rule> {
    vec![Rule::new(Fault::StallMidBody {
        after: MIB,
        stall: STALL,
    })
    .method("GET")
    .range_start(0)
    .first(1)]
}

/// The ranges at 16 MiB and 32 MiB reached the proxy well within the first range's stall: they
/// were started by its headers, not after its body. Each range was sent once.
fn assert_ranges_started_on_the_first_headers(
    proxy: &FaultProxy,
    bucket: &str,
    key: &str,
    elapsed: Duration,
) {
    let log = proxy.log();
    let gets = gets(&log, bucket, key);
    let text = proxy.log_text();
    let first = gets
        .iter()
        .find(|get| get.range_start() == 0)
        .unwrap_or_else(|| panic!("no GET of the first range:\n{text}"));
    assert!(
        first.fault.is_some(),
        "the first range's body was held:\n{text}"
    );
    assert!(
        elapsed >= STALL,
        "the download took {elapsed:?}, less than the {STALL:?} stall: it was not held\n{text}"
    );
    for start in [16 * MIB, 32 * MIB] {
        let range = gets
            .iter()
            .find(|get| get.range_start() == start)
            .unwrap_or_else(|| panic!("no GET of the range at {start}:\n{text}"));
        let after = range.at.saturating_sub(first.at);
        assert!(
            after < STALL / 2,
            "the range at {start} arrived {after:?} after the first GET, not well within the \
             first body's {STALL:?} stall: it waited for that body\n{text}"
        );
    }
    assert_eq!(gets.len(), 3, "three ranges, each sent once:\n{text}");
}

#[test]
fn cp_starts_every_range_on_the_first_answers_headers() {
    let dir = scratch("cp-ranges-together");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let bucket = runtime.block_on(new_bucket("pipeline-cp-together"));
    let body = data(40 * MIB, 1);
    runtime.block_on(put(&bucket, "forty.bin", &body));
    let proxy = FaultProxy::start(support::s3s_fs().addr(), stall_the_first_range_body());
    let out = dir.join("forty.bin");
    let server = support::s3s_fs();

    let started = Instant::now();
    let run = clirun::run(
        &[
            ("AWS_ACCESS_KEY_ID", server.access_key.as_str()),
            ("AWS_SECRET_ACCESS_KEY", server.secret_key.as_str()),
            ("AWS_REGION", server.region.as_str()),
        ],
        &[
            "--endpoint-url",
            &proxy.endpoint,
            "cp",
            &format!("s3://{bucket}/forty.bin"),
            out.to_str().expect("UTF-8 path"),
        ],
    );
    let elapsed = started.elapsed();

    run.expect_code(0);
    assert_same_bytes(&std::fs::read(&out).expect("the file"), &body, "the file");
    assert_ranges_started_on_the_first_headers(&proxy, &bucket, "forty.bin", elapsed);
}

#[tokio::test(flavor = "multi_thread")]
async fn download_file_starts_every_range_on_the_first_answers_headers() {
    let dir = scratch("lib-ranges-together");
    let bucket = new_bucket("pipeline-lib-together").await;
    let body = data(40 * MIB, 2);
    put(&bucket, "forty.bin", &body).await;
    let proxy = FaultProxy::start(support::s3s_fs().addr(), stall_the_first_range_body());
    let out = dir.join("forty.bin");

    let started = Instant::now();
    let result = via(&proxy)
        .download_file(&bucket, "forty.bin", &out, &TransferConfig::default())
        .await;
    let elapsed = started.elapsed();

    if let Err(err) = result {
        panic!("download_file: {err}\n{}", proxy.log_text());
    }
    assert_same_bytes(&std::fs::read(&out).expect("the file"), &body, "the file");
    assert_ranges_started_on_the_first_headers(&proxy, &bucket, "forty.bin", elapsed);
}

// ---------------------------------------------------------------------------------------------
// Raw requests

#[tokio::test(flavor = "multi_thread")]
async fn a_raw_put_reads_back_into_a_file_and_a_writer() {
    let dir = scratch("raw-round-trip");
    let bucket = new_bucket("pipeline-raw").await;
    let body = data(3 * MIB + 17, 3);
    let target = format!("/{bucket}/dir/raw.bin");
    let client = direct();

    // Its own type, not an operation `Request` in a raw mode.
    let put: RawRequest = client.request("PUT", &target).body_bytes(body.clone());
    let put = put.send().await.expect("raw PUT");
    assert_eq!(put.status, 200, "{}", put.to_json_pretty());
    let etag = put.headers.get("etag").cloned().expect("an ETag");

    let out = dir.join("raw.bin");
    let got = client
        .request("GET", &target)
        .send_to_file(&out)
        .await
        .expect("raw GET to a file");
    assert_eq!(got.status, 200);
    assert_eq!(got.headers.get("etag"), Some(&etag));
    assert_same_bytes(&std::fs::read(&out).expect("the file"), &body, "the file");
    assert_eq!(
        names_in(&dir),
        vec!["raw.bin".to_string()],
        "no temporary file left beside it"
    );

    let mut written = Vec::new();
    let got = client
        .request("GET", &target)
        .send_to_writer(&mut written)
        .await
        .expect("raw GET to a writer");
    assert_eq!(got.status, 200);
    assert_same_bytes(&written, &body, "the writer");

    // s3s-fs checks the signature: the same request signed with a wrong secret is refused.
    let wrong = client_at(&support::s3s_fs().endpoint, Some("not-the-secret"));
    let mut nothing = Vec::new();
    match wrong
        .request("GET", &target)
        .send_to_writer(&mut nothing)
        .await
    {
        Err(Error::Service(envelope)) => {
            assert_eq!(envelope.status, 403, "{}", envelope.to_json_pretty());
            assert_eq!(
                envelope.error_code(),
                Some("SignatureDoesNotMatch"),
                "{}",
                envelope.to_json_pretty()
            );
        }
        other => panic!("a wrong signature was not refused: {other:?}"),
    }
    assert!(nothing.is_empty(), "no body written for a refused request");
}

/// The two GETs of a cut raw request: the cut one from byte 0, then the resume from 1 MiB (to the
/// end, open or closed), pinned to the ETag.
fn assert_cut_and_resumed(proxy: &FaultProxy, bucket: &str, key: &str, len: u64, etag: &str) {
    let log = proxy.log();
    let gets = gets(&log, bucket, key);
    let text = proxy.log_text();
    assert_eq!(gets.len(), 2, "a cut GET and one resume:\n{text}");
    assert!(
        gets[0].fault.is_some() && gets[0].range.is_none(),
        "the first GET is the whole object, cut:\n{text}"
    );
    let range = gets[1].range.as_deref().unwrap_or("");
    assert!(
        range == format!("bytes={MIB}-") || range == format!("bytes={MIB}-{}", len - 1),
        "the resume asks for the bytes from {MIB} on, not {range:?}:\n{text}"
    );
    assert_eq!(
        gets[1].if_match.as_deref(),
        Some(etag),
        "the resume is pinned to the ETag:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_raw_get_whose_body_is_cut_is_resumed() {
    let dir = scratch("raw-cut");
    let bucket = new_bucket("pipeline-raw-cut").await;
    let len = 3 * MIB;
    let body = data(len, 4);
    let etag = put(&bucket, "cut.bin", &body).await;
    let target = format!("/{bucket}/cut.bin");
    let cut_once = || {
        vec![Rule::new(Fault::CutBody { after: MIB })
            .method("GET")
            .first(1)]
    };
    let proxy = FaultProxy::start(support::s3s_fs().addr(), cut_once());
    let client = via(&proxy);

    let out = dir.join("cut.bin");
    let got = client.request("GET", &target).send_to_file(&out).await;
    if let Err(err) = got {
        panic!("raw GET to a file: {err}\n{}", proxy.log_text());
    }
    assert_same_bytes(&std::fs::read(&out).expect("the file"), &body, "the file");
    assert_cut_and_resumed(&proxy, &bucket, "cut.bin", len, &etag);

    proxy.set_rules(cut_once());
    proxy.clear_log();
    let mut written = Vec::new();
    let got = client
        .request("GET", &target)
        .send_to_writer(&mut written)
        .await;
    if let Err(err) = got {
        panic!("raw GET to a writer: {err}\n{}", proxy.log_text());
    }
    assert_same_bytes(&written, &body, "the writer");
    assert_cut_and_resumed(&proxy, &bucket, "cut.bin", len, &etag);
}
