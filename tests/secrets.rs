//! Secrets never leave: with a distinctive secret key and session token, no failure path of the CLI
//! (403, timeout, refused connection, missing file, --debug) prints either of them. `--dry-run` may
//! show the token as the x-amz-security-token it would send, and nothing else.

mod clirun;
mod support;

use std::net::TcpListener;

const SECRET: &str = "S3CRET-zq7x-do-not-leak-9f2c";
const TOKEN: &str = "T0KEN-kw4m-do-not-leak-1b8e";

fn env() -> [(&'static str, &'static str); 3] {
    [
        ("AWS_ACCESS_KEY_ID", "AKIDLEAKTEST"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", TOKEN),
    ]
}

fn assert_clean(run: &clirun::Run, what: &str) {
    for needle in [SECRET, TOKEN] {
        assert!(
            !run.stdout.contains(needle) && !run.stderr.contains(needle),
            "{what} leaked {needle}:\n{run}"
        );
    }
    assert!(!run.stderr.contains("panicked"), "{what} panicked:\n{run}");
}

#[test]
fn failure_paths_print_no_secret_or_token() {
    let server = support::s3s_fs();
    // 403: s3s-fs does not know this key.
    let run = clirun::run(
        &env(),
        &[
            "--endpoint-url",
            &server.endpoint,
            "--debug",
            "list-buckets",
        ],
    );
    assert_eq!(run.code, 1);
    assert_clean(&run, "a 403 with --debug");
    assert!(
        run.stderr.contains("canonical request"),
        "--debug shows the canonical request:\n{run}"
    );

    // Refused connection: a port nothing listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9);
    let url = format!("http://127.0.0.1:{port}");
    let run = clirun::run(
        &env(),
        &[
            "--endpoint-url",
            &url,
            "--max-attempts",
            "2",
            "--debug",
            "head-bucket",
            "--bucket",
            "bbb",
        ],
    );
    assert_eq!(run.code, 1);
    assert_clean(&run, "a refused connection");

    // Timeout: a server that accepts and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").expect("listener");
    let url = format!("http://{}", silent.local_addr().expect("addr"));
    let run = clirun::run(
        &env(),
        &[
            "--endpoint-url",
            &url,
            "--read-timeout",
            "0.5",
            "--max-attempts",
            "1",
            "list-buckets",
        ],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("read timeout"),
        "the message names the timeout:\n{run}"
    );
    assert_clean(&run, "a timeout");

    // A missing file, and a bad flag value.
    let run = clirun::run(
        &env(),
        &[
            "--endpoint-url",
            &server.endpoint,
            "put-object",
            "--bucket",
            "b-b-b",
            "--key",
            "k",
            "--body",
            "/no/such/file",
        ],
    );
    assert_eq!(run.code, 2);
    assert_clean(&run, "a missing file");
    let run = clirun::run(
        &env(),
        &[
            "--endpoint-url",
            &server.endpoint,
            "presign",
            "get-object",
            "--bucket",
            "b-b-b",
            "--key",
            "k",
        ],
    );
    assert_eq!(run.code, 0);
    assert!(
        !run.stdout.contains(SECRET),
        "a presigned URL carries no secret"
    );
}

#[test]
fn dry_run_shows_the_token_it_would_send_and_never_the_secret() {
    let run = clirun::run(
        &env(),
        &[
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--dry-run",
            "list-buckets",
        ],
    );
    assert_eq!(run.code, 0);
    let req = run.json();
    assert_eq!(req["headers"]["x-amz-security-token"], TOKEN);
    assert!(!run.stdout.contains(SECRET));
}

#[test]
fn debug_output_of_secret_types_is_masked() {
    let creds = s3op::signer::Credentials {
        access_key_id: "AKID".into(),
        secret_access_key: s3op::secret::Secret::new(SECRET),
        session_token: Some(s3op::secret::Secret::new(TOKEN)),
    };
    let shown = format!("{creds:?}");
    assert!(!shown.contains(SECRET) && !shown.contains(TOKEN), "{shown}");
    let client = s3op::Client::builder()
        .endpoint_url("http://127.0.0.1:9")
        .credentials("AKID", SECRET, Some(TOKEN.into()))
        .build()
        .expect("client");
    let shown = format!("{client:?}");
    assert!(!shown.contains(SECRET) && !shown.contains(TOKEN), "{shown}");
}
