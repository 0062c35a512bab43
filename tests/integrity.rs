//! Nothing corrupted (issue 14, items 1, 2 and 6): one bit flipped on the way, in either
//! direction, by the fault proxy in front of s3s-fs (which stores and checks a PutObject's
//! checksum). A flipped download never appears under its target name; with the object's
//! checksum, the one retry brings the right bytes, and a download that keeps arriving corrupted
//! fails naming both values. A flipped upload is refused by the server (BadDigest) and sent again,
//! so the object holds the right bytes. The checksum values uploads send are checked at the wire
//! (wiremock: the CRC of every part, and the full object's combined from them, against the CRC of
//! the whole file computed in one pass), and a server that refuses checksum headers gets the
//! upload again without them, once, and none after.

mod clirun;
mod support;

#[path = "support/fault_proxy.rs"]
mod fault_proxy;
#[path = "support/scratch.rs"]
mod scratch;

use std::path::Path;

use fault_proxy::{Fault, FaultProxy, Rule};
use s3op::checksum::{Algorithm, Hasher};
use s3op::transfer::TransferConfig;
use scratch::{data, names_in, scratch};
use wiremock::matchers::{method, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MIB: u64 = 1024 * 1024;

fn s3op(endpoint: &str, args: &[&str]) -> clirun::Run {
    let server = support::s3s_fs();
    let env = [
        ("AWS_ACCESS_KEY_ID", server.access_key.as_str()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_key.as_str()),
        ("AWS_REGION", server.region.as_str()),
    ];
    let mut full = vec!["--endpoint-url", endpoint];
    full.extend_from_slice(args);
    clirun::run(&env, &full)
}

fn direct(args: &[&str]) -> clirun::Run {
    s3op(&support::s3s_fs().endpoint, args)
}

fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

fn crc64(bytes: &[u8]) -> String {
    let mut h = Hasher::new(Algorithm::Crc64Nvme);
    h.update(bytes);
    h.finish()
}

/// A bucket on s3s-fs holding `bytes` at `key`, put in one PutObject with its CRC64NVME (which
/// s3s-fs stores and gives back); the bucket's name.
fn object_with_checksum(dir: &Path, prefix: &str, key: &str, bytes: &[u8]) -> String {
    let bucket = support::unique_bucket(prefix);
    direct(&["mb", &format!("s3://{bucket}")]).expect_code(0);
    let file = dir.join("source");
    std::fs::write(&file, bytes).expect("write");
    let put = direct(&[
        "put-object",
        "--bucket",
        &bucket,
        "--key",
        key,
        "--body",
        text(&file),
        "--checksum-algorithm",
        "CRC64NVME",
    ]);
    put.expect_code(0);
    let head = direct(&[
        "head-object",
        "--bucket",
        &bucket,
        "--key",
        key,
        "--checksum-mode",
        "ENABLED",
    ]);
    assert_eq!(
        head.json()["headers"]["x-amz-checksum-crc64nvme"].as_str(),
        Some(crc64(bytes).as_str()),
        "s3s-fs stores the object's CRC64NVME"
    );
    std::fs::remove_file(&file).expect("remove");
    bucket
}

fn gets(proxy: &FaultProxy) -> usize {
    proxy.log().iter().filter(|e| e.method == "GET").count()
}

#[test]
fn a_flipped_download_is_fetched_again_and_never_lands_corrupted() {
    let dir = scratch("integrity", "download-flip-once");
    let bytes = data(300_000, 1);
    let bucket = object_with_checksum(&dir, "flip-get", "k", &bytes);
    // The first GET's body arrives with one bit flipped.
    let proxy = FaultProxy::start(
        support::s3s_fs().addr(),
        vec![Rule::new(Fault::FlipAnswerBit { at: 1234 })
            .method("GET")
            .first(1)],
    );
    let target = dir.join("out.bin");
    let run = s3op(
        &proxy.endpoint,
        &["cp", &format!("s3://{bucket}/k"), text(&target)],
    );
    run.expect_code(0);
    assert_eq!(std::fs::read(&target).expect("downloaded"), bytes);
    assert_eq!(gets(&proxy), 2, "one more download:\n{}", proxy.log_text());
}

#[test]
fn a_download_that_keeps_arriving_corrupted_fails_naming_both_values_and_leaves_nothing() {
    let dir = scratch("integrity", "download-flip-always");
    let bytes = data(300_000, 2);
    let bucket = object_with_checksum(&dir, "flip-get-all", "k", &bytes);
    let proxy = FaultProxy::start(
        support::s3s_fs().addr(),
        vec![Rule::new(Fault::FlipAnswerBit { at: 99 }).method("GET")],
    );
    let out = dir.join("out");
    std::fs::create_dir_all(&out).expect("out dir");
    let target = out.join("never.bin");
    let run = s3op(
        &proxy.endpoint,
        &["cp", &format!("s3://{bucket}/k"), text(&target)],
    );
    run.expect_code(1);
    let expected = crc64(&bytes);
    assert!(
        run.stderr.contains(&expected) && run.stderr.contains("CRC64NVME"),
        "the error names the object's value {expected}:\n{run}"
    );
    let mut corrupted = bytes.clone();
    corrupted[99] ^= 1;
    assert!(
        run.stderr.contains(&crc64(&corrupted)),
        "and the received bytes' value:\n{run}"
    );
    assert!(
        names_in(&out).is_empty(),
        "nothing left: {:?}",
        names_in(&out)
    );
    assert_eq!(gets(&proxy), 2, "downloaded twice, then given up");
}

#[tokio::test(flavor = "multi_thread")]
async fn ranges_are_checked_by_combining_their_crcs() {
    // 20 MiB in one PutObject (s3s-fs keeps its full-object CRC), downloaded in 5 MiB ranges:
    // a bit flipped in the third range is caught without reading the file again.
    let dir = scratch("integrity", "ranges-flip");
    let bytes = data(20 * MIB, 3);
    let bucket = object_with_checksum(&dir, "flip-range", "big", &bytes);
    let proxy = FaultProxy::start(
        support::s3s_fs().addr(),
        vec![Rule::new(Fault::FlipAnswerBit { at: 77 })
            .method("GET")
            .range_start(10 * MIB)
            .first(1)],
    );
    let server = support::s3s_fs();
    let client = s3op::Client::builder()
        .endpoint_url(&proxy.endpoint)
        .region(&server.region)
        .credentials(&server.access_key, &server.secret_key, None)
        .environment(s3op::config::Environment::from_vars(
            Vec::<(String, String)>::new(),
            None,
        ))
        .build()
        .expect("client");
    let config = TransferConfig {
        part_size: 5 * MIB,
        ..TransferConfig::default()
    };
    let target = dir.join("big.bin");
    client
        .download_file(&bucket, "big", &target, &config)
        .await
        .expect("the second download is right");
    assert!(std::fs::read(&target).expect("file") == bytes, "byte-exact");
    let log = proxy.log();
    let flipped = log
        .iter()
        .filter(|e| matches!(e.fault, Some(Fault::FlipAnswerBit { .. })))
        .count();
    assert_eq!(flipped, 1, "{}", proxy.log_text());
    assert_eq!(
        log.iter().filter(|e| e.method == "GET").count(),
        8,
        "4 ranges, twice:\n{}",
        proxy.log_text()
    );
}

#[test]
fn a_flipped_upload_is_refused_by_its_checksum_and_sent_again() {
    let dir = scratch("integrity", "upload-flip");
    let bucket = support::unique_bucket("flip-put");
    direct(&["mb", &format!("s3://{bucket}")]).expect_code(0);
    let bytes = data(200_000, 4);
    let file = dir.join("up.bin");
    std::fs::write(&file, &bytes).expect("write");
    let proxy = FaultProxy::start(
        support::s3s_fs().addr(),
        vec![Rule::new(Fault::FlipRequestBit { at: 4321 })
            .method("PUT")
            .first(1)],
    );
    let run = s3op(
        &proxy.endpoint,
        &["cp", text(&file), &format!("s3://{bucket}/up.bin")],
    );
    run.expect_code(0);
    let puts: Vec<_> = proxy
        .log()
        .into_iter()
        .filter(|e| e.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 2, "{}", proxy.log_text());
    assert_eq!(puts[0].status, Some(400), "s3s-fs refused the flipped body");
    let back = dir.join("back.bin");
    direct(&["cp", &format!("s3://{bucket}/up.bin"), text(&back)]).expect_code(0);
    assert!(
        std::fs::read(&back).expect("read") == bytes,
        "the right bytes are stored"
    );
}

/// wiremock as S3 for a multipart upload: CreateMultipartUpload, UploadPart, Complete.
async fn multipart_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(query_param("uploads", ""))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>\
             <UploadId>UP1</UploadId></InitiateMultipartUploadResult>",
        ))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(query_param("uploadId", "UP1"))
        .respond_with(ResponseTemplate::new(200).insert_header("etag", "\"part\""))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(query_param("uploadId", "UP1"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>\
             <ETag>\"whole-2\"</ETag></CompleteMultipartUploadResult>",
        ))
        .mount(&server)
        .await;
    server
}

fn wiremock_client(server: &MockServer, vars: &[(&str, &str)]) -> s3op::Client {
    s3op::Client::builder()
        .endpoint_url(server.uri())
        .region("us-east-1")
        .credentials("AK", "SK", None)
        .environment(s3op::config::Environment::from_vars(
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            None,
        ))
        .build()
        .expect("client")
}

fn header<'r>(request: &'r wiremock::Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn a_multipart_upload_sends_each_part_s_crc_and_the_whole_object_s() {
    let server = multipart_server().await;
    let dir = scratch("integrity", "multipart-values");
    let bytes = data(12 * MIB + 12345, 5);
    let file = dir.join("big.bin");
    std::fs::write(&file, &bytes).expect("write");
    let config = TransferConfig {
        part_size: 5 * MIB,
        multipart_threshold: 5 * MIB,
        ..TransferConfig::default()
    };
    let client = wiremock_client(&server, &[]);
    client
        .upload_file(&file, "b", "k", &Default::default(), &config)
        .await
        .expect("upload");
    let requests = server.received_requests().await.expect("recorded");
    let create = requests
        .iter()
        .find(|r| r.url.query() == Some("uploads"))
        .expect("create");
    assert_eq!(
        header(create, "x-amz-checksum-algorithm"),
        Some("CRC64NVME")
    );
    assert_eq!(header(create, "x-amz-checksum-type"), Some("FULL_OBJECT"));
    let mut parts: Vec<_> = requests
        .iter()
        .filter(|r| r.method.as_str() == "PUT")
        .collect();
    parts.sort_by_key(|r| {
        r.url
            .query_pairs()
            .find(|(k, _)| k == "partNumber")
            .and_then(|(_, v)| v.parse::<u64>().ok())
    });
    assert_eq!(parts.len(), 3);
    for (i, part) in parts.iter().enumerate() {
        let start = i * 5 * MIB as usize;
        let end = (start + 5 * MIB as usize).min(bytes.len());
        assert_eq!(
            part.body,
            bytes[start..end],
            "part {} carries its bytes",
            i + 1
        );
        assert_eq!(
            header(part, "x-amz-checksum-crc64nvme"),
            Some(crc64(&bytes[start..end]).as_str()),
            "part {}",
            i + 1
        );
    }
    let complete = requests
        .iter()
        .find(|r| r.method.as_str() == "POST" && r.url.query() == Some("uploadId=UP1"))
        .expect("complete");
    assert_eq!(header(complete, "x-amz-checksum-type"), Some("FULL_OBJECT"));
    assert_eq!(
        header(complete, "x-amz-checksum-crc64nvme"),
        Some(crc64(&bytes).as_str()),
        "the whole file's CRC, from the parts' CRCs"
    );
    let body = String::from_utf8_lossy(&complete.body);
    for part in &parts {
        let value = header(part, "x-amz-checksum-crc64nvme").expect("value");
        assert!(
            body.contains(&format!("<ChecksumCRC64NVME>{value}</ChecksumCRC64NVME>")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn when_required_sends_no_checksum() {
    let server = multipart_server().await;
    let dir = scratch("integrity", "when-required");
    let file = dir.join("f.bin");
    std::fs::write(&file, data(12 * MIB, 6)).expect("write");
    let config = TransferConfig {
        part_size: 5 * MIB,
        multipart_threshold: 5 * MIB,
        ..TransferConfig::default()
    };
    let client = wiremock_client(
        &server,
        &[("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")],
    );
    client
        .upload_file(&file, "b", "k", &Default::default(), &config)
        .await
        .expect("upload");
    let requests = server.received_requests().await.expect("recorded");
    for request in &requests {
        assert!(
            !request
                .headers
                .keys()
                .any(|name| name.as_str().starts_with("x-amz-checksum")),
            "{} {} carries a checksum",
            request.method,
            request.url
        );
    }
}

#[tokio::test]
async fn a_server_that_refuses_checksum_headers_gets_the_upload_again_without_them() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(wiremock::matchers::header_exists(
            "x-amz-checksum-crc64nvme",
        ))
        .respond_with(ResponseTemplate::new(400).set_body_string(
            "<Error><Code>InvalidArgument</Code><Message>x-amz-checksum-crc64nvme is not \
             supported</Message></Error>",
        ))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).insert_header("etag", "\"e\""))
        .mount(&server)
        .await;
    let dir = scratch("integrity", "refused");
    let file = dir.join("small.bin");
    std::fs::write(&file, data(1000, 7)).expect("write");
    let client = wiremock_client(&server, &[]);
    let config = TransferConfig::default();
    for key in ["one", "two"] {
        client
            .upload_file(&file, "b", key, &Default::default(), &config)
            .await
            .expect("upload");
    }
    assert!(client.checksums_refused());
    let requests = server.received_requests().await.expect("recorded");
    let sent: Vec<(String, bool)> = requests
        .iter()
        .map(|r| {
            (
                r.url.path().to_string(),
                header(r, "x-amz-checksum-crc64nvme").is_some(),
            )
        })
        .collect();
    assert_eq!(
        sent,
        vec![
            ("/b/one".to_string(), true),
            ("/b/one".to_string(), false),
            ("/b/two".to_string(), false),
        ],
        "once with, once without, then never again"
    );
    // The CLI says so with --debug.
    let run = clirun::run(
        &[("AWS_ACCESS_KEY_ID", "AK"), ("AWS_SECRET_ACCESS_KEY", "SK")],
        &[
            "--endpoint-url",
            &server.uri(),
            "--debug",
            "cp",
            text(&file),
            "s3://b/three",
        ],
    );
    run.expect_code(0);
    assert!(run.stderr.contains("refused the checksum header"), "{run}");
}

/// wiremock as S3 for one object stored in parts with a composite SHA256 checksum: ranged GETs
/// (bytes of `served`, which may differ from the object's), HEAD with the composite value, and
/// GetObjectAttributes listing the parts with their checksums.
struct PartedObject {
    served: Vec<u8>,
}

impl wiremock::Respond for PartedObject {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let total = self.served.len() as u64;
        let range = request
            .headers
            .get("range")
            .and_then(|v| v.to_str().ok())
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.split_once('-'))
            .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)));
        match range {
            Some((first, last)) => {
                let last = last.min(total - 1);
                ResponseTemplate::new(206)
                    .insert_header("etag", "\"parted-3\"")
                    .insert_header(
                        "content-range",
                        format!("bytes {first}-{last}/{total}").as_str(),
                    )
                    .set_body_bytes(self.served[first as usize..=last as usize].to_vec())
            }
            None => ResponseTemplate::new(200)
                .insert_header("etag", "\"parted-3\"")
                .set_body_bytes(self.served.clone()),
        }
    }
}

fn sha256(bytes: &[u8]) -> String {
    let mut h = Hasher::new(Algorithm::Sha256);
    h.update(bytes);
    h.finish()
}

/// The object (12 MiB in parts of 5, 5 and 2 MiB) and a server for it serving `served`.
async fn parted_server(object: &[u8], served: Vec<u8>) -> MockServer {
    let sizes = [5 * MIB as usize, 5 * MIB as usize, 2 * MIB as usize];
    let mut offset = 0;
    let mut part_sums = Vec::new();
    let mut parts_xml = String::new();
    for (i, size) in sizes.iter().enumerate() {
        let sum = sha256(&object[offset..offset + size]);
        parts_xml.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><Size>{size}</Size><ChecksumSHA256>{sum}</ChecksumSHA256></Part>",
            i + 1
        ));
        part_sums.push(sum);
        offset += size;
    }
    let composite = s3op::checksum::composite(Algorithm::Sha256, &part_sums).expect("composite");
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"parted-3\"")
                .insert_header("content-length", object.len().to_string().as_str())
                .insert_header("x-amz-checksum-sha256", composite.as_str())
                .insert_header("x-amz-checksum-type", "COMPOSITE"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("attributes", ""))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(
            "<GetObjectAttributesResponse><ObjectParts><PartsCount>3</PartsCount>\
             <IsTruncated>false</IsTruncated>{parts_xml}</ObjectParts></GetObjectAttributesResponse>"
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(PartedObject { served })
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn a_composite_checksum_is_checked_part_by_part() {
    let dir = scratch("integrity", "composite");
    let object = data(12 * MIB, 8);
    let client_for = |server: &MockServer| wiremock_client(server, &[]);
    // Ranges of the parts' size: each range's hash is its part's.
    for range in [5 * MIB, 4 * MIB] {
        let server = parted_server(&object, object.clone()).await;
        let config = TransferConfig {
            part_size: range,
            ..TransferConfig::default()
        };
        let target = dir.join(format!("ok-{range}.bin"));
        client_for(&server)
            .download_file("b", "k", &target, &config)
            .await
            .unwrap_or_else(|e| panic!("ranges of {range}: {e}"));
        assert!(std::fs::read(&target).expect("file") == object);
        let requests = server.received_requests().await.expect("recorded");
        assert!(
            requests.iter().any(|r| r.url.query() == Some("attributes")),
            "the parts were asked for"
        );
    }
    // One byte wrong in the second part: caught by that part's checksum, twice, then an error.
    let mut served = object.clone();
    served[5 * MIB as usize + 10] ^= 1;
    let server = parted_server(&object, served.clone()).await;
    let config = TransferConfig {
        part_size: 5 * MIB,
        ..TransferConfig::default()
    };
    let target = dir.join("bad.bin");
    let err = client_for(&server)
        .download_file("b", "k", &target, &config)
        .await
        .expect_err("the second part is wrong");
    let want = sha256(&object[5 * MIB as usize..10 * MIB as usize]);
    let got = sha256(&served[5 * MIB as usize..10 * MIB as usize]);
    assert!(
        matches!(&err, s3op::Error::ChecksumMismatch { expected, computed, .. }
            if *expected == want && *computed == got),
        "{err}"
    );
    assert!(!target.exists());
}

#[test]
fn a_server_side_copy_keeps_the_source_s_checksum() {
    // On moto, which computes the checksum of a copy when asked for its algorithm (CRC32: without
    // its optional packages moto computes CRC32C and CRC64NVME as CRC32, src/compat.rs).
    let server = support::moto();
    let env = [
        ("AWS_ACCESS_KEY_ID", server.access_key.as_str()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_key.as_str()),
        ("AWS_REGION", server.region.as_str()),
    ];
    let run = |args: &[&str]| {
        let mut full = vec!["--endpoint-url", server.endpoint.as_str()];
        full.extend_from_slice(args);
        clirun::run(&env, &full)
    };
    let dir = scratch("integrity", "copy-keeps");
    let bytes = data(70_000, 9);
    let file = dir.join("f.bin");
    std::fs::write(&file, &bytes).expect("write");
    let bucket = support::unique_bucket("copy-sum");
    run(&["mb", &format!("s3://{bucket}")]).expect_code(0);
    run(&[
        "put-object",
        "--bucket",
        &bucket,
        "--key",
        "src",
        "--body",
        text(&file),
        "--checksum-algorithm",
        "CRC32",
    ])
    .expect_code(0);
    run(&[
        "cp",
        &format!("s3://{bucket}/src"),
        &format!("s3://{bucket}/dst"),
    ])
    .expect_code(0);
    let head = |key: &str| {
        let head = run(&[
            "head-object",
            "--bucket",
            &bucket,
            "--key",
            key,
            "--checksum-mode",
            "ENABLED",
        ]);
        head.expect_code(0);
        head.json()["headers"]["x-amz-checksum-crc32"]
            .as_str()
            .map(str::to_string)
    };
    let mut h = Hasher::new(Algorithm::Crc32);
    h.update(&bytes);
    let want = h.finish();
    assert_eq!(head("src").as_deref(), Some(want.as_str()));
    assert_eq!(
        head("dst").as_deref(),
        Some(want.as_str()),
        "the copy has the source's CRC32"
    );
}
