//! The retry policy on the wire (wiremock, for faults a real server will not produce on demand):
//! transient answers are retried and then succeed, final answers are not retried, --max-attempts and
//! AWS_MAX_ATTEMPTS bound the attempts, a 200 with an <Error> body is retried, and
//! RequestTimeTooSkewed corrects the signing clock from the server's Date.

mod clirun;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const KEYS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
    ("AWS_SECRET_ACCESS_KEY", "secret"),
];

/// Answers each request with the next template of a script (the last one repeats).
struct Script {
    answers: Vec<ResponseTemplate>,
    seen: Arc<AtomicUsize>,
}

impl Respond for Script {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.seen.fetch_add(1, Ordering::SeqCst);
        self.answers[n.min(self.answers.len() - 1)].clone()
    }
}

async fn scripted(answers: Vec<ResponseTemplate>) -> (MockServer, Arc<AtomicUsize>) {
    let server = MockServer::start().await;
    let seen = Arc::new(AtomicUsize::new(0));
    Mock::given(wiremock::matchers::any())
        .respond_with(Script {
            answers,
            seen: seen.clone(),
        })
        .mount(&server)
        .await;
    (server, seen)
}

fn error(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_string(format!(
        "<Error><Code>{code}</Code><Message>m</Message><RequestId>RID-{code}</RequestId></Error>"
    ))
}

fn ok_listing() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_string("<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>")
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_answers_are_retried_until_success() {
    let (server, seen) = scripted(vec![
        error(503, "SlowDown"),
        error(500, "InternalError"),
        ok_listing(),
    ])
    .await;
    let run = clirun::run(&KEYS, &["--endpoint-url", &server.uri(), "list-buckets"]);
    run.expect_code(0);
    assert_eq!(seen.load(Ordering::SeqCst), 3, "two retries, then success");

    let (server, seen) = scripted(vec![
        ResponseTemplate::new(200).set_body_string("<Error><Code>InternalError</Code></Error>"),
        ok_listing(),
    ])
    .await;
    clirun::run(&KEYS, &["--endpoint-url", &server.uri(), "list-buckets"]).expect_code(0);
    assert_eq!(
        seen.load(Ordering::SeqCst),
        2,
        "a 200 whose body is an <Error> is retried"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn attempts_are_bounded_and_final_errors_are_not_retried() {
    let (server, seen) = scripted(vec![error(503, "ServiceUnavailable")]).await;
    let run = clirun::run(&KEYS, &["--endpoint-url", &server.uri(), "list-buckets"]);
    run.expect_code(1);
    assert_eq!(seen.load(Ordering::SeqCst), 3, "the default is 3 attempts");
    assert!(
        run.stdout.contains("RID-ServiceUnavailable"),
        "the envelope keeps S3's request id:\n{run}"
    );

    let (server, seen) = scripted(vec![error(503, "ServiceUnavailable")]).await;
    clirun::run(
        &KEYS,
        &[
            "--endpoint-url",
            &server.uri(),
            "--max-attempts",
            "1",
            "list-buckets",
        ],
    )
    .expect_code(1);
    assert_eq!(seen.load(Ordering::SeqCst), 1, "--max-attempts 1");

    let (server, seen) = scripted(vec![error(503, "ServiceUnavailable")]).await;
    let env = [KEYS[0], KEYS[1], ("AWS_MAX_ATTEMPTS", "2")];
    clirun::run(&env, &["--endpoint-url", &server.uri(), "list-buckets"]).expect_code(1);
    assert_eq!(seen.load(Ordering::SeqCst), 2, "AWS_MAX_ATTEMPTS");

    for (status, code) in [
        (403, "AccessDenied"),
        (404, "NoSuchBucket"),
        (403, "SignatureDoesNotMatch"),
    ] {
        let (server, seen) = scripted(vec![error(status, code)]).await;
        clirun::run(&KEYS, &["--endpoint-url", &server.uri(), "list-buckets"]).expect_code(1);
        assert_eq!(seen.load(Ordering::SeqCst), 1, "{code} is final");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_skewed_clock_is_corrected_from_the_server_date() {
    // The server says it is a day ahead of us.
    let ahead = httpdate::fmt_http_date(
        std::time::SystemTime::now() + std::time::Duration::from_secs(86_400),
    );
    let (server, seen) = scripted(vec![
        error(403, "RequestTimeTooSkewed").insert_header("date", ahead.as_str()),
        ok_listing(),
    ])
    .await;
    clirun::run(&KEYS, &["--endpoint-url", &server.uri(), "list-buckets"]).expect_code(0);
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    let requests = server.received_requests().await.unwrap_or_default();
    let dates: Vec<String> = requests
        .iter()
        .filter_map(|r| {
            r.headers
                .get("x-amz-date")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .collect();
    assert_eq!(dates.len(), 2);
    let tomorrow = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let expected_day = format!(
        "{:04}{:02}{:02}",
        tomorrow.year(),
        u8::from(tomorrow.month()),
        tomorrow.day()
    );
    assert!(
        dates[1].starts_with(&expected_day),
        "the retry is signed with the server's clock: {dates:?}"
    );
}
