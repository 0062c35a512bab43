//! Library transfers: multipart uploads from files and streams and parallel ranged downloads on
//! s3s-fs (which checks signatures), server-side copies (one CopyObject up to the copy threshold,
//! parts above it), and — on wiremock, for faults a real server will not produce — an upload whose
//! part keeps failing is aborted, and a download that fails leaves nothing under the target name.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use s3op::transfer::{CopyOptions, TransferConfig, UploadOptions};
use s3op::{Client, Error};
use wiremock::matchers::{method, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MIB: u64 = 1024 * 1024;

fn client_for(endpoint: &str, access: &str, secret: &str) -> Client {
    Client::builder()
        .endpoint_url(endpoint)
        .region("us-east-1")
        .credentials(access, secret, None)
        .environment(s3op::config::Environment::from_vars(
            Vec::<(String, String)>::new(),
            None,
        ))
        .build()
        .expect("client")
}

fn s3s() -> Client {
    let server = support::s3s_fs();
    client_for(&server.endpoint, &server.access_key, &server.secret_key)
}

/// A new bucket on `client`'s server.
async fn new_bucket(client: &Client, stem: &str) -> String {
    let bucket = support::unique_bucket(stem);
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    bucket
}

/// The object's bytes.
async fn read_back(client: &Client, bucket: &str, key: &str) -> Vec<u8> {
    let mut back = Vec::new();
    client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send_to_writer(&mut back)
        .await
        .expect("get");
    back
}

fn small_parts() -> TransferConfig {
    TransferConfig {
        copy_threshold: 5 * MIB,
        part_size: 5 * MIB,
        multipart_threshold: 5 * MIB,
        concurrency: 4,
        ..TransferConfig::default()
    }
}

fn pattern(len: u64) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 31 + i / 4096) % 251) as u8)
        .collect()
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("s3op-transfer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

#[tokio::test(flavor = "multi_thread")]
async fn multipart_upload_and_ranged_download_round_trip() {
    let client = s3s();
    let bucket = support::unique_bucket("xfer");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    let data = pattern(23 * MIB + 12345);
    let source = temp("source.bin");
    std::fs::write(&source, &data).expect("write");

    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let config = TransferConfig {
        progress: Some(Arc::new(move |n| {
            counter.fetch_add(n, Ordering::Relaxed);
        })),
        ..small_parts()
    };
    let done = client
        .upload_file(
            &source,
            &bucket,
            "big/ü file.bin",
            &UploadOptions::default(),
            &config,
        )
        .await
        .expect("upload");
    let etag = done.response["ETag"].as_str().expect("ETag");
    assert!(
        etag.trim_matches('"').ends_with("-5"),
        "23 MiB in 5 MiB parts is 5 parts: {etag}"
    );
    assert_eq!(
        sent.load(Ordering::Relaxed),
        data.len() as u64,
        "progress counts every byte once"
    );

    let target = temp("downloaded.bin");
    let got = client
        .download_file(&bucket, "big/ü file.bin", &target, &small_parts())
        .await
        .expect("download");
    assert_eq!(
        got.headers.get("content-length").map(String::as_str),
        Some(data.len().to_string().as_str())
    );
    assert!(
        std::fs::read(&target).expect("read") == data,
        "downloaded bytes differ"
    );
    let leftovers: Vec<_> = std::fs::read_dir(target.parent().expect("dir"))
        .expect("list")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );

    // A small object downloads in one range.
    client
        .put_object()
        .bucket(&bucket)
        .key("small")
        .body("tiny")
        .send()
        .await
        .expect("put");
    let small = temp("small.txt");
    client
        .download_file(&bucket, "small", &small, &small_parts())
        .await
        .expect("download small");
    assert_eq!(std::fs::read(&small).expect("read"), b"tiny");
    // An empty object too.
    client
        .put_object()
        .bucket(&bucket)
        .key("empty")
        .body("")
        .send()
        .await
        .expect("put");
    let empty = temp("empty.txt");
    client
        .download_file(&bucket, "empty", &empty, &small_parts())
        .await
        .expect("download empty");
    assert_eq!(std::fs::metadata(&empty).expect("meta").len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_uploads_in_parts() {
    let client = s3s();
    let bucket = support::unique_bucket("stream");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    let data = pattern(12 * MIB + 7);
    let mut reader: &[u8] = &data;
    let done = client
        .upload_reader(
            &mut reader,
            &bucket,
            "from-stream",
            &UploadOptions::default(),
            &small_parts(),
        )
        .await
        .expect("upload");
    assert!(done.response["ETag"]
        .as_str()
        .unwrap_or_default()
        .trim_matches('"')
        .ends_with("-3"));
    let mut back = Vec::new();
    client
        .get_object()
        .bucket(&bucket)
        .key("from-stream")
        .send_to_writer(&mut back)
        .await
        .expect("get");
    assert!(back == data);
    // A short stream is one PUT.
    let mut short: &[u8] = b"just a little";
    client
        .upload_reader(
            &mut short,
            &bucket,
            "short",
            &UploadOptions::default(),
            &small_parts(),
        )
        .await
        .expect("upload");
    let mut back = Vec::new();
    client
        .get_object()
        .bucket(&bucket)
        .key("short")
        .send_to_writer(&mut back)
        .await
        .expect("get");
    assert_eq!(back, b"just a little");
}

#[tokio::test(flavor = "multi_thread")]
async fn server_side_copy_in_parts() {
    let client = s3s();
    let bucket = new_bucket(&client, "copy").await;
    let data = pattern(11 * MIB);
    let source = temp("copy-source.bin");
    std::fs::write(&source, &data).expect("write");
    client
        .upload_file(
            &source,
            &bucket,
            "original",
            &UploadOptions::default(),
            &small_parts(),
        )
        .await
        .expect("upload");
    let copied = client
        .copy_object_managed(
            &bucket,
            "original",
            &bucket,
            "copy",
            &CopyOptions::default(),
            &small_parts(),
        )
        .await
        .expect("copy");
    assert!(
        copied.response["ETag"]
            .as_str()
            .unwrap_or_default()
            .trim_matches('"')
            .ends_with("-3"),
        "{}",
        copied.to_json_pretty()
    );
    assert!(read_back(&client, &bucket, "copy").await == data);
}

/// A copy moves no bytes through the client: above the upload threshold it is still one CopyObject
/// (its ETag has no part count), unless the copy threshold asks for parts.
#[tokio::test(flavor = "multi_thread")]
async fn a_copy_above_the_upload_threshold_is_one_copy_object() {
    let client = s3s();
    let bucket = new_bucket(&client, "copy-one").await;
    let data = pattern(11 * MIB);
    client
        .put_object()
        .bucket(&bucket)
        .key("original")
        .body(data.clone())
        .send()
        .await
        .expect("put");
    let uploads_in_parts = TransferConfig {
        part_size: 5 * MIB,
        multipart_threshold: 5 * MIB,
        ..TransferConfig::default()
    };
    let copied = client
        .copy_object_managed(
            &bucket,
            "original",
            &bucket,
            "copy",
            &CopyOptions::default(),
            &uploads_in_parts,
        )
        .await
        .expect("copy");
    let etag = copied.response["CopyObjectResult"]["ETag"]
        .as_str()
        .or(copied.response["ETag"].as_str())
        .unwrap_or_default()
        .trim_matches('"')
        .to_string();
    assert!(
        !etag.is_empty() && !etag.contains('-'),
        "{}",
        copied.to_json_pretty()
    );
    assert!(read_back(&client, &bucket, "copy").await == data);
}

/// A size the caller knows from a listing spares the HEAD: one CopyObject and nothing else (on
/// wiremock, which counts what it gets).
#[tokio::test(flavor = "multi_thread")]
async fn a_copy_of_a_listed_size_sends_no_head() {
    let server = MockServer::start().await;
    let copied = r#"<CopyObjectResult><ETag>"abc"</ETag></CopyObjectResult>"#;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_string(copied))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(200).insert_header("content-length", "7"))
        .expect(0)
        .mount(&server)
        .await;
    let client = client_for(&server.uri(), "AK", "SK");
    let listed = CopyOptions {
        source_size: Some(7),
        ..CopyOptions::default()
    };
    client
        .copy_object_managed(
            "bbb",
            "src",
            "bbb",
            "dst",
            &listed,
            &TransferConfig::default(),
        )
        .await
        .expect("copy");
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(requests[0].headers.contains_key("x-amz-copy-source"));
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_whose_part_keeps_failing_is_aborted() {
    let server = MockServer::start().await;
    let created = r#"<InitiateMultipartUploadResult><Bucket>bbb</Bucket><Key>k</Key><UploadId>UP1</UploadId></InitiateMultipartUploadResult>"#;
    Mock::given(method("POST"))
        .and(query_param("uploads", ""))
        .respond_with(ResponseTemplate::new(200).set_body_string(created))
        .mount(&server)
        .await;
    let slow_down = r#"<Error><Code>InternalError</Code><Message>try again</Message></Error>"#;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(500).set_body_string(slow_down))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(query_param("uploadId", "UP1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;

    let client = client_for(&server.uri(), "AK", "SK");
    let source = temp("fails.bin");
    std::fs::write(&source, pattern(11 * MIB)).expect("write");
    let err = client
        .upload_file(
            &source,
            "bbb",
            "k",
            &UploadOptions::default(),
            &small_parts(),
        )
        .await
        .expect_err("must fail");
    match &err {
        Error::Part { number, source } => {
            assert!(*number >= 1);
            assert_eq!(
                source.envelope().and_then(|e| e.error_code()),
                Some("InternalError")
            );
        }
        other => panic!("expected a failed part carrying the S3 error, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.starts_with("part ") && message.contains("InternalError"),
        "the message names the part and the S3 error: {message}"
    );
    let requests = server.received_requests().await.unwrap_or_default();
    let puts = requests
        .iter()
        .filter(|r| r.method.as_str() == "PUT")
        .count();
    assert!(
        puts >= 3,
        "each part is tried part_attempts times before giving up (saw {puts} PUTs)"
    );
    assert!(
        requests.iter().all(|r| !(r.method.as_str() == "POST"
            && r.url.query().is_some_and(|q| q.contains("uploadId")))),
        "never completed"
    );
    // `.expect(1)` on the DELETE mock is verified when the server drops.
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_download_leaves_nothing_under_the_target_name() {
    let server = MockServer::start().await;
    let first = vec![1u8; 5 * MIB as usize];
    Mock::given(method("GET"))
        .and(wiremock::matchers::header("range", "bytes=0-5242879"))
        .respond_with(
            ResponseTemplate::new(206)
                .insert_header(
                    "content-range",
                    format!("bytes 0-{}/{}", 5 * MIB - 1, 12 * MIB).as_str(),
                )
                .insert_header("etag", "\"abc\"")
                .set_body_bytes(first),
        )
        .mount(&server)
        .await;
    // The object's stored checksum is asked for with a HEAD (it has none here).
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(200).insert_header("etag", "\"abc\""))
        .mount(&server)
        .await;
    // Every later range comes back short: the download retries, then fails.
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(206)
                .insert_header("etag", "\"abc\"")
                .set_body_bytes(vec![2u8; 1000]),
        )
        .mount(&server)
        .await;
    let client = client_for(&server.uri(), "AK", "SK");
    let target = temp("never-there.bin");
    let err = client
        .download_file("bbb", "k", &target, &small_parts())
        .await
        .expect_err("short ranges");
    assert!(
        err.to_string().contains("1000"),
        "the error says what arrived: {err}"
    );
    assert!(!target.exists(), "nothing under the target name");
    let leftovers: Vec<_> = std::fs::read_dir(target.parent().expect("dir"))
        .expect("list")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("never-there"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary file either: {leftovers:?}"
    );
    let ranged: Vec<String> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| {
            r.headers
                .get("if-match")
                .map(|v| v.to_str().unwrap_or_default().to_string())
        })
        .collect();
    assert!(
        !ranged.is_empty() && ranged.iter().all(|v| v == "\"abc\""),
        "later ranges are pinned to the first ETag"
    );
}

/// An HTTP source on loopback that promises `promised` bytes and sends `sent` of them, then closes.
fn breaking_source(promised: usize, sent: usize) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        if let Ok((mut conn, _)) = listener.accept() {
            let mut request = [0u8; 4096];
            let _ = conn.read(&mut request);
            let _ = write!(conn, "HTTP/1.1 200 OK\r\nContent-Length: {promised}\r\nContent-Type: application/octet-stream\r\n\r\n");
            let _ = conn.write_all(&pattern(sent as u64));
        }
    });
    format!("http://{addr}/big.bin")
}

fn moto_client() -> Client {
    let server = support::moto();
    client_for(&server.endpoint, &server.access_key, &server.secret_key)
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_from_a_url_stream_into_s3() {
    let client = s3s();
    let bucket = support::unique_bucket("fromurl");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    let source = MockServer::start().await;
    let data = pattern(12 * MIB + 3);
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .set_body_bytes(data.clone()),
        )
        .mount(&source)
        .await;
    let url = format!("{}/pictures/cat.png", source.uri());
    let done = client
        .upload_from_url(
            &url,
            &bucket,
            "cat.png",
            &UploadOptions::default(),
            &small_parts(),
        )
        .await
        .expect("upload");
    assert!(done.response["ETag"]
        .as_str()
        .unwrap_or_default()
        .trim_matches('"')
        .ends_with("-3"));
    let mut back = Vec::new();
    let got = client
        .get_object()
        .bucket(&bucket)
        .key("cat.png")
        .send_to_writer(&mut back)
        .await
        .expect("get");
    assert!(back == data);
    assert_eq!(
        got.headers.get("content-type").map(String::as_str),
        Some("image/png"),
        "the source's type is kept"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_source_leaves_nothing_in_the_bucket() {
    let client = moto_client();
    let bucket = support::unique_bucket("badsrc");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");

    let source = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&source)
        .await;
    let err = client
        .upload_from_url(
            &format!("{}/missing", source.uri()),
            &bucket,
            "k",
            &UploadOptions::default(),
            &small_parts(),
        )
        .await
        .expect_err("404 source");
    assert!(err.to_string().contains("404"), "{err}");

    // Promises 20 MiB, sends 7: the first part went up, then the source broke off.
    let url = breaking_source(20 * MIB as usize, 7 * MIB as usize);
    let err = client
        .upload_from_url(
            &url,
            &bucket,
            "big",
            &UploadOptions::default(),
            &small_parts(),
        )
        .await
        .expect_err("broken source");
    assert!(
        err.to_string().contains("broke off") || err.to_string().contains("source"),
        "{err}"
    );

    let listing = client
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .expect("list");
    assert_eq!(
        listing.response["Contents"],
        serde_json::json!([]),
        "no object"
    );
    let uploads = client
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .expect("uploads");
    assert_eq!(
        uploads.response["Uploads"],
        serde_json::json!([]),
        "no multipart upload left: {}",
        uploads.to_json_pretty()
    );
}

/// An HTTP source on loopback with an ETag that breaks off its first answer after `first` bytes and
/// answers later requests by their `Range`; it records each request's head.
fn resuming_source(
    data: Vec<u8>,
    first: usize,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        use std::io::{BufRead, BufReader, Write};
        for (n, conn) in listener.incoming().enumerate() {
            let Ok(mut conn) = conn else { return };
            let mut head = String::new();
            let mut reader = BufReader::new(conn.try_clone().expect("clone"));
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line.to_ascii_lowercase());
            }
            log.lock().expect("log").push(head.clone());
            let total = data.len();
            if n == 0 {
                let _ = write!(conn, "HTTP/1.1 200 OK\r\nContent-Length: {total}\r\nETag: \"v1\"\r\nContent-Type: text/csv\r\n\r\n");
                let _ = conn.write_all(&data[..first]);
                continue; // dropped: the body breaks off
            }
            let from: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("range: bytes="))
                .and_then(|r| r.split('-').next())
                .and_then(|f| f.trim().parse().ok())
                .unwrap_or(0);
            let _ = write!(conn, "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {from}-{}/{total}\r\nETag: \"v1\"\r\n\r\n", total - from, total - 1);
            let _ = conn.write_all(&data[from..]);
        }
    });
    (format!("http://{addr}/table.csv"), seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_from_a_url_resumes_a_source_that_breaks_off() {
    let client = s3s();
    let bucket = support::unique_bucket("resumesrc");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    let data = pattern(12 * MIB + 5);
    let (url, seen) = resuming_source(data.clone(), 3 * MIB as usize);
    client
        .upload_from_url(
            &url,
            &bucket,
            "table.csv",
            &UploadOptions::default(),
            &small_parts(),
        )
        .await
        .expect("the upload goes through the break");
    let mut back = Vec::new();
    let got = client
        .get_object()
        .bucket(&bucket)
        .key("table.csv")
        .send_to_writer(&mut back)
        .await
        .expect("get");
    assert!(back == data, "the object is the source, whole");
    assert_eq!(
        got.headers.get("content-type").map(String::as_str),
        Some("text/csv")
    );
    let seen = seen.lock().expect("log").clone();
    assert_eq!(seen.len(), 2, "one break, one resume: {seen:?}");
    assert!(
        seen[1].contains(&format!("range: bytes={}-{}", 3 * MIB, 12 * MIB + 4))
            && seen[1].contains("if-match: \"v1\""),
        "the resume asks from the byte reached, pinned to the ETag: {}",
        seen[1]
    );
    assert!(
        !seen.iter().any(|h| h.contains("authorization")),
        "the source never sees a signature meant for S3"
    );
}
