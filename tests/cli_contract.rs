//! The CLI contract, against a wiremock server that records every request: bad input exits 2 with a
//! message naming the flag and sends nothing; `--dry-run` prints the signed request and sends
//! nothing; S3 errors (including a 200 whose body is an `<Error>`) are envelopes with exit 1; help
//! is the reference page; configuration comes from flags, basic data, environment and profiles.

mod clirun;

use clirun::{run, Run};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEYS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
    ("AWS_SECRET_ACCESS_KEY", "s3op-test-secret-do-not-print"),
];

fn s3(server: &MockServer, args: &[&str]) -> Run {
    let uri = server.uri();
    let mut full = vec!["--endpoint-url", uri.as_str()];
    full.extend_from_slice(args);
    run(&KEYS, &full)
}

async fn sent(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .map(|r| r.len())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_exits_2_names_the_flag_and_sends_nothing() {
    let server = MockServer::start().await;
    let missing_file = "/definitely/not/a/file";
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["put-object", "--key", "k"], "--bucket"),
        (
            vec![
                "put-object",
                "--bucket",
                "bbb",
                "--key",
                "k",
                "--body",
                missing_file,
            ],
            "--body",
        ),
        (
            vec![
                "put-bucket-tagging",
                "--bucket",
                "bbb",
                "--tagging",
                "{not json",
            ],
            "--tagging",
        ),
        (
            vec![
                "put-bucket-tagging",
                "--bucket",
                "bbb",
                "--tagging",
                r#"{"TagSet":[{"Key":1,"Value":"b"}]}"#,
            ],
            "--tagging",
        ),
        (
            vec![
                "put-bucket-tagging",
                "--bucket",
                "bbb",
                "--tagging",
                r#"{"TagSet":[],"Bogus":1}"#,
            ],
            "--tagging",
        ),
        (
            vec![
                "put-bucket-tagging",
                "--bucket",
                "bbb",
                "--tagging",
                r#"{"TagSet":{"Key":"a"}}"#,
            ],
            "--tagging",
        ),
        (
            vec!["list-objects-v2", "--bucket", "bbb", "--max-keys", "many"],
            "--max-keys",
        ),
        (
            vec!["list-objects-v2", "--bucket", "bbb", "--fetch-owner", "yes"],
            "--fetch-owner",
        ),
        (
            vec![
                "get-object",
                "--bucket",
                "bbb",
                "--key",
                "k",
                "--if-modified-since",
                "last tuesday",
                "out",
            ],
            "--if-modified-since",
        ),
        (
            vec!["get-object", "--bucket", "bbb", "--key", "k"],
            "OUTFILE",
        ),
        (
            vec!["list-objects-v2", "--bucket", "bbb", "--no-such-flag", "x"],
            "--no-such-flag",
        ),
        (vec!["no-such-operation"], "no-such-operation"),
        (
            vec!["--header", "Authorization: x", "list-buckets"],
            "Authorization",
        ),
        (vec!["--header", "no colon", "list-buckets"], "--header"),
    ];
    for (args, needle) in cases {
        let r = s3(&server, &args);
        r.expect_code(2);
        assert!(
            r.stderr.contains(needle),
            "message should name {needle}:\n{r}"
        );
        assert!(
            r.stdout.is_empty(),
            "nothing on stdout for a usage error:\n{r}"
        );
    }
    // A bad endpoint URL, and no credentials at all.
    let r = run(&KEYS, &["--endpoint-url", "not a url", "list-buckets"]);
    r.expect_code(2);
    assert!(r.stderr.contains("not a url"), "{r}");
    let r = run(&[], &["--endpoint-url", &server.uri(), "list-buckets"]);
    r.expect_code(2);
    assert!(r.stderr.contains("credentials"), "{r}");
    assert_eq!(
        sent(&server).await,
        0,
        "bad input must not reach the server"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_the_signed_request_and_sends_nothing() {
    let server = MockServer::start().await;
    let r = s3(
        &server,
        &[
            "--dry-run",
            "put-bucket-tagging",
            "--bucket",
            "my-bucket",
            "--tagging",
            r#"{"TagSet":[{"Key":"a","Value":"b"}]}"#,
        ],
    );
    r.expect_code(0);
    let req = r.json();
    assert_eq!(req["method"], "PUT");
    assert_eq!(req["url"], format!("{}/my-bucket?tagging", server.uri()));
    let auth = req["headers"]["authorization"].as_str().expect("signed");
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/"),
        "{auth}"
    );
    assert!(
        req["headers"]["content-md5"].is_string(),
        "integrity header for a checksum-required operation"
    );
    assert_eq!(
        req["body"],
        r#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>"#
    );
    assert!(!r.stdout.contains("s3op-test-secret-do-not-print"));
    assert_eq!(sent(&server).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_200_with_an_error_body_is_an_error() {
    let server = MockServer::start().await;
    let error = r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message><RequestId>R1</RequestId></Error>"#;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(error))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_string(error))
        .mount(&server)
        .await;
    let complete = s3(
        &server,
        &[
            "complete-multipart-upload",
            "--bucket",
            "bbb",
            "--key",
            "k",
            "--upload-id",
            "u1",
            "--multipart-upload",
            r#"{"Parts":[{"ETag":"e","PartNumber":1}]}"#,
        ],
    );
    complete.expect_code(1);
    assert_eq!(complete.json()["status"], 200);
    assert_eq!(
        complete.json()["response"]["Error"]["Code"],
        "InternalError"
    );
    let copy = s3(
        &server,
        &[
            "copy-object",
            "--bucket",
            "bbb",
            "--key",
            "k2",
            "--copy-source",
            "bbb/k",
        ],
    );
    copy.expect_code(1);
    assert_eq!(copy.json()["response"]["Error"]["Code"], "InternalError");
}

#[tokio::test(flavor = "multi_thread")]
async fn head_errors_have_status_and_headers_but_no_body() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .and(path("/bbb/missing"))
        .respond_with(ResponseTemplate::new(404).insert_header("x-amz-request-id", "REQ123"))
        .mount(&server)
        .await;
    let r = s3(
        &server,
        &["head-object", "--bucket", "bbb", "--key", "missing"],
    );
    r.expect_code(1);
    let env = r.json();
    assert_eq!(env["status"], 404);
    assert!(env["response"].is_null());
    assert_eq!(env["headers"]["x-amz-request-id"], "REQ123");
}

#[test]
fn operation_help_is_the_reference_page() {
    let r = run(&[], &["put-object", "--help"]);
    r.expect_code(0);
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/reference/put-object.md"
    ))
    .expect("page");
    assert_eq!(r.stdout.trim_end(), page.trim_end());
}

#[test]
fn basic_data_prints_json_that_data_accepts() {
    let r = run(
        &[],
        &[
            "basic-data",
            "--url",
            "http://127.0.0.1:9000",
            "--access",
            "AK",
            "--secret",
            "SK",
            "--region",
            "eu-west-3",
        ],
    );
    r.expect_code(0);
    let data = r.json();
    assert_eq!(data["URL"], "http://127.0.0.1:9000");
    assert_eq!(data["AccessKey"], "AK");
    assert_eq!(data["Region"], "eu-west-3");
    let file = std::env::temp_dir().join(format!("s3op-basic-{}.json", std::process::id()));
    std::fs::write(&file, &r.stdout).expect("write");
    let dry = run(
        &[],
        &[
            "--data",
            file.to_str().unwrap_or_default(),
            "--dry-run",
            "list-objects-v2",
            "--bucket",
            "bbb",
        ],
    );
    dry.expect_code(0);
    let req = dry.json();
    assert_eq!(req["url"], "http://127.0.0.1:9000/bbb?list-type=2");
    let auth = req["headers"]["authorization"].as_str().unwrap_or_default();
    assert!(
        auth.contains("Credential=AK/") && auth.contains("/eu-west-3/s3/aws4_request"),
        "{auth}"
    );
}

#[test]
fn environment_and_profiles_configure_the_client() {
    let dir = std::env::temp_dir().join(format!("s3op-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let config = dir.join("config");
    let credentials = dir.join("credentials");
    std::fs::write(
        &config,
        "[profile work]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:9999\n",
    )
    .expect("config");
    std::fs::write(&credentials, "[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = work-secret\naws_session_token = work-token\n").expect("creds");
    let env = [
        ("AWS_CONFIG_FILE", config.to_str().unwrap_or_default()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            credentials.to_str().unwrap_or_default(),
        ),
        ("AWS_PROFILE", "work"),
    ];
    let r = run(&env, &["--dry-run", "head-bucket", "--bucket", "bbb"]);
    r.expect_code(0);
    let req = r.json();
    assert_eq!(req["url"], "http://127.0.0.1:9999/bbb");
    assert_eq!(
        req["headers"]["x-amz-security-token"], "work-token",
        "--dry-run shows the token it would send"
    );
    assert!(req["headers"]["authorization"]
        .as_str()
        .unwrap_or_default()
        .contains("AKIDWORK/"));
    assert!(req["headers"]["authorization"]
        .as_str()
        .unwrap_or_default()
        .contains("/ap-south-1/s3/"));
    // flags beat the profile
    let r = run(
        &env,
        &[
            "--region",
            "us-west-2",
            "--endpoint-url",
            "http://localhost:1234",
            "--dry-run",
            "head-bucket",
            "--bucket",
            "bbb",
        ],
    );
    let req = r.json();
    assert_eq!(req["url"], "http://localhost:1234/bbb");
    assert!(req["headers"]["authorization"]
        .as_str()
        .unwrap_or_default()
        .contains("/us-west-2/s3/"));
    // AWS_ENDPOINT_URL_S3 and AWS_REGION from the environment
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:7777"),
        ("AWS_REGION", "eu-north-1"),
    ];
    let req = run(&env, &["--dry-run", "list-buckets"]).json();
    assert_eq!(req["url"], "http://127.0.0.1:7777/");
    assert!(req["headers"]["authorization"]
        .as_str()
        .unwrap_or_default()
        .contains("AKIDENV/"));
    // AWS endpoints are virtual-hosted by default; --path-style forces the path.
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ("AWS_REGION", "eu-north-1"),
    ];
    let req = run(&env, &["--dry-run", "head-bucket", "--bucket", "my-bucket"]).json();
    assert_eq!(req["url"], "https://my-bucket.s3.eu-north-1.amazonaws.com/");
    let req = run(
        &env,
        &[
            "--path-style",
            "--dry-run",
            "head-bucket",
            "--bucket",
            "my-bucket",
        ],
    )
    .json();
    assert_eq!(req["url"], "https://s3.eu-north-1.amazonaws.com/my-bucket");
}

#[tokio::test(flavor = "multi_thread")]
async fn extra_headers_are_signed_and_conflicts_are_refused() {
    let server = MockServer::start().await;
    let r = s3(
        &server,
        &["--header", "X-Custom: one", "--dry-run", "list-buckets"],
    );
    r.expect_code(0);
    let req = r.json();
    assert_eq!(req["headers"]["x-custom"], "one");
    let auth = req["headers"]["authorization"].as_str().unwrap_or_default();
    assert!(
        auth.contains("x-custom"),
        "the extra header is signed: {auth}"
    );
    // A header that a member also sets is an error naming both.
    let r = s3(
        &server,
        &[
            "--header",
            "Content-Type: text/plain",
            "put-object",
            "--bucket",
            "bbb",
            "--key",
            "k",
            "--content-type",
            "image/png",
        ],
    );
    r.expect_code(2);
    assert!(
        r.stderr.contains("Content-Type") && r.stderr.contains("--content-type"),
        "{r}"
    );
    // On presign, the header is signed into the URL.
    let r = s3(
        &server,
        &[
            "--header",
            "Content-Type: text/plain",
            "presign",
            "put-object",
            "--bucket",
            "bbb",
            "--key",
            "k",
        ],
    );
    r.expect_code(0);
    assert!(
        r.stdout.contains("X-Amz-SignedHeaders=content-type%3Bhost"),
        "{r}"
    );
    assert_eq!(sent(&server).await, 0);
}

#[test]
fn basic_data_as_oint_users_write_it() {
    // No scheme means https; --output writes a file only its owner can read.
    let file = std::env::temp_dir().join(format!("s3op-bd-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let r = run(
        &[],
        &[
            "basic-data",
            "--url",
            "storage.example.com/base",
            "--access",
            "AK",
            "--secret",
            "SK",
            "--region",
            "r1",
            "--chunk-size",
            "8MiB",
            "--output",
            file.to_str().unwrap_or_default(),
        ],
    );
    r.expect_code(0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).expect("file").permissions().mode() & 0o777,
            0o600
        );
    }
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
    assert_eq!(data["ChunkSize"], 8 * 1024 * 1024);
    let dry = run(
        &[],
        &[
            "--data",
            file.to_str().unwrap_or_default(),
            "--dry-run",
            "head-bucket",
            "--bucket",
            "bbb",
        ],
    )
    .json();
    assert_eq!(dry["url"], "https://storage.example.com/base/bbb");
    // The single-quoted form oint's documentation prints, inline.
    let inline =
        "{'URL':'http://127.0.0.1:9000','AccessKey':'AK2','SecretKey':'SK2','Region':'r2'}";
    let dry = run(&[], &["--data", inline, "--dry-run", "list-buckets"]).json();
    assert_eq!(dry["url"], "http://127.0.0.1:9000/");
    assert!(dry["headers"]["authorization"]
        .as_str()
        .unwrap_or_default()
        .contains("AK2/"));
    // Flags win over the basic data.
    let dry = run(
        &[],
        &[
            "--data",
            inline,
            "--region",
            "flag-region",
            "--dry-run",
            "list-buckets",
        ],
    )
    .json();
    assert!(dry["headers"]["authorization"]
        .as_str()
        .unwrap_or_default()
        .contains("/flag-region/"));
}
