//! S3 Express directory buckets: requests the endpoint rules route to a `sigv4-s3express` scheme
//! are signed with the bucket's session keys from `CreateSession`, the session token sent (and
//! signed) as `x-amz-s3session-token` and never as `x-amz-security-token`; the session is kept per
//! bucket and client until a minute before it expires, and fetched once for many requests in
//! flight. No local server implements directory buckets, so wiremock plays the documented
//! `CreateSession` answer (an `<CreateSessionResult>` with `Credentials`) and records what arrives.

use std::time::{Duration, SystemTime};

use s3op::config::Environment;
use s3op::Client;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BUCKET: &str = "mybucket--usw2-az1--x-s3";

fn session_answer(expires: SystemTime) -> ResponseTemplate {
    let expiration = time::OffsetDateTime::from(expires)
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    ResponseTemplate::new(200).set_body_string(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <CreateSessionResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <Credentials><SessionToken>SESSION-TOKEN</SessionToken>\
         <SecretAccessKey>session-secret</SecretAccessKey>\
         <AccessKeyId>ASIASESSIONKEY</AccessKeyId>\
         <Expiration>{expiration}</Expiration></Credentials></CreateSessionResult>"
    ))
}

async fn server(expires: SystemTime) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/{BUCKET}")))
        .and(query_param("session", ""))
        .respond_with(session_answer(expires))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/{BUCKET}/key")))
        .respond_with(ResponseTemplate::new(200).set_body_string("hello"))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer, vars: &[(&str, &str)]) -> Client {
    Client::builder()
        .endpoint_url(server.uri())
        .region("us-west-2")
        .credentials("AKIDBASEKEY", "base-secret", Some("base-token".into()))
        .environment(Environment::from_vars(
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            None,
        ))
        .build()
        .expect("client")
}

/// GetObject of the directory bucket's `key`, which must succeed.
async fn get_key(client: &Client) {
    client
        .get_object()
        .bucket(BUCKET)
        .key("key")
        .send()
        .await
        .expect("GetObject");
}

fn header<'a>(request: &'a wiremock::Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

fn is_create_session(request: &wiremock::Request) -> bool {
    request.url.query() == Some("session")
}

#[tokio::test]
async fn directory_bucket_requests_use_one_session_signed_as_s3express() {
    let server = server(SystemTime::now() + Duration::from_secs(300)).await;
    let client = client(&server, &[]);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            client.get_object().bucket(BUCKET).key("key").send().await
        }));
    }
    for task in tasks {
        task.await.expect("task").expect("GetObject");
    }
    assert_eq!(client.express_sessions_created(), 1);

    let requests = server.received_requests().await.expect("recorded");
    let (sessions, data): (Vec<_>, Vec<_>) = requests.iter().partition(|r| is_create_session(r));
    assert_eq!(sessions.len(), 1, "one CreateSession for 8 requests");
    assert_eq!(data.len(), 8);

    // CreateSession: the client's own keys, for the s3express service, with their token.
    let create = sessions[0];
    let auth = header(create, "authorization").expect("signed");
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDBASEKEY/")
            && auth.contains("/us-west-2/s3express/aws4_request"),
        "{auth}"
    );
    assert_eq!(header(create, "x-amz-security-token"), Some("base-token"));
    assert_eq!(header(create, "x-amz-s3session-token"), None);

    // Each GetObject: the session's keys; its token as x-amz-s3session-token, signed.
    for request in data {
        let auth = header(request, "authorization").expect("signed");
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=ASIASESSIONKEY/")
                && auth.contains("/us-west-2/s3express/aws4_request"),
            "{auth}"
        );
        let signed = auth
            .split("SignedHeaders=")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .expect("SignedHeaders");
        assert!(
            signed.split(';').any(|h| h == "x-amz-s3session-token"),
            "{signed}"
        );
        assert_eq!(
            header(request, "x-amz-s3session-token"),
            Some("SESSION-TOKEN")
        );
        assert_eq!(header(request, "x-amz-security-token"), None);
    }
}

#[tokio::test]
async fn a_session_about_to_expire_is_replaced() {
    // Under a minute left: every request asks for a new session.
    let server = server(SystemTime::now() + Duration::from_secs(30)).await;
    let client = client(&server, &[]);
    for _ in 0..2 {
        get_key(&client).await;
    }
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(requests.iter().filter(|r| is_create_session(r)).count(), 2);
    assert_eq!(client.express_sessions_created(), 2);
}

#[tokio::test]
async fn session_auth_can_be_switched_off_by_setting() {
    let server = server(SystemTime::now() + Duration::from_secs(300)).await;
    let client = client(&server, &[("AWS_S3_DISABLE_EXPRESS_SESSION_AUTH", "true")]);
    get_key(&client).await;
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(requests.len(), 1, "no CreateSession");
    let auth = header(&requests[0], "authorization").expect("signed");
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDBASEKEY/")
            && auth.contains("/us-west-2/s3express/aws4_request"),
        "{auth}"
    );
    assert_eq!(
        header(&requests[0], "x-amz-security-token"),
        Some("base-token")
    );
}

#[tokio::test]
async fn a_refused_session_is_the_server_s_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("session", ""))
        .respond_with(ResponseTemplate::new(403).set_body_string(
            "<Error><Code>AccessDenied</Code><Message>no session for you</Message></Error>",
        ))
        .mount(&server)
        .await;
    let client = client(&server, &[]);
    let error = client
        .get_object()
        .bucket(BUCKET)
        .key("key")
        .send()
        .await
        .expect_err("refused");
    assert_eq!(error.code(), Some("AccessDenied"), "{error}");
    let requests = server.received_requests().await.expect("recorded");
    assert!(
        requests.iter().all(is_create_session),
        "nothing but CreateSession was sent"
    );
}
