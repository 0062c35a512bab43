//! Object attributes on upload, copy and download (`aws s3 cp`'s flags): on moto, each attribute
//! flag reaches the object, in one PUT and in a multipart upload, and S3 → S3 copies keep, replace
//! or drop the source's properties as `--metadata-directive` and `--copy-props` say, in one
//! CopyObject and in parts; the library's typed options do the same through `upload_file`. On
//! s3s-fs (metadata and content headers, no tagging) the same holds for what it stores. Neither
//! moto nor s3s-fs implements SSE-C (both ignore the key), so the SSE-C tests run against a
//! wiremock script that answers as S3 does to a missing or wrong key, and check that the key went
//! on every request of a multipart upload, a ranged download and a copy in parts. Conflicting or
//! malformed flags exit 2 with nothing sent (a wiremock server counts the requests).

mod clirun;
mod support;

#[path = "support/cli.rs"]
mod cli;

#[path = "support/scratch.rs"]
mod scratch;

use std::collections::BTreeMap;

use base64::Engine;
use md5::{Digest, Md5};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

use clirun::Run;
use scratch::{data, names_in, scratch};

const MIB: u64 = 1024 * 1024;

fn moto(args: &[&str]) -> Run {
    run_on(support::moto(), args)
}

fn run_on(server: &support::TestServer, args: &[&str]) -> Run {
    cli::s3op(server, args)
}

fn bucket(prefix: &str) -> String {
    let bucket = support::unique_bucket(prefix);
    moto(&["mb", &format!("s3://{bucket}")]).expect_code(0);
    bucket
}

fn text(path: &std::path::Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// HeadObject's answer headers.
fn head(bucket: &str, key: &str) -> serde_json::Value {
    let run = moto(&["head-object", "--bucket", bucket, "--key", key]);
    run.expect_code(0);
    run.json()["headers"].clone()
}

/// The object's tags, sorted.
fn tags(bucket: &str, key: &str) -> BTreeMap<String, String> {
    let run = moto(&["get-object-tagging", "--bucket", bucket, "--key", key]);
    run.expect_code(0);
    let set = run.json()["response"]["TagSet"].clone();
    set.as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| {
                    (
                        t["Key"].as_str().unwrap_or_default().to_string(),
                        t["Value"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The object's ACL grants as (permission, grantee URI or ID) pairs, sorted.
fn grants(bucket: &str, key: &str) -> Vec<(String, String)> {
    let run = moto(&["get-object-acl", "--bucket", bucket, "--key", key]);
    run.expect_code(0);
    let mut out: Vec<(String, String)> = run.json()["response"]["Grants"]
        .as_array()
        .map(|grants| {
            grants
                .iter()
                .map(|g| {
                    let grantee = &g["Grantee"];
                    let who = grantee["URI"]
                        .as_str()
                        .or_else(|| grantee["ID"].as_str())
                        .unwrap_or_default();
                    (
                        g["Permission"].as_str().unwrap_or_default().to_string(),
                        who.to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn header<'a>(headers: &'a serde_json::Value, name: &str) -> &'a str {
    headers[name].as_str().unwrap_or("")
}

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

#[test]
fn every_attribute_flag_reaches_the_object_in_one_put_and_in_parts() {
    let dir = scratch("attributes", "upload");
    let bucket = bucket("attr-up");
    // Below and above --part-size 5MiB: one PutObject, then CreateMultipartUpload and parts.
    for (name, size, metadata) in [
        ("small.bin", 1000, r#"{"owner":"ann","team":"blue"}"#),
        ("big.bin", 6 * MIB, "owner=ann,team=blue"),
    ] {
        let file = dir.join(name);
        std::fs::write(&file, data(size, size)).expect("write");
        let url = format!("s3://{bucket}/{name}");
        moto(&[
            "cp",
            text(&file),
            &url,
            "--part-size",
            "5MiB",
            "--metadata",
            metadata,
            "--content-type",
            "application/x-attr",
            "--cache-control",
            "max-age=60",
            "--content-disposition",
            "attachment; filename=\"a.bin\"",
            "--content-encoding",
            "identity",
            "--content-language",
            "en-GB",
            "--expires",
            "2030-01-02T03:04:05Z",
            "--website-redirect",
            "/elsewhere.html",
            "--storage-class",
            "STANDARD_IA",
            "--sse",
            "--tagging",
            "colour=red&size=big%20one",
            "--grants",
            &format!("read=uri={ALL_USERS}"),
            &format!("readacl=uri={AUTHENTICATED}"),
        ])
        .expect_code(0);
        let h = head(&bucket, name);
        let what = format!("{name}: {h}");
        assert_eq!(header(&h, "content-length"), size.to_string(), "{what}");
        assert_eq!(header(&h, "x-amz-meta-owner"), "ann", "{what}");
        assert_eq!(header(&h, "x-amz-meta-team"), "blue", "{what}");
        assert_eq!(header(&h, "content-type"), "application/x-attr", "{what}");
        assert_eq!(header(&h, "cache-control"), "max-age=60", "{what}");
        assert_eq!(
            header(&h, "content-disposition"),
            "attachment; filename=\"a.bin\"",
            "{what}"
        );
        assert_eq!(header(&h, "content-encoding"), "identity", "{what}");
        assert_eq!(header(&h, "content-language"), "en-GB", "{what}");
        assert_eq!(
            header(&h, "expires"),
            "Wed, 02 Jan 2030 03:04:05 GMT",
            "{what}"
        );
        assert_eq!(header(&h, "x-amz-storage-class"), "STANDARD_IA", "{what}");
        assert_eq!(
            header(&h, "x-amz-server-side-encryption"),
            "AES256",
            "{what}"
        );
        if size < 5 * MIB {
            // moto keeps the redirect from PutObject only, not from CreateMultipartUpload.
            assert_eq!(
                header(&h, "x-amz-website-redirect-location"),
                "/elsewhere.html",
                "{what}"
            );
        }
        assert_eq!(
            tags(&bucket, name),
            BTreeMap::from([
                ("colour".to_string(), "red".to_string()),
                ("size".to_string(), "big one".to_string()),
            ]),
            "{name}"
        );
        assert_eq!(
            grants(&bucket, name),
            vec![
                ("READ".to_string(), ALL_USERS.to_string()),
                ("READ_ACP".to_string(), AUTHENTICATED.to_string()),
            ],
            "{name}"
        );
    }
}

#[test]
fn a_canned_acl_and_metadata_reach_an_upload() {
    let dir = scratch("attributes", "acl");
    let bucket = bucket("attr-acl");
    let file = dir.join("a.txt");
    std::fs::write(&file, b"public").expect("write");
    let url = format!("s3://{bucket}/a.txt");
    moto(&["cp", text(&file), &url, "--acl", "public-read"]).expect_code(0);
    let granted = grants(&bucket, "a.txt");
    assert!(
        granted.contains(&("READ".to_string(), ALL_USERS.to_string())),
        "{granted:?}"
    );
    // Without --acl the object is private: nobody but the owner.
    moto(&["cp", text(&file), &format!("s3://{bucket}/private.txt")]).expect_code(0);
    let private = grants(&bucket, "private.txt");
    assert!(
        private.iter().all(|(_, who)| who != ALL_USERS),
        "{private:?}"
    );
}

/// Put a source object with metadata, content headers and tags, of `size` bytes.
fn source_object(dir: &std::path::Path, bucket: &str, key: &str, size: u64) {
    let file = dir.join(key);
    std::fs::write(&file, data(size, 7)).expect("write");
    moto(&[
        "cp",
        text(&file),
        &format!("s3://{bucket}/{key}"),
        "--part-size",
        "5MiB",
        "--metadata",
        "origin=source",
        "--content-type",
        "application/x-source",
        "--cache-control",
        "no-cache",
        "--content-language",
        "fr",
        "--tagging",
        "kept=yes",
        "--expires",
        "2029-03-04T05:06:07Z",
    ])
    .expect_code(0);
}

#[test]
fn copies_keep_replace_or_drop_the_sources_properties_in_one_request_and_in_parts() {
    let dir = scratch("attributes", "copy");
    let bucket = bucket("attr-copy");
    for (name, size) in [("small", 2000), ("big", 6 * MIB)] {
        source_object(&dir, &bucket, name, size);
        let src = format!("s3://{bucket}/{name}");
        let copy = |suffix: &str, extra: &[&str]| {
            let key = format!("{name}-{suffix}");
            let mut args = vec!["cp", &src, "--part-size", "5MiB"];
            let dst = format!("s3://{bucket}/{key}");
            args.push(&dst);
            args.extend_from_slice(extra);
            moto(&args).expect_code(0);
            key
        };

        // Default: everything kept (a copy in parts reads the tags with GetObjectTagging), and
        // the storage class given applies.
        let key = copy("default", &["--storage-class", "STANDARD_IA"]);
        let h = head(&bucket, &key);
        let what = format!("{key}: {h}");
        assert_eq!(header(&h, "content-length"), size.to_string(), "{what}");
        assert_eq!(header(&h, "x-amz-meta-origin"), "source", "{what}");
        assert_eq!(header(&h, "content-type"), "application/x-source", "{what}");
        assert_eq!(header(&h, "cache-control"), "no-cache", "{what}");
        assert_eq!(header(&h, "content-language"), "fr", "{what}");
        assert_eq!(
            header(&h, "expires"),
            "Sun, 04 Mar 2029 05:06:07 GMT",
            "{what}"
        );
        assert_eq!(header(&h, "x-amz-storage-class"), "STANDARD_IA", "{what}");
        assert_eq!(
            tags(&bucket, &key),
            BTreeMap::from([("kept".to_string(), "yes".to_string())]),
            "{key}"
        );

        // REPLACE: only what is given; new tags replace the source's; a canned ACL applies.
        let key = copy(
            "replace",
            &[
                "--metadata-directive",
                "REPLACE",
                "--metadata",
                "{\"origin\":\"copy\"}",
                "--content-type",
                "text/x-copy",
                "--tagging",
                "fresh=1",
                "--acl",
                "public-read",
                "--sse",
                "AES256",
            ],
        );
        let h = head(&bucket, &key);
        let what = format!("{key}: {h}");
        assert_eq!(header(&h, "x-amz-meta-origin"), "copy", "{what}");
        assert_eq!(header(&h, "content-type"), "text/x-copy", "{what}");
        assert_eq!(header(&h, "cache-control"), "", "{what}");
        assert_eq!(header(&h, "content-language"), "", "{what}");
        assert_eq!(
            header(&h, "x-amz-server-side-encryption"),
            "AES256",
            "{what}"
        );
        assert_eq!(
            tags(&bucket, &key),
            BTreeMap::from([("fresh".to_string(), "1".to_string())]),
            "{key}"
        );
        assert!(
            grants(&bucket, &key).contains(&("READ".to_string(), ALL_USERS.to_string())),
            "{key}"
        );

        // --copy-props metadata-directive: properties kept, tags not.
        let key = copy("props", &["--copy-props", "metadata-directive"]);
        let h = head(&bucket, &key);
        assert_eq!(header(&h, "x-amz-meta-origin"), "source", "{key}: {h}");
        assert_eq!(
            header(&h, "content-type"),
            "application/x-source",
            "{key}: {h}"
        );
        assert!(tags(&bucket, &key).is_empty(), "{key}");

        // --copy-props none: neither.
        let key = copy("none", &["--copy-props", "none"]);
        let h = head(&bucket, &key);
        assert_eq!(header(&h, "x-amz-meta-origin"), "", "{key}: {h}");
        assert_eq!(header(&h, "cache-control"), "", "{key}: {h}");
        assert_eq!(header(&h, "expires"), "", "{key}: {h}");
        assert!(tags(&bucket, &key).is_empty(), "{key}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_upload_options_reach_the_object_through_the_library() {
    use s3op::transfer::{TransferConfig, UploadOptions};
    use s3op::types::{ObjectCannedACL, ServerSideEncryption, StorageClass};

    let dir = scratch("attributes", "library");
    let bucket = bucket("attr-lib");
    let client = support::moto().client();
    let mut options = UploadOptions::default();
    let attributes = &mut options.attributes;
    attributes
        .metadata
        .insert("made-by".into(), "library".into());
    attributes.content_type = Some("application/x-typed".into());
    attributes.cache_control = Some("max-age=5".into());
    attributes.storage_class = Some(StorageClass::StandardIa);
    attributes.acl = Some(ObjectCannedACL::PublicRead);
    attributes.sse = Some(ServerSideEncryption::Aes256);
    attributes.tagging = Some("typed=yes".into());
    attributes.expires = Some(time::macros::datetime!(2031-05-06 07:08:09 UTC));
    let config = TransferConfig {
        part_size: 5 * MIB,
        multipart_threshold: 5 * MIB,
        ..TransferConfig::default()
    };
    for (name, size) in [("small", 100), ("big", 5 * MIB + 1)] {
        let file = dir.join(name);
        std::fs::write(&file, data(size, 3)).expect("write");
        client
            .upload_file(&file, &bucket, name, &options, &config)
            .await
            .expect("uploaded");
        let h = tokio::task::block_in_place(|| head(&bucket, name));
        let what = format!("{name}: {h}");
        assert_eq!(header(&h, "x-amz-meta-made-by"), "library", "{what}");
        assert_eq!(header(&h, "content-type"), "application/x-typed", "{what}");
        assert_eq!(header(&h, "cache-control"), "max-age=5", "{what}");
        assert_eq!(header(&h, "x-amz-storage-class"), "STANDARD_IA", "{what}");
        assert_eq!(
            header(&h, "x-amz-server-side-encryption"),
            "AES256",
            "{what}"
        );
        assert_eq!(
            header(&h, "expires"),
            "Tue, 06 May 2031 07:08:09 GMT",
            "{what}"
        );
        let tagged = tokio::task::block_in_place(|| tags(&bucket, name));
        assert_eq!(tagged.get("typed").map(String::as_str), Some("yes"));
        let granted = tokio::task::block_in_place(|| grants(&bucket, name));
        assert!(
            granted.contains(&("READ".to_string(), ALL_USERS.to_string())),
            "{granted:?}"
        );
    }
}

#[test]
fn sse_c_flags_pass_through_moto_which_ignores_the_key() {
    // moto stores SSE-C objects unencrypted and checks no key: this only shows that the flags
    // are accepted on every path and the bytes come back whole. The key itself is checked
    // against the wiremock script below.
    let dir = scratch("attributes", "ssec-moto");
    let bucket = bucket("attr-ssec");
    let bytes = data(11 * MIB, 5);
    let file = dir.join("secret.bin");
    std::fs::write(&file, &bytes).expect("write");
    let key = "k".repeat(32);
    let url = format!("s3://{bucket}/secret.bin");
    let ssec = [
        "--sse-c",
        "--sse-c-key",
        key.as_str(),
        "--part-size",
        "5MiB",
    ];
    let mut up = vec!["cp", text(&file), url.as_str()];
    up.extend_from_slice(&ssec);
    moto(&up).expect_code(0);
    let back = dir.join("back.bin");
    let mut down = vec!["cp", url.as_str(), text(&back)];
    down.extend_from_slice(&ssec);
    moto(&down).expect_code(0);
    assert!(std::fs::read(&back).expect("read") == bytes);
    let copy = format!("s3://{bucket}/copy.bin");
    let mut cp = vec!["cp", url.as_str(), copy.as_str()];
    cp.extend_from_slice(&ssec);
    cp.extend_from_slice(&["--sse-c-copy-source", "--sse-c-copy-source-key", &key]);
    moto(&cp).expect_code(0);
    assert_eq!(
        header(&head(&bucket, "copy.bin"), "content-length"),
        bytes.len().to_string()
    );
}

// --- SSE-C against a wiremock script -------------------------------------------------------

/// One SSE-C object as S3 serves it: every request must carry the key it was written with
/// (400 InvalidRequest without one, 403 AccessDenied with another); ranged GETs and HEAD answer
/// from `body`; a multipart upload or a copy in parts is accepted (CreateMultipartUpload,
/// UploadPart, UploadPartCopy, CompleteMultipartUpload).
struct SseCObject {
    key_md5: String,
    /// A copy's source key, checked on the requests that read a copy source.
    source_key_md5: Option<String>,
    body: Vec<u8>,
}

const KEY_MD5: &str = "x-amz-server-side-encryption-customer-key-md5";
const SOURCE_KEY_MD5: &str = "x-amz-copy-source-server-side-encryption-customer-key-md5";

fn s3_error(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        format!("<Error><Code>{code}</Code><Message>{code}</Message></Error>"),
        "application/xml",
    )
}

impl Respond for SseCObject {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let given = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let query = request.url.query().unwrap_or("");
        let copying = given("x-amz-copy-source").is_some();
        let mut needed = vec![(KEY_MD5, &self.key_md5)];
        if let (true, Some(source)) = (copying, &self.source_key_md5) {
            needed.push((SOURCE_KEY_MD5, source));
        }
        for (name, expected) in needed {
            match given(name) {
                None => return s3_error(400, "InvalidRequest"),
                Some(md5) if md5 != *expected => return s3_error(403, "AccessDenied"),
                Some(_) => {}
            }
        }
        let method = request.method.as_str();
        let etag = "\"0123456789abcdef0123456789abcdef\"";
        match method {
            "POST" if query.contains("uploads") => ResponseTemplate::new(200).set_body_raw(
                "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>\
                 <UploadId>UP1</UploadId></InitiateMultipartUploadResult>",
                "application/xml",
            ),
            "POST" => ResponseTemplate::new(200).set_body_raw(
                "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>\
                 <ETag>\"abc-3\"</ETag></CompleteMultipartUploadResult>",
                "application/xml",
            ),
            "PUT" if copying => ResponseTemplate::new(200).set_body_raw(
                format!("<CopyPartResult><ETag>{etag}</ETag></CopyPartResult>"),
                "application/xml",
            ),
            "PUT" => ResponseTemplate::new(200).insert_header("etag", etag),
            "HEAD" => ResponseTemplate::new(200)
                .insert_header("etag", etag)
                .insert_header("content-length", self.body.len().to_string().as_str()),
            _ => {
                let total = self.body.len();
                let range = given("range").and_then(|r| {
                    let (a, b) = r.strip_prefix("bytes=")?.split_once('-')?;
                    let a: usize = a.parse().ok()?;
                    let b: usize = b.parse::<usize>().map_or(total - 1, |b| b.min(total - 1));
                    Some((a, b))
                });
                match range {
                    Some((a, b)) => ResponseTemplate::new(206)
                        .insert_header("etag", etag)
                        .insert_header("content-range", format!("bytes {a}-{b}/{total}").as_str())
                        .set_body_bytes(self.body[a..=b].to_vec()),
                    None => ResponseTemplate::new(200)
                        .insert_header("etag", etag)
                        .set_body_bytes(self.body.clone()),
                }
            }
        }
    }
}

fn key_md5(key: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(key))
}

async fn sse_c_server(key: &[u8], body: Vec<u8>) -> MockServer {
    let server = MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(SseCObject {
            key_md5: key_md5(key),
            source_key_md5: None,
            body,
        })
        .mount(&server)
        .await;
    server
}

fn mock_run(server: &MockServer, args: &[&str]) -> Run {
    let uri = server.uri();
    let mut full = vec!["--endpoint-url", uri.as_str()];
    full.extend_from_slice(args);
    clirun::run(
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
            ("AWS_SECRET_ACCESS_KEY", "s3op-test-secret"),
            ("AWS_REGION", "us-east-1"),
        ],
        &full,
    )
}

/// (method, query, the key's MD5 header, the copy source key's MD5 header) of every request.
async fn key_headers(server: &MockServer) -> Vec<(String, String, String, String)> {
    let value = |r: &Request, name: &str| {
        r.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.url.query().unwrap_or("").to_string(),
                value(r, KEY_MD5),
                value(r, SOURCE_KEY_MD5),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sse_c_key_goes_on_every_part_of_an_upload() {
    let dir = scratch("attributes", "ssec-up");
    // Not UTF-8: the key is read from the file as bytes and sent as bytes.
    let key = [0xa5u8; 32];
    let key_file = dir.join("key.bin");
    std::fs::write(&key_file, key).expect("write key");
    let server = sse_c_server(&key, Vec::new()).await;
    let file = dir.join("big.bin");
    std::fs::write(&file, data(11 * MIB, 9)).expect("write");
    let key_arg = format!("fileb://{}", text(&key_file));
    mock_run(
        &server,
        &[
            "cp",
            text(&file),
            "s3://b/k",
            "--part-size",
            "5MiB",
            "--sse-c",
            "--sse-c-key",
            &key_arg,
        ],
    )
    .expect_code(0);
    let seen = key_headers(&server).await;
    let parts = seen
        .iter()
        .filter(|(m, q, _, _)| m == "PUT" && q.contains("partNumber"))
        .count();
    assert_eq!(parts, 3, "{seen:?}");
    assert!(
        seen.iter()
            .any(|(m, q, _, _)| m == "POST" && q.contains("uploads")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|(m, q, _, _)| m == "POST" && q.contains("uploadId")),
        "{seen:?}"
    );
    assert!(
        seen.iter().all(|(_, _, md5, _)| *md5 == key_md5(&key)),
        "{seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sse_c_download_sends_the_key_on_every_range_and_a_wrong_key_leaves_nothing() {
    let dir = scratch("attributes", "ssec-down");
    let key = "0123456789abcdef0123456789abcdef";
    let body = data(12 * MIB, 4);
    let server = sse_c_server(key.as_bytes(), body.clone()).await;
    let target = dir.join("out.bin");
    let download = |extra: &[&str]| {
        let mut args = vec!["cp", "s3://b/k", text(&target), "--part-size", "5MiB"];
        args.extend_from_slice(extra);
        mock_run(&server, &args)
    };

    download(&["--sse-c", "AES256", "--sse-c-key", key]).expect_code(0);
    assert!(std::fs::read(&target).expect("downloaded") == body);
    let seen = key_headers(&server).await;
    let gets = seen.iter().filter(|(m, _, _, _)| m == "GET").count();
    assert!(gets >= 3, "12 MiB in 5 MiB ranges: {seen:?}");
    assert!(
        seen.iter()
            .all(|(_, _, md5, _)| *md5 == key_md5(key.as_bytes())),
        "{seen:?}"
    );
    std::fs::remove_file(&target).expect("remove");

    // Without the key, and with a wrong one: exit 1, S3's error named, nothing left behind.
    for (extra, code) in [
        (vec![], "InvalidRequest"),
        (
            vec!["--sse-c", "--sse-c-key", "ffffffffffffffffffffffffffffffff"],
            "AccessDenied",
        ),
    ] {
        let run = download(&extra);
        run.expect_code(1);
        assert!(run.stderr.contains(code), "{run}");
        if code == "AccessDenied" {
            assert!(run.stderr.contains("check --sse-c-key"), "{run}");
        }
        assert!(
            names_in(&dir).is_empty(),
            "no file, no temporary file: {:?}",
            names_in(&dir)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cat_sends_the_sse_c_key_on_the_head_and_every_range() {
    let key = "0123456789abcdef0123456789abcdef";
    let body = data(12 * MIB, 5);
    let server = sse_c_server(key.as_bytes(), body.clone()).await;
    let keys = [
        ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
        ("AWS_SECRET_ACCESS_KEY", "s3op-test-secret"),
        ("AWS_REGION", "us-east-1"),
    ];
    let args = [
        "cat",
        "s3://b/k",
        "--part-size",
        "5MiB",
        "--sse-c",
        "--sse-c-key",
        key,
    ];
    let (code, stdout, stderr) = cli::s3op_bytes(&server.uri(), &keys, &args);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout == body, "the object's bytes, in order");
    let seen = key_headers(&server).await;
    assert!(
        seen.iter().filter(|(m, _, _, _)| m == "GET").count() >= 3,
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .all(|(_, _, md5, _)| *md5 == key_md5(key.as_bytes())),
        "the key on every request: {seen:?}"
    );
    // Without the key the server refuses, and cat says so (exit 1).
    let refused = mock_run(&server, &["cat", "s3://b/k"]);
    refused.expect_code(1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_in_parts_sends_both_keys_on_every_part() {
    let source_key = "S".repeat(32);
    let copy_key = "C".repeat(32);
    let (src_md5, dst_md5) = (key_md5(source_key.as_bytes()), key_md5(copy_key.as_bytes()));
    let server = MockServer::start().await;
    // The source, HEAD with its key: 11 MiB, so the copy goes in three 5 MiB parts; it has no
    // tags. Everything else is the copy, written with its key from the source read with its own.
    wiremock::Mock::given(wiremock::matchers::method("HEAD"))
        .and(wiremock::matchers::header(KEY_MD5, src_md5.as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"e\"")
                .insert_header("content-length", (11 * MIB).to_string().as_str()),
        )
        .mount(&server)
        .await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::query_param("tagging", ""))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw("<Tagging><TagSet></TagSet></Tagging>", "application/xml"),
        )
        .mount(&server)
        .await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(SseCObject {
            key_md5: dst_md5.clone(),
            source_key_md5: Some(src_md5.clone()),
            body: Vec::new(),
        })
        .mount(&server)
        .await;
    mock_run(
        &server,
        &[
            "cp",
            "s3://b/src",
            "s3://b/dst",
            "--part-size",
            "5MiB",
            "--sse-c",
            "--sse-c-key",
            &copy_key,
            "--sse-c-copy-source",
            "--sse-c-copy-source-key",
            &source_key,
        ],
    )
    .expect_code(0);
    let seen = key_headers(&server).await;
    let part_copies = seen
        .iter()
        .filter(|(m, q, _, _)| m == "PUT" && q.contains("partNumber"))
        .count();
    assert_eq!(part_copies, 3, "{seen:?}");
    for (method, query, dst, src) in &seen {
        match (method.as_str(), query.as_str()) {
            ("HEAD", _) => assert_eq!(*dst, src_md5, "{seen:?}"),
            ("PUT", _) => assert!(*dst == dst_md5 && *src == src_md5, "{seen:?}"),
            ("POST", _) => assert!(*dst == dst_md5 && src.is_empty(), "{seen:?}"),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn conflicting_or_malformed_attribute_flags_exit_2_and_send_nothing() {
    let dir = scratch("attributes", "usage");
    let file = dir.join("a.txt");
    std::fs::write(&file, b"x").expect("write");
    let server = MockServer::start().await;
    let up = |extra: &[&str]| {
        let mut args = vec!["cp", text(&file), "s3://b/a.txt"];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let key = "k".repeat(32);
    let down = |extra: &[&str]| {
        let mut args = vec!["cp", "s3://b/a.txt", text(&dir)];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (up(&["--sse-c"]), "--sse-c-key"),
        (up(&["--sse-c-key", &key]), "--sse-c"),
        (up(&["--sse-c", "--sse-c-key", "short"]), "--sse-c-key"),
        (
            up(&["--sse", "AES256", "--sse-c", "--sse-c-key", &key]),
            "--sse",
        ),
        (up(&["--sse-kms-key-id", "alias/k"]), "--sse-kms-key-id"),
        (
            up(&["--sse", "AES256", "--sse-kms-key-id", "alias/k"]),
            "--sse-kms-key-id",
        ),
        (up(&["--metadata", "{not json"]), "--metadata"),
        (up(&["--metadata", "novalue"]), "--metadata"),
        (up(&["--expires", "next tuesday"]), "--expires"),
        (up(&["--grants", "write=id=x"]), "--grants"),
        (up(&["--storage-class", "CHEAP"]), "--storage-class"),
        (
            up(&["--metadata-directive", "REPLACE"]),
            "--metadata-directive",
        ),
        (up(&["--copy-props", "none"]), "--copy-props"),
        (
            down(&["--sse-c-copy-source", "--sse-c-copy-source-key", &key]),
            "--sse-c-copy-source",
        ),
        (
            down(&["--metadata-directive", "COPY"]),
            "--metadata-directive",
        ),
    ];
    for (args, flag) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = mock_run(&server, &args);
        run.expect_code(2);
        assert!(run.stderr.contains(flag), "{args:?} names {flag}:\n{run}");
        let sent = server
            .received_requests()
            .await
            .map(|r| r.len())
            .unwrap_or(0);
        assert_eq!(sent, 0, "{args:?} sent nothing");
    }
}

#[test]
fn s3s_fs_keeps_metadata_and_content_headers_through_uploads_and_copies() {
    let server = support::s3s_fs();
    let s3 = |args: &[&str]| run_on(server, args);
    let head_of = |bucket: &str, key: &str| {
        let run = s3(&["head-object", "--bucket", bucket, "--key", key]);
        run.expect_code(0);
        run.json()["headers"].clone()
    };
    let dir = scratch("attributes", "s3s-fs");
    let bucket = support::unique_bucket("attr-fs");
    s3(&["mb", &format!("s3://{bucket}")]).expect_code(0);
    for (name, size) in [("small", 3000), ("big", 6 * MIB)] {
        let file = dir.join(name);
        std::fs::write(&file, data(size, 11)).expect("write");
        let src = format!("s3://{bucket}/{name}");
        s3(&[
            "cp",
            text(&file),
            &src,
            "--part-size",
            "5MiB",
            "--metadata",
            "origin=fs",
            "--content-type",
            "application/x-fs",
            "--cache-control",
            "max-age=9",
            "--content-language",
            "de",
        ])
        .expect_code(0);
        let h = head_of(&bucket, name);
        assert_eq!(header(&h, "x-amz-meta-origin"), "fs", "{name}: {h}");
        assert_eq!(
            header(&h, "content-type"),
            "application/x-fs",
            "{name}: {h}"
        );
        assert_eq!(header(&h, "cache-control"), "max-age=9", "{name}: {h}");
        assert_eq!(header(&h, "content-language"), "de", "{name}: {h}");

        // Kept by default: in parts too, where s3s-fs answers GetObjectTagging 501 (no tags).
        let kept = format!("{name}-kept");
        s3(&[
            "cp",
            &src,
            &format!("s3://{bucket}/{kept}"),
            "--part-size",
            "5MiB",
        ])
        .expect_code(0);
        let h = head_of(&bucket, &kept);
        assert_eq!(
            header(&h, "content-length"),
            size.to_string(),
            "{kept}: {h}"
        );
        assert_eq!(header(&h, "x-amz-meta-origin"), "fs", "{kept}: {h}");
        assert_eq!(
            header(&h, "content-type"),
            "application/x-fs",
            "{kept}: {h}"
        );
        assert_eq!(header(&h, "cache-control"), "max-age=9", "{kept}: {h}");

        // Replaced: only what is given.
        let replaced = format!("{name}-replaced");
        s3(&[
            "cp",
            &src,
            &format!("s3://{bucket}/{replaced}"),
            "--part-size",
            "5MiB",
            "--metadata-directive",
            "REPLACE",
            "--metadata",
            "origin=copy",
        ])
        .expect_code(0);
        let h = head_of(&bucket, &replaced);
        assert_eq!(header(&h, "x-amz-meta-origin"), "copy", "{replaced}: {h}");
        assert_eq!(header(&h, "cache-control"), "", "{replaced}: {h}");
        assert_eq!(header(&h, "content-language"), "", "{replaced}: {h}");
    }
}
